package backtest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// CalibrationConfig configures Calibrate. The zero value is ready to use;
// every zero field means its default, and an out-of-range one is an error
// (ErrConfig) naming it.
type CalibrationConfig struct {
	// Config configures the passes over the history. Its Model must be
	// nil: Calibrate fits its own (Calibration.Model). Its Leads receives
	// the results of every pass: the current policy on the fitting part,
	// the proposal on the fitting part, then both on the held-out part
	// (LeadResult.Split says which part).
	Config
	// Holdout is the share of leads held out to report on, split by a
	// hash of the lead ID and Salt (see HeldOut). Default 0.3; above 0 and
	// below 1.
	Holdout float64
	// Salt changes the split (and the folds of the cross-validation); the
	// same salt gives the same split.
	Salt string
	// Penalty is the L2 penalty of the logistic regression that fits the
	// points: a Gaussian prior on each rule's log-odds weight, of precision
	// Penalty (standard deviation 1/√Penalty), which keeps a rule seen on a
	// few leads from a weight those leads cannot support. Zero (the
	// default) chooses it by 5-fold cross-validation on the fitting part,
	// among 1 to 100 (1 is scikit-learn's default; a rule that fired on
	// hundreds of leads is hardly shrunk by it).
	Penalty float64
	// PointsPerDoubling is the scale of the proposed points: a rule that
	// doubles the odds of conversion is worth this many points, so that a
	// lead's total reads as log-odds (see Model). Default 10.
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
	// Smoothing is the weight, in conversions, of the prior that shrinks
	// the precision of each pair of thresholds toward the conversion rate
	// of the leads the scores decide before it is held to MQLPrecision: the
	// pair chosen is the best of many, and a small set of leads that
	// happened to convert would otherwise win. Default 10.
	Smoothing float64
	// MaxPatterns bounds the distinct combinations of rule values (which
	// rules matched, and the points of expression rules) that the fit
	// keeps: memory grows with them, never with the history's length. A
	// fitting part with more is an error (ErrTooManyPatterns). Default
	// 1<<18.
	MaxPatterns int
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
	DefaultMaxPatterns       = 1 << 18
)

// ErrTooManyPatterns: the fitting part of a calibration has more distinct
// combinations of rule values than CalibrationConfig.MaxPatterns.
var ErrTooManyPatterns = errors.New("backtest: too many combinations of rule values to fit")

func (c CalibrationConfig) withDefaults(p *qualify.Policy) CalibrationConfig {
	c.Config = c.Config.withDefaults()
	c.Holdout = cmp.Or(c.Holdout, DefaultHoldout)
	c.Smoothing = cmp.Or(c.Smoothing, DefaultSmoothing)
	c.PointsPerDoubling = cmp.Or(c.PointsPerDoubling, DefaultPointsPerDoubling)
	c.MinSupport = cmp.Or(c.MinSupport, DefaultMinSupport)
	c.MaxPatterns = cmp.Or(c.MaxPatterns, DefaultMaxPatterns)
	c.Name = cmp.Or(c.Name, p.Name()+"-calibrated")
	return c
}

