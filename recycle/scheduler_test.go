package recycle_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/recycle"
	"github.com/leadqual/leadqual/recycle/recycletest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var ctx = context.Background()

func newScheduler(t *testing.T, store recycle.Store, cfg recycle.Config) *recycle.Scheduler {
	t.Helper()
	if cfg.Currency == "" && cfg.Rank == nil {
		cfg.Currency = "GBP"
	}
	if cfg.Vocabulary == nil {
		cfg.Vocabulary = qualify.DefaultVocabulary()
	}
	s, err := recycle.NewScheduler(store, cfg)
	require.NoError(t, err)
	return s
}

func gbp(s string) lead.Money { return lead.MustParseMoney(s, "GBP") }

func TestNewSchedulerInvalid(t *testing.T) {
	store := recycle.NewMemStore()
	tests := []struct {
		name  string
		store recycle.Store
		cfg   recycle.Config
		err   string
	}{
		{"no store", nil, recycle.Config{Currency: "GBP"}, "store: nil"},
		{"no currency and no rank", store, recycle.Config{}, "Config.Currency: required unless Config.Rank is set"},
		{"unknown currency", store, recycle.Config{Currency: "GPB"}, `Config.Currency: "GPB" is not an ISO 4217 code`},
		{"lease too short", store, recycle.Config{Currency: "GBP", Lease: time.Millisecond}, "Config.Lease"},
		{"lease too long", store, recycle.Config{Currency: "GBP", Lease: 25 * time.Hour}, "Config.Lease"},
		{"negative max claim", store, recycle.Config{Currency: "GBP", MaxClaim: -1}, "Config.MaxClaim"},
		{"too many retries", store, recycle.Config{Currency: "GBP", Retries: 1000}, "Config.Retries"},
		{"bad horizons", store, recycle.Config{Currency: "GBP", Horizons: recycle.Horizons{Cap: -3}}, "Horizons.Cap"},
		{"bad catalogue", store, recycle.Config{Currency: "GBP", Catalogue: recycle.Catalogue{Industry: []string{""}}}, "industry[0]"},
		{"no vocabulary", store, recycle.Config{Currency: "GBP"}, "vocabulary: required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name != "no vocabulary" {
				tc.cfg.Vocabulary = qualify.DefaultVocabulary()
			}
			_, err := recycle.NewScheduler(tc.store, tc.cfg)
			require.ErrorIs(t, err, recycle.ErrInvalid)
			assert.ErrorContains(t, err, tc.err)
		})
	}
}

func TestRecycle(t *testing.T) {
	s := newScheduler(t, recycle.NewMemStore(), recycle.Config{Horizons: recycle.Horizons{Jitter: -1}})
	l := &lead.Lead{ID: "L-1", Value: gbp("25000.00")}

	e, err := s.Recycle(ctx, l, lead.ReasonNoDecisionMaker, t0)
	require.NoError(t, err)
	assert.Equal(t, t0.Add(days(14)), e.Due.UTC())
	assert.Equal(t, "Reach the sales, finance or managing director", e.Task)
	assert.Equal(t, lead.ReasonNoDecisionMaker, e.Reason)
	assert.Equal(t, int64(250000000), e.Rank, "25000.00 GBP in ten-thousandths")
	assert.Equal(t, 1, e.Recycles)
	assert.True(t, e.Since.Equal(t0))

	// Recycled again for the same reason: it backs off.
	now := t0.Add(days(14))
	e, err = s.Recycle(ctx, l, lead.ReasonNoDecisionMaker, now)
	require.NoError(t, err)
	assert.Equal(t, now.Add(days(28)), e.Due.UTC())
	assert.Equal(t, 2, e.Recycles)

	// The same call repeated (a retry after an error) counts nothing twice.
	again, err := s.Recycle(ctx, l, lead.ReasonNoDecisionMaker, now)
	require.NoError(t, err)
	assert.Equal(t, e, again)

	// A final reason is refused and leaves the schedule alone.
	_, err = s.Recycle(ctx, l, lead.ReasonDoNotContact, now)
	require.ErrorIs(t, err, recycle.ErrFinal)
	assert.ErrorContains(t, err, `lead "L-1"`)
	kept, err := s.Get(ctx, "L-1")
	require.NoError(t, err)
	assert.Equal(t, e, kept)

	// Cancelled, then recycled again: the counts start afresh.
	require.NoError(t, s.Cancel(ctx, "L-1"))
	require.ErrorIs(t, s.Cancel(ctx, "L-1"), recycle.ErrNotFound)
	_, err = s.Get(ctx, "L-1")
	require.ErrorIs(t, err, recycle.ErrNotFound)
	e, err = s.Recycle(ctx, l, lead.ReasonNoDecisionMaker, now)
	require.NoError(t, err)
	assert.Equal(t, 1, e.Recycles)
}

