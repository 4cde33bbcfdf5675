package qualify

import (
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/leadqual/leadqual/lead"
)

// Vocabulary is what activities mean to one business: the intent of every
// activity kind (need, interest, negative or none), which kinds are the
// vendor's own touches and by whom, how a person reads each kind, how long
// each intent stays fresh, and how soon need must be answered.
//
// It has one home: the settings of the policy a host stores
// ([Settings].Intents, Touches, Descriptions, NeedFresh, InterestFresh and
// ResponseDeadline), on top of the lead package's catalogue of well-known
// kinds. [Compile] builds it and [Policy.Vocabulary] returns it; every
// consumer reads it from there: the policy's helpers and verdicts, the
// nurture planner (which hands a lead to sales on need) and the neglect
// audit (response deadlines, unnurtured interest), and the recycle
// classifier (new need wakes a recycled lead). There is no other way to
// make one, so these cannot disagree: declare a host kind need in the
// policy's JSON and qualify routes it to sales, the planner stops its
// nurture track with a hand-off, and the audit reports it when unanswered.
//
// A Vocabulary is immutable and safe for concurrent use.
type Vocabulary struct {
	index    kindIndex
	entries  []vocabEntry // by index
	byIntent [4][]lead.Kind

	needFresh, interestFresh, deadline time.Duration

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
	v := &Vocabulary{needFresh: s.NeedFresh, interestFresh: s.InterestFresh, deadline: s.ResponseDeadline}
	kinds := slices.Sorted(maps.Keys(all))
	v.entries = make([]vocabEntry, len(kinds))
	for i, k := range kinds {
		e := all[k]
		v.entries[i] = e
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
// the need's time: Settings.ResponseDeadline.
func (v *Vocabulary) ResponseDeadline() time.Duration { return v.deadline }

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
