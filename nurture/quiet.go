package nurture

import (
	"errors"
	"fmt"
	"time"
)

// QuietHours are the hours, and optionally the whole days, in the lead's own
// time zone when no touch is planned. A touch that falls in them moves to
// the next allowed time, never earlier.
//
// The zero value means the default: 21:00 to 08:00, every day.
type QuietHours struct {
	// From is the local time of day quiet hours start, as the time since
	// midnight: 21*time.Hour for 21:00. From may be later than Until, in
	// which case quiet hours cross midnight.
	From time.Duration
	// Until is the local time of day quiet hours end: 8*time.Hour for
	// 08:00. A touch moved out of quiet hours is planned at Until.
	Until time.Duration
	// Days are whole days without touches, such as Saturday and Sunday.
	// A touch that falls on one moves to the next day that is not.
	Days []time.Weekday
	// Off turns the hours off (Days still apply): touches may be planned at
	// any hour of the day.
	Off bool
}

// The default quiet hours.
const (
	DefaultQuietFrom  = 21 * time.Hour
	DefaultQuietUntil = 8 * time.Hour
)

const day = 24 * time.Hour

// quiet is QuietHours validated, in the form the planner uses.
type quiet struct {
	on          bool
	from, until time.Duration
	days        uint8 // bit d set: weekday d is quiet
}

func (q QuietHours) compile(field string) (quiet, error) {
	if !q.Off && q.From == 0 && q.Until == 0 {
		q.From, q.Until = DefaultQuietFrom, DefaultQuietUntil
	}
	out := quiet{on: !q.Off, from: q.From, until: q.Until}
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{".From", q.From}, {".Until", q.Until}} {
		if f.d < 0 || f.d >= day {
			return quiet{}, configErr(field+f.name, fmt.Sprintf("%s is not a time of day (0 to 23h59m59s)", f.d))
		}
	}
	if out.on && q.From == q.Until {
		return quiet{}, configErr(field, fmt.Sprintf("From and Until are both %s: set Off to plan at any hour", clock(q.From)))
	}
	for i, d := range q.Days {
		if d < time.Sunday || d > time.Saturday {
			return quiet{}, configErr(fmt.Sprintf("%s.Days[%d]", field, i), fmt.Sprintf("%d is not a weekday", int(d)))
		}
		out.days |= 1 << d
	}
	if out.days == 0x7f {
		return quiet{}, configErr(field+".Days", "every day is quiet: no touch could ever be planned")
	}
	return out, nil
}

// clock writes a time of day as 21:00.
func clock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// wall returns the local day number (days since 1970-01-01 in loc's wall
// clock), the time of day and the weekday of t in loc.
func wall(t time.Time, loc *time.Location) (dayNum int64, tod time.Duration, wd time.Weekday) {
	_, off := t.In(loc).Zone()
	sec := t.Unix() + int64(off)
	dayNum = sec / 86400
	rem := sec % 86400
	if rem < 0 {
		rem += 86400
		dayNum--
	}
	tod = time.Duration(rem)*time.Second + time.Duration(t.Nanosecond())
	w := (dayNum + 4) % 7 // 1970-01-01 was a Thursday
	if w < 0 {
		w += 7
	}
	return dayNum, tod, time.Weekday(w)
}

// leave returns how much wall-clock time must pass, from time of day tod on
// weekday wd, until the quiet period in force ends; 0 when not quiet.
func (q *quiet) leave(tod time.Duration, wd time.Weekday) time.Duration {
	if q.days&(1<<wd) != 0 {
		return day - tod // to the next local midnight
	}
	if !q.on {
		return 0
	}
	if q.from < q.until {
		if tod >= q.from && tod < q.until {
			return q.until - tod
		}
		return 0
	}
	switch {
	case tod >= q.from:
		return day - tod + q.until
	case tod < q.until:
		return q.until - tod
	}
	return 0
}

// errUnsettled should never happen: the quiet-hours or the cap loop did not
// settle.
var errUnsettled = errors.New("the planned time did not settle")

// next returns the first instant at or after t that falls outside quiet
// hours and days in loc, and whether that moved t.
//
// It works on the wall clock: within one zone period (between two
// daylight-saving transitions) wall time and real time run together, so the
// end of quiet hours is t plus the wall time left. When a transition comes
// first, the search resumes at the transition with the new offset: a clock
// that springs forward out of quiet hours ends them at the transition
// itself; one that falls back into them extends them.
func (q *quiet) next(t time.Time, loc *time.Location) (time.Time, bool, error) {
	if !q.on && q.days == 0 {
		return t, false, nil
	}
	moved := false
	for range 64 {
		_, tod, wd := wall(t, loc)
		d := q.leave(tod, wd)
		if d == 0 {
			return t, moved, nil
		}
		u := t.Add(d)
		if _, end := t.In(loc).ZoneBounds(); !end.IsZero() && end.After(t) && !u.Before(end) {
			u = end
		}
		t, moved = u, true
	}
	return t, moved, errUnsettled
}

// location returns the time zone named name (the contact's), or the
// configured default for "", from the Planner's lead.Zones.
func (p *Planner) location(name string) (*time.Location, error) {
	if name == "" {
		return p.zone, nil
	}
	return p.zones.Load(name)
}
