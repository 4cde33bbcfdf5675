package backtest

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// Report is what a backtest of one policy found on a history. It is plain
// data, and its JSON form is stable: keep it beside the policy version it
// judged.
//
// Rates are over the leads judged without error; conversions of leads that
// errored are counted apart (ErroredConversions), so that a policy cannot
// look better by failing on the leads that convert.
type Report struct {
	// Policy and Version identify the policy judged.
	Policy  string `json:"policy"`
	Version string `json:"version"`
	// Records is the number of records of history read; Leads of them were
	// judged, Errored were not (see Errors).
	Records int `json:"records"`
	Leads   int `json:"leads"`
	Errored int `json:"errored"`
	// ErroredConversions are the conversions among the errored records.
	ErroredConversions int `json:"errored_conversions"`
	// Conversions among the leads judged, and the value they won, by
	// currency. WonUnknown counts conversions without a won value.
	Conversions int     `json:"conversions"`
	Won         Amounts `json:"won"`
	WonUnknown  int     `json:"won_unknown"`
	// BaseRate is Conversions over Leads: what every lift is relative to.
	BaseRate Stat `json:"base_rate"`
	// Verdicts has one group per verdict (none, interest, need,
	// out_of_scope) and Routes one per route (nurture, sales, recycle,
	// drop, review), in that order (the order of their values), empty ones
	// included.
	Verdicts []Group `json:"verdicts"`
	Routes   []Group `json:"routes"`
	// Qualified is the group of marketing-qualified leads
	// (Decision.Qualified).
	Qualified Group `json:"qualified"`
	// Scored is the group of leads the scores decide: those whose verdict
	// is neither need nor out of scope, which the marketing-qualified
	// thresholds route to sales or leave with marketing.
	Scored Group `json:"scored"`
	// NeedOverInterest is the conversion rate of need leads over that of
	// interest leads: how much more a need lead is worth. The doctrine
	// says it is well above 1.
	NeedOverInterest Stat `json:"need_over_interest"`
	// Scores describes the engagement score, the fit score, their sum and
	// the decision's ranking ("engagement", "fit", "total", "decision"), in
	// that order. The decision ranks the leads as the policy treats them:
	// out of scope lowest, then the leads the scores decide by their total,
	// then need highest (by their total among themselves).
	Scores []Score `json:"scores"`
	// Reliability compares the probabilities of Config.Model with what the
	// leads did; nil without a model.
	Reliability *Reliability `json:"reliability,omitempty"`
	// Rules has one entry per rule of the policy, in policy order.
	Rules []RuleStats `json:"rules"`
	// Findings lists the rules that never fire, always fire, or work
	// against their purpose, in policy order.
	Findings []Finding `json:"findings"`
	// Errors lists the first errored records, in history order (at most
	// Config.MaxErrors); ErrorsByCause counts all of them by cause.
	Errors        []LeadError  `json:"errors"`
	ErrorsByCause []ErrorCount `json:"errors_by_cause"`
	// Rewind counts what was recorded after the decision times and taken
	// away before judging (see AsOf).
	Rewind RewindStats `json:"rewind"`
	// Recycled has a curve for each lost reason of the leads that were lost
	// or recycled at their decision time, the most leads first: when they
	// converted after being set aside, beside the horizon of their reason
	// (see RecycleCurve). It is the same for every policy: it reads the
	// history, not the decisions.
	Recycled []RecycleCurve `json:"recycled"`
}

// Group is a set of leads (a verdict, a route, a score band) with what
// became of them.
type Group struct {
	// Name is the verdict's or route's name ("need", "sales"),
	// "marketing_qualified" or "scored".
	Name string `json:"name"`
	// Leads of the group, Conversions among them, and the value they won.
	Leads       int `json:"leads"`
	Conversions int `json:"conversions"`
	// Rate is Conversions over Leads: for a route, its precision (of the
	// leads it sends to sales, how many convert). Lift is Rate over the
	// report's base rate. Both are undefined for an empty group.
	Rate Stat `json:"rate"`
	Lift Stat `json:"lift"`
	// Recall is Conversions over the report's conversions: the share of
	// every conversion that the group caught (for the sales route, the
	// conversions sales was given the chance to win). Undefined without
	// conversions.
	Recall Stat    `json:"recall"`
	Won    Amounts `json:"won"` // by currency
}