func (c CalibrationConfig) validate() error {
	if c.Model != nil {
		return fmt.Errorf("%w: backtest: CalibrationConfig.Config.Model is set: Calibrate fits its own model (Calibration.Model)", ErrConfig)
	}
	if err := c.Config.validate(); err != nil {
		return err
	}
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("%w: backtest: CalibrationConfig.%s is %v, want %s", ErrConfig, field, v, want)
	}
	switch {
	case !(c.Holdout >= 0 && c.Holdout < 1):
		return bad("Holdout", c.Holdout, "0 (the default) or above 0 and below 1")
	case !(c.Penalty >= 0 && c.Penalty <= 1e9):
		return bad("Penalty", c.Penalty, "0 (cross-validated) or a positive precision, at most 1e9")
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
	case c.MaxPatterns < 0:
		return bad("MaxPatterns", c.MaxPatterns, "a positive number of combinations")
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
	// Fit describes the logistic regression the points come from.
	Fit FitSummary `json:"fit"`
	// Points lists each points rule's change, in policy order.
	Points []PointsChange `json:"points"`
	// Needs lists each need rule's precision, in policy order, with
	// whether it was demoted (only with NeedPrecision).
	Needs []NeedChange `json:"needs"`
	// Thresholds is the marketing-qualified thresholds' change.
	Thresholds Thresholds `json:"thresholds"`
	// Model reads the proposal's decisions as probabilities of conversion,
	// fitted on the fitting part with the proposal's rounded points. On
	// the held-out part, Held.B.Reliability shows how well it holds; give
	// it to Run (Config.Model) to check it on later history.
	Model Model `json:"model"`
	// Logistic is the yardstick: a logistic regression on every rule of
	// the current policy at once (need, interest and disqualify rules
	// included), fitted on the fitting part and scored on the held-out
	// part. No policy built from these rules ranks leads much better; the
	// proposal's "decision" AUC on the held-out part (Held.B) is to be read
	// beside it.
	Logistic Yardstick `json:"logistic"`
	// Fitted is the current policy's report on the fitting part: what the
	// proposal was fitted on.
	Fitted *Report `json:"fitted"`
	// Held is the current policy (A) and the proposal (B) side by side on
	// the held-out part: the before/after report, on leads the proposal
	// was not fitted on.
	Held *Comparison `json:"held"`
}

// FitSummary describes a logistic regression of Calibrate.
type FitSummary struct {
	// Penalty is the L2 penalty used, and PenaltyFrom where it came from:
	// "config" or "cross-validation".
	Penalty     float64 `json:"penalty"`
	PenaltyFrom string  `json:"penalty_from"`
	// Patterns is the number of distinct combinations of rule values on
	// the fitting part: the rows the regression was fitted on.
	Patterns int `json:"patterns"`
	// Iterations of Newton's method, and whether it converged.
	Iterations int  `json:"iterations"`
	Converged  bool `json:"converged"`
}

// Yardstick is a logistic regression on the rules of a policy, the
// ranking a policy of those rules can hope to approach.
type Yardstick struct {
	// Fit describes the regression, fitted on the fitting part.
	Fit FitSummary `json:"fit"`
	// Weights are the log-odds weights of each rule, in policy order.
	Weights []RuleWeight `json:"weights"`
	// AUC is its area under the ROC curve on the held-out part, with the
	// 95% bootstrap interval (see Config.Bootstrap).
	AUC     Stat `json:"auc"`
	AUCLow  Stat `json:"auc_low"`
	AUCHigh Stat `json:"auc_high"`
}

// RuleWeight is one rule's weight in a regression.
type RuleWeight struct {
	Rule   string `json:"rule"`
	Weight Stat   `json:"weight"` // log-odds per unit of the rule's value (1 when it fires)
}

