package backtest

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
)

// hist is a bounded histogram of a score over a stream of leads, with the
// leads and conversions of each bin, from which the deciles and the area
// under the ROC curve are computed.
//
// While a score takes at most `max` distinct values, a bin is one value
// and everything computed from the histogram is exact. Beyond that, the
// bins become aligned intervals of width w, a power of two: a value v falls
// in bin floor(v/w), and w is the smallest power of two (from 2^-30) that
// leaves at most `max` bins occupied. Because aligned intervals nest when w
// doubles, that w depends only on the set of values seen, not on their
// order, so the histogram of a stream, however it is split between workers
// and merged, is always the same.
type hist struct {
	max  int
	w    float64 // 0: exact, one bin per value
	bins map[float64]*bin
}

type bin struct {
	n, conv int
	lo, hi  float64 // the smallest and largest value seen in the bin
}

const minWidth = 0x1p-30

func newHist(max int) *hist { return &hist{max: max, bins: make(map[float64]*bin)} }

func (h *hist) key(v float64) float64 {
	if h.w == 0 {
		return v + 0 // -0 -> +0
	}
	return math.Floor(v / h.w)
}

// add counts one lead of score v. v must not be NaN.
func (h *hist) add(v float64, conv bool) {
	c := 0
	if conv {
		c = 1
	}
	h.addBin(h.key(v), bin{n: 1, conv: c, lo: v, hi: v})
	if len(h.bins) > h.max {
		h.coarsen()
	}
}

func (h *hist) addBin(k float64, b bin) {
	if x := h.bins[k]; x != nil {
		x.n += b.n
		x.conv += b.conv
		x.lo, x.hi = min(x.lo, b.lo), max(x.hi, b.hi)
		return
	}
	nb := new(bin) // b itself stays on the stack
	*nb = b
	h.bins[k] = nb
}

// coarsen widens the bins until at most max are occupied.
func (h *hist) coarsen() {
	w := h.w
	if w == 0 {
		w = minWidth
	}
	for {
		occupied := h.occupied(w)
		if occupied <= h.max {
			break
		}
		w *= 2
	}
	h.rebin(w)
}

// occupied counts the bins of width w that the current bins fall in.
func (h *hist) occupied(w float64) int {
	seen := make(map[float64]struct{}, len(h.bins))
	for k, b := range h.bins {
		seen[h.rekey(k, b, w)] = struct{}{}
	}
	return len(seen)
}

// rekey returns the key, at width w >= h.w, of the bin (k, b).
func (h *hist) rekey(k float64, b *bin, w float64) float64 {
	if h.w == 0 {
		return math.Floor(b.lo / w)
	}
	// floor(floor(v/h.w) * h.w / w) == floor(v/w) for powers of two.
	return math.Floor(k * h.w / w)
}

func (h *hist) rebin(w float64) {
	old := h.bins
	h.bins = make(map[float64]*bin, h.max)
	for k, b := range old {
		h.addBin(h.rekey(k, b, w), *b)
	}
	h.w = w
}

// merge adds o's counts to h.
func (h *hist) merge(o *hist) {
	if o.w > h.w {
		h.rebin(o.w)
	}
	for k, b := range o.bins {
		if h.w != o.w {
			k = o.rekey(k, b, h.w)
		}
		h.addBin(k, *b)
	}
	if len(h.bins) > h.max {
		h.coarsen()
	}
}

// sorted returns the bins in ascending order of score.
func (h *hist) sorted() []bin {
	keys := make([]float64, 0, len(h.bins))
	for k := range h.bins {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]bin, len(keys))
	for i, k := range keys {
		out[i] = *h.bins[k]
	}
	return out
}

// auc returns the area under the ROC curve of the score as a classifier
// of conversion, and a bound on its error.
//
// The area is the probability that a converted lead scores higher than one
// that did not convert, ties counting one half: sum over bins of
// conv(bin) * (non-converted below the bin + non-converted in it / 2),
// over conv * non-converted. Ties between equal scores are real ties and
// cost no precision. In interval bins, pairs that share a bin are counted
// as ties though their scores may differ; the error is at most half the
// share of (converted, non-converted) pairs that share such a bin, which
// is the bound returned (0 while the histogram is exact).
func auc(bins []bin) (Stat, float64) {
	var pos, neg float64
	for _, b := range bins {
		pos += float64(b.conv)
		neg += float64(b.n - b.conv)
	}
	if pos == 0 || neg == 0 {
		return undefined, 0
	}
	var area, below, shared float64
	for _, b := range bins {
		p, n := float64(b.conv), float64(b.n-b.conv)
		area += p * (below + n/2)
		below += n
		if b.lo != b.hi {
			shared += p * n
		}
	}
	return Stat(area / (pos * neg)), shared / (2 * pos * neg)
}

