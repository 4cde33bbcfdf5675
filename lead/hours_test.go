package lead_test

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leadqual/leadqual/lead"
)

func mustCalendar(t testing.TB, w lead.WorkingHours) lead.Calendar {
	t.Helper()
	c, err := w.Calendar()
	require.NoError(t, err)
	return c
}

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

// The timeline of the calendar tests: Monday 23 November 2026, with
// 25 and 28 December as holidays.
func TestCalendarAdd(t *testing.T) {
	london := mustZone(t, "Europe/London")
	office := mustCalendar(t, lead.WorkingHours{Zone: "Europe/London", Holidays: []string{"2026-12-25", "2026-12-28"}})
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, london) }
	tests := []struct {
		name string
		from time.Time
		add  time.Duration
		want time.Time
	}{
		{"inside hours: the clock", at(2026, 11, 23, 10, 0), 5 * time.Minute, at(2026, 11, 23, 10, 5)},
		{"Sunday night: from Monday's opening", at(2026, 11, 22, 2, 0), 5 * time.Minute, at(2026, 11, 23, 9, 5)},
		{"before opening on a working day", at(2026, 11, 23, 7, 30), 5 * time.Minute, at(2026, 11, 23, 9, 5)},
		{"across closing: the rest the next morning", at(2026, 11, 23, 16, 58), 5 * time.Minute, at(2026, 11, 24, 9, 3)},
		{"Friday afternoon: the rest on Monday", at(2026, 11, 27, 16, 58), 5 * time.Minute, at(2026, 11, 30, 9, 3)},
		{"ending exactly at closing", at(2026, 11, 23, 16, 55), 5 * time.Minute, at(2026, 11, 23, 17, 0)},
		{"from closing: the next morning", at(2026, 11, 23, 17, 0), 5 * time.Minute, at(2026, 11, 24, 9, 5)},
		{"zero: the next working moment", at(2026, 11, 21, 12, 0), 0, at(2026, 11, 23, 9, 0)},
		{"negative counts as zero", at(2026, 11, 23, 12, 0), -time.Hour, at(2026, 11, 23, 12, 0)},
		{"a working day is 8 hours", at(2026, 11, 23, 9, 0), 8 * time.Hour, at(2026, 11, 23, 17, 0)},
		{"two working days", at(2026, 11, 23, 9, 0), 16*time.Hour + time.Minute, at(2026, 11, 25, 9, 1)},
		{"a working week", at(2026, 11, 23, 9, 0), 40*time.Hour + time.Hour, at(2026, 11, 30, 10, 0)},
		{"holidays are skipped", at(2026, 12, 24, 16, 0), 2 * time.Hour, at(2026, 12, 29, 10, 0)},
		{"across the spring clock change", at(2026, 3, 27, 16, 0), 2 * time.Hour, at(2026, 3, 30, 10, 0)},
		{"across the autumn clock change", at(2026, 10, 23, 16, 0), 2 * time.Hour, at(2026, 10, 26, 10, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := office.Add(tc.from, tc.add)
			require.NoError(t, err)
			assert.True(t, tc.want.Equal(got), "want %s, got %s", tc.want, got.In(london))
		})
	}
}

func TestCalendarOpenNextDay(t *testing.T) {
	newYork := mustZone(t, "America/New_York")
	c := mustCalendar(t, lead.WorkingHours{Start: 8 * time.Hour, End: 12 * time.Hour, Days: []time.Weekday{time.Saturday}, Zone: "America/New_York"})
	sat := time.Date(2026, 11, 28, 0, 0, 0, 0, newYork)
	assert.False(t, c.Open(sat.Add(7*time.Hour+59*time.Minute)))
	assert.True(t, c.Open(sat.Add(8*time.Hour)))
	assert.True(t, c.Open(sat.Add(12*time.Hour-time.Nanosecond)))
	assert.False(t, c.Open(sat.Add(12*time.Hour)))
	assert.False(t, c.Open(sat.Add(24*time.Hour+9*time.Hour)), "Sunday is not worked")

	assert.True(t, sat.Add(8*time.Hour).Equal(c.Next(sat)))
	assert.True(t, sat.Add(10*time.Hour).Equal(c.Next(sat.Add(10*time.Hour))), "an open moment is its own next")
	assert.True(t, sat.AddDate(0, 0, 7).Add(8*time.Hour).Equal(c.Next(sat.Add(12*time.Hour))), "after closing: next Saturday")

	open, closing, worked := c.Day(sat.Add(15 * time.Hour))
	assert.True(t, worked)
	assert.True(t, sat.Add(8*time.Hour).Equal(open))
	assert.True(t, sat.Add(12*time.Hour).Equal(closing))
	_, _, worked = c.Day(sat.Add(-time.Hour))
	assert.False(t, worked, "Friday")

	// The same hours kept in another zone.
	tokyo := mustZone(t, "Asia/Tokyo")
	assert.Equal(t, tokyo, c.In(tokyo).Location())
	assert.Equal(t, newYork, c.In(nil).Location())
	assert.True(t, c.In(tokyo).Open(time.Date(2026, 11, 28, 9, 0, 0, 0, tokyo)))
}