// PointsChange is the proposal for one points rule.
type PointsChange struct {
	// Rule and Dimension name the rule and what its points measure.
	Rule      string            `json:"rule"`
	Dimension qualify.Dimension `json:"dimension"`
	// Before are its points in the policy, After in the proposal.
	Before qualify.Points `json:"before"`
	After  qualify.Points `json:"after"`
	// Weight is the rule's weight in the logistic regression of conversion
	// on every points rule at once (natural logarithm of the odds; 0 is no
	// information, ln 2 doubles the odds) when it fires (for an expression,
	// when it gives its average points when fired). Fitted jointly, two
	// rules that fire on the same leads share the credit rather than both
	// taking it.
	Weight Stat `json:"weight"`
	// Alone is the rule's log-odds ratio taken alone (fired against not
	// fired, half a lead added to each count): what it would weigh if no
	// other rule overlapped it.
	Alone Stat `json:"alone"`
	// Fired and FiredConversions are counted on the fitting part, with
	// RateFired and RateNotFired the conversion rates of the leads it fired
	// on and of the others.
	Fired            int  `json:"fired"`
	FiredConversions int  `json:"fired_conversions"`
	RateFired        Stat `json:"rate_fired"`
	RateNotFired     Stat `json:"rate_not_fired"`
	// Note explains anything unusual: a rule that never fired, an
	// expression scaled rather than replaced, a sign that flipped, credit
	// shared with overlapping rules.
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
	// the scored rate (see Smoothing). When none does, no thresholds are
	// proposed: Fit and Engagement are undefined (null), and the proposed
	// policy's settings are set above every score seen, so that no lead
	// qualifies on scores alone, the only way to honour the target; Best
	// says how near any thresholds came.
	Reached bool `json:"reached"`
	// BeforeFit and BeforeEngagement are the current thresholds; Fit and
	// Engagement the proposed ones, on the proposed points' scale.
	BeforeFit        float64 `json:"before_fit"`
	BeforeEngagement float64 `json:"before_engagement"`
	Fit              Stat    `json:"fit"`
	Engagement       Stat    `json:"engagement"`
	// Leads, Conversions, Precision and Recall are those of the leads the
	// proposed thresholds qualify (without need or disqualification) on the
	// fitting part; Recall is over the conversions of the leads the scores
	// decide.
	Leads       int  `json:"leads"`
	Conversions int  `json:"conversions"`
	Precision   Stat `json:"precision"`
	Recall      Stat `json:"recall"`
	// HeldOutLeads, HeldOutConversions, HeldOutPrecision and
	// HeldOutRecall are the same on the held-out part: what the thresholds
	// did on leads they were not chosen on.
	HeldOutLeads       int  `json:"held_out_leads"`
	HeldOutConversions int  `json:"held_out_conversions"`
	HeldOutPrecision   Stat `json:"held_out_precision"`
	HeldOutRecall      Stat `json:"held_out_recall"`
	// Best is the highest precision any thresholds reach on the fitting
	// part with at least MinSupport leads (unsmoothed), and BestLeads how
	// many leads they qualify: the nearest the target could be
	// approached. Undefined when no thresholds qualify MinSupport leads.
	Best      Stat `json:"best"`
	BestLeads int  `json:"best_leads"`
	// MinSupport is the fewest leads thresholds had to qualify.
	MinSupport int `json:"min_support"`

	aboveFit, aboveEngagement float64 // above every score, when not reached
}

