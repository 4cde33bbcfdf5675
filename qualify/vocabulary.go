package qualify

import (
	"cmp"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/leadqual/leadqual/internal/enum"
	"github.com/leadqual/leadqual/lead"
)

// Vocabulary is what activities mean to one business: the intent of every
// activity kind (need, interest, negative or none), which kinds are the
// vendor's own touches and by whom, how a person reads each kind, how long
// each intent stays fresh, and how soon need must be answered, in which
// working hours.
//
// It has one home: the settings of the policy a host stores
// ([Settings].Intents, Touches, Descriptions, NeedFresh, InterestFresh,
// ResponseDeadline, ResponseHours and OffHours), on top of the lead
// package's catalogue of well-known kinds. [Compile] builds it and [Policy.Vocabulary] returns it; every
// consumer reads it from there: the policy's helpers and verdicts, the
// nurture planner (which hands a lead to sales on need) and the neglect
// audit (response deadlines, unnurtured interest), the recycle classifier
// (new need wakes a recycled lead) and assignment (who is on call). Every
// response deadline of the module is computed by [Vocabulary.Deadline]. There is no other way to
// make one, so these cannot disagree: declare a host kind need in the
// policy's JSON and qualify routes it to sales, the planner stops its
// nurture track with a hand-off, and the audit reports it when unanswered.
//
// A Vocabulary is immutable and safe for concurrent use.
type Vocabulary struct {
	index    kindIndex
	entries  []vocabEntry // by index
	boxed    []any        // the kinds, by index, boxed for the VM (see views.go)
	byIntent [4][]lead.Kind

	needFresh, interestFresh, deadline time.Duration
	hours                              lead.Calendar // the zero Calendar: the clock
	offHours                           OffHours

	lines productLines // see lines.go
	roles []lead.Role  // the buying group's roles: see account_helpers.go
}

type vocabEntry struct {
	kind     lead.Kind
	intent   lead.Intent
	touch    lead.Touch
	describe string
}

// newVocabulary builds the vocabulary of settings whose defaults are
// filled and which Compile has checked.
func newVocabulary(s Settings) *Vocabulary {
	all := map[lead.Kind]vocabEntry{}
	for _, k := range lead.Kinds() {
		all[k] = vocabEntry{kind: k, intent: k.Intent(), touch: k.Touch(), describe: k.Describe()}
	}
	entry := func(k lead.Kind) vocabEntry {
		if e, ok := all[k]; ok {
			return e
		}
		return vocabEntry{kind: k, describe: string(k)}
	}
	for k, in := range s.Intents {
		e := entry(k)
		e.intent = in
		all[k] = e
	}
	for k, t := range s.Touches {
		e := entry(k)
		e.touch = t
		all[k] = e
	}
	for k, d := range s.Descriptions {
		e := entry(k)
		e.describe = d
		all[k] = e
	}
	v := &Vocabulary{needFresh: s.NeedFresh, interestFresh: s.InterestFresh, deadline: s.ResponseDeadline, offHours: s.OffHours}
	if s.ResponseHours != nil {
		// Checked by Compile; hours that do not compile leave the clock,
		// and Compile refuses the policy.
		v.hours, _ = s.ResponseHours.Calendar()
	}
	kinds := slices.Sorted(maps.Keys(all))
	v.entries = make([]vocabEntry, len(kinds))
	v.boxed = make([]any, len(kinds))
	for i, k := range kinds {
		e := all[k]
		v.entries[i] = e
		v.boxed[i] = string(k)
		v.byIntent[e.intent] = append(v.byIntent[e.intent], k)
	}
	v.index = newKindIndex(kinds)
	v.lines = newProductLines(s.ProductLines)
	v.roles = buyingGroupRoles(s.Account.Roles)
	return v
}

var defaultVocabulary = sync.OnceValue(func() *Vocabulary {
	return newVocabulary(Settings{}.withDefaults())
})

