package ingest

import (
	"fmt"
	"strings"
	"time"
)

// DateOrder says how a numeric date such as 03/04/2026 is read.
//
// The zero value is DateAuto: ISO dates (2026-04-03) and dates with a
// month name (3 Apr 2026, Apr 3, 2026) are read as written; a numeric date
// is read day-first when its first number is over 12, month-first when
// its second is, and is an error naming both readings when either would
// do (03/04/2026) — never a guess. A column's date(...) option, or the
// mapping's date: setting, fixes the order.
type DateOrder uint8

// The date orders.
const (
	DateAuto       DateOrder = iota // decide per value; refuse an ambiguous one
	DateYearFirst                   // 2026-04-03, 2026/04/03
	DateDayFirst                    // 03/04/2026 is 3 April
	DateMonthFirst                  // 03/04/2026 is 4 March
)

// dateClass says what a parsed value tells about its column's order, for
// the report of a dry run.
type dateClass uint8

const (
	classNone       dateClass = iota // not a date
	classISO                         // year first
	classNamed                       // a month name: unambiguous
	classDayFirst                    // numeric, readable only day-first
	classMonthFirst                  // numeric, readable only month-first
	classEither                      // numeric, both readings are the same day (05/05/2026)
	classAmbiguous                   // numeric, both readings possible and different
)

// dateFormat is how one column writes its times: the order of a numeric
// date and whether a two-digit year is allowed.
type dateFormat struct {
	order    DateOrder
	shortYr  bool   // YY: a two-digit year, 2000-2069 for 00-69, 1970-1999 for 70-99
	layout   string // as written in the mapping, for messages
	hasOrder bool   // the order was stated (not auto)
}

// parseDateLayout reads a date(...) option: tokens YYYY or YY, MM or M,
// DD or D (or MMM for a month name) in the column's order, separated by
// any of / . - or a space; "auto" is the default. Only the order matters:
// a time (09:05, 9:05 PM, 09:05:30.5) and a zone may follow any date.
func parseDateLayout(s string) (dateFormat, error) {
	f := dateFormat{layout: s}
	ls := strings.ToUpper(strings.TrimSpace(s))
	switch ls {
	case "", "AUTO":
		return dateFormat{layout: "auto"}, nil
	case "ISO", "RFC3339":
		f.order, f.hasOrder = DateYearFirst, true
		return f, nil
	}
	var seq []byte
	for i := 0; i < len(ls); {
		c := ls[i]
		j := i
		for j < len(ls) && ls[j] == c {
			j++
		}
		switch c {
		case 'Y':
			if n := j - i; n != 2 && n != 4 {
				return f, fmt.Errorf("date(%s): a year is YYYY or YY", s)
			}
			if j-i == 2 {
				f.shortYr = true
			}
			seq = append(seq, 'Y')
		case 'M':
			if j-i > 4 {
				return f, fmt.Errorf("date(%s): a month is MM, M or MMM", s)
			}
			seq = append(seq, 'M')
		case 'D':
			if j-i > 2 {
				return f, fmt.Errorf("date(%s): a day is DD or D", s)
			}
			seq = append(seq, 'D')
		case '/', '.', '-', ' ', ',':
		default:
			return f, fmt.Errorf("date(%s): unexpected %q (write the order of the date, as DD/MM/YYYY, MM/DD/YYYY or YYYY-MM-DD)", s, c)
		}
		i = j
	}
	switch string(seq) {
	case "YMD":
		f.order = DateYearFirst
	case "DMY":
		f.order = DateDayFirst
	case "MDY":
		f.order = DateMonthFirst
	default:
		return f, fmt.Errorf("date(%s): want day, month and year once each, as DD/MM/YYYY, MM/DD/YYYY or YYYY-MM-DD", s)
	}
	f.hasOrder = true
	return f, nil
}

// scanner reads a cell from left to right.
type scanner struct {
	s string
	i int
}

func (sc *scanner) done() bool { return sc.i >= len(sc.s) }
func (sc *scanner) peek() byte {
	if sc.i < len(sc.s) {
		return sc.s[sc.i]
	}
	return 0
}

// digits reads 1 to max digits; n is how many.
func (sc *scanner) digits(max int) (v, n int) {
	for sc.i < len(sc.s) && n < max && sc.s[sc.i] >= '0' && sc.s[sc.i] <= '9' {
		v = v*10 + int(sc.s[sc.i]-'0')
		sc.i++
		n++
	}
	return v, n
}

func (sc *scanner) skipSpaces() int {
	n := 0
	for sc.i < len(sc.s) && sc.s[sc.i] == ' ' {
		sc.i++
		n++
	}
	return n
}

// word reads letters (and a trailing dot, as in "Sept.").
func (sc *scanner) word() string {
	start := sc.i
	for sc.i < len(sc.s) {
		c := sc.s[sc.i] | 0x20
		if c < 'a' || c > 'z' {
			break
		}
		sc.i++
	}
	w := sc.s[start:sc.i]
	if w != "" && sc.peek() == '.' {
		sc.i++
	}
	return w
}

