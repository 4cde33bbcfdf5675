package recycle_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/recycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPlanHorizons(t *testing.T) {
	p := mustPlanner(t, recycle.Horizons{Jitter: -1})
	tests := []struct {
		name      string
		lead      lead.Lead
		reason    lead.Reason
		prior     recycle.Prior
		due       time.Time
		basis     recycle.Basis
		task      string // a substring of the task
		next      recycle.Prior
		reasonOut lead.Reason
	}{
		{name: "not now, no date", reason: lead.ReasonNotNow, due: t0.Add(days(90)), basis: recycle.BasisHorizon, task: "time has come", next: recycle.Prior{Recycles: 1}},
		{name: "not now, expected purchase ahead", lead: lead.Lead{ExpectedPurchase: t0.Add(days(30))}, reason: lead.ReasonNotNow,
			due: t0.Add(days(30)), basis: recycle.BasisAnchor, task: "time has come", next: recycle.Prior{Recycles: 1}},
		{name: "not now, expected purchase passed", lead: lead.Lead{ExpectedPurchase: t0.Add(-days(1))}, reason: lead.ReasonNotNow,
			due: t0.Add(days(90)), basis: recycle.BasisHorizon, next: recycle.Prior{Recycles: 1}},
		{name: "not now, expected purchase now", lead: lead.Lead{ExpectedPurchase: t0}, reason: lead.ReasonNotNow,
			due: t0.Add(days(90)), basis: recycle.BasisHorizon, next: recycle.Prior{Recycles: 1}},
		{name: "not now, expected purchase beyond the reason's Longest: the date wins", lead: lead.Lead{ExpectedPurchase: t0.Add(days(400))},
			reason: lead.ReasonNotNow, due: t0.Add(days(400)), basis: recycle.BasisAnchor, next: recycle.Prior{Recycles: 1}},
		{name: "not now, expected purchase beyond Horizons.Longest", lead: lead.Lead{ExpectedPurchase: t0.Add(days(1000))}, reason: lead.ReasonNotNow,
			due: t0.Add(days(730)), basis: recycle.BasisLongest, next: recycle.Prior{Recycles: 1}},
		{name: "not now, backed off to its Longest", reason: lead.ReasonNotNow, prior: recycle.Prior{Recycles: 3},
			due: t0.Add(days(180)), basis: recycle.BasisBackoff, next: recycle.Prior{Recycles: 4}},
		{name: "no budget", reason: lead.ReasonNoBudget, due: t0.Add(days(180)), basis: recycle.BasisHorizon, task: "budget cycle", next: recycle.Prior{Recycles: 1}},
		{name: "no decision maker", reason: lead.ReasonNoDecisionMaker, due: t0.Add(days(14)), basis: recycle.BasisHorizon,
			task: "Reach the sales, finance or managing director", next: recycle.Prior{Recycles: 1}},
		{name: "no decision maker, second recycle backs off", reason: lead.ReasonNoDecisionMaker, prior: recycle.Prior{Recycles: 1},
			due: t0.Add(days(28)), basis: recycle.BasisBackoff, next: recycle.Prior{Recycles: 2}},
		{name: "no decision maker, fifth recycle: within a quarter", reason: lead.ReasonNoDecisionMaker, prior: recycle.Prior{Recycles: 4},
			due: t0.Add(days(90)), basis: recycle.BasisBackoff, next: recycle.Prior{Recycles: 5}},
		{name: "backoff is bounded by the reason's Longest", reason: lead.ReasonNoBudget, prior: recycle.Prior{Recycles: 3},
			due: t0.Add(days(365)), basis: recycle.BasisBackoff, next: recycle.Prior{Recycles: 4}},
		{name: "the cap sends the lead to its reason's Longest", reason: lead.ReasonNoDecisionMaker, prior: recycle.Prior{Recycles: 5},
			due: t0.Add(days(90)), basis: recycle.BasisCap, task: "managing director", next: recycle.Prior{Recycles: 6}},
		{name: "far beyond the cap", reason: lead.ReasonNoDecisionMaker, prior: recycle.Prior{Recycles: recycle.MaxCount},
			due: t0.Add(days(90)), basis: recycle.BasisCap, next: recycle.Prior{Recycles: recycle.MaxCount}},
		{name: "at the cap, the lead's own date still wins", lead: lead.Lead{ExpectedPurchase: t0.Add(days(10))}, reason: lead.ReasonNotNow,
			prior: recycle.Prior{Recycles: 7}, due: t0.Add(days(10)), basis: recycle.BasisAnchor, next: recycle.Prior{Recycles: 8}},
		{name: "unresponsive, first attempt", reason: lead.ReasonUnresponsive, prior: recycle.Prior{Attempt: 1},
			due: t0.Add(days(2)), basis: recycle.BasisRetry, task: "(attempt 2 of 3)", next: recycle.Prior{Attempt: 1}},
		{name: "unresponsive, attempt 0 counts as the first", reason: lead.ReasonUnresponsive,
			due: t0.Add(days(2)), basis: recycle.BasisRetry, task: "(attempt 2 of 3)", next: recycle.Prior{Attempt: 1}},
		{name: "unresponsive, second attempt backs off", reason: lead.ReasonUnresponsive, prior: recycle.Prior{Recycles: 2, Attempt: 2},
			due: t0.Add(days(4)), basis: recycle.BasisRetry, task: "(attempt 3 of 3)", next: recycle.Prior{Recycles: 2, Attempt: 2}},
		{name: "unresponsive, last attempt sleeps", reason: lead.ReasonUnresponsive, prior: recycle.Prior{Attempt: 3},
			due: t0.Add(days(60)), basis: recycle.BasisHorizon, task: "another contact", next: recycle.Prior{Recycles: 1}},
		{name: "unresponsive, the next round backs off", reason: lead.ReasonUnresponsive, prior: recycle.Prior{Recycles: 1, Attempt: 3},
			due: t0.Add(days(120)), basis: recycle.BasisBackoff, next: recycle.Prior{Recycles: 2}},
		{name: "unresponsive, rounds never more than half a year apart", reason: lead.ReasonUnresponsive, prior: recycle.Prior{Recycles: 4, Attempt: 3},
			due: t0.Add(days(180)), basis: recycle.BasisBackoff, next: recycle.Prior{Recycles: 5}},
		{name: "stonewalled or dismissed: move on, for now", reason: lead.ReasonStonewalled, due: t0.Add(days(180)), basis: recycle.BasisHorizon,
			task: "fresh approach", next: recycle.Prior{Recycles: 1}},
		{name: "stonewalled, at the cap: a year, not never", reason: lead.ReasonStonewalled, prior: recycle.Prior{Recycles: 9},
			due: t0.Add(days(365)), basis: recycle.BasisCap, next: recycle.Prior{Recycles: 10}},
		{name: "stonewalled has no anchor", lead: lead.Lead{Renewal: t0.Add(days(30)), ExpectedPurchase: t0.Add(days(30))}, reason: lead.ReasonStonewalled,
			due: t0.Add(days(180)), basis: recycle.BasisHorizon, next: recycle.Prior{Recycles: 1}},
		{name: "preferred supplier: a long horizon", reason: lead.ReasonPreferredSupplier, due: t0.Add(days(365)), basis: recycle.BasisHorizon,
			task: "preferred supplier", next: recycle.Prior{Recycles: 1}},
		{name: "preferred supplier: the renewal date", lead: lead.Lead{Renewal: t0.Add(days(200))}, reason: lead.ReasonPreferredSupplier,
			due: t0.Add(days(200)), basis: recycle.BasisAnchor, next: recycle.Prior{Recycles: 1}},
		{name: "offshored: a long horizon", reason: lead.ReasonOffshored, due: t0.Add(days(365)), basis: recycle.BasisHorizon,
			task: "partner abroad", next: recycle.Prior{Recycles: 1}},
		{name: "preferred supplier: a renewal beyond the reason's Longest wins", lead: lead.Lead{Renewal: t0.Add(days(500))}, reason: lead.ReasonPreferredSupplier,
			prior: recycle.Prior{Recycles: 6}, due: t0.Add(days(500)), basis: recycle.BasisAnchor, next: recycle.Prior{Recycles: 7}},
		{name: "preferred supplier: flat, a year whatever the count", reason: lead.ReasonPreferredSupplier, prior: recycle.Prior{Recycles: 3},
			due: t0.Add(days(365)), basis: recycle.BasisBackoff, next: recycle.Prior{Recycles: 4}},
		{name: "offshored: a renewal beyond Horizons.Longest", lead: lead.Lead{Renewal: t0.Add(days(3000))}, reason: lead.ReasonOffshored,
			due: t0.Add(days(730)), basis: recycle.BasisLongest, next: recycle.Prior{Recycles: 1}},
		{name: "not now ignores the renewal date", lead: lead.Lead{Renewal: t0.Add(days(5))}, reason: lead.ReasonNotNow,
			due: t0.Add(days(90)), basis: recycle.BasisHorizon, next: recycle.Prior{Recycles: 1}},
		{name: "a host reason takes the fallback", reason: "evaluating_in_house", due: t0.Add(days(90)), basis: recycle.BasisHorizon,
			task: "what has changed", next: recycle.Prior{Recycles: 1}},
		{name: "a host reason backs off to the fallback's Longest", reason: "evaluating_in_house", prior: recycle.Prior{Recycles: 3},
			due: t0.Add(days(365)), basis: recycle.BasisBackoff, next: recycle.Prior{Recycles: 4}},
		{name: "the lead's lost reason when none is given", lead: lead.Lead{LostReason: lead.ReasonNoBudget},
			due: t0.Add(days(180)), basis: recycle.BasisHorizon, next: recycle.Prior{Recycles: 1}, reasonOut: lead.ReasonNoBudget},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := tc.lead
			l.ID = "L-1"
			got, err := p.Plan(&l, tc.reason, tc.prior, t0)
			require.NoError(t, err)
			assert.Equal(t, tc.due, got.Due, "due")
			assert.Equal(t, tc.basis, got.Basis, "basis")
			assert.Contains(t, got.Task, tc.task)
			assert.Equal(t, tc.next, got.Next, "next")
			assert.Equal(t, "L-1", got.LeadID)
			assert.Equal(t, tc.due.Sub(t0), got.Wait, "wait, without jitter")
			assert.Equal(t, cmpOr(tc.reasonOut, tc.reason), got.Reason)
		})
	}
}

