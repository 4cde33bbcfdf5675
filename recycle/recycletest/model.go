package recycletest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/recycle"
	"github.com/stretchr/testify/require"
)

// Sizes of the randomised checks: seeds × operations. With -short, a
// fifth of the seeds run.
const (
	modelSeeds    = 40
	modelOps      = 300
	deliverySeeds = 30
	deliveryOps   = 400
)

func seeds(n uint64) uint64 {
	if testing.Short() {
		return max(n/5, 1)
	}
	return n
}

// trace records the operations of one randomised run, to be logged if it
// fails.
type trace struct {
	t    *testing.T
	seed uint64
	b    strings.Builder
}

func newTrace(t *testing.T, seed uint64) *trace {
	tr := &trace{t: t, seed: seed}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("seed %d; operations up to the failure:\n%s", seed, tr.b.String())
		}
	})
	return tr
}

func (tr *trace) op(format string, args ...any) {
	fmt.Fprintf(&tr.b, format+"\n", args...)
}

// unit is the grain of the leases and of the store's clock in the
// randomised checks: an hour, far more than the store's clock moves by
// itself during a run, so that whether a lease has ended follows from the
// Advance calls alone.
const unit = time.Hour

// modelEntry is what the model knows of one entry: the entry as last seen,
// and the store's clock shift at which its lease ends.
type modelEntry struct {
	e   recycle.Entry
	end time.Duration
}

// storeModel is the reference model of a Store: what each lead's entry
// must be, every version each lead has been given, and how far the test
// has moved the store's clock.
type storeModel struct {
	entries map[string]modelEntry
	seen    map[string]map[uint64]bool
	shift   time.Duration
}

func (m *storeModel) newVersion(t *testing.T, id string, v uint64) {
	t.Helper()
	require.NotZero(t, v, "version of %s", id)
	if m.seen[id] == nil {
		m.seen[id] = map[uint64]bool{}
	}
	require.False(t, m.seen[id][v], "version %d reused for %s", v, id)
	m.seen[id][v] = true
}

// staleVersion returns a version of id that is not its current one.
func (m *storeModel) staleVersion(r *rand.Rand, id string) uint64 {
	cur := m.entries[id].e.Version
	var old []uint64
	for v := range m.seen[id] {
		if v != cur {
			old = append(old, v)
		}
	}
	if len(old) == 0 {
		return cur + 1_000_000 + r.Uint64N(1000)
	}
	slices.Sort(old)
	return old[r.IntN(len(old))]
}

// held reports whether me is held by a lease that has not ended.
func (m *storeModel) held(me modelEntry) bool {
	return !me.e.LeaseUntil.IsZero() && m.shift < me.end
}

func (m *storeModel) claimable(now time.Time) []recycle.Entry {
	var out []recycle.Entry
	for _, me := range m.entries {
		if !me.e.Dead && !me.e.Due.After(now) && !m.held(me) {
			out = append(out, me.e)
		}
	}
	ordered(out)
	return out
}

func (m *storeModel) stats(now time.Time) recycle.Stats {
	var st recycle.Stats
	for _, me := range m.entries {
		e := me.e
		if e.Dead {
			st.Dead++
			continue
		}
		st.Scheduled++
		switch {
		case m.held(me):
			st.Leased++
			continue
		case !e.LeaseUntil.IsZero():
			st.Expired++
		}
		if !e.Due.After(now) {
			st.Due++
			if st.OldestDue.IsZero() || e.Due.Before(st.OldestDue) {
				st.OldestDue = e.Due
			}
		}
	}
	return st
}

// testModel runs random operations against the store and a reference
// model, and checks that every result is the one the contract dictates.
func testModel(t *testing.T, newHarness func(t *testing.T) Harness) {
	for seed := uint64(1); seed <= seeds(modelSeeds); seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			runModel(t, newHarness(t), seed)
		})
	}
}

