package backtest

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/leadqual/leadqual/qualify"
)

// textWriter writes sections of text, remembering the first error.
type textWriter struct {
	w   io.Writer
	err error
}

func (t *textWriter) printf(format string, args ...any) {
	if t.err == nil {
		_, t.err = fmt.Fprintf(t.w, format, args...)
	}
}

// table writes rows aligned in columns; cells are separated by tabs.
func (t *textWriter) table(rows []string) {
	if t.err != nil {
		return
	}
	tw := tabwriter.NewWriter(t.w, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		if _, err := io.WriteString(tw, r+"\n"); err != nil {
			t.err = err
			return
		}
	}
	t.err = tw.Flush()
}

func num(f float64) string { return strconv.FormatFloat(f, 'g', 6, 64) }

// interval writes "0.71-0.77", or "-".
func interval(lo, hi Stat) string {
	if !lo.Defined() || !hi.Defined() {
		return "-"
	}
	return strconv.FormatFloat(float64(lo), 'f', 3, 64) + "-" + strconv.FormatFloat(float64(hi), 'f', 3, 64)
}

// WriteText writes the report as readable text: the totals, a table per
// verdict and per route, the scores' deciles and AUC, the rules, the
// findings, the errors and the rewind.
func (r *Report) WriteText(w io.Writer) error {
	t := &textWriter{w: w}
	r.writeText(t)
	return t.err
}