// Score describes one score as a predictor of conversion.
type Score struct {
	// Name is "engagement", "fit", "total" (their sum) or "decision" (see
	// Report.Scores).
	Name string `json:"name"`
	// Deciles are the leads in ascending order of score in ten bands of
	// equal count (fewer with fewer than ten leads). Leads with equal
	// scores cannot be told apart: where one score value straddles a
	// boundary, its leads are shared between the bands in proportion, and
	// so are its conversions (Band.Shared).
	Deciles []Band `json:"deciles"`
	// AUC is the area under the ROC curve: the probability that a lead
	// that converted scores higher than one that did not, ties counting
	// one half. 0.5 is a coin; undefined without both kinds of lead.
	AUC Stat `json:"auc"`
	// AUCLow and AUCHigh bound its 95% bootstrap interval (see
	// Config.Bootstrap): the range the AUC of another history like this
	// one would likely fall in.
	AUCLow  Stat `json:"auc_low"`
	AUCHigh Stat `json:"auc_high"`
	// AUCError bounds |AUC - exact AUC|: 0 when Exact, else half the share
	// of (converted, not converted) pairs whose scores fell in one
	// histogram interval (see Config.Bins).
	AUCError float64 `json:"auc_error"`
	// Exact reports that the score took at most Config.Bins distinct values,
	// so that the deciles and the AUC are exact.
	Exact bool `json:"exact"`
	// Min and Max are the smallest and largest score seen (for
	// "decision", the total's).
	Min float64 `json:"min"`
	Max float64 `json:"max"`
	// Values is the number of distinct values the score took (for
	// "decision", of distinct pairs of tier and total), when Exact; else the
	// number of histogram intervals they fell in.
	Values int `json:"values"`
}

// Constant reports whether the score took one value on every lead (or
// there were none): it tells no lead apart, and its deciles and AUC say
// nothing.
func (s *Score) Constant() bool { return s.Values <= 1 }

// Band is one score band: a tenth of the leads, whose scores are within
// [Lo, Hi].
type Band struct {
	// Decile is 1 for the lowest scores to 10 for the highest.
	Decile int `json:"decile"`
	// Lo and Hi are the lowest and highest score in the band.
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
	// Leads in the band, Conversions among them, at Rate. Conversions is
	// fractional when the band shares a score value with a neighbour: the
	// value's conversions are shared in proportion to its leads.
	Leads       int     `json:"leads"`
	Conversions float64 `json:"conversions"`
	Rate        Stat    `json:"rate"`
	// Shared reports that some of the band's leads have the same score as
	// leads of a neighbouring band: the boundary between them is a tie.
	Shared bool `json:"shared"`
	// Mean is the average score of the band's leads (a histogram interval,
	// beyond Config.Bins distinct scores, counts at its midpoint).
	Mean float64 `json:"mean"`
	// Lift is Rate over the report's base rate.
	Lift Stat `json:"lift"`
}

// Direction is what a rule is meant to do to a lead's chance of reaching
// sales.
type Direction uint8

// The directions.
const (
	// Neutral: an interest rule (it routes to nurture, and interest leads
	// may well convert below the base rate), or zero points.
	Neutral Direction = iota
	// Raises: a need rule, or positive points.
	Raises
	// Lowers: a disqualify rule, or negative points.
	Lowers
)

var directionNames = []string{"neutral", "raises", "lowers"}

// String returns "neutral", "raises" or "lowers".
func (d Direction) String() string {
	if int(d) < len(directionNames) {
		return directionNames[d]
	}
	return "direction(" + strconv.Itoa(int(d)) + ")"
}

