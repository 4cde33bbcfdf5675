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
type kinds map[lead.Kind]class

// newKinds merges the catalogue with the overrides, checking them. field
// names the config fields in errors.
func newKinds(intents map[lead.Kind]lead.Intent, touches map[lead.Kind]lead.Touch) (kinds, error) {
	k := make(kinds, len(lead.Kinds())+len(intents)+len(touches))
	for _, kind := range lead.Kinds() {
		k[kind] = class{intent: kind.Intent(), touch: kind.Touch()}
	}
	for _, kind := range slices.Sorted(maps.Keys(intents)) {
		in := intents[kind]
		if kind == "" {
			return nil, configErr("Intents", "has an empty kind")
		}
		if !in.Valid() {
			return nil, configErr("Intents["+string(kind)+"]", fmt.Sprintf("%d is not an intent", uint8(in)))
		}
		c := k[kind]
		c.intent = in
		k[kind] = c
	}
	for _, kind := range slices.Sorted(maps.Keys(touches)) {
		t := touches[kind]
		if kind == "" {
			return nil, configErr("Touches", "has an empty kind")
		}
		if t > lead.TouchSales {
			return nil, configErr("Touches["+string(kind)+"]", fmt.Sprintf("%d is not a touch", uint8(t)))
		}
		c := k[kind]
		c.touch = t
		k[kind] = c
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
// A negative activity stops the channel unless consent was given again
// strictly after it; one with no time, or a consent with no time, stops it.
// For a withdrawal by activity, cause is the latest such activity.
func (k kinds) permit(l *lead.Lead, ch lead.Channel) (permission, lead.Consent, *lead.Activity) {
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
		if k[a.Kind].intent != lead.IntentNegative {
			continue
		}
		if sc := stoppingChannel(a); sc != "" && sc != ch {
			continue
		}
		if !a.At.IsZero() && !c.At.IsZero() && a.At.Before(c.At) {
			continue // consent was given again after it
		}
		if cause == nil || a.At.After(cause.At) {
			cause = a
		}
	}
	if cause != nil {
		return withdrawn, c, cause
	}
	return permitted, c, nil
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

// Need is need the host found by other means, typically a qualify policy's
// decision: give its time and, if the decision carries one, its response
// deadline. The zero Need says nothing.
type Need struct {
	// At is when need was found; zero when the host says nothing.
	At time.Time `json:"at,omitzero"`
	// Deadline is the response deadline; zero means At plus the
	// configured response window.
	Deadline time.Time `json:"deadline,omitzero"`
	// Why says what showed the need, for explanations: the rule that
	// matched, the form that was sent.
	Why string `json:"why,omitempty"`
}

// deadline returns the need's response deadline given the window.
func (n Need) deadline(window time.Duration) time.Time {
	if !n.Deadline.IsZero() {
		return n.Deadline
	}
	return n.At.Add(window)
}
