package backtest

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"math"
	"strconv"
	"strings"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// CalibrationConfig configures Calibrate. The zero value is ready to use;
// every zero field means its default, and an out-of-range one is an error
// (ErrConfig) naming it.
type CalibrationConfig struct {
	// Config configures the passes over the history.
	Config
	// Holdout is the share of leads held out to report on, split by a
	// hash of the lead ID and Salt (see HeldOut). Default 0.3; above 0 and
	// below 1.
	Holdout float64
	// Salt changes the split; the same salt gives the same split.
	Salt string
	// Smoothing is the weight, in conversions, of the prior that shrinks
	// each rule's conversion rate toward the base rate before its log-odds
	// are taken: the rate is computed as if the rule had also fired on
	// Smoothing/base-rate leads converting at the base rate. At a base rate
	// of 5% and the default 10, that is 200 leads: a rule that fired on 3
	// leads, all converted, moves its rate from 5% to 6.3%; one that fired
	// on 3000 leads, a tenth converted, from 5% to 9.7%. Default 10.
	Smoothing float64
	// PointsPerDoubling is the scale of the proposed points: a rule that
	// doubles the odds of conversion is worth this many points. Default 10.
	PointsPerDoubling float64
	// NeedPrecision, when set (0 to 1), is the conversion rate a need rule
	// must be able to reach: a need rule whose 95% upper confidence bound
	// (Wilson) on the fitting part is below it becomes an interest rule.
	// Zero leaves every need rule a need rule.
	NeedPrecision float64
	// MQLPrecision is the conversion rate the marketing-qualified leads
	// must reach (0 to 1): the thresholds proposed are those that qualify
	// the most conversions at that precision or better. Zero means the
	// precision of the current policy's marketing-qualified leads on the
	// fitting part, or, when it has fewer than MinSupport of them or they
	// convert no better than the leads the scores decide (Report.Scored),
	// twice the conversion rate of those leads (at most halfway from it to
	// 1).
	MQLPrecision float64
	// MinSupport is the fewest fitting leads a pair of thresholds must
	// qualify for its precision to count. Default 30.
	MinSupport int
	// Name is the proposed policy's name. Default: the policy's name with
	// "-calibrated" appended.
	Name string
}

// The defaults of CalibrationConfig.
const (
	DefaultHoldout           = 0.3
	DefaultSmoothing         = 10
	DefaultPointsPerDoubling = 10
	DefaultMinSupport        = 30
)

func (c CalibrationConfig) withDefaults(p *qualify.Policy) CalibrationConfig {
	c.Config = c.Config.withDefaults()
	c.Holdout = cmp.Or(c.Holdout, DefaultHoldout)
	c.Smoothing = cmp.Or(c.Smoothing, DefaultSmoothing)
	c.PointsPerDoubling = cmp.Or(c.PointsPerDoubling, DefaultPointsPerDoubling)
	c.MinSupport = cmp.Or(c.MinSupport, DefaultMinSupport)
	c.Name = cmp.Or(c.Name, p.Name()+"-calibrated")
	return c
}

func (c CalibrationConfig) validate() error {
	if err := c.Config.validate(); err != nil {
		return err
	}
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("%w: backtest: CalibrationConfig.%s is %v, want %s", ErrConfig, field, v, want)
	}
	switch {
	case !(c.Holdout >= 0 && c.Holdout < 1):
		return bad("Holdout", c.Holdout, "0 (the default) or above 0 and below 1")
	case !(c.Smoothing >= 0 && c.Smoothing <= 1e9):
		return bad("Smoothing", c.Smoothing, "a positive number of conversions")
	case !(c.PointsPerDoubling >= 0 && c.PointsPerDoubling <= 1e6):
		return bad("PointsPerDoubling", c.PointsPerDoubling, "a positive number of points, at most 1e6")
	case !(c.NeedPrecision >= 0 && c.NeedPrecision < 1):
		return bad("NeedPrecision", c.NeedPrecision, "0 (unset) or a rate below 1")
	case !(c.MQLPrecision >= 0 && c.MQLPrecision < 1):
		return bad("MQLPrecision", c.MQLPrecision, "0 (the default) or a rate below 1")
	case c.MinSupport < 0:
		return bad("MinSupport", c.MinSupport, "a positive number of leads")
	}
	return nil
}