// TestReasonLadders pins each default reason's waits, recycle after
// recycle, to the catalogue (DefaultHorizons): each backs off to its own
// maximum and stays there, however often the lead was recycled. The issue
// it guards against: no decision maker backed off to two years.
func TestReasonLadders(t *testing.T) {
	p := mustPlanner(t, recycle.Horizons{Jitter: -1})
	tests := []struct {
		reason lead.Reason
		waits  []int // days, for recycles 0, 1, 2, ...; the last repeats to recycle 50
	}{
		{lead.ReasonNotNow, []int{90, 180}},
		{lead.ReasonNoBudget, []int{180, 360, 365}},
		{lead.ReasonNoDecisionMaker, []int{14, 28, 56, 90}},
		{lead.ReasonUnresponsive, []int{60, 120, 180}},
		{lead.ReasonStonewalled, []int{180, 360, 365}},
		{lead.ReasonPreferredSupplier, []int{365}},
		{lead.ReasonOffshored, []int{365}},
		{"host_reason", []int{90, 180, 360, 365}},
	}
	for _, tc := range tests {
		t.Run(string(tc.reason), func(t *testing.T) {
			h, err := p.Horizon(tc.reason)
			require.NoError(t, err)
			require.Equal(t, days(tc.waits[len(tc.waits)-1]), h.Longest, "the ladder ends at the reason's Longest")
			for n := 0; n <= 50; n++ {
				want := days(tc.waits[min(n, len(tc.waits)-1)])
				// An unresponsive lead sleeps after its last unanswered attempt.
				got, err := p.Plan(&lead.Lead{ID: "L-1"}, tc.reason, recycle.Prior{Recycles: n, Attempt: h.Attempts}, t0)
				require.NoError(t, err)
				require.Equal(t, want, got.Wait, "recycle %d", n)
				switch {
				case n == 0:
					assert.Equal(t, recycle.BasisHorizon, got.Basis)
				case n < 5:
					assert.Equal(t, recycle.BasisBackoff, got.Basis)
				default:
					assert.Equal(t, recycle.BasisCap, got.Basis)
				}
			}
		})
	}
}