func TestCalendarZeroIsAlwaysOpen(t *testing.T) {
	var c lead.Calendar
	now := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
	assert.True(t, c.IsZero())
	assert.True(t, c.Open(now))
	assert.Equal(t, now, c.Next(now))
	got, err := c.Add(now, 5*time.Minute)
	require.NoError(t, err)
	assert.Equal(t, now.Add(5*time.Minute), got)
	assert.Equal(t, time.UTC, c.Location())
	assert.Equal(t, time.Duration(0), c.Start())
	assert.Equal(t, 24*time.Hour, c.End())
	open, closing, worked := c.Day(now)
	assert.True(t, worked)
	assert.Equal(t, 24*time.Hour, closing.Sub(open))
}

func TestCalendarAddTooLong(t *testing.T) {
	// One minute a week: a year of working time does not end within ten years.
	c := mustCalendar(t, lead.WorkingHours{Start: 9 * time.Hour, End: 9*time.Hour + time.Minute, Days: []time.Weekday{time.Monday}})
	_, err := c.Add(t0, 365*24*time.Hour)
	require.ErrorIs(t, err, lead.ErrWorkingTimeTooLong)
	got, err := c.Add(t0, 3*time.Minute)
	require.NoError(t, err)
	assert.Equal(t, time.Monday, got.Weekday())
	assert.Equal(t, 9*time.Hour+time.Minute, got.Sub(got.Truncate(24*time.Hour)))
}

// Property: Add agrees with a minute-by-minute walk of the calendar, on
// random hours, days, holidays, zones and spans.
func TestCalendarAddAgreesWithMinuteWalk(t *testing.T) {
	zones := []string{"UTC", "Europe/London", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		start := time.Duration(r.IntN(20*60)) * time.Minute
		end := start + time.Duration(1+r.IntN(int(24*time.Hour-start)/int(time.Minute)))*time.Minute
		var days []time.Weekday
		for d := time.Sunday; d <= time.Saturday; d++ {
			if r.IntN(2) == 0 {
				days = append(days, d)
			}
		}
		if len(days) == 0 {
			days = []time.Weekday{time.Weekday(r.IntN(7))}
		}
		from := time.Date(2026, time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), r.IntN(60), 0, 0, time.UTC)
		var holidays []string
		for range r.IntN(4) {
			holidays = append(holidays, from.AddDate(0, 0, r.IntN(10)).Format(time.DateOnly))
		}
		w := lead.WorkingHours{Start: start, End: end, Days: days, Holidays: holidays, Zone: zones[r.IntN(len(zones))]}
		c := mustCalendar(t, w)
		week := int((end-start)/time.Minute) * len(days) // working minutes a week
		span := time.Duration(r.IntN(2*week)) * time.Minute

		got, err := c.Add(from, span)
		require.NoError(t, err, "case %d: %+v from %s + %s", i, w, from, span)
		// The walk: minute by minute, counting the minutes that are open.
		at, left := from, span
		for !c.Open(at) {
			at = at.Add(time.Minute)
		}
		for left > 0 {
			if c.Open(at) {
				left -= time.Minute
			}
			at = at.Add(time.Minute)
		}
		if span > 0 {
			// The walk stops one minute past the last working minute it
			// counted; Add ends at that minute's end too.
			assert.True(t, at.Equal(got), "case %d: %+v from %s + %s: walk %s, Add %s", i, w, from, span, at, got)
		}
		assert.True(t, c.Open(c.Next(from)), "case %d: Next is open", i)
	}
}

