package lead

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// WorkingHours are the days and hours a team works, and the dates it does
// not: the one calendar of the module. The recycle scheduler keeps due
// times inside them (in each lead's own time zone); a qualify policy's
// response hours (qualify.Settings.ResponseHours) make need deadlines
// count the sales team's working time. [WorkingHours.Calendar] compiles
// them into a [Calendar] that does the arithmetic.
//
// Every zero field means its default: 09:00 to 17:00, Monday to Friday,
// no holidays, UTC. Working hours are wall-clock times, so a
// daylight-saving change moves the instants, never the clock times.
//
// The JSON form writes clock times "09:00", weekdays by their English
// names and holidays as dates:
//
//	{"start": "09:00", "end": "17:30", "days": ["monday", "tuesday", "wednesday", "thursday", "friday"],
//	 "holidays": ["2026-12-25", "2026-12-28"], "zone": "Europe/London"}
type WorkingHours struct {
	// Start and End bound the working day, as clock times since midnight
	// (9 * time.Hour is 09:00). Both zero: 09:00 to 17:00. Otherwise
	// 0 <= Start < End <= 24h; a day across midnight is not supported.
	Start, End time.Duration
	// Days are the working days. Nil means Monday to Friday; an empty,
	// non-nil list is refused (no working day).
	Days []time.Weekday
	// Holidays are dates ("2026-12-25") that are not worked. At most
	// MaxHolidays.
	Holidays []string
	// Zone is the IANA time zone the hours are kept in. Default "UTC";
	// "Local", the machine's own zone, is refused.
	Zone string
}

// MaxHolidays is the most holidays a [WorkingHours] may list.
const MaxHolidays = 1000

// WithDefaults returns w with every zero field set to its default: the
// working hours in force. The slices are copies.
func (w WorkingHours) WithDefaults() WorkingHours {
	if w.Start == 0 && w.End == 0 {
		w.Start, w.End = 9*time.Hour, 17*time.Hour
	}
	if w.Days == nil {
		w.Days = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	} else {
		w.Days = slices.Clone(w.Days)
	}
	w.Holidays = slices.Clone(w.Holidays)
	w.Zone = cmp.Or(w.Zone, "UTC")
	return w
}

// Validate reports every problem of w, defaults filled in, as
// *[FieldError] values joined with errors.Join; each Path is the field's
// JSON name ("start", "days[1]", "holidays[0]", "zone"). Nil when w is
// valid.
func (w WorkingHours) Validate() error {
	w = w.WithDefaults()
	var c problemList
	c.hours(&w)
	return c.err()
}

func (c *problemList) hours(w *WorkingHours) {
	if w.Start < 0 || w.End > 24*time.Hour || w.Start >= w.End {
		c.add("start", "working day %s to %s: want 00:00 <= start < end <= 24:00", formatClock(w.Start), formatClock(w.End))
	}
	if len(w.Days) == 0 {
		c.add("days", "no working day")
	}
	seen := 0
	for i, d := range w.Days {
		switch {
		case d < time.Sunday || d > time.Saturday:
			c.add(fmt.Sprintf("days[%d]", i), "%d is not a weekday", int(d))
		case seen&(1<<d) != 0:
			c.add(fmt.Sprintf("days[%d]", i), "%s listed twice", d)
		default:
			seen |= 1 << d
		}
	}
	if len(w.Holidays) > MaxHolidays {
		c.add("holidays", "%d holidays, more than %d", len(w.Holidays), MaxHolidays)
	} else {
		for i, s := range w.Holidays {
			if _, err := time.Parse(time.DateOnly, s); err != nil {
				c.add(fmt.Sprintf("holidays[%d]", i), "%q is not a date like 2026-12-25", clipText(s, 40))
			}
		}
	}
	if _, err := LoadZone(w.Zone); err != nil {
		c.add("zone", "unknown time zone %q", clipText(w.Zone, 64))
	}
}

// problemList collects the problems of one check of working hours or
// rates, as *FieldError values.
type problemList []*FieldError

func (c *problemList) add(path, format string, args ...any) {
	*c = append(*c, &FieldError{Path: path, Problem: fmt.Sprintf(format, args...)})
}

// err returns nil, or the problems joined with errors.Join.
func (c problemList) err() error {
	if len(c) == 0 {
		return nil
	}
	errs := make([]error, len(c))
	for i, p := range c {
		errs[i] = p
	}
	return errors.Join(errs...)
}

// Calendar validates w, fills its defaults and compiles it into a
// Calendar in w's zone. Invalid working hours are the error Validate
// returns.
func (w WorkingHours) Calendar() (Calendar, error) {
	w = w.WithDefaults()
	if err := w.Validate(); err != nil {
		return Calendar{}, err
	}
	h := &hoursTable{start: w.Start, end: w.End, holidays: make(map[civilDate]bool, len(w.Holidays))}
	for _, d := range w.Days {
		h.days |= 1 << d
	}
	for _, s := range w.Holidays {
		t, _ := time.Parse(time.DateOnly, s) // checked by Validate
		y, m, d := t.Date()
		h.holidays[civilDate{y, m, d}] = true
	}
	loc, _ := LoadZone(w.Zone) // checked by Validate
	return Calendar{h: h, loc: loc}, nil
}

