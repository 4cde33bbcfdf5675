package recycle

import (
	"errors"
	"strings"
	"time"

	"github.com/leadqual/leadqual/lead"
)

// WorkingHours keeps due times to working days and hours, in each lead's
// own time zone (lead.Contact.TimeZone); its Zone is the zone of leads
// whose contact has none. A due time outside them moves to a working
// moment of the next working day, spread over the day by the lead ID.
//
// It is the module's one calendar, lead.WorkingHours: the same type, with
// the same JSON form, as a qualify policy's response hours.
type WorkingHours = lead.WorkingHours

// align returns t if it falls within the working hours of cal (kept in the
// lead's zone), or else a working moment of the next working day after it,
// spread over the working day by spread. The result is never before t. The
// zero Calendar returns t.
func align(cal lead.Calendar, t time.Time, spread uint64) time.Time {
	if cal.Open(t) {
		return t
	}
	open := cal.Next(t)
	_, closing, _ := cal.Day(open)
	loc := cal.Location()
	y, m, d := open.In(loc).Date()
	window := (cal.End() - cal.Start()) / time.Minute
	since := cal.Start() + time.Duration(spread%uint64(max(window, 1)))*time.Minute
	at := time.Date(y, m, d, 0, 0, int(since/time.Second), 0, loc)
	if at.Before(t) || !at.Before(closing) { // only when a clock change shortens the day
		at = open
	}
	return at
}

// hoursProblems adds the problems of working hours to p, each named
// prefix + the field: Go names ("Horizons.Hours.Days[1]") for a
// configuration, JSON paths ("hours.days[1]") for its JSON form.
func hoursProblems(p *problems, prefix string, err error, goNames bool) {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		var fe *lead.FieldError
		if !errors.As(e, &fe) {
			p.add(strings.TrimSuffix(prefix, "."), "%v", e)
			continue
		}
		path := fe.Path
		if goNames && path != "" {
			path = strings.ToUpper(path[:1]) + path[1:]
		}
		p.add(prefix+path, "%s", fe.Problem)
	}
}
