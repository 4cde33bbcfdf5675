package backtest

import (
	"cmp"
	"container/heap"
	"context"
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// Comparison is two policies judged side by side on the same history:
// each one's report, and what changed from A to B, in the totals and lead
// by lead.
type Comparison struct {
	// A and B are the reports of the two policies, as Run would give them.
	A *Report `json:"a"`
	B *Report `json:"b"` // see A
	// Leads is the number of leads both policies judged without error;
	// Changed of them got a different verdict, route or marketing-qualified
	// flag from B, and ScoresChanged a different fit or engagement.
	Leads         int `json:"leads"`
	Changed       int `json:"changed"`
	ScoresChanged int `json:"scores_changed"`
	// OnlyAErrored and OnlyBErrored count the records only one policy
	// failed on.
	OnlyAErrored int `json:"only_a_errored"`
	OnlyBErrored int `json:"only_b_errored"`
	// Verdicts and Routes are the transition tables: one Shift per
	// (from A, to B) pair that has leads, unchanged pairs included, in
	// enumeration order. Their conversions say whether B moved the leads
	// that convert toward sales or away.
	Verdicts []Shift `json:"verdicts"`
	Routes   []Shift `json:"routes"`
	// Changes is a sample of the changed leads, at most Config.MaxChanges
	// per pair of routes, chosen by a hash of the lead ID (the same in every
	// run, whatever the order of the history), listed in history order.
	Changes []Change `json:"changes"`
}

// Shift is the leads that went from one verdict (or route) under A to
// another under B.
type Shift struct {
	// From is the verdict (or route) under A, To the one under B: their
	// names, "need", "sales", ...
	From string `json:"from"`
	To   string `json:"to"`
	// Leads went from one to the other; Conversions of them converted, at
	// Rate, and won Won.
	Leads       int     `json:"leads"`
	Conversions int     `json:"conversions"`
	Rate        Stat    `json:"rate"`
	Won         Amounts `json:"won"`
}

// Change is one lead that B judged differently from A.
type Change struct {
	// Index is the record's position in the history, from 0; Line its
	// line in the source, when known.
	Index int `json:"index"`
	Line  int `json:"line,omitempty"`
	// Lead is the lead's ID, At its decision time.
	Lead string    `json:"lead"`
	At   time.Time `json:"at"`
	// Converted and Won are what became of the lead.
	Converted bool       `json:"converted"`
	Won       lead.Money `json:"won,omitzero"`
	// A and B are what each policy decided.
	A Side `json:"a"`
	B Side `json:"b"`
	// Added lists the rules that matched under B and not under A (by
	// name), Removed the reverse, and Changed the rules that matched under
	// both with a different effect or different points.
	Added   []string `json:"added"`
	Removed []string `json:"removed"`
	Changed []string `json:"changed"`
}

// Side is what one policy decided about a lead.
type Side struct {
	// Verdict and Route are the decision's.
	Verdict qualify.Verdict `json:"verdict"`
	Route   qualify.Route   `json:"route"`
	// Qualified is Decision.Qualified: marketing-qualified.
	Qualified bool `json:"qualified"`
	// Fit and Engagement are the scores.
	Fit        float64 `json:"fit"`
	Engagement float64 `json:"engagement"`
}

func sideOf(d *qualify.Decision) Side {
	return Side{Verdict: d.Verdict, Route: d.Route, Qualified: d.Qualified, Fit: d.Fit, Engagement: d.Engagement}
}

// Compare judges every lead of a history with policies a and b, each as
// it was at its decision time, and reports both and what changed. It is
// the way to try a policy on history before switching it on: which leads
// it sends to sales that the current one did not, and whether they are the
// ones that convert.
//
// Like Run, it ranges over the history once, on the caller's goroutine,
// with memory bounded whatever its length.
func Compare(ctx context.Context, a, b *qualify.Policy, history iter.Seq[Record], cfg Config) (*Comparison, error) {
	if cfg.Model != nil {
		return nil, fmt.Errorf("%w: backtest: Config.Model is for Run: one model describes one policy, and Compare judges two", ErrConfig)
	}
	e, err := newEngine(cfg, a, b)
	if err != nil {
		return nil, err
	}
	e.compare = true
	w, _, err := e.drive(ctx, history, nil)
	if err != nil {
		return nil, err
	}
	return w.comparison(), nil
}

func (w *worker) comparison() *Comparison {
	c := w.cmp
	out := &Comparison{
		A: w.report(0), B: w.report(1),
		Leads: c.both, Changed: c.changed, ScoresChanged: c.scores,
		OnlyAErrored: c.onlyA, OnlyBErrored: c.onlyB,
		Verdicts: []Shift{}, Routes: []Shift{}, Changes: []Change{},
	}
	for i := range nVerdicts {
		for j := range nVerdicts {
			if s := &c.verdicts[i][j]; s.n > 0 {
				out.Verdicts = append(out.Verdicts, s.shift(qualify.Verdict(i).String(), qualify.Verdict(j).String()))
			}
		}
	}
	for i := range nRoutes {
		for j := range nRoutes {
			if s := &c.routes[i][j]; s.n > 0 {
				out.Routes = append(out.Routes, s.shift(qualify.Route(i).String(), qualify.Route(j).String()))
			}
		}
	}
	for i := range c.samples {
		for _, s := range c.samples[i] {
			out.Changes = append(out.Changes, s.change)
		}
	}
	slices.SortFunc(out.Changes, func(x, y Change) int { return cmp.Compare(x.Index, y.Index) })
	return out
}

func (g *groupAcc) shift(from, to string) Shift {
	return Shift{From: from, To: to, Leads: g.n, Conversions: g.conv,
		Rate: ratio(float64(g.conv), float64(g.n)), Won: g.amounts()}
}

// cmpAcc accumulates what changed between two policies.
type cmpAcc struct {
	max                   int
	both, changed, scores int
	onlyA, onlyB          int
	verdicts              [nVerdicts][nVerdicts]groupAcc
	routes                [nRoutes][nRoutes]groupAcc
	samples               [nRoutes * nRoutes]sampleHeap // by route pair
}

func newCmpAcc(max int) *cmpAcc { return &cmpAcc{max: max} }

func (c *cmpAcc) add(idx int, r *Record, ds *[2]qualify.Decision, errs *[2]error) {
	switch {
	case errs[0] != nil && errs[1] != nil:
		return
	case errs[0] != nil:
		c.onlyA++
		return
	case errs[1] != nil:
		c.onlyB++
		return
	}
	a, b := &ds[0], &ds[1]
	c.both++
	if int(a.Verdict) < nVerdicts && int(b.Verdict) < nVerdicts {
		c.verdicts[a.Verdict][b.Verdict].add(r)
	}
	if int(a.Route) < nRoutes && int(b.Route) < nRoutes {
		c.routes[a.Route][b.Route].add(r)
	}
	if a.Fit != b.Fit || a.Engagement != b.Engagement {
		c.scores++
	}
	if a.Verdict == b.Verdict && a.Route == b.Route && a.Qualified == b.Qualified {
		return
	}
	c.changed++
	cell := min(int(a.Route), nRoutes-1)*nRoutes + min(int(b.Route), nRoutes-1)
	h := &c.samples[cell]
	s := sample{hash: idHash("", r.Lead.ID), idx: idx}
	if h.Len() >= c.max && !s.before((*h)[0]) {
		return
	}
	s.change = Change{Index: idx, Line: r.Line, Lead: r.Lead.ID, At: r.At, Converted: r.Converted, Won: r.Won,
		A: sideOf(a), B: sideOf(b), Added: ruleDiff(b, a), Removed: ruleDiff(a, b), Changed: ruleChanged(a, b)}
	heap.Push(h, s)
	if h.Len() > c.max {
		heap.Pop(h)
	}
}

// ruleDiff returns the rules matched in x and not in y.
func ruleDiff(x, y *qualify.Decision) []string {
	out := []string{}
	for _, m := range x.Matched {
		if !slices.ContainsFunc(y.Matched, func(n qualify.Match) bool { return n.Rule == m.Rule }) {
			out = append(out, m.Rule)
		}
	}
	return out
}

// ruleChanged returns the rules matched in both x and y with a different
// effect.
func ruleChanged(x, y *qualify.Decision) []string {
	out := []string{}
	for _, m := range x.Matched {
		i := slices.IndexFunc(y.Matched, func(n qualify.Match) bool { return n.Rule == m.Rule })
		if i < 0 {
			continue
		}
		n := y.Matched[i]
		if m.Intent != n.Intent || m.Dimension != n.Dimension || m.Points != n.Points || m.Disqualify != n.Disqualify {
			out = append(out, m.Rule)
		}
	}
	return out
}

func (c *cmpAcc) merge(o *cmpAcc) {
	c.both += o.both
	c.changed += o.changed
	c.scores += o.scores
	c.onlyA += o.onlyA
	c.onlyB += o.onlyB
	for i := range nVerdicts {
		for j := range nVerdicts {
			c.verdicts[i][j].merge(&o.verdicts[i][j])
		}
	}
	for i := range nRoutes {
		for j := range nRoutes {
			c.routes[i][j].merge(&o.routes[i][j])
		}
	}
	for i := range c.samples {
		for _, s := range o.samples[i] {
			heap.Push(&c.samples[i], s)
			if c.samples[i].Len() > c.max {
				heap.Pop(&c.samples[i])
			}
		}
	}
}

// sample is a changed lead kept in a bottom-k sample: the k smallest
// (hash, index) pairs are kept, so that the sample depends only on the
// set of changed leads.
type sample struct {
	hash   uint64
	idx    int
	change Change
}

func (s sample) before(o sample) bool {
	return s.hash < o.hash || s.hash == o.hash && s.idx < o.idx
}

// sampleHeap is a max-heap: its root is the sample to drop first.
type sampleHeap []sample

func (h sampleHeap) Len() int           { return len(h) }
func (h sampleHeap) Less(i, j int) bool { return h[j].before(h[i]) }
func (h sampleHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *sampleHeap) Push(x any)        { *h = append(*h, x.(sample)) }
func (h *sampleHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
