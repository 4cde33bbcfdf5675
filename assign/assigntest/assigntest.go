// Package assigntest is the conformance suite of [assign.State]: the
// contract every state must keep, checked against a real instance. A host
// that implements a State over its own database runs it from a test:
//
//	func TestState(t *testing.T) {
//		assigntest.Run(t, func(t *testing.T) assign.State {
//			return newTestState(t) // empty, and cleaned up with t.Cleanup
//		})
//	}
//
// The suite tests only the contract documented on assign.State, never an
// implementation's internals: versions, conditional writes, loads and
// their moves, capacity (under concurrent writers too), deletes, time
// precision and context cancellation; then a randomised check against a
// reference model, with fixed seeds, that logs the operations of a
// failing run.
//
// newState must return a new, empty state for each call; subtests do not
// share states and run one after another. Times in the suite are whole
// microseconds.
package assigntest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leadqual/leadqual/assign"
)

// t0 is the start of the suite's fixed timeline.
var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func rec(lead, owner string) assign.Assignment {
	return assign.Assignment{Lead: lead, Owner: owner, Basis: assign.BasisRule, Rule: "everyone", Reason: "a reason", At: t0}
}

// Run runs the conformance suite against states made by newState, one per
// subtest.
func Run(t *testing.T, newState func(t *testing.T) assign.State) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s assign.State)
	}{
		{"GetMissing", testGetMissing},
		{"PutCreate", testPutCreate},
		{"PutCreateExisting", testPutCreateExisting},
		{"PutReplace", testPutReplace},
		{"PutReplaceMissing", testPutReplaceMissing},
		{"VersionsIncrease", testVersionsIncrease},
		{"Loads", testLoads},
		{"MoveOwner", testMoveOwner},
		{"KeepOwner", testKeepOwner},
		{"Capacity", testCapacity},
		{"Delete", testDelete},
		{"TimePrecision", testTimePrecision},
		{"ContextCancelled", testContextCancelled},
		{"ConcurrentCapacity", testConcurrentCapacity},
		{"ConcurrentReplace", testConcurrentReplace},
		{"Model", testModel},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newState(t))
		})
	}
}

var ctx = context.Background()

func put(t *testing.T, s assign.State, a assign.Assignment, expect uint64, capacity int) assign.Assignment {
	t.Helper()
	got, err := s.Put(ctx, a, expect, capacity)
	require.NoError(t, err)
	return got
}

func loads(t *testing.T, s assign.State, owners ...string) []assign.Load {
	t.Helper()
	got, err := s.Loads(ctx, owners, nil)
	require.NoError(t, err)
	require.Len(t, got, len(owners))
	// Loads appends: into a buffer holding something already, the same.
	buf := []assign.Load{{Owner: "kept"}}
	again, err := s.Loads(ctx, owners, buf)
	require.NoError(t, err)
	require.Equal(t, buf[0], again[0])
	require.Equal(t, append([]assign.Load{}, got...), append([]assign.Load{}, again[1:]...))
	return got
}

func testGetMissing(t *testing.T, s assign.State) {
	_, err := s.Get(ctx, "nobody")
	assert.ErrorIs(t, err, assign.ErrNotFound)
	err = s.Delete(ctx, "nobody", 0)
	assert.ErrorIs(t, err, assign.ErrNotFound)
}

func testPutCreate(t *testing.T, s assign.State) {
	a := rec("L-1", "ann")
	a.Escalation = assign.Escalation{Due: t0.Add(5 * time.Minute), Step: 2, At: t0.Add(time.Hour)}
	got := put(t, s, a, 0, 0)
	assert.NotZero(t, got.Version)
	back, err := s.Get(ctx, "L-1")
	require.NoError(t, err)
	assert.Equal(t, got.Version, back.Version)
	for _, x := range []assign.Assignment{got, back} {
		assert.Equal(t, "L-1", x.Lead)
		assert.Equal(t, "ann", x.Owner)
		assert.Equal(t, assign.BasisRule, x.Basis)
		assert.Equal(t, "everyone", x.Rule)
		assert.Equal(t, "a reason", x.Reason)
		assert.True(t, t0.Equal(x.At))
		assert.True(t, a.Escalation.Due.Equal(x.Escalation.Due))
		assert.Equal(t, 2, x.Escalation.Step)
		assert.True(t, a.Escalation.At.Equal(x.Escalation.At))
	}
}

