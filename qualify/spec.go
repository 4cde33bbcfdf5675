package qualify

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/leadqual/leadqual/internal/enum"
	"github.com/leadqual/leadqual/internal/strictjson"
	"github.com/leadqual/leadqual/lead"
)

// Spec is a policy as data: the form a CRM keeps in its database, lets an
// administrator edit, and hands to [Compile]. Its JSON form is the
// interchange format; see [ParseSpec] and the default policy in
// default_policy.json.
type Spec struct {
	// Name identifies the policy in decisions and errors.
	Name string `json:"name"`
	// Description is free text for the people who maintain the policy.
	Description string   `json:"description,omitempty"`
	Settings    Settings `json:"settings,omitzero"`
	// Rules are evaluated in order; their order is the order of
	// Decision.Matched.
	Rules []Rule `json:"rules"`
}

// Settings are the policy-wide knobs. Every zero field means its default.
//
// The first eight are the policy's vocabulary (see [Vocabulary]): what
// each activity kind means, how long signals stay fresh, how soon need is
// answered and in which hours. They are set here and nowhere else;
// nurture, the neglect audit, recycle and assign read them from the
// compiled policy.
type Settings struct {
	// NeedFresh is how long a need signal (a pricing request, a demo
	// request, ...) stays fresh: fresh() and signals("need") look this far
	// back. Default 30 days.
	NeedFresh time.Duration
	// InterestFresh is how long an interest or negative signal stays
	// fresh. Default 90 days.
	InterestFresh time.Duration
	// ResponseDeadline is how soon sales must answer a need lead, counted
	// from the newest fresh need activity (or from now when the need comes
	// from other evidence). Default 5 minutes: speed to lead. With
	// ResponseHours it counts the team's working time, and is at most a
	// week of it.
	ResponseDeadline time.Duration
	// ResponseHours, when set, are the sales team's working hours and
	// holidays: response deadlines count only working time, so a pricing
	// request at 17:00 on a Friday is due on Monday morning, not at 17:05.
	// Default nil: the clock, every hour of every day. See
	// [Vocabulary.Deadline].
	ResponseHours *lead.WorkingHours
	// OffHours says how need that arrives outside ResponseHours is
	// answered: from the team's next opening (the default), or by whoever
	// is on call, on the clock. Only with ResponseHours.
	OffHours OffHours
	// Intents overrides the default intent of activity kinds (see
	// lead.Kind.Intent), and gives the host's own kinds an intent:
	// {"callback_request": "need"} makes a host kind need everywhere.
	Intents map[lead.Kind]lead.Intent
	// Touches overrides which kinds are the vendor's touches, and by whom
	// (see lead.Kind.Touch): {"telemarketing_call": "marketing"}.
	Touches map[lead.Kind]lead.Touch
	// Descriptions give kinds the phrase a person reads in reasons and
	// reports ("asked to be called back"); the catalogue describes its own
	// kinds, and any other kind reads as itself.
	Descriptions map[lead.Kind]string

	// MQLFit and MQLEngagement are the scores a lead without need must
	// reach, both, to become marketing-qualified. Defaults 30 and 40.
	MQLFit, MQLEngagement float64
	// Final lists disqualification codes, beyond lead.ReasonNotAFit and
	// lead.ReasonDoNotContact, that close a lead for good (route drop).
	// Every other code recycles.
	Final []lead.Reason
	// OnError says what a rule that fails at run time does. Default
	// OnErrorFail.
	OnError OnError
	// OnUnknown says what a rule that reads an unknown input (a custom
	// field the lead does not have, an amount it does not state) does.
	// Default UnknownSkip: sparse data is normal data.
	OnUnknown OnUnknown

	// Queue is the order of the sales work queue (see [Policy.SortQueue]):
	// keys compared in turn until one differs. Default [DefaultQueue]:
	// priority, in_time, value, deadline, fresh, fit.
	Queue []QueueKey
	// Dimensions are named score dimensions beyond fit and engagement,
	// which rules may give points on ("dimension": "urgency"). Each is
	// reported in Decision.Scores. Names are lower-case letters, digits
	// and _, starting with a letter; at most 32.
	Dimensions []Dimension
	// ProductLines are the product lines the business sells, each with
	// the activity products that belong to it. When set, every evaluation
	// also judges each line the lead is in on its own (see the package
	// documentation, "Product lines"), and the nurture planner and the
	// recycle scheduler read the lines from the policy's Vocabulary.
	ProductLines []ProductLine
	// Account says how an account's contacts add up to the account's
	// scores, and which roles its buying group must reach (see
	// EvaluateAccount).
	Account AccountSettings
}