type workingHoursJSON struct {
	Start    string   `json:"start,omitempty"`
	End      string   `json:"end,omitempty"`
	Days     []string `json:"days,omitempty"`
	Holidays []string `json:"holidays,omitempty"`
	Zone     string   `json:"zone,omitempty"`
}

// MarshalJSON writes the JSON form: clock times "09:00", weekday names in
// lower case; zero fields are left out, so the zero WorkingHours is {}.
func (w WorkingHours) MarshalJSON() ([]byte, error) {
	j := workingHoursJSON{Holidays: w.Holidays, Zone: w.Zone}
	if w.Start != 0 || w.End != 0 {
		j.Start, j.End = formatClock(w.Start), formatClock(w.End)
	}
	for _, d := range w.Days {
		j.Days = append(j.Days, strings.ToLower(d.String()))
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the JSON form strictly: unknown fields, clock times
// other than "HH:MM" between 00:00 and 24:00 (start and end are given
// together or not at all), and weekday names other than English ones
// ("monday" or "mon", any case) are errors. A malformed value is a
// *[FieldError] naming it ("start", "days[1]"); the values themselves are
// checked by Validate. On error w is unchanged.
func (w *WorkingHours) UnmarshalJSON(data []byte) error {
	var j workingHoursJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		// An unknown field is named as a field, so that an enclosing
		// decoder can place it.
		if name, ok := strings.CutPrefix(err.Error(), `json: unknown field "`); ok {
			return &FieldError{Path: strings.TrimSuffix(name, `"`), Problem: "unknown field", Err: err}
		}
		return fmt.Errorf("lead: working hours: %w", err)
	}
	var c problemList
	out := WorkingHours{Zone: j.Zone}
	if len(j.Holidays) > 0 {
		out.Holidays = j.Holidays
	}
	if j.Start != "" || j.End != "" {
		out.Start = c.clock("start", j.Start)
		out.End = c.clock("end", j.End)
		if j.Start != "" && out.Start == 0 && out.End == 0 {
			c.add("start", "working day 00:00 to 00:00 is empty")
		}
	}
	if j.Days != nil {
		out.Days = make([]time.Weekday, 0, len(j.Days))
	}
	for i, s := range j.Days {
		d, ok := ParseWeekday(s)
		if !ok {
			c.add(fmt.Sprintf("days[%d]", i), "%q is not a weekday (monday ... sunday)", clipText(s, 16))
		}
		out.Days = append(out.Days, d)
	}
	if err := c.err(); err != nil {
		return err
	}
	*w = out
	return nil
}

// clock reads a clock time "09:00" (00:00 to 24:00) as the time since
// midnight.
func (c *problemList) clock(path, s string) time.Duration {
	d, problem := ParseClock(s)
	if problem != nil {
		c.add(path, "%s", problem.Error())
	}
	return d
}

// ParseClock reads a clock time written "HH:MM", from "00:00" to "24:00",
// as the time since midnight: "09:30" is 9h30m.
func ParseClock(s string) (time.Duration, error) {
	if len(s) != 5 || s[2] != ':' || !isDigits(s[:2]) || !isDigits(s[3:]) {
		return 0, fmt.Errorf("%q is not a clock time like 09:00", clipText(s, 16))
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if m > 59 || h > 24 || h == 24 && m != 0 {
		return 0, fmt.Errorf("%q is not a clock time between 00:00 and 24:00", s)
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// formatClock writes a time since midnight as "09:00"; seconds are
// dropped.
func formatClock(d time.Duration) string {
	if d < 0 || d > 24*time.Hour {
		return d.String()
	}
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// ParseWeekday reads an English weekday name, full or of three letters, in
// any case: "monday", "Mon".
func ParseWeekday(s string) (time.Weekday, bool) {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if name := d.String(); strings.EqualFold(s, name) || strings.EqualFold(s, name[:3]) {
			return d, true
		}
	}
	return 0, false
}

// Calendar answers questions about working time: whether a moment is
// inside working hours, the next working moment, and when a span of
// working time ends. Compile one with [WorkingHours.Calendar].
//
// The zero Calendar has no hours: every moment is working time, Next(t)
// is t and Add(t, d) is t.Add(d). A Calendar is a small value, immutable
// and safe for concurrent use; [Calendar.In] gives the same hours in
// another time zone (the recycle scheduler keeps them in each lead's own).
// Its methods do not allocate.
type Calendar struct {
	h   *hoursTable // nil: always open
	loc *time.Location
}

// hoursTable is a compiled WorkingHours.
type hoursTable struct {
	start, end time.Duration // clock times since midnight
	days       uint8         // bit d set: weekday d is worked
	holidays   map[civilDate]bool
}

type civilDate struct {
	y int
	m time.Month
	d int
}

// IsZero reports whether c is the zero Calendar, which has no hours.
func (c Calendar) IsZero() bool { return c.h == nil }

// Location returns the time zone the hours are kept in: UTC for the zero
// Calendar.
func (c Calendar) Location() *time.Location {
	if c.loc == nil {
		return time.UTC
	}
	return c.loc
}

// In returns the same working hours kept in loc instead (nil: the
// calendar's own zone).
func (c Calendar) In(loc *time.Location) Calendar {
	if loc != nil {
		c.loc = loc
	}
	return c
}

// Start and End return the working day's clock times since midnight (0
// and 24h for the zero Calendar).
func (c Calendar) Start() time.Duration {
	if c.h == nil {
		return 0
	}
	return c.h.start
}

// End: see [Calendar.Start].
func (c Calendar) End() time.Duration {
	if c.h == nil {
		return 24 * time.Hour
	}
	return c.h.end
}

// wallClock returns the instant the wall clocks of loc show `since` after
// the midnight that starts y-m-d. A clock time that does not exist that
// day (in the hour skipped in spring) comes out an hour later.
func wallClock(y int, m time.Month, d int, since time.Duration, loc *time.Location) time.Time {
	return time.Date(y, m, d, 0, 0, int(since/time.Second), int(since%time.Second), loc)
}

// Day returns the working hours of the day t falls on, in the calendar's
// zone: when they open and close, and whether the day is worked at all
// (a working weekday that is not a holiday). For the zero Calendar every
// day is worked, from midnight to midnight.
func (c Calendar) Day(t time.Time) (open, closing time.Time, worked bool) {
	loc := c.Location()
	y, m, d := t.In(loc).Date()
	return c.day(y, m, d, loc)
}

func (c Calendar) day(y int, m time.Month, d int, loc *time.Location) (open, closing time.Time, worked bool) {
	if c.h == nil {
		return time.Date(y, m, d, 0, 0, 0, 0, loc), time.Date(y, m, d+1, 0, 0, 0, 0, loc), true
	}
	noon := time.Date(y, m, d, 12, 0, 0, 0, loc) // noon exists on every day
	y, m, d = noon.Date()
	worked = c.h.days&(1<<noon.Weekday()) != 0 && !c.h.holidays[civilDate{y, m, d}]
	return wallClock(y, m, d, c.h.start, loc), wallClock(y, m, d, c.h.end, loc), worked
}

// Open reports whether t falls within working hours: on a working day,
// at or after its opening and before its closing.
func (c Calendar) Open(t time.Time) bool {
	if c.h == nil {
		return true
	}
	open, closing, worked := c.Day(t)
	return worked && !t.Before(open) && t.Before(closing)
}

// searchDays bounds the search for the next working day: each holiday
// removes at most one working day, and every week has one.
func (h *hoursTable) searchDays() int { return 7*(len(h.holidays)+1) + 1 }

// Next returns t when it falls within working hours, else the next
// opening after it.
func (c Calendar) Next(t time.Time) time.Time {
	if c.h == nil {
		return t
	}
	next, _ := c.add(t, 0, c.h.searchDays()) // every week has a working day
	return next
}

// maxWalk bounds the days [Calendar.Add] walks: ten years.
const maxWalk = 3653

// ErrWorkingTimeTooLong: the working time given to [Calendar.Add] does not
// end within ten years of the calendar.
var ErrWorkingTimeTooLong = errors.New("lead: working time does not end within ten years")

// Add returns the moment at which d of working time has passed since t:
// only time within working hours counts, so with the default hours 5
// minutes from Sunday 02:00 end on Monday at 09:05, and 5 minutes from
// Friday 16:58 on Monday at 09:03. Add(t, 0) is Next(t); a d that ends
// exactly at closing time ends at closing time. For the zero Calendar,
// Add(t, d) is t.Add(d).
//
// Add walks the calendar a day at a time, a few hundred nanoseconds a
// day; working time that does not end within ten years of days is
// ErrWorkingTimeTooLong.
func (c Calendar) Add(t time.Time, d time.Duration) (time.Time, error) {
	if c.h == nil {
		return t.Add(d), nil
	}
	return c.add(t, max(d, 0), maxWalk+c.h.searchDays())
}

func (c Calendar) add(t time.Time, d time.Duration, days int) (time.Time, error) {
	loc := c.Location()
	y, m, dd := t.In(loc).Date()
	for i := range days {
		open, closing, worked := c.day(y, m, dd+i, loc)
		if !worked || !closing.After(t) || !closing.After(open) {
			continue
		}
		from := t
		if open.After(from) {
			from = open
		}
		left := closing.Sub(from)
		if d <= left {
			return from.Add(d), nil
		}
		d -= left
		t = closing
	}
	return time.Time{}, ErrWorkingTimeTooLong
}
