package backtest

import (
	"math"
	"slices"
)

// A regularised logistic regression on rule values, fitted by Newton's
// method on weighted rows: each row is one distinct combination of feature
// values with the leads that had it and their conversions, so that a
// history of a million leads and a few thousand combinations costs a few
// thousand rows. Everything runs in a fixed order, so that the same rows
// give the same fit on every machine.

// lrRows is the data of a fit: rows of k feature values, each with a
// number of leads (n) and of conversions among them (y).
type lrRows struct {
	k    int
	x    []float64 // len(n) rows of k values
	n, y []float64
	off  []float64 // an offset added to each row's log-odds, or nil
}

func (d *lrRows) offset(i int) float64 {
	if d.off == nil {
		return 0
	}
	return d.off[i]
}

func (d *lrRows) row(i int) []float64 { return d.x[i*d.k : (i+1)*d.k] }

func (d *lrRows) add(x []float64, n, y float64) {
	d.x = append(d.x, x...)
	d.n = append(d.n, n)
	d.y = append(d.y, y)
}

// lrModel is a fitted model: logit p = Intercept + Σ Beta[j] x[j].
type lrModel struct {
	Intercept float64
	Beta      []float64
	// Iterations is the number of Newton steps taken; Converged reports
	// that the last one moved no parameter by more than lrTolerance.
	Iterations int
	Converged  bool
}

func (m *lrModel) eta(x []float64) float64 {
	e := m.Intercept
	for j, b := range m.Beta {
		e += b * x[j]
	}
	return e
}

// The bounds of a fit.
const (
	lrMaxIterations = 100  // Newton steps at most
	lrTolerance     = 1e-9 // converged when no parameter moves more
	lrMaxHalvings   = 40   // step halvings in a line search
	lrMaxAbs        = 50.0 // |parameter| bound: a separable rule stops here
)

// softplus is log(1 + e^x), without overflow.
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// sigmoid is 1 / (1 + e^-x), without overflow.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// objective is the penalised negative log-likelihood of m on d with L2
// penalty lambda on the coefficients (never the intercept):
// Σ n·log(1+e^η) − y·η + λ/2 Σ β².
func (d *lrRows) objective(m *lrModel, lambda float64) float64 {
	var f float64
	for i := range d.n {
		e := m.eta(d.row(i)) + d.offset(i)
		f += d.n[i]*softplus(e) - d.y[i]*e
	}
	for _, b := range m.Beta {
		f += lambda / 2 * b * b
	}
	return f
}

// deviance is −2 Σ log-likelihood of m on the rows d (no penalty): the
// measure of fit on held-back data.
func (d *lrRows) deviance(m *lrModel) float64 {
	var f float64
	for i := range d.n {
		e := m.eta(d.row(i)) + d.offset(i)
		f += d.n[i]*softplus(e) - d.y[i]*e
	}
	return 2 * f
}

// fitLogistic fits the rows by Newton's method with step halving, from
// start (nil: the intercept at the base rate, coefficients zero), with an
// L2 penalty lambda >= 0 on the coefficients. It stops after
// lrMaxIterations steps at most. Parameters are kept within ±lrMaxAbs, so
// that a rule that separates (fires only on leads that converted) with no
// penalty ends at a large finite weight rather than running away.
func fitLogistic(d *lrRows, lambda float64, start *lrModel) lrModel {
	k := d.k
	m := lrModel{Beta: make([]float64, k)}
	if start != nil {
		m.Intercept = start.Intercept
		copy(m.Beta, start.Beta)
	} else {
		var n, y float64
		for i := range d.n {
			n += d.n[i]
			y += d.y[i]
		}
		if n > 0 {
			p := min(max(y/n, 1e-9), 1-1e-9)
			m.Intercept = math.Log(p / (1 - p))
		}
	}
	dim := k + 1
	g := make([]float64, dim)
	h := make([]float64, dim*dim)
	step := make([]float64, dim)
	trial := lrModel{Beta: make([]float64, k)}
	f := d.objective(&m, lambda)
	for m.Iterations < lrMaxIterations {
		clear(g)
		clear(h)
		for i := range d.n {
			x := d.row(i)
			p := sigmoid(m.eta(x) + d.offset(i))
			r := d.n[i]*p - d.y[i]
			w := d.n[i] * p * (1 - p)
			// Feature 0 is the intercept (1), feature j+1 is x[j].
			g[0] += r
			h[0] += w
			for a := range k {
				if x[a] == 0 {
					continue
				}
				g[a+1] += r * x[a]
				wa := w * x[a]
				h[a+1] += wa // h[0][a+1], the lower triangle is filled below
				row := (a + 1) * dim
				for b := 0; b <= a; b++ {
					h[row+b+1] += wa * x[b]
				}
			}
		}
		for a := range k {
			g[a+1] += lambda * m.Beta[a]
			h[(a+1)*dim+a+1] += lambda
			h[(a+1)*dim] = h[a+1]
		}
		// Newton's step solves H step = g; a tiny ridge keeps H positive
		// definite when a feature never varies.
		if !solveSPD(h, g, step, dim) {
			break
		}
		// Step halving: accept the first step that does not increase the
		// objective.
		t := 1.0
		accepted := false
		for range lrMaxHalvings {
			trial.Intercept = clampAbs(m.Intercept - t*step[0])
			for a := range k {
				trial.Beta[a] = clampAbs(m.Beta[a] - t*step[a+1])
			}
			if ft := d.objective(&trial, lambda); ft <= f {
				f = ft
				accepted = true
				break
			}
			t /= 2
		}
		m.Iterations++
		if !accepted {
			m.Converged = true // no step improves: at the optimum, to rounding
			break
		}
		moved := math.Abs(trial.Intercept - m.Intercept)
		for a := range k {
			moved = max(moved, math.Abs(trial.Beta[a]-m.Beta[a]))
		}
		m.Intercept = trial.Intercept
		copy(m.Beta, trial.Beta)
		if moved < lrTolerance {
			m.Converged = true
			break
		}
	}
	return m
}

