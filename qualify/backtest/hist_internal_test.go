package backtest

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type scored struct {
	v    float64
	conv bool
}

// bruteAUC is the definition: over every (converted, not converted) pair,
// 1 when the converted one scores higher, 1/2 on a tie.
func bruteAUC(xs []scored) float64 {
	var num, pairs float64
	for _, p := range xs {
		if !p.conv {
			continue
		}
		for _, n := range xs {
			if n.conv {
				continue
			}
			pairs++
			switch {
			case p.v > n.v:
				num++
			case p.v == n.v:
				num += 0.5
			}
		}
	}
	return num / pairs
}

func randomScores(r *rand.Rand, n, distinct int, signal float64) []scored {
	xs := make([]scored, n)
	for i := range xs {
		v := float64(r.IntN(distinct)) * 2.5
		xs[i] = scored{v: v, conv: r.Float64() < 0.1+signal*v/float64(distinct*3)}
	}
	return xs
}

func histOf(xs []scored, max int) *hist {
	h := newHist(max)
	for _, x := range xs {
		h.add(x.v, x.conv)
	}
	return h
}

func TestAUCExactWithTies(t *testing.T) {
	tests := []struct {
		name string
		xs   []scored
		want float64
	}{
		{"perfect", []scored{{1, false}, {2, false}, {3, true}, {4, true}}, 1},
		{"inverted", []scored{{1, true}, {2, false}}, 0},
		{"all tied", []scored{{5, true}, {5, false}, {5, false}}, 0.5},
		{"half tied", []scored{{1, false}, {2, false}, {2, true}, {3, true}}, 0.875},
		{"minus zero is zero", []scored{{math.Copysign(0, -1), true}, {0, false}}, 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := histOf(tt.xs, 16)
			got, bound := auc(h.sorted())
			assert.InDelta(t, tt.want, float64(got), 1e-12)
			assert.InDelta(t, bruteAUC(tt.xs), float64(got), 1e-12)
			assert.Zero(t, bound)
		})
	}
	got, _ := auc(histOf([]scored{{1, true}, {2, true}}, 16).sorted())
	assert.False(t, got.Defined(), "no lead that did not convert: undefined")
}

// While the scores take at most max distinct values, the AUC is exact;
// beyond, the true AUC is within the bound returned.
func TestAUCBoundedHistogram(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tt := range []struct {
		name          string
		n, distinct   int
		max           int
		wantExact     bool
		maxBoundWidth float64
	}{
		{"exact", 3000, 50, 64, true, 0},
		{"coarse", 3000, 2000, 64, false, 0.05},
		{"very coarse", 3000, 2000, 4, false, 0.5},
	} {
		t.Run(tt.name, func(t *testing.T) {
			xs := randomScores(r, tt.n, tt.distinct, 1)
			h := histOf(xs, tt.max)
			require.LessOrEqual(t, len(h.bins), tt.max)
			got, bound := auc(h.sorted())
			want := bruteAUC(xs)
			assert.Equal(t, tt.wantExact, h.w == 0)
			if tt.wantExact {
				assert.InDelta(t, want, float64(got), 1e-12)
				assert.Zero(t, bound)
				return
			}
			assert.LessOrEqual(t, math.Abs(want-float64(got)), bound+1e-12, "AUC %v, exact %v, bound %v", got, want, bound)
			assert.LessOrEqual(t, bound, tt.maxBoundWidth)
			assert.Positive(t, bound)
		})
	}
}

// The histogram depends only on the set of scores: any order, any split
// between workers merged in any order, gives the same bins.
func TestHistIndependentOfOrderAndSplit(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, distinct := range []int{20, 500, 5000} {
		xs := randomScores(r, 4000, distinct, 1)
		want := histOf(xs, 64).sorted()
		for trial := range 5 {
			ys := append([]scored(nil), xs...)
			r.Shuffle(len(ys), func(i, j int) { ys[i], ys[j] = ys[j], ys[i] })
			parts := 1 + trial
			hs := make([]*hist, parts)
			for i := range hs {
				hs[i] = newHist(64)
			}
			for i, y := range ys {
				hs[i%parts].add(y.v, y.conv)
			}
			for _, h := range hs[1:] {
				hs[0].merge(h)
			}
			assert.Equal(t, want, hs[0].sorted(), "distinct %d, trial %d", distinct, trial)
		}
	}
}