func testPutCreateExisting(t *testing.T, s assign.State) {
	put(t, s, rec("L-1", "ann"), 0, 0)
	_, err := s.Put(ctx, rec("L-1", "bob"), 0, 0)
	assert.ErrorIs(t, err, assign.ErrStale)
	back, err := s.Get(ctx, "L-1")
	require.NoError(t, err)
	assert.Equal(t, "ann", back.Owner, "unchanged")
	assert.Equal(t, []assign.Load{{Owner: "ann", Open: 1, Last: back.Version}, {Owner: "bob"}}, loads(t, s, "ann", "bob"))
}

func testPutReplace(t *testing.T, s assign.State) {
	first := put(t, s, rec("L-1", "ann"), 0, 0)
	a := first
	a.Reason = "changed"
	second := put(t, s, a, first.Version, 0)
	assert.Greater(t, second.Version, first.Version)
	assert.Equal(t, "changed", second.Reason)

	_, err := s.Put(ctx, a, first.Version, 0)
	assert.ErrorIs(t, err, assign.ErrStale, "a stale version")
	back, err := s.Get(ctx, "L-1")
	require.NoError(t, err)
	assert.Equal(t, second.Version, back.Version)
}

func testPutReplaceMissing(t *testing.T, s assign.State) {
	_, err := s.Put(ctx, rec("L-1", "ann"), 42, 0)
	assert.ErrorIs(t, err, assign.ErrNotFound)
	_, err = s.Get(ctx, "L-1")
	assert.ErrorIs(t, err, assign.ErrNotFound)
}

func testVersionsIncrease(t *testing.T, s assign.State) {
	var last uint64
	for i := range 20 {
		a := put(t, s, rec(fmt.Sprint("L-", i%5), "ann"), 0, 0)
		assert.Greater(t, a.Version, last)
		last = a.Version
		require.NoError(t, s.Delete(ctx, a.Lead, a.Version))
	}
	a := put(t, s, rec("L-1", "ann"), 0, 0)
	b := put(t, s, a, a.Version, 0)
	assert.Greater(t, b.Version, a.Version, "an update is a new version too")
}

func testLoads(t *testing.T, s assign.State) {
	var lastAnn, lastBob uint64
	for i := range 3 {
		lastAnn = put(t, s, rec(fmt.Sprint("A-", i), "ann"), 0, 0).Version
	}
	lastBob = put(t, s, rec("B-1", "bob"), 0, 0).Version
	assert.Equal(t, []assign.Load{
		{Owner: "bob", Open: 1, Last: lastBob},
		{Owner: "cid"},
		{Owner: "ann", Open: 3, Last: lastAnn},
	}, loads(t, s, "bob", "cid", "ann"), "in the order asked, the unknown as zero")
	assert.Empty(t, loads(t, s))
}

func testMoveOwner(t *testing.T, s assign.State) {
	a := put(t, s, rec("L-1", "ann"), 0, 0)
	put(t, s, rec("L-2", "ann"), 0, 0)
	a.Owner = "bob"
	moved := put(t, s, a, a.Version, 0)
	got := loads(t, s, "ann", "bob")
	assert.Equal(t, 1, got[0].Open)
	assert.Equal(t, assign.Load{Owner: "bob", Open: 1, Last: moved.Version}, got[1])
}

func testKeepOwner(t *testing.T, s assign.State) {
	a := put(t, s, rec("L-1", "ann"), 0, 1)
	a.Escalation = assign.Escalation{Due: t0, Step: 1, At: t0}
	put(t, s, a, a.Version, 1) // at capacity, but the owner stays: no check
	assert.Equal(t, []assign.Load{{Owner: "ann", Open: 1, Last: a.Version}}, loads(t, s, "ann"), "Last is the assignment's, not the update's")
}

func testCapacity(t *testing.T, s assign.State) {
	put(t, s, rec("L-1", "ann"), 0, 2)
	put(t, s, rec("L-2", "ann"), 0, 2)
	_, err := s.Put(ctx, rec("L-3", "ann"), 0, 2)
	assert.ErrorIs(t, err, assign.ErrFull)
	_, err = s.Get(ctx, "L-3")
	assert.ErrorIs(t, err, assign.ErrNotFound, "nothing written")
	assert.Equal(t, 2, loads(t, s, "ann")[0].Open)

	// A move to a full owner fails and leaves the record where it was.
	b := put(t, s, rec("L-4", "bob"), 0, 2)
	b.Owner = "ann"
	_, err = s.Put(ctx, b, b.Version, 2)
	assert.ErrorIs(t, err, assign.ErrFull)
	back, err := s.Get(ctx, "L-4")
	require.NoError(t, err)
	assert.Equal(t, "bob", back.Owner)

	// Capacity 0 is no limit.
	for i := range 10 {
		put(t, s, rec(fmt.Sprint("C-", i), "ann"), 0, 0)
	}
	assert.Equal(t, 12, loads(t, s, "ann")[0].Open)
}