func clampAbs(v float64) float64 { return max(-lrMaxAbs, min(lrMaxAbs, v)) }

// solveSPD solves A x = b for a symmetric positive semi-definite A of
// order n (only its lower triangle is read) by Cholesky decomposition,
// adding a ridge to the diagonal when a pivot vanishes. A is overwritten.
// It reports false when A cannot be factored even so (non-finite input).
func solveSPD(a, b, x []float64, n int) bool {
	scale := 0.0
	for i := range n {
		scale = max(scale, math.Abs(a[i*n+i]))
	}
	if scale == 0 || math.IsNaN(scale) || math.IsInf(scale, 0) {
		return false
	}
	l := slices.Clone(a)
	for ridge := 0.0; ; {
		if cholesky(l, n) {
			break
		}
		if ridge == 0 {
			ridge = 1e-12 * scale
		} else {
			ridge *= 100
		}
		if ridge > scale {
			return false
		}
		copy(l, a)
		for i := range n {
			l[i*n+i] += ridge
		}
	}
	// Forward then backward substitution: L y = b, Lᵀ x = y.
	for i := range n {
		s := b[i]
		for j := range i {
			s -= l[i*n+j] * x[j]
		}
		x[i] = s / l[i*n+i]
	}
	for i := n - 1; i >= 0; i-- {
		s := x[i]
		for j := i + 1; j < n; j++ {
			s -= l[j*n+i] * x[j]
		}
		x[i] = s / l[i*n+i]
	}
	return true
}

// cholesky factors the lower triangle of a in place into L (A = L Lᵀ),
// reporting false when a pivot is not positive.
func cholesky(a []float64, n int) bool {
	for j := range n {
		s := a[j*n+j]
		for k := range j {
			s -= a[j*n+k] * a[j*n+k]
		}
		if !(s > 1e-300) {
			return false
		}
		d := math.Sqrt(s)
		a[j*n+j] = d
		for i := j + 1; i < n; i++ {
			s := a[i*n+j]
			for k := range j {
				s -= a[i*n+k] * a[j*n+k]
			}
			a[i*n+j] = s / d
		}
	}
	return true
}

// cvFolds is the number of folds of the cross-validation that chooses the
// penalty.
const cvFolds = 5

// penaltyGrid are the penalties cross-validation tries, from the
// strongest: a Gaussian prior on each rule's log-odds weight of precision
// λ (standard deviation 1/√λ: 0.1 at 100, 1 at 1). The weakest is 1,
// scikit-learn's default: weaker, a rule seen on three leads that all
// converted would take a weight of 5 or more (150 times the odds), which
// three leads cannot support; a rule seen on hundreds of leads is hardly
// shrunk by it.
var penaltyGrid = []float64{100, 30, 10, 3, 1}

// cvRows are rows whose leads and conversions are split into cvFolds
// folds (by a hash of the lead ID), for cross-validation.
type cvRows struct {
	k    int
	x    []float64
	n, y [][cvFolds]float64
}

func (c *cvRows) add(x []float64, fold int, n, y float64) {
	c.x = append(c.x, x...)
	var nn, yy [cvFolds]float64
	nn[fold], yy[fold] = n, y
	c.n = append(c.n, nn)
	c.y = append(c.y, yy)
}

// rows returns the rows of the folds keep accepts.
func (c *cvRows) rows(keep func(fold int) bool) *lrRows {
	d := &lrRows{k: c.k}
	for i := range c.n {
		var n, y float64
		for f := range cvFolds {
			if keep(f) {
				n += c.n[i][f]
				y += c.y[i][f]
			}
		}
		if n > 0 {
			d.add(c.x[i*c.k:(i+1)*c.k], n, y)
		}
	}
	return d
}

// choosePenalty returns the penalty of penaltyGrid with the least
// cross-validated deviance (each fold predicted by a fit on the others),
// the stronger on a tie, and the deviance of each penalty tried.
func choosePenalty(c *cvRows) (float64, []float64) {
	devs := make([]float64, len(penaltyGrid))
	for f := range cvFolds {
		train := c.rows(func(g int) bool { return g != f })
		valid := c.rows(func(g int) bool { return g == f })
		if len(valid.n) == 0 {
			continue
		}
		var start *lrModel
		for i, lambda := range penaltyGrid {
			m := fitLogistic(train, lambda, start)
			devs[i] += valid.deviance(&m)
			start = &m
		}
	}
	best := 0
	for i := range devs {
		if devs[i] < devs[best] {
			best = i
		}
	}
	return penaltyGrid[best], devs
}