// deciles cuts the leads, in ascending order of score, into ten bands
// of equal count: band b holds the leads at positions [b·N/10, (b+1)·N/10).
// Leads with equal scores cannot be told apart, so a bin that straddles a
// boundary is shared between the bands in proportion to the positions it
// covers, and its conversions with it: each part converts at the bin's
// rate. A band's Lo and Hi are the scores of the bins it takes leads from;
// a band that shares a bin with its neighbour has Shared set. Bands
// without leads (fewer than ten leads) are left out.
func deciles(bins []bin, base Stat) []Band {
	total := 0
	for _, b := range bins {
		total += b.n
	}
	if total == 0 {
		return nil
	}
	out := make([]Band, 0, 10)
	i, used := 0, 0 // the bin being shared out, and how many of its leads are gone
	for d := range 10 {
		end := (d + 1) * total / 10
		size := end - d*total/10
		if size == 0 {
			continue
		}
		band := Band{Decile: d + 1, Leads: size}
		first := true
		for need := size; need > 0; {
			b := &bins[i]
			take := min(need, b.n-used)
			if first {
				band.Lo, first = b.lo, false
			}
			band.Hi = b.hi
			if take < b.n {
				band.Shared = true
			}
			band.Conversions += float64(b.conv) * float64(take) / float64(b.n)
			band.Mean += float64(take) * (b.lo + b.hi) / 2
			need -= take
			used += take
			if used == b.n {
				i, used = i+1, 0
			}
		}
		band.Mean /= float64(size)
		band.Rate = ratio(band.Conversions, float64(band.Leads))
		band.Lift = ratio(float64(band.Rate), float64(base))
		out = append(out, band)
	}
	return out
}

// The bootstrap of the AUC.
const (
	DefaultBootstrap = 1000 // resamples
	aucLevel         = 0.95 // the interval's coverage
)

// aucInterval returns the 95% interval of the AUC of the bins by the
// Poisson bootstrap: in each of n resamples, every lead counts a
// Poisson(1) number of times, so that a bin's converted and unconverted
// leads are drawn from Poisson(conv) and Poisson(n - conv); the interval
// is the 2.5th and 97.5th percentiles of the resampled AUCs. The random
// numbers are seeded by seed: the same bins give the same interval.
func aucInterval(bins []bin, n int, seed uint64) (Stat, Stat) {
	if a, _ := auc(bins); !a.Defined() || n <= 0 {
		return undefined, undefined
	}
	r := rand.New(rand.NewPCG(seed, 0x6c65616471756c))
	rs := make([]bin, len(bins))
	aucs := make([]float64, 0, n)
	for range n {
		for i, b := range bins {
			pos := poisson(r, float64(b.conv))
			rs[i] = bin{n: pos + poisson(r, float64(b.n-b.conv)), conv: pos, lo: b.lo, hi: b.hi}
		}
		if a, _ := auc(rs); a.Defined() {
			aucs = append(aucs, float64(a))
		}
	}
	if len(aucs) < n/2 {
		return undefined, undefined
	}
	slices.Sort(aucs)
	q := func(p float64) Stat {
		i := int(math.Round(p * float64(len(aucs)-1)))
		return Stat(aucs[i])
	}
	return q((1 - aucLevel) / 2), q(1 - (1-aucLevel)/2)
}

// poisson draws from the Poisson distribution of mean lambda: by
// inversion below 30, by Hörmann's transformed rejection (PTRS) above.
func poisson(r *rand.Rand, lambda float64) int {
	switch {
	case lambda <= 0:
		return 0
	case lambda < 30:
		p := math.Exp(-lambda)
		f, u := p, r.Float64()
		k := 0
		for u > f && k < 1000 {
			k++
			p *= lambda / float64(k)
			f += p
		}
		return k
	}
	slam, loglam := math.Sqrt(lambda), math.Log(lambda)
	b := 0.931 + 2.53*slam
	a := -0.059 + 0.02483*b
	invalpha := 1.1239 + 1.1328/(b-3.4)
	vr := 0.9277 - 3.6224/(b-2)
	for {
		u := r.Float64() - 0.5
		v := r.Float64()
		us := 0.5 - math.Abs(u)
		k := math.Floor((2*a/us+b)*u + lambda + 0.43)
		if us >= 0.07 && v <= vr {
			return int(k)
		}
		if k < 0 || us < 0.013 && v > us {
			continue
		}
		lg, _ := math.Lgamma(k + 1)
		if math.Log(v)+math.Log(invalpha)-math.Log(a/(us*us)+b) <= -lambda+k*loglam-lg {
			return int(k)
		}
	}
}