// ProductLine is one product line of the business: a funnel of its own on
// every lead and account (lead.Funnel), scored, judged and routed apart
// from the others.
type ProductLine struct {
	// Name is the line's name, as lead.Lead.Lines keys it; lead.CheckLineName
	// says what a name may be. The name belongs to the line's products.
	Name string `json:"name"`
	// Products are the names, aliases and codes of the products of the
	// line, as activities (lead.Activity.Product) and interests
	// (lead.Interest.Topic) name them; case is ignored. An activity whose
	// product belongs to no line counts for the lead as a whole only.
	Products []string `json:"products,omitempty"`
}

// AccountSettings say how an account is judged from its contacts (see
// EvaluateAccount). The zero value is the defaults.
type AccountSettings struct {
	// Rollup says, per dimension, how the contacts' points add up to the
	// account's: RollupSum or RollupMax. Defaults: fit is the maximum (an
	// account fits as well as its best-placed contact: the company is the
	// same), engagement and every named dimension the sum (a buying
	// group's engagement adds up).
	Rollup map[Dimension]Rollup `json:"rollup,omitempty"`
	// Roles are the roles a buying group must reach: an account reports
	// which of them are reached and which are missing. Default:
	// decision_maker (a sales, finance or managing director).
	Roles []lead.Role `json:"roles,omitempty"`
}

// IsZero reports whether the settings are all defaults.
func (a AccountSettings) IsZero() bool { return len(a.Rollup) == 0 && len(a.Roles) == 0 }

// Rollup is how the contacts' points on one dimension add up to an
// account's.
type Rollup uint8

// The roll-ups.
const (
	RollupSum Rollup = iota // the sum over the contacts
	RollupMax               // the highest contact's
)

var rollupTable = enum.Table[Rollup]{Type: "rollup", Names: []string{"sum", "max"}}

// String returns "sum" or "max".
func (r Rollup) String() string { return rollupTable.Name(r) }

// MarshalText implements encoding.TextMarshaler.
func (r Rollup) MarshalText() ([]byte, error) { return rollupTable.Marshal(r) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *Rollup) UnmarshalText(b []byte) error { return rollupTable.Set(r, b) }

// The defaults of Settings.
const (
	DefaultNeedFresh        = 30 * 24 * time.Hour
	DefaultInterestFresh    = 90 * 24 * time.Hour
	DefaultResponseDeadline = 5 * time.Minute
	DefaultMQLFit           = 30
	DefaultMQLEngagement    = 40
)

// withDefaults returns s with every zero field set to its default.
func (s Settings) withDefaults() Settings {
	s.NeedFresh = cmp.Or(s.NeedFresh, DefaultNeedFresh)
	s.InterestFresh = cmp.Or(s.InterestFresh, DefaultInterestFresh)
	s.ResponseDeadline = cmp.Or(s.ResponseDeadline, DefaultResponseDeadline)
	s.MQLFit = cmp.Or(s.MQLFit, DefaultMQLFit)
	s.MQLEngagement = cmp.Or(s.MQLEngagement, DefaultMQLEngagement)
	if s.Queue == nil {
		s.Queue = DefaultQueue()
	}
	return s
}

// OnError is what a rule that fails at run time (a nil custom field, a
// currency mismatch, a division by zero) does to the evaluation.
type OnError uint8

// The choices.
const (
	// OnErrorFail makes Evaluate return a *RuleError naming the rule.
	OnErrorFail OnError = iota
	// OnErrorSkip counts the rule as not matched and lists the failure in
	// Decision.Failures.
	OnErrorSkip
)

var onErrorTable = enum.Table[OnError]{Type: "on_error", Names: []string{"fail", "skip"}}

// String returns "fail" or "skip".
func (o OnError) String() string { return onErrorTable.Name(o) }

