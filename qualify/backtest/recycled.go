package backtest

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"github.com/leadqual/leadqual/lead"
)

// RecycleCurve is what became of the leads set aside for one reason: the
// share that converted by each time since they were recycled, beside the
// horizon after which the recycle scheduler calls them again. A horizon
// far after most conversions calls too late; one well before them calls
// in vain.
//
// A lead counts for the reason it had at its decision time, when it was
// then lost or recycled with a lost reason (rewound, see AsOf): recycled
// at the newest move into lost or recycled at or before its decision time,
// or at the decision time itself when its history has none. It converted
// at Record.ConvertedAt, or else at its first move to won after the
// recycle. What became of it is known until Config.Until: a lead recycled
// a month before it counts for a month, and no longer (the curve is a
// Kaplan–Meier estimate, so that leads followed for a short time are
// neither lost nor counted as failures).
type RecycleCurve struct {
	// Reason is the lost reason; Final reports that it is final (not a
	// fit, do not contact): such leads are dropped, never called again.
	Reason lead.Reason `json:"reason"`
	Final  bool        `json:"final"`
	// Leads were recycled for the reason; Conversions of them converted
	// after the recycle at a known time. UnknownTime converted at a time
	// neither the record nor the lead's history gives, and are left out of
	// the curve (they would count as never converting).
	Leads       int `json:"leads"`
	Conversions int `json:"conversions"`
	UnknownTime int `json:"unknown_time"`
	// Horizon is the wait before the lead is called again
	// (Config.Horizon), 0 when unknown; AtHorizon the share converted by
	// then.
	Horizon   time.Duration `json:"horizon"`
	AtHorizon Stat          `json:"at_horizon"`
	// Points are the curve at RecycleDays days after the recycle.
	Points []RecyclePoint `json:"points"`
	// Steps are the whole curve, a step at each day on which leads
	// converted, up to Followed, the most days any lead that did not
	// convert was followed (beyond it the curve is unknown).
	Steps    []RecycleStep `json:"steps"`
	Followed int           `json:"followed"`
}

// RecycleStep is a step of a recycle curve: by Days days after the
// recycle, the share Converted had converted.
type RecycleStep struct {
	Days      int  `json:"days"`
	Converted Stat `json:"converted"`
}

// RecyclePoint is a recycle curve at one time since the recycle.
type RecyclePoint struct {
	// Days since the recycle.
	Days int `json:"days"`
	// AtRisk is the number of leads still followed after Days days:
	// neither converted by then nor recycled less than Days days before
	// Config.Until.
	AtRisk int `json:"at_risk"`
	// Conversions are those since the previous point (since the recycle
	// for the first).
	Conversions int `json:"conversions"`
	// Converted is the share of the leads converted by then (Kaplan–Meier:
	// each lead counts as long as it is followed); undefined beyond the
	// longest any lead that did not convert was followed.
	Converted Stat `json:"converted"`
}

// RecycleDays are the times since a recycle, in days, at which a
// RecycleCurve is given.
var RecycleDays = []int{7, 14, 30, 60, 90, 180, 365, 730}

// maxRecycleReasons bounds the reasons a report follows; the leads of any
// more are counted under "other".
const maxRecycleReasons = 64

// recycleAcc accumulates the recycle curves: for each reason, the
// conversions by day since the recycle, and the recycle days (since the
// epoch) of the leads that did not convert, whose following ends at
// Config.Until. Its memory grows with the days a history spans, never with
// its leads.
type recycleAcc struct {
	reasons map[lead.Reason]*reasonAcc
	newest  time.Time // the newest time recorded in the history
}

type reasonAcc struct {
	leads, unknown int
	conv           map[int]int   // conversions by days since the recycle
	open           map[int64]int // leads not converted, by day of the recycle
}

func newRecycleAcc() *recycleAcc { return &recycleAcc{reasons: map[lead.Reason]*reasonAcc{}} }

// add counts record r, whose lead rewound to its decision time is l.
func (a *recycleAcc) add(r *Record, l *lead.Lead) {
	a.seen(r)
	if l.LostReason == "" || l.Stage != lead.StageLost && l.Stage != lead.StageRecycled {
		return
	}
	reason := l.LostReason
	x := a.reasons[reason]
	if x == nil {
		if len(a.reasons) >= maxRecycleReasons {
			reason = "other"
			x = a.reasons[reason]
		}
		if x == nil {
			x = &reasonAcc{conv: map[int]int{}, open: map[int64]int{}}
			a.reasons[reason] = x
		}
	}
	x.leads++
	at := recycledAt(l, r.At)
	if !r.Converted {
		x.open[day(at)]++
		return
	}
	conv := convertedAt(r, at)
	if conv.IsZero() {
		x.unknown++
		return
	}
	x.conv[int(conv.Sub(at)/(24*time.Hour))]++
}