// grid is a bounded two-dimensional histogram of (fit, engagement), with
// the same aligned power-of-two coarsening as hist, on both axes at once,
// so that it too is independent of the order of the stream: at most
// maxCells cells, and at most maxAxis distinct keys on each axis. Calibrate
// uses it to choose the marketing-qualified thresholds.
type grid struct {
	maxAxis, maxCells int
	w                 float64
	cells             map[[2]float64]*cell
	fits, engs        map[float64]int // cells per key of each axis
}

type cell struct {
	n, conv  int
	fit, eng [2]float64 // lo, hi of each axis
}

func newGrid(maxAxis, maxCells int) *grid {
	return &grid{maxAxis: maxAxis, maxCells: maxCells, cells: make(map[[2]float64]*cell),
		fits: make(map[float64]int), engs: make(map[float64]int)}
}

func gridKey(f, e float64, w float64) [2]float64 {
	if w == 0 {
		return [2]float64{f + 0, e + 0}
	}
	return [2]float64{math.Floor(f / w), math.Floor(e / w)}
}

func (g *grid) add(f, e float64, conv bool) {
	c := 0
	if conv {
		c = 1
	}
	g.addCell(gridKey(f, e, g.w), cell{n: 1, conv: c, fit: [2]float64{f, f}, eng: [2]float64{e, e}})
	if g.over() {
		g.coarsen()
	}
}

func (g *grid) over() bool {
	return len(g.cells) > g.maxCells || len(g.fits) > g.maxAxis || len(g.engs) > g.maxAxis
}

func (g *grid) addCell(k [2]float64, c cell) {
	if x := g.cells[k]; x != nil {
		x.n += c.n
		x.conv += c.conv
		x.fit = [2]float64{min(x.fit[0], c.fit[0]), max(x.fit[1], c.fit[1])}
		x.eng = [2]float64{min(x.eng[0], c.eng[0]), max(x.eng[1], c.eng[1])}
		return
	}
	nc := new(cell) // c itself stays on the stack
	*nc = c
	g.cells[k] = nc
	g.fits[k[0]]++
	g.engs[k[1]]++
}

// rekey returns the key, at width w >= g.w, of the cell (k, c).
func (g *grid) rekey(k [2]float64, c *cell, w float64) [2]float64 {
	if g.w == 0 {
		return gridKey(c.fit[0], c.eng[0], w)
	}
	return [2]float64{math.Floor(k[0] * g.w / w), math.Floor(k[1] * g.w / w)}
}

// fitsAt reports whether, at width w, the grid would be within its bounds.
func (g *grid) fitsAt(w float64) bool {
	cells := make(map[[2]float64]struct{}, len(g.cells))
	fs := make(map[float64]struct{})
	es := make(map[float64]struct{})
	for k, c := range g.cells {
		nk := g.rekey(k, c, w)
		cells[nk] = struct{}{}
		fs[nk[0]] = struct{}{}
		es[nk[1]] = struct{}{}
	}
	return len(cells) <= g.maxCells && len(fs) <= g.maxAxis && len(es) <= g.maxAxis
}

func (g *grid) coarsen() {
	w := g.w
	if w == 0 {
		w = minWidth
	}
	for !g.fitsAt(w) {
		w *= 2
	}
	g.rebin(w)
}

func (g *grid) rebin(w float64) {
	old := g.cells
	g.cells = make(map[[2]float64]*cell, len(old))
	clear(g.fits)
	clear(g.engs)
	for k, c := range old {
		// rekey reads g.w, which is still the old width.
		g.addCell(g.rekey(k, c, w), *c)
	}
	g.w = w
}

func (g *grid) merge(o *grid) {
	if o.w > g.w {
		g.rebin(o.w)
	}
	for k, c := range o.cells {
		if g.w != o.w {
			k = o.rekey(k, c, g.w)
		}
		g.addCell(k, *c)
	}
	if g.over() {
		g.coarsen()
	}
}

// axis is one axis of a grid: its occupied keys in ascending order, with
// the smallest and largest value seen under each.
type axis struct {
	keys   []float64
	lo, hi []float64
}

func (g *grid) axes() (fit, eng axis) {
	fk := map[float64][2]float64{}
	ek := map[float64][2]float64{}
	upd := func(m map[float64][2]float64, k float64, r [2]float64) {
		if x, ok := m[k]; ok {
			r = [2]float64{min(x[0], r[0]), max(x[1], r[1])}
		}
		m[k] = r
	}
	for k, c := range g.cells {
		upd(fk, k[0], c.fit)
		upd(ek, k[1], c.eng)
	}
	mk := func(m map[float64][2]float64) axis {
		var a axis
		for k := range m {
			a.keys = append(a.keys, k)
		}
		slices.SortFunc(a.keys, cmp.Compare[float64])
		for _, k := range a.keys {
			a.lo = append(a.lo, m[k][0])
			a.hi = append(a.hi, m[k][1])
		}
		return a
	}
	return mk(fk), mk(ek)
}
