// Package recycletest is the conformance suite of [recycle.Store]: the
// contract every store must keep, checked against a real instance. A host
// that implements a Store over its own database runs it from a test:
//
//	func TestStore(t *testing.T) {
//		recycletest.Run(t, func(t *testing.T) recycle.Store {
//			return newTestStore(t) // empty, and cleaned up with t.Cleanup
//		})
//	}
//
// The suite tests only the contract documented on recycle.Store, never an
// implementation's internals: versions, conditional writes, leases and
// their fencing, claim order, time precision, atomicity under concurrent
// use, and context cancellation; then two randomised checks, one against a
// reference model of the store and one of the Scheduler's delivery
// guarantees (every scheduled lead is delivered, none twice after an
// acknowledgement, none lost). Every randomised check uses fixed seeds and
// logs the seed and the operations of a failing run.
//
// newStore must return a new, empty store for each call; subtests do not
// share stores and run one after another. Times in the suite are whole
// microseconds, in years 2026 to 2199. The randomised checks make some
// 50,000 store calls; with -short they make a fifth of them.
package recycletest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/recycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// t0 is the start of the suite's fixed timeline.
var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// at returns t0 + d.
func at(d time.Duration) time.Time { return t0.Add(d) }

const lease = 10 * time.Minute

// entry returns a valid entry for id, due at t0 + due.
func entry(id string, due time.Duration, rank int64) recycle.Entry {
	return recycle.Entry{
		LeadID: id,
		Due:    at(due),
		Reason: lead.ReasonNotNow,
		Task:   "Call back",
		Rank:   rank,
		Since:  t0.Add(-time.Hour),
	}
}

// Run runs the conformance suite against stores made by newStore, one per
// subtest.
func Run(t *testing.T, newStore func(t *testing.T) recycle.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s recycle.Store)
	}{
		{"GetMissing", testGetMissing},
		{"PutCreate", testPutCreate},
		{"PutCreateExisting", testPutCreateExisting},
		{"PutReplace", testPutReplace},
		{"PutReplaceMissing", testPutReplaceMissing},
		{"PutIgnoresStoreFields", testPutIgnoresStoreFields},
		{"RoundTrip", testRoundTrip},
		{"DeleteUnconditional", testDeleteUnconditional},
		{"DeleteConditional", testDeleteConditional},
		{"ClaimNothingDue", testClaimNothingDue},
		{"ClaimDueBoundary", testClaimDueBoundary},
		{"ClaimOrder", testClaimOrder},
		{"ClaimLease", testClaimLease},
		{"ClaimAfterLeaseEnd", testClaimAfterLeaseEnd},
		{"AckedNeverAgain", testAckedNeverAgain},
		{"StaleAckAfterReclaim", testStaleAckAfterReclaim},
		{"LateAckBeforeReclaim", testLateAckBeforeReclaim},
		{"Extend", testExtend},
		{"ExtendRefused", testExtendRefused},
		{"ExtendAfterLeaseEnd", testExtendAfterLeaseEnd},
		{"Release", testRelease},
		{"PutOverClaim", testPutOverClaim},
		{"VersionsNeverReused", testVersionsNeverReused},
		{"ConcurrentClaims", testConcurrentClaims},
		{"ConcurrentConditionalWrites", testConcurrentConditionalWrites},
		{"ContextCancelled", testContextCancelled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
	t.Run("Model", func(t *testing.T) { testModel(t, newStore) })
	t.Run("Delivery", func(t *testing.T) { testDelivery(t, newStore) })
}

var ctx = context.Background()

// same asserts that got holds want's caller fields.
func same(t *testing.T, want, got recycle.Entry) {
	t.Helper()
	assert.Equal(t, want.LeadID, got.LeadID, "LeadID")
	assert.True(t, want.Due.Equal(got.Due), "Due: want %s, got %s", want.Due, got.Due)
	assert.Equal(t, want.Reason, got.Reason, "Reason")
	assert.Equal(t, want.Task, got.Task, "Task")
	assert.Equal(t, want.Rank, got.Rank, "Rank")
	assert.Equal(t, want.Recycles, got.Recycles, "Recycles")
	assert.Equal(t, want.Attempt, got.Attempt, "Attempt")
	assert.True(t, want.Since.Equal(got.Since), "Since: want %s, got %s", want.Since, got.Since)
}

func put(t *testing.T, s recycle.Store, e recycle.Entry) recycle.Entry {
	t.Helper()
	got, err := s.Put(ctx, e, 0)
	require.NoError(t, err, "Put(%s, 0)", e.LeadID)
	return got
}

func claim(t *testing.T, s recycle.Store, now time.Time, limit int) []recycle.Entry {
	t.Helper()
	es, err := s.Claim(ctx, now, limit, now.Add(lease))
	require.NoError(t, err, "Claim(%s, %d)", now, limit)
	return es
}

func ids(es []recycle.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.LeadID
	}
	return out
}