// DefaultVocabulary returns the vocabulary of a policy whose settings are
// all defaults, such as [DefaultSpec]'s: the lead package's catalogue as
// it is, need fresh for 30 days, interest for 90, need answered within 5
// minutes. A host whose policy sets any of these passes that policy's
// [Policy.Vocabulary] instead.
func DefaultVocabulary() *Vocabulary { return defaultVocabulary() }

func (v *Vocabulary) entry(k lead.Kind) (vocabEntry, bool) {
	if i := v.index.lookup(k); i >= 0 {
		return v.entries[i], true
	}
	return vocabEntry{}, false
}

// Meaning is what one activity kind means under a vocabulary.
type Meaning struct {
	Intent      lead.Intent
	Touch       lead.Touch
	Description string
}

// Meaning returns what activities of kind k mean: Intent, Touch and
// Describe in one look-up.
func (v *Vocabulary) Meaning(k lead.Kind) Meaning {
	if e, ok := v.entry(k); ok {
		return Meaning{Intent: e.intent, Touch: e.touch, Description: e.describe}
	}
	return Meaning{Description: string(k)}
}

// Intent returns the intent of activities of kind k: the policy's
// Settings.Intents when it names k, else the catalogue's default
// (lead.Kind.Intent), IntentNone for a kind neither knows.
func (v *Vocabulary) Intent(k lead.Kind) lead.Intent {
	e, _ := v.entry(k)
	return e.intent
}

// Touch says whether an activity of kind k is a touch by the vendor, and by
// whom: Settings.Touches when it names k, else the catalogue's default.
func (v *Vocabulary) Touch(k lead.Kind) lead.Touch {
	e, _ := v.entry(k)
	return e.touch
}

// Describe returns a short past-tense phrase for kind k, for people:
// Settings.Descriptions when it names k, the catalogue's phrase for a
// well-known kind ("asked for a quote"), else the kind itself.
func (v *Vocabulary) Describe(k lead.Kind) string {
	if e, ok := v.entry(k); ok {
		return e.describe
	}
	return string(k)
}

// Kinds returns the kinds the vocabulary gives intent i, in name order: the
// catalogue's and the host's. The slice is a copy.
func (v *Vocabulary) Kinds(i lead.Intent) []lead.Kind {
	if !i.Valid() {
		return nil
	}
	return slices.Clone(v.byIntent[i])
}

// Freshness returns how long an activity of intent i stays fresh:
// Settings.NeedFresh for need, Settings.InterestFresh for every other
// intent (fresh() may ask about a kind without one, such as a chat).
func (v *Vocabulary) Freshness(i lead.Intent) time.Duration {
	if i == lead.IntentNeed {
		return v.needFresh
	}
	return v.interestFresh
}

// ResponseDeadline returns how soon sales must answer need, counted from
// the need's time: Settings.ResponseDeadline. It is working time when the
// policy has response hours; [Vocabulary.Deadline] does the counting.
func (v *Vocabulary) ResponseDeadline() time.Duration { return v.deadline }

// Deadline returns when need that arose at needAt must have been answered:
// the one computation of a response deadline in the module, used by
// qualify's Decision.Deadline, the nurture planner's hand-off and the
// neglect audit alike.
//
// Without response hours it is needAt + ResponseDeadline, on the clock.
// With them (Settings.ResponseHours) only the team's working time counts:
// need at 10:00 on a Monday is due at 10:05, need at 16:58 is due two
// minutes before closing and three after the next opening. Need that
// arrives outside the hours follows Settings.OffHours: with
// OffHoursOpening (the default) it is due ResponseDeadline after the team
// next opens (a pricing request at 02:00 on a Sunday is due on Monday at
// 09:05); with OffHoursOnCall it is due on the clock, needAt +
// ResponseDeadline, for whoever is on call.
func (v *Vocabulary) Deadline(needAt time.Time) time.Time {
	if v.hours.IsZero() || v.offHours == OffHoursOnCall && !v.hours.Open(needAt) {
		return needAt.Add(v.deadline)
	}
	due, err := v.hours.Add(needAt, v.deadline)
	if err != nil {
		// Compile bounds the deadline to a week of working time, which
		// every valid calendar holds: unreachable.
		return needAt.Add(v.deadline)
	}
	return due
}