func TestRecycleUnresponsiveRounds(t *testing.T) {
	s := newScheduler(t, recycle.NewMemStore(), recycle.Config{Horizons: recycle.Horizons{Jitter: -1}})
	l := &lead.Lead{ID: "L-1"}
	now := t0
	var got []string
	for range 7 {
		e, err := s.Recycle(ctx, l, lead.ReasonUnresponsive, now)
		require.NoError(t, err)
		got = append(got, fmt.Sprintf("%d r%d a%d", e.Due.Sub(now)/recycle.Day, e.Recycles, e.Attempt))
		now = e.Due
	}
	assert.Equal(t, []string{
		"2 r0 a1",   // first unanswered attempt: retry in 2 days
		"4 r0 a2",   // second: in 4
		"60 r1 a0",  // third: sleep 60 days
		"2 r1 a1",   // a new round
		"4 r1 a2",   //
		"120 r2 a0", // sleeps longer: backoff
		"2 r2 a1",
	}, got)

	// Another reason in between starts the attempts again.
	_, err := s.Recycle(ctx, l, lead.ReasonNotNow, now)
	require.NoError(t, err)
	e, err := s.Recycle(ctx, l, lead.ReasonUnresponsive, now.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, 1, e.Attempt)
}

func TestRecycleRank(t *testing.T) {
	s := newScheduler(t, recycle.NewMemStore(), recycle.Config{})
	for _, tc := range []struct {
		value lead.Money
		rank  int64
		err   error
	}{
		{lead.Money{}, -1, nil},
		{gbp("0"), 0, nil},
		{gbp("0.00005"), 0, nil},
		{gbp("1.2345"), 12345, nil},
		{gbp("99999999999999999999"), 1<<63 - 1, nil},
		{lead.MustParseMoney("100", "USD"), 0, lead.ErrCurrencyMismatch},
		{gbp("-5"), 0, errors.New("negative")},
	} {
		t.Run(tc.value.String(), func(t *testing.T) {
			e, err := s.Recycle(ctx, &lead.Lead{ID: "L-" + tc.value.String(), Value: tc.value}, lead.ReasonNotNow, t0)
			if tc.err != nil {
				require.Error(t, err)
				if errors.Is(tc.err, lead.ErrCurrencyMismatch) {
					require.ErrorIs(t, err, lead.ErrCurrencyMismatch)
					assert.ErrorContains(t, err, "set Config.Rank to convert")
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.rank, e.Rank)
		})
	}

	// A host ranking function converts currencies at its own rates.
	rates := map[lead.Currency]float64{"GBP": 1, "USD": 0.8, "EUR": 0.85}
	s = newScheduler(t, recycle.NewMemStore(), recycle.Config{Rank: func(v lead.Money) (int64, error) {
		if !v.Known() {
			return 0, nil
		}
		r, ok := rates[v.Currency]
		if !ok {
			return 0, fmt.Errorf("no rate for %s", v.Currency)
		}
		return int64(v.Amount.InexactFloat64() * r), nil
	}})
	for id, v := range map[string]lead.Money{"usd": lead.MustParseMoney("1000", "USD"), "eur": lead.MustParseMoney("1000", "EUR"), "gbp": gbp("900")} {
		_, err := s.Recycle(ctx, &lead.Lead{ID: id, Value: v}, lead.ReasonNotNow, t0)
		require.NoError(t, err)
	}
	_, err := s.Recycle(ctx, &lead.Lead{ID: "jpy", Value: lead.MustParseMoney("1000", "JPY")}, lead.ReasonNotNow, t0)
	require.ErrorContains(t, err, `rank lead "jpy": no rate for JPY`)
	require.NoError(t, s.Cancel(ctx, "usd"))
	for _, id := range []string{"eur", "gbp"} { // due together: same now, jitter from the ID... so reschedule them together
		_, err := s.Reschedule(ctx, id, t0.Add(time.Hour))
		require.NoError(t, err)
	}
	cs, err := s.Claim(ctx, t0.Add(time.Hour), 10)
	require.NoError(t, err)
	assert.Equal(t, []string{"gbp", "eur"}, idsOf(cs), "900 GBP before 850 GBP's worth of euros")
}

func idsOf(es []recycle.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.LeadID
	}
	return out
}