func testGetMissing(t *testing.T, s recycle.Store) {
	_, err := s.Get(ctx, "nobody")
	require.ErrorIs(t, err, recycle.ErrNotFound)
}

func testPutCreate(t *testing.T, s recycle.Store) {
	e := entry("L-1", time.Hour, 7)
	e.Recycles, e.Attempt = 2, 1
	got := put(t, s, e)
	same(t, e, got)
	assert.NotZero(t, got.Version, "Version")
	assert.True(t, got.LeaseUntil.IsZero(), "LeaseUntil")
	assert.Zero(t, got.Claims, "Claims")

	read, err := s.Get(ctx, "L-1")
	require.NoError(t, err)
	same(t, e, read)
	assert.Equal(t, got.Version, read.Version, "Get returns the version Put returned")
}

func testPutCreateExisting(t *testing.T, s recycle.Store) {
	first := put(t, s, entry("L-1", time.Hour, 1))
	other := entry("L-1", 2*time.Hour, 2)
	other.Task = "Something else"
	_, err := s.Put(ctx, other, 0)
	require.ErrorIs(t, err, recycle.ErrStale, "expect 0 on an existing entry")
	read, err := s.Get(ctx, "L-1")
	require.NoError(t, err)
	same(t, entry("L-1", time.Hour, 1), read)
	assert.Equal(t, first.Version, read.Version, "a refused Put changes nothing")
}

func testPutReplace(t *testing.T, s recycle.Store) {
	first := put(t, s, entry("L-1", time.Hour, 1))
	next := entry("L-1", 3*time.Hour, 5)
	next.Reason, next.Task, next.Recycles = lead.ReasonNoBudget, "Ask about the budget", 1
	second, err := s.Put(ctx, next, first.Version)
	require.NoError(t, err)
	same(t, next, second)
	assert.NotEqual(t, first.Version, second.Version, "every Put gives a new version")
	assert.NotZero(t, second.Version)

	_, err = s.Put(ctx, entry("L-1", 9*time.Hour, 9), first.Version)
	require.ErrorIs(t, err, recycle.ErrStale, "an outdated expected version")
	read, err := s.Get(ctx, "L-1")
	require.NoError(t, err)
	same(t, next, read)
	assert.Equal(t, second.Version, read.Version)
}

func testPutReplaceMissing(t *testing.T, s recycle.Store) {
	_, err := s.Put(ctx, entry("L-1", time.Hour, 1), 12345)
	require.ErrorIs(t, err, recycle.ErrNotFound)
	_, err = s.Get(ctx, "L-1")
	require.ErrorIs(t, err, recycle.ErrNotFound, "a refused Put creates nothing")
}

func testPutIgnoresStoreFields(t *testing.T, s recycle.Store) {
	e := entry("L-1", 0, 1)
	e.Version, e.LeaseUntil, e.Claims = 99, at(time.Hour), 5
	got := put(t, s, e)
	assert.True(t, got.LeaseUntil.IsZero(), "LeaseUntil is the store's")
	assert.Zero(t, got.Claims, "Claims is the store's")
	cs := claim(t, s, t0, 10)
	require.Equal(t, []string{"L-1"}, ids(cs), "a Put entry is not claimed, whatever LeaseUntil it was given")
	assert.Equal(t, 1, cs[0].Claims)
}

