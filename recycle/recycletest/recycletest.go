// Package recycletest is the conformance suite of [recycle.Store]: the
// contract every store must keep, checked against a real instance. A host
// that implements a Store over its own database runs it from a test:
//
//	func TestStore(t *testing.T) {
//		recycletest.Run(t, func(t *testing.T) recycletest.Harness {
//			s := newTestStore(t) // empty, and cleaned up with t.Cleanup
//			return recycletest.Harness{
//				Store:   s,
//				Advance: s.AdvanceClock, // moves the store's lease clock
//				Begin:   s.beginForTest, // or nil: no transactions
//			}
//		})
//	}
//
// The suite tests only the contract documented on recycle.Store, never an
// implementation's internals: versions and schedules, conditional writes,
// leases on the store's own clock and their fencing, callers whose clocks
// are skewed by more than a lease, claim order, dead entries, statistics,
// time precision, atomicity under concurrent use, context cancellation and
// transactions of the host; then two randomised checks, one against a
// reference model of the store and one of the Scheduler's delivery
// guarantees (every scheduled lead is delivered or parked dead, none twice
// after an acknowledgement, none to two live holders, none lost) with
// workers whose clocks disagree. Every randomised check uses fixed seeds
// and logs the seed and the operations of a failing run.
//
// newHarness must return a new, empty store for each call; subtests do not
// share stores and run one after another. The callers' times in the suite
// are whole microseconds, in years 2026 to 2199; the store's clock is its
// own (a database's runs on the wall clock), moved on by Harness.Advance.
// The suite assumes that the store's clock does not move by more than a
// minute of its own during a subtest, between a claim and the checks of its
// lease. The randomised checks make some 50,000 store calls; with -short
// they make a fifth of them.
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

// Harness is a store under test, and the means to drive it.
type Harness struct {
	// Store is a new, empty store. Required.
	Store recycle.Store
	// Advance moves the store's clock forward by d: every lease ends d
	// sooner. Required: the suite does not wait for leases to run out. A
	// SQL store adds d to the database's clock in its statements; a
	// MemStore's Clock is a [Clock].
	Advance func(d time.Duration)
	// Begin starts a transaction of the host and returns the store bound
	// to it, and functions that commit and roll it back. Nil for a store
	// without transactions: the transaction tests skip.
	Begin func(t *testing.T) (tx recycle.Store, commit, rollback func() error)
}

// MemHarness returns a harness over a new MemStore whose Clock is a
// [Clock] starting at an arbitrary time unrelated to the suite's timeline.
func MemHarness(*testing.T) Harness {
	c := NewClock(time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC))
	return Harness{Store: &recycle.MemStore{Clock: c.Now}, Advance: c.Advance}
}

// t0 is the start of the suite's fixed timeline: the callers' clock.
var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// at returns t0 + d.
func at(d time.Duration) time.Time { return t0.Add(d) }

const (
	// lease is the lease of the suite's claims.
	lease = 10 * time.Minute
	// margin is a span of the store's clock that the calls of a subtest
	// take far less than.
	margin = time.Minute
)

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

// Run runs the conformance suite against the stores of harnesses made by
// newHarness, one per subtest.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, h Harness)
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
		{"ClockSkew", testClockSkew},
		{"AckedNeverAgain", testAckedNeverAgain},
		{"StaleAckAfterReclaim", testStaleAckAfterReclaim},
		{"LateAckBeforeReclaim", testLateAckBeforeReclaim},
		{"Extend", testExtend},
		{"ExtendRefused", testExtendRefused},
		{"ExtendAfterLeaseEnd", testExtendAfterLeaseEnd},
		{"Release", testRelease},
		{"PutOverClaim", testPutOverClaim},
		{"Schedule", testSchedule},
		{"Dead", testDead},
		{"Stats", testStats},
		{"InvalidArguments", testInvalidArguments},
		{"VersionsNeverReused", testVersionsNeverReused},
		{"ConcurrentClaims", testConcurrentClaims},
		{"ConcurrentConditionalWrites", testConcurrentConditionalWrites},
		{"ContextCancelled", testContextCancelled},
		{"Transaction", testTransaction},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			require.NotNil(t, h.Store, "Harness.Store")
			require.NotNil(t, h.Advance, "Harness.Advance")
			tc.fn(t, h)
		})
	}
	t.Run("Model", func(t *testing.T) { testModel(t, newHarness) })
	t.Run("Delivery", func(t *testing.T) { testDelivery(t, newHarness) })
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
	assert.Equal(t, want.Failures, got.Failures, "Failures")
	assert.Equal(t, want.LastError, got.LastError, "LastError")
	assert.Equal(t, want.Dead, got.Dead, "Dead")
}

func put(t *testing.T, s recycle.Store, e recycle.Entry) recycle.Entry {
	t.Helper()
	got, err := s.Put(ctx, e, 0)
	require.NoError(t, err, "Put(%s, 0)", e.LeadID)
	return got
}

