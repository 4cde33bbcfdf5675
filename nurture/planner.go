package nurture

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// Config configures a [Planner]. Vocabulary is required; every other zero
// field is its documented default.
type Config struct {
	// Vocabulary is what activities mean: which kinds are need (they stop
	// the track with a hand-off to sales), which are negative (they stop a
	// channel), which are marketing touches (the frequency cap counts
	// them), and the response deadline of a hand-off. Pass the qualify
	// policy's Policy.Vocabulary(), so that the planner hands off exactly
	// the leads the policy sends to sales; qualify.DefaultVocabulary() for
	// the default policy. Required: there is no second place to say it.
	Vocabulary *qualify.Vocabulary

	// MaxTouches caps the lead's marketing touches: at most MaxTouches in
	// the CapPeriod that ends with the planned touch, counting it. Default
	// 3; negative means no cap. Touches are the lead's activities of
	// marketing kinds, from every track, with their recorded times.
	MaxTouches int
	// CapPeriod is the period of the cap. Default 7 days.
	CapPeriod time.Duration

	// QuietHours are kept in the lead's time zone. The zero value is the
	// default, 21:00 to 08:00.
	QuietHours QuietHours

	// TimeZone is the IANA name of the zone used for a lead whose contact
	// has none. Default "UTC".
	TimeZone string
}

// Defaults of Config.
const (
	DefaultMaxTouches = 3
	DefaultCapPeriod  = 7 * 24 * time.Hour
	DefaultTimeZone   = "UTC"
)

// withDefaults fills the zero fields with their defaults: the one place
// defaults are set.
func (c Config) withDefaults() Config {
	c.MaxTouches = cmp.Or(c.MaxTouches, DefaultMaxTouches)
	c.CapPeriod = cmp.Or(c.CapPeriod, DefaultCapPeriod)
	c.TimeZone = cmp.Or(c.TimeZone, DefaultTimeZone)
	return c
}

// validate checks a Config whose defaults are filled, naming the field.
func (c Config) validate() error {
	if c.Vocabulary == nil {
		return configErr("Vocabulary", errNoVocabulary)
	}
	if c.CapPeriod < 0 || c.CapPeriod > MaxWait {
		return configErr("CapPeriod", fmt.Sprintf("%s is not between 0 and %s", c.CapPeriod, lead.FormatDuration(MaxWait)))
	}
	if c.MaxTouches > 1000 {
		return configErr("MaxTouches", fmt.Sprintf("%d is more than 1000", c.MaxTouches))
	}
	return nil
}

// Planner plans the next permission-based touch of a lead on its track. It
// holds the validated configuration and a cache of time zones; it is safe
// for concurrent use, and one Planner serves every lead and track.
type Planner struct {
	cfg   Config
	kinds kinds
	quiet quiet
	zone  *time.Location // Config.TimeZone: for leads without one
	zones lead.Zones     // the contacts' zones loaded so far
}

// NewPlanner validates cfg, fills its defaults and returns a Planner. A
// refused field is reported as a *Error naming it.
func NewPlanner(cfg Config) (*Planner, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	q, err := cfg.QuietHours.compile("QuietHours")
	if err != nil {
		return nil, err
	}
	def, err := lead.LoadZone(cfg.TimeZone)
	if err != nil {
		return nil, &Error{Kind: ErrInvalidConfig, Problems: []*lead.FieldError{{Path: "TimeZone", Problem: fmt.Sprintf("%q is not a time zone", clip(cfg.TimeZone, 60)), Err: err}}}
	}
	return &Planner{cfg: cfg, kinds: kinds{cfg.Vocabulary}, quiet: q, zone: def}, nil
}

// Config returns the planner's configuration with its defaults filled in.
func (p *Planner) Config() Config { return p.cfg }