func TestClaimOrderByValue(t *testing.T) {
	s := newScheduler(t, recycle.NewMemStore(), recycle.Config{})
	for id, v := range map[string]string{"small": "1000", "big": "50000.00", "mid": "25000", "unknown": "", "big-twin": "50000"} {
		l := &lead.Lead{ID: id}
		if v != "" {
			l.Value = gbp(v)
		}
		_, err := s.Recycle(ctx, l, lead.ReasonNotNow, t0)
		require.NoError(t, err)
		_, err = s.Reschedule(ctx, id, t0.Add(days(1)))
		require.NoError(t, err)
	}
	_, err := s.Recycle(ctx, &lead.Lead{ID: "earlier", Value: gbp("1")}, lead.ReasonNotNow, t0)
	require.NoError(t, err)
	_, err = s.Reschedule(ctx, "earlier", t0.Add(days(1)-time.Second))
	require.NoError(t, err)
	cs, err := s.Claim(ctx, t0.Add(days(2)), 10)
	require.NoError(t, err)
	assert.Equal(t, []string{"earlier", "big", "big-twin", "mid", "small", "unknown"}, idsOf(cs))
}

func TestWake(t *testing.T) {
	s := newScheduler(t, recycle.NewMemStore(), recycle.Config{})
	l := &lead.Lead{ID: "L-1"}
	_, err := s.Wake(ctx, "L-1", "new interest in RoutePlanner", t0)
	require.ErrorIs(t, err, recycle.ErrNotFound)

	e, err := s.Recycle(ctx, l, lead.ReasonPreferredSupplier, t0)
	require.NoError(t, err)
	now := t0.Add(days(30)).Add(500 * time.Millisecond)
	w, err := s.Wake(ctx, "L-1", "new interest in RoutePlanner", now)
	require.NoError(t, err)
	assert.True(t, w.Due.Equal(now.Truncate(time.Second)), "due now")
	assert.Equal(t, "new interest in RoutePlanner", w.Task)
	assert.Equal(t, e.Reason, w.Reason, "the reason it was recycled is kept")
	assert.Equal(t, e.Recycles, w.Recycles)

	again, err := s.Wake(ctx, "L-1", "new interest in RoutePlanner", now.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, w, again, "awake already: nothing written")

	// A claimed lead woken is handed out again with the new task.
	cs, err := s.Claim(ctx, now, 1)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	w2, err := s.Wake(ctx, "L-1", "new interest in FleetCare", now.Add(time.Minute))
	require.NoError(t, err)
	assert.True(t, w2.Due.Equal(w.Due), "an overdue lead keeps its place")
	require.ErrorIs(t, s.Ack(ctx, cs[0]), recycle.ErrLeaseLost)
	cs, err = s.Claim(ctx, now.Add(time.Minute), 1)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	assert.Equal(t, "new interest in FleetCare", cs[0].Task)

	_, err = s.Wake(ctx, "L-1", "", now)
	require.ErrorIs(t, err, recycle.ErrInvalid)
	assert.ErrorContains(t, err, "task: empty")
}

func TestObserve(t *testing.T) {
	s := newScheduler(t, recycle.NewMemStore(), recycle.Config{Catalogue: testCatalogue(t)})
	l := &lead.Lead{ID: "L-1"}
	e, err := s.Recycle(ctx, l, lead.ReasonNotNow, t0)
	require.NoError(t, err)
	now := t0.Add(days(3))

	// The same industry elsewhere: flagged, schedule kept.
	obs, err := s.Observe(ctx, "L-1", lead.Activity{Kind: lead.KindWhitePaper, At: now, Asset: "Telematics 101", Attrs: map[string]string{"vendor": "Truckly"}}, now)
	require.NoError(t, err)
	assert.Equal(t, recycle.ClassCompetitive, obs.Match.Class)
	assert.Equal(t, "Truckly", obs.Match.Competitor)
	assert.False(t, obs.Woken)
	kept, err := s.Get(ctx, "L-1")
	require.NoError(t, err)
	assert.Equal(t, e, kept, "schedule kept")

	// Unrelated: nothing.
	obs, err = s.Observe(ctx, "L-1", lead.Activity{Kind: lead.KindWhitePaper, At: now, Asset: "Bowling"}, now)
	require.NoError(t, err)
	assert.Equal(t, recycle.ClassUnrelated, obs.Match.Class)
	assert.False(t, obs.Woken)

	// Something we sell: woken now.
	obs, err = s.Observe(ctx, "L-1", lead.Activity{Kind: lead.KindWebinarAttended, At: now, Asset: "Route optimisation live"}, now)
	require.NoError(t, err)
	assert.True(t, obs.Woken)
	assert.Equal(t, "new interest in RoutePlanner", obs.Entry.Task)
	assert.True(t, obs.Entry.Due.Equal(now))

	// A lead not recycled: nothing to wake, no error.
	obs, err = s.Observe(ctx, "L-2", lead.Activity{Kind: lead.KindPricingRequest, At: now}, now)
	require.NoError(t, err)
	assert.Equal(t, recycle.ClassOurs, obs.Match.Class)
	assert.False(t, obs.Woken)
}

