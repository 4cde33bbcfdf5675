package main

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/qualify/backtest"
)

// page is the HTML report: a title, a few lines of summary, one section
// per policy report, and tables (transitions, proposed points). It is
// written by hand, with every text and attribute escaped, so that it is
// also well-formed XML: no script, no style sheet, font or image to
// fetch; the charts are inline SVG, and each bar carries its numbers in
// data- attributes (the tests read them back) and in a tooltip.
type page struct {
	title    string
	intro    []string
	charts   []func(pr func(string, ...any)) // after the intro
	sections []section
	tables   []table
}

type section struct {
	id      string // "A", "B", or "" for a single report
	heading string
	report  *backtest.Report
}

type table struct {
	caption string
	head    []string
	rows    [][]string
}

func reportPage(r *backtest.Report) page {
	return page{
		title:    "Backtest of " + r.Policy,
		sections: []section{{id: "report", heading: r.Policy + " (" + r.Version + ")", report: r}},
	}
}

func comparisonPage(c *backtest.Comparison) page {
	p := page{
		title: "Backtest: " + c.A.Policy + " against " + c.B.Policy,
		intro: []string{fmt.Sprintf("%d leads judged by both policies: %d changed verdict, route or qualification; %d changed scores.",
			c.Leads, c.Changed, c.ScoresChanged)},
		sections: []section{
			{id: "A", heading: "A: " + c.A.Policy + " (" + c.A.Version + ")", report: c.A},
			{id: "B", heading: "B: " + c.B.Policy + " (" + c.B.Version + ")", report: c.B},
		},
	}
	p.tables = append(p.tables, shiftTable("Routes, from A to B", c.Routes), changesTable(c.Changes))
	return p
}

func calibrationPage(c *backtest.Calibration) page {
	th := c.Thresholds
	thresholds := fmt.Sprintf("Marketing-qualified thresholds: fit %s, engagement %s (were %s and %s), chosen on the fitting part for a target precision of %s (%s). "+
		"There, they qualify %d leads at %s precision and %s recall; on the held-out leads, %d at %s precision and %s recall "+
		"(precision: the share of the qualified leads that converted; recall: the share of the conversions among the leads the scores decide that they qualified).",
		th.Fit, th.Engagement, num(th.BeforeFit), num(th.BeforeEngagement), th.Target.Percent(), th.TargetFrom,
		th.Leads, th.Precision.Percent(), th.Recall.Percent(), th.HeldOutLeads, th.HeldOutPrecision.Percent(), th.HeldOutRecall.Percent())
	if !th.Reached {
		thresholds = fmt.Sprintf("Marketing-qualified thresholds: none proposed. No thresholds reach the target precision of %s (%s) on the fitting part",
			th.Target.Percent(), th.TargetFrom)
		if th.Best.Defined() {
			thresholds += fmt.Sprintf("; the best any reach with at least %d leads is %s", th.MinSupport, th.Best.Percent())
		}
		thresholds += ". The proposal qualifies no lead on scores alone: lower the target, or route by need only."
	}
	a, _ := c.Held.A.Score("decision")
	b, _ := c.Held.B.Score("decision")
	p := page{
		title: "Calibration of " + c.Held.A.Policy,
		intro: []string{
			fmt.Sprintf("Fitted on %d records of history, reported on the %d held out (split by lead ID). The points are the weights of a logistic regression of conversion on every points rule at once (penalty %s, from %s), %s points doubling the odds: rules that fire on the same leads share the credit instead of both taking it.",
				c.Fitting, c.HeldOut, num(c.Fit.Penalty), c.Fit.PenaltyFrom, num(math.Round(math.Ln2/c.Model.PerPoint))),
			fmt.Sprintf("On the held-out leads, the proposed policy ranks them with an AUC of %s against %s for the current one; a logistic regression on all %d rules, the best these rules allow, reaches %s. (AUC: pick one lead that converted and one that did not; how often the converted one ranks higher. 0.5 is a coin toss, 1 perfect.)",
				b.AUC, a.AUC, len(c.Logistic.Weights), c.Logistic.AUC),
			thresholds,
		},
		charts: []func(pr func(string, ...any)){func(pr func(string, ...any)) { aucs(pr, c) }},
		sections: []section{
			{id: "A", heading: "Current policy, held-out leads: " + c.Held.A.Policy, report: c.Held.A},
			{id: "B", heading: "Proposed policy, held-out leads: " + c.Held.B.Policy, report: c.Held.B},
		},
	}
	pts := table{caption: "Proposed points (weight: log-odds when the rule fires, fitted with the other rules; alone: the same for the rule by itself)",
		head: []string{"rule", "dimension", "before", "after", "weight", "alone", "fired", "conversions", "note"}}
	for _, x := range c.Points {
		pts.rows = append(pts.rows, []string{x.Rule, x.Dimension.String(), string(x.Before), string(x.After), x.Weight.String(), x.Alone.String(),
			strconv.Itoa(x.Fired), strconv.Itoa(x.FiredConversions), x.Note})
	}
	yard := table{caption: "The yardstick's weights of the rules without points: the policy ranks need first and out of scope last and gives interest no points; where the yardstick weighs them otherwise (a disqualify rule above 0, an interest rule far from 0), it ranks better than any policy can",
		head: []string{"rule", "effect", "weight"}}
	for i, w := range c.Logistic.Weights {
		if st := c.Fitted.Rules[i]; st.Fired > 0 && (st.Effect == "need" || st.Effect == "interest" || st.Effect == "disqualify") {
			yard.rows = append(yard.rows, []string{w.Rule, st.Effect, w.Weight.String()})
		}
	}
	p.tables = append(p.tables, pts, yard, shiftTable("Held-out routes, from current to proposed", c.Held.Routes))
	return p
}

