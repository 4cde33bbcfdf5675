package main

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/nurture"
	"github.com/leadqual/leadqual/qualify"
)

// row is one line of the table.
type row struct {
	id, company, verdict, route string
	fit, engagement             float64
	reasons, next               string
}

// totals counts leads and potential value per route, per currency:
// currencies are never added together.
type totals struct {
	leads  map[qualify.Route]int
	values map[qualify.Route]map[lead.Currency]lead.Money
}

func newTotals() *totals {
	return &totals{leads: map[qualify.Route]int{}, values: map[qualify.Route]map[lead.Currency]lead.Money{}}
}

func (t *totals) add(r qualify.Route, v lead.Money) {
	t.leads[r]++
	if !v.Known() {
		return
	}
	byCur := t.values[r]
	if byCur == nil {
		byCur = map[lead.Currency]lead.Money{}
		t.values[r] = byCur
	}
	sum, ok := byCur[v.Currency]
	if !ok {
		byCur[v.Currency] = v
		return
	}
	// Same currency by construction: Add cannot fail.
	byCur[v.Currency], _ = sum.Add(v)
}

func (t *totals) value(r qualify.Route) string {
	byCur := t.values[r]
	var parts []string
	for _, c := range slices.Sorted(maps.Keys(byCur)) {
		parts = append(parts, byCur[c].Amount.StringFixed(0)+" "+string(c))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " + ")
}

// pageRows is how many leads, and refused lines, the report lists
// without -all: a page, so that an export of ten thousand leads does not
// scroll its summary away.
const pageRows = 50

// routeRank orders the table: the leads sales must act on first, then
// those for a person to review, nurture, recycle, drop, and leads the
// policy could not decide.
var routeRank = map[string]int{"sales": 0, "review": 1, "nurture": 2, "recycle": 3, "drop": 4}

// write prints the report: the routes, the refused input and the neglect
// audit first, then a page of leads (every one with -all), the most
// urgent first.
func write(w io.Writer, opts options, rows []row, bad []badLine, t *totals, report *nurture.Report) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "Leads qualified at %s: %d leads", opts.now.Format("Mon 2 Jan 2006 15:04 MST"), len(rows))
	if len(bad) > 0 {
		fmt.Fprintf(ew, ", %d lines refused", len(bad))
	}
	fmt.Fprint(ew, "\n\nRoutes\n")
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  ROUTE\tLEADS\tPOTENTIAL VALUE")
	for _, r := range qualify.Routes() {
		fmt.Fprintf(tw, "  %s\t%d\t%s\n", r, t.leads[r], t.value(r))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	if len(bad) > 0 {
		fmt.Fprintf(ew, "\nRefused input (%d lines, skipped):\n", len(bad))
		for i, b := range bad {
			if i == pageRows && !opts.all {
				fmt.Fprintf(ew, "  and %d more (-all lists every one)\n", len(bad)-i)
				break
			}
			id := b.ID
			if id == "" {
				id = "(no id)"
			}
			fmt.Fprintf(ew, "  line %d %s: %s\n", b.Line, id, clip(b.Describe(), 140))
		}
	}

	fmt.Fprintln(ew)
	if err := report.WriteText(ew); err != nil {
		return err
	}

	rows = slices.Clone(rows)
	slices.SortStableFunc(rows, func(a, b row) int { return urgency(a) - urgency(b) })
	shown := rows
	if !opts.all && len(rows) > pageRows {
		shown = rows[:pageRows]
	}
	switch {
	case len(shown) < len(rows):
		fmt.Fprintf(ew, "\nLeads: the first %d of %d, the most urgent first (-all lists every one)\n\n", len(shown), len(rows))
	default:
		fmt.Fprintf(ew, "\nLeads, the most urgent first\n\n")
	}
	tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LEAD\tCOMPANY\tVERDICT\tROUTE\tFIT\tENG\tTOP REASONS\tNEXT STEP")
	for _, r := range shown {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.0f\t%.0f\t%s\t%s\n", r.id, clip(r.company, 18), r.verdict, r.route,
			r.fit, r.engagement, clip(r.reasons, 46), clip(r.next, 80))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return ew.err
}

// urgency is a row's place in the table: by route, and within sales the
// overdue first.
func urgency(r row) int {
	n, ok := routeRank[r.route]
	if !ok {
		n = len(routeRank)
	}
	n *= 2
	if r.route == "sales" && !strings.HasPrefix(r.next, "OVERDUE") {
		n++
	}
	return n
}

// clip shortens s to n runes, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// errWriter keeps the first write error, so that the report is written
// without checking every line.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = cmp.Or(e.err, err)
	return n, err
}
