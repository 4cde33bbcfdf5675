package qualify

import (
	"database/sql/driver"
	"maps"
	"slices"
	"time"

	"github.com/leadqual/leadqual/internal/enum"
	"github.com/leadqual/leadqual/lead"
)

// Verdict is what a policy concluded about a lead.
type Verdict uint8

// The verdicts, in order of precedence: out of scope beats need, need beats
// interest, interest beats none.
const (
	VerdictNone       Verdict = iota // no evidence of need or interest
	VerdictInterest                  // consuming education: nurture it
	VerdictNeed                      // asking to be helped: sales, now
	VerdictOutOfScope                // a disqualify rule matched
)

var verdictTable = enum.Table[Verdict]{Type: "verdict", Names: []string{"none", "interest", "need", "out_of_scope"}}

// String returns "none", "interest", "need" or "out_of_scope".
func (v Verdict) String() string { return verdictTable.Name(v) }

// MarshalText implements encoding.TextMarshaler.
func (v Verdict) MarshalText() ([]byte, error) { return verdictTable.Marshal(v) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (v *Verdict) UnmarshalText(b []byte) error { return verdictTable.Set(v, b) }

// Scan implements sql.Scanner.
func (v *Verdict) Scan(src any) error { return verdictTable.ScanInto(v, src) }

// Value implements driver.Valuer.
func (v Verdict) Value() (driver.Value, error) { return verdictTable.Value(v) }

// Route is who acts on a lead next.
type Route uint8

// The routes.
const (
	RouteNurture Route = iota // marketing: a permission-based nurture track
	RouteSales                // sales: respond by the deadline
	RouteRecycle              // the recycle scheduler: call again later
	RouteDrop                 // final: a true non-fit or a do-not-contact request
	// RouteReview: a person must look before anyone acts. A lead closed
	// as not a fit (or with another of the policy's final reasons) that
	// asks to be helped after it was closed: the library will not send a
	// closed lead to sales on its own, nor drop a request unread.
	// Decision.Note says why. Do-not-contact is never reviewed: it drops.
	RouteReview
)

var routeTable = enum.Table[Route]{Type: "route", Names: []string{"nurture", "sales", "recycle", "drop", "review"}}

// Routes returns every route, in the order a report lists them: sales,
// review, nurture, recycle, drop.
func Routes() []Route {
	return []Route{RouteSales, RouteReview, RouteNurture, RouteRecycle, RouteDrop}
}

// String returns "nurture", "sales", "recycle", "drop" or "review".
func (r Route) String() string { return routeTable.Name(r) }

// MarshalText implements encoding.TextMarshaler.
func (r Route) MarshalText() ([]byte, error) { return routeTable.Marshal(r) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *Route) UnmarshalText(b []byte) error { return routeTable.Set(r, b) }

// Scan implements sql.Scanner.
func (r *Route) Scan(src any) error { return routeTable.ScanInto(r, src) }

// Value implements driver.Valuer.
func (r Route) Value() (driver.Value, error) { return routeTable.Value(r) }

// Decision is the outcome of evaluating a lead against a policy. It is
// plain data: store it beside the lead, and audit it later by its Policy
// and Version.
type Decision struct {
	// Lead is the ID of the lead.
	Lead string `json:"lead"`
	// Line is the product line this decision judges, for a decision in
	// Lines; empty for the lead as a whole.
	Line    string  `json:"line,omitempty"`
	Verdict Verdict `json:"verdict"`
	Route   Route   `json:"route"`
	// Fit and Engagement are the sums of the points of the matched rules
	// of each dimension, in rule order.
	Fit        float64 `json:"fit"`
	Engagement float64 `json:"engagement"`
	// Scores are the points of each named dimension the policy declares
	// (Settings.Dimensions), every one of them; nil for a policy that
	// declares none.
	Scores map[Dimension]float64 `json:"scores,omitempty"`
	// Qualified reports that the lead crossed both marketing-qualified
	// thresholds (Settings.MQLFit and MQLEngagement) without need.
	Qualified bool `json:"qualified"`
	// Priority is the kind of sales work the decision asks for: need,
	// review, marketing-qualified, the pipeline, or none. It is the first
	// key of the sales work queue; see [Policy.SortQueue].
	Priority Priority `json:"priority"`
	// Value is the lead's potential value as it stated it (lead.Lead.Value;
	// the zero Money when unknown), so that a queue of decisions can be
	// weighed by it: converted only at the host's rates, by SortQueue.
	Value lead.Money `json:"value,omitzero"`
	// Reason is the disqualification code of the first disqualify rule that
	// matched, when the verdict is out of scope.
	Reason lead.Reason `json:"reason,omitempty"`
	// Deadline is when sales must have responded, when the route is sales
	// for need: Vocabulary.Deadline of the newest fresh need activity (or
	// of now, when the need comes from other evidence): the
	// Settings.ResponseDeadline after it, counting only the team's working
	// time when the policy has Settings.ResponseHours. Zero otherwise.
	Deadline time.Time `json:"deadline,omitzero"`
	// OutsideHours reports that the need the deadline counts from arrived
	// outside the team's response hours (Settings.ResponseHours): with
	// OffHoursOnCall it is for whoever is on call, on the clock.
	OutsideHours bool `json:"outside_hours,omitempty"`
	// NeedKind and NeedAt are the newest fresh need activity, when there is
	// one: the request sales answers, and the time the deadline counts
	// from. A loss answers the requests before it, so for a lead lost,
	// recycled or disqualified only need after the loss is fresh.
	NeedKind lead.Kind `json:"need_kind,omitempty"`
	NeedAt   time.Time `json:"need_at,omitzero"`
	// Reopened is the reason a lead had been set aside for (its lost
	// reason, or the out-of-scope code of a disqualify rule), when fresh
	// need after the loss outranked it and sent the lead back to sales.
	Reopened lead.Reason `json:"reopened,omitempty"`
	// Note explains, in words, a route that no rule's reason explains: need
	// that reopened a lost lead ("asked for a quote after being lost to a
	// preferred supplier"), a closed lead sent for review. Empty otherwise.
	Note string `json:"note,omitempty"`
	// Stage is the lead's stage when it was evaluated; NextStage the stage
	// the decision suggests. NextStage is always Stage itself or a legal
	// move from it (see lead.CanMove).
	Stage     lead.Stage `json:"stage"`
	NextStage lead.Stage `json:"next_stage"`
	// Matched lists the rules that matched, in policy order.
	Matched []Match `json:"matched"`
	// Failures lists the rules that failed at run time, when the policy's
	// OnError is OnErrorSkip.
	Failures []Failure `json:"failures,omitempty"`
	// Unjudged lists the rules that could not be judged because an input
	// they read is unknown (Settings.OnUnknown = UnknownSkip, the default):
	// they did not match.
	Unjudged []Unjudged `json:"unjudged,omitempty"`
	// Lines are the decisions on each product line the lead is in, when
	// the policy declares product lines (Settings.ProductLines), in the
	// order it declares them: the same rules over the line's activities
	// and interests, at the line's funnel (lead.Lead.Lines). A line is
	// judged when the lead has a funnel on it, or an activity or interest
	// on it within the longer of the need and interest freshness. Each
	// has its own verdict, route, scores, deadline, next stage and reasons.
	Lines []Decision `json:"lines,omitempty"`
	// Policy and Version identify the policy that decided.
	Policy  string `json:"policy"`
	Version string `json:"version"`
	// At is the `now` of the evaluation.
	At time.Time `json:"at"`
}

// Match is one rule that matched, with its effect.
type Match struct {
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
	// Intent is set for an intent rule.
	Intent lead.Intent `json:"intent,omitzero"`
	// Dimension and Points are set for a points rule.
	Dimension Dimension `json:"dimension,omitzero"`
	Points    float64   `json:"points,omitempty"`
	// Disqualify is set for a disqualify rule.
	Disqualify lead.Reason `json:"disqualify,omitempty"`
}

// Failure is a rule that failed at run time and was counted as not
// matched (Settings.OnError = OnErrorSkip).
type Failure struct {
	Rule  string `json:"rule"`
	Field string `json:"field"`
	Error string `json:"error"`
}

// Unjudged is a rule that could not be judged on a lead because an input
// it reads is unknown: a custom field the lead does not have, an amount of
// money it does not state. Sparse data is normal data: such a rule earns
// the lead neither points nor a verdict, and is listed so that a person,
// or a backtest, can see how often each rule could not be judged.
type Unjudged struct {
	Rule string `json:"rule"`
	// Field is "when" or "points".
	Field string `json:"field"`
	// Input is what was unknown: "fields.pages_per_visit", "budget".
	Input string `json:"input"`
}

// Clone returns a copy of d that shares no memory with it: its lists,
// its named scores and its product lines' decisions are copied. A Decision
// written by EvaluateInto is cloned to be kept beyond the next call.
func (d *Decision) Clone() Decision {
	c := *d
	c.Matched = slices.Clone(d.Matched)
	c.Failures = slices.Clone(d.Failures)
	c.Unjudged = slices.Clone(d.Unjudged)
	c.Scores = maps.Clone(d.Scores)
	if d.Lines != nil {
		c.Lines = make([]Decision, len(d.Lines))
		for i := range d.Lines {
			c.Lines[i] = d.Lines[i].Clone()
		}
	}
	return c
}

// Reasons returns the explanation a person reads: the Note, when there is
// one, then the reasons of the matched rules, in order.
func (d *Decision) Reasons() []string {
	out := make([]string, 0, len(d.Matched)+1)
	if d.Note != "" {
		out = append(out, d.Note)
	}
	for _, m := range d.Matched {
		out = append(out, m.Reason)
	}
	return out
}