func runModel(t *testing.T, h Harness, seed uint64) {
	s := h.Store
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	tr := newTrace(t, seed)
	m := &storeModel{entries: map[string]modelEntry{}, seen: map[string]map[uint64]bool{}}
	pool := make([]string, 8)
	for i := range pool {
		pool[i] = fmt.Sprintf("s%d-%c", seed, "AbBacdEe"[i])
	}
	now := t0.Add(time.Duration(seed) * 24 * time.Hour)
	reasons := []lead.Reason{lead.ReasonNotNow, lead.ReasonNoBudget, lead.ReasonUnresponsive, "host_reason"}
	randEntry := func(id string) recycle.Entry {
		e := recycle.Entry{
			LeadID:   id,
			Due:      now.Add(time.Duration(r.IntN(90)-30) * time.Minute).Add(time.Duration(r.IntN(1000)) * time.Microsecond),
			Reason:   reasons[r.IntN(len(reasons))],
			Task:     fmt.Sprintf("task %d", r.IntN(3)),
			Rank:     []int64{-1, 0, 5, 10}[r.IntN(4)],
			Recycles: r.IntN(4),
			Attempt:  r.IntN(3),
			Since:    now,
			Failures: r.IntN(3),
		}
		if e.Failures > 0 {
			e.LastError = fmt.Sprintf("error %d", r.IntN(2))
		}
		e.Dead = r.IntN(8) == 0
		return e
	}
	for range modelOps {
		id := pool[r.IntN(len(pool))]
		me, exists := m.entries[id]
		cur := me.e
		switch op := r.IntN(16); {
		case op < 3: // put
			e := randEntry(id)
			if exists && r.IntN(3) == 0 {
				e.Schedule = cur.Schedule // a rewrite of the same schedule
			}
			var expect uint64
			var want error
			switch mode := r.IntN(3); {
			case mode == 0:
				if exists {
					want = recycle.ErrStale
				}
			case mode == 1 && exists:
				expect = cur.Version
			default:
				expect = m.staleVersion(r, id)
				want = cmpErr(exists, recycle.ErrStale, recycle.ErrNotFound)
			}
			tr.op("put %s due=%s rank=%d dead=%v expect=%d (want %v)", id, e.Due.Format(time.TimeOnly), e.Rank, e.Dead, expect, want)
			got, err := s.Put(ctx, e, expect)
			if want != nil {
				require.ErrorIs(t, err, want)
				continue
			}
			require.NoError(t, err)
			same(t, e, got)
			m.newVersion(t, id, got.Version)
			if exists && e.Schedule == cur.Schedule {
				require.Equal(t, cur.Schedule, got.Schedule, "a Put that names the stored schedule keeps it")
			} else {
				require.Equal(t, got.Version, got.Schedule, "a Put starts a schedule")
			}
			require.True(t, got.LeaseUntil.IsZero())
			require.Zero(t, got.Claims)
			m.entries[id] = modelEntry{e: got}
		case op < 5: // delete
			var expect uint64
			var want error
			switch mode := r.IntN(3); {
			case !exists:
				want = recycle.ErrNotFound
			case mode == 0:
			case mode == 1:
				expect = cur.Version
			default:
				expect = m.staleVersion(r, id)
				want = recycle.ErrStale
			}
			tr.op("delete %s expect=%d (want %v)", id, expect, want)
			err := s.Delete(ctx, id, expect)
			if want != nil {
				require.ErrorIs(t, err, want)
				continue
			}
			require.NoError(t, err)
			delete(m.entries, id)
		case op < 8: // claim
			limit := 1 + r.IntN(4)
			d := time.Duration(1+r.IntN(6)) * unit
			want := m.claimable(now)
			want = want[:min(limit, len(want))]
			tr.op("claim at %s limit=%d lease=%s (want %v)", now.Format(time.TimeOnly), limit, d, ids(want))
			got, err := s.Claim(ctx, now, limit, d)
			require.NoError(t, err)
			require.Equal(t, ids(want), ids(got), "claimed")
			for i, g := range got {
				same(t, want[i], g)
				m.newVersion(t, g.LeadID, g.Version)
				require.Equal(t, want[i].Schedule, g.Schedule, "a claim keeps the schedule")
				require.True(t, g.LeaseUntil.Equal(got[0].LeaseUntil), "one claim, one lease end")
				require.Equal(t, want[i].Claims+1, g.Claims, "Claims")
				m.entries[g.LeadID] = modelEntry{e: g, end: m.shift + d}
			}
		case op < 9: // extend or release
			var version uint64
			var want error
			switch {
			case !exists:
				version, want = 1, recycle.ErrNotFound
			case r.IntN(4) == 0 || cur.LeaseUntil.IsZero():
				version = cur.Version
				if r.IntN(2) == 0 || cur.LeaseUntil.IsZero() {
					version = m.staleVersion(r, id)
				}
				if version != cur.Version || cur.LeaseUntil.IsZero() {
					want = recycle.ErrStale
				}
			default:
				version = cur.Version
			}
			d := time.Duration(r.IntN(4)) * unit // 0: a release
			tr.op("extend %s version=%d lease=%s (want %v)", id, version, d, want)
			got, err := s.Extend(ctx, id, version, d)
			if want != nil {
				require.ErrorIs(t, err, want)
				continue
			}
			require.NoError(t, err)
			same(t, cur, got)
			require.Equal(t, cur.Version, got.Version, "Extend keeps the version")
			require.Equal(t, cur.Schedule, got.Schedule, "Extend keeps the schedule")
			require.False(t, got.LeaseUntil.IsZero(), "LeaseUntil")
			claims := cur.Claims
			if d == 0 && m.held(me) {
				claims-- // a release of a running lease
			}
			require.Equal(t, claims, got.Claims, "Claims")
			m.entries[id] = modelEntry{e: got, end: m.shift + d}
		case op < 10: // get
			tr.op("get %s", id)
			got, err := s.Get(ctx, id)
			if !exists {
				require.ErrorIs(t, err, recycle.ErrNotFound)
				continue
			}
			require.NoError(t, err)
			same(t, cur, got)
			require.Equal(t, cur.Version, got.Version)
			require.Equal(t, cur.Schedule, got.Schedule)
			require.True(t, cur.LeaseUntil.Equal(got.LeaseUntil), "LeaseUntil")
			require.Equal(t, cur.Claims, got.Claims)
		case op < 11: // stats
			tr.op("stats at %s", now.Format(time.TimeOnly))
			got, err := s.Stats(ctx, now)
			require.NoError(t, err)
			want := m.stats(now)
			require.True(t, want.OldestDue.Equal(got.OldestDue), "OldestDue: want %s, got %s", want.OldestDue, got.OldestDue)
			want.OldestDue, got.OldestDue = time.Time{}, time.Time{}
			require.Equal(t, want, got)
		case op < 12: // list the dead
			limit := 1 + r.IntN(3)
			tr.op("dead after %q limit %d", id, limit)
			got, err := s.Dead(ctx, id, limit)
			require.NoError(t, err)
			var want []recycle.Entry
			for _, me := range m.entries {
				if me.e.Dead && me.e.LeadID > id {
					want = append(want, me.e)
				}
			}
			slices.SortFunc(want, func(a, b recycle.Entry) int { return strings.Compare(a.LeadID, b.LeadID) })
			require.Equal(t, ids(want[:min(limit, len(want))]), ids(got))
			for i, g := range got {
				same(t, want[i], g)
				require.Equal(t, want[i].Version, g.Version)
			}
		case op < 14: // the callers' time passes
			d := time.Duration(r.IntN(25)) * time.Minute
			if r.IntN(5) == 0 {
				d += time.Duration(r.IntN(1000)) * time.Microsecond
			}
			now = now.Add(d)
			tr.op("now += %s", d)
		default: // the store's clock moves on
			d := time.Duration(r.IntN(4)) * unit
			h.Advance(d)
			m.shift += d
			tr.op("store clock += %s", d)
		}
	}
	// Finally, the store and the model agree on every lead.
	for _, id := range pool {
		want, exists := m.entries[id]
		got, err := s.Get(ctx, id)
		if !exists {
			require.ErrorIs(t, err, recycle.ErrNotFound, id)
			continue
		}
		require.NoError(t, err)
		same(t, want.e, got)
		require.Equal(t, want.e.Version, got.Version)
	}
}

