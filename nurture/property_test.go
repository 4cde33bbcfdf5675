package nurture_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/nurture"
	"github.com/stretchr/testify/require"
)

// TestPlannerInvariants plans for thousands of random leads and checks
// what must always hold: no error for valid input, and a touch is never
// before now or its due time, never in quiet hours in the lead's zone,
// never over the cap, never on a channel without consent, never for a
// lead that showed need since its enrolment.
func TestPlannerInvariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	zones := []string{"", "UTC", "Europe/London", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "America/Havana"}
	kinds := append(lead.Kinds(), "host_kind")
	channels := []lead.Channel{lead.ChannelEmail, lead.ChannelPhone, lead.ChannelSMS, ""}
	quiets := []nurture.QuietHours{{}, {Off: true}, {From: 22 * time.Hour, Until: 7 * time.Hour, Days: []time.Weekday{time.Sunday}},
		{From: time.Hour, Until: 2*time.Hour + 30*time.Minute}, {Off: true, Days: []time.Weekday{time.Saturday, time.Sunday}}}
	caps := []struct {
		n int
		p time.Duration
	}{{0, 0}, {1, day}, {2, 3 * day}, {-1, 0}, {5, 7 * day}}
	tr, err := nurture.NewTrack(nurture.TrackSpec{Name: "mixed", Steps: []nurture.Step{
		{Asset: "a", Specificity: nurture.SpecificityProblem, Channel: lead.ChannelEmail},
		{Asset: "b", Specificity: nurture.SpecificityApproach, Channel: lead.ChannelPhone, Wait: 36 * time.Hour},
		{Asset: "c", Specificity: nurture.SpecificityProduct, Channel: lead.ChannelEmail, Wait: 2 * day},
	}})
	require.NoError(t, err)
	randTime := func() time.Time {
		if rng.IntN(20) == 0 {
			return time.Time{}
		}
		return t0.Add(time.Duration(rng.Int64N(int64(40*day))) - 30*day)
	}
	for i := range 3000 {
		q, c := quiets[i%len(quiets)], caps[(i/len(quiets))%len(caps)]
		cfg := nurture.Config{QuietHours: q, MaxTouches: c.n, CapPeriod: c.p}
		p := newPlanner(t, cfg)
		eff := p.Config()
		stage := lead.StageNurturing
		if rng.IntN(3) == 0 {
			stage = lead.Stages()[rng.IntN(len(lead.Stages()))]
		}
		l := &lead.Lead{ID: "R", Stage: stage, Contact: lead.Contact{TimeZone: zones[rng.IntN(len(zones))]}}
		for range rng.IntN(15) {
			k := lead.KindNurtureEmail // mostly touches, so that the cap is exercised
			if rng.IntN(8) == 0 {
				k = kinds[rng.IntN(len(kinds))]
			}
			at := randTime()
			if rng.IntN(2) == 0 {
				at = t0.Add(time.Duration(rng.Int64N(int64(6*day))) - 3*day) // close to now
			}
			l.Activities = append(l.Activities, lead.Activity{Kind: k, At: at, Channel: channels[rng.IntN(len(channels))]})
		}
		l.Consent = map[lead.Channel]lead.Consent{}
		for _, ch := range channels[:3] {
			if st := lead.ConsentState(rng.IntN(3)); st != lead.ConsentUnknown || rng.IntN(2) == 0 {
				if st == lead.ConsentUnknown {
					st = lead.ConsentOptedIn
				}
				l.Consent[ch] = lead.Consent{State: st, At: randTime()}
			}
		}
		pr := nurture.Progress{Next: rng.IntN(tr.Len() + 1), Enrolled: t0.Add(-time.Duration(rng.Int64N(int64(20 * day))))}
		if pr.Next > 0 && rng.IntN(4) > 0 {
			pr.Last = randTime()
		}
		now := t0.Add(time.Duration(rng.Int64N(int64(10*day))) - 5*day)

		plan, err := p.Next(nurture.Input{Lead: l, Track: tr, Progress: pr}, now)
		require.NoError(t, err, "case %d", i)
		require.NotEqual(t, nurture.OutcomeNone, plan.Outcome)
		needSince := false
		for _, a := range l.Activities {
			if a.Kind.Intent() == lead.IntentNeed && !a.At.Before(pr.Enrolled) {
				needSince = true
			}
		}
		if needSince && plan.Outcome != nurture.OutcomeDisqualified {
			require.Equal(t, nurture.OutcomeHandOff, plan.Outcome, "case %d: need since enrolment", i)
		}
		if !plan.Touch() {
			continue
		}
		require.False(t, needSince, "case %d", i)
		require.False(t, plan.At.Before(now), "case %d: before now", i)
		require.False(t, plan.At.Before(plan.Due), "case %d: before due", i)
		require.Equal(t, lead.ConsentOptedIn, l.Consent[plan.Channel].State, "case %d: consent", i)
		// Not in quiet hours, by the time package's own wall clock.
		lt := plan.At
		for _, d := range q.Days {
			require.NotEqual(t, d, lt.Weekday(), "case %d: quiet day %s", i, lt)
		}
		if !q.Off {
			from, until := cmpOr(q.From, nurture.DefaultQuietFrom, q.Until), cmpOr(q.Until, nurture.DefaultQuietUntil, q.From)
			h, m, s := lt.Clock()
			tod := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second + time.Duration(lt.Nanosecond())
			quiet := tod >= from && tod < until
			if from > until {
				quiet = tod >= from || tod < until
			}
			require.False(t, quiet, "case %d: in quiet hours at %s", i, lt)
		}
		// Within the cap.
		if eff.MaxTouches > 0 {
			n, recorded := 0, pr.Last.IsZero()
			for _, a := range l.Activities {
				if a.Kind.Touch() == lead.TouchMarketing && !a.At.IsZero() {
					recorded = recorded || a.At.Equal(pr.Last)
					if a.At.After(plan.At.Add(-eff.CapPeriod)) && !a.At.After(plan.At) {
						n++
					}
				}
			}
			if !recorded && pr.Last.After(plan.At.Add(-eff.CapPeriod)) && !pr.Last.After(plan.At) {
				n++
			}
			require.Less(t, n, eff.MaxTouches, "case %d: over the cap at %s", i, plan.At)
		}
	}
}