// Calibrate proposes a new policy from history: points for each points
// rule from a logistic regression of conversion on every points rule at
// once, marketing-qualified thresholds that reach a target precision,
// and (with NeedPrecision) need rules demoted when history shows they
// cannot reach it. It fits on one part of the history and reports on the
// other, held out by a hash of the lead ID (see HeldOut), so that reruns
// agree.
//
// The regression is fitted on the fitting part's leads, on the value of
// each points rule (1 when it fires; for an expression, its points over
// their average when it fires) and two indicators of the verdict (need,
// out of scope), with an L2 penalty chosen by cross-validation (see
// Penalty). Its weights, scaled by PointsPerDoubling / ln 2, are the
// proposed points: whole numbers for constant points, `(expr) * k` for an
// expression. Because the rules are fitted together, two rules that fire
// on the same leads share the credit instead of both taking it in full.
// Rounding to whole points costs little: a point is 1/PointsPerDoubling of
// a doubling of the odds.
//
// The policy p is never changed: the proposal is a new Spec, in the same
// JSON form, in which every rule keeps its name, its `when` and its
// reason.
//
// Calibrate ranges over the history three times (fit the points, fit the
// thresholds, report on the held-out part): history must yield the same
// records each time (a slice, or Open over a file; a Reader from
// NewReader reads once). Memory does not grow with the history's length,
// only with the distinct combinations of rule values (MaxPatterns).
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

	// Pass 1: the current policy on the fitting part, with the
	// combinations of rule values the regressions are fitted on.
	e1, err := newEngine(cfg.Config, p)
	if err != nil {
		return nil, err
	}
	e1.split = SplitFitting
	e1.extras = []func() extra{func() extra { return newPatterns(e1.rules[0], e1.idx[0], cfg.MaxPatterns, cfg.Salt) }}
	w1, total, err := e1.drive(ctx, history, fitting)
	if err != nil {
		return nil, err
	}
	fitted := w1.report(0)
	if fitted.Conversions == 0 || fitted.Conversions == fitted.Leads {
		return nil, fmt.Errorf("%w: %d conversions among the %d leads judged in the fitting part (%d records of %d)",
			ErrNoSignal, fitted.Conversions, fitted.Leads, fitted.Records, total)
	}
	pats := w1.extras[0].(*patterns)
	if pats.over {
		return nil, fmt.Errorf("%w: the fitting part has more than CalibrationConfig.MaxPatterns (%d); raise it, or give expression points fewer distinct values",
			ErrTooManyPatterns, cfg.MaxPatterns)
	}
	c := &Calibration{Fitted: fitted, Fitting: fitted.Records, Points: []PointsChange{}, Needs: []NeedChange{}}
	spec := p.Spec()
	spec.Name = cfg.Name
	demoted := c.demote(&spec, fitted, &cfg)
	f := newFitter(e1.rules[0], fitted, pats, demoted, &cfg)
	c.Fit = f.fitPoints()
	c.Logistic = f.fitYardstick()
	c.proposePoints(&spec, f, &cfg)
	scored, err := qualify.Compile(spec)
	if err != nil {
		return nil, fmt.Errorf("backtest: the proposed points do not compile: %w", err)
	}
	c.Model = f.model(&spec, &cfg)

	// Pass 2: the proposed points on the fitting part, for the thresholds.
	e2, err := newEngine(cfg.Config, scored)
	if err != nil {
		return nil, err
	}
	e2.split = SplitFitting
	e2.models[0] = &c.Model
	e2.grid = func() *grid { return newGrid(gridAxis, gridCells) }
	w2, n, err := e2.drive(ctx, history, fitting)
	if err != nil {
		return nil, err
	}
	if n != total {
		return nil, fmt.Errorf("%w: %d records on the first pass, %d on the second", ErrHistoryChanged, total, n)
	}
	settings := p.Settings()
	c.Thresholds = Thresholds{BeforeFit: settings.MQLFit, BeforeEngagement: settings.MQLEngagement, MinSupport: cfg.MinSupport}
	c.Thresholds.Target, c.Thresholds.TargetFrom = mqlTarget(fitted, &cfg)
	scoredFit := w2.report(0).Scored
	c.Thresholds.choose(w2.grid, float64(c.Thresholds.Target), cfg.MinSupport, cfg.Smoothing, float64(scoredFit.Rate))
	c.Thresholds.Recall = ratio(float64(c.Thresholds.Conversions), float64(scoredFit.Conversions))
	spec.Settings.MQLFit, spec.Settings.MQLEngagement = c.Thresholds.settings()
	spec.Description = describe(p, &cfg, fitted, c)
	proposal, err := qualify.Compile(spec)
	if err != nil {
		return nil, fmt.Errorf("backtest: the proposed policy does not compile: %w", err)
	}
	c.Spec = spec

	// Pass 3: both policies side by side on the held-out part, with the
	// yardstick's scores.
	e3, err := newEngine(cfg.Config, p, proposal)
	if err != nil {
		return nil, err
	}
	e3.compare = true
	e3.split = SplitHeldOut
	e3.models[1] = &c.Model
	yard := f.yardstick
	e3.extras = []func() extra{func() extra { return newYardstickScores(yard, e3.idx[0], cfg.Bins) }}
	w3, n, err := e3.drive(ctx, history, held)
	if err != nil {
		return nil, err
	}
	if n != total {
		return nil, fmt.Errorf("%w: %d records on the first pass, %d on the third", ErrHistoryChanged, total, n)
	}
	c.Held = w3.comparison()
	c.HeldOut = c.Held.A.Records
	bins := w3.extras[0].(*yardstickScores).h.sorted()
	c.Logistic.AUC, _ = auc(bins)
	c.Logistic.AUCLow, c.Logistic.AUCHigh = aucInterval(bins, cfg.Bootstrap, 99)
	th := &c.Thresholds
	b := c.Held.B
	th.HeldOutLeads, th.HeldOutConversions = b.Qualified.Leads, b.Qualified.Conversions
	th.HeldOutPrecision = b.Qualified.Rate
	th.HeldOutRecall = ratio(float64(b.Qualified.Conversions), float64(b.Scored.Conversions))
	return c, nil
}