func testRoundTrip(t *testing.T, s recycle.Store) {
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	long := strings.Repeat("é", recycle.MaxIDLen/2)
	cases := []recycle.Entry{
		{LeadID: "local-time", Due: time.Date(2027, 3, 28, 1, 30, 15, 123456000, zone), Reason: lead.ReasonOffshored,
			Task: "Check in", Rank: 0, Since: time.Date(2026, 3, 29, 0, 59, 59, 999999000, zone)},
		{LeadID: "far", Due: time.Date(2199, 12, 31, 23, 59, 59, 999999000, time.UTC), Reason: "host_reason",
			Task: strings.Repeat("ü", recycle.MaxTaskLen/2), Rank: math.MaxInt64, Recycles: recycle.MaxCount, Attempt: recycle.MaxCount, Since: t0},
		{LeadID: long, Due: t0, Reason: lead.ReasonUnresponsive, Task: "Try again (attempt 2 of 3)", Rank: math.MinInt64,
			Attempt: 1, Since: t0},
		{LeadID: "Ünïcødé 線索 🚀", Due: t0, Reason: lead.ReasonNoDecisionMaker, Task: "Reach the managing director",
			Rank: -1, Since: t0},
	}
	for _, e := range cases {
		got := put(t, s, e)
		same(t, e, got)
		read, err := s.Get(ctx, e.LeadID)
		require.NoError(t, err)
		same(t, e, read)
	}
}

func testDeleteUnconditional(t *testing.T, s recycle.Store) {
	put(t, s, entry("L-1", 0, 1))
	put(t, s, entry("L-2", 0, 1))
	require.NoError(t, s.Delete(ctx, "L-1", 0))
	_, err := s.Get(ctx, "L-1")
	require.ErrorIs(t, err, recycle.ErrNotFound)
	require.ErrorIs(t, s.Delete(ctx, "L-1", 0), recycle.ErrNotFound, "deleting twice")
	require.ErrorIs(t, s.Delete(ctx, "nobody", 0), recycle.ErrNotFound)
	assert.Equal(t, []string{"L-2"}, ids(claim(t, s, t0, 10)), "the other entry is untouched")
}

func testDeleteConditional(t *testing.T, s recycle.Store) {
	e := put(t, s, entry("L-1", 0, 1))
	require.ErrorIs(t, s.Delete(ctx, "L-1", e.Version+1000), recycle.ErrStale)
	_, err := s.Get(ctx, "L-1")
	require.NoError(t, err, "a refused Delete deletes nothing")
	require.NoError(t, s.Delete(ctx, "L-1", e.Version))
	_, err = s.Get(ctx, "L-1")
	require.ErrorIs(t, err, recycle.ErrNotFound)
	require.ErrorIs(t, s.Delete(ctx, "L-1", e.Version), recycle.ErrNotFound)
}

func testClaimNothingDue(t *testing.T, s recycle.Store) {
	assert.Empty(t, claim(t, s, t0, 10), "an empty store")
	e := put(t, s, entry("L-1", time.Hour, 1))
	assert.Empty(t, claim(t, s, t0, 10), "nothing due yet")
	read, err := s.Get(ctx, "L-1")
	require.NoError(t, err)
	assert.Equal(t, e.Version, read.Version, "an entry not claimed keeps its version")
	assert.True(t, read.LeaseUntil.IsZero())
}

func testClaimDueBoundary(t *testing.T, s recycle.Store) {
	put(t, s, entry("on-time", 0, 1))
	put(t, s, entry("a-microsecond-late", time.Microsecond, 1))
	assert.Equal(t, []string{"on-time"}, ids(claim(t, s, t0, 10)), "due at now is due; a microsecond later is not")
	assert.Equal(t, []string{"a-microsecond-late"}, ids(claim(t, s, at(time.Microsecond), 10)))
}

func testClaimOrder(t *testing.T, s recycle.Store) {
	// Put in a scrambled order; claim order is due, then rank (highest
	// first), then lead ID byte-wise ("B" < "a" < "b").
	for _, e := range []recycle.Entry{
		entry("late", 3*time.Hour, 1000),
		entry("b", time.Hour, 5),
		entry("rich", time.Hour, 50),
		entry("a", time.Hour, 5),
		entry("early", 0, -1),
		entry("B", time.Hour, 5),
		entry("poor", time.Hour, -1),
		entry("future", 5*time.Hour, 1),
	} {
		put(t, s, e)
	}
	want := []string{"early", "rich", "B", "a", "b", "poor", "late"}
	now := at(4 * time.Hour)
	got := append(claim(t, s, now, 2), claim(t, s, now, 3)...)
	got = append(got, claim(t, s, now, 10)...)
	assert.Equal(t, want, ids(got), "claim order across calls with limits")
	assert.Empty(t, claim(t, s, now, 10))
}