func cmpOr(a, b lead.Reason) lead.Reason {
	if a != "" {
		return a
	}
	return b
}

func TestPlanFinal(t *testing.T) {
	p := mustPlanner(t, recycle.Horizons{})
	for _, r := range []lead.Reason{lead.ReasonNotAFit, lead.ReasonDoNotContact} {
		t.Run(string(r), func(t *testing.T) {
			_, err := p.Plan(&lead.Lead{ID: "L-1"}, r, recycle.Prior{}, t0)
			require.ErrorIs(t, err, recycle.ErrFinal)
			assert.ErrorContains(t, err, `"L-1"`)
			assert.ErrorContains(t, err, string(r))
			_, err = p.Plan(&lead.Lead{ID: "L-1", LostReason: r}, "", recycle.Prior{}, t0)
			require.ErrorIs(t, err, recycle.ErrFinal, "from the lead's lost reason")
			_, err = p.Horizon(r)
			require.ErrorIs(t, err, recycle.ErrFinal)
		})
	}
}

func TestPlanBadInput(t *testing.T) {
	p := mustPlanner(t, recycle.Horizons{})
	tests := []struct {
		name   string
		lead   *lead.Lead
		reason lead.Reason
		prior  recycle.Prior
		now    time.Time
		field  string
	}{
		{"no lead", nil, lead.ReasonNotNow, recycle.Prior{}, t0, "lead: nil"},
		{"empty ID", &lead.Lead{ID: " "}, lead.ReasonNotNow, recycle.Prior{}, t0, "lead.id: empty"},
		{"ID too long", &lead.Lead{ID: strings.Repeat("x", recycle.MaxIDLen+1)}, lead.ReasonNotNow, recycle.Prior{}, t0, "lead.id"},
		{"no reason", &lead.Lead{ID: "L"}, "", recycle.Prior{}, t0, "reason: empty, and the lead has no lost_reason"},
		{"reason too long", &lead.Lead{ID: "L"}, lead.Reason(strings.Repeat("r", 65)), recycle.Prior{}, t0, "reason"},
		{"zero now", &lead.Lead{ID: "L"}, lead.ReasonNotNow, recycle.Prior{}, time.Time{}, "now: missing"},
		{"now far away", &lead.Lead{ID: "L"}, lead.ReasonNotNow, recycle.Prior{}, time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), "now"},
		{"negative recycles", &lead.Lead{ID: "L"}, lead.ReasonNotNow, recycle.Prior{Recycles: -1}, t0, "prior.recycles"},
		{"attempt too large", &lead.Lead{ID: "L"}, lead.ReasonUnresponsive, recycle.Prior{Attempt: math.MaxInt}, t0, "prior.attempt"},
		{"unknown time zone", &lead.Lead{ID: "L", Contact: lead.Contact{TimeZone: "Mars/Olympus_Mons"}}, lead.ReasonNotNow, recycle.Prior{}, t0,
			`lead.contact.time_zone: unknown time zone "Mars/Olympus_Mons"`},
		{"the machine's zone", &lead.Lead{ID: "L", Contact: lead.Contact{TimeZone: "Local"}}, lead.ReasonNotNow, recycle.Prior{}, t0,
			"lead.contact.time_zone"},
		{"due beyond 2199", &lead.Lead{ID: "L"}, lead.ReasonPreferredSupplier, recycle.Prior{}, time.Date(2199, 6, 1, 0, 0, 0, 0, time.UTC), "lies beyond 2199"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p.Plan(tc.lead, tc.reason, tc.prior, tc.now)
			require.ErrorIs(t, err, recycle.ErrInvalid)
			assert.ErrorContains(t, err, tc.field)
			var fe *lead.FieldError
			require.ErrorAs(t, err, &fe, "a *lead.FieldError")
			assert.NotEmpty(t, fe.Path)
			assert.Contains(t, err.Error(), fe.Path+": ")
		})
	}
}