// MarshalText implements encoding.TextMarshaler.
func (d Direction) MarshalText() ([]byte, error) {
	if int(d) >= len(directionNames) {
		return nil, fmt.Errorf("backtest: invalid direction %d", uint8(d))
	}
	return []byte(d.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Direction) UnmarshalText(b []byte) error {
	i := slices.Index(directionNames, string(b))
	if i < 0 {
		return fmt.Errorf("backtest: unknown direction %q (accepted: %s)", b, strings.Join(directionNames, ", "))
	}
	*d = Direction(i)
	return nil
}

// RuleStats is how one rule did on the history.
type RuleStats struct {
	// Rule is the rule's name.
	Rule string `json:"rule"`
	// Effect is "need", "interest", "fit", "engagement" or "disqualify".
	Effect string `json:"effect"`
	// Direction is what the rule is meant to do; for points given by an
	// expression, the sign of their average when the rule fired.
	Direction Direction `json:"direction"`
	// Fired counts the leads the rule matched, FiredConversions the
	// conversions among them; NotFired and NotFiredConversions the rest.
	Fired               int `json:"fired"`
	FiredConversions    int `json:"fired_conversions"`
	NotFired            int `json:"not_fired"`
	NotFiredConversions int `json:"not_fired_conversions"`
	// RateFired and RateNotFired are the conversion rates of the two.
	RateFired    Stat `json:"rate_fired"`
	RateNotFired Stat `json:"rate_not_fired"`
	// Lift is RateFired over the base rate. It is below one exactly when
	// RateFired is below RateNotFired.
	Lift Stat `json:"lift"`
	// Z is the two-proportion z statistic of RateFired against
	// RateNotFired: |Z| >= 1.96 is a difference that chance would make less
	// than one time in twenty.
	Z Stat `json:"z"`
	// MeanPoints is the average of the points the rule gave when it fired
	// (points rules only).
	MeanPoints Stat `json:"mean_points"`
	// Failed counts the leads on which the rule failed at run time and was
	// skipped (policies with on_error "skip"); with "fail", such leads are
	// among the report's errors.
	Failed int `json:"failed"`
	// Unjudged counts the leads on which the rule could not be judged
	// because an input it reads is unknown (a custom field the lead does
	// not have, an unknown amount: see qualify.Decision.Unjudged). A rule
	// that is unjudged on most leads reads data the history does not hold.
	Unjudged int `json:"unjudged"`
	// Scored is the same count among the leads the scores decide: those
	// whose verdict is neither need nor out of scope, which the
	// marketing-qualified thresholds route. For a points rule it is the
	// fairer measure: need leads convert most and score what they score,
	// so over all leads an education rule looks weak only because need
	// leads rarely download white papers. Its Lift is over the base rate of
	// those leads. Findings on points rules, and Calibrate, use it.
	Scored Counts `json:"scored"`
}

// Counts is how a rule did on a set of leads; the fields mean what the
// fields of RuleStats of the same names do, over that set.
type Counts struct {
	Fired               int  `json:"fired"`                 // leads the rule matched
	FiredConversions    int  `json:"fired_conversions"`     // conversions among them
	NotFired            int  `json:"not_fired"`             // leads it did not match
	NotFiredConversions int  `json:"not_fired_conversions"` // conversions among them
	RateFired           Stat `json:"rate_fired"`            // FiredConversions / Fired
	RateNotFired        Stat `json:"rate_not_fired"`        // NotFiredConversions / NotFired
	Lift                Stat `json:"lift"`                  // RateFired over the set's conversion rate
	Z                   Stat `json:"z"`                     // two-proportion z of RateFired against RateNotFired
}

func counts(fired, firedConv, n, conv int) Counts {
	c := Counts{Fired: fired, FiredConversions: firedConv, NotFired: n - fired, NotFiredConversions: conv - firedConv}
	c.RateFired = ratio(float64(c.FiredConversions), float64(c.Fired))
	c.RateNotFired = ratio(float64(c.NotFiredConversions), float64(c.NotFired))
	c.Lift = ratio(float64(c.RateFired), float64(conv)/float64(n))
	if n == 0 {
		c.Lift = undefined
	}
	c.Z = zTest(c.FiredConversions, c.Fired, c.NotFiredConversions, c.NotFired)
	return c
}

// Significant reports whether |Z| >= 1.96.
func (s RuleStats) Significant() bool { return s.Z.Defined() && math.Abs(float64(s.Z)) >= 1.96 }

// FindingKind is what is wrong with a rule.
type FindingKind uint8

// The findings.
const (
	// NeverFires: the rule matched no lead of the history.
	NeverFires FindingKind = iota
	// AlwaysFires: the rule matched every lead: it tells none apart.
	AlwaysFires
	// Hurts: a rule meant to raise a lead (need, positive points) whose
	// lift is below one: the leads it raises convert less than the rest.
	Hurts
	// Backwards: a rule meant to lower a lead (disqualify, negative
	// points) whose lift is above one: the leads it lowers convert more.
	Backwards
)

var findingNames = []string{"never_fires", "always_fires", "hurts", "backwards"}

// String returns "never_fires", "always_fires", "hurts" or "backwards".
func (k FindingKind) String() string {
	if int(k) < len(findingNames) {
		return findingNames[k]
	}
	return "finding(" + strconv.Itoa(int(k)) + ")"
}

// MarshalText implements encoding.TextMarshaler.
func (k FindingKind) MarshalText() ([]byte, error) {
	if int(k) >= len(findingNames) {
		return nil, fmt.Errorf("backtest: invalid finding kind %d", uint8(k))
	}
	return []byte(k.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *FindingKind) UnmarshalText(b []byte) error {
	i := slices.Index(findingNames, string(b))
	if i < 0 {
		return fmt.Errorf("backtest: unknown finding %q (accepted: %s)", b, strings.Join(findingNames, ", "))
	}
	*k = FindingKind(i)
	return nil
}

// Finding is a rule worth a second look.
type Finding struct {
	// Rule is the rule's name, Kind what is wrong with it.
	Rule string      `json:"rule"`
	Kind FindingKind `json:"kind"`
	// Significant reports, for Hurts and Backwards, that the difference is
	// beyond what chance would make one time in twenty (|Z| >= 1.96); an
	// insignificant finding may be noise.
	Significant bool `json:"significant"`
	// Message says it in a sentence.
	Message string `json:"message"`
}

// LeadError is one record of history that could not be judged. It
// unwraps to the cause: a *qualify.RuleError (errors.Is(err,
// qualify.ErrRule)), a *qualify.LimitError, a *RecordError, ...
type LeadError struct {
	// Index is the record's position in the history, from 0; Line its
	// line in the source, when known.
	Index int `json:"index"`
	Line  int `json:"line,omitempty"`
	// Lead is the lead's ID, At the decision time.
	Lead string    `json:"lead"`
	At   time.Time `json:"at,omitzero"`
	// Rule and Field name the rule that failed and its field ("when",
	// "points"), for a rule error.
	Rule  string `json:"rule,omitempty"`
	Field string `json:"field,omitempty"`
	// Reason says what went wrong.
	Reason string `json:"reason"`
	// Err is the cause; it is not part of the JSON form.
	Err error `json:"-"`
}

// Error says which record, which lead, which rule and what went wrong:
// `history line 12 lead "L-7": rule "seats" (when): ...`.
func (e *LeadError) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "history line %d", e.Line)
	} else {
		fmt.Fprintf(&b, "history record %d", e.Index)
	}
	fmt.Fprintf(&b, " lead %q: ", e.Lead)
	if e.Rule != "" {
		fmt.Fprintf(&b, "rule %q (%s): ", e.Rule, e.Field)
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Unwrap returns the cause.
func (e *LeadError) Unwrap() error { return e.Err }

// ErrorCount is how many records errored for one cause: `rule "name"`,
// `limit MaxActivities`, `record: won`, ...
type ErrorCount struct {
	Cause string `json:"cause"` // what the records errored on
	Count int    `json:"count"` // how many did
}

// Verdict returns the group of verdict v.
func (r *Report) Verdict(v qualify.Verdict) Group { return groupAt(r.Verdicts, int(v)) }

// Route returns the group of route x.
func (r *Report) Route(x qualify.Route) Group { return groupAt(r.Routes, int(x)) }

func groupAt(gs []Group, i int) Group {
	if i < len(gs) {
		return gs[i]
	}
	return Group{Rate: undefined, Lift: undefined}
}

// Rule returns the statistics of the rule named name.
func (r *Report) Rule(name string) (RuleStats, bool) {
	for _, s := range r.Rules {
		if s.Rule == name {
			return s, true
		}
	}
	return RuleStats{}, false
}

// Score returns the score named "engagement", "fit" or "total".
func (r *Report) Score(name string) (Score, bool) {
	for _, s := range r.Scores {
		if s.Name == name {
			return s, true
		}
	}
	return Score{}, false
}

// ruleMeta is what the report needs to know of a rule of the policy.
type ruleMeta struct {
	name      string
	effect    string
	direction Direction
	constant  bool // points are a constant (or there are none)
	points    bool // a points rule
}

func rulesOf(p *qualify.Policy) []ruleMeta {
	spec := p.Spec()
	out := make([]ruleMeta, len(spec.Rules))
	for i, r := range spec.Rules {
		m := ruleMeta{name: r.Name, constant: true}
		switch {
		case r.Intent == lead.IntentNeed:
			m.effect, m.direction = "need", Raises
		case r.Intent == lead.IntentInterest:
			m.effect = "interest"
		case r.Disqualify != "":
			m.effect, m.direction = "disqualify", Lowers
		default:
			m.effect, m.points = r.Dimension.String(), true
			if v, err := strconv.ParseFloat(strings.TrimSpace(string(r.Points)), 64); err == nil {
				switch {
				case v > 0:
					m.direction = Raises
				case v < 0:
					m.direction = Lowers
				}
			} else {
				m.constant, m.direction = false, Raises // until the points seen say otherwise
			}
		}
		out[i] = m
	}
	return out
}

// groupAcc accumulates a Group.
type groupAcc struct {
	n, conv int
	won     Amounts
}

func (g *groupAcc) add(r *Record) {
	g.n++
	if r.Converted {
		g.conv++
		if r.Won.Known() {
			g.won.add(r.Won)
		}
	}
}

// amounts returns a copy of the won amounts, empty rather than nil.
func (g *groupAcc) amounts() Amounts {
	if len(g.won) == 0 {
		return Amounts{}
	}
	return slices.Clone(g.won)
}

func (g *groupAcc) merge(o *groupAcc) {
	g.n += o.n
	g.conv += o.conv
	g.won.addAll(o.won)
}

func (g *groupAcc) group(name string, base Stat, conversions int) Group {
	rate := ratio(float64(g.conv), float64(g.n))
	return Group{Name: name, Leads: g.n, Conversions: g.conv, Rate: rate,
		Lift: ratio(float64(rate), float64(base)), Recall: ratio(float64(g.conv), float64(conversions)), Won: g.amounts()}
}

type ruleAcc struct {
	fired, conv, failed, unjudged int
	sFired, sConv                 int   // among the leads the scores decide
	points                        fixed // points when fired, exact, so that the sum is order-independent
}

// fixed is a sum of points in millionths of a point, in 128 bits: exact,
// so that it does not depend on the order of the additions. Each addend is
// clamped to about ±4.6e12 points.
type fixed struct {
	hi int64
	lo uint64
}

func (f *fixed) add(points float64) {
	const lim = 1 << 62
	v := math.Round(points * 1e6)
	switch {
	case v > lim:
		v = lim
	case v < -lim:
		v = -lim
	case v != v:
		return
	}
	f.addFixed(fixed{hi: int64(v) >> 63, lo: uint64(int64(v))})
}

func (f *fixed) addFixed(o fixed) {
	lo, carry := bits.Add64(f.lo, o.lo, 0)
	f.lo = lo
	f.hi += o.hi + int64(carry)
}

func (f fixed) float() float64 {
	neg := f.hi < 0
	hi, lo := uint64(f.hi), f.lo
	if neg { // the magnitude, in two's complement
		lo = ^lo + 1
		hi = ^hi
		if lo == 0 {
			hi++
		}
	}
	v := (float64(hi)*0x1p64 + float64(lo)) / 1e6
	if neg {
		v = -v
	}
	return v
}

// acc accumulates the Report of one policy; one per worker, merged at
// the end. Everything in it is order-independent, so the report of a
// history is the same whatever the number of workers.
type acc struct {
	policy   *qualify.Policy
	rules    []ruleMeta
	ruleIdx  map[string]int
	maxErrs  int
	records  int
	n, conv  int
	errored  int
	erredCon int
	wonUnk   int
	won      Amounts
	verdicts [nVerdicts]groupAcc
	routes   [nRoutes]groupAcc
	mql      groupAcc
	scored   groupAcc // the leads the scores decide
	scores   [nHists]*hist
	model    *Model // nil: no probabilities
	prob     *hist  // the probabilities of the model, when there is one
	boot     int    // bootstrap resamples
	ruleAccs []ruleAcc
	errs     []LeadError // the first maxErrs, in index order
	causes   map[string]int
}

// The histograms of an acc: the three scores, then the total of the leads
// of each tier of the decision's ranking (out of scope, the leads the
// scores decide, need).
const (
	histEngagement = iota
	histFit
	histTotal
	histOutOfScope
	histScored
	histNeed
	nHists
)

func newAcc(p *qualify.Policy, rules []ruleMeta, idx map[string]int, cfg *Config, model *Model) *acc {
	a := &acc{policy: p, rules: rules, ruleIdx: idx, maxErrs: cfg.MaxErrors, boot: cfg.Bootstrap,
		ruleAccs: make([]ruleAcc, len(rules)), causes: map[string]int{}, model: model}
	for i := range a.scores {
		a.scores[i] = newHist(cfg.Bins)
	}
	if model != nil {
		a.prob = newHist(cfg.Bins)
	}
	return a
}

// The number of verdicts and of routes: a Report has a Group for each.
const (
	nVerdicts = int(qualify.VerdictOutOfScope) + 1
	nRoutes   = int(qualify.RouteReview) + 1
)

// tier is the lead's rank in the decision's ranking: out of scope, the
// leads the scores decide, need.
func tier(v qualify.Verdict) int {
	switch v {
	case qualify.VerdictOutOfScope:
		return histOutOfScope
	case qualify.VerdictNeed:
		return histNeed
	}
	return histScored
}

// decided counts a lead judged without error.
func (a *acc) decided(r *Record, d *qualify.Decision) {
	a.records++
	a.n++
	if r.Converted {
		a.conv++
		if r.Won.Known() {
			a.won.add(r.Won)
		} else {
			a.wonUnk++
		}
	}
	if int(d.Verdict) < len(a.verdicts) {
		a.verdicts[d.Verdict].add(r)
	}
	if int(d.Route) < len(a.routes) {
		a.routes[d.Route].add(r)
	}
	if d.Qualified {
		a.mql.add(r)
	}
	scored := d.Verdict != qualify.VerdictNeed && d.Verdict != qualify.VerdictOutOfScope
	if scored {
		a.scored.n++
		if r.Converted {
			a.scored.conv++
		}
	}
	total := d.Fit + d.Engagement
	a.scores[histEngagement].add(d.Engagement, r.Converted)
	a.scores[histFit].add(d.Fit, r.Converted)
	a.scores[histTotal].add(total, r.Converted)
	a.scores[tier(d.Verdict)].add(total, r.Converted)
	if a.model != nil {
		a.prob.add(a.model.Probability(d), r.Converted)
	}
	for i := range d.Matched {
		m := &d.Matched[i]
		j, ok := a.ruleIdx[m.Rule]
		if !ok {
			continue
		}
		ra := &a.ruleAccs[j]
		ra.fired++
		if r.Converted {
			ra.conv++
		}
		if scored {
			ra.sFired++
			if r.Converted {
				ra.sConv++
			}
		}
		if a.rules[j].points {
			ra.points.add(m.Points)
		}
	}
	for i := range d.Failures {
		if j, ok := a.ruleIdx[d.Failures[i].Rule]; ok {
			a.ruleAccs[j].failed++
		}
	}
	for i := range d.Unjudged {
		if j, ok := a.ruleIdx[d.Unjudged[i].Rule]; ok {
			a.ruleAccs[j].unjudged++
		}
	}
}

// failed counts a record that could not be judged.
func (a *acc) failed(idx int, r *Record, err error) {
	a.records++
	a.errored++
	if r.Converted {
		a.erredCon++
	}
	le := leadError(idx, r, err)
	a.causes[causeOf(&le)]++
	if len(a.errs) < a.maxErrs {
		a.errs = append(a.errs, le)
	}
}

func leadError(idx int, r *Record, err error) LeadError {
	le := LeadError{Index: idx, Line: r.Line, At: r.At, Reason: err.Error(), Err: err}
	if r.Lead != nil {
		le.Lead = r.Lead.ID
	}
	var re *qualify.RuleError
	if errors.As(err, &re) {
		le.Rule, le.Field = re.Rule, re.Field
		if re.Err != nil {
			le.Reason = re.Err.Error()
		}
	}
	return le
}

func causeOf(le *LeadError) string {
	var lim *qualify.LimitError
	var rec *RecordError
	switch {
	case le.Rule != "":
		return fmt.Sprintf("rule %q (%s)", le.Rule, le.Field)
	case errors.As(le.Err, &lim):
		return "limit " + lim.Limit
	case errors.As(le.Err, &rec):
		return "record: " + rec.Field
	}
	return "other"
}

func (a *acc) merge(o *acc) {
	a.records += o.records
	a.n += o.n
	a.conv += o.conv
	a.errored += o.errored
	a.erredCon += o.erredCon
	a.wonUnk += o.wonUnk
	a.won.addAll(o.won)
	for i := range a.verdicts {
		a.verdicts[i].merge(&o.verdicts[i])
	}
	for i := range a.routes {
		a.routes[i].merge(&o.routes[i])
	}
	a.mql.merge(&o.mql)
	a.scored.merge(&o.scored)
	for i := range a.scores {
		a.scores[i].merge(o.scores[i])
	}
	if a.prob != nil {
		a.prob.merge(o.prob)
	}
	for i := range a.ruleAccs {
		x, y := &a.ruleAccs[i], &o.ruleAccs[i]
		x.fired += y.fired
		x.conv += y.conv
		x.failed += y.failed
		x.unjudged += y.unjudged
		x.sFired += y.sFired
		x.sConv += y.sConv
		x.points.addFixed(y.points)
	}
	a.errs = append(a.errs, o.errs...)
	slices.SortFunc(a.errs, func(x, y LeadError) int { return cmp.Compare(x.Index, y.Index) })
	a.errs = a.errs[:min(len(a.errs), a.maxErrs)]
	for k, v := range o.causes {
		a.causes[k] += v
	}
}

// scoreNames are the names of the scores of a report, in order.
var scoreNames = [4]string{"engagement", "fit", "total", "decision"}

// report builds the Report.
func (a *acc) report(rewind RewindStats) *Report {
	base := ratio(float64(a.conv), float64(a.n))
	r := &Report{
		Policy: a.policy.Name(), Version: a.policy.Version(),
		Records: a.records, Leads: a.n, Errored: a.errored, ErroredConversions: a.erredCon,
		Conversions: a.conv, Won: slices.Clone(a.won), WonUnknown: a.wonUnk, BaseRate: base,
		Qualified: a.mql.group("marketing_qualified", base, a.conv),
		Scored:    a.scored.group("scored", base, a.conv),
		Errors:    slices.Clone(a.errs),
		Rewind:    rewind,
	}
	if r.Won == nil {
		r.Won = Amounts{}
	}
	for v := range a.verdicts {
		r.Verdicts = append(r.Verdicts, a.verdicts[v].group(qualify.Verdict(v).String(), base, a.conv))
	}
	for x := range a.routes {
		r.Routes = append(r.Routes, a.routes[x].group(qualify.Route(x).String(), base, a.conv))
	}
	r.NeedOverInterest = ratio(float64(r.Verdict(qualify.VerdictNeed).Rate), float64(r.Verdict(qualify.VerdictInterest).Rate))
	for i, name := range scoreNames {
		var bins []bin
		exact := true
		if i == len(scoreNames)-1 {
			// The decision: the tiers one above the other.
			for _, h := range a.scores[histOutOfScope : histNeed+1] {
				bins = append(bins, h.sorted()...)
				exact = exact && h.w == 0
			}
		} else {
			bins = a.scores[i].sorted()
			exact = a.scores[i].w == 0
		}
		r.Scores = append(r.Scores, a.score(name, bins, exact, base, uint64(i)))
	}
	if a.model != nil {
		r.Reliability = reliability(a.prob.sorted(), base)
	}
	for i, m := range a.rules {
		ra := &a.ruleAccs[i]
		all := counts(ra.fired, ra.conv, a.n, a.conv)
		s := RuleStats{Rule: m.name, Effect: m.effect, Direction: m.direction,
			Fired: all.Fired, FiredConversions: all.FiredConversions,
			NotFired: all.NotFired, NotFiredConversions: all.NotFiredConversions,
			RateFired: all.RateFired, RateNotFired: all.RateNotFired, Lift: all.Lift, Z: all.Z,
			Failed: ra.failed, Unjudged: ra.unjudged, MeanPoints: undefined,
			Scored: counts(ra.sFired, ra.sConv, a.scored.n, a.scored.conv)}
		if m.points && ra.fired > 0 {
			s.MeanPoints = Stat(ra.points.float() / float64(ra.fired))
			if !m.constant {
				switch {
				case s.MeanPoints > 0:
					s.Direction = Raises
				case s.MeanPoints < 0:
					s.Direction = Lowers
				default:
					s.Direction = Neutral
				}
			}
		}
		r.Rules = append(r.Rules, s)
		if f, ok := finding(&s, m.points, a.n); ok {
			r.Findings = append(r.Findings, f)
		}
	}
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	if r.Errors == nil {
		r.Errors = []LeadError{}
	}
	r.ErrorsByCause = []ErrorCount{}
	for c, n := range a.causes {
		r.ErrorsByCause = append(r.ErrorsByCause, ErrorCount{Cause: c, Count: n})
	}
	slices.SortFunc(r.ErrorsByCause, func(x, y ErrorCount) int {
		return cmp.Or(cmp.Compare(y.Count, x.Count), strings.Compare(x.Cause, y.Cause))
	})
	return r
}

// zTest is the two-proportion z statistic of c1/n1 against c0/n0.
func zTest(c1, n1, c0, n0 int) Stat {
	if n1 == 0 || n0 == 0 {
		return undefined
	}
	p := float64(c1+c0) / float64(n1+n0)
	se := math.Sqrt(p * (1 - p) * (1/float64(n1) + 1/float64(n0)))
	if se == 0 {
		return undefined
	}
	return Stat((float64(c1)/float64(n1) - float64(c0)/float64(n0)) / se)
}

func finding(s *RuleStats, points bool, leads int) (Finding, bool) {
	c := Counts{Fired: s.Fired, NotFired: s.NotFired, RateFired: s.RateFired, RateNotFired: s.RateNotFired, Lift: s.Lift, Z: s.Z}
	among := ""
	if points && s.Scored.Fired > 0 && s.Scored.NotFired > 0 {
		c, among = s.Scored, " among the leads the scores decide"
	}
	f := Finding{Rule: s.Rule, Significant: c.Z.Defined() && math.Abs(float64(c.Z)) >= 1.96}
	switch {
	case leads == 0:
		return f, false
	case s.Fired == 0:
		f.Kind = NeverFires
		f.Message = fmt.Sprintf("never fired on %d leads", leads)
	case s.NotFired == 0:
		f.Kind = AlwaysFires
		f.Message = fmt.Sprintf("fired on every one of %d leads: it tells none apart", leads)
	case s.Direction == Raises && c.Lift.Defined() && c.Lift < 1:
		f.Kind = Hurts
		f.Message = fmt.Sprintf("raises leads that convert less%s: %s when fired, %s when not (lift %s, z %s)",
			among, c.RateFired.Percent(), c.RateNotFired.Percent(), c.Lift, c.Z)
	case s.Direction == Lowers && c.Lift.Defined() && c.Lift > 1:
		f.Kind = Backwards
		f.Message = fmt.Sprintf("lowers leads that convert more%s: %s when fired, %s when not (lift %s, z %s)",
			among, c.RateFired.Percent(), c.RateNotFired.Percent(), c.Lift, c.Z)
	default:
		return f, false
	}
	return f, true
}

// score describes one score from its bins, in ascending order.
func (a *acc) score(name string, bins []bin, exact bool, base Stat, seed uint64) Score {
	s := Score{Name: name, Deciles: deciles(bins, base), Exact: exact}
	s.AUC, s.AUCError = auc(bins)
	s.AUCLow, s.AUCHigh = aucInterval(bins, a.boot, seed)
	if len(bins) > 0 {
		s.Min, s.Max = bins[0].lo, bins[0].hi
		for _, b := range bins {
			s.Min, s.Max = min(s.Min, b.lo), max(s.Max, b.hi)
		}
	}
	s.Values = len(bins)
	if s.Deciles == nil {
		s.Deciles = []Band{}
	}
	return s
}