func testClaimLease(t *testing.T, s recycle.Store) {
	e := put(t, s, entry("L-1", 0, 1))
	cs := claim(t, s, at(time.Minute), 10)
	require.Len(t, cs, 1)
	c := cs[0]
	same(t, entry("L-1", 0, 1), c)
	assert.True(t, c.LeaseUntil.Equal(at(time.Minute+lease)), "LeaseUntil: got %s", c.LeaseUntil)
	assert.Equal(t, 1, c.Claims)
	assert.NotEqual(t, e.Version, c.Version, "a claim gives a new version")
	assert.NotZero(t, c.Version)
	read, err := s.Get(ctx, "L-1")
	require.NoError(t, err)
	assert.Equal(t, c.Version, read.Version)
	assert.True(t, read.LeaseUntil.Equal(c.LeaseUntil))
	assert.Equal(t, 1, read.Claims)
}

func testClaimAfterLeaseEnd(t *testing.T, s recycle.Store) {
	put(t, s, entry("L-1", 0, 1))
	first := claim(t, s, t0, 10)
	require.Len(t, first, 1)
	end := first[0].LeaseUntil
	assert.Empty(t, claim(t, s, end.Add(-time.Microsecond), 10), "held until the lease ends")
	again := claim(t, s, end, 10)
	require.Len(t, again, 1, "claimable again when the lease ends")
	assert.Equal(t, 2, again[0].Claims)
	assert.NotEqual(t, first[0].Version, again[0].Version)
	assert.True(t, again[0].LeaseUntil.Equal(end.Add(lease)))
}

func testAckedNeverAgain(t *testing.T, s recycle.Store) {
	put(t, s, entry("L-1", 0, 1))
	c := claim(t, s, t0, 10)
	require.Len(t, c, 1)
	require.NoError(t, s.Delete(ctx, "L-1", c[0].Version))
	for _, d := range []time.Duration{0, lease, 24 * time.Hour, 400 * 24 * time.Hour} {
		assert.Empty(t, claim(t, s, at(d), 10), "after the ack, at t0+%s", d)
	}
}

func testStaleAckAfterReclaim(t *testing.T, s recycle.Store) {
	put(t, s, entry("L-1", 0, 1))
	first := claim(t, s, t0, 10)
	require.Len(t, first, 1)
	second := claim(t, s, first[0].LeaseUntil, 10)
	require.Len(t, second, 1)
	require.ErrorIs(t, s.Delete(ctx, "L-1", first[0].Version), recycle.ErrStale, "the first claim was superseded")
	require.NoError(t, s.Delete(ctx, "L-1", second[0].Version))
}

func testLateAckBeforeReclaim(t *testing.T, s recycle.Store) {
	put(t, s, entry("A", time.Hour, 1))
	a := claim(t, s, at(time.Hour), 1)
	require.Equal(t, []string{"A"}, ids(a))
	// B is due before A: after A's lease ends, a claim of one takes B, and
	// A's expired claim is still the current one.
	put(t, s, entry("B", 0, 1))
	b := claim(t, s, a[0].LeaseUntil.Add(time.Minute), 1)
	require.Equal(t, []string{"B"}, ids(b))
	require.NoError(t, s.Delete(ctx, "A", a[0].Version), "a late ack before anyone claimed again")
	assert.Empty(t, claim(t, s, b[0].LeaseUntil.Add(-time.Microsecond), 10), "A acked, B held")
	_, err := s.Get(ctx, "A")
	require.ErrorIs(t, err, recycle.ErrNotFound)
}

func testExtend(t *testing.T, s recycle.Store) {
	put(t, s, entry("L-1", 0, 1))
	c := claim(t, s, t0, 10)
	require.Len(t, c, 1)
	until := at(time.Hour)
	ext, err := s.Extend(ctx, "L-1", c[0].Version, until)
	require.NoError(t, err)
	assert.Equal(t, c[0].Version, ext.Version, "Extend keeps the version")
	assert.True(t, ext.LeaseUntil.Equal(until))
	assert.Equal(t, 1, ext.Claims)
	assert.Empty(t, claim(t, s, c[0].LeaseUntil, 10), "the old lease end no longer frees it")
	again := claim(t, s, until, 10)
	require.Len(t, again, 1, "the new lease end does")
	require.ErrorIs(t, s.Delete(ctx, "L-1", c[0].Version), recycle.ErrStale)
}

