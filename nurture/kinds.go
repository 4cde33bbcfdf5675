package nurture

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/leadqual/leadqual/lead"
)

// class is what the planner and the audit need to know of an activity
// kind: its intent and whether it is a touch, and by whom.
type class struct {
	intent lead.Intent
	touch  lead.Touch
}

// kinds classifies activity kinds: the lead package's catalogue with the
// host's overrides on top. It is built once and never modified, so it is
// safe for concurrent use.
//
// Classifying is the inner loop of the planner and the audit, so short
// kinds live in small tables by length, compared directly (a map would
// hash every kind); long kinds, and lengths that hold many kinds, use a
// map.
type kinds struct {
	short [maxShortKind][]kindEntry
	long  map[lead.Kind]class
}

type kindEntry struct {
	kind lead.Kind
	c    class
}

const (
	maxShortKind = 32 // kinds shorter than this go in the tables
	maxPerLength = 8  // more kinds of one length go in the map
)

// of returns the class of kind; the zero class (no intent, not a touch)
// for a kind neither the catalogue nor the overrides know.
func (k *kinds) of(kind lead.Kind) class {
	if n := len(kind); n < maxShortKind && k.short[n] != nil {
		for _, e := range k.short[n] {
			if e.kind == kind {
				return e.c
			}
		}
		return class{}
	}
	return k.long[kind]
}

// newKinds merges the catalogue with the overrides, checking them.
func newKinds(intents map[lead.Kind]lead.Intent, touches map[lead.Kind]lead.Touch) (*kinds, error) {
	all := make(map[lead.Kind]class, len(lead.Kinds())+len(intents)+len(touches))
	for _, kind := range lead.Kinds() {
		all[kind] = class{intent: kind.Intent(), touch: kind.Touch()}
	}
	for _, kind := range slices.Sorted(maps.Keys(intents)) {
		in := intents[kind]
		if kind == "" {
			return nil, configErr("Intents", "has an empty kind")
		}
		if !in.Valid() {
			return nil, configErr("Intents["+clip(string(kind), 60)+"]", fmt.Sprintf("%d is not an intent", uint8(in)))
		}
		c := all[kind]
		c.intent = in
		all[kind] = c
	}
	for _, kind := range slices.Sorted(maps.Keys(touches)) {
		t := touches[kind]
		if kind == "" {
			return nil, configErr("Touches", "has an empty kind")
		}
		if t > lead.TouchSales {
			return nil, configErr("Touches["+clip(string(kind), 60)+"]", fmt.Sprintf("%d is not a touch", uint8(t)))
		}
		c := all[kind]
		c.touch = t
		all[kind] = c
	}
	k := &kinds{long: map[lead.Kind]class{}}
	var perLen [maxShortKind]int
	for kind := range all {
		if n := len(kind); n < maxShortKind {
			perLen[n]++
		}
	}
	for _, kind := range slices.Sorted(maps.Keys(all)) {
		n := len(kind)
		if n >= maxShortKind || perLen[n] > maxPerLength {
			k.long[kind] = all[kind]
			continue
		}
		k.short[n] = append(k.short[n], kindEntry{kind, all[kind]})
	}
	// A length with no kinds still answers from its table, without the
	// map: an empty, non-nil table.
	for n := range k.short {
		if k.short[n] == nil && perLen[n] <= maxPerLength {
			k.short[n] = []kindEntry{}
		}
	}
	return k, nil
}

// stoppingChannel returns the channel a negative activity stops: its own,
// email for the well-known email kinds that carry none, and "" (every
// channel) for any other negative activity that names no channel.
func stoppingChannel(a *lead.Activity) lead.Channel {
	if a.Channel != "" {
		return a.Channel
	}
	switch a.Kind {
	case lead.KindUnsubscribe, lead.KindBounce, lead.KindSpamComplaint:
		return lead.ChannelEmail
	}
	return ""
}

// permission is the verdict on one channel of one lead.
type permission uint8

const (
	permitted permission = iota
	noConsent
	withdrawn
)

// permit judges whether the lead may be touched on ch: it must have opted
// in, and no negative activity (an unsubscribe, a bounce, a spam complaint,
// or a host kind overridden to negative) may have stopped the channel since.
// For a withdrawal by activity, cause is the latest such activity.
func (k *kinds) permit(l *lead.Lead, ch lead.Channel) (permission, lead.Consent, *lead.Activity) {
	c := l.Consent[ch]
	switch c.State {
	case lead.ConsentOptedIn:
	case lead.ConsentOptedOut:
		return withdrawn, c, nil
	default:
		return noConsent, c, nil
	}
	var cause *lead.Activity
	for i := range l.Activities {
		a := &l.Activities[i]
		if stops(a, k.of(a.Kind), ch, c.At) && (cause == nil || a.At.After(cause.At)) {
			cause = a
		}
	}
	if cause != nil {
		return withdrawn, c, cause
	}
	return permitted, c, nil
}

// stops reports whether activity a, of class c, stops channel ch on which
// consent was given at consentAt. A negative activity stops the channel
// unless consent was given again strictly after it; one with no time, or
// a consent with no time, stops it.
func stops(a *lead.Activity, c class, ch lead.Channel, consentAt time.Time) bool {
	if c.intent != lead.IntentNegative {
		return false
	}
	if sc := stoppingChannel(a); sc != "" && sc != ch {
		return false
	}
	return a.At.IsZero() || consentAt.IsZero() || !a.At.Before(consentAt)
}

// disqualified reports whether the lead is closed for good: its stage is
// disqualified or its lost reason is final.
func disqualified(l *lead.Lead) bool {
	return l.Stage == lead.StageDisqualified || l.LostReason.Final()
}

// withSales reports whether the lead's stage belongs to sales (or the lead
// is a customer): nurture does not touch it.
func withSales(s lead.Stage) bool {
	switch s {
	case lead.StageSalesAccepted, lead.StageSalesQualified, lead.StageOpportunity, lead.StageWon:
		return true
	}
	return false
}