func TestReschedule(t *testing.T) {
	s := newScheduler(t, recycle.NewMemStore(), recycle.Config{})
	_, err := s.Reschedule(ctx, "L-1", t0)
	require.ErrorIs(t, err, recycle.ErrNotFound)
	e, err := s.Recycle(ctx, &lead.Lead{ID: "L-1"}, lead.ReasonNoBudget, t0)
	require.NoError(t, err)
	due := t0.Add(days(5)).Add(300 * time.Millisecond)
	r, err := s.Reschedule(ctx, "L-1", due)
	require.NoError(t, err)
	assert.True(t, r.Due.Equal(due.Truncate(time.Second).Add(time.Second)), "rounded up to the second")
	assert.Equal(t, e.Task, r.Task)
	assert.Equal(t, e.Recycles, r.Recycles)
	same, err := s.Reschedule(ctx, "L-1", due)
	require.NoError(t, err)
	assert.Equal(t, r.Version, same.Version, "nothing to write")
	_, err = s.Reschedule(ctx, "L-1", time.Time{})
	require.ErrorIs(t, err, recycle.ErrInvalid)
}

func TestClaimAckExtendRelease(t *testing.T) {
	clock := recycletest.NewClock(t0.Add(-24 * time.Hour)) // the store's clock, a day behind the callers'
	s := newScheduler(t, &recycle.MemStore{Clock: clock.Now}, recycle.Config{Lease: 5 * time.Minute, MaxClaim: 50})
	l := &lead.Lead{ID: "L-1"}
	_, err := s.Recycle(ctx, l, lead.ReasonNoDecisionMaker, t0)
	require.NoError(t, err)
	_, err = s.Reschedule(ctx, "L-1", t0.Add(time.Hour))
	require.NoError(t, err)

	now := t0.Add(time.Hour)
	cs, err := s.Claim(ctx, now, 10)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	c := cs[0]
	assert.True(t, c.LeaseUntil.Equal(clock.Now().Add(5*time.Minute)), "a lease on the store's clock")

	// A heartbeat keeps it.
	clock.Advance(4 * time.Minute)
	c2, err := s.Extend(ctx, c)
	require.NoError(t, err)
	assert.True(t, c2.LeaseUntil.Equal(clock.Now().Add(5*time.Minute)))
	clock.Advance(2 * time.Minute)
	cs, err = s.Claim(ctx, now.Add(6*time.Minute), 10)
	require.NoError(t, err)
	assert.Empty(t, cs, "extended")

	// Released: at once claimable, by another worker; not counted.
	require.NoError(t, s.Release(ctx, c2))
	cs, err = s.Claim(ctx, now, 10)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	assert.Equal(t, 1, cs[0].Claims, "a release does not count as an attempt")
	require.ErrorIs(t, s.Ack(ctx, c2), recycle.ErrLeaseLost, "the released claim is over")
	_, err = s.Extend(ctx, c2)
	require.ErrorIs(t, err, recycle.ErrLeaseLost)

	require.NoError(t, s.Ack(ctx, cs[0]))
	err = s.Ack(ctx, cs[0])
	require.ErrorIs(t, err, recycle.ErrLeaseLost, "acknowledged already: the claim is over")
	require.ErrorIs(t, err, recycle.ErrNotFound, "and the entry gone")
	assert.ErrorContains(t, err, `recycle: ack lead "L-1"`)

	// Bad input.
	_, err = s.Claim(ctx, now, 0)
	require.ErrorIs(t, err, recycle.ErrInvalid)
	_, err = s.Claim(ctx, now, 51)
	require.ErrorContains(t, err, "limit: 51 is outside 1 to 50 (Config.MaxClaim)")
	_, err = s.Claim(ctx, time.Time{}, 1)
	require.ErrorContains(t, err, "now: missing")
	err = s.Ack(ctx, recycle.Entry{LeadID: "L-1"})
	require.ErrorIs(t, err, recycle.ErrInvalid)
	assert.ErrorContains(t, err, "not a claim")
}

