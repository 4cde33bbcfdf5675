package backtest

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/leadqual/leadqual/lead"
)

// RewindStats counts what rewinding leads to their decision times took
// away: how much of the history was recorded after the decision it is
// judged for. A backtest whose counts are large would have leaked much
// without the rewind; see the package documentation for what it cannot
// see.
type RewindStats struct {
	// Leads is the number of leads that had anything recorded after their
	// decision time.
	Leads int `json:"leads"`
	// Activities after the decision time, dropped.
	Activities int `json:"activities"`
	// UndatedActivities: activities without a time, dropped unless
	// Config.KeepUndated (they cannot be placed before the decision).
	UndatedActivities int `json:"undated_activities"`
	// Interests first seen after the decision time, dropped.
	Interests int `json:"interests"`
	// InterestsMovedBack: interests first seen before the decision time and
	// last seen after it; their last sighting is moved back to the newest
	// evidence at or before it (an activity about the topic, else the first
	// sighting).
	InterestsMovedBack int `json:"interests_moved_back"`
	// UndatedInterests: interests without dates, dropped unless
	// Config.KeepUndated (qualify counts an undated interest as fresh).
	UndatedInterests int `json:"undated_interests"`
	// Moves: stage moves (history entries) after the decision time, dropped.
	Moves int `json:"moves"`
	// Stages: leads whose stage at the decision time differs from their
	// stage today.
	Stages int `json:"stages"`
	// StagesAssumed: leads without a stage history, updated after the
	// decision time and not new today, or won today with nothing to date
	// it: their stage then is unknown and is taken to be new. (A won stage
	// is the outcome itself, which must not decide.)
	StagesAssumed int `json:"stages_assumed"`
	// StagesUndated: leads with neither a stage history nor an updated_at,
	// and not new today: nothing dates their stage and lost reason, which
	// are kept as they are today. If they changed after the decision time,
	// the backtest sees the future; give the history or updated_at to
	// rewind them. A lead won today is not kept (see StagesAssumed).
	StagesUndated int `json:"stages_undated"`
	// LostReasons: lost reasons cleared, because the stage may have changed
	// since the decision time and the reason may be a later one.
	LostReasons int `json:"lost_reasons"`
	// Consents recorded after the decision time, reset to unknown (what
	// they were before is not recorded).
	Consents int `json:"consents"`
	// Updated: leads whose updated_at was after the decision time, moved
	// back to the newest time recorded at or before it.
	Updated int `json:"updated"`
}

func (s *RewindStats) add(o *RewindStats) {
	s.Leads += o.Leads
	s.Activities += o.Activities
	s.UndatedActivities += o.UndatedActivities
	s.Interests += o.Interests
	s.InterestsMovedBack += o.InterestsMovedBack
	s.UndatedInterests += o.UndatedInterests
	s.Moves += o.Moves
	s.Stages += o.Stages
	s.StagesAssumed += o.StagesAssumed
	s.StagesUndated += o.StagesUndated
	s.LostReasons += o.LostReasons
	s.Consents += o.Consents
	s.Updated += o.Updated
}

// AsOf returns a copy of l as it was known at `at`, with everything
// recorded after `at` taken away, and the counts of what was taken.
// l itself is never modified, and the copy shares no slice or map with it.
//
// Activities after `at` and undated ones are dropped; stage moves after
// `at` are dropped and the stage is rewound to the one the history gives
// at `at`; the lost reason is kept only when the stage is known not to have
// changed since; interests first seen after `at` are dropped and later
// sightings moved back; consents recorded after `at` become unknown;
// updated_at is moved back. The package documentation lists the rules, and
// what cannot be rewound (fields the lead does not date).
//
// A lead created after `at` did not exist then: AsOf returns a
// *RecordError (errors.Is(err, ErrRecord)).
func AsOf(l *lead.Lead, at time.Time) (lead.Lead, RewindStats, error) {
	var rw rewinder
	var out lead.Lead
	var st RewindStats
	if err := rw.rewind(&out, l, at, &st); err != nil {
		return lead.Lead{}, RewindStats{}, err
	}
	// The rewinder shares what it did not change, and its scratch space;
	// a caller's copy owns everything.
	out.Activities = slices.Clone(out.Activities)
	for i := range out.Activities {
		out.Activities[i].Attrs = maps.Clone(out.Activities[i].Attrs)
	}
	out.History = slices.Clone(out.History)
	out.Interests = slices.Clone(out.Interests)
	out.Consent = maps.Clone(out.Consent)
	out.Fields = cloneFields(out.Fields)
	return out, st, nil
}

// cloneFields deep-copies custom fields (JSON values).
func cloneFields(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return cloneFields(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneValue(e)
		}
		return out
	}
	return v
}

// rewinder rewinds leads with reusable scratch space: one per worker.
type rewinder struct {
	keepUndated bool
	acts        []lead.Activity
	moves       []lead.Transition
	interests   []lead.Interest
}

// rewind writes into dst the lead src as it was at `at`. dst shares with
// src every slice and map it did not need to change, and with the
// rewinder's scratch space those it did: it is valid until the next call.
func (rw *rewinder) rewind(dst, src *lead.Lead, at time.Time, st *RewindStats) error {
	if src.CreatedAt.After(at) {
		return &RecordError{Field: "lead.created_at", Problem: "the lead was created at " +
			src.CreatedAt.Format(time.RFC3339) + ", after its decision time " + at.Format(time.RFC3339)}
	}
	*dst = *src
	var s RewindStats
	rw.activities(dst, src, at, &s)
	rw.stage(dst, src, at, &s)
	rw.interestsAsOf(dst, src, at, &s)
	consentAsOf(dst, src, at, &s)
	if src.UpdatedAt.After(at) {
		dst.UpdatedAt = newestKnown(dst)
		s.Updated++
	}
	if s != (RewindStats{}) {
		s.Leads = 1
		st.add(&s)
	}
	return nil
}