func TestPlanJitter(t *testing.T) {
	p := mustPlanner(t, recycle.Horizons{}) // jitter 48h by default
	seen := map[time.Time]bool{}
	for i := range 500 {
		l := &lead.Lead{ID: fmt.Sprintf("L-%d", i)}
		for _, r := range []lead.Reason{lead.ReasonNoDecisionMaker, lead.ReasonNotNow} {
			got, err := p.Plan(l, r, recycle.Prior{}, t0)
			require.NoError(t, err)
			again, err := p.Plan(l, r, recycle.Prior{}, t0)
			require.NoError(t, err)
			require.Equal(t, got, again, "the same input gives the same plan")
			base := t0.Add(got.Wait)
			spread := min(48*time.Hour, got.Wait/10)
			require.False(t, got.Due.Before(base), "jitter only delays")
			require.True(t, got.Due.Before(base.Add(spread)), "jitter below %s: %s", spread, got.Due.Sub(base))
			require.Zero(t, got.Due.Nanosecond(), "whole seconds")
			if r == lead.ReasonNotNow {
				seen[got.Due] = true
			}
		}
	}
	assert.Greater(t, len(seen), 490, "500 leads recycled together are spread out")

	// A short wait gets a small jitter: a tenth of it.
	short := mustPlanner(t, recycle.Horizons{Reasons: map[lead.Reason]recycle.Horizon{"call_back_soon": {After: time.Hour, Task: "Call"}}})
	for i := range 100 {
		got, err := short.Plan(&lead.Lead{ID: fmt.Sprintf("L-%d", i)}, "call_back_soon", recycle.Prior{}, t0)
		require.NoError(t, err)
		require.Less(t, got.Due.Sub(t0), time.Hour+6*time.Minute)
	}
	// Monotonic clock readings and sub-second instants do not change plans.
	now := time.Now()
	a, err := p.Plan(&lead.Lead{ID: "L"}, lead.ReasonNoBudget, recycle.Prior{}, now)
	require.NoError(t, err)
	b, err := p.Plan(&lead.Lead{ID: "L"}, lead.ReasonNoBudget, recycle.Prior{}, now.Round(0))
	require.NoError(t, err)
	assert.Equal(t, a, b)
	assert.False(t, a.Due.Before(now))
}

func TestPlanDueInTheLeadsZone(t *testing.T) {
	p := mustPlanner(t, recycle.Horizons{Jitter: -1})
	got, err := p.Plan(&lead.Lead{ID: "L", Contact: lead.Contact{TimeZone: "Asia/Kolkata"}}, lead.ReasonNoDecisionMaker, recycle.Prior{}, t0)
	require.NoError(t, err)
	assert.Equal(t, "Asia/Kolkata", got.Due.Location().String())
	assert.True(t, got.Due.Equal(t0.Add(days(14))))
}