func (r *Report) writeText(t *textWriter) {
	t.printf("Policy %s (%s): %d records, %d judged, %d errored", r.Policy, r.Version, r.Records, r.Leads, r.Errored)
	if r.ErroredConversions > 0 {
		t.printf(" (%d of them converted)", r.ErroredConversions)
	}
	t.printf("\nConversions: %d of %d (base rate %s), won %s", r.Conversions, r.Leads, r.BaseRate.Percent(), r.Won)
	if r.WonUnknown > 0 {
		t.printf("; %d without a won value", r.WonUnknown)
	}
	t.printf("\n\n")
	groups := func(title string, gs []Group) {
		rows := []string{title + "\tleads\tconversions\trate\tlift\trecall\twon"}
		for _, g := range gs {
			rows = append(rows, fmt.Sprintf("%s\t%d\t%d\t%s\t%s\t%s\t%s", g.Name, g.Leads, g.Conversions, g.Rate.Percent(), g.Lift, g.Recall.Percent(), g.Won))
		}
		t.table(rows)
		t.printf("\n")
	}
	groups("verdict", r.Verdicts)
	t.printf("Need over interest: %s\n\n", r.NeedOverInterest)
	groups("route", slices.Concat(r.Routes, []Group{r.Qualified}))
	sales := r.Route(qualify.RouteSales)
	t.printf("Sales route: precision %s (of the %d leads sent to sales, %d converted), recall %s (of the %d conversions)\n\n",
		sales.Rate.Percent(), sales.Leads, sales.Conversions, sales.Recall.Percent(), r.Conversions)

	rows := []string{"score\tAUC\t95% interval\t±\tmin\tmax\tconversion by decile (equal counts), lowest scores first"}
	for _, s := range r.Scores {
		var ds []string
		for _, b := range s.Deciles {
			ds = append(ds, fmt.Sprintf("%d:%s", b.Decile, b.Rate.Percent()))
		}
		bands := strings.Join(ds, " ")
		if s.Constant() {
			bands = "constant: tells no lead apart"
		}
		rows = append(rows, fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%s", s.Name, s.AUC, interval(s.AUCLow, s.AUCHigh), num(s.AUCError), num(s.Min), num(s.Max), bands))
	}
	t.table(rows)
	t.printf("AUC: the chance that a lead that converted outranks one that did not (0.5 is a coin toss, 1 is perfect).\n\n")
	if rel := r.Reliability; rel != nil {
		var ds []string
		for _, b := range rel.Bands {
			ds = append(ds, fmt.Sprintf("%d:%s/%s", b.Decile, Stat(b.Mean).Percent(), b.Rate.Percent()))
		}
		t.printf("Reliability (predicted/observed by decile of probability): %s\nPredicted %s on average, observed %s; Brier score %s\n\n",
			strings.Join(ds, " "), rel.Predicted.Percent(), r.BaseRate.Percent(), rel.Brier)
	}

	rows = []string{"rule\teffect\tfired\trate fired\trate not fired\tlift\tz\tmean points"}
	for _, s := range r.Rules {
		rows = append(rows, fmt.Sprintf("%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s", s.Rule, s.Effect, s.Fired,
			s.RateFired.Percent(), s.RateNotFired.Percent(), s.Lift, s.Z, s.MeanPoints))
	}
	t.table(rows)
	t.printf("\n")
	if len(r.Findings) > 0 {
		t.printf("Findings:\n")
		for _, f := range r.Findings {
			sig := ""
			if (f.Kind == Hurts || f.Kind == Backwards) && !f.Significant {
				sig = " (not significant)"
			}
			t.printf("  %s %s: %s%s\n", f.Kind, f.Rule, f.Message, sig)
		}
		t.printf("\n")
	}
	if r.Errored > 0 {
		t.printf("Errors: %d\n", r.Errored)
		for _, c := range r.ErrorsByCause {
			t.printf("  %6d  %s\n", c.Count, c.Cause)
		}
		for i := range r.Errors {
			t.printf("  %s\n", r.Errors[i].Error())
		}
		if n := r.Errored - len(r.Errors); n > 0 {
			t.printf("  ... and %d more\n", n)
		}
		t.printf("\n")
	}
	r.writeRecycled(t)
	rw := &r.Rewind
	t.printf("Rewound to the decision time: %d leads had data from after it", rw.Leads)
	var parts []string
	for _, p := range []struct {
		n    int
		what string
	}{
		{rw.Activities, "later activities dropped"}, {rw.UndatedActivities, "undated activities dropped"},
		{rw.Interests, "later interests dropped"}, {rw.InterestsMovedBack, "interests moved back"},
		{rw.UndatedInterests, "undated interests dropped"}, {rw.Moves, "later stage moves dropped"},
		{rw.Stages, "stages rewound"}, {rw.StagesAssumed, "stages unknown, taken as new"},
		{rw.LostReasons, "lost reasons cleared"}, {rw.Consents, "later consents reset"}, {rw.Updated, "update times moved back"},
	} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	if len(parts) > 0 {
		t.printf(": %s", strings.Join(parts, ", "))
	}
	t.printf("\n")
	if rw.StagesUndated > 0 {
		t.printf("Warning: %d leads have neither a stage history nor updated_at: their stage and lost reason are taken as they are today,\n"+
			"which is the future if they changed after the decision time (give the history or updated_at to rewind them)\n", rw.StagesUndated)
	}
}

// writeRecycled writes the recycle curves: per reason, the share converted
// by each time since the recycle, and the horizon.
func (r *Report) writeRecycled(t *textWriter) {
	if len(r.Recycled) == 0 {
		return
	}
	head := "recycled for\tleads\tconverted\thorizon\tby then"
	for _, d := range RecycleDays {
		head += "\t" + strconv.Itoa(d) + "d"
	}
	rows := []string{head}
	for _, c := range r.Recycled {
		h := "-"
		switch {
		case c.Final:
			h = "final"
		case c.Horizon > 0:
			h = strconv.Itoa(int(c.Horizon/(24*time.Hour))) + "d"
		}
		row := fmt.Sprintf("%s\t%d\t%d\t%s\t%s", c.Reason, c.Leads, c.Conversions, h, c.AtHorizon.Percent())
		for _, p := range c.Points {
			row += "\t" + p.Converted.Percent()
		}
		rows = append(rows, row)
	}
	t.printf("Conversion by time since the recycle, for each lost reason (Kaplan-Meier: a lead counts for as long as the history follows it):\n")
	t.table(rows)
	for _, c := range r.Recycled {
		if c.UnknownTime > 0 {
			t.printf("  %s: %d conversions without a time (no converted_at, no move to won) left out\n", c.Reason, c.UnknownTime)
		}
	}
	t.printf("\n")
}

// WriteText writes the comparison as readable text: what changed, the
// transition tables, the totals side by side, and the sample of changed
// leads.
func (c *Comparison) WriteText(w io.Writer) error {
	t := &textWriter{w: w}
	c.writeText(t)
	return t.err
}

func (c *Comparison) writeText(t *textWriter) {
	t.printf("A: %s (%s)\nB: %s (%s)\n", c.A.Policy, c.A.Version, c.B.Policy, c.B.Version)
	t.printf("%d leads judged by both: %d changed verdict, route or qualification; %d changed scores", c.Leads, c.Changed, c.ScoresChanged)
	if c.OnlyAErrored+c.OnlyBErrored > 0 {
		t.printf("; %d errored only under A, %d only under B", c.OnlyAErrored, c.OnlyBErrored)
	}
	t.printf("\n\n")
	rows := []string{"\tA leads\tA rate\tA lift\tA recall\tB leads\tB rate\tB lift\tB recall"}
	side := func(name string, a, b Group) {
		rows = append(rows, fmt.Sprintf("%s\t%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s", name, a.Leads, a.Rate.Percent(), a.Lift, a.Recall.Percent(),
			b.Leads, b.Rate.Percent(), b.Lift, b.Recall.Percent()))
	}
	for i := range c.A.Verdicts {
		side("verdict "+c.A.Verdicts[i].Name, c.A.Verdicts[i], c.B.Verdicts[i])
	}
	for i := range c.A.Routes {
		side("route "+c.A.Routes[i].Name, c.A.Routes[i], c.B.Routes[i])
	}
	side("marketing qualified", c.A.Qualified, c.B.Qualified)
	t.table(rows)
	rows = []string{"\tA AUC\t95% interval\tB AUC\t95% interval"}
	for i := range c.A.Scores {
		a, b := &c.A.Scores[i], &c.B.Scores[i]
		rows = append(rows, fmt.Sprintf("%s\t%s\t%s\t%s\t%s", a.Name, a.AUC, interval(a.AUCLow, a.AUCHigh), b.AUC, interval(b.AUCLow, b.AUCHigh)))
	}
	t.printf("\n")
	t.table(rows)
	t.printf("\n")
	shifts := func(title string, ss []Shift) {
		rows := []string{title + " A -> B\tleads\tconversions\trate\twon"}
		for _, s := range ss {
			if s.From == s.To {
				continue
			}
			rows = append(rows, fmt.Sprintf("%s -> %s\t%d\t%d\t%s\t%s", s.From, s.To, s.Leads, s.Conversions, s.Rate.Percent(), s.Won))
		}
		if len(rows) == 1 {
			t.printf("No %s changed.\n\n", title)
			return
		}
		t.table(rows)
		t.printf("\n")
	}
	shifts("verdict", c.Verdicts)
	shifts("route", c.Routes)
	if len(c.Changes) > 0 {
		t.printf("A sample of the changed leads:\n")
		rows := []string{"lead\tdecided\tconverted\tA\tB\tadded\tremoved\tchanged"}
		for _, ch := range c.Changes {
			rows = append(rows, fmt.Sprintf("%s\t%s\t%t\t%s\t%s\t%s\t%s\t%s", ch.Lead, ch.At.Format("2006-01-02"), ch.Converted,
				sideText(ch.A), sideText(ch.B), strings.Join(ch.Added, " "), strings.Join(ch.Removed, " "), strings.Join(ch.Changed, " ")))
		}
		t.table(rows)
	}
}

// clip shortens an expression for a table cell.
func clip(s string) string {
	const n = 32
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}

func sideText(s Side) string {
	q := ""
	if s.Qualified {
		q = " mql"
	}
	return fmt.Sprintf("%s/%s%s fit %s eng %s", s.Verdict, s.Route, q, num(s.Fit), num(s.Engagement))
}

// WriteText writes the calibration as readable text: the fit, the
// proposed points and thresholds, the need rules, the yardstick, and the
// before/after comparison on the held-out part.
func (c *Calibration) WriteText(w io.Writer) error {
	t := &textWriter{w: w}
	t.printf("Calibration: fitted on %d records, reported on %d held out\n", c.Fitting, c.HeldOut)
	conv := "converged"
	if !c.Fit.Converged {
		conv = "NOT converged"
	}
	t.printf("Points: a logistic regression of conversion on every points rule at once, on %d combinations of rule values; penalty %s (%s); %d iterations, %s\n\n",
		c.Fit.Patterns, num(c.Fit.Penalty), c.Fit.PenaltyFrom, c.Fit.Iterations, conv)
	rows := []string{"points rule\tdimension\tbefore\tafter\tweight\talone\tfired\tconversions"}
	var notes []string
	for _, p := range c.Points {
		rows = append(rows, fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d", p.Rule, p.Dimension, clip(string(p.Before)), clip(string(p.After)),
			p.Weight, p.Alone, p.Fired, p.FiredConversions))
		if p.Note != "" {
			notes = append(notes, fmt.Sprintf("  %s: %s\n", p.Rule, p.Note))
		}
	}
	t.table(rows)
	for _, n := range notes {
		t.printf("%s", n)
	}
	t.printf("(weight: log-odds when the rule fires, fitted with the others; alone: the same for the rule by itself)\n\n")
	if len(c.Needs) > 0 {
		rows = []string{"need rule\tfired\tconversions\tprecision\tupper bound\tdemoted"}
		for _, n := range c.Needs {
			rows = append(rows, fmt.Sprintf("%s\t%d\t%d\t%s\t%s\t%t", n.Rule, n.Fired, n.Conversions, n.Precision.Percent(), n.Upper.Percent(), n.Demoted))
		}
		t.table(rows)
		t.printf("\n")
	}
	th := &c.Thresholds
	if th.Reached {
		t.printf("Marketing-qualified thresholds: fit %s, engagement %s (were %s and %s on the old scale)\n",
			num(float64(th.Fit)), num(float64(th.Engagement)), num(th.BeforeFit), num(th.BeforeEngagement))
		t.printf("Target precision %s (%s) reached on the fitting part: %d leads, %d conversions, precision %s, recall %s\n",
			th.Target.Percent(), th.TargetFrom, th.Leads, th.Conversions, th.Precision.Percent(), th.Recall.Percent())
		t.printf("Held out: %d leads, %d conversions, precision %s, recall %s\n\n",
			th.HeldOutLeads, th.HeldOutConversions, th.HeldOutPrecision.Percent(), th.HeldOutRecall.Percent())
	} else {
		t.printf("Marketing-qualified thresholds: NONE proposed. No thresholds reach the target precision %s (%s) on the fitting part", th.Target.Percent(), th.TargetFrom)
		if th.Best.Defined() {
			t.printf(" (the best with at least %d leads: %s, on %d leads)", th.MinSupport, th.Best.Percent(), th.BestLeads)
		}
		t.printf(";\nthe proposed policy qualifies no lead on scores alone: lower the target, or route by need only\n\n")
	}
	t.printf("Held-out AUC of the decision (need first, out of scope last, the rest by total score): current %s, proposed %s;\n"+
		"a logistic regression on all %d rules (the yardstick): %s (%s)\n",
		aucText(c.Held.A), aucText(c.Held.B), len(c.Logistic.Weights), c.Logistic.AUC, interval(c.Logistic.AUCLow, c.Logistic.AUCHigh))
	rows = []string{"yardstick weight of the rules without points\teffect\tweight"}
	for i, w := range c.Logistic.Weights {
		if e := c.Fitted.Rules[i].Effect; e == "need" || e == "interest" || e == "disqualify" {
			if c.Fitted.Rules[i].Fired > 0 {
				rows = append(rows, fmt.Sprintf("%s\t%s\t%s", w.Rule, e, w.Weight))
			}
		}
	}
	if len(rows) > 1 {
		t.printf("The policy ranks need first and out of scope last, and gives interest rules no points; where the yardstick\n" +
			"weighs these rules otherwise (a disqualify rule above 0, an interest rule far from 0), it ranks better than any policy can:\n")
		t.table(rows)
	}
	t.printf("\n")
	t.printf("On the held-out part, before (A) and after (B):\n")
	c.Held.writeText(t)
	if rel := c.Held.B.Reliability; rel != nil {
		t.printf("\nProposed model's probabilities on the held-out part: predicted %s on average, observed %s; Brier score %s\n",
			rel.Predicted.Percent(), c.Held.B.BaseRate.Percent(), rel.Brier)
	}
	return t.err
}

// aucText writes the AUC of the decision of r, with its interval.
func aucText(r *Report) string {
	s, ok := r.Score("decision")
	if !ok {
		return "-"
	}
	return s.AUC.String() + " (" + interval(s.AUCLow, s.AUCHigh) + ")"
}
