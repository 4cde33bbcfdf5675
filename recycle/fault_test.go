package recycle_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/recycle"
	"github.com/leadqual/leadqual/recycle/recycletest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// errInjected is the failure faultStore injects. Half of the faults also
// wrap recycle.ErrUnavailable, which the Scheduler retries itself.
var errInjected = errors.New("injected fault")

// faultStore wraps a Store and fails calls at random: before the call
// reaches the store (nothing happens), or after it (the write happened but
// its answer was lost, like a connection reset after a commit).
type faultStore struct {
	recycle.Store
	mu            sync.Mutex
	r             *rand.Rand
	rate          float64 // probability of a fault, half before and half after
	before, after int
}

func (f *faultStore) fault() (before, after bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.r.Float64() >= f.rate {
		return false, false
	}
	if f.r.IntN(2) == 0 {
		f.before++
		return true, false
	}
	f.after++
	return false, true
}

// errLost is a write whose answer was lost: it happened, but the caller
// cannot know.
var errLost = fmt.Errorf("connection reset after commit: %w: %w", recycle.ErrUnavailable, errInjected)

func (f *faultStore) Get(ctx context.Context, id string) (recycle.Entry, error) {
	if b, a := f.fault(); b || a {
		return recycle.Entry{}, fmt.Errorf("read timeout: %w", errInjected)
	}
	return f.Store.Get(ctx, id)
}

func (f *faultStore) Put(ctx context.Context, e recycle.Entry, expect uint64) (recycle.Entry, error) {
	b, a := f.fault()
	if b {
		return recycle.Entry{}, fmt.Errorf("connection refused: %w: %w", recycle.ErrUnavailable, errInjected)
	}
	got, err := f.Store.Put(ctx, e, expect)
	if a && err == nil {
		return recycle.Entry{}, errLost
	}
	return got, err
}

func (f *faultStore) Delete(ctx context.Context, id string, expect uint64) error {
	b, a := f.fault()
	if b {
		return fmt.Errorf("connection refused: %w: %w", recycle.ErrUnavailable, errInjected)
	}
	err := f.Store.Delete(ctx, id, expect)
	if a && err == nil {
		return errLost
	}
	return err
}

func (f *faultStore) Claim(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]recycle.Entry, error) {
	b, a := f.fault()
	if b {
		return nil, fmt.Errorf("connection refused: %w: %w", recycle.ErrUnavailable, errInjected)
	}
	got, err := f.Store.Claim(ctx, now, limit, lease)
	if a && err == nil {
		return nil, errLost // the leases were taken; the worker never learns of them
	}
	return got, err
}

func (f *faultStore) Extend(ctx context.Context, id string, version uint64, lease time.Duration) (recycle.Entry, error) {
	b, a := f.fault()
	if b {
		return recycle.Entry{}, fmt.Errorf("connection refused: %w: %w", recycle.ErrUnavailable, errInjected)
	}
	got, err := f.Store.Extend(ctx, id, version, lease)
	if a && err == nil {
		return recycle.Entry{}, errLost
	}
	return got, err
}

// retry calls f until it returns something other than an injected fault,
// as a host retries a failed call. It reports whether any call failed.
func retry[T any](t *testing.T, what string, f func() (T, error)) (T, error, bool) {
	t.Helper()
	failed := false
	for range 60 {
		v, err := f()
		if !errors.Is(err, errInjected) {
			return v, err, failed
		}
		require.True(t, strings.HasPrefix(err.Error(), "recycle: "), "a store error with its context: %v", err)
		require.Contains(t, err.Error(), what, "the error names the operation and the lead")
		failed = true
	}
	t.Fatalf("%s: still failing after 60 calls", what)
	panic("unreachable")
}

// comparable fields of an entry: those the scheduler writes.
func scheduleOf(e recycle.Entry) string {
	return fmt.Sprintf("%s due=%s reason=%s task=%q rank=%d recycles=%d attempt=%d since=%s",
		e.LeadID, e.Due.UTC().Format(time.RFC3339Nano), e.Reason, e.Task, e.Rank, e.Recycles, e.Attempt, e.Since.UTC().Format(time.RFC3339Nano))
}