// Progress is where a lead stands on its track: the data a host stores
// with each enrolled lead, next to the track's name.
//
// Record each touch you make with [Progress.Advance], and also as an
// activity on the lead (lead.KindNurtureEmail, or a kind you count as a
// marketing touch in the policy's settings): the frequency cap counts the lead's
// marketing touches, whatever track they came from.
type Progress struct {
	// Next is the index (from 0) of the next step; the track's length
	// when every step has been made.
	Next int `json:"next"`
	// Enrolled is when the lead joined the track. The first step's wait
	// runs from it, and need shown since it stops the track.
	Enrolled time.Time `json:"enrolled"`
	// Last is when the last touch of the track was made; zero before the
	// first. The next step's wait runs from it, or from Enrolled if that
	// is later (a lead enrolled again keeps its last touch).
	Last time.Time `json:"last,omitzero"`
}

// Advance returns the progress after the next step was made at time at.
func (p Progress) Advance(at time.Time) Progress {
	p.Next++
	p.Last = at
	return p
}

// Skip returns the progress after the next step was skipped (for lack of
// consent on its channel, say): the step after it waits from the last touch
// made.
func (p Progress) Skip() Progress {
	p.Next++
	return p
}

// Need is need the host found by other means, typically a qualify policy's
// decision: give its time and, if the decision carries one, its response
// deadline. The zero Need says nothing.
type Need struct {
	// At is when need was found; zero when the host says nothing.
	At time.Time `json:"at,omitzero"`
	// Deadline is the response deadline; zero means the vocabulary's
	// deadline of At (qualify.Vocabulary.Deadline: the response deadline
	// after it, in the team's working time when the policy has response
	// hours).
	Deadline time.Time `json:"deadline,omitzero"`
	// Why says what showed the need, for explanations: the rule that
	// matched, the form that was sent.
	Why string `json:"why,omitempty"`
}

// deadline returns the need's response deadline: its own, or the
// vocabulary's deadline of its time.
func (n Need) deadline(v *qualify.Vocabulary) time.Time {
	if !n.Deadline.IsZero() {
		return n.Deadline
	}
	return v.Deadline(n.At)
}

// Input is what the planner judges: a lead, its track and its progress on
// it, and need the host found by other means.
type Input struct {
	// Lead is the lead; it is read, never changed.
	Lead *lead.Lead
	// Track is the track the lead is on.
	Track *Track
	// Progress is the lead's progress on Track, as the host stored it.
	Progress Progress
	// Need, when set, is need the host found itself, typically from a
	// qualify policy's decision: the planner then hands the lead off as it
	// does for need it finds in the activities.
	Need Need
	// Line is the product line the track nurtures, one of the policy's
	// (Vocabulary.Lines); empty for the lead as a whole, as for a host
	// without product lines. A lead may be on one track per line: the
	// line's funnel (lead.Lead.Funnel) decides whether it is
	// disqualified or with sales, and only need on the line, or need that
	// names no line's product, hands it off: a customer asking for a quote
	// on one line keeps learning about another. The frequency cap counts
	// the marketing touches of every line: it protects the person.
	Line string
}

// Outcome is the planner's verdict: a touch, or the reason there is none.
// The zero value, OutcomeNone, is no plan at all (the zero Plan).
type Outcome uint8

// The outcomes. Every outcome but OutcomeTouch is a distinct reason why no
// touch is planned, listed in the order the planner checks them.
const (
	OutcomeNone Outcome = iota // no plan: the zero Plan, never returned by Next
	// OutcomeTouch: make the step at Plan.At on Plan.Channel.
	OutcomeTouch
	// OutcomeDisqualified: the lead is closed for good (stage
	// disqualified, or a final lost reason: not a fit, do not contact).
	// Nurture stops; nothing is ever planned again.
	OutcomeDisqualified
	// OutcomeHandOff: need was found (an activity of need intent since the
	// enrolment, or Input.Need). Nurture stops and the lead goes to sales
	// now: Plan.Deadline is the response deadline.
	OutcomeHandOff
	// OutcomeWithSales: the lead's stage belongs to sales (sales accepted,
	// sales qualified, opportunity) or it is a customer (won). Nurture
	// does not touch it; enrol it again if sales hands it back.
	OutcomeWithSales
	// OutcomeCompleted: every step of the track has been made. Enrol the
	// lead on another track, or hand it to sales if the track's last,
	// most specific step was its purpose.
	OutcomeCompleted
	// OutcomeNoConsent: the prospect never opted in on the step's
	// channel. Ask for permission, or skip the step (Progress.Skip).
	OutcomeNoConsent
	// OutcomeConsentWithdrawn: the prospect opted out on the step's
	// channel, or an unsubscribe, a bounce or a spam complaint stopped it
	// (Plan.Cause). Skip the step or end the track; never touch that
	// channel again until the prospect opts in anew.
	OutcomeConsentWithdrawn
)