// demote records each need rule's precision and, with NeedPrecision,
// makes interest rules of those that cannot reach it. It returns the
// demoted rules, by index.
func (c *Calibration) demote(spec *qualify.Spec, fitted *Report, cfg *CalibrationConfig) []bool {
	demoted := make([]bool, len(spec.Rules))
	for i := range spec.Rules {
		r := &spec.Rules[i]
		if r.Intent != lead.IntentNeed {
			continue
		}
		st := fitted.Rules[i]
		ch := NeedChange{Rule: r.Name, Fired: st.Fired, Conversions: st.FiredConversions,
			Precision: ratio(float64(st.FiredConversions), float64(st.Fired)),
			Upper:     Stat(wilsonUpper(st.FiredConversions, st.Fired))}
		if cfg.NeedPrecision > 0 && float64(ch.Upper) < cfg.NeedPrecision {
			ch.Demoted, demoted[i] = true, true
			r.Intent = lead.IntentInterest
		}
		c.Needs = append(c.Needs, ch)
	}
	return demoted
}

// fitter fits the regressions of a calibration from the patterns of the
// fitting part.
type fitter struct {
	rules   []ruleMeta
	fitted  *Report
	pats    *patterns
	demoted []bool
	cfg     *CalibrationConfig
	// scale[j] divides the value of rule j: the average points of an
	// expression rule when it fired, 1 otherwise, so that every feature is
	// about 1 when its rule fires and penalties weigh them alike.
	scale []float64
	// points are the points rules, by index; the points model has one
	// feature per points rule, then need, then out of scope.
	points    []int
	weights   lrModel // the points model
	yardstick *yardstick
}

func newFitter(rules []ruleMeta, fitted *Report, pats *patterns, demoted []bool, cfg *CalibrationConfig) *fitter {
	f := &fitter{rules: rules, fitted: fitted, pats: pats, demoted: demoted, cfg: cfg, scale: make([]float64, len(rules))}
	for j, r := range rules {
		f.scale[j] = 1
		if r.points && !r.constant {
			if m := fitted.Rules[j].MeanPoints; m.Defined() && math.Abs(float64(m)) > 1e-9 {
				f.scale[j] = math.Abs(float64(m))
			}
		}
		if r.points {
			f.points = append(f.points, j)
		}
	}
	return f
}

// verdictOf is the verdict tier of a pattern under the proposal: the
// current policy's verdict, unless every need rule that made it need was
// demoted, when it is out of scope if a disqualify rule fired, else one of
// the verdicts the scores decide.
func (f *fitter) verdictOf(pt *pattern) (need, out bool) {
	switch pt.verdict {
	case qualify.VerdictOutOfScope:
		return false, true
	case qualify.VerdictNeed:
	default:
		return false, false
	}
	disq := false
	for j, r := range f.rules {
		if !pt.fired[j] {
			continue
		}
		switch {
		case r.effect == "need" && !f.demoted[j]:
			return true, false
		case r.effect == "disqualify":
			disq = true
		}
	}
	if !slices.Contains(f.demoted, true) {
		return true, false // need from elsewhere than a rule
	}
	return false, disq
}

// fit fits rows with the configured penalty, or the cross-validated one.
func (f *fitter) fit(rows *cvRows) (lrModel, FitSummary) {
	s := FitSummary{Penalty: f.cfg.Penalty, PenaltyFrom: "config", Patterns: len(f.pats.cells)}
	if s.Penalty == 0 {
		s.Penalty, _ = choosePenalty(rows)
		s.PenaltyFrom = "cross-validation"
	}
	m := fitLogistic(rows.rows(func(int) bool { return true }), s.Penalty, nil)
	s.Iterations, s.Converged = m.Iterations, m.Converged
	return m, s
}

// fitPoints fits the points model.
func (f *fitter) fitPoints() FitSummary {
	k := len(f.points) + 2
	rows := f.pats.rows(k, func(pt *pattern, x []float64) {
		for a, j := range f.points {
			x[a] = pt.value[j] / f.scale[j]
		}
		need, out := f.verdictOf(pt)
		if need {
			x[k-2] = 1
		}
		if out {
			x[k-1] = 1
		}
	})
	m, s := f.fit(rows)
	f.weights = m
	return s
}