// TestLateAckAfterAnotherWorkersAck: a worker whose lease ran out acks
// after another worker claimed the lead again and acknowledged it: the
// late ack is told its lease was lost.
func TestLateAckAfterAnotherWorkersAck(t *testing.T) {
	clock := recycletest.NewClock(t0)
	s := newScheduler(t, &recycle.MemStore{Clock: clock.Now}, recycle.Config{})
	_, err := s.Recycle(ctx, &lead.Lead{ID: "L-1"}, lead.ReasonNoDecisionMaker, t0)
	require.NoError(t, err)
	now := t0.Add(days(30))
	first, err := s.Claim(ctx, now, 1)
	require.NoError(t, err)
	clock.Advance(time.Hour)
	second, err := s.Claim(ctx, now, 1)
	require.NoError(t, err)
	require.NoError(t, s.Ack(ctx, second[0]))
	err = s.Ack(ctx, first[0])
	require.ErrorIs(t, err, recycle.ErrLeaseLost)
	assert.Equal(t, first[0].IdempotencyKey(), second[0].IdempotencyKey(), "one schedule, one key: the host's side effect can tell")
}

// TestFail writes failures down, retries with a doubling delay, and parks
// the lead dead at its last attempt; Requeue brings it back.
func TestFail(t *testing.T) {
	clock := recycletest.NewClock(t0)
	s := newScheduler(t, &recycle.MemStore{Clock: clock.Now}, recycle.Config{MaxAttempts: 3, RetryDelay: time.Minute})
	l := &lead.Lead{ID: "L-1"}
	e, err := s.Recycle(ctx, l, lead.ReasonNoDecisionMaker, t0)
	require.NoError(t, err)
	now := e.Due.Add(500 * time.Millisecond)
	for i, wait := range []time.Duration{time.Minute, 2 * time.Minute} {
		cs, err := s.Claim(ctx, now, 1)
		require.NoError(t, err)
		require.Len(t, cs, 1, "attempt %d", i+1)
		f, err := s.Fail(ctx, cs[0], fmt.Errorf("crm: 503 (attempt %d)", i+1), now)
		require.NoError(t, err)
		assert.Equal(t, i+1, f.Failures)
		assert.Equal(t, fmt.Sprintf("crm: 503 (attempt %d)", i+1), f.LastError)
		assert.False(t, f.Dead)
		assert.Equal(t, now.Truncate(time.Second).Add(wait), f.Due, "retried after %s", wait)
		assert.Equal(t, e.IdempotencyKey(), f.IdempotencyKey(), "the same schedule, the same key")
		_, err = s.Fail(ctx, cs[0], errors.New("again"), now)
		require.ErrorIs(t, err, recycle.ErrLeaseLost, "the failure ended the claim")
		now = f.Due
	}
	cs, err := s.Claim(ctx, now, 1)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	f, err := s.Fail(ctx, cs[0], errors.New(strings.Repeat("é", recycle.MaxErrorLen)+"\x00"), now)
	require.NoError(t, err)
	assert.True(t, f.Dead, "the third failure of three attempts")
	assert.Equal(t, 3, f.Failures)
	assert.LessOrEqual(t, len(f.LastError), recycle.MaxErrorLen, "a long error is shortened")
	assert.True(t, strings.HasSuffix(f.LastError, "…"))
	cs, err = s.Claim(ctx, now.Add(days(400)), 10)
	require.NoError(t, err)
	assert.Empty(t, cs, "a dead lead is never claimed")

	dead, err := s.Dead(ctx, "", 10)
	require.NoError(t, err)
	assert.Equal(t, []string{"L-1"}, leadIDs(dead))
	st, err := s.Stats(ctx, now)
	require.NoError(t, err)
	assert.Equal(t, recycle.Stats{Dead: 1}, st)

	w, err := s.Wake(ctx, "L-1", "called us back", now)
	require.NoError(t, err)
	assert.True(t, w.Dead, "a wake leaves a dead lead dead")
	r, err := s.Requeue(ctx, "L-1", now)
	require.NoError(t, err)
	assert.False(t, r.Dead)
	assert.Zero(t, r.Failures)
	assert.Empty(t, r.LastError)
	assert.Equal(t, w.IdempotencyKey(), r.IdempotencyKey(), "requeued, the same schedule")
	same, err := s.Requeue(ctx, "L-1", now)
	require.NoError(t, err)
	assert.Equal(t, r.Version, same.Version, "not dead: nothing to do")
	cs, err = s.Claim(ctx, now, 1)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	assert.Equal(t, "called us back", cs[0].Task)

	_, err = s.Fail(ctx, cs[0], nil, now)
	require.ErrorContains(t, err, "cause: nil")
	_, err = s.Requeue(ctx, "nobody", now)
	require.ErrorIs(t, err, recycle.ErrNotFound)
	_, err = s.Dead(ctx, "", 0)
	require.ErrorIs(t, err, recycle.ErrInvalid)
}

