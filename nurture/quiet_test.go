package nurture_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/nurture"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// planAt plans a one-step track due at `due` for a lead in zone, with no
// cap, and returns the planned time.
func planAt(t *testing.T, p *nurture.Planner, zone string, due time.Time) nurture.Plan {
	t.Helper()
	tr, err := nurture.NewTrack(nurture.TrackSpec{Name: "one", Steps: []nurture.Step{
		{Asset: "a", Specificity: nurture.SpecificityProblem, Channel: lead.ChannelEmail},
	}})
	require.NoError(t, err)
	l := interestLead()
	l.Contact.TimeZone = zone
	plan, err := p.Next(nurture.Input{Lead: l, Track: tr, Progress: nurture.Progress{Enrolled: due}}, due.Add(-time.Minute))
	require.NoError(t, err)
	require.Equal(t, nurture.OutcomeTouch, plan.Outcome)
	return plan
}

func utc(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

// London 2026: BST from 29 March 01:00 UTC to 25 October 01:00 UTC.
// New York 2026: EDT from 8 March 07:00 UTC to 1 November 06:00 UTC.
func TestQuietHoursAcrossDST(t *testing.T) {
	night := nurture.QuietHours{} // the default, 21:00 to 08:00
	rows := []struct {
		name  string
		zone  string
		quiet nurture.QuietHours
		due   time.Time
		want  time.Time
	}{
		{"London winter night", "Europe/London", night, utc(2026, 1, 14, 22, 0), utc(2026, 1, 15, 8, 0)},
		{"London summer night", "Europe/London", night, utc(2026, 6, 10, 21, 0), utc(2026, 6, 11, 7, 0)},
		{"London day is not quiet", "Europe/London", night, utc(2026, 6, 10, 12, 0), utc(2026, 6, 10, 12, 0)},
		{"London just before quiet hours", "Europe/London", night, utc(2026, 1, 14, 20, 59), utc(2026, 1, 14, 20, 59)},
		{"London at the start of quiet hours", "Europe/London", night, utc(2026, 1, 14, 21, 0), utc(2026, 1, 15, 8, 0)},
		{"London at the end of quiet hours", "Europe/London", night, utc(2026, 1, 15, 8, 0), utc(2026, 1, 15, 8, 0)},
		{"London after midnight", "Europe/London", night, utc(2026, 1, 15, 3, 0), utc(2026, 1, 15, 8, 0)},
		// The night the clocks go forward is an hour shorter: 22:00 GMT to 08:00 BST is 9 hours.
		{"London spring forward, evening before", "Europe/London", night, utc(2026, 3, 28, 22, 0), utc(2026, 3, 29, 7, 0)},
		{"London spring forward, before the change", "Europe/London", night, utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 7, 0)},
		{"London spring forward, after the change", "Europe/London", night, utc(2026, 3, 29, 2, 0), utc(2026, 3, 29, 7, 0)},
		// The night the clocks go back is an hour longer: 22:00 BST to 08:00 GMT is 11 hours.
		{"London fall back, evening before", "Europe/London", night, utc(2026, 10, 24, 21, 0), utc(2026, 10, 25, 8, 0)},
		{"London fall back, first 01:30", "Europe/London", night, utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 8, 0)},
		{"London fall back, second 01:30", "Europe/London", night, utc(2026, 10, 25, 1, 30), utc(2026, 10, 25, 8, 0)},
		{"New York spring forward night", "America/New_York", night, utc(2026, 3, 8, 4, 30), utc(2026, 3, 8, 12, 0)},
		{"New York fall back night", "America/New_York", night, utc(2026, 11, 1, 3, 30), utc(2026, 11, 1, 13, 0)},
		{"New York lunch hour", "America/New_York", nurture.QuietHours{From: 12 * time.Hour, Until: 13 * time.Hour},
			utc(2026, 6, 10, 16, 30), utc(2026, 6, 10, 17, 0)},
		// Quiet hours that end in the hour that does not exist (02:00 to
		// 03:00 on 8 March in New York) end when the clock jumps out of them.
		{"New York quiet hours end in the gap", "America/New_York", nurture.QuietHours{From: time.Hour, Until: 2*time.Hour + 30*time.Minute},
			utc(2026, 3, 8, 6, 30), utc(2026, 3, 8, 7, 0)},
		{"New York after the gap", "America/New_York", nurture.QuietHours{From: time.Hour, Until: 2*time.Hour + 30*time.Minute},
			utc(2026, 3, 8, 7, 10), utc(2026, 3, 8, 7, 10)},
		// 01:00 to 02:00 happens twice on 1 November in New York.
		{"New York first 01:10", "America/New_York", nurture.QuietHours{From: time.Hour, Until: time.Hour + 30*time.Minute},
			utc(2026, 11, 1, 5, 10), utc(2026, 11, 1, 5, 30)},
		{"New York second 01:10", "America/New_York", nurture.QuietHours{From: time.Hour, Until: time.Hour + 30*time.Minute},
			utc(2026, 11, 1, 6, 10), utc(2026, 11, 1, 6, 30)},
		{"New York first 01:45 is allowed", "America/New_York", nurture.QuietHours{From: time.Hour, Until: time.Hour + 30*time.Minute},
			utc(2026, 11, 1, 5, 45), utc(2026, 11, 1, 5, 45)},
		// Falling back into quiet hours extends them: 01:20 EDT to 02:00 EST.
		{"New York quiet hours extended by the fall back", "America/New_York", nurture.QuietHours{From: 30 * time.Minute, Until: 2 * time.Hour},
			utc(2026, 11, 1, 5, 20), utc(2026, 11, 1, 7, 0)},
		// Lord Howe Island moves its clocks by half an hour (5 April 2026, 02:00 +11 to 01:30 +10:30).
		{"Lord Howe half-hour change", "Australia/Lord_Howe", night,
			time.Date(2026, 4, 4, 11, 0, 0, 0, time.UTC), time.Date(2026, 4, 4, 21, 30, 0, 0, time.UTC)},
		{"weekend: Saturday morning to Monday 08:00", "Europe/London", nurture.QuietHours{Days: []time.Weekday{time.Saturday, time.Sunday}},
			utc(2026, 3, 7, 10, 0), utc(2026, 3, 9, 8, 0)},
		{"weekend: Friday night to Monday 08:00", "Europe/London", nurture.QuietHours{Days: []time.Weekday{time.Saturday, time.Sunday}},
			utc(2026, 3, 6, 22, 0), utc(2026, 3, 9, 8, 0)},
		{"weekend over the spring change", "Europe/London", nurture.QuietHours{Days: []time.Weekday{time.Saturday, time.Sunday}},
			utc(2026, 3, 28, 12, 0), utc(2026, 3, 30, 7, 0)},
		{"quiet day without quiet hours ends at midnight", "America/New_York", nurture.QuietHours{Off: true, Days: []time.Weekday{time.Sunday}},
			utc(2026, 3, 8, 12, 0), utc(2026, 3, 9, 4, 0)},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			p := newPlanner(t, nurture.Config{MaxTouches: -1, QuietHours: r.quiet})
			plan := planAt(t, p, r.zone, r.due)
			assert.True(t, r.want.Equal(plan.At), "want %s (%s), got %s", r.want, r.want.In(mustZone(t, r.zone)), plan.At)
			assert.Equal(t, !r.want.Equal(r.due), plan.Moved&nurture.MovedQuiet != 0, "moved")
			assert.True(t, r.due.Equal(plan.Due))
			assert.Equal(t, r.zone, plan.At.Location().String())
		})
	}
}