// Hours returns the team's response hours (Settings.ResponseHours) as a
// calendar, in their own time zone: the zero Calendar, every moment
// working time, when the policy has none.
func (v *Vocabulary) Hours() lead.Calendar { return v.hours }

// InHours reports whether t falls within the team's response hours:
// always true when the policy has none. The neglect audit tells breaches
// of need that arrived in hours from those that arrived outside them.
func (v *Vocabulary) InHours(t time.Time) bool { return v.hours.Open(t) }

// OffHours returns how need outside the response hours is answered
// (Settings.OffHours).
func (v *Vocabulary) OffHours() OffHours { return v.offHours }

// OffHours says how need that arrives outside the team's response hours
// ([Settings].ResponseHours) is answered.
//
// The zero value is OffHoursOpening.
type OffHours uint8

// The choices.
const (
	// OffHoursOpening: need outside the hours is due the response deadline
	// after the team next opens, counting working time only.
	OffHoursOpening OffHours = iota
	// OffHoursOnCall: need outside the hours is due on the clock, the
	// response deadline after it arrived, and is answered by whoever is on
	// call (assign.Rules' on-call people); need inside the hours counts
	// working time as with OffHoursOpening.
	OffHoursOnCall
)

var offHoursTable = enum.Table[OffHours]{Type: "off_hours", Names: []string{"opening", "on_call"}}

// String returns "opening" or "on_call".
func (o OffHours) String() string { return offHoursTable.Name(o) }

// MarshalText implements encoding.TextMarshaler.
func (o OffHours) MarshalText() ([]byte, error) { return offHoursTable.Marshal(o) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (o *OffHours) UnmarshalText(b []byte) error { return offHoursTable.Set(o, b) }

// checkHours checks the response hours and the rule for need outside them.
func (c *compilation) checkHours(s *Settings) {
	if s.OffHours > OffHoursOnCall {
		c.problem("", "settings.off_hours", "unknown value %d", uint8(s.OffHours))
	}
	if s.ResponseHours == nil {
		if s.OffHours != OffHoursOpening {
			c.problem("", "settings.off_hours", "%s needs settings.response_hours: without them every hour is working time", s.OffHours)
		}
		return
	}
	if err := s.ResponseHours.Validate(); err != nil {
		for _, e := range unjoin(err) {
			var fe *lead.FieldError
			if errors.As(e, &fe) {
				c.problem("", "settings.response_hours."+fe.Path, "%s", fe.Problem)
			} else {
				c.problem("", "settings.response_hours", "%v", e)
			}
		}
		return
	}
	w := s.ResponseHours.WithDefaults()
	week := (w.End - w.Start) * time.Duration(len(w.Days))
	if d := cmp.Or(s.ResponseDeadline, DefaultResponseDeadline); d > week {
		c.problem("", "settings.response_deadline", "%s is more than a week of the response hours' working time (%s)", lead.FormatDuration(d), lead.FormatDuration(week))
	}
}

// Fresh reports whether activity a is a fresh signal at now: its kind has
// an intent, and it happened within that intent's freshness, not after now.
func (v *Vocabulary) Fresh(a *lead.Activity, now time.Time) bool {
	in := v.Intent(a.Kind)
	if in == lead.IntentNone || a.At.After(now) {
		return false
	}
	return !a.At.Before(now.Add(-v.Freshness(in)))
}

// Newest returns the index in l.Activities of the newest activity of
// intent i that is fresh at now, or -1 when there is none. Of activities
// at the same instant, the first wins.
func (v *Vocabulary) Newest(l *lead.Lead, i lead.Intent, now time.Time) int {
	best := -1
	for j := range l.Activities {
		a := &l.Activities[j]
		if v.Intent(a.Kind) != i || !v.Fresh(a, now) {
			continue
		}
		if best < 0 || a.At.After(l.Activities[best].At) {
			best = j
		}
	}
	return best
}