// TestClaimBuriesLeadsThatKillWorkers: a lead whose worker dies every
// time (its lease runs out) is parked dead after Config.MaxAttempts
// claims, instead of being handed out forever.
func TestClaimBuriesLeadsThatKillWorkers(t *testing.T) {
	clock := recycletest.NewClock(t0)
	s := newScheduler(t, &recycle.MemStore{Clock: clock.Now}, recycle.Config{MaxAttempts: 3, Horizons: recycle.Horizons{Jitter: -1}})
	for _, id := range []string{"a-poison", "b-fine"} {
		_, err := s.Recycle(ctx, &lead.Lead{ID: id}, lead.ReasonNoDecisionMaker, t0)
		require.NoError(t, err)
	}
	now := t0.Add(days(30))
	for attempt := 1; attempt <= 3; attempt++ {
		cs, err := s.Claim(ctx, now, 1)
		require.NoError(t, err)
		require.Len(t, cs, 1)
		assert.Equal(t, "a-poison", cs[0].LeadID, "first by ID")
		assert.Equal(t, attempt, cs[0].Claims)
		clock.Advance(11 * time.Minute) // the worker died: its lease runs out
	}
	cs, err := s.Claim(ctx, now, 10)
	require.NoError(t, err)
	assert.Equal(t, []string{"b-fine"}, leadIDs(cs), "the lead that killed three workers is dead, the other delivered")
	e, err := s.Get(ctx, "a-poison")
	require.NoError(t, err)
	assert.True(t, e.Dead)
	assert.Equal(t, 3, e.Failures)
	assert.Contains(t, e.LastError, "a lease that ran out")
	assert.True(t, e.LeaseUntil.IsZero())
	st, err := s.Stats(ctx, now)
	require.NoError(t, err)
	assert.Equal(t, int64(1), st.Dead)
	assert.Equal(t, int64(1), st.Leased)
}

// flakyStore fails calls with ErrUnavailable: fails before the call
// reaches the store, lost after it (the write happened).
type flakyStore struct {
	recycle.Store
	fails, lost int
}

func (f *flakyStore) flake(call func() error) error {
	switch {
	case f.fails > 0:
		f.fails--
		return fmt.Errorf("database is locked: %w", recycle.ErrUnavailable)
	case f.lost > 0:
		f.lost--
		if err := call(); err != nil {
			return err
		}
		return fmt.Errorf("connection reset: %w", recycle.ErrUnavailable)
	}
	return call()
}

func (f *flakyStore) Delete(ctx context.Context, id string, expect uint64) error {
	return f.flake(func() error { return f.Store.Delete(ctx, id, expect) })
}

func (f *flakyStore) Put(ctx context.Context, e recycle.Entry, expect uint64) (got recycle.Entry, err error) {
	err = f.flake(func() (err error) { got, err = f.Store.Put(ctx, e, expect); return err })
	return got, err
}