func claim(t *testing.T, s recycle.Store, now time.Time, limit int) []recycle.Entry {
	t.Helper()
	es, err := s.Claim(ctx, now, limit, lease)
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

func testGetMissing(t *testing.T, h Harness) {
	_, err := h.Store.Get(ctx, "nobody")
	require.ErrorIs(t, err, recycle.ErrNotFound)
}

func testPutCreate(t *testing.T, h Harness) {
	s := h.Store
	e := entry("L-1", time.Hour, 7)
	e.Recycles, e.Attempt = 2, 1
	got := put(t, s, e)
	same(t, e, got)
	assert.NotZero(t, got.Version, "Version")
	assert.Equal(t, got.Version, got.Schedule, "a Put starts a schedule")
	assert.True(t, got.LeaseUntil.IsZero(), "LeaseUntil")
	assert.Zero(t, got.Claims, "Claims")

	read, err := s.Get(ctx, "L-1")
	require.NoError(t, err)
	same(t, e, read)
	assert.Equal(t, got.Version, read.Version, "Get returns the version Put returned")
	assert.Equal(t, got.Schedule, read.Schedule)
}

func testPutCreateExisting(t *testing.T, h Harness) {
	s := h.Store
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

func testPutReplace(t *testing.T, h Harness) {
	s := h.Store
	first := put(t, s, entry("L-1", time.Hour, 1))
	next := entry("L-1", 3*time.Hour, 5)
	next.Reason, next.Task, next.Recycles = lead.ReasonNoBudget, "Ask about the budget", 1
	second, err := s.Put(ctx, next, first.Version)
	require.NoError(t, err)
	same(t, next, second)
	assert.NotEqual(t, first.Version, second.Version, "every Put gives a new version")
	assert.NotZero(t, second.Version)
	assert.Equal(t, second.Version, second.Schedule, "and a new schedule")

	_, err = s.Put(ctx, entry("L-1", 9*time.Hour, 9), first.Version)
	require.ErrorIs(t, err, recycle.ErrStale, "an outdated expected version")
	read, err := s.Get(ctx, "L-1")
	require.NoError(t, err)
	same(t, next, read)
	assert.Equal(t, second.Version, read.Version)
}

func testPutReplaceMissing(t *testing.T, h Harness) {
	_, err := h.Store.Put(ctx, entry("L-1", time.Hour, 1), 12345)
	require.ErrorIs(t, err, recycle.ErrNotFound)
	_, err = h.Store.Get(ctx, "L-1")
	require.ErrorIs(t, err, recycle.ErrNotFound, "a refused Put creates nothing")
}

func testPutIgnoresStoreFields(t *testing.T, h Harness) {
	s := h.Store
	e := entry("L-1", 0, 1)
	e.Version, e.Schedule, e.LeaseUntil, e.Claims = 99, 98, at(time.Hour), 5
	got := put(t, s, e)
	assert.True(t, got.LeaseUntil.IsZero(), "LeaseUntil is the store's")
	assert.Zero(t, got.Claims, "Claims is the store's")
	assert.Equal(t, got.Version, got.Schedule, "Schedule is the store's")
	cs := claim(t, s, t0, 10)
	require.Equal(t, []string{"L-1"}, ids(cs), "a Put entry is not claimed, whatever LeaseUntil it was given")
	assert.Equal(t, 1, cs[0].Claims)
}

func testRoundTrip(t *testing.T, h Harness) {
	s := h.Store
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	long := strings.Repeat("é", recycle.MaxIDLen/2)
	cases := []recycle.Entry{
		{LeadID: "local-time", Due: time.Date(2027, 3, 28, 1, 30, 15, 123456000, zone), Reason: lead.ReasonOffshored,
			Task: "Check in", Rank: 0, Since: time.Date(2026, 3, 29, 0, 59, 59, 999999000, zone)},
		{LeadID: "far", Due: time.Date(2199, 12, 31, 23, 59, 59, 999999000, time.UTC), Reason: "host_reason",
			Task: strings.Repeat("ü", recycle.MaxTaskLen/2), Rank: math.MaxInt64, Recycles: recycle.MaxCount, Attempt: recycle.MaxCount,
			Failures: recycle.MaxCount, LastError: strings.Repeat("ß", recycle.MaxErrorLen/2), Since: t0},
		{LeadID: long, Due: t0, Reason: lead.ReasonUnresponsive, Task: "Try again (attempt 2 of 3)", Rank: math.MinInt64,
			Attempt: 1, Failures: 2, LastError: "crm: 503 Service Unavailable", Since: t0},
		{LeadID: "Ünïcødé 線索 🚀", Due: t0, Reason: lead.ReasonNoDecisionMaker, Task: "Reach the managing director",
			Rank: -1, Since: t0, Dead: true, Failures: 10, LastError: "hand-off refused: 線索"},
		// A lead's entry on one product line: its key holds U+001F.
		{LeadID: recycle.EntryKey("L-lines", "route planner"), Due: t0, Reason: lead.ReasonNoBudget, Task: "Call back",
			Rank: 5, Since: t0},
	}
	for _, e := range cases {
		got := put(t, s, e)
		same(t, e, got)
		read, err := s.Get(ctx, e.LeadID)
		require.NoError(t, err)
		same(t, e, read)
	}
	// A line's key is a key like any other: claimed and told apart from
	// the lead's own entry.
	put(t, s, entry("L-lines", time.Hour, 1))
	got := claim(t, s, at(time.Minute), 10)
	var keys []string
	for _, c := range got {
		keys = append(keys, c.LeadID)
	}
	assert.Contains(t, keys, recycle.EntryKey("L-lines", "route planner"))
	assert.NotContains(t, keys, "L-lines", "the lead's own entry is not due")
}

func testDeleteUnconditional(t *testing.T, h Harness) {
	s := h.Store
	put(t, s, entry("L-1", 0, 1))
	put(t, s, entry("L-2", 0, 1))
	require.NoError(t, s.Delete(ctx, "L-1", 0))
	_, err := s.Get(ctx, "L-1")
	require.ErrorIs(t, err, recycle.ErrNotFound)
	require.ErrorIs(t, s.Delete(ctx, "L-1", 0), recycle.ErrNotFound, "deleting twice")
	require.ErrorIs(t, s.Delete(ctx, "nobody", 0), recycle.ErrNotFound)
	assert.Equal(t, []string{"L-2"}, ids(claim(t, s, t0, 10)), "the other entry is untouched")
}

func testDeleteConditional(t *testing.T, h Harness) {
	s := h.Store
	e := put(t, s, entry("L-1", 0, 1))
	require.ErrorIs(t, s.Delete(ctx, "L-1", e.Version+1000), recycle.ErrStale)
	_, err := s.Get(ctx, "L-1")
	require.NoError(t, err, "a refused Delete deletes nothing")
	require.NoError(t, s.Delete(ctx, "L-1", e.Version))
	_, err = s.Get(ctx, "L-1")
	require.ErrorIs(t, err, recycle.ErrNotFound)
	require.ErrorIs(t, s.Delete(ctx, "L-1", e.Version), recycle.ErrNotFound)
}

func testClaimNothingDue(t *testing.T, h Harness) {
	s := h.Store
	assert.Empty(t, claim(t, s, t0, 10), "an empty store")
	e := put(t, s, entry("L-1", time.Hour, 1))
	assert.Empty(t, claim(t, s, t0, 10), "nothing due yet")
	h.Advance(48 * time.Hour)
	assert.Empty(t, claim(t, s, t0, 10), "the store's clock does not make an entry due: the caller's does")
	read, err := s.Get(ctx, "L-1")
	require.NoError(t, err)
	assert.Equal(t, e.Version, read.Version, "an entry not claimed keeps its version")
	assert.True(t, read.LeaseUntil.IsZero())
}

func testClaimDueBoundary(t *testing.T, h Harness) {
	s := h.Store
	put(t, s, entry("on-time", 0, 1))
	put(t, s, entry("a-microsecond-late", time.Microsecond, 1))
	assert.Equal(t, []string{"on-time"}, ids(claim(t, s, t0, 10)), "due at now is due; a microsecond later is not")
	assert.Equal(t, []string{"a-microsecond-late"}, ids(claim(t, s, at(time.Microsecond), 10)))
}

func testClaimOrder(t *testing.T, h Harness) {
	s := h.Store
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

	// Leases that ended come back in claim order too, among the waiting
	// entries.
	h.Advance(lease)
	put(t, s, entry("waiting", 2*time.Hour, 0))
	want = []string{"early", "rich", "B", "a", "b", "poor", "waiting", "late"}
	assert.Equal(t, want, ids(claim(t, s, now, 10)), "expired leases and waiting entries, merged in claim order")
}

func testClaimLease(t *testing.T, h Harness) {
	s := h.Store
	e := put(t, s, entry("L-1", 0, 1))
	put(t, s, entry("L-2", 0, 2))
	cs := claim(t, s, at(time.Minute), 10)
	require.Len(t, cs, 2)
	c := cs[1]
	same(t, entry("L-1", 0, 1), c)
	assert.False(t, c.LeaseUntil.IsZero(), "LeaseUntil")
	assert.True(t, cs[0].LeaseUntil.Equal(c.LeaseUntil), "one claim, one lease end")
	assert.Equal(t, 1, c.Claims)
	assert.NotEqual(t, e.Version, c.Version, "a claim gives a new version")
	assert.NotZero(t, c.Version)
	assert.Equal(t, e.Schedule, c.Schedule, "a claim keeps the schedule")
	read, err := s.Get(ctx, "L-1")
	require.NoError(t, err)
	assert.Equal(t, c.Version, read.Version)
	assert.True(t, read.LeaseUntil.Equal(c.LeaseUntil))
	assert.Equal(t, 1, read.Claims)

	// The lease is the store's clock plus the lease asked for: an
	// extension for twice the lease ends about one lease later.
	ext, err := s.Extend(ctx, "L-1", c.Version, 2*lease)
	require.NoError(t, err)
	d := ext.LeaseUntil.Sub(c.LeaseUntil)
	assert.True(t, d >= lease-margin && d <= lease+margin, "an extension by 2×%s ends %s after the claim's lease, not about %s", lease, d, lease)
}

func testClaimAfterLeaseEnd(t *testing.T, h Harness) {
	s := h.Store
	put(t, s, entry("L-1", 0, 1))
	first := claim(t, s, t0, 10)
	require.Len(t, first, 1)
	h.Advance(lease - margin)
	assert.Empty(t, claim(t, s, t0, 10), "held until the lease ends on the store's clock")
	assert.Empty(t, claim(t, s, at(1000*time.Hour), 10), "whatever the caller's clock says")
	h.Advance(margin)
	again := claim(t, s, t0, 10)
	require.Len(t, again, 1, "claimable again when the lease ends")
	assert.Equal(t, 2, again[0].Claims)
	assert.NotEqual(t, first[0].Version, again[0].Version)
	assert.Equal(t, first[0].Schedule, again[0].Schedule, "a redelivery keeps the schedule")
	assert.True(t, again[0].LeaseUntil.After(first[0].LeaseUntil))
}

// testClockSkew runs two workers whose clocks are more than a lease apart,
// and a third behind them: no lead ever has two live holders, for leases
// end on the store's clock, not on theirs.
func testClockSkew(t *testing.T, h Harness) {
	s := h.Store
	ahead, behind := 3*lease+time.Hour, -3*lease
	for _, id := range []string{"A", "B", "C"} {
		put(t, s, entry(id, 0, 0))
	}
	x := claim(t, s, t0, 1)
	require.Equal(t, []string{"A"}, ids(x), "worker X, on time")
	y := claim(t, s, t0.Add(ahead), 10)
	assert.Equal(t, []string{"B", "C"}, ids(y), "worker Y, ahead by more than a lease, does not take X's live lease")
	assert.Empty(t, claim(t, s, t0.Add(behind), 10), "worker Z, behind: nothing is due on its clock, and nothing held is freed")
	assert.Empty(t, claim(t, s, t0.Add(100*ahead), 10), "however far ahead")

	_, err := s.Extend(ctx, "A", x[0].Version, lease) // X's heartbeat
	require.NoError(t, err)
	h.Advance(lease - margin)
	assert.Empty(t, claim(t, s, t0.Add(ahead), 10), "the heartbeat kept X's lease")
	h.Advance(margin)
	z := claim(t, s, t0, 10)
	assert.Equal(t, []string{"A", "B", "C"}, ids(z), "every lease ended on the store's clock")
	require.ErrorIs(t, s.Delete(ctx, "A", x[0].Version), recycle.ErrStale, "X's late ack is refused")
	require.ErrorIs(t, s.Delete(ctx, "B", y[0].Version), recycle.ErrStale, "Y's late ack is refused")
	for _, c := range z {
		require.NoError(t, s.Delete(ctx, c.LeadID, c.Version))
	}
}

func testAckedNeverAgain(t *testing.T, h Harness) {
	s := h.Store
	put(t, s, entry("L-1", 0, 1))
	c := claim(t, s, t0, 10)
	require.Len(t, c, 1)
	require.NoError(t, s.Delete(ctx, "L-1", c[0].Version))
	for _, d := range []time.Duration{0, lease, 24 * time.Hour, 400 * 24 * time.Hour} {
		h.Advance(d)
		assert.Empty(t, claim(t, s, at(d), 10), "after the ack, at t0+%s", d)
	}
}

func testStaleAckAfterReclaim(t *testing.T, h Harness) {
	s := h.Store
	put(t, s, entry("L-1", 0, 1))
	first := claim(t, s, t0, 10)
	require.Len(t, first, 1)
	h.Advance(lease)
	second := claim(t, s, t0, 10)
	require.Len(t, second, 1)
	require.ErrorIs(t, s.Delete(ctx, "L-1", first[0].Version), recycle.ErrStale, "the first claim was superseded")
	require.NoError(t, s.Delete(ctx, "L-1", second[0].Version))
	require.ErrorIs(t, s.Delete(ctx, "L-1", first[0].Version), recycle.ErrNotFound, "acknowledged by the second")
}

func testLateAckBeforeReclaim(t *testing.T, h Harness) {
	s := h.Store
	put(t, s, entry("A", time.Hour, 1))
	a := claim(t, s, at(time.Hour), 1)
	require.Equal(t, []string{"A"}, ids(a))
	// B is due before A: after A's lease ends, a claim of one takes B, and
	// A's expired claim is still the current one.
	put(t, s, entry("B", 0, 1))
	h.Advance(lease + margin)
	b := claim(t, s, at(time.Hour), 1)
	require.Equal(t, []string{"B"}, ids(b))
	require.NoError(t, s.Delete(ctx, "A", a[0].Version), "a late ack before anyone claimed again")
	h.Advance(lease - margin)
	assert.Empty(t, claim(t, s, at(time.Hour), 10), "A acked, B held")
	_, err := s.Get(ctx, "A")
	require.ErrorIs(t, err, recycle.ErrNotFound)
}

func testExtend(t *testing.T, h Harness) {
	s := h.Store
	put(t, s, entry("L-1", 0, 1))
	c := claim(t, s, t0, 10)
	require.Len(t, c, 1)
	ext, err := s.Extend(ctx, "L-1", c[0].Version, 6*lease)
	require.NoError(t, err)
	assert.Equal(t, c[0].Version, ext.Version, "Extend keeps the version")
	assert.Equal(t, c[0].Schedule, ext.Schedule, "and the schedule")
	assert.True(t, ext.LeaseUntil.After(c[0].LeaseUntil))
	assert.Equal(t, 1, ext.Claims)
	read, err := s.Get(ctx, "L-1")
	require.NoError(t, err)
	assert.True(t, read.LeaseUntil.Equal(ext.LeaseUntil))
	h.Advance(lease)
	assert.Empty(t, claim(t, s, t0, 10), "the old lease end no longer frees it")
	h.Advance(5 * lease)
	again := claim(t, s, t0, 10)
	require.Len(t, again, 1, "the new lease end does")
	require.ErrorIs(t, s.Delete(ctx, "L-1", c[0].Version), recycle.ErrStale)
}

func testExtendRefused(t *testing.T, h Harness) {
	s := h.Store
	e := put(t, s, entry("L-1", 0, 1))
	_, err := s.Extend(ctx, "L-1", e.Version, lease)
	require.ErrorIs(t, err, recycle.ErrStale, "an entry that is not claimed")
	c := claim(t, s, t0, 10)
	require.Len(t, c, 1)
	_, err = s.Extend(ctx, "L-1", c[0].Version+1000, lease)
	require.ErrorIs(t, err, recycle.ErrStale, "another version")
	_, err = s.Extend(ctx, "nobody", c[0].Version, lease)
	require.ErrorIs(t, err, recycle.ErrNotFound)
	read, err := s.Get(ctx, "L-1")
	require.NoError(t, err)
	assert.True(t, read.LeaseUntil.Equal(c[0].LeaseUntil), "refused extensions change nothing")
}

func testExtendAfterLeaseEnd(t *testing.T, h Harness) {
	s := h.Store
	put(t, s, entry("L-1", 0, 1))
	c := claim(t, s, t0, 10)
	require.Len(t, c, 1)
	h.Advance(lease + margin)
	_, err := s.Extend(ctx, "L-1", c[0].Version, lease)
	require.NoError(t, err, "no one claimed it since: the claim may still be extended")
	assert.Empty(t, claim(t, s, t0, 10))
	h.Advance(lease)
	again := claim(t, s, t0, 10)
	require.Len(t, again, 1)
	assert.Equal(t, 2, again[0].Claims)
	_, err = s.Extend(ctx, "L-1", c[0].Version, lease)
	require.ErrorIs(t, err, recycle.ErrStale, "claimed again since")
}

func testRelease(t *testing.T, h Harness) {
	s := h.Store
	put(t, s, entry("L-1", 0, 1))
	now := at(time.Minute)
	c := claim(t, s, now, 10)
	require.Len(t, c, 1)
	rel, err := s.Extend(ctx, "L-1", c[0].Version, 0)
	require.NoError(t, err)
	assert.Equal(t, 0, rel.Claims, "a released claim does not count")
	_, err = s.Extend(ctx, "L-1", c[0].Version, 0)
	require.NoError(t, err, "a release may be repeated")
	again := claim(t, s, now, 10)
	require.Len(t, again, 1, "a lease of zero is a release: claimable at once")
	assert.Equal(t, 1, again[0].Claims, "released claims are not counted")

	h.Advance(lease)
	rel, err = s.Extend(ctx, "L-1", again[0].Version, 0)
	require.NoError(t, err, "released after its lease ran out")
	assert.Equal(t, 1, rel.Claims, "a claim whose lease ran out counts, released or not")
	third := claim(t, s, now, 10)
	require.Len(t, third, 1)
	assert.Equal(t, 2, third[0].Claims)
}

func testPutOverClaim(t *testing.T, h Harness) {
	s := h.Store
	put(t, s, entry("L-1", 0, 1))
	c := claim(t, s, t0, 10)
	require.Len(t, c, 1)
	next := entry("L-1", time.Hour, 1)
	next.Task = "Rescheduled"
	e, err := s.Put(ctx, next, c[0].Version)
	require.NoError(t, err, "the claim's version is the current one")
	assert.True(t, e.LeaseUntil.IsZero(), "a Put ends the claim")
	assert.Zero(t, e.Claims)
	assert.NotEqual(t, c[0].Schedule, e.Schedule, "a Put starts a new schedule")
	require.ErrorIs(t, s.Delete(ctx, "L-1", c[0].Version), recycle.ErrStale, "the old claim cannot ack")
	_, err = s.Extend(ctx, "L-1", c[0].Version, lease)
	require.ErrorIs(t, err, recycle.ErrStale, "nor extend")
	assert.Empty(t, claim(t, s, at(30*time.Minute), 10))
	again := claim(t, s, at(time.Hour), 10)
	require.Len(t, again, 1)
	assert.Equal(t, "Rescheduled", again[0].Task)
	assert.Equal(t, 1, again[0].Claims)
}

// testSchedule checks the idempotency key: the same for every claim of one
// schedule, new for a new schedule.
func testSchedule(t *testing.T, h Harness) {
	s := h.Store
	e := put(t, s, entry("L-1", 0, 1))
	keys := map[string]bool{}
	c := claim(t, s, t0, 1)
	require.Len(t, c, 1)
	assert.Equal(t, e.IdempotencyKey(), c[0].IdempotencyKey())
	keys[c[0].IdempotencyKey()] = true
	h.Advance(lease)
	again := claim(t, s, t0, 1)
	require.Len(t, again, 1)
	assert.Equal(t, e.IdempotencyKey(), again[0].IdempotencyKey(), "a redelivery has the key of the first delivery")
	next, err := s.Put(ctx, entry("L-1", 0, 1), again[0].Version)
	require.NoError(t, err)
	assert.NotEqual(t, e.IdempotencyKey(), next.IdempotencyKey(), "a new schedule, a new key")
	kept := entry("L-1", time.Hour, 1)
	kept.Schedule, kept.Failures, kept.LastError = next.Schedule, 1, "crm: 503"
	rewritten, err := s.Put(ctx, kept, next.Version)
	require.NoError(t, err)
	assert.Equal(t, next.IdempotencyKey(), rewritten.IdempotencyKey(), "a Put that names the stored schedule keeps it")
	assert.NotEqual(t, next.Version, rewritten.Version, "with a new version")
	other := kept
	other.Schedule = e.Schedule
	rewritten, err = s.Put(ctx, other, rewritten.Version)
	require.NoError(t, err)
	assert.Equal(t, rewritten.Version, rewritten.Schedule, "a Put that names another schedule starts a new one")
	require.NoError(t, s.Delete(ctx, "L-1", 0))
	fresh := put(t, s, entry("L-1", 0, 1))
	assert.False(t, keys[fresh.IdempotencyKey()] || fresh.IdempotencyKey() == next.IdempotencyKey(), "never a key used before, even after a delete")
	assert.Equal(t, fmt.Sprintf("L-1@%d", fresh.Schedule), fresh.IdempotencyKey())
}

// testDead checks dead entries: never claimed, listed in lead ID order,
// counted, and requeued by a Put.
func testDead(t *testing.T, h Harness) {
	s := h.Store
	for _, id := range []string{"d-3", "d-1", "live", "d-2", "D-0"} {
		e := entry(id, 0, 1)
		e.Dead = id != "live"
		if e.Dead {
			e.Failures, e.LastError = 10, "crm: 503 for "+id
		}
		put(t, s, e)
	}
	assert.Equal(t, []string{"live"}, ids(claim(t, s, at(1000*time.Hour), 10)), "dead entries are never claimed")

	var all []recycle.Entry
	for after := ""; ; {
		page, err := s.Dead(ctx, after, 2)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page), 2)
		if len(page) == 0 {
			break
		}
		all = append(all, page...)
		after = page[len(page)-1].LeadID
	}
	assert.Equal(t, []string{"D-0", "d-1", "d-2", "d-3"}, ids(all), "listed in lead ID order, byte-wise, page by page")
	for _, e := range all {
		assert.True(t, e.Dead)
		assert.Equal(t, 10, e.Failures)
		assert.Equal(t, "crm: 503 for "+e.LeadID, e.LastError)
	}
	st, err := s.Stats(ctx, t0)
	require.NoError(t, err)
	assert.Equal(t, int64(4), st.Dead)
	assert.Equal(t, int64(1), st.Scheduled, "dead entries are not scheduled")

	// Requeued: a Put that clears Dead.
	d := all[1]
	d.Dead, d.Failures, d.LastError = false, 0, ""
	requeued, err := s.Put(ctx, d, d.Version)
	require.NoError(t, err)
	assert.False(t, requeued.Dead)
	assert.Equal(t, []string{"d-1"}, ids(claim(t, s, t0, 10)))
	page, err := s.Dead(ctx, "", 10)
	require.NoError(t, err)
	assert.Equal(t, []string{"D-0", "d-2", "d-3"}, ids(page))

	// A Put that makes a claimed entry dead ends the claim.
	c, err := s.Get(ctx, "live")
	require.NoError(t, err)
	c.Dead = true
	got, err := s.Put(ctx, c, c.Version)
	require.NoError(t, err)
	assert.True(t, got.LeaseUntil.IsZero())
	h.Advance(10 * lease)
	assert.Equal(t, []string{"d-1"}, ids(claim(t, s, at(time.Hour), 10)), "only the requeued lead's lease ran out")
	require.ErrorIs(t, s.Delete(ctx, "live", c.Version), recycle.ErrStale)
}