// Calibration is a proposed policy, fitted on one part of a history, with
// its report on the other.
type Calibration struct {
	// Spec is the proposal: the policy's spec with new points, thresholds
	// and, with NeedPrecision, need rules demoted to interest. Every rule
	// keeps its name, `when` and reason, so every point still traces to a
	// named rule. Compile it, or store its JSON.
	Spec qualify.Spec `json:"spec"`
	// Fitting and HeldOut are the records of each part.
	Fitting int `json:"fitting"`
	HeldOut int `json:"held_out"`
	// Points lists each points rule's change, in policy order.
	Points []PointsChange `json:"points"`
	// Needs lists each need rule's precision, in policy order, with
	// whether it was demoted (only with NeedPrecision).
	Needs []NeedChange `json:"needs"`
	// Thresholds is the marketing-qualified thresholds' change.
	Thresholds Thresholds `json:"thresholds"`
	// Fitted is the current policy's report on the fitting part: what the
	// proposal was fitted on.
	Fitted *Report `json:"fitted"`
	// Held is the current policy (A) and the proposal (B) side by side on
	// the held-out part: the before/after report, on leads the proposal
	// was not fitted on.
	Held *Comparison `json:"held"`
}

// PointsChange is the proposal for one points rule.
type PointsChange struct {
	// Rule and Dimension name the rule and what its points measure.
	Rule      string            `json:"rule"`
	Dimension qualify.Dimension `json:"dimension"`
	// Before are its points in the policy, After in the proposal.
	Before qualify.Points `json:"before"`
	After  qualify.Points `json:"after"`
	// Weight is the smoothed log-odds ratio of conversion when the rule
	// fires against when it does not (natural logarithm): 0 is no
	// information, ln 2 doubles the odds.
	Weight Stat `json:"weight"`
	// Fired and FiredConversions are counted on the fitting part;
	// RateFired and RateNotFired are the smoothed rates the weight comes
	// from.
	Fired            int  `json:"fired"`
	FiredConversions int  `json:"fired_conversions"`
	RateFired        Stat `json:"rate_fired"`
	RateNotFired     Stat `json:"rate_not_fired"`
	// Note explains anything unusual: a rule that never fired, an
	// expression scaled rather than replaced, a sign that flipped.
	Note string `json:"note,omitempty"`
}

// NeedChange is one need rule's precision on the fitting part.
type NeedChange struct {
	// Rule is the rule's name; it fired on Fired leads of the fitting
	// part, Conversions of which converted.
	Rule        string `json:"rule"`
	Fired       int    `json:"fired"`
	Conversions int    `json:"conversions"`
	// Precision is Conversions over Fired; Upper its Wilson 95% upper
	// bound.
	Precision Stat `json:"precision"`
	Upper     Stat `json:"upper"`
	// Demoted reports that the rule became an interest rule.
	Demoted bool `json:"demoted"`
}

// Thresholds is the change of the marketing-qualified thresholds.
type Thresholds struct {
	// Target is the precision aimed at, and TargetFrom where it came from:
	// "config", "current policy" or "twice the scored rate".
	Target     Stat   `json:"target"`
	TargetFrom string `json:"target_from"`
	// Reached reports that some thresholds reach Target on the fitting
	// part with at least MinSupport leads, their precision smoothed toward
	// the scored rate as the rules' rates are (see Smoothing). When none
	// does, the thresholds are set above every fitted score: no lead
	// qualifies on scores alone, which is the only way to honour the
	// target. When the fitting part has no lead that the scores decide,
	// they are left as they were.
	Reached bool `json:"reached"`
	// BeforeFit and BeforeEngagement are the current thresholds; Fit and
	// Engagement the proposed ones, on the proposed points' scale.
	BeforeFit        float64 `json:"before_fit"`
	BeforeEngagement float64 `json:"before_engagement"`
	Fit              float64 `json:"fit"`
	Engagement       float64 `json:"engagement"`
	// Leads, Conversions and Precision are those of the leads without
	// need or disqualification at or above both proposed thresholds, on the
	// fitting part.
	Leads       int  `json:"leads"`
	Conversions int  `json:"conversions"`
	Precision   Stat `json:"precision"`
}

