package main

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
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

// write prints the report: the table, the refused input, the routes, and
// the neglect audit.
func write(w io.Writer, now time.Time, rows []row, bad []badLine, t *totals, report *nurture.Report) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "Leads qualified at %s\n\n", now.Format("Mon 2 Jan 2006 15:04 MST"))
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LEAD\tCOMPANY\tVERDICT\tROUTE\tFIT\tENG\tTOP REASONS\tNEXT STEP")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.0f\t%.0f\t%s\t%s\n", r.id, clip(r.company, 18), r.verdict, r.route,
			r.fit, r.engagement, clip(r.reasons, 46), clip(r.next, 80))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	if len(bad) > 0 {
		fmt.Fprintf(ew, "\nRefused input (%d lines, skipped):\n", len(bad))
		for _, b := range bad {
			id := b.id
			if id == "" {
				id = "(no id)"
			}
			fmt.Fprintf(ew, "  line %d %s: %s\n", b.line, id, clip(strings.Join(b.problems, "; "), 140))
		}
	}

	fmt.Fprintf(ew, "\nRoutes\n")
	tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  ROUTE\tLEADS\tPOTENTIAL VALUE")
	for _, r := range qualify.Routes() {
		fmt.Fprintf(tw, "  %s\t%d\t%s\n", r, t.leads[r], t.value(r))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(ew)
	if err := report.WriteText(ew); err != nil {
		return err
	}
	return ew.err
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