func (rw *rewinder) activities(dst, src *lead.Lead, at time.Time, s *RewindStats) {
	drop := 0
	for i := range src.Activities {
		a := &src.Activities[i]
		if a.At.After(at) || a.At.IsZero() && !rw.keepUndated {
			drop++
		}
	}
	if drop == 0 {
		return
	}
	rw.acts = rw.acts[:0]
	for i := range src.Activities {
		a := &src.Activities[i]
		switch {
		case a.At.After(at):
			s.Activities++
		case a.At.IsZero() && !rw.keepUndated:
			s.UndatedActivities++
		default:
			rw.acts = append(rw.acts, *a)
		}
	}
	dst.Activities = rw.acts
}

// stage rewinds the history, the stage and the lost reason.
func (rw *rewinder) stage(dst, src *lead.Lead, at time.Time, s *RewindStats) {
	var lastKept, firstDropped = -1, -1
	for i := range src.History {
		t := &src.History[i]
		if t.At.After(at) {
			if firstDropped < 0 || t.At.Before(src.History[firstDropped].At) {
				firstDropped = i
			}
		} else if lastKept < 0 || !t.At.Before(src.History[lastKept].At) {
			lastKept = i
		}
	}
	// unchanged: the stage (and with it the lost reason) is known to be
	// what it is today.
	unchanged := false
	switch {
	case firstDropped >= 0:
		rw.moves = rw.moves[:0]
		for i := range src.History {
			if src.History[i].At.After(at) {
				s.Moves++
			} else {
				rw.moves = append(rw.moves, src.History[i])
			}
		}
		dst.History = rw.moves
		if lastKept >= 0 {
			m := &src.History[lastKept]
			dst.Stage = m.To
			// The move that set the stage dates the lost reason when it
			// records it: the lead was lost for it then.
			unchanged = src.LostReason != "" && m.Reason == string(src.LostReason) &&
				(m.To == lead.StageLost || m.To == lead.StageRecycled || m.To == lead.StageDisqualified)
		} else {
			dst.Stage = src.History[firstDropped].From
		}
	case len(src.History) > 0:
		unchanged = true
	case src.Stage == lead.StageNew && src.UpdatedAt.After(at):
		// New today and updated since: the lost reason may be a later one.
	case src.Stage == lead.StageNew || !src.UpdatedAt.IsZero() && !src.UpdatedAt.After(at):
		unchanged = true
	case src.UpdatedAt.IsZero() && src.Stage != lead.StageWon:
		// Nothing dates the stage: keep it, and its reason, and say so. (A
		// won stage is the outcome itself, which must not decide: it is
		// taken as new, below.)
		unchanged = true
		s.StagesUndated++
	default:
		dst.Stage = lead.StageNew
		s.StagesAssumed++
	}
	if dst.Stage != src.Stage {
		s.Stages++
	}
	if !unchanged && dst.LostReason != "" {
		dst.LostReason = ""
		s.LostReasons++
	}
}

func (rw *rewinder) interestsAsOf(dst, src *lead.Lead, at time.Time, s *RewindStats) {
	change := false
	for i := range src.Interests {
		in := &src.Interests[i]
		if in.FirstSeen.After(at) || in.LastSeen.After(at) || in.FirstSeen.IsZero() && in.LastSeen.IsZero() && !rw.keepUndated {
			change = true
			break
		}
	}
	if !change {
		return
	}
	rw.interests = rw.interests[:0]
	for _, in := range src.Interests {
		switch {
		case in.FirstSeen.After(at):
			s.Interests++
			continue
		case in.FirstSeen.IsZero() && in.LastSeen.IsZero():
			if !rw.keepUndated {
				s.UndatedInterests++
				continue
			}
		case in.LastSeen.After(at):
			// Seen before `at` (first_seen) and after it: the last
			// sighting then is the newest evidence at or before `at`.
			seen := in.FirstSeen
			for i := range dst.Activities {
				a := &dst.Activities[i]
				if a.Product != "" && strings.EqualFold(a.Product, in.Topic) && !a.At.After(at) && a.At.After(seen) {
					seen = a.At
				}
			}
			if seen.IsZero() {
				// First seen unknown, last seen later: nothing says it
				// was seen by then.
				s.Interests++
				continue
			}
			in.LastSeen = seen
			s.InterestsMovedBack++
		}
		rw.interests = append(rw.interests, in)
	}
	dst.Interests = rw.interests
}

func consentAsOf(dst, src *lead.Lead, at time.Time, s *RewindStats) {
	n := 0
	for _, c := range src.Consent {
		if c.At.After(at) {
			n++
		}
	}
	if n == 0 {
		return
	}
	// Rare: a new map rather than scratch space.
	dst.Consent = make(map[lead.Channel]lead.Consent, len(src.Consent))
	for ch, c := range src.Consent {
		if c.At.After(at) {
			c = lead.Consent{State: lead.ConsentUnknown}
			s.Consents++
		}
		dst.Consent[ch] = c
	}
}

// newestKnown returns the newest time recorded in a rewound lead: its
// creation, activities, moves, interests and consents.
func newestKnown(l *lead.Lead) time.Time {
	t := l.CreatedAt
	later := func(u time.Time) {
		if u.After(t) {
			t = u
		}
	}
	for i := range l.Activities {
		later(l.Activities[i].At)
	}
	for i := range l.History {
		later(l.History[i].At)
	}
	for i := range l.Interests {
		later(l.Interests[i].FirstSeen)
		later(l.Interests[i].LastSeen)
	}
	for _, c := range l.Consent {
		later(c.At)
	}
	return t
}