// yardstick is the regression on every rule of the current policy.
type yardstick struct {
	model lrModel
	scale []float64
	expr  []bool // the rules whose value is their points
}

// fitYardstick fits the yardstick: every rule's value at once.
func (f *fitter) fitYardstick() Yardstick {
	k := len(f.rules)
	rows := f.pats.rows(k, func(pt *pattern, x []float64) {
		for j := range f.rules {
			x[j] = pt.value[j] / f.scale[j]
		}
	})
	m, s := f.fit(rows)
	f.yardstick = &yardstick{model: m, scale: f.scale, expr: make([]bool, k)}
	for j, r := range f.rules {
		f.yardstick.expr[j] = r.points && !r.constant
	}
	y := Yardstick{Fit: s, Weights: make([]RuleWeight, k), AUC: undefined, AUCLow: undefined, AUCHigh: undefined}
	for j, r := range f.rules {
		y.Weights[j] = RuleWeight{Rule: r.name, Weight: Stat(m.Beta[j] / f.scale[j])}
	}
	return y
}

// yardstickScores is the histogram of the yardstick's log-odds on the
// leads of a pass (from the current policy's matches).
type yardstickScores struct {
	y   *yardstick
	idx map[string]int
	x   []float64
	h   *hist
}

func newYardstickScores(y *yardstick, idx map[string]int, bins int) *yardstickScores {
	return &yardstickScores{y: y, idx: idx, x: make([]float64, len(y.scale)), h: newHist(bins)}
}

func (s *yardstickScores) add(_ int, r *Record, ds []qualify.Decision, errs []error) {
	if errs[0] != nil {
		return
	}
	clear(s.x)
	d := &ds[0]
	for i := range d.Matched {
		if j, ok := s.idx[d.Matched[i].Rule]; ok {
			s.x[j] = 1
			if s.y.expr[j] {
				s.x[j] = d.Matched[i].Points / s.y.scale[j]
			}
		}
	}
	s.h.add(s.y.model.eta(s.x), r.Converted)
}

func (s *yardstickScores) merge(o extra) { s.h.merge(o.(*yardstickScores).h) }

// proposePoints sets the points of every points rule of spec from the
// points model.
func (c *Calibration) proposePoints(spec *qualify.Spec, f *fitter, cfg *CalibrationConfig) {
	perWeight := cfg.PointsPerDoubling / math.Ln2
	for a, j := range f.points {
		r := &spec.Rules[j]
		st := f.fitted.Rules[j]
		w := f.weights.Beta[a] // per unit of value / scale
		ch := PointsChange{Rule: r.Name, Dimension: r.Dimension, Before: r.Points, Weight: Stat(w),
			Alone: Stat(logOddsRatio(st.FiredConversions, st.Fired, st.NotFiredConversions, st.NotFired)),
			Fired: st.Fired, FiredConversions: st.FiredConversions, RateFired: st.RateFired, RateNotFired: st.RateNotFired}
		ch.After, ch.Note = scalePoints(r, w*perWeight, f.scale[j], st.Fired, spec.Settings)
		if st.Fired > 0 && st.NotFired > 0 {
			if note := overlapNote(float64(ch.Alone), w); note != "" {
				ch.Note = joinNotes(ch.Note, note)
			}
		}
		r.Points = ch.After
		c.Points = append(c.Points, ch)
	}
}