// TestStoreRetries: the calls that end a claim ride out a store that is
// unavailable for a while, and take a write whose answer was lost as their
// own; past Config.StoreRetries they give up.
func TestStoreRetries(t *testing.T) {
	f := &flakyStore{Store: recycle.NewMemStore()}
	s := newScheduler(t, f, recycle.Config{StoreRetries: 3, StoreBackoff: time.Millisecond, Horizons: recycle.Horizons{Jitter: -1}})
	l := &lead.Lead{ID: "L-1"}
	claimOne := func() recycle.Entry {
		t.Helper()
		_, err := s.Recycle(ctx, l, lead.ReasonNoDecisionMaker, t0)
		require.NoError(t, err)
		cs, err := s.Claim(ctx, t0.Add(days(30)), 1)
		require.NoError(t, err)
		require.Len(t, cs, 1)
		return cs[0]
	}

	c := claimOne()
	f.fails = 3
	require.NoError(t, s.Ack(ctx, c), "three failures, then the ack")
	c = claimOne()
	f.fails, f.lost = 1, 1
	require.NoError(t, s.Ack(ctx, c), "an ack whose answer was lost, retried, finds its own work done")
	_, err := s.Get(ctx, "L-1")
	require.ErrorIs(t, err, recycle.ErrNotFound)

	c = claimOne()
	f.lost = 1
	e, err := s.RecycleClaimed(ctx, c, l, lead.ReasonNotNow, t0.Add(days(30)))
	require.NoError(t, err, "a recycle whose answer was lost, retried, recognises its write")
	assert.Equal(t, lead.ReasonNotNow, e.Reason)
	require.NoError(t, s.Cancel(ctx, "L-1"))

	c = claimOne()
	f.lost = 1
	e, err = s.Fail(ctx, c, errors.New("crm: 503"), t0.Add(days(30)))
	require.NoError(t, err)
	assert.Equal(t, 1, e.Failures)
	require.NoError(t, s.Cancel(ctx, "L-1"))

	c = claimOne()
	f.fails = 4
	err = s.Ack(ctx, c)
	require.ErrorIs(t, err, recycle.ErrUnavailable, "given up after three retries")
	assert.ErrorContains(t, err, `recycle: ack lead "L-1": database is locked`)

	f.fails = 100
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	err = s.Ack(cctx, c)
	require.ErrorIs(t, err, context.Canceled, "a cancelled context stops the retries")
	require.ErrorIs(t, err, recycle.ErrUnavailable)
}

// TestWithStore schedules through a store of the caller's choosing, with
// the same configuration.
func TestWithStore(t *testing.T) {
	a, b := recycle.NewMemStore(), recycle.NewMemStore()
	s := newScheduler(t, a, recycle.Config{MaxClaim: 5})
	_, err := s.WithStore(b).Recycle(ctx, &lead.Lead{ID: "L-1"}, lead.ReasonNotNow, t0)
	require.NoError(t, err)
	assert.Zero(t, a.Len())
	assert.Equal(t, 1, b.Len())
	_, err = s.WithStore(b).Claim(ctx, t0, 6)
	require.ErrorContains(t, err, "Config.MaxClaim", "the configuration comes along")
}

func leadIDs(es []recycle.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.LeadID
	}
	return out
}

func TestRecycleClaimed(t *testing.T) {
	s := newScheduler(t, recycle.NewMemStore(), recycle.Config{Horizons: recycle.Horizons{Jitter: -1}})
	l := &lead.Lead{ID: "L-1"}
	_, err := s.Recycle(ctx, l, lead.ReasonNotNow, t0)
	require.NoError(t, err)
	now := t0.Add(days(90))
	cs, err := s.Claim(ctx, now, 1)
	require.NoError(t, err)
	require.Len(t, cs, 1)

	// The worker calls: still not now.
	e, err := s.RecycleClaimed(ctx, cs[0], l, lead.ReasonNotNow, now)
	require.NoError(t, err)
	assert.Equal(t, 2, e.Recycles)
	assert.Equal(t, now.Add(days(180)), e.Due.UTC())
	assert.True(t, e.LeaseUntil.IsZero())

	_, err = s.RecycleClaimed(ctx, cs[0], l, lead.ReasonNotNow, now.Add(time.Minute))
	require.ErrorIs(t, err, recycle.ErrLeaseLost, "the claim ended with the reschedule")
	_, err = s.RecycleClaimed(ctx, cs[0], &lead.Lead{ID: "L-2"}, lead.ReasonNotNow, now)
	require.ErrorContains(t, err, `lead.id: "L-2" is not the claimed lead`)
	_, err = s.RecycleClaimed(ctx, cs[0], l, lead.ReasonNotAFit, now)
	require.ErrorIs(t, err, recycle.ErrFinal)
	_, err = s.RecycleClaimed(ctx, e, l, lead.ReasonNotNow, now)
	require.ErrorContains(t, err, "not a claim")
}