// testStats builds every state an entry can be in and counts them.
func testStats(t *testing.T, h Harness) {
	s := h.Store
	st, err := s.Stats(ctx, t0)
	require.NoError(t, err)
	assert.Equal(t, recycle.Stats{}, st, "an empty store")

	put(t, s, entry("later", time.Hour, 0))    // scheduled, not due
	put(t, s, entry("due-1", -time.Hour, 0))   // due
	put(t, s, entry("due-2", -time.Minute, 0)) // due
	put(t, s, entry("held", -2*time.Hour, 9))  // claimed below, lease running
	put(t, s, entry("gone", -3*time.Hour, 9))  // claimed below, lease ended
	dead := entry("dead", -4*time.Hour, 0)
	dead.Dead = true
	put(t, s, dead)
	c := claim(t, s, at(-2*time.Hour), 2)
	require.Equal(t, []string{"gone", "held"}, ids(c))
	h.Advance(lease)
	_, err = s.Extend(ctx, "held", c[1].Version, lease) // a heartbeat
	require.NoError(t, err)

	st, err = s.Stats(ctx, t0)
	require.NoError(t, err)
	assert.Equal(t, recycle.Stats{
		Scheduled: 5,
		Due:       3, // due-1, due-2, and gone, whose lease ended
		Leased:    1,
		Expired:   1,
		Dead:      1,
		OldestDue: at(-3 * time.Hour),
	}, normal(st))
	st, err = s.Stats(ctx, at(-90*time.Minute))
	require.NoError(t, err)
	assert.Equal(t, int64(1), st.Due, "due on the caller's clock: only gone")
	assert.Equal(t, int64(1), st.Expired)
	h.Advance(lease)
	st, err = s.Stats(ctx, at(2*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, recycle.Stats{Scheduled: 5, Due: 5, Expired: 2, Dead: 1, OldestDue: at(-3 * time.Hour)}, normal(st))
}

// normal returns st with its time in UTC, for comparison.
func normal(st recycle.Stats) recycle.Stats {
	if !st.OldestDue.IsZero() {
		st.OldestDue = st.OldestDue.UTC()
	}
	return st
}

// testInvalidArguments checks that limits and leases out of range are
// refused with an error wrapping ErrInvalid, changing nothing.
func testInvalidArguments(t *testing.T, h Harness) {
	s := h.Store
	e := put(t, s, entry("L-1", 0, 1))
	for _, c := range []struct {
		name  string
		limit int
		lease time.Duration
	}{{"limit 0", 0, lease}, {"negative limit", -1, lease}, {"lease 0", 1, 0}, {"negative lease", 1, -time.Second}} {
		_, err := s.Claim(ctx, t0, c.limit, c.lease)
		assert.ErrorIs(t, err, recycle.ErrInvalid, "Claim: %s", c.name)
	}
	cs := claim(t, s, t0, 1)
	require.Len(t, cs, 1)
	_, err := s.Extend(ctx, "L-1", cs[0].Version, -time.Second)
	assert.ErrorIs(t, err, recycle.ErrInvalid, "Extend: negative lease")
	_, err = s.Dead(ctx, "", 0)
	assert.ErrorIs(t, err, recycle.ErrInvalid, "Dead: limit 0")
	_, err = s.Put(ctx, recycle.Entry{LeadID: "L-2"}, 0)
	assert.ErrorIs(t, err, recycle.ErrInvalid, "Put: an invalid entry")
	read, err := s.Get(ctx, "L-1")
	require.NoError(t, err)
	assert.Equal(t, cs[0].Version, read.Version)
	assert.True(t, read.LeaseUntil.Equal(cs[0].LeaseUntil))
	assert.NotEqual(t, e.Version, read.Version)
}

func testVersionsNeverReused(t *testing.T, h Harness) {
	s := h.Store
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

func testConcurrentClaims(t *testing.T, h Harness) {
	s := h.Store
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
	for w := range workers {
		// The workers' clocks disagree by up to 8 days.
		now := at(time.Minute + time.Duration(w)*24*time.Hour)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				es, err := s.Claim(ctx, now, batch, lease)
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

func testConcurrentConditionalWrites(t *testing.T, h Harness) {
	s := h.Store
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

func testContextCancelled(t *testing.T, h Harness) {
	s := h.Store
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
	_, err = s.Claim(c, t0, 10, lease)
	assert.ErrorIs(t, err, context.Canceled, "Claim")
	_, err = s.Dead(c, "", 10)
	assert.ErrorIs(t, err, context.Canceled, "Dead")
	_, err = s.Stats(c, t0)
	assert.ErrorIs(t, err, context.Canceled, "Stats")

	read, err := s.Get(ctx, "L-1")
	require.NoError(t, err, "nothing was deleted")
	assert.Equal(t, e.Version, read.Version, "nothing was written")
	assert.True(t, read.LeaseUntil.IsZero(), "nothing was claimed")
	_, err = s.Get(ctx, "L-2")
	assert.ErrorIs(t, err, recycle.ErrNotFound, "nothing was created")

	cs := claim(t, s, t0, 10)
	require.Len(t, cs, 1)
	_, err = s.Extend(c, "L-1", cs[0].Version, 2*lease)
	assert.ErrorIs(t, err, context.Canceled, "Extend")
	read, err = s.Get(ctx, "L-1")
	require.NoError(t, err)
	assert.True(t, read.LeaseUntil.Equal(cs[0].LeaseUntil), "nothing was extended")
}

// testTransaction checks a store bound to a transaction of the host: its
// writes take effect when the host commits, and vanish when it rolls back.
func testTransaction(t *testing.T, h Harness) {
	if h.Begin == nil {
		t.Skip("the store has no transactions (Harness.Begin is nil)")
	}
	s := h.Store
	put(t, s, entry("acked", 0, 1))
	put(t, s, entry("claimed", 0, 2))
	put(t, s, entry("rescheduled", 0, 3))

	// Rolled back: nothing happened.
	tx, commit, rollback := h.Begin(t)
	_, err := tx.Put(ctx, entry("new", 0, 0), 0)
	require.NoError(t, err)
	got, err := tx.Get(ctx, "new")
	require.NoError(t, err, "a transaction reads its own writes")
	same(t, entry("new", 0, 0), got)
	c, err := tx.Claim(ctx, t0, 1, lease)
	require.NoError(t, err)
	require.Equal(t, []string{"rescheduled"}, ids(c), "highest rank first")
	require.NoError(t, tx.Delete(ctx, "acked", 0))
	require.NoError(t, rollback())
	_, err = s.Get(ctx, "new")
	require.ErrorIs(t, err, recycle.ErrNotFound, "a rolled back Put")
	for _, id := range []string{"acked", "claimed", "rescheduled"} {
		e, err := s.Get(ctx, id)
		require.NoError(t, err, "a rolled back Delete: %s", id)
		assert.True(t, e.LeaseUntil.IsZero(), "a rolled back Claim: %s", id)
	}
	_ = commit // a rolled back transaction is not committed

	// Committed: all of it happened, together.
	tx, commit, _ = h.Begin(t)
	_, err = tx.Put(ctx, entry("new", 0, 0), 0)
	require.NoError(t, err)
	c, err = tx.Claim(ctx, t0, 2, lease)
	require.NoError(t, err)
	require.Equal(t, []string{"rescheduled", "claimed"}, ids(c))
	require.NoError(t, tx.Delete(ctx, "claimed", c[1].Version), "an acknowledgement in the host's transaction")
	_, err = tx.Put(ctx, entry("rescheduled", time.Hour, 3), c[0].Version)
	require.NoError(t, err)
	require.NoError(t, commit())
	_, err = s.Get(ctx, "new")
	require.NoError(t, err, "a committed Put")
	_, err = s.Get(ctx, "claimed")
	require.ErrorIs(t, err, recycle.ErrNotFound, "a committed acknowledgement")
	e, err := s.Get(ctx, "rescheduled")
	require.NoError(t, err)
	assert.True(t, e.Due.Equal(at(time.Hour)), "a committed reschedule")
	assert.Equal(t, []string{"acked", "new"}, ids(claim(t, s, t0, 10)))
}

// ordered sorts entries in claim order.
func ordered(es []recycle.Entry) {
	slices.SortFunc(es, func(a, b recycle.Entry) int {
		return cmp.Or(a.Due.Compare(b.Due), cmp.Compare(b.Rank, a.Rank), strings.Compare(a.LeadID, b.LeadID))
	})
}
