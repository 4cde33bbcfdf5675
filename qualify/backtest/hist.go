package backtest

import (
	"cmp"
	"math"
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

// deciles groups the bins, in ascending order, into at most ten bands of
// about a tenth of the leads each. A bin is never split: it goes to the
// decile that holds the middle of its leads, so that equal scores always
// share a band; with many ties, bands are fewer or unequal.
func deciles(bins []bin, base Stat) []Band {
	total := 0
	for _, b := range bins {
		total += b.n
	}
	if total == 0 {
		return nil
	}
	var out []Band
	cum := 0
	for _, b := range bins {
		// 2*cum + n over 2*total is the middle of the bin's leads.
		d := min(10*(2*cum+b.n)/(2*total), 9) + 1
		cum += b.n
		if len(out) == 0 || out[len(out)-1].Decile != d {
			out = append(out, Band{Decile: d, Lo: b.lo, Hi: b.hi})
		}
		x := &out[len(out)-1]
		x.Leads += b.n
		x.Conversions += b.conv
		x.Hi = max(x.Hi, b.hi)
	}
	for i := range out {
		x := &out[i]
		x.Rate = ratio(float64(x.Conversions), float64(x.Leads))
		x.Lift = ratio(float64(x.Rate), float64(base))
	}
	return out
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