// seen keeps the newest time the record holds.
func (a *recycleAcc) seen(r *Record) {
	later := func(t time.Time) {
		if t.After(a.newest) {
			a.newest = t
		}
	}
	later(r.At)
	later(r.ConvertedAt)
	if l := r.Lead; l != nil {
		later(l.UpdatedAt)
		for i := range l.History {
			later(l.History[i].At)
		}
		for i := range l.Activities {
			later(l.Activities[i].At)
		}
	}
}

// recycledAt is when the lead was set aside: its newest move into lost or
// recycled at or before at, else at.
func recycledAt(l *lead.Lead, at time.Time) time.Time {
	var t time.Time
	for i := range l.History {
		m := &l.History[i]
		if (m.To == lead.StageLost || m.To == lead.StageRecycled) && !m.At.After(at) && m.At.After(t) {
			t = m.At
		}
	}
	if t.IsZero() {
		return at
	}
	return t
}

// convertedAt is when the record's lead converted: Record.ConvertedAt,
// else its first move to won after the recycle; zero when unknown.
func convertedAt(r *Record, recycled time.Time) time.Time {
	if !r.ConvertedAt.IsZero() {
		return r.ConvertedAt
	}
	var t time.Time
	for i := range r.Lead.History {
		m := &r.Lead.History[i]
		if m.To == lead.StageWon && !m.At.Before(recycled) && (t.IsZero() || m.At.Before(t)) {
			t = m.At
		}
	}
	return t
}

// day is the day of t since the epoch, in UTC.
func day(t time.Time) int64 { return t.Unix() / 86400 }

func (a *recycleAcc) merge(o *recycleAcc) {
	if o.newest.After(a.newest) {
		a.newest = o.newest
	}
	for r, y := range o.reasons {
		x := a.reasons[r]
		if x == nil {
			x = &reasonAcc{conv: map[int]int{}, open: map[int64]int{}}
			a.reasons[r] = x
		}
		x.leads += y.leads
		x.unknown += y.unknown
		for k, v := range y.conv {
			x.conv[k] += v
		}
		for k, v := range y.open {
			x.open[k] += v
		}
	}
}

// curves returns the curve of each reason, the most leads first, until
// the given time (zero: the newest time of the history); horizon gives
// each reason's wait, when known.
func (a *recycleAcc) curves(until time.Time, horizon func(lead.Reason) (time.Duration, bool)) []RecycleCurve {
	out := []RecycleCurve{}
	if until.IsZero() {
		until = a.newest
	}
	end := day(until)
	for reason, x := range a.reasons {
		c := RecycleCurve{Reason: reason, Final: reason.Final(), Leads: x.leads, UnknownTime: x.unknown, AtHorizon: undefined, Steps: []RecycleStep{}}
		if horizon != nil && !c.Final {
			if h, ok := horizon(reason); ok && h > 0 {
				c.Horizon = h
			}
		}
		// Each lead is followed until it converted (an event) or until the
		// end of the history (censored). Both by day since the recycle.
		events := map[int]int{}
		censored := map[int]int{}
		for d, n := range x.conv {
			events[max(d, 0)] += n
			c.Conversions += n
		}
		for d, n := range x.open {
			censored[int(max(end-d, 0))] += n
		}
		days := slices.Sorted(maps.Keys(events))
		for d := range censored {
			if _, ok := events[d]; !ok {
				days = append(days, d)
			}
		}
		slices.Sort(days)
		atRisk := x.leads - x.unknown
		surv := 1.0
		next := 0 // the next point of RecycleDays
		since := 0
		point := func(d int) {
			c.Points = append(c.Points, RecyclePoint{Days: d, AtRisk: atRisk, Conversions: since, Converted: Stat(1 - surv)})
			since = 0
		}
		hday := int(c.Horizon / (24 * time.Hour))
		horizonDone := c.Horizon == 0
		for _, d := range days {
			for next < len(RecycleDays) && RecycleDays[next] < d {
				point(RecycleDays[next])
				next++
			}
			if !horizonDone && hday < d {
				c.AtHorizon, horizonDone = Stat(1-surv), true
			}
			if atRisk > 0 && events[d] > 0 {
				surv *= 1 - float64(events[d])/float64(atRisk)
				c.Steps = append(c.Steps, RecycleStep{Days: d, Converted: Stat(1 - surv)})
			}
			c.Followed = d
			since += events[d]
			atRisk -= events[d] + censored[d]
		}
		for ; next < len(RecycleDays); next++ {
			point(RecycleDays[next])
		}
		if !horizonDone {
			c.AtHorizon = Stat(1 - surv)
		}
		// Beyond the longest following, the curve is unknown (unless every
		// lead had converted by then).
		if len(days) > 0 && surv > 0 {
			last := days[len(days)-1]
			for i := range c.Points {
				if c.Points[i].Days > last {
					c.Points[i].Converted = undefined
				}
			}
			if hday > last {
				c.AtHorizon = undefined
			}
		}
		if x.leads == x.unknown {
			c.AtHorizon = undefined
			for i := range c.Points {
				c.Points[i].Converted = undefined
			}
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(x, y RecycleCurve) int {
		return cmp.Or(cmp.Compare(y.Leads, x.Leads), cmp.Compare(x.Reason, y.Reason))
	})
	return out
}