func testDelete(t *testing.T, s assign.State) {
	a := put(t, s, rec("L-1", "ann"), 0, 0)
	put(t, s, rec("L-2", "ann"), 0, 0)
	assert.ErrorIs(t, s.Delete(ctx, "L-1", a.Version+1000), assign.ErrStale)
	require.NoError(t, s.Delete(ctx, "L-1", a.Version))
	_, err := s.Get(ctx, "L-1")
	assert.ErrorIs(t, err, assign.ErrNotFound)
	assert.Equal(t, 1, loads(t, s, "ann")[0].Open)
	require.NoError(t, s.Delete(ctx, "L-2", 0), "unconditional")
	assert.Equal(t, 0, loads(t, s, "ann")[0].Open)
	assert.ErrorIs(t, s.Delete(ctx, "L-2", 0), assign.ErrNotFound)
}

func testTimePrecision(t *testing.T, s assign.State) {
	tokyo := time.FixedZone("JST", 9*3600)
	at := time.Date(2026, 11, 23, 18, 30, 15, 123456000, tokyo)
	a := rec("L-1", "ann")
	a.At = at
	a.Escalation = assign.Escalation{Due: at.Add(time.Microsecond), Step: 1, At: at.Add(2 * time.Microsecond)}
	put(t, s, a, 0, 0)
	back, err := s.Get(ctx, "L-1")
	require.NoError(t, err)
	assert.True(t, at.Equal(back.At), "want %s, got %s", at, back.At)
	assert.True(t, a.Escalation.Due.Equal(back.Escalation.Due))
	assert.True(t, a.Escalation.At.Equal(back.Escalation.At))
}

func testContextCancelled(t *testing.T, s assign.State) {
	a := put(t, s, rec("L-1", "ann"), 0, 0)
	done, cancel := context.WithCancel(ctx)
	cancel()
	_, err := s.Get(done, "L-1")
	assert.ErrorIs(t, err, context.Canceled)
	_, err = s.Loads(done, []string{"ann"}, nil)
	assert.ErrorIs(t, err, context.Canceled)
	_, err = s.Put(done, rec("L-2", "ann"), 0, 0)
	assert.ErrorIs(t, err, context.Canceled)
	err = s.Delete(done, "L-1", 0)
	assert.ErrorIs(t, err, context.Canceled)

	back, err := s.Get(ctx, "L-1")
	require.NoError(t, err)
	assert.Equal(t, a.Version, back.Version, "nothing changed")
	_, err = s.Get(ctx, "L-2")
	assert.ErrorIs(t, err, assign.ErrNotFound)
	assert.Equal(t, 1, loads(t, s, "ann")[0].Open)
}

func testConcurrentCapacity(t *testing.T, s assign.State) {
	const writers, capacity = 24, 5
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.Put(ctx, rec(fmt.Sprint("L-", i), "ann"), 0, capacity)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			assert.ErrorIs(t, err, assign.ErrFull)
		}
	}
	assert.Equal(t, capacity, ok, "exactly the capacity succeeds")
	assert.Equal(t, capacity, loads(t, s, "ann")[0].Open)
}

func testConcurrentReplace(t *testing.T, s assign.State) {
	a := put(t, s, rec("L-1", "ann"), 0, 0)
	const writers = 16
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := a
			b.Owner = fmt.Sprint("owner-", i)
			_, errs[i] = s.Put(ctx, b, a.Version, 0)
		}()
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		if err == nil {
			require.Equal(t, -1, won, "two writers won")
			won = i
		} else {
			assert.ErrorIs(t, err, assign.ErrStale)
		}
	}
	require.NotEqual(t, -1, won, "one writer wins")
	winner := fmt.Sprint("owner-", won)
	back, err := s.Get(ctx, "L-1")
	require.NoError(t, err)
	assert.Equal(t, winner, back.Owner)
	got := loads(t, s, "ann", winner)
	assert.Equal(t, 0, got[0].Open)
	assert.Equal(t, 1, got[1].Open)
}