// TestQuietHoursOracle checks the planner against a brute-force search,
// minute by minute, on the wall clock the time package reports, for many
// times around the daylight-saving changes of several zones.
func TestQuietHoursOracle(t *testing.T) {
	zones := []string{"Europe/London", "America/New_York", "Australia/Lord_Howe", "America/Havana", "Asia/Kolkata", "Pacific/Apia"}
	windows := []nurture.QuietHours{
		{},
		{From: 22 * time.Hour, Until: 7 * time.Hour},
		{From: time.Hour, Until: 2*time.Hour + 30*time.Minute},
		{From: 0, Until: 30 * time.Minute},
		{From: 12 * time.Hour, Until: 14 * time.Hour, Days: []time.Weekday{time.Sunday}},
		{Off: true, Days: []time.Weekday{time.Saturday, time.Sunday}},
		{From: 22 * time.Hour, Until: 0},
		{From: 0, Until: 8 * time.Hour, Days: []time.Weekday{time.Monday}},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, zone := range zones {
		loc := mustZone(t, zone)
		for wi, q := range windows {
			p := newPlanner(t, nurture.Config{MaxTouches: -1, QuietHours: q})
			from, until := q.From, q.Until
			if !q.Off && from == 0 && until == 0 {
				from, until = nurture.DefaultQuietFrom, nurture.DefaultQuietUntil
			}
			quiet := func(u time.Time) bool {
				lt := u.In(loc)
				for _, d := range q.Days {
					if lt.Weekday() == d {
						return true
					}
				}
				if q.Off {
					return false
				}
				h, m, s := lt.Clock()
				tod := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second
				if from < until {
					return tod >= from && tod < until
				}
				return tod >= from || tod < until
			}
			// Times near each zone change of 2026, and some at random.
			var samples []time.Time
			for u := utc(2026, 1, 1, 0, 0); u.Year() == 2026; {
				_, end := u.In(loc).ZoneBounds()
				if end.IsZero() || end.Year() > 2026 {
					break
				}
				for range 20 {
					samples = append(samples, end.Add(time.Duration(rng.IntN(48*60)-24*60)*time.Minute))
				}
				u = end
			}
			for range 40 {
				samples = append(samples, utc(2026, 1, 1, 0, 0).Add(time.Duration(rng.IntN(365*24*60))*time.Minute))
			}
			for _, due := range samples {
				want := due
				for quiet(want) {
					want = want.Add(time.Minute)
				}
				plan := planAt(t, p, zone, due)
				if !assert.True(t, want.Equal(plan.At), "zone %s window %d due %s (%s): want %s, got %s",
					zone, wi, due, due.In(loc), want.In(loc), plan.At) {
					return
				}
			}
		}
	}
}