func TestWorkingHours(t *testing.T) {
	london, newYork := mustLoad(t, "Europe/London"), mustLoad(t, "America/New_York")
	// A one-minute working window puts every moved due time on the minute
	// the window opens, so the tests can name it exactly.
	opening := func(start time.Duration, days ...time.Weekday) *recycle.WorkingHours {
		return &recycle.WorkingHours{Start: start, End: start + time.Minute, Days: days}
	}
	oneDay := map[lead.Reason]recycle.Horizon{"tomorrow": {After: recycle.Day, Task: "Call"}}
	tests := []struct {
		name  string
		hours *recycle.WorkingHours
		zone  string
		now   time.Time
		want  time.Time
	}{
		{
			name: "Saturday moves to Monday, winter time", hours: opening(9 * time.Hour), zone: "Europe/London",
			now:  time.Date(2026, 3, 20, 10, 0, 0, 0, time.UTC), // Friday; due Saturday
			want: time.Date(2026, 3, 23, 9, 0, 0, 0, london),    // 09:00 GMT = 09:00 UTC
		},
		{
			name: "across the spring change, 09:00 is 08:00 UTC", hours: opening(9 * time.Hour), zone: "Europe/London",
			now:  time.Date(2026, 3, 27, 10, 0, 0, 0, time.UTC), // Friday; clocks go forward on Sunday the 29th
			want: time.Date(2026, 3, 30, 8, 0, 0, 0, time.UTC),
		},
		{
			name: "across the autumn change in New York, 09:00 is 14:00 UTC", hours: opening(9 * time.Hour), zone: "America/New_York",
			now:  time.Date(2026, 10, 30, 15, 0, 0, 0, time.UTC), // Friday 11:00 EDT; clocks go back on Sunday 1 November
			want: time.Date(2026, 11, 2, 14, 0, 0, 0, time.UTC),
		},
		{
			name:  "a working window in the hour skipped in spring opens when the clocks allow",
			hours: opening(90*time.Minute, time.Sunday), zone: "Europe/London",
			now:  time.Date(2026, 3, 28, 0, 0, 0, 0, time.UTC), // due Sunday 29th 00:00 GMT; 01:30 does not exist that day
			want: time.Date(2026, 3, 29, 2, 30, 0, 0, london),  // 02:30 BST
		},
		{
			name: "the repeated hour in autumn: the first 01:30", hours: opening(90*time.Minute, time.Sunday), zone: "America/New_York",
			now:  time.Date(2026, 10, 31, 4, 0, 0, 0, time.UTC), // due Sunday 00:00 EDT
			want: time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC), // 01:30 EDT
		},
		{
			name: "before opening on a working day: the same day", hours: opening(9 * time.Hour), zone: "America/New_York",
			now:  time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC), // Sunday 05:00 EST; due Monday 05:00
			want: time.Date(2026, 11, 23, 9, 0, 0, 0, newYork),
		},
		{
			name: "after closing: the next working day", hours: opening(9 * time.Hour), zone: "Europe/London",
			now:  time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC), // Monday 18:00; due Tuesday 18:00
			want: time.Date(2026, 11, 25, 9, 0, 0, 0, london),
		},
		{
			name:  "holidays are skipped",
			hours: &recycle.WorkingHours{Start: 9 * time.Hour, End: 9*time.Hour + time.Minute, Holidays: []string{"2026-12-25", "2026-12-28"}},
			zone:  "Europe/London",
			now:   time.Date(2026, 12, 24, 10, 0, 0, 0, time.UTC), // Thursday; due Christmas Day
			want:  time.Date(2026, 12, 29, 9, 0, 0, 0, london),
		},
		{
			name:  "a lead without a zone uses the configured one",
			hours: &recycle.WorkingHours{Start: 9 * time.Hour, End: 9*time.Hour + time.Minute, Zone: "America/New_York"},
			now:   time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC), // Friday; due Saturday
			want:  time.Date(2026, 11, 23, 9, 0, 0, 0, newYork),
		},
		{
			name:  "one working day a week, holidays on the next two",
			hours: &recycle.WorkingHours{Start: 9 * time.Hour, End: 9*time.Hour + time.Minute, Days: []time.Weekday{time.Monday}, Holidays: []string{"2026-11-30", "2026-12-07"}},
			zone:  "Europe/London",
			now:   time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC), // Friday
			want:  time.Date(2026, 12, 14, 9, 0, 0, 0, london),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPlanner(t, recycle.Horizons{Reasons: oneDay, Jitter: -1, Hours: tc.hours})
			got, err := p.Plan(&lead.Lead{ID: "L-1", Contact: lead.Contact{TimeZone: tc.zone}}, "tomorrow", recycle.Prior{}, tc.now)
			require.NoError(t, err)
			assert.True(t, tc.want.Equal(got.Due), "want %s (%s), got %s (%s)", tc.want, tc.want.UTC(), got.Due, got.Due.UTC())
		})
	}
}

func TestWorkingHoursKeepAndSpread(t *testing.T) {
	london := mustLoad(t, "Europe/London")
	p := mustPlanner(t, recycle.Horizons{Hours: &recycle.WorkingHours{}}) // 09:00 to 17:00, Monday to Friday, jitter on
	spread := map[int]bool{}
	for i := range 300 {
		l := &lead.Lead{ID: fmt.Sprintf("L-%d", i), Contact: lead.Contact{TimeZone: "Europe/London"}}
		for _, now := range []time.Time{t0, time.Date(2026, 3, 26, 23, 0, 0, 0, time.UTC), time.Date(2026, 7, 3, 16, 59, 0, 0, time.UTC)} {
			got, err := p.Plan(l, lead.ReasonNoDecisionMaker, recycle.Prior{}, now)
			require.NoError(t, err)
			local := got.Due.In(london)
			clock := local.Hour()*60 + local.Minute()
			require.GreaterOrEqual(t, clock, 9*60, "%s", local)
			require.Less(t, clock, 17*60, "%s", local)
			require.NotContains(t, []time.Weekday{time.Saturday, time.Sunday}, local.Weekday(), "%s", local)
			require.False(t, got.Due.Before(now.Add(got.Wait)), "never before the horizon")
			spread[clock] = true
		}
	}
	assert.Greater(t, len(spread), 100, "due times spread over the working day")

	// A due time within working hours is kept as it is.
	plain := mustPlanner(t, recycle.Horizons{})
	for i := range 50 {
		l := &lead.Lead{ID: fmt.Sprintf("L-%d", i)}
		a, err := plain.Plan(l, lead.ReasonNoDecisionMaker, recycle.Prior{}, t0)
		require.NoError(t, err)
		b, err := mustPlanner(t, recycle.Horizons{Hours: &recycle.WorkingHours{Start: 0, End: 24 * time.Hour,
			Days: []time.Weekday{0, 1, 2, 3, 4, 5, 6}}}).Plan(l, lead.ReasonNoDecisionMaker, recycle.Prior{}, t0)
		require.NoError(t, err)
		require.True(t, a.Due.Equal(b.Due))
	}
}