// model is the reference: what a State must hold after a sequence of calls.
type model struct {
	recs  map[string]assign.Assignment
	open  map[string]int
	last  map[string]uint64
	maxV  uint64
	steps []string
}

func testModel(t *testing.T, s assign.State) {
	n := 3000
	if testing.Short() {
		n = 600
	}
	// One model across the seeds: the State keeps its loads and versions.
	m := &model{recs: map[string]assign.Assignment{}, open: map[string]int{}, last: map[string]uint64{}}
	for _, seed := range []uint64{1, 2} {
		r := rand.New(rand.NewPCG(seed, 99))
		m.steps = nil
		owners := []string{"ann", "bob", "cid", "dee"}
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("seed %d, after %d steps:\n%s\n%s", seed, len(m.steps), strings.Join(m.steps, "\n"), fmt.Sprintf(format, args...))
		}
		for range n / 2 {
			id := fmt.Sprint("L-", r.IntN(40))
			owner := owners[r.IntN(len(owners))]
			cur, exists := m.recs[id]
			switch r.IntN(4) {
			case 0, 1: // put: create, replace, or with a wrong expectation
				var expect uint64
				if exists && r.IntN(5) > 0 {
					expect = cur.Version
				} else if r.IntN(3) == 0 {
					expect = m.maxV + 1000
				}
				capacity := r.IntN(4) * 4
				a := rec(id, owner)
				a.Escalation = assign.Escalation{Step: r.IntN(3)}
				m.steps = append(m.steps, fmt.Sprintf("Put(%s -> %s, expect %d, capacity %d)", id, owner, expect, capacity))
				got, err := s.Put(ctx, a, expect, capacity)
				moves := !exists || cur.Owner != owner
				switch {
				case expect == 0 && exists, expect != 0 && exists && cur.Version != expect:
					if !errors.Is(err, assign.ErrStale) {
						fail("want ErrStale, got %v", err)
					}
				case expect != 0 && !exists:
					if !errors.Is(err, assign.ErrNotFound) {
						fail("want ErrNotFound, got %v", err)
					}
				case moves && capacity > 0 && m.open[owner] >= capacity:
					if !errors.Is(err, assign.ErrFull) {
						fail("want ErrFull, got %v", err)
					}
				default:
					if err != nil {
						fail("want success, got %v", err)
					}
					if got.Version <= m.maxV {
						fail("version %d is not above %d", got.Version, m.maxV)
					}
					m.maxV = got.Version
					if moves {
						if exists {
							m.open[cur.Owner]--
						}
						m.open[owner]++
						m.last[owner] = got.Version
					}
					m.recs[id] = got
				}
			case 2: // delete
				var expect uint64
				if exists && r.IntN(4) > 0 {
					expect = cur.Version
				} else if exists && r.IntN(2) == 0 {
					expect = cur.Version + 1
				}
				m.steps = append(m.steps, fmt.Sprintf("Delete(%s, expect %d)", id, expect))
				err := s.Delete(ctx, id, expect)
				switch {
				case !exists:
					if !errors.Is(err, assign.ErrNotFound) {
						fail("want ErrNotFound, got %v", err)
					}
				case expect != 0 && expect != cur.Version:
					if !errors.Is(err, assign.ErrStale) {
						fail("want ErrStale, got %v", err)
					}
				default:
					if err != nil {
						fail("want success, got %v", err)
					}
					m.open[cur.Owner]--
					delete(m.recs, id)
				}
			case 3: // read
				m.steps = append(m.steps, fmt.Sprintf("Get(%s)", id))
				got, err := s.Get(ctx, id)
				switch {
				case !exists && !errors.Is(err, assign.ErrNotFound):
					fail("want ErrNotFound, got %v", err)
				case exists && (err != nil || got.Version != cur.Version || got.Owner != cur.Owner):
					fail("want %+v, got %+v, %v", cur, got, err)
				}
			}
			if len(m.steps)%50 == 0 {
				got := loads(t, s, owners...)
				for i, o := range owners {
					if got[i] != (assign.Load{Owner: o, Open: m.open[o], Last: m.last[o]}) {
						fail("loads of %s: want open %d last %d, got %+v", o, m.open[o], m.last[o], got[i])
					}
				}
			}
		}
		// Clean up for the next seed.
		for _, id := range slices.Sorted(maps.Keys(m.recs)) {
			require.NoError(t, s.Delete(ctx, id, 0))
			m.open[m.recs[id].Owner]--
			delete(m.recs, id)
		}
	}
}