func cmpErr(cond bool, a, b error) error {
	if cond {
		return a
	}
	return b
}

// deliveryHorizons are short horizons, so that a run sees many leads come
// due, back off and reach the cap.
var deliveryHorizons = recycle.Horizons{
	Reasons: map[lead.Reason]recycle.Horizon{
		lead.ReasonNotNow:            {After: time.Hour},
		lead.ReasonNoBudget:          {After: 2 * time.Hour},
		lead.ReasonNoDecisionMaker:   {After: 30 * time.Minute},
		lead.ReasonUnresponsive:      {After: time.Hour, Attempts: 3, Retry: 10 * time.Minute},
		lead.ReasonPreferredSupplier: {After: 3 * time.Hour},
		lead.ReasonOffshored:         {After: 3 * time.Hour},
	},
	Fallback: recycle.Horizon{After: 90 * time.Minute},
	Longest:  6 * time.Hour,
	Cap:      3,
	Jitter:   20 * time.Minute,
}

// deliveryConfig is the Scheduler's configuration in the delivery checks:
// a lease of one unit, few attempts before a lead is dead, and quick
// retries of a store that is unavailable.
var deliveryConfig = recycle.Config{
	Vocabulary:   qualify.DefaultVocabulary(),
	Horizons:     deliveryHorizons,
	Currency:     "GBP",
	Lease:        unit,
	MaxClaim:     10,
	MaxAttempts:  3,
	RetryDelay:   10 * time.Minute,
	StoreBackoff: time.Millisecond,
}