var outcomeNames = [...]string{"none", "touch", "disqualified", "hand_off", "with_sales", "completed", "no_consent", "consent_withdrawn"}

// String returns the outcome's name, e.g. "hand_off".
func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "outcome(" + strconv.Itoa(int(o)) + ")"
}

// MarshalText implements encoding.TextMarshaler.
func (o Outcome) MarshalText() ([]byte, error) {
	if int(o) >= len(outcomeNames) {
		return nil, fmt.Errorf("invalid outcome %d", uint8(o))
	}
	return []byte(outcomeNames[o]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (o *Outcome) UnmarshalText(b []byte) error {
	for i, n := range outcomeNames {
		if n == string(b) {
			*o = Outcome(i)
			return nil
		}
	}
	return fmt.Errorf("unknown outcome %q (accepted: %s)", clip(string(b), 40), strings.Join(outcomeNames[:], ", "))
}

// Moves say why a touch was planned later than its step fell due.
type Moves uint8

// The moves.
const (
	MovedNow   Moves = 1 << iota // the step was overdue: planned now
	MovedCap                     // the frequency cap was reached: planned when a touch leaves the period
	MovedQuiet                   // the time fell in quiet hours or days: planned at their end
)

var moveNames = [...]string{"now", "cap", "quiet"}

// String lists the moves, e.g. "cap+quiet"; "" for none.
func (m Moves) String() string {
	var parts []string
	for i, n := range moveNames {
		if m&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	return strings.Join(parts, "+")
}

// MarshalText implements encoding.TextMarshaler: the form String writes.
func (m Moves) MarshalText() ([]byte, error) {
	if m >= 1<<len(moveNames) {
		return nil, fmt.Errorf("invalid moves %d", uint8(m))
	}
	return []byte(m.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (m *Moves) UnmarshalText(b []byte) error {
	var out Moves
	if len(b) > 0 {
	parts:
		for _, p := range strings.Split(string(b), "+") {
			for i, n := range moveNames {
				if p == n {
					out |= 1 << i
					continue parts
				}
			}
			return fmt.Errorf("unknown move %q (accepted: %s)", clip(p, 40), strings.Join(moveNames[:], ", "))
		}
	}
	*m = out
	return nil
}

// Plan is the planner's answer for one lead at one moment.
type Plan struct {
	// Outcome is the verdict: a touch, or why there is none.
	Outcome Outcome `json:"outcome"`
	// Lead is the lead's ID.
	Lead string `json:"lead"`
	// Line is Input.Line: the product line the track nurtures.
	Line string `json:"line,omitempty"`
	// Track is the track's name.
	Track string `json:"track"`
	// Index is the step concerned (from 0): the one to make for a touch,
	// the blocked one for OutcomeNoConsent and OutcomeConsentWithdrawn.
	// For other outcomes it is the progress's next step.
	Index int `json:"index"`
	// Step is the step at Index; the zero Step when there is none.
	Step Step `json:"step,omitzero"`
	// Channel is the step's channel.
	Channel lead.Channel `json:"channel,omitempty"`
	// At is when to make the touch, in the lead's time zone: never before
	// now, never in quiet hours, never over the cap. Zero unless
	// OutcomeTouch.
	At time.Time `json:"at,omitzero"`
	// Due is when the step fell due: the later of the last touch and the
	// enrolment, plus the step's wait. At is later when Moved says why.
	Due time.Time `json:"due,omitzero"`
	// Moved says why At is later than Due.
	Moved Moves `json:"moved,omitempty"`
	// Deadline is the response deadline of a hand-off: sales must touch
	// the lead by then. Zero unless OutcomeHandOff.
	Deadline time.Time `json:"deadline,omitzero"`
	// Cause is the activity behind a hand-off (the need) or a withdrawal
	// (the unsubscribe, bounce or complaint); the zero Activity when the
	// outcome has no such cause (Input.Need, an opt-out in the consent
	// record).
	Cause lead.Activity `json:"cause,omitzero"`
	// Need is Input.Need, when that caused the hand-off.
	Need Need `json:"need,omitzero"`
	// Consent is the consent record of the step's channel, for the
	// consent outcomes and touches.
	Consent lead.Consent `json:"consent,omitzero"`
}

// Touch reports whether the plan is a touch.
func (p Plan) Touch() bool { return p.Outcome == OutcomeTouch }

// String explains the plan in one line, for logs and people.
func (p Plan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: ", p.Lead)
	stepText := func() {
		fmt.Fprintf(&b, "step %d of %q (%s, %q on %s)", p.Index+1, p.Track, p.Step.Specificity, p.Step.Asset, p.Channel)
	}
	switch p.Outcome {
	case OutcomeTouch:
		b.WriteString("touch: ")
		stepText()
		fmt.Fprintf(&b, " at %s", p.At.Format("Mon 2006-01-02 15:04 MST"))
		if p.Moved != 0 {
			fmt.Fprintf(&b, " (due %s, moved: %s)", p.Due.In(p.At.Location()).Format("Mon 2006-01-02 15:04 MST"), p.Moved)
		}
	case OutcomeHandOff:
		b.WriteString("hand off to sales now: ")
		switch {
		case p.Cause.Kind != "":
			fmt.Fprintf(&b, "%s at %s", p.Cause.Kind.Describe(), p.Cause.At.Format(time.RFC3339))
		case p.Need.Why != "":
			fmt.Fprintf(&b, "need found at %s (%s)", p.Need.At.Format(time.RFC3339), p.Need.Why)
		default:
			fmt.Fprintf(&b, "need found at %s", p.Need.At.Format(time.RFC3339))
		}
		fmt.Fprintf(&b, "; respond by %s", p.Deadline.Format(time.RFC3339))
	case OutcomeDisqualified:
		b.WriteString("no touch: disqualified")
	case OutcomeWithSales:
		b.WriteString("no touch: with sales")
	case OutcomeCompleted:
		fmt.Fprintf(&b, "no touch: track %q completed", p.Track)
	case OutcomeNoConsent:
		b.WriteString("no touch: no consent for ")
		stepText()
	case OutcomeConsentWithdrawn:
		b.WriteString("no touch: consent withdrawn for ")
		stepText()
		if p.Cause.Kind != "" {
			fmt.Fprintf(&b, ": %s at %s", p.Cause.Kind.Describe(), p.Cause.At.Format(time.RFC3339))
		} else {
			b.WriteString(": opted out")
		}
	default:
		b.WriteString("no plan")
	}
	return b.String()
}

// Next plans the lead's next touch on its track as of now, or says why there
// is none. It checks, in order (for Input.Line, on the line's funnel and
// its need, as Input.Line says):
//
//  1. disqualified (stage disqualified, or a final lost reason; the lead's
//     do not contact on any line): OutcomeDisqualified;
//  2. need: an activity of need intent at or after the enrolment (with
//     the policy's vocabulary), or Input.Need: OutcomeHandOff, with the
//     response deadline of the earliest need;
//  3. a stage that belongs to sales, or won: OutcomeWithSales;
//  4. every step made: OutcomeCompleted;
//  5. the step's channel: no opt-in is OutcomeNoConsent; an opt-out, or an
//     unsubscribe, bounce or spam complaint since the opt-in, is
//     OutcomeConsentWithdrawn;
//  6. otherwise OutcomeTouch, at the step's due time (the later of the
//     last touch and the enrolment, plus its wait) or now if that has
//     passed, then moved later as needed so that the touch keeps the
//     frequency cap and falls outside quiet hours in the lead's time zone.
//
// Input the planner cannot judge is an *Error (errors.Is(err,
// ErrInvalidInput)): no lead, no track, progress that is negative, past
// the end of the track or has no enrolment time, or a time zone that does
// not load, or a Line the policy does not declare. The lead is read, never
// changed; Next does not validate the rest of it (see lead.Lead.Validate).
func (p *Planner) Next(in Input, now time.Time) (Plan, error) {
	l, tr := in.Lead, in.Track
	if l == nil {
		return Plan{}, inputErr("", "lead", "is nil", nil)
	}
	if tr == nil || tr.Len() == 0 {
		return Plan{}, inputErr(l.ID, "track", "is nil or has no steps (build it with NewTrack)", nil)
	}
	pr := in.Progress
	switch {
	case pr.Next < 0:
		return Plan{}, inputErr(l.ID, "progress.next", fmt.Sprintf("is negative (%d)", pr.Next), nil)
	case pr.Next > tr.Len():
		return Plan{}, inputErr(l.ID, "progress.next",
			fmt.Sprintf("step %d is past the end of track %q (%d steps): was the track shortened?", pr.Next+1, tr.name, tr.Len()), nil)
	case pr.Enrolled.IsZero():
		return Plan{}, inputErr(l.ID, "progress.enrolled", "is missing", nil)
	}
	if in.Line != "" && !p.cfg.Vocabulary.HasLine(in.Line) {
		return Plan{}, inputErr(l.ID, "line", fmt.Sprintf("%q is not a product line of the policy (%s)",
			clip(in.Line, 60), strings.Join(p.cfg.Vocabulary.Lines(), ", ")), nil)
	}
	plan := Plan{Lead: l.ID, Line: in.Line, Track: tr.name, Index: pr.Next}
	if st, ok := tr.Step(pr.Next); ok {
		plan.Step, plan.Channel = st, st.Channel
	}
	f := l.Funnel(in.Line)

	if disqualified(l) && (in.Line == "" || l.LostReason == lead.ReasonDoNotContact) ||
		in.Line != "" && (f.Stage == lead.StageDisqualified || f.LostReason.Final()) {
		plan.Outcome = OutcomeDisqualified
		return plan, nil
	}

	// One pass over the activities finds the need, the withdrawals of the
	// step's channel and the marketing touches.
	consent := l.Consent[plan.Channel]
	var buf [32]time.Time
	sc := p.scan(l, &pr, in.Line, plan.Channel, consent.At, buf[:0])

	if p.handOff(&plan, &in, sc.need, sc.needDue) {
		return plan, nil
	}
	if withSales(f.Stage) {
		plan.Outcome = OutcomeWithSales
		return plan, nil
	}
	if pr.Next == tr.Len() {
		plan.Outcome = OutcomeCompleted
		return plan, nil
	}
	plan.Consent = consent
	switch {
	case consent.State == lead.ConsentOptedOut:
		plan.Outcome = OutcomeConsentWithdrawn
		return plan, nil
	case consent.State != lead.ConsentOptedIn:
		plan.Outcome = OutcomeNoConsent
		return plan, nil
	case sc.stop != nil:
		plan.Outcome, plan.Cause = OutcomeConsentWithdrawn, *sc.stop
		return plan, nil
	}

	loc, err := p.location(l.Contact.TimeZone)
	if err != nil {
		return Plan{}, inputErr(l.ID, "contact.time_zone", fmt.Sprintf("%q is not a time zone", clip(l.Contact.TimeZone, 60)), err)
	}
	anchor := pr.Enrolled
	if pr.Last.After(anchor) {
		anchor = pr.Last
	}
	plan.Due = anchor.Add(plan.Step.Wait)
	at := plan.Due
	if at.Before(now) {
		at, plan.Moved = now, MovedNow
	}
	at, moves, err := p.settle(sc.touches, at, loc)
	if err != nil {
		return Plan{}, inputErr(l.ID, "activities", "no time keeps the frequency cap and quiet hours", err)
	}
	plan.Moved |= moves
	plan.Outcome, plan.At = OutcomeTouch, at.In(loc)
	return plan, nil
}

// scanned is what one pass over a lead's activities tells the planner.
type scanned struct {
	// need is the activity of need intent at or after the enrolment with
	// the earliest response deadline (the earliest activity, unless the
	// policy answers need outside its hours on call, on the clock), and
	// needDue that deadline.
	need    *lead.Activity
	needDue time.Time
	// stop is the latest negative activity that stops the step's channel.
	stop *lead.Activity
	// touches are the times of the marketing touches, in order, with the
	// progress's last touch when no activity records it.
	touches []time.Time
}

func (p *Planner) scan(l *lead.Lead, pr *Progress, line string, ch lead.Channel, consentAt time.Time, buf []time.Time) scanned {
	var s scanned
	lastRecorded := pr.Last.IsZero()
	for i := range l.Activities {
		a := &l.Activities[i]
		c := p.kinds.of(a.Kind)
		switch c.intent {
		case lead.IntentNeed:
			if a.At.Before(pr.Enrolled) || !p.onLine(a, line) {
				break
			}
			if due := p.cfg.Vocabulary.Deadline(a.At); s.need == nil || due.Before(s.needDue) || due.Equal(s.needDue) && a.At.Before(s.need.At) {
				s.need, s.needDue = a, due
			}
		case lead.IntentNegative:
			if ch != "" && stops(a, c, ch, consentAt) && (s.stop == nil || a.At.After(s.stop.At)) {
				s.stop = a
			}
		}
		if c.touch == lead.TouchMarketing && !a.At.IsZero() {
			buf = append(buf, a.At)
			if !lastRecorded && a.At.Equal(pr.Last) {
				lastRecorded = true
			}
		}
	}
	if !lastRecorded {
		buf = append(buf, pr.Last)
	}
	if !slices.IsSortedFunc(buf, time.Time.Compare) {
		slices.SortFunc(buf, time.Time.Compare)
	}
	s.touches = buf
	return s
}

// handOff reports whether need stops the track, filling the plan if so:
// the need activity since the enrolment with the earliest deadline (due),
// or Input.Need, whichever has the earlier deadline.
func (p *Planner) handOff(plan *Plan, in *Input, first *lead.Activity, due time.Time) bool {
	explicit := !in.Need.At.IsZero()
	if first == nil && !explicit {
		return false
	}
	plan.Outcome = OutcomeHandOff
	if first != nil {
		plan.Cause, plan.Deadline = *first, due
	}
	if explicit {
		if d := in.Need.deadline(p.cfg.Vocabulary); first == nil || d.Before(plan.Deadline) {
			plan.Cause, plan.Deadline, plan.Need = lead.Activity{}, d, in.Need
		}
	}
	return true
}

// settle moves at later until it keeps both the frequency cap and quiet
// hours. Each only ever moves it later, so they settle in a few rounds:
// when one of them leaves the time as the other set it, both hold.
func (p *Planner) settle(touches []time.Time, at time.Time, loc *time.Location) (time.Time, Moves, error) {
	var moves Moves
	quietHeld := false
	for range 64 {
		t, capped := p.capped(touches, at)
		if capped {
			moves |= MovedCap
		} else if quietHeld {
			return at, moves, nil
		}
		q, quieted, err := p.quiet.next(t, loc)
		if err != nil {
			return at, moves, err
		}
		if !quieted {
			return t, moves, nil
		}
		moves |= MovedQuiet
		at, quietHeld = q, true
	}
	return at, moves, errUnsettled
}

// capped returns the first time from t at which a touch keeps the cap:
// fewer than MaxTouches marketing touches (given in order) in the period
// (t-CapPeriod, t].
func (p *Planner) capped(touches []time.Time, t time.Time) (time.Time, bool) {
	max := p.cfg.MaxTouches
	if max < 0 || len(touches) < max {
		return t, false
	}
	moved := false
	for range len(touches) + 1 {
		lo := countNotAfter(touches, t.Add(-p.cfg.CapPeriod))
		hi := countNotAfter(touches, t)
		if hi-lo < max {
			return t, moved
		}
		// Wait until enough of the oldest touches leave the period.
		t, moved = touches[hi-max].Add(p.cfg.CapPeriod), true
	}
	return t, moved
}

// countNotAfter returns how many of the ordered times are not after t.
func countNotAfter(ts []time.Time, t time.Time) int {
	lo, hi := 0, len(ts)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if ts[m].After(t) {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}