func TestHorizonOverrides(t *testing.T) {
	p := mustPlanner(t, recycle.Horizons{
		Jitter: -1,
		Reasons: map[lead.Reason]recycle.Horizon{
			lead.ReasonNotNow:            {After: days(60), Ahead: days(14)},
			lead.ReasonPreferredSupplier: {Anchor: recycle.AnchorOff},
			lead.ReasonUnresponsive:      {Attempts: 1},
			"evaluating_in_house":        {After: days(120)},
			"trade_show_next_year":       {After: days(300), Task: "Meet them at the show", Anchor: recycle.AnchorExpectedPurchase},
		},
		Fallback: recycle.Horizon{Task: "Ring them"},
	})
	plan := func(l lead.Lead, r lead.Reason) recycle.Plan {
		t.Helper()
		l.ID = "L-1"
		got, err := p.Plan(&l, r, recycle.Prior{}, t0)
		require.NoError(t, err)
		return got
	}
	notNow := plan(lead.Lead{}, lead.ReasonNotNow)
	assert.Equal(t, t0.Add(days(60)), notNow.Due, "a new After")
	assert.Contains(t, notNow.Task, "time has come", "the default task is kept")
	assert.Equal(t, t0.Add(days(16)), plan(lead.Lead{ExpectedPurchase: t0.Add(days(30))}, lead.ReasonNotNow).Due, "14 days ahead of the date")
	assert.Equal(t, t0.Add(days(10)), plan(lead.Lead{ExpectedPurchase: t0.Add(days(10))}, lead.ReasonNotNow).Due, "too close to be early: on the date")
	assert.Equal(t, t0.Add(days(365)), plan(lead.Lead{Renewal: t0.Add(days(30))}, lead.ReasonPreferredSupplier).Due, "anchor removed")
	un := plan(lead.Lead{}, lead.ReasonUnresponsive)
	assert.Equal(t, recycle.BasisHorizon, un.Basis, "no quick retries")
	assert.Equal(t, t0.Add(days(60)), un.Due)
	in := plan(lead.Lead{}, "evaluating_in_house")
	assert.Equal(t, t0.Add(days(120)), in.Due)
	assert.Equal(t, "Ring them", in.Task, "the fallback fills a host reason's task")
	show := plan(lead.Lead{ExpectedPurchase: t0.Add(days(100))}, "trade_show_next_year")
	assert.Equal(t, t0.Add(days(100)), show.Due)
	assert.Equal(t, "Meet them at the show", show.Task)
	fb := plan(lead.Lead{}, "anything_else")
	assert.Equal(t, t0.Add(days(90)), fb.Due)
	assert.Equal(t, "Ring them", fb.Task)

	h, err := p.Horizon(lead.ReasonNotNow)
	require.NoError(t, err)
	assert.Equal(t, recycle.AnchorExpectedPurchase, h.Anchor)
	_, err = p.Horizon("")
	require.ErrorIs(t, err, recycle.ErrInvalid)
	cfg := p.Horizons()
	assert.Len(t, cfg.Reasons, 9, "seven defaults and two host reasons")
	cfg.Reasons[lead.ReasonNotNow] = recycle.Horizon{}
	h, _ = p.Horizon(lead.ReasonNotNow)
	assert.Equal(t, days(60), h.After, "Horizons returns a copy")
}

