package main

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/leadqual/leadqual/assign"
	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/nurture"
	"github.com/leadqual/leadqual/qualify"
)

// row is one line of the table.
type row struct {
	id, company, verdict, route string
	fit, engagement             float64
	reasons, next               string
	owner                       string
	queue                       int // the place in the sales work queue, from 1; 0 for other routes
}

// accountRow is one line of the accounts table: a company of several
// contacts, judged as one buying group.
type accountRow struct {
	id, company       string
	contacts, engaged int
	verdict, route    string
	fit, engagement   float64
	group, next       string
}

// lineRow is one product line of a lead, judged on its own.
type lineRow struct {
	id, company, line, stage string
	verdict, route           string
	engagement               float64
	next                     string
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

// write prints the report: the routes, the refused input, the sales work
// queue per owner and its escalations, and the neglect audit first, then
// a page of leads (every one with -all), the sales work first in priority
// order.
func write(w io.Writer, opts options, rows []row, accounts []accountRow, lines []lineRow, bad []badLine, t *totals,
	report *nurture.Report, sq *salesQueue) error {
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

	if err := writeQueue(ew, opts, rows, sq); err != nil {
		return err
	}
	if len(accounts) > 0 {
		slices.SortStableFunc(accounts, func(a, b accountRow) int { return routeRank[a.route] - routeRank[b.route] })
		fmt.Fprintf(ew, "\nAccounts of several contacts, each judged as one buying group (%d)\n\n", len(accounts))
		tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ACCOUNT\tCOMPANY\tPEOPLE\tENGAGED\tVERDICT\tROUTE\tFIT\tENG\tBUYING GROUP\tNEXT STEP")
		for i, a := range accounts {
			if i == pageRows && !opts.all {
				fmt.Fprintf(tw, "and %d more (-all lists every one)\n", len(accounts)-i)
				break
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%.0f\t%.0f\t%s\t%s\n", a.id, clip(a.company, 18), a.contacts, a.engaged,
				a.verdict, a.route, a.fit, a.engagement, clip(a.group, 48), clip(a.next, 80))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(lines) > 0 {
		fmt.Fprintf(ew, "\nProduct lines, each judged on its own: a customer of one line is a prospect for another (%d)\n\n", len(lines))
		tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "LEAD\tCOMPANY\tLINE\tSTAGE\tVERDICT\tROUTE\tENG\tNEXT STEP")
		for i, l := range lines {
			if i == pageRows && !opts.all {
				fmt.Fprintf(tw, "and %d more (-all lists every one)\n", len(lines)-i)
				break
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%.0f\t%s\n", l.id, clip(l.company, 18), l.line, l.stage, l.verdict, l.route,
				l.engagement, clip(l.next, 80))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}

	fmt.Fprintln(ew)
	if err := report.WriteText(ew); err != nil {
		return err
	}

	rows = slices.Clone(rows)
	slices.SortStableFunc(rows, func(a, b row) int { return cmp.Compare(urgency(a), urgency(b)) })
	shown := rows
	if !opts.all && len(rows) > pageRows {
		shown = rows[:pageRows]
	}
	switch {
	case len(shown) < len(rows):
		fmt.Fprintf(ew, "\nLeads: the first %d of %d, sales' work first in priority order (-all lists every one)\n\n", len(shown), len(rows))
	default:
		fmt.Fprintf(ew, "\nLeads, sales' work first in priority order\n\n")
	}
	tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tLEAD\tCOMPANY\tVERDICT\tROUTE\tOWNER\tFIT\tENG\tTOP REASONS\tNEXT STEP")
	for _, r := range shown {
		place := "-"
		if r.queue > 0 {
			place = strconv.Itoa(r.queue)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%.0f\t%.0f\t%s\t%s\n", place, r.id, clip(r.company, 18), r.verdict, r.route,
			cmp.Or(r.owner, "-"), r.fit, r.engagement, clip(r.reasons, 46), clip(r.next, 80))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return ew.err
}

// urgency is a row's place in the table: the sales work queue in its
// order (need first, in time before late, the highest value first: see
// qualify.DefaultQueue), then the other routes.
func urgency(r row) int {
	if r.queue > 0 {
		return r.queue
	}
	n, ok := routeRank[r.route]
	if !ok {
		n = len(routeRank)
	}
	return 1<<20 + n
}

// writeQueue prints the sales work queue per owner, each owner's leads in
// priority order, then the escalations of need nobody answered.
func writeQueue(w io.Writer, opts options, rows []row, sq *salesQueue) error {
	if len(sq.work) == 0 {
		return nil
	}
	byID := map[string]*row{}
	for i := range rows {
		byID[rows[i].id] = &rows[i]
	}
	type item struct {
		w work
		a assign.Assignment
	}
	perOwner := map[string][]item{}
	for i, q := range sq.work {
		owner := sq.owners[i].Owner
		perOwner[owner] = append(perOwner[owner], item{q, sq.owners[i]})
	}
	fmt.Fprintf(w, "\nSales queue per owner: %d leads, in priority order (values in GBP at the host's rates)\n", len(sq.work))
	for _, owner := range slices.Sorted(maps.Keys(perOwner)) {
		its := perOwner[owner]
		fmt.Fprintf(w, "\n  %s: %s\n", cmp.Or(owner, "(no owner)"), plural(len(its), "lead"))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for j, it := range its {
			if j == pageRows && !opts.all {
				fmt.Fprintf(tw, "    and %d more (-all lists every one)\n", len(its)-j)
				break
			}
			r := byID[it.w.d.Lead]
			fmt.Fprintf(tw, "    %d.\t%s\t%s\t%s\t%s\t%s\n", r.queue, r.id, it.w.d.Priority, gbp(it.w.d.Value), clip(r.next, 60), clip(why(it.a), 70))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, f := range sq.failed {
		fmt.Fprintf(w, "  %s\n", clip(f, 160))
	}
	if len(sq.notices) > 0 {
		fmt.Fprintf(w, "\nEscalations: %s (need past its deadline and unanswered)\n", plural(len(sq.notices), "notice"))
		for _, n := range sq.notices {
			fmt.Fprintf(w, "  - %s\n", n)
		}
	}
	return nil
}

// why says how an owner was chosen, briefly.
func why(a assign.Assignment) string {
	switch a.Basis {
	case assign.BasisRule:
		return "rule " + strconv.Quote(a.Rule)
	case assign.BasisOwner:
		return "its owner"
	case assign.BasisAccount:
		return "account owner"
	case assign.BasisOnCall:
		return "on call"
	}
	return ""
}

// gbp writes a potential value at the host's rates: "75050 GBP", "150000
// NOK (no rate)", "-".
func gbp(v lead.Money) string {
	if !v.Known() {
		return "-"
	}
	c, err := hostRates.Convert(v)
	if err != nil {
		return v.String() + " (no rate)"
	}
	return c.Amount.StringFixed(0) + " GBP"
}

// plural writes "1 lead", "2 leads".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
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
