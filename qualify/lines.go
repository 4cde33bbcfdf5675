package qualify

import (
	"context"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leadqual/leadqual/lead"
)

// Product lines.
//
// A policy that declares product lines judges each line a lead is in on
// its own, beside the lead as a whole: the same rules, over a view of the
// lead that holds the line's activities and interests and stands at the
// line's funnel (lead.Lead.Lines). A policy without lines pays nothing
// for them; one with lines pays one evaluation per line a lead is in.

// maxLines bounds the product lines of a policy; maxProducts the
// products of each.
const (
	maxLines    = 64
	maxProducts = 1000
)

// productLines is the compiled table of a policy's product lines.
type productLines struct {
	names     []string
	byProduct map[string]int // lower-cased product -> line index
}

// checkProductLines checks the lines of the settings.
func (c *compilation) checkProductLines(pl []ProductLine) {
	if len(pl) > maxLines {
		c.problem("", "settings.product_lines", "%d product lines: at most %d", len(pl), maxLines)
		return
	}
	owner := map[string]string{} // lower-cased product -> line
	for i, l := range pl {
		field := fmt.Sprintf("settings.product_lines[%d]", i)
		if err := lead.CheckLineName(l.Name); err != nil {
			c.problem("", field+".name", "%v", err)
			continue
		}
		if slices.ContainsFunc(pl[:i], func(x ProductLine) bool { return x.Name == l.Name }) {
			c.problem("", field+".name", "product line %q is declared twice", l.Name)
			continue
		}
		if len(l.Products) > maxProducts {
			c.problem("", field+".products", "%d products: at most %d", len(l.Products), maxProducts)
			continue
		}
		for j, name := range append([]string{l.Name}, l.Products...) {
			pf := fmt.Sprintf("%s.products[%d]", field, j-1)
			if j == 0 {
				pf = field + ".name"
			}
			switch {
			case strings.TrimSpace(name) == "":
				c.problem("", pf, "empty product name")
				continue
			case len(name) > maxKind || !utf8.ValidString(name) || strings.ContainsAny(name, "\n\r\t"):
				c.problem("", pf, "product %q: at most %d bytes of UTF-8 on one line", clipKind(lead.Kind(name)), maxKind)
				continue
			}
			key := strings.ToLower(name)
			switch other, ok := owner[key]; {
			case !ok:
				owner[key] = l.Name
			case other != l.Name:
				c.problem("", pf, "product %q belongs to product lines %q and %q: a product belongs to one line", name, other, l.Name)
			}
		}
		c.lineNames = append(c.lineNames, l.Name)
	}
}

func (c *compilation) isLine(name string) bool { return slices.Contains(c.lineNames, name) }

// newProductLines compiles lines Compile has checked.
func newProductLines(pl []ProductLine) productLines {
	t := productLines{byProduct: map[string]int{}}
	for i, l := range pl {
		t.names = append(t.names, l.Name)
		t.byProduct[strings.ToLower(l.Name)] = i
		for _, p := range l.Products {
			t.byProduct[strings.ToLower(p)] = i
		}
	}
	return t
}

// index returns the index of the line product belongs to, or -1. It
// allocates nothing for a product of ASCII up to 64 bytes.
func (t *productLines) index(product string) int {
	if product == "" || len(t.names) == 0 {
		return -1
	}
	if i, ok := t.byProduct[product]; ok {
		return i
	}
	var buf [64]byte
	if len(product) <= len(buf) {
		ascii := true
		for i := 0; i < len(product); i++ {
			ch := product[i]
			if ch >= utf8.RuneSelf {
				ascii = false
				break
			}
			if 'A' <= ch && ch <= 'Z' {
				ch += 'a' - 'A'
			}
			buf[i] = ch
		}
		if ascii {
			if i, ok := t.byProduct[string(buf[:len(product)])]; ok {
				return i
			}
			return -1
		}
	}
	if i, ok := t.byProduct[strings.ToLower(product)]; ok {
		return i
	}
	return -1
}

// lineNamed returns the index of the line called name, or -1.
func (t *productLines) lineNamed(name string) int { return slices.Index(t.names, name) }

// Lines returns the names of the policy's product lines, in the order the
// settings declare them; none for a policy without lines. The slice is a
// copy.
func (v *Vocabulary) Lines() []string { return slices.Clone(v.lines.names) }

// Line returns the product line that product (an activity's product, an
// interest's topic) belongs to under the policy's settings, case ignored,
// and whether it belongs to one.
func (v *Vocabulary) Line(product string) (string, bool) {
	if i := v.lines.index(product); i >= 0 {
		return v.lines.names[i], true
	}
	return "", false
}

// HasLine reports whether the policy declares a product line called name.
func (v *Vocabulary) HasLine(name string) bool { return v.lines.lineNamed(name) >= 0 }

// ActivityLine returns the product line of activity a: the line of its
// product, or "" (the implicit line) when its product belongs to none.
func (v *Vocabulary) ActivityLine(a *lead.Activity) string {
	line, _ := v.Line(a.Product)
	return line
}

// lineSet is a set of line indexes (maxLines fits).
type lineSet uint64

