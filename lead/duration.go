package lead

import (
	"fmt"
	"strconv"
	"time"
)

// MaxDuration is the longest duration [ParseDuration] accepts: 100 years of
// 365 days, written "36500d".
const MaxDuration = 36500 * 24 * time.Hour

// durationUnits are the units of the duration syntax, largest first.
var durationUnits = [...]struct {
	name byte
	d    time.Duration
}{{'w', 7 * 24 * time.Hour}, {'d', 24 * time.Hour}, {'h', time.Hour}, {'m', time.Minute}, {'s', time.Second}}

// maxDurationText bounds the text ParseDuration reads: the longest useful
// form, "5214w6d23h59m59s", is far shorter.
const maxDurationText = 64

// ParseDuration reads a duration in the syntax every leadqual package uses
// for windows, deadlines, waits and horizons (see "Durations" in the
// package documentation): whole numbers with the units w, d, h, m and s,
// largest unit first, each unit at most once, such as "30d", "2w", "1d12h"
// or "90m". A day is 24 hours and a week 7 days of elapsed time.
//
// The result is positive and at most [MaxDuration]. Everything else is
// refused with an error that says why: "" and "1" (a number without a
// unit), "0d" (zero), "-3d" (negative), "1.5h" (a fraction), "1h1h" and
// "1h1d" (a unit repeated or out of order), "1 d" (a space), "90ms"
// (unknown unit).
func ParseDuration(s string) (time.Duration, error) {
	d, problem := parseDuration(s)
	if problem != "" {
		return 0, &durationError{text: s, problem: problem}
	}
	return d, nil
}

// durationError is a refused duration text.
type durationError struct {
	text, problem string
}

func (e *durationError) Error() string {
	t := e.text
	if len(t) > maxDurationText {
		t = t[:maxDurationText] + "..."
	}
	return fmt.Sprintf("lead: duration %q %s", t, e.problem)
}

// parseDuration returns the duration s denotes, or a phrase saying what is
// wrong with it.
func parseDuration(s string) (time.Duration, string) {
	const syntax = `; write whole numbers with units w, d, h, m, s, largest first, as in "30d" or "1d12h"`
	switch {
	case s == "":
		return 0, "is empty" + syntax
	case len(s) > maxDurationText:
		return 0, fmt.Sprintf("is longer than %d bytes", maxDurationText)
	case s[0] == '-':
		return 0, "is negative; durations are positive"
	}
	var total time.Duration
	rest, last := s, -1
	for rest != "" {
		n, i := uint64(0), 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			if n <= uint64(MaxDuration/time.Second) {
				n = n*10 + uint64(rest[i]-'0')
			}
			i++
		}
		if i == 0 { // only at the start: a unit runs to the next digit
			return 0, "does not start with a number" + syntax
		}
		if i == len(rest) {
			if rest == s && n == 0 {
				return 0, "is zero; durations are positive"
			}
			return 0, fmt.Sprintf("has the number %s without a unit (w, d, h, m or s)", rest)
		}
		if rest[i] == '.' || rest[i] == ',' {
			return 0, `has a fraction; write whole numbers of a smaller unit, as in "1h30m" for an hour and a half`
		}
		j := i
		for j < len(rest) && (rest[j] < '0' || rest[j] > '9') {
			j++
		}
		unit := -1
		if j == i+1 {
			for k, u := range durationUnits {
				if u.name == rest[i] {
					unit = k
				}
			}
		}
		switch {
		case unit < 0:
			return 0, fmt.Sprintf("has the unknown unit %q (units are w, d, h, m and s, with no spaces)", clipText(rest[i:j], 8))
		case unit == last:
			return 0, fmt.Sprintf("has the unit %c twice; each unit appears at most once", durationUnits[unit].name)
		case unit < last:
			return 0, fmt.Sprintf("has %c after %c; units go from the largest to the smallest, as in \"1d12h\"",
				durationUnits[unit].name, durationUnits[last].name)
		}
		last = unit
		u := durationUnits[unit].d
		if n > uint64(MaxDuration/u) || total+time.Duration(n)*u > MaxDuration {
			return 0, fmt.Sprintf("is longer than the maximum, %s (100 years)", FormatDuration(MaxDuration))
		}
		total += time.Duration(n) * u
		rest = rest[j:]
	}
	if total == 0 {
		return 0, "is zero; durations are positive"
	}
	return total, ""
}

// clipText shortens s to at most n bytes for an error message.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// FormatDuration writes d in the syntax [ParseDuration] reads, with days as
// the largest unit and no zero parts: "30d", "1d12h", "1h30m", "45s".
// Parts below a second are dropped, and a d of less than a second (zero and
// negative durations included) is "", which ParseDuration refuses. For
// every d of whole seconds between one second and [MaxDuration],
// ParseDuration(FormatDuration(d)) is d.
func FormatDuration(d time.Duration) string {
	if d < time.Second {
		return ""
	}
	var buf [32]byte
	b := buf[:0]
	for _, u := range durationUnits[1:] {
		if n := d / u.d; n > 0 {
			b = strconv.AppendInt(b, int64(n), 10)
			b = append(b, u.name)
			d -= n * u.d
		}
	}
	return string(b)
}

// Duration is a time.Duration whose text form (and so its JSON form) is the
// duration syntax of [ParseDuration]: "30d", "1d12h". Configuration types
// use it for their JSON fields.
//
// The zero Duration means "not set" and has no text form: tag optional
// fields `json:",omitempty"`, and the decoder never sees them.
type Duration time.Duration

// String returns the duration as FormatDuration writes it.
func (d Duration) String() string { return FormatDuration(time.Duration(d)) }

// MarshalText implements encoding.TextMarshaler. A duration that
// ParseDuration would not read back exactly (not positive, longer than
// MaxDuration, or with a part below a second) is an error.
func (d Duration) MarshalText() ([]byte, error) {
	td := time.Duration(d)
	switch {
	case td <= 0:
		return nil, fmt.Errorf("lead: duration %s is not positive; leave an unset duration out (omitempty)", td)
	case td > MaxDuration:
		return nil, fmt.Errorf("lead: duration %s is longer than the maximum, %s", td, FormatDuration(MaxDuration))
	case td%time.Second != 0:
		return nil, fmt.Errorf("lead: duration %s has a part below a second, which the syntax cannot write", td)
	}
	return []byte(FormatDuration(td)), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with ParseDuration. On
// error d is left unchanged.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}
