package backtest

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A tiny data set whose solution is known exactly: four cells of two
// indicators whose conversion rates are additive on the log-odds scale
// (odds 1/4, 1/2, 1 and 2), so that the unpenalised fit reproduces them:
// intercept ln(1/4), ln 2 for the first rule, ln 4 for the second.
func TestFitLogisticKnownSolution(t *testing.T) {
	d := &lrRows{k: 2}
	d.add([]float64{0, 0}, 5, 1) // 1 in 5: odds 1/4
	d.add([]float64{1, 0}, 3, 1) // odds 1/2
	d.add([]float64{0, 1}, 2, 1) // odds 1
	d.add([]float64{1, 1}, 3, 2) // odds 2
	m := fitLogistic(d, 0, nil)
	require.True(t, m.Converged)
	assert.InDelta(t, math.Log(0.25), m.Intercept, 1e-9)
	assert.InDelta(t, math.Ln2, m.Beta[0], 1e-9)
	assert.InDelta(t, math.Log(4), m.Beta[1], 1e-9)
	assert.Less(t, m.Iterations, 15, "Newton converges fast")

	// One indicator alone: its weight is its log-odds ratio.
	one := &lrRows{k: 1}
	one.add([]float64{0}, 80, 8)  // 10%
	one.add([]float64{1}, 20, 10) // 50%
	m = fitLogistic(one, 0, nil)
	assert.InDelta(t, math.Log(1.0/9), m.Intercept, 1e-9)
	assert.InDelta(t, math.Log(9), m.Beta[0], 1e-9)
}

// With a penalty, the solution is where the gradient of the penalised
// objective vanishes: Σ (n p − y) = 0 for the intercept, and
// Σ (n p − y) x_j + λ β_j = 0 for each coefficient. Checked on random data
// with correlated features, together with the shrinkage the penalty must
// cause.
func TestFitLogisticPenalisedStationary(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	d := &lrRows{k: 4}
	for range 300 {
		a := float64(r.IntN(2))
		b := a
		if r.IntN(4) == 0 {
			b = 1 - a // correlated with a
		}
		x := []float64{a, b, float64(r.IntN(2)), float64(r.IntN(5))}
		n := float64(1 + r.IntN(20))
		p := sigmoid(-2 + a + 0.5*b - 0.7*x[2] + 0.3*x[3])
		y := math.Round(n * p * (0.5 + r.Float64()))
		d.add(x, n, min(y, n))
	}
	unpenalised := fitLogistic(d, 0, nil)
	for _, lambda := range []float64{0.1, 10, 1000} {
		m := fitLogistic(d, lambda, nil)
		require.True(t, m.Converged, "lambda %v", lambda)
		g := make([]float64, d.k+1)
		for i := range d.n {
			x := d.row(i)
			res := d.n[i]*sigmoid(m.eta(x)) - d.y[i]
			g[0] += res
			for j := range d.k {
				g[j+1] += res * x[j]
			}
		}
		assert.InDelta(t, 0, g[0], 1e-6, "intercept, lambda %v", lambda)
		norm, free := 0.0, 0.0
		for j := range d.k {
			assert.InDelta(t, 0, g[j+1]+lambda*m.Beta[j], 1e-6, "coefficient %d, lambda %v", j, lambda)
			norm += m.Beta[j] * m.Beta[j]
			free += unpenalised.Beta[j] * unpenalised.Beta[j]
		}
		assert.Less(t, norm, free, "a penalty shrinks")
	}
}

// A rule that fired only on leads that converted separates them: with no
// penalty its weight is bounded rather than infinite, and any penalty
// makes it finite and small.
func TestFitLogisticSeparation(t *testing.T) {
	d := &lrRows{k: 1}
	d.add([]float64{0}, 100, 5)
	d.add([]float64{1}, 3, 3)
	m := fitLogistic(d, 0, nil)
	assert.LessOrEqual(t, math.Abs(m.Beta[0]), lrMaxAbs)
	assert.Greater(t, m.Beta[0], 5.0)
	m = fitLogistic(d, 10, nil)
	assert.Less(t, m.Beta[0], 1.0)
	assert.Positive(t, m.Beta[0])
}

// A feature that never varies, or two that are always equal, leave the
// Hessian singular without a penalty: the fit still ends, with finite
// numbers, and the duplicated features share the weight.
func TestFitLogisticDegenerate(t *testing.T) {
	d := &lrRows{k: 3}
	d.add([]float64{0, 0, 1}, 50, 5)
	d.add([]float64{1, 1, 1}, 50, 20)
	for _, lambda := range []float64{0, 1} {
		m := fitLogistic(d, lambda, nil)
		for _, b := range append([]float64{m.Intercept}, m.Beta...) {
			assert.False(t, math.IsNaN(b) || math.IsInf(b, 0))
		}
		// Together they give the log-odds ratio of the two cells.
		p0, p1 := sigmoid(m.eta([]float64{0, 0, 1})), sigmoid(m.eta([]float64{1, 1, 1}))
		if lambda == 0 {
			assert.InDelta(t, 0.1, p0, 1e-6)
			assert.InDelta(t, 0.4, p1, 1e-6)
		} else {
			assert.InDelta(t, m.Beta[0], m.Beta[1], 1e-6, "equal features, equal weights")
		}
	}
	empty := fitLogistic(&lrRows{k: 2}, 1, nil)
	assert.Equal(t, []float64{0, 0}, empty.Beta)
}

// Cross-validation prefers a strong penalty for noise and a weak one for
// a strong, well-supported signal; the same rows give the same choice.
func TestChoosePenalty(t *testing.T) {
	build := func(signal float64, seed uint64) *cvRows {
		r := rand.New(rand.NewPCG(seed, 7))
		c := &cvRows{k: 6}
		for range 4000 {
			x := make([]float64, c.k)
			for j := range x {
				x[j] = float64(r.IntN(2))
			}
			p := sigmoid(-1.5 + signal*(x[0]-x[1]+0.5*x[2]))
			y := 0.0
			if r.Float64() < p {
				y = 1
			}
			c.add(x, r.IntN(cvFolds), 1, y)
		}
		return c
	}
	noise, devs := choosePenalty(build(0, 1))
	require.Len(t, devs, len(penaltyGrid))
	assert.GreaterOrEqual(t, noise, 10.0, "noise: shrink hard")
	strong, _ := choosePenalty(build(2, 2))
	assert.LessOrEqual(t, strong, 3.0, "a strong signal on 4000 leads: hardly shrink")
	again, _ := choosePenalty(build(2, 2))
	assert.Equal(t, strong, again)
}