func (s lineSet) has(i int) bool { return s&(1<<uint(i)) != 0 }

// linesOf returns the lines lead l is in at now: those it has a funnel
// on, and those of its recent activities and interests (within the
// longer of the need and interest freshness): a line the lead showed
// nothing on for longer has nothing to judge. It records in st.lineOf the
// line of each activity.
func (p *Policy) linesOf(st *state, l *lead.Lead, now time.Time) lineSet {
	t := &p.vocab.lines
	var in lineSet
	cut := now.Add(-max(p.settings.NeedFresh, p.settings.InterestFresh))
	st.lineOf = st.lineOf[:0]
	for i := range l.Activities {
		a := &l.Activities[i]
		k := t.index(a.Product)
		st.lineOf = append(st.lineOf, int8(k))
		if k >= 0 && !a.At.After(now) && !a.At.Before(cut) {
			in |= 1 << uint(k)
		}
	}
	for i := range l.Interests {
		it := &l.Interests[i]
		seen := it.LastSeen
		if seen.IsZero() {
			seen = it.FirstSeen
		}
		if seen.After(now) || !seen.IsZero() && seen.Before(cut) {
			continue
		}
		if k := t.index(it.Topic); k >= 0 {
			in |= 1 << uint(k)
		}
	}
	for name := range l.Lines {
		if k := t.lineNamed(name); k >= 0 {
			in |= 1 << uint(k)
		}
	}
	return in
}

// lineView makes v the view of lead l on line k: its own contact, company,
// consent and custom fields; the line's activities and interests; the
// line's funnel. The lead's do not contact applies to every line: it is a
// person's request. v's activities and interests live in st until the
// next view.
func (p *Policy) lineView(st *state, l *lead.Lead, k int, v *lead.Lead) {
	t := &p.vocab.lines
	*v = *l
	f := l.Lines[t.names[k]]
	v.Stage, v.LostReason, v.History = f.Stage, f.LostReason, f.History
	if l.LostReason == lead.ReasonDoNotContact {
		v.LostReason = lead.ReasonDoNotContact
	}
	v.Lines, v.Merged = nil, nil
	st.lineActs = st.lineActs[:0]
	for i := range l.Activities {
		if int(st.lineOf[i]) == k {
			st.lineActs = append(st.lineActs, l.Activities[i])
		}
	}
	st.lineInts = st.lineInts[:0]
	for i := range l.Interests {
		if t.index(l.Interests[i].Topic) == k {
			st.lineInts = append(st.lineInts, l.Interests[i])
		}
	}
	v.Activities, v.Interests = st.lineActs, st.lineInts
}

// evaluateLines judges each product line lead l is in, in the order the
// settings declare them. floor, when not nil, gives the need floor of a
// line (an account's loss on it; see EvaluateAccount).
//
// seen, when not nil, is called after each line's evaluation with the
// line's index, while st holds its signals.
func (p *Policy) evaluateLines(ctx context.Context, st *state, l *lead.Lead, now time.Time,
	floor func(line string) int64, seen func(k int)) ([]Decision, error) {
	in := p.linesOf(st, l, now)
	if in == 0 {
		return nil, nil
	}
	out := make([]Decision, 0, bits.OnesCount64(uint64(in)))
	var v lead.Lead
	for k, name := range p.vocab.lines.names {
		if !in.has(k) {
			continue
		}
		p.lineView(st, l, k, &v)
		st.floor = 0
		if floor != nil {
			st.floor = floor(name)
		}
		d, err := p.run(ctx, st, &v, now)
		if err != nil {
			return nil, fmt.Errorf("product line %q: %w", name, err)
		}
		d.Line = name
		out = append(out, d)
		if seen != nil {
			seen(k)
		}
	}
	st.floor = 0
	return out, nil
}

// lineFloors returns, by line index, the need floor of each product line
// of lead l that was lost or recycled by now (see floorOf), in st's
// buffer; nil when none was, which is the case of every lead of a policy
// without lines, and of every line's view.
func (p *Policy) lineFloors(st *state, l *lead.Lead, now time.Time) []int64 {
	t := &p.vocab.lines
	if len(l.Lines) == 0 && st.accFloors == nil || len(t.names) == 0 {
		return nil
	}
	st.floors = st.floors[:0]
	any := false
	for k, name := range t.names {
		f, ok := l.Lines[name]
		var fl int64
		if ok {
			fl = floorOf(f.LostAt(now))
		}
		if st.accFloors != nil {
			fl = max(fl, st.accFloors[k]) // the contact's account lost the line
		}
		any = any || fl != 0
		st.floors = append(st.floors, fl)
	}
	if !any {
		return nil
	}
	return st.floors
}

// lineFloor returns the need floor of activity a's product line: 0 when
// it belongs to none, or its line was not lost.
func (p *Policy) lineFloor(floors []int64, a *lead.Activity) int64 {
	if k := p.vocab.lines.index(a.Product); k >= 0 {
		return floors[k]
	}
	return 0
}

// floorOf returns the need floor of a loss at t: need at or before it is
// answered. Zero for no loss.
func floorOf(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	if n := nanos(t); n < math.MaxInt64 {
		return n + 1
	}
	return math.MaxInt64
}