func testExtendRefused(t *testing.T, s recycle.Store) {
	e := put(t, s, entry("L-1", 0, 1))
	_, err := s.Extend(ctx, "L-1", e.Version, at(time.Hour))
	require.ErrorIs(t, err, recycle.ErrStale, "an entry that is not claimed")
	c := claim(t, s, t0, 10)
	require.Len(t, c, 1)
	_, err = s.Extend(ctx, "L-1", c[0].Version+1000, at(time.Hour))
	require.ErrorIs(t, err, recycle.ErrStale, "another version")
	_, err = s.Extend(ctx, "nobody", c[0].Version, at(time.Hour))
	require.ErrorIs(t, err, recycle.ErrNotFound)
	read, err := s.Get(ctx, "L-1")
	require.NoError(t, err)
	assert.True(t, read.LeaseUntil.Equal(c[0].LeaseUntil), "refused extensions change nothing")
}

func testExtendAfterLeaseEnd(t *testing.T, s recycle.Store) {
	put(t, s, entry("L-1", 0, 1))
	c := claim(t, s, t0, 10)
	require.Len(t, c, 1)
	late := c[0].LeaseUntil.Add(time.Minute)
	ext, err := s.Extend(ctx, "L-1", c[0].Version, late.Add(lease))
	require.NoError(t, err, "no one claimed it since: the claim may still be extended")
	assert.Empty(t, claim(t, s, late, 10))
	again := claim(t, s, ext.LeaseUntil, 10)
	require.Len(t, again, 1)
	_, err = s.Extend(ctx, "L-1", c[0].Version, at(48*time.Hour))
	require.ErrorIs(t, err, recycle.ErrStale, "claimed again since")
}

func testRelease(t *testing.T, s recycle.Store) {
	put(t, s, entry("L-1", 0, 1))
	now := at(time.Minute)
	c := claim(t, s, now, 10)
	require.Len(t, c, 1)
	_, err := s.Extend(ctx, "L-1", c[0].Version, now)
	require.NoError(t, err)
	again := claim(t, s, now, 10)
	require.Len(t, again, 1, "a lease ending now is a release")
	assert.Equal(t, 2, again[0].Claims)
}

func testPutOverClaim(t *testing.T, s recycle.Store) {
	put(t, s, entry("L-1", 0, 1))
	c := claim(t, s, t0, 10)
	require.Len(t, c, 1)
	next := entry("L-1", time.Hour, 1)
	next.Task = "Rescheduled"
	e, err := s.Put(ctx, next, c[0].Version)
	require.NoError(t, err, "the claim's version is the current one")
	assert.True(t, e.LeaseUntil.IsZero(), "a Put ends the claim")
	assert.Zero(t, e.Claims)
	require.ErrorIs(t, s.Delete(ctx, "L-1", c[0].Version), recycle.ErrStale, "the old claim cannot ack")
	_, err = s.Extend(ctx, "L-1", c[0].Version, at(time.Hour))
	require.ErrorIs(t, err, recycle.ErrStale, "nor extend")
	assert.Empty(t, claim(t, s, at(30*time.Minute), 10))
	again := claim(t, s, at(time.Hour), 10)
	require.Len(t, again, 1)
	assert.Equal(t, "Rescheduled", again[0].Task)
	assert.Equal(t, 1, again[0].Claims)
}

func testVersionsNeverReused(t *testing.T, s recycle.Store) {
	seen := map[uint64]string{}
	note := func(v uint64, what string) {
		t.Helper()
		require.NotZero(t, v, what)
		prev, dup := seen[v]
		require.False(t, dup, "version %d of %s was already used by %s", v, what, prev)
		seen[v] = what
	}
	var old []uint64
	for round := range 20 {
		e := put(t, s, entry("L-1", 0, 1))
		note(e.Version, fmt.Sprintf("put %d", round))
		now := at(time.Duration(round) * time.Hour)
		c := claim(t, s, now, 1)
		require.Len(t, c, 1)
		note(c[0].Version, fmt.Sprintf("claim %d", round))
		for _, v := range old {
			require.ErrorIs(t, s.Delete(ctx, "L-1", v), recycle.ErrStale, "an old token acks a new entry of the same lead")
		}
		old = append(old, e.Version, c[0].Version)
		if round%2 == 0 {
			require.NoError(t, s.Delete(ctx, "L-1", c[0].Version))
		} else {
			require.NoError(t, s.Delete(ctx, "L-1", 0))
		}
	}
}

