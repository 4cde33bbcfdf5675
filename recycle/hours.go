package recycle

import (
	"time"

	"github.com/leadqual/leadqual/lead"
)

// hours is a compiled WorkingHours.
type hours struct {
	start, end time.Duration // clock times since midnight
	days       uint8         // bit d set: weekday d is worked
	holidays   map[date]bool
	zone       *time.Location
}

type date struct {
	y int
	m time.Month
	d int
}

func compileHours(w *WorkingHours) (*hours, error) {
	h := &hours{start: w.Start, end: w.End, holidays: make(map[date]bool, len(w.Holidays))}
	for _, d := range w.Days {
		h.days |= 1 << d
	}
	for _, s := range w.Holidays {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return nil, invalid("Horizons.Hours.Holidays", "%q is not a date like 2026-12-25", s)
		}
		y, m, d := t.Date()
		h.holidays[date{y, m, d}] = true
	}
	zone, err := lead.LoadZone(w.Zone)
	if err != nil {
		return nil, invalid("Horizons.Hours.Zone", "unknown time zone %q", w.Zone)
	}
	h.zone = zone
	return h, nil
}

// clock returns the instant the wall clocks of loc show `since` after the
// midnight that starts y-m-d. Working hours are wall-clock times, so a
// daylight-saving change moves the instant, never the clock time (a clock
// time that does not exist that day, in the hour skipped in spring, comes
// out an hour later).
func clock(y int, m time.Month, d int, since time.Duration, loc *time.Location) time.Time {
	return time.Date(y, m, d, 0, 0, int(since/time.Second), 0, loc)
}

// align returns t if it falls within working hours in loc, or else a
// working moment of the next working day after it, spread over the
// working day by spread. The result is never before t.
func (h *hours) align(t time.Time, loc *time.Location, spread uint64) (time.Time, error) {
	// Each holiday removes at most one working day, and every week has
	// one: the search ends within days.
	days := 7*(len(h.holidays)+1) + 1
	y, m, d := t.In(loc).Date()
	for i := range days {
		day := time.Date(y, m, d+i, 12, 0, 0, 0, loc) // noon exists on every day
		dy, dm, dd := day.Date()
		if h.days&(1<<day.Weekday()) == 0 || h.holidays[date{dy, dm, dd}] {
			continue
		}
		open, closing := clock(dy, dm, dd, h.start, loc), clock(dy, dm, dd, h.end, loc)
		if i == 0 {
			if !t.Before(open) && t.Before(closing) {
				return t, nil
			}
			if !t.Before(closing) {
				continue
			}
		}
		window := (h.end - h.start) / time.Minute
		at := clock(dy, dm, dd, h.start+time.Duration(spread%uint64(max(window, 1)))*time.Minute, loc)
		if at.Before(t) || !at.Before(closing) { // only when a clock change shortens the day
			at = open
		}
		return at, nil
	}
	return time.Time{}, invalid("Horizons.Hours", "no working day in the %d days from %s", days, t.In(loc).Format(time.DateOnly))
}
