package recycle

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/leadqual/leadqual/lead"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func TestSlotSize(t *testing.T) {
	assert.Equal(t, uintptr(64), unsafe.Sizeof(slot{}), "the per-entry budget")
}

// checkInvariants verifies the store's internal structure against itself.
func (m *MemStore) checkInvariants(t *testing.T) {
	t.Helper()
	live := 0
	var counts [nStates]int
	for i := range m.slots.n {
		s := m.slots.at(i)
		if s.state() == stateFree {
			continue
		}
		live++
		counts[s.state()]++
		j, ok := m.index.find(&m.slots, s.id)
		require.True(t, ok, "%s indexed", s.id)
		require.Equal(t, i, j)
		switch s.state() {
		case stateLeased:
			require.Equal(t, i, m.leased[s.pos], "%s at its heap position", s.id)
		case stateDead:
			require.Equal(t, i, m.dead[s.pos], "%s at its place in the dead list", s.id)
		default:
			require.Equal(t, i, m.due[s.pos], "%s at its heap position", s.id)
		}
		require.Positive(t, m.what.refs[s.whatID()])
		require.NotZero(t, m.schedule(i))
		require.LessOrEqual(t, m.schedule(i), s.version)
		_, apart := m.schedules[i]
		require.Equal(t, apart, m.schedule(i) != s.version, "%s: a Schedule apart from the Version is recorded apart", s.id)
		_, leased := m.leases[i]
		require.Equal(t, s.state() == stateLeased || s.state() == stateExpired, leased, "%s: a lease while claimed", s.id)
	}
	require.Equal(t, live, m.n)
	require.Equal(t, live, m.index.n)
	require.Equal(t, live, len(m.due)+len(m.leased)+len(m.dead))
	require.Equal(t, counts, m.counts, "entries per state")
	for _, hp := range []struct {
		h    []int32
		less func(a, b int32) bool
	}{{m.due, m.dueLess}, {m.leased, m.leaseLess}} {
		for c := 1; c < len(hp.h); c++ {
			require.False(t, hp.less(hp.h[c], hp.h[(c-1)/2]), "heap order at %d", c)
		}
	}
	refs := map[uint32]uint32{}
	for i := range m.slots.n {
		if s := m.slots.at(i); s.state() != stateFree {
			refs[s.whatID()]++
		}
	}
	require.Len(t, m.what.ids, len(refs), "interned triples in use")
	for id, n := range refs {
		require.Equal(t, n, m.what.refs[id])
	}
}

// checkStats compares Stats with a count over every entry.
func (m *MemStore) checkStats(t *testing.T, now time.Time) {
	t.Helper()
	got, err := m.Stats(context.Background(), now)
	require.NoError(t, err)
	clock := m.Clock()
	var want Stats
	for _, e := range m.Entries() {
		if e.Dead {
			want.Dead++
			continue
		}
		want.Scheduled++
		held := !e.LeaseUntil.IsZero() && e.LeaseUntil.After(clock)
		switch {
		case held:
			want.Leased++
		case !e.LeaseUntil.IsZero():
			want.Expired++
		}
		if !held && !e.Due.After(now) {
			want.Due++
			if want.OldestDue.IsZero() || e.Due.Before(want.OldestDue) {
				want.OldestDue = e.Due
			}
		}
	}
	require.Equal(t, want, got)
}

