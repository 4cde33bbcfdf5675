package recycle

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Day and Week are the calendar-free units horizons are written in: 24 and
// 168 hours of elapsed time. Working hours, when configured, are applied in
// the lead's time zone afterwards, so daylight-saving changes move nothing.
const (
	Day  = 24 * time.Hour
	Week = 7 * Day
)

// maxDuration bounds every duration in a configuration: a hundred years.
const maxDuration = 100 * 365 * Day

// units of the text form of a duration, largest first.
var units = []struct {
	name string
	d    time.Duration
}{{"w", Week}, {"d", Day}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}}

// parseDuration reads the text form of a non-negative duration: one or
// more integer-unit pairs, largest unit first, such as "90d", "2w", "36h",
// "1d12h" or "45m". Units are w, d, h, m and s; "0" is zero.
func parseDuration(s string) (time.Duration, error) {
	if s == "0" {
		return 0, nil
	}
	if s == "" {
		return 0, errors.New("empty duration")
	}
	if len(s) > 32 {
		return 0, fmt.Errorf("duration %.32q... is too long", s)
	}
	var total time.Duration
	rest, last := s, -1
	for rest != "" {
		n := 0
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 0 || n > 9 {
			return 0, fmt.Errorf("duration %q: want a number of 1 to 9 digits then a unit (w, d, h, m, s), as in \"90d\" or \"1d12h\"", s)
		}
		v, _ := strconv.Atoi(rest[:n])
		u := -1
		for i, un := range units {
			if strings.HasPrefix(rest[n:], un.name) {
				u = i
				break
			}
		}
		if u < 0 {
			return 0, fmt.Errorf("duration %q: unknown or missing unit after %s (use w, d, h, m or s)", s, rest[:n])
		}
		if u <= last {
			return 0, fmt.Errorf("duration %q: units must go from the largest to the smallest, each once", s)
		}
		last = u
		if time.Duration(v) > maxDuration/units[u].d {
			return 0, fmt.Errorf("duration %q is more than 100 years", s)
		}
		total += time.Duration(v) * units[u].d
		if total > maxDuration {
			return 0, fmt.Errorf("duration %q is more than 100 years", s)
		}
		rest = rest[n+1:]
	}
	return total, nil
}

// formatDuration writes d in the form parseDuration reads, in days,
// hours, minutes and seconds ("90d", "1d12h"), dropping any part below a
// second.
func formatDuration(d time.Duration) string {
	if d < time.Second {
		return "0"
	}
	var b strings.Builder
	for _, u := range units[1:] {
		if n := d / u.d; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10))
			b.WriteString(u.name)
			d -= n * u.d
		}
	}
	return b.String()
}