func shiftTable(caption string, ss []backtest.Shift) table {
	t := table{caption: caption, head: []string{"from", "to", "leads", "conversions", "rate", "won"}}
	for _, s := range ss {
		t.rows = append(t.rows, []string{s.From, s.To, strconv.Itoa(s.Leads), strconv.Itoa(s.Conversions), s.Rate.Percent(), s.Won.String()})
	}
	return t
}

func changesTable(cs []backtest.Change) table {
	t := table{caption: "A sample of the changed leads", head: []string{"lead", "decided", "converted", "A", "B", "rules added", "removed", "changed"}}
	for _, c := range cs {
		t.rows = append(t.rows, []string{c.Lead, c.At.Format("2006-01-02 15:04"), strconv.FormatBool(c.Converted),
			c.A.Verdict.String() + " / " + c.A.Route.String(), c.B.Verdict.String() + " / " + c.B.Route.String(),
			strings.Join(c.Added, " "), strings.Join(c.Removed, " "), strings.Join(c.Changed, " ")})
	}
	return t
}

// esc escapes text and attribute values.
func esc(s string) string { return html.EscapeString(s) }

// num writes a number for people: up to 4 significant digits.
func num(f float64) string { return strconv.FormatFloat(f, 'g', 4, 64) }

// exact writes a number for the data- attributes: every digit, or "" when
// it is not finite.
func exact(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return ""
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// px writes a coordinate.
func px(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

const css = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2430; margin: 2em auto; max-width: 1100px; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 2px solid #d8dee8; padding-bottom: 0.2em; margin-top: 2em; }
h3 { font-size: 1.05em; margin: 1.2em 0 0.4em; }
p.note { color: #5b6575; }
p.warning { color: #a3352c; }
.charts { display: flex; flex-wrap: wrap; gap: 1em; }
svg { background: #fafbfc; border: 1px solid #e3e7ee; border-radius: 6px; }
svg text { font: 12px system-ui, sans-serif; fill: #1d2430; }
svg text.small { font-size: 10px; fill: #5b6575; }
rect.leads { fill: #c9d6ea; }
rect.conversions { fill: #2f6fb3; }
rect.rate { fill: #2f6fb3; }
rect.shared { fill: #7fa6d3; }
circle.band { fill: #2f6fb3; }
polyline.curve { fill: none; stroke: #2f6fb3; stroke-width: 2; }
line.horizon { stroke: #c8453a; stroke-width: 1.5; stroke-dasharray: 4 3; }
line.diagonal { stroke: #97a3b6; stroke-width: 1; stroke-dasharray: 3 3; }
line.whisker { stroke: #1d2430; stroke-width: 1.5; }
rect.good { fill: #2e9d5b; }
rect.bad { fill: #c8453a; }
rect.neutral { fill: #97a3b6; }
line.base { stroke: #e08a1e; stroke-width: 1.5; stroke-dasharray: 5 3; }
line.axis { stroke: #5b6575; stroke-width: 1; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border-bottom: 1px solid #e3e7ee; padding: 0.25em 0.7em; text-align: left; vertical-align: top; }
th { background: #f0f3f7; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
ul.findings li.hurts, ul.findings li.backwards { color: #a3352c; }
`

// write writes the page.
func (p page) write(w io.Writer) error {
	b := bufio.NewWriter(w)
	pr := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	pr("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n")
	pr("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n")
	pr("<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n", esc(p.title), css)
	pr("<h1>%s</h1>\n", esc(p.title))
	for _, s := range p.intro {
		pr("<p>%s</p>\n", esc(s))
	}
	for _, c := range p.charts {
		c(pr)
	}
	for _, s := range p.sections {
		s.write(pr)
	}
	for _, t := range p.tables {
		t.write(pr)
	}
	pr("<p class=\"note\">Written by examples/backtest (github.com/leadqual/leadqual/qualify/backtest). Each lead is judged as it was at its decision time; see the package documentation for what that rewinds and what it cannot know.</p>\n")
	pr("</body>\n</html>\n")
	return b.Flush()
}

func (t table) write(pr func(string, ...any)) {
	if len(t.rows) == 0 {
		return
	}
	pr("<h3>%s</h3>\n<table>\n<tr>", esc(t.caption))
	for _, h := range t.head {
		pr("<th>%s</th>", esc(h))
	}
	pr("</tr>\n")
	for _, r := range t.rows {
		pr("<tr>")
		for _, c := range r {
			class := ""
			if _, err := strconv.ParseFloat(strings.TrimSuffix(c, "%"), 64); err == nil {
				class = " class=\"n\""
			}
			pr("<td%s>%s</td>", class, esc(c))
		}
		pr("</tr>\n")
	}
	pr("</table>\n")
}

func (s section) write(pr func(string, ...any)) {
	r := s.report
	pr("<h2 id=\"%s\">%s</h2>\n", esc(s.id), esc(s.heading))
	pr("<p>%d records: %d judged, %d errored. %d conversions (base rate %s), won %s.</p>\n",
		r.Records, r.Leads, r.Errored, r.Conversions, r.BaseRate.Percent(), esc(r.Won.String()))

	pr("<h3>The decision: where the leads went, and which converted</h3>\n")
	sales := r.Route(qualify.RouteSales)
	pr("<p class=\"note\">Each bar is the leads a route received, the dark part those that converted. <b>Precision</b>: of the leads sent to sales, the share that converted (%s). <b>Recall</b>: of all the leads that converted, the share that sales was given (%s). <b>Lift</b>: a group's conversion rate over the average lead's (%s): ×2 converts twice as often.</p>\n",
		esc(sales.Rate.Percent()), esc(sales.Recall.Percent()), esc(r.BaseRate.Percent()))
	s.funnel(pr)
	pr("<h3>Need against interest</h3>\n")
	if n := r.NeedOverInterest; n.Defined() {
		pr("<p class=\"note\">Conversion rate by verdict; the dashed line is the average. Need leads (asking to be helped) convert %s times as often as interest leads (consuming education): the doctrine says need goes to sales now, interest to nurture.</p>\n", esc(num(float64(n))))
	} else {
		pr("<p class=\"note\">Conversion rate by verdict; the dashed line is the average. Need against interest cannot be compared here: one of them has no leads or no conversions.</p>\n")
	}
	s.verdicts(pr)
	vt := table{head: []string{"verdict", "leads", "conversions", "rate (precision)", "lift", "recall", "won"}}
	for _, g := range append(append([]backtest.Group{}, r.Verdicts...), r.Qualified) {
		vt.rows = append(vt.rows, []string{g.Name, strconv.Itoa(g.Leads), strconv.Itoa(g.Conversions), g.Rate.Percent(), g.Lift.String(), g.Recall.Percent(), g.Won.String()})
	}
	vt.write(pr)

	pr("<h3>How well the scores rank the leads</h3>\n")
	pr("<p class=\"note\">Leads sorted by score into ten groups of equal size, lowest first; each bar is the group's conversion rate, the dashed line the average. Where leads with the same score straddle two groups, they are shared between them (lighter bars): the score cannot tell them apart. <b>AUC</b>: pick one lead that converted and one that did not; the AUC is how often the converted one scores higher. 0.5 is a coin toss, 1 a perfect ranking; the interval is where it would likely fall on another history like this one. <b>decision</b> ranks the leads as the policy treats them: need first, out of scope last, the rest by total score.</p>\n<div class=\"charts\">\n")
	for _, sc := range r.Scores {
		s.deciles(pr, sc, r.BaseRate)
	}
	pr("</div>\n")
	if rel := r.Reliability; rel != nil {
		pr("<h3>Are the probabilities right?</h3>\n<p class=\"note\">The leads in ten groups of equal size by the probability the model gives them: each dot is a group, its predicted probability across and the share that converted up. On the diagonal, a probability can be taken at its word. Predicted %s on average, observed %s; Brier score %s (0 is perfect; always predicting the average scores %s).</p>\n",
			esc(rel.Predicted.Percent()), esc(r.BaseRate.Percent()), esc(rel.Brier.String()), esc(backtest.Stat(float64(r.BaseRate)*(1-float64(r.BaseRate))).String()))
		s.reliability(pr, rel)
	}

	pr("<h3>Rule lift</h3>\n<p class=\"note\">Conversion rate of the leads a rule fired on, over the average (log scale, 1 in the middle); points rules are measured among the leads the scores decide. Green: the rule works as meant; red: against it; grey: interest, which routes to nurture.</p>\n")
	s.lift(pr)

	if len(r.Recycled) > 0 {
		pr("<h3>Recycled leads: when do they come back?</h3>\n<p class=\"note\">For each reason a lead was set aside for, the share that converted by each time since (a lead counts for as long as the history follows it); the dashed line is the reason's horizon, when the recycle scheduler calls the lead again. A horizon after most of the conversions calls too late; one long before them calls in vain.</p>\n<div class=\"charts\">\n")
		for _, c := range r.Recycled {
			s.recycled(pr, c)
		}
		pr("</div>\n")
	}

	if len(r.Findings) > 0 {
		pr("<h3>Findings</h3>\n<ul class=\"findings\">\n")
		for _, f := range r.Findings {
			sig := ""
			if (f.Kind == backtest.Hurts || f.Kind == backtest.Backwards) && !f.Significant {
				sig = " (not significant)"
			}
			pr("<li class=\"%s\" data-rule=\"%s\" data-finding=\"%s\"><b>%s</b> %s: %s%s</li>\n",
				esc(f.Kind.String()), esc(f.Rule), esc(f.Kind.String()), esc(f.Rule), esc(f.Kind.String()), esc(f.Message), sig)
		}
		pr("</ul>\n")
	}
	if r.Errored > 0 {
		pr("<h3>Errors</h3>\n<ul>\n")
		for _, c := range r.ErrorsByCause {
			pr("<li>%d: %s</li>\n", c.Count, esc(c.Cause))
		}
		for i := range r.Errors {
			pr("<li>%s</li>\n", esc(r.Errors[i].Error()))
		}
		pr("</ul>\n")
	}
	rw := r.Rewind
	pr("<p class=\"note\">Rewound to the decision time: %d leads had data recorded after it (%d activities, %d stage moves, %d lost reasons, %d interests, %d consents taken away).</p>\n",
		rw.Leads, rw.Activities, rw.Moves, rw.LostReasons, rw.Interests, rw.Consents)
	if rw.StagesUndated > 0 {
		pr("<p class=\"warning\" data-undated=\"%d\">%d leads have neither a stage history nor updated_at: their stage and lost reason are taken as they are today, which is the future if they changed after the decision time.</p>\n",
			rw.StagesUndated, rw.StagesUndated)
	}
}

// funnel draws the leads of each route, with their conversions inside.
func (s section) funnel(pr func(string, ...any)) {
	r := s.report
	groups := append(append([]backtest.Group{}, r.Routes...), r.Qualified)
	const (
		width, label, bar, row = 760.0, 150.0, 380.0, 30.0
	)
	most := 1
	for _, g := range groups {
		most = max(most, g.Leads)
	}
	height := row*float64(len(groups)) + 16
	pr("<svg width=\"%s\" height=\"%s\" viewBox=\"0 0 %s %s\" role=\"img\" data-chart=\"funnel\" data-section=\"%s\">\n",
		px(width), px(height), px(width), px(height), esc(s.id))
	pr("<title>Leads and conversions by route</title>\n")
	for i, g := range groups {
		y := 8 + row*float64(i)
		wl := bar * float64(g.Leads) / float64(most)
		wc := bar * float64(g.Conversions) / float64(most)
		name := g.Name
		if name == "marketing_qualified" {
			name = "marketing qualified"
		}
		tip := fmt.Sprintf("%s: %d leads, %d converted (%s), lift %s, won %s", name, g.Leads, g.Conversions, g.Rate.Percent(), g.Lift, g.Won)
		pr("<text x=\"%s\" y=\"%s\" text-anchor=\"end\">%s</text>\n", px(label-8), px(y+17), esc(name))
		pr("<rect class=\"leads\" x=\"%s\" y=\"%s\" width=\"%s\" height=\"22\" data-chart=\"funnel\" data-section=\"%s\" data-group=\"%s\" data-leads=\"%d\" data-conversions=\"%d\" data-rate=\"%s\" data-lift=\"%s\"><title>%s</title></rect>\n",
			px(label), px(y), px(wl), esc(s.id), esc(g.Name), g.Leads, g.Conversions, exact(float64(g.Rate)), exact(float64(g.Lift)), esc(tip))
		pr("<rect class=\"conversions\" x=\"%s\" y=\"%s\" width=\"%s\" height=\"22\"><title>%s</title></rect>\n", px(label), px(y), px(wc), esc(tip))
		pr("<text x=\"%s\" y=\"%s\">%d leads, %d converted (%s)</text>\n", px(label+max(wl, wc)+8), px(y+17), g.Leads, g.Conversions, esc(g.Rate.Percent()))
	}
	pr("</svg>\n")
}

func pct0(f float64) string { return strconv.FormatFloat(100*f, 'f', 0, 64) + "%" }

// liftOf is the lift the chart shows for a rule: among the leads the
// scores decide for a points rule (as the findings do), over all leads
// otherwise. measure says which.
func liftOf(s backtest.RuleStats) (lift backtest.Stat, fired int, measure string) {
	if (s.Effect == "fit" || s.Effect == "engagement") && s.Scored.Fired > 0 && s.Scored.NotFired > 0 {
		return s.Scored.Lift, s.Scored.Fired, "scored"
	}
	return s.Lift, s.Fired, "all"
}

// lift draws each rule's lift on a log scale around 1.
func (s section) lift(pr func(string, ...any)) {
	r := s.report
	findings := map[string]backtest.FindingKind{}
	for _, f := range r.Findings {
		findings[f.Rule] = f.Kind
	}
	type rowT struct {
		s       backtest.RuleStats
		lift    float64
		fired   int
		measure string
	}
	var rows []rowT
	for _, st := range r.Rules {
		l, fired, m := liftOf(st)
		if st.Fired == 0 || !l.Defined() || l <= 0 {
			continue
		}
		rows = append(rows, rowT{st, float64(l), fired, m})
	}
	const (
		width, label, half, row, doublings = 760.0, 190.0, 230.0, 22.0, 3.0
	)
	height := row*float64(len(rows)) + 40
	mid := label + half
	pr("<svg width=\"%s\" height=\"%s\" viewBox=\"0 0 %s %s\" role=\"img\" data-chart=\"lift\" data-section=\"%s\">\n",
		px(width), px(height), px(width), px(height), esc(s.id))
	pr("<title>Lift of each rule that fired</title>\n")
	for i, x := range rows {
		y := 10 + row*float64(i)
		d := math.Max(-doublings, math.Min(doublings, math.Log2(x.lift)))
		w := math.Abs(d) / doublings * half
		x0 := mid
		if d < 0 {
			x0 = mid - w
		}
		class := "neutral"
		switch {
		case findings[x.s.Rule] == backtest.Hurts || findings[x.s.Rule] == backtest.Backwards:
			class = "bad"
		case x.s.Direction == backtest.Raises && x.lift >= 1 || x.s.Direction == backtest.Lowers && x.lift <= 1:
			class = "good"
		}
		finding := ""
		if k, ok := findings[x.s.Rule]; ok {
			finding = k.String()
		}
		tip := fmt.Sprintf("%s (%s): fired on %d leads, lift %s", x.s.Rule, x.s.Effect, x.fired, num(x.lift))
		if x.measure == "scored" {
			tip += " among the leads the scores decide"
		}
		pr("<text x=\"%s\" y=\"%s\" text-anchor=\"end\">%s</text>\n", px(label-8), px(y+14), esc(x.s.Rule))
		pr("<rect class=\"%s\" x=\"%s\" y=\"%s\" width=\"%s\" height=\"16\" data-chart=\"lift\" data-section=\"%s\" data-rule=\"%s\" data-effect=\"%s\" data-lift=\"%s\" data-fired=\"%d\" data-measure=\"%s\" data-finding=\"%s\"><title>%s</title></rect>\n",
			class, px(x0), px(y), px(math.Max(w, 1)), esc(s.id), esc(x.s.Rule), esc(x.s.Effect), exact(x.lift), x.fired, x.measure, esc(finding), esc(tip))
		tx, anchor := mid+w+6, "start"
		if d < 0 {
			tx, anchor = mid+6, "start"
		}
		pr("<text class=\"small\" x=\"%s\" y=\"%s\" text-anchor=\"%s\">×%s</text>\n", px(tx), px(y+13), anchor, esc(num(x.lift)))
	}
	base := 10 + row*float64(len(rows))
	pr("<line class=\"axis\" x1=\"%s\" y1=\"6\" x2=\"%s\" y2=\"%s\"/>\n", px(mid), px(mid), px(base))
	for _, t := range []struct {
		d    float64
		text string
	}{{-3, "×⅛"}, {-2, "×¼"}, {-1, "×½"}, {0, "×1"}, {1, "×2"}, {2, "×4"}, {3, "×8"}} {
		pr("<text class=\"small\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s</text>\n", px(mid+t.d/doublings*half), px(base+16), esc(t.text))
	}
	pr("</svg>\n")
}