// model fits the Model of the proposal: its rounded points give each
// pattern a total, whose log-odds are PerPoint a point; the intercept and
// the verdicts' terms are fitted around them.
func (f *fitter) model(spec *qualify.Spec, cfg *CalibrationConfig) Model {
	perPoint := math.Ln2 / cfg.PointsPerDoubling
	// The proposed points of each rule: a constant when it fires, or k
	// times the expression's points.
	constant := make([]float64, len(f.rules))
	factor := make([]float64, len(f.rules))
	for _, j := range f.points {
		p := strings.TrimSpace(string(spec.Rules[j].Points))
		if v, err := strconv.ParseFloat(p, 64); err == nil {
			constant[j] = v
		} else if k, ok := scaleOf(p); ok {
			factor[j] = k
		}
	}
	// The offsets differ between patterns of the same verdicts: fit on the
	// patterns themselves, one row each.
	d := &lrRows{k: 2}
	f.pats.each(func(pt *pattern) {
		var n, y float64
		for g := range cvFolds {
			n += float64(pt.cell.n[g])
			y += float64(pt.cell.conv[g])
		}
		need, out := f.verdictOf(pt)
		x := []float64{0, 0}
		if need {
			x[0] = 1
		}
		if out {
			x[1] = 1
		}
		total := 0.0
		for _, j := range f.points {
			if pt.fired[j] {
				total += constant[j] + factor[j]*pt.value[j]
			}
		}
		d.add(x, n, y)
		d.off = append(d.off, perPoint*total)
	})
	// A light penalty keeps a verdict that never converts (or always does)
	// finite.
	m := fitLogistic(d, 0.01, nil)
	return Model{Intercept: m.Intercept, PerPoint: perPoint, Need: m.Beta[0], OutOfScope: m.Beta[1]}
}

// scaleOf reads k from the scaled expression "(expr) * k" that
// scalePoints writes.
func scaleOf(p string) (float64, bool) {
	i := strings.LastIndex(p, ") * ")
	if !strings.HasPrefix(p, "(") || i < 0 {
		return 0, false
	}
	k, err := strconv.ParseFloat(p[i+4:], 64)
	return k, err == nil
}

// logOddsRatio is the log-odds ratio of c1 of n1 against c0 of n0, with
// half a lead added to each of the four counts so that it stays finite.
func logOddsRatio(c1, n1, c0, n0 int) float64 {
	if n1 == 0 || n0 == 0 {
		return math.NaN()
	}
	a, b := float64(c1)+0.5, float64(n1-c1)+0.5
	c, d := float64(c0)+0.5, float64(n0-c0)+0.5
	return math.Log(a / b * d / c)
}

// overlapNote explains a joint weight far from the rule's weight alone:
// the rules it overlaps, or the verdicts, account for the difference.
func overlapNote(alone, joint float64) string {
	a, j := strconv.FormatFloat(alone, 'f', 2, 64), strconv.FormatFloat(joint, 'f', 2, 64)
	switch {
	case math.IsNaN(alone) || math.Abs(alone) < 0.2:
		return ""
	case alone*joint < 0 || math.Abs(joint) < math.Abs(alone)/2:
		return fmt.Sprintf("weight %s alone, %s fitted with the other rules and the verdicts: what it goes with (overlapping rules, need, out of scope) accounts for the difference", a, j)
	}
	return ""
}