func TestDecilesEqualCount(t *testing.T) {
	var xs []scored
	for i := range 100 {
		v := float64(i % 10) // ten values, ten leads each
		if i < 50 {
			v = 0 // half the leads score 0
		}
		xs = append(xs, scored{v, i%3 == 0})
	}
	bins := histOf(xs, 1024).sorted()
	bands := deciles(bins, 0.3)
	require.Len(t, bands, 10, "ten bands, ties or not")
	var conv float64
	for i, b := range bands {
		assert.Equal(t, i+1, b.Decile)
		assert.Equal(t, 10, b.Leads, "equal counts")
		assert.LessOrEqual(t, b.Lo, b.Hi)
		conv += b.Conversions
	}
	assert.InDelta(t, 34, conv, 1e-9, "every conversion is in a band, shared in proportion")
	// The 55 leads that score 0 fill five bands and half of the sixth, all
	// at the rate of the zeros.
	zeroRate := float64(bins[0].conv) / float64(bins[0].n)
	for _, b := range bands[:5] {
		assert.Equal(t, 0.0, b.Hi)
		assert.True(t, b.Shared)
		assert.InDelta(t, zeroRate, float64(b.Rate), 1e-12)
	}
	assert.Equal(t, 0.0, bands[5].Lo)
	assert.Equal(t, 1.0, bands[5].Hi)
	assert.True(t, bands[5].Shared)

	// Distinct scores: ten bands of ten, none shared.
	xs = xs[:0]
	for i := range 100 {
		xs = append(xs, scored{float64(i), i >= 90})
	}
	bands = deciles(histOf(xs, 1024).sorted(), 0.1)
	require.Len(t, bands, 10)
	for i, b := range bands {
		assert.Equal(t, i+1, b.Decile)
		assert.Equal(t, 10, b.Leads)
		assert.False(t, b.Shared)
		assert.Equal(t, float64(10*i), b.Lo)
	}
	assert.Equal(t, 10.0, bands[9].Conversions)
	assert.InDelta(t, 10, float64(bands[9].Lift), 1e-12)

	// Fewer leads than bands: the empty bands are left out.
	bands = deciles(histOf(xs[:7], 1024).sorted(), 0.1)
	total := 0
	for _, b := range bands {
		total += b.Leads
		assert.Equal(t, 1, b.Leads)
	}
	assert.Equal(t, 7, total)
}

// The Poisson sampler has the right mean and variance on both sides of
// its switch from inversion to rejection.
func TestPoisson(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, lambda := range []float64{0, 0.5, 4, 29, 30, 250, 1e5} {
		const n = 20000
		var sum, sq float64
		for range n {
			k := float64(poisson(r, lambda))
			sum += k
			sq += k * k
		}
		mean := sum / n
		variance := sq/n - mean*mean
		tol := 5*math.Sqrt(lambda/n) + 1e-9
		assert.InDelta(t, lambda, mean, tol, "mean, lambda %v", lambda)
		assert.InDelta(t, lambda, variance, 0.1*lambda+1e-9, "variance, lambda %v", lambda)
	}
}

// The bootstrap interval holds the AUC, narrows with more leads, covers
// the true AUC about 95% of the time, and is the same for the same bins.
func TestAUCInterval(t *testing.T) {
	sample := func(n int, seed uint64) []bin {
		r := rand.New(rand.NewPCG(seed, 9))
		var xs []scored
		for range n {
			v := float64(r.IntN(20))
			xs = append(xs, scored{v, r.Float64() < 0.05+0.02*v})
		}
		return histOf(xs, 1024).sorted()
	}
	small, large := sample(500, 1), sample(20000, 1)
	for _, bins := range [][]bin{small, large} {
		a, _ := auc(bins)
		lo, hi := aucInterval(bins, DefaultBootstrap, 7)
		assert.Less(t, float64(lo), float64(a))
		assert.Greater(t, float64(hi), float64(a))
		lo2, hi2 := aucInterval(bins, DefaultBootstrap, 7)
		assert.Equal(t, [2]Stat{lo, hi}, [2]Stat{lo2, hi2})
	}
	slo, shi := aucInterval(small, DefaultBootstrap, 7)
	llo, lhi := aucInterval(large, DefaultBootstrap, 7)
	assert.Less(t, float64(lhi-llo), float64(shi-slo)/3, "forty times the leads, a far narrower interval")

	// Coverage: the AUC of a very large sample stands in for the truth.
	truth, _ := auc(sample(400000, 99))
	covered := 0
	const trials = 100
	for s := range trials {
		lo, hi := aucInterval(sample(1000, uint64(100+s)), 300, uint64(s))
		if lo <= truth && truth <= hi {
			covered++
		}
	}
	assert.InDelta(t, 95, covered, 7, "coverage of the 95%% interval")

	none, _ := aucInterval([]bin{{n: 5, conv: 0, lo: 1, hi: 1}}, 100, 1)
	assert.False(t, none.Defined(), "no conversions: no AUC, no interval")
}