func TestHorizonsInvalid(t *testing.T) {
	tests := []struct {
		name  string
		h     recycle.Horizons
		field string
	}{
		{"final reason", recycle.Horizons{Reasons: map[lead.Reason]recycle.Horizon{lead.ReasonDoNotContact: {After: days(1)}}}, "Horizons.Reasons[do_not_contact]: do_not_contact is final"},
		{"empty reason", recycle.Horizons{Reasons: map[lead.Reason]recycle.Horizon{"": {After: days(1)}}}, "Horizons.Reasons[]: empty"},
		{"negative After", recycle.Horizons{Reasons: map[lead.Reason]recycle.Horizon{lead.ReasonNotNow: {After: -time.Hour}}}, "Horizons.Reasons[not_now].After"},
		{"After beyond the ceiling", recycle.Horizons{Longest: days(100), Reasons: map[lead.Reason]recycle.Horizon{lead.ReasonNoBudget: {After: days(180)}}},
			"Horizons.Reasons[no_budget].Longest: 2400h0m0s is less than After (4320h0m0s)"},
		{"After beyond the reason's default Longest", recycle.Horizons{Reasons: map[lead.Reason]recycle.Horizon{lead.ReasonNoDecisionMaker: {After: days(120)}}},
			"Horizons.Reasons[no_decision_maker].Longest: 2160h0m0s is less than After (2880h0m0s), the first wait"},
		{"Longest below After", recycle.Horizons{Reasons: map[lead.Reason]recycle.Horizon{lead.ReasonNotNow: {After: days(60), Longest: days(30)}}},
			"Horizons.Reasons[not_now].Longest: 720h0m0s is less than After (1440h0m0s)"},
		{"negative Longest", recycle.Horizons{Reasons: map[lead.Reason]recycle.Horizon{lead.ReasonStonewalled: {Longest: -days(1)}}},
			"Horizons.Reasons[stonewalled].Longest: negative"},
		{"Longest below 1s", recycle.Horizons{Reasons: map[lead.Reason]recycle.Horizon{lead.ReasonOffshored: {After: time.Second, Longest: time.Millisecond}}},
			"Horizons.Reasons[offshored].Longest: 1ms is less than 1s"},
		{"Longest beyond the ceiling", recycle.Horizons{Reasons: map[lead.Reason]recycle.Horizon{lead.ReasonPreferredSupplier: {Longest: days(800)}}},
			"Horizons.Reasons[preferred_supplier].Longest: 19200h0m0s is more than Horizons.Longest (17520h0m0s)"},
		{"a host reason's After beyond the fallback's Longest", recycle.Horizons{Reasons: map[lead.Reason]recycle.Horizon{"trade_show": {After: days(400)}}},
			"Horizons.Reasons[trade_show].Longest: 8760h0m0s is less than After (9600h0m0s)"},
		{"fallback Longest below its After", recycle.Horizons{Fallback: recycle.Horizon{After: days(30), Longest: days(20)}},
			"Horizons.Fallback.Longest: 480h0m0s is less than After"},
		{"negative fallback Longest", recycle.Horizons{Fallback: recycle.Horizon{Longest: -1}},
			"Horizons.Fallback.Longest: negative"},
		{"task too long", recycle.Horizons{Reasons: map[lead.Reason]recycle.Horizon{"x": {Task: strings.Repeat("t", 1025)}}}, "Horizons.Reasons[x].Task"},
		{"task not UTF-8", recycle.Horizons{Fallback: recycle.Horizon{Task: "\xff"}}, "Horizons.Fallback.Task: not valid UTF-8"},
		{"unknown anchor", recycle.Horizons{Reasons: map[lead.Reason]recycle.Horizon{"x": {Anchor: "birthday"}}}, `Horizons.Reasons[x].Anchor: unknown anchor "birthday"`},
		{"negative Ahead", recycle.Horizons{Reasons: map[lead.Reason]recycle.Horizon{lead.ReasonNotNow: {Ahead: -1}}}, "Horizons.Reasons[not_now].Ahead"},
		{"too many attempts", recycle.Horizons{Reasons: map[lead.Reason]recycle.Horizon{lead.ReasonUnresponsive: {Attempts: 101}}}, "Horizons.Reasons[unresponsive].Attempts"},
		{"attempts without retry", recycle.Horizons{Reasons: map[lead.Reason]recycle.Horizon{"x": {Attempts: 2}}}, "Horizons.Reasons[x].Retry"},
		{"retry longer than After", recycle.Horizons{Reasons: map[lead.Reason]recycle.Horizon{lead.ReasonUnresponsive: {Retry: days(61)}}}, "Horizons.Reasons[unresponsive].Retry"},
		{"backoff below 1", recycle.Horizons{Backoff: 0.5}, "Horizons.Backoff"},
		{"backoff NaN", recycle.Horizons{Backoff: math.NaN()}, "Horizons.Backoff"},
		{"cap too large", recycle.Horizons{Cap: 70000}, "Horizons.Cap"},
		{"negative cap", recycle.Horizons{Cap: -1}, "Horizons.Cap"},
		{"Longest too long", recycle.Horizons{Longest: days(21 * 365)}, "Horizons.Longest"},
		{"jitter too large", recycle.Horizons{Jitter: days(31)}, "Horizons.Jitter"},
		{"working day backwards", recycle.Horizons{Hours: &recycle.WorkingHours{Start: 17 * time.Hour, End: 9 * time.Hour}}, "Horizons.Hours.Start"},
		{"working day past midnight", recycle.Horizons{Hours: &recycle.WorkingHours{Start: 9 * time.Hour, End: 25 * time.Hour}}, "Horizons.Hours.Start"},
		{"no working days", recycle.Horizons{Hours: &recycle.WorkingHours{Days: []time.Weekday{}}}, "Horizons.Hours.Days: no working day"},
		{"a day twice", recycle.Horizons{Hours: &recycle.WorkingHours{Days: []time.Weekday{time.Monday, time.Monday}}}, "Horizons.Hours.Days[1]: Monday listed twice"},
		{"not a weekday", recycle.Horizons{Hours: &recycle.WorkingHours{Days: []time.Weekday{9}}}, "Horizons.Hours.Days[0]: 9 is not a weekday"},
		{"bad holiday", recycle.Horizons{Hours: &recycle.WorkingHours{Holidays: []string{"25/12/2026"}}}, `Horizons.Hours.Holidays[0]: "25/12/2026" is not a date`},
		{"unknown zone", recycle.Horizons{Hours: &recycle.WorkingHours{Zone: "Atlantis/Capital"}}, `Horizons.Hours.Zone: unknown time zone "Atlantis/Capital"`},
		{"the machine's zone", recycle.Horizons{Hours: &recycle.WorkingHours{Zone: "Local"}}, "Horizons.Hours.Zone"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := recycle.NewPlanner(tc.h)
			require.ErrorIs(t, err, recycle.ErrInvalid)
			assert.ErrorContains(t, err, tc.field)
			var fe *lead.FieldError
			require.ErrorAs(t, err, &fe)
			assert.True(t, strings.HasPrefix(fe.Path, "Horizons."), fe.Path)
			assert.Contains(t, err.Error(), fe.Path+": ")
		})
	}
	// Every problem is reported at once.
	_, err := recycle.NewPlanner(recycle.Horizons{Backoff: 0.5, Cap: -1, Jitter: days(40)})
	require.Error(t, err)
	for _, f := range []string{"Horizons.Backoff", "Horizons.Cap", "Horizons.Jitter"} {
		assert.ErrorContains(t, err, f)
	}
}