// deliveryModel is what the Scheduler must have done with one lead.
type deliveryModel struct {
	live  bool
	cur   recycle.Entry // the entry as last seen
	end   time.Duration // the store's clock shift at which cur's lease ends
	gen   int           // schedules written so far
	acked map[int]bool  // generations acknowledged
}

type hold struct {
	e   recycle.Entry
	gen int
}

// testDelivery drives a Scheduler over the store with random schedules,
// wakes, reschedules, cancellations, claims, acknowledgements, failures,
// extensions, releases, lease expiries, requeues and worker crashes, by
// workers whose clocks are hours apart, predicting every outcome, and
// checks the delivery guarantees: a claim never hands out a lead whose
// schedule was acknowledged, never one held by a lease that has not ended
// on the store's clock (whatever the worker's clock says), always the due
// leads in order, with the key of their schedule; a lead that has failed
// Config.MaxAttempts times is parked dead instead; and at the end, with
// time run past every due time and lease and the dead requeued, every lead
// still scheduled is delivered exactly once and nothing is left behind.
func testDelivery(t *testing.T, newHarness func(t *testing.T) Harness) {
	var st deliveryStats
	ran := 0
	for seed := uint64(1); seed <= seeds(deliverySeeds); seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			h := newHarness(t) // may skip the subtest: a store with no server
			ran++
			sched, err := recycle.NewScheduler(h.Store, deliveryConfig)
			require.NoError(t, err)
			runDelivery(t, sched, h, seed, &st)
		})
	}
	if ran == 0 {
		t.Skip("every delivery run was skipped by its store")
	}
	if !t.Failed() {
		// The runs must have exercised what they check.
		t.Logf("%+v", st)
		require.Positive(t, st.acked, "acknowledgements")
		require.Positive(t, st.lost, "acknowledgements refused for a lost lease")
		require.Positive(t, st.redelivered, "claims after a lease ended")
		require.Positive(t, st.skewed, "leads a worker ahead in time could not take from a live lease")
		require.Positive(t, st.failed, "failures written down")
		require.Positive(t, st.dead, "leads parked dead")
		require.Positive(t, st.drained, "leads delivered by the final drain")
		require.Positive(t, st.requeued, "dead leads requeued and delivered")
	}
}