// cmpOr is the quiet-hours default: both zero means the default.
func cmpOr(v, def, other time.Duration) time.Duration {
	if v == 0 && other == 0 {
		return def
	}
	return v
}

// TestAuditTopKIsAPrefix: keeping the top 10 of each kind and currency
// gives exactly the first 10 of the full ranking.
func TestAuditTopKIsAPrefix(t *testing.T) {
	const n = 30_000
	small, err := newAuditor(t, nurture.AuditConfig{MaxFindings: 10}).Run(context.Background(), genLeads(n, nil), t0)
	require.NoError(t, err)
	full, err := newAuditor(t, nurture.AuditConfig{MaxFindings: 100_000}).Run(context.Background(), genLeads(n, nil), t0)
	require.NoError(t, err)
	type key struct {
		kind nurture.FindingKind
		cur  lead.Currency
	}
	group := func(r *nurture.Report) map[key][]string {
		out := map[key][]string{}
		for _, f := range r.Findings {
			k := key{f.Kind, f.Value.Currency}
			out[k] = append(out[k], fmt.Sprintf("%s %s %s", f.Lead, f.Value, f.Overdue))
		}
		return out
	}
	s, f := group(small), group(full)
	require.Equal(t, len(f), len(s))
	for k, all := range f {
		want := all[:min(10, len(all))]
		require.Equal(t, want, s[k], "%v", k)
	}
	for i := range full.Totals {
		require.Equal(t, full.Totals[i].Found, small.Totals[i].Found)
	}
	require.Equal(t, full.Coverage, small.Coverage)
}