func TestLongestShortensDefaults(t *testing.T) {
	p := mustPlanner(t, recycle.Horizons{Longest: days(30), Jitter: -1,
		Reasons: map[lead.Reason]recycle.Horizon{lead.ReasonUnresponsive: {After: days(1)}}})
	cfg := p.Horizons()
	assert.Equal(t, days(30), cfg.Reasons[lead.ReasonOffshored].After, "a default longer than Longest is shortened")
	assert.Equal(t, days(30), cfg.Reasons[lead.ReasonOffshored].Longest, "and so is its maximum")
	assert.Equal(t, days(14), cfg.Reasons[lead.ReasonNoDecisionMaker].After, "a shorter one is kept")
	assert.Equal(t, days(30), cfg.Reasons[lead.ReasonNoDecisionMaker].Longest)
	assert.Equal(t, days(30), cfg.Fallback.After)
	assert.Equal(t, days(30), cfg.Fallback.Longest)
	assert.Equal(t, days(1), cfg.Reasons[lead.ReasonUnresponsive].Retry, "the default retry fits within the host's After")
	got, err := p.Plan(&lead.Lead{ID: "L", Renewal: t0.Add(days(300))}, lead.ReasonPreferredSupplier, recycle.Prior{}, t0)
	require.NoError(t, err)
	assert.Equal(t, t0.Add(days(30)), got.Due)
	assert.Equal(t, recycle.BasisLongest, got.Basis)
}

// A host that lowers a reason's maximum need not restate its waits: the
// default After (and Retry) shrink to fit; what the host wrote is judged.
func TestReasonLongestShortensDefaults(t *testing.T) {
	p := mustPlanner(t, recycle.Horizons{Jitter: -1, Reasons: map[lead.Reason]recycle.Horizon{
		lead.ReasonPreferredSupplier: {Longest: days(180)},
		lead.ReasonUnresponsive:      {Longest: days(1)},
		lead.ReasonNoDecisionMaker:   {Longest: days(365)},
		"trade_show":                 {Longest: days(30)},
	}})
	cfg := p.Horizons()
	assert.Equal(t, recycle.Horizon{After: days(180), Longest: days(180), Anchor: recycle.AnchorRenewal,
		Task: recycle.DefaultHorizons()[lead.ReasonPreferredSupplier].Task}, cfg.Reasons[lead.ReasonPreferredSupplier])
	un := cfg.Reasons[lead.ReasonUnresponsive]
	assert.Equal(t, days(1), un.After)
	assert.Equal(t, days(1), un.Retry)
	assert.Equal(t, days(14), cfg.Reasons[lead.ReasonNoDecisionMaker].After, "a higher maximum keeps the first wait")
	assert.Equal(t, days(30), cfg.Reasons["trade_show"].After, "the fallback's After, shortened to the host's maximum")

	got, err := p.Plan(&lead.Lead{ID: "L"}, lead.ReasonNoDecisionMaker, recycle.Prior{Recycles: 4}, t0)
	require.NoError(t, err)
	assert.Equal(t, days(224), got.Wait, "a host may let the wait grow further")
	got, err = p.Plan(&lead.Lead{ID: "L"}, lead.ReasonNoDecisionMaker, recycle.Prior{Recycles: 5}, t0)
	require.NoError(t, err)
	assert.Equal(t, days(365), got.Wait)
	assert.Equal(t, recycle.BasisCap, got.Basis)
}

func TestDefaultHorizons(t *testing.T) {
	d := recycle.DefaultHorizons()
	for _, r := range []lead.Reason{lead.ReasonNotNow, lead.ReasonNoBudget, lead.ReasonNoDecisionMaker, lead.ReasonUnresponsive,
		lead.ReasonStonewalled, lead.ReasonPreferredSupplier, lead.ReasonOffshored} {
		h, ok := d[r]
		require.True(t, ok, "%s has a default", r)
		assert.Positive(t, h.After)
		assert.GreaterOrEqual(t, h.Longest, h.After, "%s: an explicit maximum, at least the first wait", r)
		assert.LessOrEqual(t, h.Longest, days(365), "%s: every reason is called again within a year", r)
		assert.NotEmpty(t, h.Task)
	}
	assert.Len(t, d, 7)
	assert.NotContains(t, d, lead.ReasonNotAFit)
	assert.NotContains(t, d, lead.ReasonDoNotContact)
	assert.LessOrEqual(t, d[lead.ReasonNoDecisionMaker].Longest, days(92), "no decision maker stays within about a quarter")
	for r, h := range d {
		if r.OutOfScope() {
			assert.GreaterOrEqual(t, h.After, days(365), "out of scope is a long horizon")
			assert.Equal(t, recycle.AnchorRenewal, h.Anchor, "or the renewal date")
		}
	}
	d[lead.ReasonNotNow] = recycle.Horizon{}
	assert.NotZero(t, recycle.DefaultHorizons()[lead.ReasonNotNow].After, "a new map on every call")
}

func TestBasisText(t *testing.T) {
	for b := recycle.BasisHorizon; b <= recycle.BasisRetry; b++ {
		text, err := b.MarshalText()
		require.NoError(t, err)
		var back recycle.Basis
		require.NoError(t, back.UnmarshalText(text))
		assert.Equal(t, b, back)
		assert.Equal(t, string(text), b.String())
	}
	var b recycle.Basis
	assert.Error(t, b.UnmarshalText([]byte("whim")))
	_, err := recycle.Basis(99).MarshalText()
	assert.Error(t, err)
}