// MarshalText implements encoding.TextMarshaler.
func (o OnError) MarshalText() ([]byte, error) { return onErrorTable.Marshal(o) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (o *OnError) UnmarshalText(b []byte) error { return onErrorTable.Set(o, b) }

// OnUnknown is what a rule that cannot be judged, because an input it
// reads is unknown, does to the evaluation: a custom field the lead does
// not have (fields.pages_per_visit > 2 on a lead without it), or an amount
// of money it does not state (budget >= money("10000", "GBP") with no
// budget). A rule that merely compares such an input for equality
// (fields.vip == true) is judged: a missing field is not equal to true.
type OnUnknown uint8

// The choices.
const (
	// UnknownSkip counts the rule as not matched, so that an unknown input
	// earns neither points nor a verdict, and lists it in
	// Decision.Unjudged, so that a backtest can count it.
	UnknownSkip OnUnknown = iota
	// UnknownFail makes Evaluate return a *RuleError naming the rule and
	// the input (errors.Is(err, ErrUnknownInput)): for hosts whose data
	// must be complete.
	UnknownFail
)

var onUnknownTable = enum.Table[OnUnknown]{Type: "on_unknown", Names: []string{"skip", "fail"}}

// String returns "skip" or "fail".
func (o OnUnknown) String() string { return onUnknownTable.Name(o) }

// MarshalText implements encoding.TextMarshaler.
func (o OnUnknown) MarshalText() ([]byte, error) { return onUnknownTable.Marshal(o) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (o *OnUnknown) UnmarshalText(b []byte) error { return onUnknownTable.Set(o, b) }

type settingsJSON struct {
	NeedFresh        lead.Duration             `json:"need_fresh,omitempty"`
	InterestFresh    lead.Duration             `json:"interest_fresh,omitempty"`
	ResponseDeadline lead.Duration             `json:"response_deadline,omitempty"`
	MQLFit           float64                   `json:"mql_fit,omitempty"`
	MQLEngagement    float64                   `json:"mql_engagement,omitempty"`
	Intents          map[lead.Kind]lead.Intent `json:"intents,omitempty"`
	Touches          map[lead.Kind]lead.Touch  `json:"touches,omitempty"`
	Descriptions     map[lead.Kind]string      `json:"descriptions,omitempty"`
	Final            []lead.Reason             `json:"final,omitempty"`
	OnError          OnError                   `json:"on_error,omitzero"`
	OnUnknown        OnUnknown                 `json:"on_unknown,omitzero"`
	ResponseHours    json.RawMessage           `json:"response_hours,omitempty"`
	OffHours         OffHours                  `json:"off_hours,omitzero"`
	Queue            []string                  `json:"queue,omitempty"`
	Dimensions       []Dimension               `json:"dimensions,omitempty"`
	ProductLines     []ProductLine             `json:"product_lines,omitempty"`
	Account          AccountSettings           `json:"account,omitzero"`
}

// IsZero reports whether every setting is its zero value (so that JSON
// omits the settings object).
func (s Settings) IsZero() bool {
	return s.NeedFresh == 0 && s.InterestFresh == 0 && s.ResponseDeadline == 0 &&
		s.MQLFit == 0 && s.MQLEngagement == 0 && len(s.Intents) == 0 && len(s.Touches) == 0 &&
		len(s.Descriptions) == 0 && len(s.Final) == 0 && s.OnError == OnErrorFail && s.OnUnknown == UnknownSkip &&
		len(s.Dimensions) == 0 && len(s.ProductLines) == 0 && s.Account.IsZero() &&
		s.ResponseHours == nil && s.OffHours == OffHoursOpening && s.Queue == nil
}

// MarshalJSON writes durations in the syntax of lead.ParseDuration ("30d",
// "5m"). A duration that syntax cannot write (negative, longer than
// lead.MaxDuration, or with a part below a second, all of which Compile
// refuses) is an error.
func (s Settings) MarshalJSON() ([]byte, error) {
	var hours json.RawMessage
	if s.ResponseHours != nil {
		var err error
		if hours, err = json.Marshal(s.ResponseHours); err != nil {
			return nil, err
		}
	}
	var queue []string
	for _, k := range s.Queue {
		queue = append(queue, k.String())
	}
	return json.Marshal(settingsJSON{
		NeedFresh:        lead.Duration(s.NeedFresh),
		InterestFresh:    lead.Duration(s.InterestFresh),
		ResponseDeadline: lead.Duration(s.ResponseDeadline),
		MQLFit:           s.MQLFit,
		MQLEngagement:    s.MQLEngagement,
		Intents:          s.Intents,
		Touches:          s.Touches,
		Descriptions:     s.Descriptions,
		Final:            s.Final,
		OnError:          s.OnError,
		OnUnknown:        s.OnUnknown,
		ResponseHours:    hours,
		OffHours:         s.OffHours,
		Queue:            queue,
		Dimensions:       s.Dimensions,
		ProductLines:     s.ProductLines,
		Account:          s.Account,
	})
}

// UnmarshalJSON reads the form MarshalJSON writes; unknown keys and
// durations that lead.ParseDuration refuses (an empty one included) are
// errors naming the key.
func (s *Settings) UnmarshalJSON(b []byte) error {
	var j settingsJSON
	if err := strictjson.Decode(b, &j); err != nil {
		return err
	}
	out := Settings{
		NeedFresh:        time.Duration(j.NeedFresh),
		InterestFresh:    time.Duration(j.InterestFresh),
		ResponseDeadline: time.Duration(j.ResponseDeadline),
	}
	out.MQLFit, out.MQLEngagement = j.MQLFit, j.MQLEngagement
	out.Intents, out.Touches, out.Descriptions = j.Intents, j.Touches, j.Descriptions
	out.Final, out.OnError, out.OnUnknown = j.Final, j.OnError, j.OnUnknown
	out.OffHours = j.OffHours
	if err := out.unmarshalSales(j.ResponseHours, j.Queue); err != nil {
		return err
	}
	out.Dimensions, out.ProductLines, out.Account = j.Dimensions, j.ProductLines, j.Account
	*s = out
	return nil
}

// Rule is one rule of a policy: when its `When` expression is true for a
// lead, its effect applies and its Reason is listed in the decision.
//
// A rule has exactly one effect:
//   - Intent: the rule is evidence of need or of interest;
//   - Points on a Dimension: fit (who they are) or engagement (what they
//     did); Points is a number or an expression ("20",
//     `5 * count("email_click", "30d")`);
//   - Disqualify: the lead is out of scope, with a reason code.
type Rule struct {
	// Name identifies the rule; unique within a policy.
	Name string `json:"name"`
	// When is a boolean expression over the rule environment (see the
	// package documentation).
	When string `json:"when"`
	// Reason is the human-readable explanation shown when the rule matches.
	Reason string `json:"reason"`

	Intent     lead.Intent `json:"intent,omitzero"`
	Points     Points      `json:"points,omitempty"`
	Dimension  Dimension   `json:"dimension,omitzero"`
	Disqualify lead.Reason `json:"disqualify,omitempty"`
}

// Points is a points expression: a number such as "20" or "-5", or an
// expression that evaluates to a number. In JSON it is a number or a
// string.
type Points string

// MarshalJSON writes a plain number as a JSON number and anything else as a
// string.
func (p Points) MarshalJSON() ([]byte, error) {
	if _, err := strconv.ParseFloat(string(p), 64); err == nil && json.Valid([]byte(p)) {
		return []byte(p), nil
	}
	return json.Marshal(string(p))
}

// UnmarshalJSON accepts a JSON number or a string.
func (p *Points) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*p = Points(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New("want a number or an expression string")
	}
	*p = Points(n)
	return nil
}

// Dimension is what points measure: fit (who they are), engagement (what
// they did), or a named score dimension the policy declares in
// Settings.Dimensions ("urgency", "expansion"). A rule with points names
// its dimension; Compile refuses a name the policy does not declare.
//
// The zero value, DimensionNone, is only valid for a rule without points.
type Dimension string

// The built-in dimensions.
const (
	DimensionNone       Dimension = ""
	DimensionFit        Dimension = "fit"        // who they are: role, company size, industry, budget
	DimensionEngagement Dimension = "engagement" // what they did
)

// String returns the dimension's name, or "none" for DimensionNone.
func (d Dimension) String() string {
	if d == DimensionNone {
		return "none"
	}
	return string(d)
}

// Scan implements sql.Scanner for a dimension stored as text.
func (d *Dimension) Scan(src any) error {
	v, err := enum.ScanString("dimension", src)
	if err != nil {
		return err
	}
	*d = Dimension(v)
	return nil
}

// Value implements driver.Valuer.
func (d Dimension) Value() (driver.Value, error) { return string(d), nil }

// ParseSpec decodes a policy from its JSON form. Unknown keys are errors,
// so that a misspelt "dimention" does not silently drop points; every
// problem names its path ("rules[3].points", "settings.need_fresh"), line
// and column. ParseSpec checks only the shape; the rules themselves are
// checked by Compile.
func ParseSpec(data []byte) (Spec, error) {
	var s Spec
	if err := strictjson.Decode(data, &s); err != nil {
		fes := strictjson.Problems(err)
		problems := make([]Problem, len(fes))
		for i, fe := range fes {
			problems[i] = Problem{Field: "json", Path: fe.Path, Line: fe.Line, Column: fe.Column, Message: fe.Problem, Err: fe.Err}
		}
		return Spec{}, &CompileError{Policy: specName(data), Problems: problems}
	}
	return s, nil
}

// specName digs the name out of a policy that may not decode, for errors.
func specName(data []byte) string {
	var n struct {
		Name string `json:"name"`
	}
	_ = json.NewDecoder(bytes.NewReader(data)).Decode(&n)
	return n.Name
}

// version returns the content hash of a spec: the same rules and settings
// give the same version, whatever the JSON's whitespace or key order.
func (s Spec) version() string {
	b, err := json.Marshal(s)
	if err != nil {
		// Marshal fails only on invalid enum values, which Compile has
		// already refused; fall back to Go's own formatting.
		b = fmt.Appendf(nil, "%#v", s)
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:8])
}
