package bench

import (
	"math"
	"time"

	"github.com/leadqual/leadqual/lead"
)

// Scan holds the helpers of the policy's language written once in Go, as
// a host plugs them into a generic rule engine (expr, cel-go): each call
// scans the lead's activities. Activities after Now are ignored; need is
// fresh for 30 days, every other intent for 90, as in leadqual's default
// settings; an activity's intent is its kind's (lead.Kind.Intent).
type Scan struct {
	L   *lead.Lead
	Now time.Time
}

const (
	day           = 24 * time.Hour
	needFresh     = 30 * day
	interestFresh = 90 * day
)

// intents is the catalogue's intent of each kind, looked up once.
var intents = func() map[lead.Kind]lead.Intent {
	m := map[lead.Kind]lead.Intent{}
	for _, k := range lead.Kinds() {
		m[k] = k.Intent()
	}
	return m
}()

func freshness(in lead.Intent) time.Duration {
	if in == lead.IntentNeed {
		return needFresh
	}
	return interestFresh
}

// Count is count(kind, "<days>d"): activities of kind within the window.
func (s Scan) Count(kind string, days int) int {
	cut := s.Now.Add(-time.Duration(days) * day)
	n := 0
	for i := range s.L.Activities {
		a := &s.L.Activities[i]
		if string(a.Kind) == kind && !a.At.After(s.Now) && !a.At.Before(cut) {
			n++
		}
	}
	return n
}

// CountAll is count("*", "<days>d"): activities of every kind within the
// window.
func (s Scan) CountAll(days int) int {
	cut := s.Now.Add(-time.Duration(days) * day)
	n := 0
	for i := range s.L.Activities {
		if at := s.L.Activities[i].At; !at.After(s.Now) && !at.Before(cut) {
			n++
		}
	}
	return n
}

// Signals is signals(intent): fresh activities whose kind has that intent.
func (s Scan) Signals(intent string) int {
	in, err := lead.ParseIntent(intent)
	if err != nil {
		return 0
	}
	cut := s.Now.Add(-freshness(in))
	n := 0
	for i := range s.L.Activities {
		a := &s.L.Activities[i]
		if intents[a.Kind] == in && !a.At.After(s.Now) && !a.At.Before(cut) {
			n++
		}
	}
	return n
}

// Fresh is fresh(kind): an activity of kind within the freshness of its
// intent.
func (s Scan) Fresh(kind string) bool {
	cut := s.Now.Add(-freshness(intents[lead.Kind(kind)]))
	for i := range s.L.Activities {
		a := &s.L.Activities[i]
		if string(a.Kind) == kind && !a.At.After(s.Now) && !a.At.Before(cut) {
			return true
		}
	}
	return false
}

// Since is since(kind): the time since the newest activity of kind, very
// long when there is none.
func (s Scan) Since(kind string) time.Duration {
	var newest time.Time
	found := false
	for i := range s.L.Activities {
		a := &s.L.Activities[i]
		if string(a.Kind) == kind && !a.At.After(s.Now) && (!found || a.At.After(newest)) {
			newest, found = a.At, true
		}
	}
	if !found {
		return math.MaxInt64
	}
	return s.Now.Sub(newest)
}