func TestMemStoreInvariants(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(1); seed <= 5; seed++ {
		r := rand.New(rand.NewPCG(seed, 1))
		now, clock := t0, t0.Add(-time.Hour) // the callers' clock and the store's
		m := &MemStore{Clock: func() time.Time { return clock }}
		versions := map[string]uint64{}
		for i := range 20000 {
			id := fmt.Sprintf("L-%d", r.IntN(3000))
			switch k := r.IntN(11); {
			case k < 4:
				e := Entry{LeadID: id, Due: now.Add(time.Duration(r.IntN(7200)-600) * time.Second), Reason: lead.ReasonNotNow,
					Task: fmt.Sprintf("task %d", r.IntN(20)), Rank: int64(r.IntN(5)), Since: now, Dead: r.IntN(10) == 0}
				if e.Dead {
					e.LastError = fmt.Sprintf("error %d", r.IntN(3))
				}
				got, err := m.Put(ctx, e, versions[id])
				if err == nil {
					versions[id] = got.Version
				}
			case k < 6:
				if m.Delete(ctx, id, 0) == nil {
					delete(versions, id)
				}
			case k < 8:
				cs, err := m.Claim(ctx, now, 1+r.IntN(20), time.Duration(1+r.IntN(1200))*time.Second)
				require.NoError(t, err)
				for _, c := range cs {
					versions[c.LeadID] = c.Version
				}
			case k < 9:
				if v, ok := versions[id]; ok {
					_, _ = m.Extend(ctx, id, v, time.Duration(r.IntN(1200))*time.Second)
				}
			case k < 10: // a release
				if v, ok := versions[id]; ok {
					_, _ = m.Extend(ctx, id, v, 0)
				}
			default:
				now = now.Add(time.Duration(r.IntN(300)) * time.Second)
				clock = clock.Add(time.Duration(r.IntN(300)) * time.Second)
			}
			if i%997 == 0 {
				m.checkInvariants(t)
				m.checkStats(t, now)
			}
		}
		m.checkInvariants(t)
		// Emptied, it forgets every interned triple.
		for _, e := range m.Entries() {
			require.NoError(t, m.Delete(ctx, e.LeadID, 0))
		}
		m.checkInvariants(t)
		assert.Empty(t, m.what.ids)
		assert.Zero(t, m.Len())
	}
}

func TestIndexAgainstMap(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	var slots slab
	var x index
	want := map[string]int32{}
	var free []int32
	for i := range 200000 {
		id := fmt.Sprint(r.IntN(5000))
		if j, ok := want[id]; ok {
			x.remove(&slots, id)
			*slots.at(j) = slot{}
			free = append(free, j)
			delete(want, id)
		} else {
			var j int32
			if n := len(free); n > 0 {
				j, free = free[n-1], free[:n-1]
			} else {
				j = slots.grow()
			}
			slots.at(j).id = id
			x.insert(&slots, id, j)
			want[id] = j
		}
		if i%10007 == 0 {
			for id, j := range want {
				got, ok := x.find(&slots, id)
				require.True(t, ok, id)
				require.Equal(t, j, got)
			}
			_, ok := x.find(&slots, "absent")
			require.False(t, ok)
		}
	}
	require.Equal(t, len(want), x.n)
}

// TestMemStoreFootprint measures the memory of 200,000 entries, beyond
// their lead IDs: the budget is under 80 bytes an entry (about 77 from
// 50,000 to 1,000,000 entries; the table grows by a quarter at a time).
func TestMemStoreFootprint(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates")
	}
	const n = 200_000
	perEntry := footprint(n)
	t.Logf("%.1f bytes per entry beyond the ID", perEntry)
	assert.Less(t, perEntry, 80.0)
}