func testConcurrentClaims(t *testing.T, s recycle.Store) {
	const n, workers, batch = 300, 8, 7
	want := make([]string, n)
	for i := range n {
		want[i] = fmt.Sprintf("L-%03d", i)
		put(t, s, entry(want[i], time.Duration(i%17)*time.Second, int64(i%5)))
	}
	var (
		mu   sync.Mutex
		got  []string
		errs []error
		wg   sync.WaitGroup
	)
	now := at(time.Minute)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				es, err := s.Claim(ctx, now, batch, now.Add(lease))
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				}
				got = append(got, ids(es)...)
				mu.Unlock()
				if err != nil || len(es) == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	require.Empty(t, errs)
	slices.Sort(got)
	require.Equal(t, want, got, "every entry claimed exactly once")
}

func testConcurrentConditionalWrites(t *testing.T, s recycle.Store) {
	const writers = 16
	base := put(t, s, entry("L-1", 0, 1))
	race := func(write func(i int) error) (ok int, others []error) {
		var (
			mu sync.Mutex
			wg sync.WaitGroup
		)
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := write(i)
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					ok++
				} else {
					others = append(others, err)
				}
			}()
		}
		wg.Wait()
		return ok, others
	}
	ok, errs := race(func(i int) error {
		_, err := s.Put(ctx, entry("L-1", time.Duration(i)*time.Minute, 1), base.Version)
		return err
	})
	assert.Equal(t, 1, ok, "one Put wins the same expected version")
	for _, err := range errs {
		assert.ErrorIs(t, err, recycle.ErrStale)
	}
	ok, errs = race(func(i int) error {
		_, err := s.Put(ctx, entry("L-new", time.Duration(i)*time.Minute, 1), 0)
		return err
	})
	assert.Equal(t, 1, ok, "one Put creates the entry")
	for _, err := range errs {
		assert.ErrorIs(t, err, recycle.ErrStale)
	}
	cur, err := s.Get(ctx, "L-1")
	require.NoError(t, err)
	ok, errs = race(func(int) error { return s.Delete(ctx, "L-1", cur.Version) })
	assert.Equal(t, 1, ok, "one Delete wins")
	for _, err := range errs {
		assert.True(t, isAny(err, recycle.ErrStale, recycle.ErrNotFound), "a losing Delete: %v", err)
	}
}

func isAny(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

func testContextCancelled(t *testing.T, s recycle.Store) {
	e := put(t, s, entry("L-1", 0, 1))
	c, cancel := context.WithCancel(ctx)
	cancel()
	_, err := s.Get(c, "L-1")
	assert.ErrorIs(t, err, context.Canceled, "Get")
	_, err = s.Put(c, entry("L-1", time.Hour, 1), e.Version)
	assert.ErrorIs(t, err, context.Canceled, "Put")
	_, err = s.Put(c, entry("L-2", 0, 1), 0)
	assert.ErrorIs(t, err, context.Canceled, "Put")
	assert.ErrorIs(t, s.Delete(c, "L-1", 0), context.Canceled, "Delete")
	_, err = s.Claim(c, t0, 10, at(lease))
	assert.ErrorIs(t, err, context.Canceled, "Claim")

	read, err := s.Get(ctx, "L-1")
	require.NoError(t, err, "nothing was deleted")
	assert.Equal(t, e.Version, read.Version, "nothing was written")
	assert.True(t, read.LeaseUntil.IsZero(), "nothing was claimed")
	_, err = s.Get(ctx, "L-2")
	assert.ErrorIs(t, err, recycle.ErrNotFound, "nothing was created")

	cs := claim(t, s, t0, 10)
	require.Len(t, cs, 1)
	_, err = s.Extend(c, "L-1", cs[0].Version, at(time.Hour))
	assert.ErrorIs(t, err, context.Canceled, "Extend")
	read, err = s.Get(ctx, "L-1")
	require.NoError(t, err)
	assert.True(t, read.LeaseUntil.Equal(cs[0].LeaseUntil), "nothing was extended")
}

// ordered sorts entries in claim order.
func ordered(es []recycle.Entry) {
	slices.SortFunc(es, func(a, b recycle.Entry) int {
		return cmp.Or(a.Due.Compare(b.Due), cmp.Compare(b.Rank, a.Rank), strings.Compare(a.LeadID, b.LeadID))
	})
}