func joinNotes(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// scalePoints returns the points of rule r worth target points per unit
// of its scaled value (an expression's points over scale, its average when
// fired); fired is how often it fired on the fitting part.
func scalePoints(r *qualify.Rule, target, scale float64, fired int, settings qualify.Settings) (qualify.Points, string) {
	if fired == 0 {
		return "0", "never fired on the fitting part: no evidence, 0 points"
	}
	constant := func() qualify.Points {
		v := math.Round(target) + 0 // no -0
		return qualify.Points(strconv.FormatFloat(v, 'f', -1, 64))
	}
	flipped := "sign flipped: history says this rule works the other way"
	before, err := strconv.ParseFloat(strings.TrimSpace(string(r.Points)), 64)
	if err == nil {
		after := constant()
		if v, _ := strconv.ParseFloat(string(after), 64); v*before < 0 {
			return after, flipped
		}
		return after, ""
	}
	// An expression: scale it, so that its average when fired is worth
	// target points.
	k := target / scale
	if k == 0 || math.IsNaN(k) {
		return constant(), "weighs nothing fitted with the others: 0 points"
	}
	kt := strconv.FormatFloat(k, 'g', 4, 64)
	scaled := qualify.Points("(" + string(r.Points) + ") * " + kt)
	probe := *r
	probe.Points = scaled
	if _, err := qualify.Compile(qualify.Spec{Name: "probe", Settings: settings, Rules: []qualify.Rule{probe}}); err != nil {
		return constant(), "the scaled expression does not compile (" + firstLine(err.Error()) + "): replaced by a constant"
	}
	note := fmt.Sprintf("expression scaled by %s (it averaged %s points when fired)", kt, strconv.FormatFloat(scale, 'g', 4, 64))
	if k < 0 {
		note += "; " + flipped
	}
	return scaled, note
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// The bounds of the (fit, engagement) histogram of the thresholds.
const (
	gridAxis  = 256
	gridCells = 4096
)

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
// target is smoothed, (c + s) / (n + s/prior) for a smoothing of s
// conversions: the pair chosen is the best of many, and a small set of
// leads that happened to convert would otherwise win.
func (t *Thresholds) choose(g *grid, target float64, minSupport int, s, prior float64) {
	m := 0.0
	if prior > 0 {
		m = s / prior
	}
	t.Fit, t.Engagement, t.Precision, t.Best = undefined, undefined, undefined, undefined
	fa, ea := g.axes()
	F, E := len(fa.keys), len(ea.keys)
	if F == 0 {
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
			if n < minSupport || n == 0 {
				continue
			}
			if p := Stat(float64(c) / float64(n)); !t.Best.Defined() || p > t.Best || p == t.Best && n > t.BestLeads {
				t.Best, t.BestLeads = p, n
			}
			if (float64(c)+m*prior)/(float64(n)+m) < target {
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
		// No thresholds: the settings go above every score (see settings).
		t.Reached = false
		t.aboveFit = nonzero(fa.hi[F-1]+1, fa.hi[F-1])
		t.aboveEngagement = nonzero(ea.hi[E-1]+1, ea.hi[E-1])
		return
	}
	t.Reached = true
	below := func(a axis, i int) float64 {
		if i > 0 {
			return a.hi[i-1]
		}
		return a.lo[0] - 1
	}
	t.Fit = Stat(roundThreshold(fa.lo[bi], below(fa, bi)))
	t.Engagement = Stat(roundThreshold(ea.lo[bj], below(ea, bj)))
	t.Leads, t.Conversions = sn[bi*W+bj], sc[bi*W+bj]
	t.Precision = ratio(float64(t.Conversions), float64(t.Leads))
}

// settings returns the policy's MQL settings for the thresholds: the
// proposed ones; above every score seen when the target was not reached;
// the current ones when no lead of the fitting part was decided by the
// scores.
func (t *Thresholds) settings() (fit, engagement float64) {
	switch {
	case t.Reached:
		return float64(t.Fit), float64(t.Engagement)
	case t.aboveFit != 0:
		return t.aboveFit, t.aboveEngagement
	}
	return nonzero(t.BeforeFit, -1), nonzero(t.BeforeEngagement, -1)
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
		"(held out: %.0f%% by lead ID, salt %q): points are the weights of a logistic regression of conversion on every points rule at once "+
		"(L2 penalty %g, from %s), at %g points per doubling of the odds",
		p.Name(), p.Version(), fitted.Leads, 100*cfg.Holdout, cfg.Salt, c.Fit.Penalty, c.Fit.PenaltyFrom, cfg.PointsPerDoubling)
	th := &c.Thresholds
	if th.Reached {
		fmt.Fprintf(&b, "; marketing-qualified thresholds aim at %s precision (%s).", th.Target.Percent(), th.TargetFrom)
	} else {
		fmt.Fprintf(&b, "; no marketing-qualified thresholds reach %s precision (%s), so none qualify a lead on scores alone (the thresholds are above every score).",
			th.Target.Percent(), th.TargetFrom)
	}
	for _, n := range c.Needs {
		if n.Demoted {
			fmt.Fprintf(&b, " Rule %q demoted from need to interest (precision %s, upper bound %s, target %s).",
				n.Rule, n.Precision.Percent(), n.Upper.Percent(), Stat(cfg.NeedPrecision).Percent())
		}
	}
	return b.String()
}
