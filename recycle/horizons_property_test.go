package recycle_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/recycle"
	"github.com/stretchr/testify/require"
)

// TestPlanNeverGivesUp is the catalogue's promise as a property: for every
// reason (the doctrine's, a host's own, and one that falls back), every
// recycle count from 0 to 50, any attempt and any dates of the lead, the
// wait is positive and within the reason's Longest, unless the lead's own
// date set it: then it is that date (less Ahead), or Horizons.Longest when
// the date lies further still. It holds for the defaults and for random
// valid configurations.
func TestPlanNeverGivesUp(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 6))
	configs := map[string]recycle.Horizons{
		"defaults":             {},
		"flat, capped at once": {Backoff: 1, Cap: 1},
		"steep, never capped":  {Backoff: 10, Cap: recycle.MaxCount, Jitter: -1},
		"host maxima": {Longest: days(400), Reasons: map[lead.Reason]recycle.Horizon{
			lead.ReasonNoDecisionMaker:   {Longest: days(30)},
			lead.ReasonPreferredSupplier: {After: days(90), Longest: days(200), Ahead: days(30)},
			"trade_show":                 {After: days(20), Longest: days(60), Anchor: recycle.AnchorExpectedPurchase, Task: "Meet them there"},
		}},
		"working hours": {Hours: &recycle.WorkingHours{Zone: "Europe/London"}},
	}
	for i := range 20 {
		configs["random "+string(rune('a'+i))] = randomHorizons(r)
	}
	for name, h := range configs {
		t.Run(name, func(t *testing.T) {
			p := mustPlanner(t, h)
			cfg := p.Horizons()
			reasons := []lead.Reason{"falls_back"}
			for reason := range cfg.Reasons {
				reasons = append(reasons, reason)
			}
			for _, reason := range reasons {
				hz, err := p.Horizon(reason)
				require.NoError(t, err)
				for recycles := 0; recycles <= 50; recycles++ {
					for range 8 {
						now := t0.Add(time.Duration(r.Int64N(int64(5 * 365 * recycle.Day))))
						l := &lead.Lead{ID: "P-" + string(rune('a'+r.IntN(26))),
							ExpectedPurchase: randomDate(r, now, hz.Longest, cfg.Longest),
							Renewal:          randomDate(r, now, hz.Longest, cfg.Longest)}
						prior := recycle.Prior{Recycles: recycles, Attempt: r.IntN(hz.Attempts + 2)}
						got, err := p.Plan(l, reason, prior, now)
						require.NoError(t, err)
						checkWait(t, cfg, hz, l, reason, prior, now, got)
					}
				}
			}
		})
	}
}

func checkWait(t *testing.T, cfg recycle.Horizons, hz recycle.Horizon, l *lead.Lead, reason lead.Reason, prior recycle.Prior, now time.Time, got recycle.Plan) {
	t.Helper()
	fail := func(what string) {
		t.Helper()
		t.Fatalf("%s, recycles %d, attempt %d, now %s, expected purchase %s, renewal %s: %s (wait %s, basis %s, horizon %+v)",
			reason, prior.Recycles, prior.Attempt, now, l.ExpectedPurchase, l.Renewal, what, got.Wait, got.Basis, hz)
	}
	var date time.Time
	switch hz.Anchor {
	case recycle.AnchorExpectedPurchase:
		date = l.ExpectedPurchase
	case recycle.AnchorRenewal:
		date = l.Renewal
	}
	switch {
	case got.Wait <= 0:
		fail("the wait is not positive")
	case got.Wait > cfg.Longest:
		fail("the wait is beyond Horizons.Longest")
	case got.Basis == recycle.BasisAnchor:
		if !date.After(now) || got.Wait > date.Sub(now) || got.Wait < date.Sub(now)-hz.Ahead {
			fail("an anchored wait that is not the lead's date less at most Ahead")
		}
	case got.Basis == recycle.BasisLongest:
		if !date.After(now) || got.Wait != cfg.Longest || date.Sub(now)-hz.Ahead <= cfg.Longest {
			fail("the ceiling, but the lead's date is not beyond it")
		}
	case got.Wait > hz.Longest:
		fail("the wait is beyond the reason's Longest")
	case got.Basis == recycle.BasisRetry && got.Wait > hz.After:
		fail("a quick retry longer than After")
	case got.Basis == recycle.BasisCap && got.Wait != hz.Longest:
		fail("at the cap, the wait is not the reason's Longest")
	}
	if cfg.Hours == nil {
		jitter := min(max(cfg.Jitter, 0), got.Wait/10) + time.Second
		if d := got.Due.Sub(now); d < got.Wait || d > got.Wait+jitter {
			fail("the due time strays from the wait by more than the jitter: " + d.String())
		}
	} else if got.Due.Before(now.Add(got.Wait)) {
		fail("working hours moved the due time earlier")
	}
}

// randomDate returns a date of the lead: none, passed, now, soon, within
// the reason's Longest, beyond it, or beyond the ceiling.
func randomDate(r *rand.Rand, now time.Time, longest, ceiling time.Duration) time.Time {
	in := func(lo, hi time.Duration) time.Time {
		return now.Add(lo + time.Duration(r.Int64N(int64(hi-lo)+1))).Truncate(time.Second)
	}
	switch r.IntN(7) {
	case 0:
		return time.Time{}
	case 1:
		return in(-3*365*recycle.Day, -time.Second)
	case 2:
		return now
	case 3:
		return in(time.Second, recycle.Day)
	case 4:
		return in(time.Second, longest)
	case 5:
		return in(longest, ceiling+recycle.Day)
	default:
		return in(ceiling, 3*ceiling)
	}
}

// randomHorizons returns a valid configuration with every field drawn at
// random, for the doctrine's reasons and two of a host's own.
func randomHorizons(r *rand.Rand) recycle.Horizons {
	dur := func(lo, hi time.Duration) time.Duration {
		return (lo + time.Duration(r.Int64N(int64(hi-lo)+1))).Round(time.Second)
	}
	ceiling := dur(recycle.Day, 20*365*recycle.Day)
	anchors := []recycle.Anchor{recycle.AnchorNone, recycle.AnchorOff, recycle.AnchorExpectedPurchase, recycle.AnchorRenewal}
	horizon := func() recycle.Horizon {
		longest := dur(time.Second, ceiling)
		after := dur(time.Second, longest)
		h := recycle.Horizon{After: after, Longest: longest, Task: "Call", Anchor: anchors[r.IntN(len(anchors))], Ahead: dur(0, ceiling)}
		if r.IntN(2) == 0 {
			h.Attempts, h.Retry = r.IntN(6), dur(time.Second, after)
		}
		return h
	}
	h := recycle.Horizons{
		Reasons:  map[lead.Reason]recycle.Horizon{},
		Fallback: horizon(),
		Backoff:  1 + 9*r.Float64(),
		Cap:      1 + r.IntN(60),
		Longest:  ceiling,
		Jitter:   dur(-recycle.Day, 30*recycle.Day),
	}
	for reason := range recycle.DefaultHorizons() {
		if r.IntN(4) > 0 {
			h.Reasons[reason] = horizon()
		}
	}
	h.Reasons["host_a"], h.Reasons["host_b"] = horizon(), recycle.Horizon{}
	return h
}