func TestSchedulerConcurrent(t *testing.T) {
	// Producers recycle and wake leads while workers claim and acknowledge
	// them, all at once, on one timeline that only moves forward. Every
	// lead recycled is acknowledged once per schedule, and the race
	// detector watches.
	store := recycle.NewMemStore()
	s := newScheduler(t, store, recycle.Config{Horizons: recycle.Horizons{Jitter: -1,
		Reasons: map[lead.Reason]recycle.Horizon{"soon": {After: time.Minute, Task: "Call"}}}})
	const leads, workers = 400, 4
	var (
		clock   sync.Mutex
		now     = t0
		acked   sync.Map
		wg      sync.WaitGroup
		failure = make(chan error, workers+2)
	)
	tick := func() time.Time {
		clock.Lock()
		defer clock.Unlock()
		now = now.Add(time.Second)
		return now
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range leads {
			l := &lead.Lead{ID: fmt.Sprintf("L-%03d", i), Value: gbp(fmt.Sprint(i))}
			if _, err := s.Recycle(ctx, l, "soon", tick()); err != nil {
				failure <- err
				return
			}
			if i%3 == 0 {
				if _, err := s.Wake(ctx, l.ID, "new interest in RoutePlanner", tick()); err != nil && !errors.Is(err, recycle.ErrNotFound) {
					failure <- err
					return
				}
			}
		}
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for idle := 0; idle < 200; {
				cs, err := s.Claim(ctx, tick(), 7)
				if err != nil {
					failure <- err
					return
				}
				if len(cs) == 0 {
					idle++
					continue
				}
				for _, c := range cs {
					err := s.Ack(ctx, c)
					switch {
					case err == nil:
						if _, dup := acked.LoadOrStore(c.LeadID, true); dup {
							failure <- fmt.Errorf("%s acknowledged twice", c.LeadID)
							return
						}
					case errors.Is(err, recycle.ErrLeaseLost): // woken meanwhile: handed out again
					case errors.Is(err, recycle.ErrNotFound): // woken, then claimed and acknowledged by another worker
					default:
						failure <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(failure)
	for err := range failure {
		require.NoError(t, err)
	}
	// Whatever is left is due, and gets delivered now.
	cs, err := s.Claim(ctx, now.Add(time.Hour), 1000)
	require.NoError(t, err)
	for _, c := range cs {
		require.NoError(t, s.Ack(ctx, c))
		_, dup := acked.LoadOrStore(c.LeadID, true)
		require.False(t, dup, "%s acknowledged twice", c.LeadID)
	}
	n := 0
	acked.Range(func(any, any) bool { n++; return true })
	assert.Equal(t, leads, n, "every lead delivered and acknowledged once")
	assert.Zero(t, store.Len())
}

func TestErrorsNameTheLead(t *testing.T) {
	s := newScheduler(t, recycle.NewMemStore(), recycle.Config{})
	_, err := s.Recycle(ctx, &lead.Lead{ID: "L-9", Contact: lead.Contact{TimeZone: "Nowhere/Town"}}, lead.ReasonNotNow, t0)
	require.ErrorIs(t, err, recycle.ErrInvalid)
	assert.Equal(t, `recycle: plan lead "L-9": lead.contact.time_zone: unknown time zone "Nowhere/Town"`, err.Error())
	_, err = s.Recycle(ctx, nil, lead.ReasonNotNow, t0)
	require.ErrorIs(t, err, recycle.ErrInvalid)
	_, err = s.Recycle(ctx, &lead.Lead{ID: ""}, lead.ReasonNotNow, t0)
	assert.ErrorContains(t, err, "lead.id: empty")
	_, err = s.Recycle(ctx, &lead.Lead{ID: "L-9"}, lead.ReasonNotNow, time.Time{})
	assert.ErrorContains(t, err, "now: missing")
	assert.ErrorContains(t, s.Cancel(ctx, " "), "lead_id: empty")
	_, err = s.Get(ctx, "")
	assert.ErrorIs(t, err, recycle.ErrInvalid)
	_, err = s.Get(ctx, "L-9")
	assert.Equal(t, `recycle: get lead "L-9": lead not scheduled`, err.Error())
	assert.False(t, strings.Contains(err.Error(), "\n"))
}