// deliveryStats counts what the delivery runs exercised.
type deliveryStats struct {
	claimed, acked, lost, redelivered, skewed, failed, dead, drained, requeued int
}

func runDelivery(t *testing.T, s *recycle.Scheduler, h Harness, seed uint64, st *deliveryStats) {
	r := rand.New(rand.NewPCG(seed, 0xde11))
	tr := newTrace(t, seed)
	now := t0.Add(time.Duration(seed) * 1000 * time.Hour)
	var shift time.Duration // how far the test moved the store's clock
	leads := make([]*lead.Lead, 10)
	model := map[string]*deliveryModel{}
	for i := range leads {
		l := &lead.Lead{ID: fmt.Sprintf("d%d-%02d", seed, i)}
		switch i % 3 {
		case 0:
			l.Value = lead.MustParseMoney(fmt.Sprintf("%d.50", 1000*(i%4)), "GBP")
		case 1:
			l.ExpectedPurchase = now.Add(time.Duration(i) * time.Hour)
			l.Renewal = now.Add(time.Duration(i) * 48 * time.Hour)
		}
		leads[i] = l
		model[l.ID] = &deliveryModel{acked: map[int]bool{}}
	}
	reasons := []lead.Reason{
		lead.ReasonNotNow, lead.ReasonNoBudget, lead.ReasonNoDecisionMaker, lead.ReasonUnresponsive,
		lead.ReasonUnresponsive, lead.ReasonPreferredSupplier, lead.ReasonOffshored, "host_reason", lead.ReasonDoNotContact,
	}
	// The workers' clocks: on time, more than a lease ahead, and behind.
	skews := []time.Duration{0, 3*unit + 17*time.Minute, -40 * time.Minute}
	workers := make([][]hold, len(skews))
	current := func(h hold) bool {
		d := model[h.e.LeadID]
		return d.live && d.cur.Version == h.e.Version
	}
	held := func(d *deliveryModel) bool { return d.live && !d.cur.LeaseUntil.IsZero() && shift < d.end }
	claimable := func(d *deliveryModel, at time.Time) bool {
		return d.live && !d.cur.Dead && !d.cur.Due.After(at) && !held(d)
	}
	// wrote records a successful write of an entry (idempotent calls
	// return the entry as it was).
	wrote := func(d *deliveryModel, got recycle.Entry) {
		if !d.live || got.Version != d.cur.Version {
			d.gen++
		}
		d.live, d.cur = true, got
	}
	pickHold := func() (w, i int, ok bool) {
		w = r.IntN(len(workers))
		if len(workers[w]) == 0 {
			return w, 0, false
		}
		return w, r.IntN(len(workers[w])), true
	}
	drop := func(w, i int) { workers[w] = slices.Delete(workers[w], i, i+1) }
	leadOf := func(id string) *lead.Lead {
		return leads[slices.IndexFunc(leads, func(x *lead.Lead) bool { return x.ID == id })]
	}
	// claim claims as a worker at its time and checks the result against
	// the model; it returns the claims.
	claim := func(w, limit int, at time.Time) []recycle.Entry {
		var want []recycle.Entry
		for _, x := range model {
			if claimable(x, at) {
				want = append(want, x.cur)
			}
		}
		ordered(want)
		want = want[:min(limit, len(want))]
		var deliver, bury []recycle.Entry
		for _, e := range want {
			if e.Failures+e.Claims >= deliveryConfig.MaxAttempts {
				bury = append(bury, e)
			} else {
				deliver = append(deliver, e)
			}
		}
		tr.op("worker %d claims %d at %s (want %v, buried %v)", w, limit, at.Format(time.DateTime), ids(deliver), ids(bury))
		got, err := s.Claim(ctx, at, limit)
		require.NoError(t, err)
		require.Equal(t, ids(deliver), ids(got), "the due leads, in order, but those that failed too often")
		for i, g := range got {
			x := model[g.LeadID]
			require.False(t, x.acked[x.gen], "%s handed out again after its ack", g.LeadID)
			require.False(t, g.Due.After(at), "%s handed out before it is due", g.LeadID)
			require.Equal(t, deliver[i].IdempotencyKey(), g.IdempotencyKey(), "%s: the key of its schedule", g.LeadID)
			x.cur, x.end = g, shift+unit
			st.claimed++
			if g.Claims > 1 {
				st.redelivered++
			}
		}
		for _, b := range bury {
			x := model[b.LeadID]
			e, err := s.Get(ctx, b.LeadID)
			require.NoError(t, err)
			require.True(t, e.Dead, "%s failed %d times: dead", b.LeadID, b.Failures+b.Claims)
			require.Equal(t, b.Failures+b.Claims, e.Failures)
			require.Equal(t, b.IdempotencyKey(), e.IdempotencyKey(), "a dead lead keeps its key")
			require.True(t, e.LeaseUntil.IsZero())
			wrote(x, e)
			st.dead++
		}
		return got
	}

	for range deliveryOps {
		l := leads[r.IntN(len(leads))]
		d := model[l.ID]
		switch op := r.IntN(22); {
		case op < 4: // recycle
			reason := reasons[r.IntN(len(reasons))]
			tr.op("recycle %s %s at %s", l.ID, reason, now.Format(time.DateTime))
			got, err := s.Recycle(ctx, l, reason, now)
			if reason.Final() {
				require.ErrorIs(t, err, recycle.ErrFinal)
				continue
			}
			require.NoError(t, err)
			require.False(t, got.Due.Before(now.Truncate(time.Second)), "due %s before now %s", got.Due, now)
			if !d.live || got.Version != d.cur.Version { // written, not a repeat
				require.True(t, got.LeaseUntil.IsZero(), "a recycle ends any claim")
				require.False(t, got.Dead, "a new schedule is alive")
				require.Zero(t, got.Failures, "a new schedule has no failures")
				if d.live {
					require.GreaterOrEqual(t, got.Recycles, d.cur.Recycles, "recycles never go down")
					require.NotEqual(t, d.cur.IdempotencyKey(), got.IdempotencyKey(), "a new schedule, a new key")
				}
			}
			wrote(d, got)
		case op < 5: // a worker's lead is not ready again
			w, i, ok := pickHold()
			if !ok {
				continue
			}
			hd := workers[w][i]
			drop(w, i)
			reason := reasons[r.IntN(len(reasons)-1)] // no final reason
			tr.op("worker %d recycles claimed %s (v%d) %s", w, hd.e.LeadID, hd.e.Version, reason)
			want := current(hd)
			got, err := s.RecycleClaimed(ctx, hd.e, leadOf(hd.e.LeadID), reason, now.Add(skews[w]))
			if !want {
				require.ErrorIs(t, err, recycle.ErrLeaseLost)
				continue
			}
			require.NoError(t, err)
			wrote(model[hd.e.LeadID], got)
		case op < 6: // a worker's lead failed
			w, i, ok := pickHold()
			if !ok {
				continue
			}
			hd := workers[w][i]
			drop(w, i)
			x := model[hd.e.LeadID]
			want := current(hd)
			at := now.Add(skews[w])
			tr.op("worker %d fails %s (v%d, current %v)", w, hd.e.LeadID, hd.e.Version, want)
			got, err := s.Fail(ctx, hd.e, fmt.Errorf("crm: 503 for %s", hd.e.LeadID), at)
			if !want {
				require.ErrorIs(t, err, recycle.ErrLeaseLost)
				continue
			}
			require.NoError(t, err)
			failures := x.cur.Failures + x.cur.Claims
			require.Equal(t, failures, got.Failures, "failures written down")
			require.Equal(t, "crm: 503 for "+hd.e.LeadID, got.LastError)
			require.Equal(t, x.cur.IdempotencyKey(), got.IdempotencyKey(), "a failed lead keeps its key")
			require.True(t, got.LeaseUntil.IsZero(), "a failure ends the claim")
			if failures >= deliveryConfig.MaxAttempts {
				require.True(t, got.Dead, "the last attempt failed: dead")
				st.dead++
			} else {
				require.False(t, got.Dead)
				wait := deliveryConfig.RetryDelay << (failures - 1)
				require.True(t, got.Due.Equal(at.Truncate(time.Second).Add(wait)), "retried after %s: due %s", wait, got.Due)
			}
			st.failed++
			wrote(x, got)
		case op < 7: // wake
			tr.op("wake %s", l.ID)
			got, err := s.Wake(ctx, l.ID, "new interest in RoutePlanner", now)
			if !d.live {
				require.ErrorIs(t, err, recycle.ErrNotFound)
				continue
			}
			require.NoError(t, err)
			require.False(t, got.Due.After(now), "woken: due now")
			require.True(t, got.LeaseUntil.IsZero(), "a wake ends any claim")
			require.Equal(t, d.cur.Dead, got.Dead, "a wake leaves a dead lead dead")
			wrote(d, got)
		case op < 8: // reschedule or requeue
			if d.live && d.cur.Dead && r.IntN(2) == 0 {
				tr.op("requeue %s", l.ID)
				got, err := s.Requeue(ctx, l.ID, now)
				require.NoError(t, err)
				require.False(t, got.Dead)
				require.Zero(t, got.Failures)
				require.Equal(t, d.cur.IdempotencyKey(), got.IdempotencyKey(), "a requeued lead keeps its key")
				wrote(d, got)
				continue
			}
			due := now.Add(time.Duration(r.IntN(180)) * time.Minute)
			tr.op("reschedule %s to %s", l.ID, due.Format(time.DateTime))
			got, err := s.Reschedule(ctx, l.ID, due)
			if !d.live {
				require.ErrorIs(t, err, recycle.ErrNotFound)
				continue
			}
			require.NoError(t, err)
			require.True(t, got.Due.Equal(due.Truncate(time.Second)) || got.Due.Equal(due.Truncate(time.Second).Add(time.Second)))
			wrote(d, got)
		case op < 9: // cancel
			tr.op("cancel %s", l.ID)
			err := s.Cancel(ctx, l.ID)
			if !d.live {
				require.ErrorIs(t, err, recycle.ErrNotFound)
				continue
			}
			require.NoError(t, err)
			d.live = false
		case op < 13: // claim
			w := r.IntN(len(workers))
			at := now.Add(skews[w])
			for _, x := range model {
				if held(x) && !x.cur.Dead && !x.cur.Due.After(at) {
					st.skewed++ // due on the worker's clock, held on the store's
				}
			}
			for _, g := range claim(w, 1+r.IntN(3), at) {
				workers[w] = append(workers[w], hold{g, model[g.LeadID].gen})
			}
		case op < 16: // ack
			w, i, ok := pickHold()
			if !ok {
				continue
			}
			hd := workers[w][i]
			drop(w, i)
			x := model[hd.e.LeadID]
			want := current(hd)
			tr.op("worker %d acks %s (v%d, current %v)", w, hd.e.LeadID, hd.e.Version, want)
			err := s.Ack(ctx, hd.e)
			if want {
				require.NoError(t, err)
				require.False(t, x.acked[hd.gen], "acknowledged twice")
				x.acked[hd.gen] = true
				x.live = false
				st.acked++
				continue
			}
			require.ErrorIs(t, err, recycle.ErrLeaseLost, "a claim that is no longer current, whether the entry changed or is gone")
			st.lost++
		case op < 17: // extend or release
			w, i, ok := pickHold()
			if !ok {
				continue
			}
			hd := workers[w][i]
			x := model[hd.e.LeadID]
			want := current(hd)
			if r.IntN(3) == 0 {
				drop(w, i)
				tr.op("worker %d releases %s (v%d, current %v)", w, hd.e.LeadID, hd.e.Version, want)
				err := s.Release(ctx, hd.e)
				if !want {
					require.ErrorIs(t, err, recycle.ErrLeaseLost)
					continue
				}
				require.NoError(t, err)
				if held(x) {
					x.cur.Claims-- // released while its lease ran: not counted
				}
				x.cur.LeaseUntil, x.end = hd.e.LeaseUntil, shift
				continue
			}
			tr.op("worker %d extends %s (v%d, current %v)", w, hd.e.LeadID, hd.e.Version, want)
			got, err := s.Extend(ctx, hd.e)
			if !want {
				require.ErrorIs(t, err, recycle.ErrLeaseLost)
				drop(w, i)
				continue
			}
			require.NoError(t, err)
			require.Equal(t, x.cur.Claims, got.Claims)
			x.cur, x.end = got, shift+unit
			workers[w][i].e = got
		case op < 18: // a worker crashes, forgetting its claims
			w := r.IntN(len(workers))
			tr.op("worker %d crashes holding %d claims", w, len(workers[w]))
			workers[w] = nil
		case op < 19: // leases run out on the store's clock
			d := unit * time.Duration(1+r.IntN(2))
			h.Advance(d)
			shift += d
			tr.op("store clock += %s", d)
		default: // the callers' time passes
			now = now.Add(time.Duration(r.IntN(90)) * time.Minute)
			tr.op("now: %s", now.Format(time.DateTime))
		}
	}

	// Every lead still scheduled is delivered exactly once when time runs
	// past every due time and every lease, and the dead are requeued; and
	// nothing else is.
	now = now.Add(deliveryHorizons.Longest + deliveryHorizons.Jitter + 48*time.Hour)
	h.Advance(2 * unit)
	shift += 2 * unit
	tr.op("drain at %s", now.Format(time.DateTime))
	delivered := map[string]int{}
	var live []string
	for _, l := range leads {
		if model[l.ID].live {
			live = append(live, l.ID)
		}
	}
	drain := func() {
		for {
			got := claim(0, 3, now)
			if len(got) == 0 {
				return
			}
			for _, g := range got {
				delivered[g.LeadID]++
				st.drained++
				require.NoError(t, s.Ack(ctx, g))
				model[g.LeadID].live = false
			}
		}
	}
	drain()
	dead, err := s.Dead(ctx, "", 10)
	require.NoError(t, err)
	for _, e := range dead {
		tr.op("requeue %s", e.LeadID)
		got, err := s.Requeue(ctx, e.LeadID, now)
		require.NoError(t, err)
		wrote(model[e.LeadID], got)
		st.requeued++
	}
	drain()
	for _, l := range leads {
		_, err := s.Get(ctx, l.ID)
		require.True(t, errors.Is(err, recycle.ErrNotFound), "%s left behind: %v", l.ID, err)
		want := 0
		if slices.Contains(live, l.ID) {
			want = 1
		}
		require.Equal(t, want, delivered[l.ID], "deliveries of %s in the drain", l.ID)
	}
	stats, err := s.Stats(ctx, now)
	require.NoError(t, err)
	require.Equal(t, recycle.Stats{}, stats, "an empty store")
}