// TestFaultsLoseAndDuplicateNothing runs the same schedule on a store that
// fails a fifth of its calls and on one that never fails, the host
// retrying every failed call, and checks that the faulty store ends up with
// exactly the same schedule (nothing dropped, nothing counted twice),
// never delivers an acknowledged lead again, and delivers every scheduled
// lead exactly once when time runs out.
func TestFaultsLoseAndDuplicateNothing(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { runFaults(t, seed) })
	}
}

func runFaults(t *testing.T, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 0xfa17))
	var log strings.Builder
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("seed %d; operations:\n%s", seed, log.String())
		}
	})
	op := func(format string, args ...any) { fmt.Fprintf(&log, format+"\n", args...) }

	cfg := recycle.Config{
		Currency: "GBP",
		Lease:    10 * time.Minute,
		Horizons: recycle.Horizons{
			Reasons: map[lead.Reason]recycle.Horizon{
				lead.ReasonNotNow:          {After: time.Hour},
				lead.ReasonNoDecisionMaker: {After: 30 * time.Minute},
				lead.ReasonUnresponsive:    {After: 2 * time.Hour, Attempts: 3, Retry: 15 * time.Minute},
			},
			Fallback: recycle.Horizon{After: time.Hour},
			Longest:  8 * time.Hour,
			Jitter:   10 * time.Minute,
		},
	}
	cfg.MaxAttempts = 1000 // leads are not parked here: leases run out all the time
	cfg.StoreBackoff = time.Millisecond
	clock := recycletest.NewClock(t0) // the store's clock, which moves with the test's
	faulty := &faultStore{Store: &recycle.MemStore{Clock: clock.Now}, r: rand.New(rand.NewPCG(seed, 0xbad)), rate: 0.2}
	s := newScheduler(t, faulty, cfg)
	shadow := newScheduler(t, recycle.NewMemStore(), cfg)

	now := t0
	leads := make([]*lead.Lead, 8)
	for i := range leads {
		leads[i] = &lead.Lead{ID: fmt.Sprintf("F-%d", i), Value: gbp(fmt.Sprint(100 * (i % 3)))}
	}
	reasons := []lead.Reason{lead.ReasonNotNow, lead.ReasonNoDecisionMaker, lead.ReasonUnresponsive, lead.ReasonUnresponsive, "host_reason"}
	// scheduled counts successful schedules per lead; ackedAt records the
	// count at the lead's last acknowledgement.
	scheduled, ackedAt := map[string]int{}, map[string]int{}
	var holds []recycle.Entry

	check := func(id string) {
		t.Helper()
		want, werr := shadow.Get(ctx, id)
		got, gerr, _ := retry(t, fmt.Sprintf("get lead %q", id), func() (recycle.Entry, error) { return s.Get(ctx, id) })
		if werr != nil {
			require.ErrorIs(t, gerr, recycle.ErrNotFound, "%s: the shadow has none", id)
			return
		}
		require.NoError(t, gerr)
		require.Equal(t, scheduleOf(want), scheduleOf(got))
	}

	for range 300 {
		l := leads[r.IntN(len(leads))]
		switch k := r.IntN(10); {
		case k < 3:
			reason := reasons[r.IntN(len(reasons))]
			op("recycle %s %s at %s", l.ID, reason, now.Format(time.TimeOnly))
			_, err, _ := retry(t, fmt.Sprintf("lead %q", l.ID), func() (recycle.Entry, error) { return s.Recycle(ctx, l, reason, now) })
			require.NoError(t, err)
			_, err = shadow.Recycle(ctx, l, reason, now)
			require.NoError(t, err)
			scheduled[l.ID]++
			check(l.ID)
		case k < 4:
			op("wake %s", l.ID)
			_, err, _ := retry(t, fmt.Sprintf("wake lead %q", l.ID), func() (recycle.Entry, error) { return s.Wake(ctx, l.ID, "new interest", now) })
			_, werr := shadow.Wake(ctx, l.ID, "new interest", now)
			if werr != nil {
				require.ErrorIs(t, err, recycle.ErrNotFound)
				require.ErrorIs(t, werr, recycle.ErrNotFound)
			} else {
				require.NoError(t, err)
				scheduled[l.ID]++
			}
			check(l.ID)
		case k < 5:
			op("cancel %s", l.ID)
			_, err, failed := retry(t, fmt.Sprintf("cancel lead %q", l.ID), func() (struct{}, error) { return struct{}{}, s.Cancel(ctx, l.ID) })
			werr := shadow.Cancel(ctx, l.ID)
			if werr != nil {
				require.ErrorIs(t, err, recycle.ErrNotFound)
			} else if !failed {
				require.NoError(t, err)
			} else if err != nil {
				require.ErrorIs(t, err, recycle.ErrNotFound, "a retried cancel that had landed")
			}
			check(l.ID)
		case k < 7:
			op("claim at %s", now.Format(time.TimeOnly))
			cs, err, _ := retry(t, "claim", func() ([]recycle.Entry, error) { return s.Claim(ctx, now, 1+r.IntN(3)) })
			require.NoError(t, err)
			for _, c := range cs {
				op("  got %s v%d", c.LeadID, c.Version)
				if n, ok := ackedAt[c.LeadID]; ok {
					require.Greater(t, scheduled[c.LeadID], n, "%s delivered again after its ack, with no new schedule", c.LeadID)
				}
				require.False(t, c.Due.After(now))
			}
			holds = append(holds, cs...)
		case k < 8:
			if len(holds) == 0 {
				continue
			}
			i := r.IntN(len(holds))
			c := holds[i]
			holds = slices.Delete(holds, i, i+1)
			op("ack %s v%d", c.LeadID, c.Version)
			_, err, failed := retry(t, fmt.Sprintf("ack lead %q", c.LeadID), func() (struct{}, error) { return struct{}{}, s.Ack(ctx, c) })
			if err == nil || failed && errors.Is(err, recycle.ErrNotFound) {
				// Acknowledged (a retry finding it gone: the first call had
				// landed, for nothing else removed it... unless a cancel
				// had, which the shadow tells).
				if _, werr := shadow.Get(ctx, c.LeadID); werr == nil {
					require.NoError(t, shadow.Cancel(ctx, c.LeadID))
					ackedAt[c.LeadID] = scheduled[c.LeadID]
				}
			} else {
				require.True(t, errors.Is(err, recycle.ErrLeaseLost) || errors.Is(err, recycle.ErrNotFound), "%v", err)
			}
			check(c.LeadID)
		case k < 9:
			op("a worker crashes holding %d claims", len(holds))
			holds = nil
		default:
			d := time.Duration(r.IntN(40)) * time.Minute
			now = now.Add(d)
			clock.Advance(d)
			op("now %s", now.Format(time.TimeOnly))
		}
	}
	for _, l := range leads {
		check(l.ID)
	}

	// Time runs out: every lead still scheduled is delivered once.
	now = now.Add(24 * time.Hour)
	clock.Advance(24 * time.Hour)
	op("drain at %s", now.Format(time.DateTime))
	delivered := map[string]int{}
	for idle := 0; idle < 3; {
		cs, err := s.Claim(ctx, now, 3)
		if errors.Is(err, errInjected) {
			clock.Advance(cfg.Lease) // any leases taken by the lost answer run out
			continue
		}
		require.NoError(t, err)
		if len(cs) == 0 {
			idle++
			clock.Advance(cfg.Lease)
			continue
		}
		for _, c := range cs {
			_, err, failed := retry(t, fmt.Sprintf("ack lead %q", c.LeadID), func() (struct{}, error) { return struct{}{}, s.Ack(ctx, c) })
			if !(failed && errors.Is(err, recycle.ErrNotFound)) {
				require.NoError(t, err)
			}
			delivered[c.LeadID]++
		}
	}
	for _, l := range leads {
		want := 0
		if _, err := shadow.Get(ctx, l.ID); err == nil {
			want = 1
		}
		assert.Equal(t, want, delivered[l.ID], "%s delivered in the drain", l.ID)
	}
	assert.Zero(t, faulty.Store.(*recycle.MemStore).Len(), "nothing left behind")
	assert.Positive(t, faulty.before+faulty.after, "faults were injected")
}
