package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// maxListedLines bounds the skipped lines a Summary lists; the count is
// always exact.
const maxListedLines = 10

// Summary is what a run did: rows read, decided and skipped, and per
// route the leads and their potential value. Values are summed per
// currency, never across currencies.
type Summary struct {
	// Policy and Version name the policy that decided.
	Policy, Version string
	// Rows counts the data rows read (the header excluded), Decided those
	// that got a decision, Skipped those that did not (a row that does not
	// parse or validate, a lead the policy refused). Rows = Decided +
	// Skipped, except when the run stopped early.
	Rows, Decided, Skipped int
	// SkippedLines are the lines of the first skipped rows.
	SkippedLines []int
	// Verdicts and Routes count the decisions.
	Verdicts map[qualify.Verdict]int
	Routes   map[qualify.Route]*RouteTotal
	// Overdue counts the need leads whose response deadline had passed
	// when they were decided: leads that waited for sales too long.
	Overdue int
	// Elapsed is how long the run took.
	Elapsed time.Duration
	// Stopped says why the run stopped before the end of the export, if it
	// did.
	Stopped error
}

// RouteTotal is the leads of one route and their potential value.
type RouteTotal struct {
	Leads int
	// Value sums the leads' potential value, per currency.
	Value map[lead.Currency]lead.Money
	// NoValue counts the leads without a known value.
	NoValue int
}

func newSummary(p *qualify.Policy) *Summary {
	return &Summary{Policy: p.Name(), Version: p.Version(), Verdicts: map[qualify.Verdict]int{}, Routes: map[qualify.Route]*RouteTotal{}}
}

func (s *Summary) skip(line int) {
	s.Skipped++
	if len(s.SkippedLines) < maxListedLines {
		s.SkippedLines = append(s.SkippedLines, line)
	}
}

func (s *Summary) decided(l *lead.Lead, d *qualify.Decision) {
	s.Decided++
	s.Verdicts[d.Verdict]++
	if d.Verdict == qualify.VerdictNeed && d.Deadline.Before(d.At) {
		s.Overdue++
	}
	rt := s.Routes[d.Route]
	if rt == nil {
		rt = &RouteTotal{Value: map[lead.Currency]lead.Money{}}
		s.Routes[d.Route] = rt
	}
	rt.Leads++
	if !l.Value.Known() {
		rt.NoValue++
		return
	}
	sum, ok := rt.Value[l.Value.Currency]
	if !ok {
		rt.Value[l.Value.Currency] = l.Value
		return
	}
	// Same currency by construction; Validate has refused negative and
	// unknown currencies.
	if sum, err := sum.Add(l.Value); err == nil {
		rt.Value[l.Value.Currency] = sum
	}
}

// routeOrder is the order routes are listed in: sales first.
var routeOrder = qualify.Routes()

var verdictOrder = []qualify.Verdict{qualify.VerdictNeed, qualify.VerdictInterest, qualify.VerdictNone, qualify.VerdictOutOfScope}

// WriteTo writes the summary for a person to read.
func (s *Summary) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	rate := ""
	if secs := s.Elapsed.Seconds(); secs > 0 {
		rate = fmt.Sprintf(", %.0f rows/s", float64(s.Rows)/secs)
	}
	fmt.Fprintf(&b, "policy %s %s: %d rows in %s%s\n", s.Policy, s.Version, s.Rows, s.Elapsed.Round(time.Millisecond), rate)
	fmt.Fprintf(&b, "  decided %d", s.Decided)
	if s.Skipped > 0 {
		lines := make([]string, len(s.SkippedLines))
		for i, l := range s.SkippedLines {
			lines[i] = fmt.Sprint(l)
		}
		more := ""
		if s.Skipped > len(s.SkippedLines) {
			more = ", ..."
		}
		fmt.Fprintf(&b, ", skipped %d (line %s%s)", s.Skipped, strings.Join(lines, ", "), more)
	}
	b.WriteString("\n")
	if s.Stopped != nil {
		fmt.Fprintf(&b, "  stopped early: %v\n", s.Stopped)
	}
	var vs []string
	for _, v := range orderedKeys(s.Verdicts, verdictOrder) {
		vs = append(vs, fmt.Sprintf("%s %d", v, s.Verdicts[v]))
	}
	if len(vs) > 0 {
		fmt.Fprintf(&b, "  verdicts: %s\n", strings.Join(vs, ", "))
	}
	if s.Overdue > 0 {
		fmt.Fprintf(&b, "  %d of the need leads are past their response deadline: call them first\n", s.Overdue)
	}

	// route, leads, then the value per currency, amounts aligned right.
	type line struct{ route, leads, amount, currency, note string }
	var lines []line
	for _, r := range orderedKeys(s.Routes, routeOrder) {
		rt := s.Routes[r]
		l := line{route: r.String(), leads: fmt.Sprint(rt.Leads)}
		currencies := slices.Sorted(maps.Keys(rt.Value))
		if len(currencies) == 0 {
			l.amount = "-"
		}
		for i, c := range currencies {
			if i > 0 {
				lines = append(lines, l)
				l = line{}
			}
			l.amount, l.currency = amount(rt.Value[c]), string(c)
		}
		lines = append(lines, l)
		if rt.NoValue > 0 && len(currencies) > 0 {
			lines = append(lines, line{note: fmt.Sprintf("and %d without a value", rt.NoValue)})
		}
	}
	if len(lines) > 0 {
		wr, wl, wa := len("route"), len("leads"), 0
		for _, l := range lines {
			wr, wl, wa = max(wr, len(l.route)), max(wl, len(l.leads)), max(wa, len(l.amount))
		}
		fmt.Fprintf(&b, "  %-*s  %*s  potential value\n", wr, "route", wl, "leads")
		for _, l := range lines {
			if l.note != "" {
				fmt.Fprintf(&b, "  %-*s  %*s  %s\n", wr, "", wl, "", l.note)
				continue
			}
			b.WriteString(strings.TrimRight(fmt.Sprintf("  %-*s  %*s  %*s %s", wr, l.route, wl, l.leads, wa, l.amount, l.currency), " "))
			b.WriteString("\n")
		}
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

// orderedKeys returns the keys of m: those in order first, in that order,
// then any others, sorted.
func orderedKeys[K interface {
	comparable
	~uint8
}, V any](m map[K]V, order []K) []K {
	var out []K
	for _, k := range order {
		if _, ok := m[k]; ok {
			out = append(out, k)
		}
	}
	var rest []K
	for k := range m {
		if !slices.Contains(order, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}