// Calibrate proposes a new policy from history: points for each points
// rule from its smoothed log-odds of conversion, marketing-qualified
// thresholds that reach a target precision, and (with NeedPrecision) need
// rules demoted when history shows they cannot reach it. It fits on one
// part of the history and reports on the other, held out by a hash of the
// lead ID (see HeldOut), so that reruns agree.
//
// The policy p is never changed: the proposal is a new Spec, in the same
// JSON form, in which every rule keeps its name, its `when` and its
// reason. Constant points are replaced by whole numbers; an expression's
// points are scaled, `(expr) * k`, so that their average when the rule
// fires on the fitting part is the rule's weight. Each weight is computed
// for its rule alone, as in naive Bayes: two rules that fire on the same
// leads both get the credit, so look at Held before switching.
//
// Calibrate ranges over the history three times (fit the points, fit the
// thresholds, report on the held-out part): history must yield the same
// records each time (a slice, or Open over a file; a Reader from
// NewReader reads once). Memory does not grow with the history's length.
func Calibrate(ctx context.Context, p *qualify.Policy, history iter.Seq[Record], cfg CalibrationConfig) (*Calibration, error) {
	if p == nil {
		return nil, ErrNilPolicy
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults(p)
	held := func(r *Record) bool {
		id := ""
		if r.Lead != nil {
			id = r.Lead.ID
		}
		return HeldOut(id, cfg.Salt, cfg.Holdout)
	}
	fitting := func(r *Record) bool { return !held(r) }

	// Pass 1: the current policy on the fitting part.
	e1, err := newEngine(cfg.Config, p)
	if err != nil {
		return nil, err
	}
	w1, total, err := e1.drive(ctx, history, fitting)
	if err != nil {
		return nil, err
	}
	fitted := w1.accs[0].report(w1.rewind)
	if fitted.Conversions == 0 || fitted.Conversions == fitted.Leads {
		return nil, fmt.Errorf("%w: %d conversions among the %d leads judged in the fitting part (%d records of %d)",
			ErrNoSignal, fitted.Conversions, fitted.Leads, fitted.Records, total)
	}
	c := &Calibration{Fitted: fitted, Fitting: fitted.Records, Points: []PointsChange{}, Needs: []NeedChange{}}
	spec := p.Spec()
	spec.Name = cfg.Name
	if err := c.proposeRules(&spec, fitted, &cfg); err != nil {
		return nil, err
	}
	scored, err := qualify.Compile(spec)
	if err != nil {
		return nil, fmt.Errorf("backtest: the proposed points do not compile: %w", err)
	}

	// Pass 2: the proposed points on the fitting part, for the thresholds.
	e2, err := newEngine(cfg.Config, scored)
	if err != nil {
		return nil, err
	}
	e2.grid = func() *grid { return newGrid(gridAxis, gridCells) }
	w2, n, err := e2.drive(ctx, history, fitting)
	if err != nil {
		return nil, err
	}
	if n != total {
		return nil, fmt.Errorf("%w: %d records on the first pass, %d on the second", ErrHistoryChanged, total, n)
	}
	settings := p.Settings()
	c.Thresholds = Thresholds{BeforeFit: settings.MQLFit, BeforeEngagement: settings.MQLEngagement}
	c.Thresholds.Target, c.Thresholds.TargetFrom = mqlTarget(fitted, &cfg)
	prior := float64(w2.accs[0].report(w2.rewind).Scored.Rate)
	c.Thresholds.choose(w2.grid, float64(c.Thresholds.Target), cfg.MinSupport, cfg.Smoothing, prior)
	spec.Settings.MQLFit, spec.Settings.MQLEngagement = c.Thresholds.Fit, c.Thresholds.Engagement
	spec.Description = describe(p, &cfg, fitted, c)
	proposal, err := qualify.Compile(spec)
	if err != nil {
		return nil, fmt.Errorf("backtest: the proposed policy does not compile: %w", err)
	}
	c.Spec = spec

	// Pass 3: both policies side by side on the held-out part.
	e3, err := newEngine(cfg.Config, p, proposal)
	if err != nil {
		return nil, err
	}
	e3.compare = true
	w3, n, err := e3.drive(ctx, history, held)
	if err != nil {
		return nil, err
	}
	if n != total {
		return nil, fmt.Errorf("%w: %d records on the first pass, %d on the third", ErrHistoryChanged, total, n)
	}
	c.Held = w3.comparison()
	c.HeldOut = c.Held.A.Records
	return c, nil
}

// The bounds of the (fit, engagement) histogram of the thresholds.
const (
	gridAxis  = 256
	gridCells = 4096
)

// proposeRules sets the points of every points rule of spec, and demotes
// need rules, from the fitting report.
func (c *Calibration) proposeRules(spec *qualify.Spec, fitted *Report, cfg *CalibrationConfig) error {
	for i := range spec.Rules {
		r := &spec.Rules[i]
		st := fitted.Rules[i]
		switch {
		case r.Intent == lead.IntentNeed:
			ch := NeedChange{Rule: r.Name, Fired: st.Fired, Conversions: st.FiredConversions,
				Precision: ratio(float64(st.FiredConversions), float64(st.Fired)),
				Upper:     Stat(wilsonUpper(st.FiredConversions, st.Fired))}
			if cfg.NeedPrecision > 0 && float64(ch.Upper) < cfg.NeedPrecision {
				ch.Demoted = true
				r.Intent = lead.IntentInterest
			}
			c.Needs = append(c.Needs, ch)
		case r.Points != "":
			// Fitted on the leads the scores decide (see RuleStats.Scored).
			sc := st.Scored
			n, conv := float64(sc.Fired+sc.NotFired), float64(sc.FiredConversions+sc.NotFiredConversions)
			if n == 0 || conv == 0 || conv == n {
				// No lead the scores decide, or no contrast: fall back on all.
				sc = Counts{Fired: st.Fired, FiredConversions: st.FiredConversions, NotFired: st.NotFired, NotFiredConversions: st.NotFiredConversions}
				n, conv = float64(fitted.Leads), float64(fitted.Conversions)
			}
			base := conv / n
			m := cfg.Smoothing / base
			c1, n1 := float64(sc.FiredConversions), float64(sc.Fired)
			p1 := (c1 + m*base) / (n1 + m)
			p0 := (conv - c1 + m*base) / (n - n1 + m)
			w := logit(p1) - logit(p0)
			target := cfg.PointsPerDoubling * w / math.Ln2
			ch := PointsChange{Rule: r.Name, Dimension: r.Dimension, Before: r.Points, Weight: Stat(w),
				Fired: sc.Fired, FiredConversions: sc.FiredConversions, RateFired: Stat(p1), RateNotFired: Stat(p0)}
			ch.After, ch.Note = proposePoints(r, target, sc.Fired, st.MeanPoints, spec.Settings)
			r.Points = ch.After
			c.Points = append(c.Points, ch)
		}
	}
	return nil
}

// proposePoints returns the points of rule r whose weight, in points, is
// target. fired is how often it fired on the leads it was fitted on, and
// mean its average points when it fired.
func proposePoints(r *qualify.Rule, target float64, fired int, mean Stat, settings qualify.Settings) (qualify.Points, string) {
	var notes []string
	if fired == 0 {
		return "0", "never fired on the fitting part (among the leads the scores decide): no evidence, 0 points"
	}
	constant := func() qualify.Points {
		v := math.Round(target) + 0 // no -0
		return qualify.Points(strconv.FormatFloat(v, 'f', -1, 64))
	}
	before, err := strconv.ParseFloat(strings.TrimSpace(string(r.Points)), 64)
	if err == nil {
		after := constant()
		if v, _ := strconv.ParseFloat(string(after), 64); v*before < 0 {
			notes = append(notes, "sign flipped: history says this rule works the other way")
		}
		return after, strings.Join(notes, "; ")
	}
	// An expression: scale it so that its mean when fired is the target.
	if !mean.Defined() || math.Abs(float64(mean)) < 1e-9 {
		return constant(), "the expression averaged 0 points when fired: replaced by a constant"
	}
	k := target / float64(mean)
	scaled := qualify.Points("(" + string(r.Points) + ") * " + strconv.FormatFloat(k, 'g', 4, 64))
	probe := *r
	probe.Points = scaled
	if _, err := qualify.Compile(qualify.Spec{Name: "probe", Settings: settings, Rules: []qualify.Rule{probe}}); err != nil {
		return constant(), "the scaled expression does not compile (" + firstLine(err.Error()) + "): replaced by a constant"
	}
	note := fmt.Sprintf("expression scaled by %s (it averaged %s points when fired)",
		strconv.FormatFloat(k, 'g', 4, 64), strconv.FormatFloat(float64(mean), 'g', 4, 64))
	if k < 0 {
		note += "; sign flipped: history says this rule works the other way"
	}
	return scaled, note
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func logit(p float64) float64 { return math.Log(p / (1 - p)) }

// wilsonUpper is the upper bound of the Wilson 95% interval of c
// successes in n trials; 1 when n is 0.
func wilsonUpper(c, n int) float64 {
	if n == 0 {
		return 1
	}
	const z = 1.959963984540054
	fn := float64(n)
	p := float64(c) / fn
	d := 1 + z*z/fn
	centre := p + z*z/(2*fn)
	half := z * math.Sqrt(p*(1-p)/fn+z*z/(4*fn*fn))
	return math.Min(1, (centre+half)/d)
}

// mqlTarget returns the marketing-qualified precision to aim at.
func mqlTarget(fitted *Report, cfg *CalibrationConfig) (Stat, string) {
	if cfg.MQLPrecision > 0 {
		return Stat(cfg.MQLPrecision), "config"
	}
	s := fitted.Scored.Rate
	if !s.Defined() {
		s = fitted.BaseRate
	}
	if q := fitted.Qualified; q.Leads >= cfg.MinSupport && q.Rate.Defined() && q.Rate > s {
		return q.Rate, "current policy"
	}
	b := float64(s)
	return Stat(math.Min(2*b, (1+b)/2)), "twice the scored rate"
}

// choose sets the thresholds from the (fit, engagement) histogram of the
// fitting part under the proposed points: of the pairs (fit >= f,
// engagement >= e) that qualify at least minSupport leads at target
// precision or better, the one that qualifies the most conversions, then
// the most precise, then the lowest. The precision that must reach the
// target is smoothed like the rules' rates, (c + s) / (n + s/prior) for
// a smoothing of s conversions: the pair chosen is the best of many, and a
// small set of leads that happened to convert would otherwise win.
func (t *Thresholds) choose(g *grid, target float64, minSupport int, s, prior float64) {
	m := 0.0
	if prior > 0 {
		m = s / prior
	}
	fa, ea := g.axes()
	F, E := len(fa.keys), len(ea.keys)
	if F == 0 {
		t.Fit, t.Engagement = nonzero(t.BeforeFit, -1), nonzero(t.BeforeEngagement, -1)
		t.Precision = undefined
		return
	}
	fi := make(map[float64]int, F)
	for i, k := range fa.keys {
		fi[k] = i
	}
	ei := make(map[float64]int, E)
	for j, k := range ea.keys {
		ei[k] = j
	}
	// Suffix sums over a (F+1) x (E+1) table: S[i][j] counts the cells at
	// or above (i, j).
	W := E + 1
	sn := make([]int, (F+1)*W)
	sc := make([]int, (F+1)*W)
	for k, c := range g.cells {
		at := fi[k[0]]*W + ei[k[1]]
		sn[at] += c.n
		sc[at] += c.conv
	}
	for i := F - 1; i >= 0; i-- {
		for j := E - 1; j >= 0; j-- {
			at := i*W + j
			sn[at] += sn[at+W] + sn[at+1] - sn[at+W+1]
			sc[at] += sc[at+W] + sc[at+1] - sc[at+W+1]
		}
	}
	bi, bj := -1, -1
	for i := range F {
		for j := range E {
			n, c := sn[i*W+j], sc[i*W+j]
			if n < minSupport || n == 0 || (float64(c)+m*prior)/(float64(n)+m) < target {
				continue
			}
			if bi < 0 {
				bi, bj = i, j
				continue
			}
			bn, bc := sn[bi*W+bj], sc[bi*W+bj]
			// More conversions; then higher precision (c/n > bc/bn).
			if c > bc || c == bc && c*bn > bc*n {
				bi, bj = i, j
			}
		}
	}
	if bi < 0 {
		t.Reached = false
		t.Fit = nonzero(fa.hi[F-1]+1, fa.hi[F-1])
		t.Engagement = nonzero(ea.hi[E-1]+1, ea.hi[E-1])
		t.Precision = undefined
		return
	}
	t.Reached = true
	below := func(a axis, i int) float64 {
		if i > 0 {
			return a.hi[i-1]
		}
		return a.lo[0] - 1
	}
	t.Fit = roundThreshold(fa.lo[bi], below(fa, bi))
	t.Engagement = roundThreshold(ea.lo[bj], below(ea, bj))
	t.Leads, t.Conversions = sn[bi*W+bj], sc[bi*W+bj]
	t.Precision = ratio(float64(t.Conversions), float64(t.Leads))
}

// roundThreshold returns the number with the fewest decimals in
// (below, t]: on the fitting part it qualifies the same leads as t, and it
// reads better than 13.242250000000002. It is never 0 (see nonzero).
func roundThreshold(t, below float64) float64 {
	for p := -6; p <= 17; p++ {
		scale := math.Pow10(p)
		c := math.Floor(t*scale) / scale
		if p > 0 {
			// Clean the binary noise of the division: 13.2, not 13.200000000000001.
			if v, err := strconv.ParseFloat(strconv.FormatFloat(c, 'f', p, 64), 64); err == nil && v <= t {
				c = v
			}
		}
		if c > below && c <= t {
			return nonzero(c, below)
		}
	}
	return nonzero(t, below)
}

// nonzero returns t, or, when t is 0 (which a policy's settings read as
// "the default"), a number between below and 0 that no fitted score lies
// in.
func nonzero(t, below float64) float64 {
	if t != 0 {
		return t
	}
	if below < 0 {
		return below / 2
	}
	return -0.5
}

func describe(p *qualify.Policy, cfg *CalibrationConfig, fitted *Report, c *Calibration) string {
	var b strings.Builder
	if d := p.Spec().Description; d != "" {
		b.WriteString(d)
		b.WriteString("\n\n")
	}
	fmt.Fprintf(&b, "Calibrated from policy %q (%s) by backtest.Calibrate on %d leads of history "+
		"(held out: %.0f%% by lead ID, salt %q): points are smoothed log-odds of conversion "+
		"(%g points per doubling of the odds, smoothing %g conversions); marketing-qualified thresholds aim at %s precision (%s).",
		p.Name(), p.Version(), fitted.Leads, 100*cfg.Holdout, cfg.Salt, cfg.PointsPerDoubling, cfg.Smoothing,
		c.Thresholds.Target.Percent(), c.Thresholds.TargetFrom)
	for _, n := range c.Needs {
		if n.Demoted {
			fmt.Fprintf(&b, " Rule %q demoted from need to interest (precision %s, upper bound %s, target %s).",
				n.Rule, n.Precision.Percent(), n.Upper.Percent(), Stat(cfg.NeedPrecision).Percent())
		}
	}
	return b.String()
}