func TestGridIndependentOfOrderAndSplit(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	type pt struct {
		f, e float64
		c    bool
	}
	var xs []pt
	for range 3000 {
		xs = append(xs, pt{float64(r.IntN(300)) * 0.37, float64(r.IntN(40)), r.IntN(5) == 0})
	}
	build := func(ys []pt, parts int) *grid {
		gs := make([]*grid, parts)
		for i := range gs {
			gs[i] = newGrid(32, 256)
		}
		for i, y := range ys {
			gs[i%parts].add(y.f, y.e, y.c)
		}
		for _, g := range gs[1:] {
			gs[0].merge(g)
		}
		return gs[0]
	}
	want := build(xs, 1)
	require.LessOrEqual(t, len(want.cells), 256)
	fa, ea := want.axes()
	require.LessOrEqual(t, len(fa.keys), 32)
	require.LessOrEqual(t, len(ea.keys), 32)
	n := 0
	for _, c := range want.cells {
		n += c.n
	}
	assert.Equal(t, 3000, n)
	for trial := range 4 {
		ys := append([]pt(nil), xs...)
		r.Shuffle(len(ys), func(i, j int) { ys[i], ys[j] = ys[j], ys[i] })
		got := build(ys, trial+1)
		assert.Equal(t, want.w, got.w)
		assert.Equal(t, len(want.cells), len(got.cells))
		for k, c := range want.cells {
			assert.Equal(t, *c, *got.cells[k])
		}
	}
}

func TestFixedSumIsExact(t *testing.T) {
	var a, b fixed
	vals := []float64{0.1, -0.2, 1e6, -1e6, 3.000001, 1e12, -1e12, 7}
	for _, v := range vals {
		a.add(v)
	}
	for i := len(vals) - 1; i >= 0; i-- {
		b.add(vals[i])
	}
	assert.Equal(t, a, b)
	assert.InDelta(t, 9.900001, a.float(), 1e-9)
	var neg fixed
	neg.add(-2.5)
	assert.Equal(t, -2.5, neg.float())
}

func TestRoundThreshold(t *testing.T) {
	for _, tt := range []struct {
		t, below, want float64
	}{
		{13.242250000000002, 12.6, 13},
		{13.242250000000002, 13.1, 13.2},
		{-0.7, -3.2, -1},
		{0, -1, -0.5},
		{0, -3, -1.5},
		{5, 4.99, 5},
		{1234, 999, 1000},
	} {
		got := roundThreshold(tt.t, tt.below)
		assert.Equal(t, tt.want, got, "%v in (%v, %v]", got, tt.below, tt.t)
		assert.Greater(t, got, tt.below)
		assert.LessOrEqual(t, got, math.Max(tt.t, -0.5))
		assert.NotZero(t, got)
	}
}

func TestHeldOutSplit(t *testing.T) {
	held := 0
	for i := range 20000 {
		if HeldOut("L-"+strconv.Itoa(i), "", 0.3) {
			held++
		}
	}
	assert.InDelta(t, 0.3, float64(held)/20000, 0.015)
	assert.Equal(t, HeldOut("L-1", "s", 0.5), HeldOut("L-1", "s", 0.5))
	assert.NotEqual(t, idHash("a", "bc"), idHash("ab", "c"))
	assert.False(t, HeldOut("x", "", 0))
	assert.True(t, HeldOut("x", "", 1))
}

// Properties of the bands, on random histograms: ten bands (fewer only
// with fewer than ten leads) of equal count, every lead and conversion in
// one, in ascending order of score, each band's rate within its bins'.
func TestDecilesProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for trial := range 300 {
		n := 1 + r.IntN(400)
		values := 1 + r.IntN(30)
		var xs []scored
		for range n {
			xs = append(xs, scored{float64(r.IntN(values)) * 1.5, r.IntN(4) == 0})
		}
		bins := histOf(xs, 1024).sorted()
		bands := deciles(bins, 0.25)
		conv := 0
		for _, b := range bins {
			conv += b.conv
		}
		leads, got := 0, 0.0
		for i, b := range bands {
			leads += b.Leads
			got += b.Conversions
			assert.LessOrEqual(t, b.Lo, b.Hi, "trial %d", trial)
			assert.True(t, b.Mean >= b.Lo-1e-9 && b.Mean <= b.Hi+1e-9, "trial %d: mean within the band", trial)
			if i > 0 {
				assert.GreaterOrEqual(t, b.Lo, bands[i-1].Hi, "trial %d: ascending", trial)
				assert.LessOrEqual(t, abs(b.Leads-bands[i-1].Leads), 1, "trial %d: equal counts", trial)
			}
		}
		assert.Equal(t, n, leads, "trial %d", trial)
		assert.InDelta(t, float64(conv), got, 1e-9, "trial %d", trial)
		assert.Len(t, bands, min(n, 10), "trial %d", trial)
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