// footprint returns the heap bytes per entry of a MemStore holding n
// entries, beyond the bytes of the lead IDs themselves (which the caller
// allocated before).
func footprint(n int) float64 {
	ctx := context.Background()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("lead-%08d", i)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m := NewMemStore()
	for i, id := range ids {
		e := Entry{LeadID: id, Due: t0.Add(time.Duration(i%86400) * time.Second), Reason: lead.ReasonNotNow, Task: "Call back", Rank: int64(i % 1000), Since: t0}
		if _, err := m.Put(ctx, e, 0); err != nil {
			panic(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	idBytes := 0
	for _, id := range ids {
		idBytes += len(id) // the store keeps its own copy of each ID
	}
	runtime.KeepAlive(m)
	runtime.KeepAlive(ids)
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)-int64(idBytes)) / float64(n)
}

func TestMemStoreRewriteAllocs(t *testing.T) {
	ctx := context.Background()
	m := NewMemStore()
	e, err := m.Put(ctx, Entry{LeadID: "L-1", Due: t0, Reason: lead.ReasonNotNow, Task: "a task of its own", Since: t0}, 0)
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(100, func() {
		e.Due = e.Due.Add(time.Second)
		if e, err = m.Put(ctx, e, e.Version); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs, "rewriting an entry with the same reason and task allocates nothing")
	m.checkInvariants(t)
}

// TestMemStoreAgainstModel: random Puts (with and without the Schedule
// kept), Deletes in bursts, Claims, Extends and releases, on spans of IDs
// from 3 to 20,000 (so that the index grows and shrinks through sizes of
// every residue), agree with a model of the entries: nothing lost after
// delete and re-put cycles, Versions and Schedules as the Store contract
// says, no lease or kept Schedule surviving a rewrite or a delete (the
// side tables hold exactly the claimed entries and those whose Schedule is
// not their Version).
func TestMemStoreAgainstModel(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(100); seed < 106; seed++ { // every span of IDs
		r := rand.New(rand.NewPCG(seed, 9))
		span := []int{3, 17, 100, 1000, 20000}[seed%5]
		now, clock := t0, t0.Add(-time.Hour)
		m := &MemStore{Clock: func() time.Time { return clock }}
		model := map[string]Entry{}
		for i := range 15000 {
			id := fmt.Sprintf("L-%d", r.IntN(span))
			if i%5000 < 1000 && r.IntN(2) == 0 { // bursts of deletions
				if e, ok := model[id]; ok {
					require.NoError(t, m.Delete(ctx, id, e.Version))
					delete(model, id)
				}
				continue
			}
			switch k := r.IntN(11); {
			case k < 4:
				e := Entry{LeadID: id, Due: now.Add(time.Duration(r.IntN(7200)-600) * time.Second), Reason: lead.ReasonNotNow,
					Task: fmt.Sprintf("task %d", r.IntN(20)), Rank: int64(r.IntN(5)), Since: now, Dead: r.IntN(10) == 0}
				old, had := model[id]
				if had && r.IntN(2) == 0 {
					e.Schedule = old.Schedule
				}
				got, err := m.Put(ctx, e, old.Version)
				require.NoError(t, err)
				require.Greater(t, got.Version, old.Version)
				require.Zero(t, got.LeaseUntil)
				require.Zero(t, got.Claims)
				if had && e.Schedule != 0 {
					require.Equal(t, old.Schedule, got.Schedule)
				} else {
					require.Equal(t, got.Version, got.Schedule)
				}
				model[id] = got
			case k < 6:
				if e, ok := model[id]; ok {
					require.NoError(t, m.Delete(ctx, id, e.Version))
					delete(model, id)
				} else {
					require.ErrorIs(t, m.Delete(ctx, id, 0), ErrNotFound)
				}
			case k < 8:
				cs, err := m.Claim(ctx, now, 1+r.IntN(20), time.Duration(1+r.IntN(1200))*time.Second)
				require.NoError(t, err)
				for _, c := range cs {
					old := model[c.LeadID]
					require.Equal(t, old.Schedule, c.Schedule, "a claim keeps the schedule")
					require.Greater(t, c.Version, old.Version)
					model[c.LeadID] = c
				}
			case k < 10:
				if e, ok := model[id]; ok {
					got, err := m.Extend(ctx, id, e.Version, time.Duration(r.IntN(1200))*time.Second)
					if err == nil {
						require.Equal(t, e.Version, got.Version)
						model[id] = got
					}
				}
			default:
				now = now.Add(time.Duration(r.IntN(300)) * time.Second)
				clock = clock.Add(time.Duration(r.IntN(300)) * time.Second)
			}
			if i%1009 == 0 {
				m.checkInvariants(t)
				require.Equal(t, len(model), m.Len())
				for id, want := range model {
					got, err := m.Get(ctx, id)
					require.NoError(t, err)
					require.Equal(t, want.Version, got.Version, id)
					require.Equal(t, want.Schedule, got.Schedule, id)
					if got.LeaseUntil.IsZero() != want.LeaseUntil.IsZero() {
						t.Fatalf("%s lease %v want %v", id, got.LeaseUntil, want.LeaseUntil)
					}
					require.Equal(t, want.Due, got.Due)
					require.Equal(t, want.Task, got.Task)
				}
				nClaimed, nApart := 0, 0
				for _, e := range model {
					if !e.LeaseUntil.IsZero() {
						nClaimed++
					}
					if e.Schedule != e.Version {
						nApart++
					}
				}
				require.Equal(t, nClaimed, len(m.leases), "leases of free slots")
				require.Equal(t, nApart, len(m.schedules), "schedules of free slots")
			}
		}
	}
}
