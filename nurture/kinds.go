package nurture

import (
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// class is what the planner and the audit need to know of an activity
// kind: its intent and whether it is a touch, and by whom.
type class struct {
	intent lead.Intent
	touch  lead.Touch
}

// kinds classifies activity kinds by the policy's vocabulary: the one
// place their meaning is set.
type kinds struct{ v *qualify.Vocabulary }

// of returns the class of kind; the zero class (no intent, not a touch)
// for a kind the vocabulary does not know.
func (k kinds) of(kind lead.Kind) class {
	m := k.v.Meaning(kind)
	return class{intent: m.Intent, touch: m.Touch}
}

// errNoVocabulary explains a missing Config.Vocabulary.
const errNoVocabulary = "is required: pass the qualify policy's Vocabulary() (qualify.DefaultVocabulary() for the default policy), so that nurture and qualify agree on what each activity means"

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