var monthNames = [...]string{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"}

// monthOf reads a month's English name or its abbreviation of three or
// more letters (Sept included).
func monthOf(w string) int {
	if len(w) < 3 {
		return 0
	}
	lw := strings.ToLower(w)
	for i, m := range monthNames {
		if strings.HasPrefix(m, lw) {
			return i + 1
		}
	}
	return 0
}

// parse reads a date, or a date and a time, with an optional zone.
// zone is where a time written without a zone is; nil makes such a time
// an error. A date alone is midnight in zone, or UTC
// when zone is nil.
func (f *dateFormat) parse(s string, zone *time.Location) (time.Time, dateClass, error) {
	t, class, _, err := f.parseTime(s, zone)
	return t, class, err
}

// parseTime is parse, and reports whether the value is a date alone (no
// time of day): such a value stands for its whole day.
func (f *dateFormat) parseTime(s string, zone *time.Location) (t time.Time, class dateClass, dateOnly bool, err error) {
	sc := scanner{s: s}
	var y, m, d int
	class = classISO
	bad := func(format string, args ...any) (time.Time, dateClass, bool, error) {
		return time.Time{}, classNone, false, fmt.Errorf("%q is not a time: "+format, append([]any{s}, args...)...)
	}
	notTime := func() (time.Time, dateClass, bool, error) {
		return bad("want a date such as 2026-03-02 or 02/03/2026, a time may follow (2026-03-02 09:05, 2026-03-02T09:05:00Z)")
	}
	a, na := sc.digits(4)
	switch {
	case na == 4 && !f.shortYr || na == 4 && f.order == DateYearFirst:
		// Year first: 2026-03-02, 2026/03/02, 2026.03.02.
		sep := sc.peek()
		if sep != '-' && sep != '/' && sep != '.' {
			return notTime()
		}
		sc.i++
		var n int
		if m, n = sc.digits(2); n == 0 {
			return notTime()
		}
		if sc.peek() != sep {
			return notTime()
		}
		sc.i++
		if d, n = sc.digits(2); n == 0 {
			return notTime()
		}
		y = a // year first is unambiguous, whatever the column's order
	case na >= 1 && na <= 2:
		sep := sc.peek()
		if sep == ' ' {
			// 2 Mar 2026
			sc.skipSpaces()
			if m = monthOf(sc.word()); m == 0 {
				return notTime()
			}
			sc.skipSpaces()
			d = a
			var n int
			if y, n = sc.digits(4); n != 4 {
				return bad("want a four-digit year")
			}
			class = classNamed
			break
		}
		if sep != '/' && sep != '.' && sep != '-' {
			return notTime()
		}
		sc.i++
		if c := sc.peek() | 0x20; c >= 'a' && c <= 'z' {
			// 02-Mar-2026
			if m = monthOf(sc.word()); m == 0 || sc.peek() != sep {
				return notTime()
			}
			sc.i++
			d = a
			var n int
			if y, n = sc.digits(4); n != 4 && !(n == 2 && f.shortYr) {
				return bad("want a four-digit year")
			}
			if n == 2 {
				y = century(y)
			}
			class = classNamed
			break
		}
		b, nb := sc.digits(2)
		if nb == 0 || sc.peek() != sep {
			return notTime()
		}
		sc.i++
		var ny int
		y, ny = sc.digits(4)
		switch {
		case ny == 2 && f.shortYr:
			y = century(y)
		case ny != 4:
			if ny == 2 {
				return bad("a two-digit year: say date(DD/MM/YY) or date(MM/DD/YY) for this column")
			}
			return notTime()
		}
		// The class is what the value says by itself, whatever the
		// column's stated order: the report tells how a file writes its
		// dates.
		switch {
		case a == b:
			class = classEither
		case a > 12 && b <= 12:
			class = classDayFirst
		case b > 12 && a <= 12:
			class = classMonthFirst
		default:
			class = classAmbiguous
		}
		switch f.order {
		case DateDayFirst:
			d, m = a, b
		case DateMonthFirst:
			m, d = a, b
		case DateYearFirst:
			return bad("the column's dates are %s, this one does not start with the year", f.layout)
		default:
			switch {
			case a == b:
				d, m = a, b
			case a > 12 && b >= 1 && b <= 12:
				d, m = a, b
			case b > 12 && a >= 1 && a <= 12:
				m, d = a, b
			case a >= 1 && b >= 1 && a <= 12 && b <= 12:
				return time.Time{}, classAmbiguous, false, fmt.Errorf("%q is ambiguous: %s or %s; say date(DD/MM/YYYY) or date(MM/DD/YYYY) for this column",
					s, dayName(a, b, y), dayName(b, a, y))
			default:
				return bad("no month %d or %d", a, b)
			}
		}
	case na == 0:
		// Mar 2, 2026 or March 2 2026
		if m = monthOf(sc.word()); m == 0 {
			return notTime()
		}
		sc.skipSpaces()
		var n int
		if d, n = sc.digits(2); n == 0 {
			return notTime()
		}
		if sc.peek() == ',' {
			sc.i++
		}
		if sc.skipSpaces() == 0 {
			return notTime()
		}
		if y, n = sc.digits(4); n != 4 {
			return bad("want a four-digit year")
		}
		class = classNamed
	default:
		return notTime()
	}
	if m < 1 || m > 12 {
		return bad("no month %d", m)
	}
	if y < minYear {
		return bad("the year %d is before %d: a typing error", y, minYear)
	}
	if y < 1 || d < 1 || d > daysIn(time.Month(m), y) {
		return bad("%s has no day %d", time.Month(m), d)
	}

	// The time, if any.
	hasClock := false
	var hh, mm, ss, nsec int
	if !sc.done() {
		switch c := sc.peek(); {
		case c == 'T' || c == 't':
			sc.i++
		case c == ' ' || c == ',':
			if c == ',' {
				sc.i++
			}
			if sc.skipSpaces() == 0 && c != ',' {
				return notTime()
			}
		}
		if c := sc.peek(); c >= '0' && c <= '9' {
			hasClock = true
			var n int
			if hh, n = sc.digits(2); n == 0 || sc.peek() != ':' {
				return bad("want hh:mm after the date")
			}
			sc.i++
			if mm, n = sc.digits(2); n != 2 {
				return bad("want hh:mm after the date")
			}
			if sc.peek() == ':' {
				sc.i++
				if ss, n = sc.digits(2); n != 2 {
					return bad("want hh:mm:ss")
				}
				if sc.peek() == '.' || sc.peek() == ',' {
					sc.i++
					start := sc.i
					frac, n := sc.digits(9)
					if n == 0 {
						return bad("want digits after the decimal point of the seconds")
					}
					for sc.i < len(sc.s) && sc.s[sc.i] >= '0' && sc.s[sc.i] <= '9' {
						sc.i++ // beyond nanoseconds: dropped
					}
					for k := sc.i - start; k < 9 && n < 9; k++ {
						frac *= 10
						n++
					}
					nsec = frac
				}
			}
			// AM/PM
			save := sc.i
			sc.skipSpaces()
			switch w := strings.ToLower(strings.ReplaceAll(sc.word(), ".", "")); {
			case w == "am" || w == "a" && sc.peek() == 'm':
				if hh < 1 || hh > 12 {
					return bad("hour %d with AM", hh)
				}
				if hh == 12 {
					hh = 0
				}
			case w == "pm":
				if hh < 1 || hh > 12 {
					return bad("hour %d with PM", hh)
				}
				if hh != 12 {
					hh += 12
				}
			default:
				sc.i = save
			}
			if hh > 23 || mm > 59 || ss > 59 {
				return bad("no time %02d:%02d:%02d", hh, mm, ss)
			}
		}
	}

	// The zone, if any.
	loc := (*time.Location)(nil)
	sc.skipSpaces()
	if !sc.done() {
		switch c := sc.peek(); {
		case c == 'Z' || c == 'z':
			sc.i++
			loc = time.UTC
		case c == '+' || c == '-':
			sc.i++
			oh, n := sc.digits(2)
			if n != 2 {
				return bad("want a zone offset such as +01:00")
			}
			om := 0
			if sc.peek() == ':' {
				sc.i++
			}
			if !sc.done() {
				if om, n = sc.digits(2); n != 2 {
					return bad("want a zone offset such as +01:00")
				}
			}
			if oh > 18 || om > 59 {
				return bad("no zone offset %c%02d:%02d", c, oh, om)
			}
			off := (oh*60 + om) * 60
			if c == '-' {
				off = -off
			}
			loc = time.FixedZone("", off)
			if off == 0 {
				loc = time.UTC
			}
		default:
			switch w := sc.word(); strings.ToUpper(w) {
			case "UTC", "GMT":
				loc = time.UTC
			case "":
				return notTime()
			default:
				return bad("zone %q: write an offset (+01:00) or UTC, or say the column's zone", w)
			}
		}
		if !sc.done() {
			return bad("unexpected %q", s[sc.i:])
		}
	}
	if loc == nil {
		switch {
		case zone != nil:
			loc = zone
		case hasClock:
			return time.Time{}, class, false, fmt.Errorf("%q has no time zone: say where its times are (zone: in the mapping, or -time-zone)", s)
		default:
			loc = time.UTC
		}
	}
	t = time.Date(y, time.Month(m), d, hh, mm, ss, nsec, loc)
	if hasClock && loc != time.UTC && (t.Hour() != hh || t.Minute() != mm) {
		return bad("%02d:%02d does not exist in %s that day (the clocks changed)", hh, mm, loc)
	}
	return t, class, !hasClock, nil
}

// minYear is the earliest year a time may have: no lead was created, and no
// activity happened, before it.
const minYear = 1800

func century(yy int) int {
	if yy < 70 {
		return 2000 + yy
	}
	return 1900 + yy
}

func daysIn(m time.Month, y int) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// dayName writes day d of month m in year y as "3 April 2026", or
// "no such day" when it does not exist.
func dayName(d, m, y int) string {
	if m < 1 || m > 12 || d < 1 || d > daysIn(time.Month(m), y) {
		return "no such day"
	}
	return fmt.Sprintf("%d %s %d", d, time.Month(m), y)
}
