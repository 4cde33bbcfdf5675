package main

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/leadqual/leadqual/qualify/backtest"
)

// The charts of a report section beyond the funnel and the rule lift.
// Each mark carries its numbers in data- attributes (the tests read them
// back) and in a tooltip.

// deciles draws the conversion rate of each score band, or says why there
// is nothing to draw.
func (s section) deciles(pr func(string, ...any), sc backtest.Score, base backtest.Stat) {
	const (
		width, height, left, top, bottom = 340.0, 230.0, 40.0, 46.0, 30.0
	)
	if sc.Constant() {
		what := fmt.Sprintf("%s is %s for every lead", sc.Name, num(sc.Min))
		if len(sc.Deciles) == 0 {
			what = "no lead was judged"
		}
		pr("<p class=\"note\" data-chart=\"deciles\" data-section=\"%s\" data-score=\"%s\" data-constant=\"true\"><b>%s</b>: %s, so it tells no lead apart: no chart, and no AUC.</p>\n",
			esc(s.id), esc(sc.Name), esc(sc.Name), esc(what))
		return
	}
	plotH := height - top - bottom
	top_ := 0.0
	for _, b := range sc.Deciles {
		if b.Rate.Defined() {
			top_ = math.Max(top_, float64(b.Rate))
		}
	}
	if base.Defined() {
		top_ = math.Max(top_, float64(base))
	}
	if top_ == 0 {
		top_ = 1
	}
	top_ *= 1.15
	y := func(rate float64) float64 { return top + plotH*(1-rate/top_) }
	pr("<svg width=\"%s\" height=\"%s\" viewBox=\"0 0 %s %s\" role=\"img\" data-chart=\"deciles\" data-section=\"%s\" data-score=\"%s\" data-auc=\"%s\" data-auc-low=\"%s\" data-auc-high=\"%s\" data-auc-error=\"%s\">\n",
		px(width), px(height), px(width), px(height), esc(s.id), esc(sc.Name), exact(float64(sc.AUC)), exact(float64(sc.AUCLow)), exact(float64(sc.AUCHigh)), exact(sc.AUCError))
	title := sc.Name + " · AUC " + auc3(sc.AUC)
	if sc.AUCLow.Defined() {
		title += " (" + auc3(sc.AUCLow) + "–" + auc3(sc.AUCHigh) + ")"
	}
	if !sc.Exact {
		title += " ± " + num(sc.AUCError)
	}
	sub := ""
	if sc.AUC.Defined() {
		sub = fmt.Sprintf("converted outranks unconverted %s of the time", pct0(float64(sc.AUC)))
	}
	pr("<title>Conversion by %s decile</title>\n<text x=\"%s\" y=\"16\">%s</text>\n<text class=\"small\" x=\"%s\" y=\"31\">%s</text>\n",
		esc(sc.Name), px(left), esc(title), px(left), esc(sub))
	pr("<line class=\"axis\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>\n", px(left), px(top+plotH), px(width-10), px(top+plotH))
	n := max(len(sc.Deciles), 1)
	slot := (width - left - 10) / float64(n)
	for i, b := range sc.Deciles {
		if !b.Rate.Defined() {
			continue
		}
		x := left + slot*float64(i) + slot*0.15
		yb := y(float64(b.Rate))
		class := "rate"
		shared := ""
		if b.Shared {
			class, shared = "shared", "; shares its score with a neighbouring band"
		}
		tip := fmt.Sprintf("decile %d, %s %s to %s: %d leads, %s converted (%s), lift %s%s", b.Decile, sc.Name, num(b.Lo), num(b.Hi), b.Leads, num(b.Conversions), b.Rate.Percent(), b.Lift, shared)
		pr("<rect class=\"%s\" x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" data-chart=\"deciles\" data-section=\"%s\" data-score=\"%s\" data-decile=\"%d\" data-lo=\"%s\" data-hi=\"%s\" data-leads=\"%d\" data-conversions=\"%s\" data-rate=\"%s\" data-shared=\"%t\"><title>%s</title></rect>\n",
			class, px(x), px(yb), px(slot*0.7), px(top+plotH-yb), esc(s.id), esc(sc.Name), b.Decile, exact(b.Lo), exact(b.Hi), b.Leads, exact(b.Conversions), exact(float64(b.Rate)), b.Shared, esc(tip))
		pr("<text class=\"small\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">%d</text>\n", px(x+slot*0.35), px(top+plotH+14), b.Decile)
		pr("<text class=\"small\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s</text>\n", px(x+slot*0.35), px(yb-3), esc(pct0(float64(b.Rate))))
	}
	if base.Defined() {
		yb := y(float64(base))
		pr("<line class=\"base\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" data-chart=\"deciles\" data-section=\"%s\" data-score=\"%s\" data-base-rate=\"%s\"><title>base rate %s</title></line>\n",
			px(left), px(yb), px(width-10), px(yb), esc(s.id), esc(sc.Name), exact(float64(base)), esc(base.Percent()))
	}
	pr("<text class=\"small\" x=\"4\" y=\"%s\">%s</text>\n", px(top+4), esc(pct0(top_)))
	pr("<text class=\"small\" x=\"4\" y=\"%s\">0%%</text>\n", px(top+plotH))
	pr("</svg>\n")
}

// auc3 writes an AUC with three decimals.
func auc3(s backtest.Stat) string {
	if !s.Defined() {
		return "-"
	}
	return strconv.FormatFloat(float64(s), 'f', 3, 64)
}

// verdicts draws the conversion rate of each verdict: need against
// interest at a glance.
func (s section) verdicts(pr func(string, ...any)) {
	r := s.report
	const (
		width, label, bar, row = 760.0, 150.0, 330.0, 30.0
	)
	most := 0.0
	for _, g := range r.Verdicts {
		if g.Rate.Defined() {
			most = math.Max(most, float64(g.Rate))
		}
	}
	if r.BaseRate.Defined() {
		most = math.Max(most, float64(r.BaseRate))
	}
	if most == 0 {
		most = 1
	}
	height := row*float64(len(r.Verdicts)) + 24
	pr("<svg width=\"%s\" height=\"%s\" viewBox=\"0 0 %s %s\" role=\"img\" data-chart=\"verdicts\" data-section=\"%s\" data-need-over-interest=\"%s\">\n",
		px(width), px(height), px(width), px(height), esc(s.id), exact(float64(r.NeedOverInterest)))
	pr("<title>Conversion rate by verdict</title>\n")
	if r.BaseRate.Defined() {
		x := label + bar*float64(r.BaseRate)/most
		pr("<line class=\"base\" x1=\"%s\" y1=\"4\" x2=\"%s\" y2=\"%s\"><title>average %s</title></line>\n", px(x), px(x), px(height-18), esc(r.BaseRate.Percent()))
		pr("<text class=\"small\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">average %s</text>\n", px(x), px(height-6), esc(r.BaseRate.Percent()))
	}
	for i, g := range r.Verdicts {
		y := 8 + row*float64(i)
		w := 0.0
		if g.Rate.Defined() {
			w = bar * float64(g.Rate) / most
		}
		class := "neutral"
		switch g.Name {
		case "need":
			class = "good"
		case "out_of_scope":
			class = "bad"
		}
		tip := fmt.Sprintf("%s: %d leads, %d converted (%s), lift %s", g.Name, g.Leads, g.Conversions, g.Rate.Percent(), g.Lift)
		pr("<text x=\"%s\" y=\"%s\" text-anchor=\"end\">%s</text>\n", px(label-8), px(y+17), esc(g.Name))
		pr("<rect class=\"%s\" x=\"%s\" y=\"%s\" width=\"%s\" height=\"22\" data-chart=\"verdicts\" data-section=\"%s\" data-verdict=\"%s\" data-leads=\"%d\" data-conversions=\"%d\" data-rate=\"%s\"><title>%s</title></rect>\n",
			class, px(label), px(y), px(math.Max(w, 1)), esc(s.id), esc(g.Name), g.Leads, g.Conversions, exact(float64(g.Rate)), esc(tip))
		text := fmt.Sprintf("%s of %d leads", g.Rate.Percent(), g.Leads)
		if g.Name == "need" && r.NeedOverInterest.Defined() {
			text += fmt.Sprintf(": %s× interest", strconv.FormatFloat(float64(r.NeedOverInterest), 'g', 3, 64))
		}
		pr("<text x=\"%s\" y=\"%s\">%s</text>\n", px(label+math.Max(w, 1)+8), px(y+17), esc(text))
	}
	pr("</svg>\n")
}

// reliability draws predicted against observed conversion, band by band.
func (s section) reliability(pr func(string, ...any), rel *backtest.Reliability) {
	const (
		size, left, bottom, top = 300.0, 44.0, 30.0, 10.0
	)
	most := 0.0
	for _, b := range rel.Bands {
		most = math.Max(most, b.Mean)
		if b.Rate.Defined() {
			most = math.Max(most, float64(b.Rate))
		}
	}
	most = math.Min(1, math.Max(most*1.1, 0.01))
	plot := size - left - 10
	xy := func(v float64) float64 { return v / most * plot }
	w, h := size, plot+top+bottom
	pr("<svg width=\"%s\" height=\"%s\" viewBox=\"0 0 %s %s\" role=\"img\" data-chart=\"reliability\" data-section=\"%s\" data-brier=\"%s\">\n",
		px(w), px(h), px(w), px(h), esc(s.id), exact(float64(rel.Brier)))
	pr("<title>Predicted against observed conversion</title>\n")
	y0 := top + plot
	pr("<line class=\"axis\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>\n", px(left), px(y0), px(left+plot), px(y0))
	pr("<line class=\"axis\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>\n", px(left), px(top), px(left), px(y0))
	pr("<line class=\"diagonal\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>\n", px(left), px(y0), px(left+plot), px(top))
	for _, b := range rel.Bands {
		if !b.Rate.Defined() {
			continue
		}
		tip := fmt.Sprintf("band %d: %d leads, predicted %s, observed %s", b.Decile, b.Leads, backtest.Stat(b.Mean).Percent(), b.Rate.Percent())
		pr("<circle class=\"band\" cx=\"%s\" cy=\"%s\" r=\"5\" data-chart=\"reliability\" data-section=\"%s\" data-band=\"%d\" data-predicted=\"%s\" data-observed=\"%s\" data-leads=\"%d\"><title>%s</title></circle>\n",
			px(left+xy(b.Mean)), px(y0-xy(float64(b.Rate))), esc(s.id), b.Decile, exact(b.Mean), exact(float64(b.Rate)), b.Leads, esc(tip))
	}
	pr("<text class=\"small\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">predicted (up to %s)</text>\n", px(left+plot/2), px(h-6), esc(pct0(most)))
	pr("<text class=\"small\" x=\"4\" y=\"%s\">observed</text>\n", px(top+10))
	pr("</svg>\n")
}

// recycled draws the share of the leads set aside for one reason that
// converted by each time since, with the reason's horizon.
func (s section) recycled(pr func(string, ...any), c backtest.RecycleCurve) {
	const (
		width, height, left, top, bottom = 340.0, 220.0, 40.0, 40.0, 34.0
	)
	plotW, plotH := width-left-14, height-top-bottom
	last := float64(backtest.RecycleDays[len(backtest.RecycleDays)-1])
	// Days on a square-root scale, so that the first weeks are legible.
	x := func(days float64) float64 { return left + plotW*math.Sqrt(math.Min(days, last)/last) }
	most := 0.0
	for _, p := range c.Steps {
		most = math.Max(most, float64(p.Converted))
	}
	if most == 0 {
		most = 0.1
	}
	most *= 1.15
	y := func(v float64) float64 { return top + plotH*(1-v/most) }
	horizon := ""
	switch {
	case c.Final:
		horizon = "final: never called again"
	case c.Horizon > 0:
		horizon = fmt.Sprintf("horizon %s: %s converted by then", days(c.Horizon), c.AtHorizon.Percent())
	default:
		horizon = "no horizon known"
	}
	pr("<svg width=\"%s\" height=\"%s\" viewBox=\"0 0 %s %s\" role=\"img\" data-chart=\"recycled\" data-section=\"%s\" data-reason=\"%s\" data-leads=\"%d\" data-conversions=\"%d\" data-horizon-days=\"%s\" data-at-horizon=\"%s\">\n",
		px(width), px(height), px(width), px(height), esc(s.id), esc(string(c.Reason)), c.Leads, c.Conversions,
		strconv.Itoa(int(c.Horizon/(24*time.Hour))), exact(float64(c.AtHorizon)))
	pr("<title>Conversion since the recycle: %s</title>\n", esc(string(c.Reason)))
	pr("<text x=\"%s\" y=\"16\">%s · %d leads</text>\n<text class=\"small\" x=\"%s\" y=\"31\">%s</text>\n",
		px(left), esc(string(c.Reason)), c.Leads, px(left), esc(horizon))
	pr("<line class=\"axis\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>\n", px(left), px(top+plotH), px(left+plotW), px(top+plotH))
	// The curve is a step function: flat between the days leads converted,
	// up to the longest following.
	level := 0.0
	points := fmt.Sprintf("%s,%s", px(x(0)), px(y(0)))
	for _, st := range c.Steps {
		sx := x(float64(st.Days))
		points += fmt.Sprintf(" %s,%s %s,%s", px(sx), px(y(level)), px(sx), px(y(float64(st.Converted))))
		level = float64(st.Converted)
	}
	points += fmt.Sprintf(" %s,%s", px(x(float64(c.Followed))), px(y(level)))
	pr("<polyline class=\"curve\" points=\"%s\"/>\n", points)
	for _, p := range c.Points {
		if !p.Converted.Defined() {
			continue
		}
		cx, cy := x(float64(p.Days)), y(float64(p.Converted))
		tip := fmt.Sprintf("%d days after the recycle: %s converted; %d leads still followed", p.Days, p.Converted.Percent(), p.AtRisk)
		pr("<circle class=\"band\" cx=\"%s\" cy=\"%s\" r=\"3\" data-chart=\"recycled\" data-section=\"%s\" data-reason=\"%s\" data-days=\"%d\" data-converted=\"%s\" data-at-risk=\"%d\"><title>%s</title></circle>\n",
			px(cx), px(cy), esc(s.id), esc(string(c.Reason)), p.Days, exact(float64(p.Converted)), p.AtRisk, esc(tip))
	}
	for _, d := range []int{7, 30, 90, 365, 730} {
		pr("<text class=\"small\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">%dd</text>\n", px(x(float64(d))), px(top+plotH+14), d)
	}
	if c.Horizon > 0 && !c.Final {
		hx := x(c.Horizon.Hours() / 24)
		pr("<line class=\"horizon\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"><title>%s</title></line>\n", px(hx), px(top-4), px(hx), px(top+plotH), esc(horizon))
	}
	pr("<text class=\"small\" x=\"4\" y=\"%s\">%s</text>\n", px(top+4), esc(pct0(most)))
	pr("<text class=\"small\" x=\"4\" y=\"%s\">0%%</text>\n", px(top+plotH))
	pr("</svg>\n")
}

// days writes a duration in days ("90d").
func days(d time.Duration) string { return strconv.Itoa(int(d/(24*time.Hour))) + "d" }

// aucs draws the held-out AUC of the current and the proposed policies'
// decisions, and of the logistic regression on every rule, each with its
// interval.
func aucs(pr func(string, ...any), c *backtest.Calibration) {
	type bar struct {
		name, what     string
		auc, low, high backtest.Stat
	}
	a, _ := c.Held.A.Score("decision")
	b, _ := c.Held.B.Score("decision")
	bars := []bar{
		{"current", "the current policy's decision", a.AUC, a.AUCLow, a.AUCHigh},
		{"proposed", "the proposed policy's decision", b.AUC, b.AUCLow, b.AUCHigh},
		{"logistic", "a logistic regression on every rule", c.Logistic.AUC, c.Logistic.AUCLow, c.Logistic.AUCHigh},
	}
	const (
		width, label, plot, row = 760.0, 250.0, 420.0, 30.0
	)
	// From 0.5 (a coin) to 1 (perfect).
	x := func(v backtest.Stat) float64 { return label + plot*math.Max(0, float64(v)-0.5)/0.5 }
	height := row*float64(len(bars)) + 30
	pr("<svg width=\"%s\" height=\"%s\" viewBox=\"0 0 %s %s\" role=\"img\" data-chart=\"aucs\">\n", px(width), px(height), px(width), px(height))
	pr("<title>Held-out AUC</title>\n")
	for i, r := range bars {
		y := 8 + row*float64(i)
		if !r.auc.Defined() {
			continue
		}
		tip := fmt.Sprintf("%s: AUC %s (95%%: %s to %s) on the held-out leads", r.what, r.auc, r.low, r.high)
		pr("<text x=\"%s\" y=\"%s\" text-anchor=\"end\">%s</text>\n", px(label-8), px(y+17), esc(r.what))
		pr("<rect class=\"rate\" x=\"%s\" y=\"%s\" width=\"%s\" height=\"22\" data-chart=\"aucs\" data-model=\"%s\" data-auc=\"%s\" data-auc-low=\"%s\" data-auc-high=\"%s\"><title>%s</title></rect>\n",
			px(label), px(y), px(math.Max(x(r.auc)-label, 1)), esc(r.name), exact(float64(r.auc)), exact(float64(r.low)), exact(float64(r.high)), esc(tip))
		if r.low.Defined() {
			pr("<line class=\"whisker\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>\n", px(x(r.low)), px(y+11), px(x(r.high)), px(y+11))
		}
		pr("<text x=\"%s\" y=\"%s\">%s</text>\n", px(math.Max(x(r.auc), x(r.high))+8), px(y+17), esc(r.auc.String()))
	}
	base := 8 + row*float64(len(bars))
	for _, t := range []float64{0.5, 0.6, 0.7, 0.8, 0.9, 1} {
		pr("<text class=\"small\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s</text>\n", px(x(backtest.Stat(t))), px(base+12), num(t))
	}
	pr("</svg>\n")
}