func TestWorkingHoursValidate(t *testing.T) {
	tests := []struct {
		name string
		w    lead.WorkingHours
		want []string
	}{
		{"backwards", lead.WorkingHours{Start: 17 * time.Hour, End: 9 * time.Hour}, []string{"start: working day 17:00 to 09:00"}},
		{"past midnight", lead.WorkingHours{Start: 9 * time.Hour, End: 25 * time.Hour}, []string{"start: working day"}},
		{"no working day", lead.WorkingHours{Days: []time.Weekday{}}, []string{"days: no working day"}},
		{"a day twice", lead.WorkingHours{Days: []time.Weekday{time.Monday, time.Monday}}, []string{"days[1]: Monday listed twice"}},
		{"not a weekday", lead.WorkingHours{Days: []time.Weekday{9}}, []string{"days[0]: 9 is not a weekday"}},
		{"bad holiday", lead.WorkingHours{Holidays: []string{"25/12/2026"}}, []string{`holidays[0]: "25/12/2026" is not a date like 2026-12-25`}},
		{"unknown zone", lead.WorkingHours{Zone: "Atlantis/Capital"}, []string{`zone: unknown time zone "Atlantis/Capital"`}},
		{"the machine's zone", lead.WorkingHours{Zone: "Local"}, []string{`zone: unknown time zone "Local"`}},
		{"every problem at once", lead.WorkingHours{Start: 2 * time.Hour, End: time.Hour, Zone: "Nowhere"},
			[]string{"start: working day", "zone: unknown time zone"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.w.Validate()
			require.Error(t, err)
			var fe *lead.FieldError
			require.True(t, errors.As(err, &fe), "a *lead.FieldError")
			for _, w := range tc.want {
				assert.ErrorContains(t, err, w)
			}
			_, cerr := tc.w.Calendar()
			assert.Equal(t, err.Error(), cerr.Error())
		})
	}
	assert.NoError(t, lead.WorkingHours{}.Validate())
	too := make([]string, lead.MaxHolidays+1)
	assert.ErrorContains(t, lead.WorkingHours{Holidays: too}.Validate(), "holidays: 1001 holidays, more than 1000")
}

func TestWorkingHoursJSON(t *testing.T) {
	in := `{"start":"08:30","end":"17:30","days":["mon","Tuesday","WEDNESDAY"],"holidays":["2026-12-25"],"zone":"Europe/London"}`
	var w lead.WorkingHours
	require.NoError(t, json.Unmarshal([]byte(in), &w))
	assert.Equal(t, lead.WorkingHours{
		Start: 8*time.Hour + 30*time.Minute, End: 17*time.Hour + 30*time.Minute,
		Days:     []time.Weekday{time.Monday, time.Tuesday, time.Wednesday},
		Holidays: []string{"2026-12-25"}, Zone: "Europe/London",
	}, w)
	out, err := json.Marshal(w)
	require.NoError(t, err)
	assert.JSONEq(t, `{"start":"08:30","end":"17:30","days":["monday","tuesday","wednesday"],"holidays":["2026-12-25"],"zone":"Europe/London"}`, string(out))

	out, err = json.Marshal(lead.WorkingHours{})
	require.NoError(t, err)
	assert.Equal(t, `{}`, string(out))
	full := lead.WorkingHours{}.WithDefaults()
	out, err = json.Marshal(full)
	require.NoError(t, err)
	var back lead.WorkingHours
	require.NoError(t, json.Unmarshal(out, &back))
	assert.Equal(t, full, back)

	for name, tc := range map[string]struct{ json, err string }{
		"bad clock":     {`{"start":"9am","end":"17:00"}`, `start: "9am" is not a clock time like 09:00`},
		"out of range":  {`{"start":"09:00","end":"24:30"}`, `end: "24:30" is not a clock time between 00:00 and 24:00`},
		"one of two":    {`{"start":"09:00"}`, `end: "" is not a clock time`},
		"bad weekday":   {`{"days":["monday","funday"]}`, `days[1]: "funday" is not a weekday (monday ... sunday)`},
		"unknown field": {`{"zones":"UTC"}`, `zones: unknown field`},
		"wrong type":    {`{"days":"monday"}`, `cannot unmarshal`},
	} {
		t.Run(name, func(t *testing.T) {
			w := lead.WorkingHours{Zone: "kept"}
			err := json.Unmarshal([]byte(tc.json), &w)
			require.ErrorContains(t, err, tc.err)
			assert.Equal(t, "kept", w.Zone, "unchanged on error")
		})
	}
}

func TestParseClock(t *testing.T) {
	for in, want := range map[string]time.Duration{"00:00": 0, "09:30": 9*time.Hour + 30*time.Minute, "24:00": 24 * time.Hour} {
		got, err := lead.ParseClock(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "9:30", "09:60", "25:00", "24:01", "09.30", "0930 ", "ab:cd"} {
		_, err := lead.ParseClock(in)
		assert.Error(t, err, in)
	}
}

// FuzzWorkingHoursJSON decodes arbitrary bytes as working hours: nothing
// panics; hours that decode and validate compile, encode and decode to
// the same value, and their calendar answers without failing. The seed
// corpus is testdata/fuzz/FuzzWorkingHoursJSON.
func FuzzWorkingHoursJSON(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var w lead.WorkingHours
		if err := json.Unmarshal(data, &w); err != nil {
			return
		}
		c, err := w.Calendar()
		if err != nil {
			return
		}
		out, err := json.Marshal(w)
		require.NoError(t, err)
		var back lead.WorkingHours
		require.NoError(t, json.Unmarshal(out, &back))
		require.Equal(t, w.WithDefaults(), back.WithDefaults())
		from := time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC)
		next := c.Next(from)
		require.False(t, next.Before(from))
		require.True(t, c.Open(next))
		got, err := c.Add(from, 90*time.Minute)
		require.NoError(t, err)
		require.True(t, got.After(next))
	})
}
