package backtest

import (
	"encoding/binary"
	"maps"
	"math"
	"slices"

	"github.com/leadqual/leadqual/qualify"
)

// patterns counts the leads and conversions of each distinct combination
// of rule values among the leads a policy judged: the verdict, which rules
// matched, and the points of the rules whose points are an expression. They are
// what a logistic regression on the rules needs, so that Calibrate fits on
// the combinations, a few thousand, rather than on the leads, however
// many. The counts are split into cvFolds folds by a hash of the lead ID,
// for cross-validation.
type patterns struct {
	rules []ruleMeta
	idx   map[string]int
	slot  []int // for each rule, its place among the expression rules, or -1
	exprs int   // the number of expression rules
	max   int
	salt  string
	cells map[string]*patCell
	over  bool
	key   []byte
	vals  []float64
}

type patCell struct {
	n, conv [cvFolds]int
}

func newPatterns(rules []ruleMeta, idx map[string]int, max int, salt string) *patterns {
	p := &patterns{rules: rules, idx: idx, max: max, salt: salt, cells: map[string]*patCell{}, slot: make([]int, len(rules))}
	for i, r := range rules {
		p.slot[i] = -1
		if r.points && !r.constant {
			p.slot[i] = p.exprs
			p.exprs++
		}
	}
	p.vals = make([]float64, p.exprs)
	return p
}

// fold returns the cross-validation fold of a lead.
func fold(salt, id string) int { return int(idHash("fold\x00"+salt, id) % cvFolds) }

func (p *patterns) add(_ int, r *Record, ds []qualify.Decision, errs []error) {
	if errs[0] != nil || p.over {
		return
	}
	bits := 1 + (len(p.rules)+7)/8 // the verdict, then a bit per rule
	p.key = slices.Grow(p.key[:0], bits+8*p.exprs)[:bits+8*p.exprs]
	clear(p.key)
	clear(p.vals)
	d := &ds[0]
	p.key[0] = byte(d.Verdict)
	for i := range d.Matched {
		j, ok := p.idx[d.Matched[i].Rule]
		if !ok {
			continue
		}
		p.key[1+j/8] |= 1 << (j % 8)
		if s := p.slot[j]; s >= 0 {
			p.vals[s] = d.Matched[i].Points + 0 // no -0
		}
	}
	for s, v := range p.vals {
		binary.LittleEndian.PutUint64(p.key[bits+8*s:], math.Float64bits(v))
	}
	c := p.cells[string(p.key)]
	if c == nil {
		if len(p.cells) >= p.max {
			p.over = true
			return
		}
		c = new(patCell)
		p.cells[string(p.key)] = c
	}
	f := fold(p.salt, r.Lead.ID)
	c.n[f]++
	if r.Converted {
		c.conv[f]++
	}
}

func (p *patterns) merge(o extra) {
	q := o.(*patterns)
	p.over = p.over || q.over
	for k, c := range q.cells {
		x := p.cells[k]
		if x == nil {
			x = new(patCell)
			p.cells[k] = x
		}
		for f := range cvFolds {
			x.n[f] += c.n[f]
			x.conv[f] += c.conv[f]
		}
	}
	if len(p.cells) > p.max {
		p.over = true
	}
}

// pattern is one combination of rule values, decoded.
type pattern struct {
	verdict qualify.Verdict // the policy's
	fired   []bool          // per rule
	value   []float64       // per rule: 1 or the expression's points when fired, else 0
	cell    *patCell
}

// each calls f on every pattern, in the order of their keys, so that
// whatever is computed from them is the same on every run.
func (p *patterns) each(f func(*pattern)) {
	bits := 1 + (len(p.rules)+7)/8
	pt := &pattern{fired: make([]bool, len(p.rules)), value: make([]float64, len(p.rules))}
	for _, k := range slices.Sorted(maps.Keys(p.cells)) {
		pt.verdict = qualify.Verdict(k[0])
		for j := range p.rules {
			pt.fired[j] = k[1+j/8]&(1<<(j%8)) != 0
			pt.value[j] = 0
			if !pt.fired[j] {
				continue
			}
			pt.value[j] = 1
			if s := p.slot[j]; s >= 0 {
				pt.value[j] = math.Float64frombits(binary.LittleEndian.Uint64([]byte(k[bits+8*s:])))
			}
		}
		pt.cell = p.cells[k]
		f(pt)
	}
}

// rows projects the patterns on features: x fills the k feature values
// of a pattern. Patterns with the same features share a row.
func (p *patterns) rows(k int, x func(pt *pattern, out []float64)) *cvRows {
	c := &cvRows{k: k}
	at := map[string]int{}
	buf := make([]float64, k)
	key := make([]byte, 8*k)
	p.each(func(pt *pattern) {
		clear(buf)
		x(pt, buf)
		for j, v := range buf {
			binary.LittleEndian.PutUint64(key[8*j:], math.Float64bits(v+0))
		}
		i, ok := at[string(key)]
		if !ok {
			i = len(c.n)
			at[string(key)] = i
			c.x = append(c.x, buf...)
			c.n = append(c.n, [cvFolds]float64{})
			c.y = append(c.y, [cvFolds]float64{})
		}
		for f := range cvFolds {
			c.n[i][f] += float64(pt.cell.n[f])
			c.y[i][f] += float64(pt.cell.conv[f])
		}
	})
	return c
}
