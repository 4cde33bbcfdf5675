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

// storeModel is the reference model of a Store: what each lead's entry
// must be, and every version each lead has been given.
type storeModel struct {
	entries map[string]recycle.Entry
	seen    map[string]map[uint64]bool
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
	cur := m.entries[id].Version
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

func (m *storeModel) claimable(now time.Time) []recycle.Entry {
	var out []recycle.Entry
	for _, e := range m.entries {
		if e.LeaseUntil.IsZero() && !e.Due.After(now) || !e.LeaseUntil.IsZero() && !e.LeaseUntil.After(now) {
			out = append(out, e)
		}
	}
	ordered(out)
	return out
}

// testModel runs random operations against the store and a reference
// model, and checks that every result is the one the contract dictates.
func testModel(t *testing.T, newStore func(t *testing.T) recycle.Store) {
	for seed := uint64(1); seed <= seeds(modelSeeds); seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			runModel(t, newStore(t), seed)
		})
	}
}

func runModel(t *testing.T, s recycle.Store, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	tr := newTrace(t, seed)
	m := &storeModel{entries: map[string]recycle.Entry{}, seen: map[string]map[uint64]bool{}}
	pool := make([]string, 8)
	for i := range pool {
		pool[i] = fmt.Sprintf("s%d-%c", seed, "AbBacdEe"[i])
	}
	now := t0.Add(time.Duration(seed) * 24 * time.Hour)
	reasons := []lead.Reason{lead.ReasonNotNow, lead.ReasonNoBudget, lead.ReasonUnresponsive, "host_reason"}
	randEntry := func(id string) recycle.Entry {
		return recycle.Entry{
			LeadID:   id,
			Due:      now.Add(time.Duration(r.IntN(90)-30) * time.Minute).Add(time.Duration(r.IntN(1000)) * time.Microsecond),
			Reason:   reasons[r.IntN(len(reasons))],
			Task:     fmt.Sprintf("task %d", r.IntN(3)),
			Rank:     []int64{-1, 0, 5, 10}[r.IntN(4)],
			Recycles: r.IntN(4),
			Attempt:  r.IntN(3),
			Since:    now,
		}
	}
	for range modelOps {
		id := pool[r.IntN(len(pool))]
		cur, exists := m.entries[id]
		switch op := r.IntN(12); {
		case op < 3: // put
			e := randEntry(id)
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
			tr.op("put %s due=%s rank=%d expect=%d (want %v)", id, e.Due.Format(time.TimeOnly), e.Rank, expect, want)
			got, err := s.Put(ctx, e, expect)
			if want != nil {
				require.ErrorIs(t, err, want)
				continue
			}
			require.NoError(t, err)
			same(t, e, got)
			m.newVersion(t, id, got.Version)
			require.True(t, got.LeaseUntil.IsZero())
			require.Zero(t, got.Claims)
			m.entries[id] = got
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
			d := time.Duration(1+r.IntN(30)) * time.Minute
			want := m.claimable(now)
			want = want[:min(limit, len(want))]
			tr.op("claim at %s limit=%d lease=%s (want %v)", now.Format(time.TimeOnly), limit, d, ids(want))
			got, err := s.Claim(ctx, now, limit, now.Add(d))
			require.NoError(t, err)
			require.Equal(t, ids(want), ids(got), "claimed")
			for i, g := range got {
				same(t, want[i], g)
				m.newVersion(t, g.LeadID, g.Version)
				require.True(t, g.LeaseUntil.Equal(now.Add(d)), "LeaseUntil")
				require.Equal(t, want[i].Claims+1, g.Claims, "Claims")
				m.entries[g.LeadID] = g
			}
		case op < 9: // extend
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
			until := now.Add(time.Duration(r.IntN(40)-5) * time.Minute)
			tr.op("extend %s version=%d until=%s (want %v)", id, version, until.Format(time.TimeOnly), want)
			got, err := s.Extend(ctx, id, version, until)
			if want != nil {
				require.ErrorIs(t, err, want)
				continue
			}
			require.NoError(t, err)
			same(t, cur, got)
			require.Equal(t, cur.Version, got.Version, "Extend keeps the version")
			require.True(t, got.LeaseUntil.Equal(until), "LeaseUntil")
			require.Equal(t, cur.Claims, got.Claims)
			m.entries[id] = got
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
			require.True(t, cur.LeaseUntil.Equal(got.LeaseUntil), "LeaseUntil")
			require.Equal(t, cur.Claims, got.Claims)
		default: // time passes
			d := time.Duration(r.IntN(25)) * time.Minute
			if r.IntN(5) == 0 {
				d += time.Duration(r.IntN(1000)) * time.Microsecond
			}
			now = now.Add(d)
			tr.op("now += %s", d)
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
		same(t, want, got)
		require.Equal(t, want.Version, got.Version)
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

// deliveryModel is what the Scheduler must have done with one lead.
type deliveryModel struct {
	live  bool
	cur   recycle.Entry // the entry as last seen
	gen   int           // schedules written so far
	acked map[int]bool  // generations acknowledged
}

type hold struct {
	e   recycle.Entry
	gen int
}

// testDelivery drives a Scheduler over the store with random schedules,
// wakes, reschedules, cancellations, claims, acknowledgements, extensions,
// releases, lease expiries and worker crashes, predicting every outcome,
// and checks the delivery guarantees: a claim never hands out a lead whose
// schedule was acknowledged, never one held by a current lease, and always
// the due leads in order; and at the end, with time run past every due
// time and lease, every lead still scheduled is delivered exactly once and
// nothing is left behind.
func testDelivery(t *testing.T, newStore func(t *testing.T) recycle.Store) {
	var st deliveryStats
	ran := 0
	for seed := uint64(1); seed <= seeds(deliverySeeds); seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			store := newStore(t) // may skip the subtest: a store with no server
			ran++
			sched, err := recycle.NewScheduler(store, recycle.Config{Vocabulary: qualify.DefaultVocabulary(), Horizons: deliveryHorizons, Currency: "GBP", Lease: lease, MaxClaim: 10})
			require.NoError(t, err)
			runDelivery(t, sched, seed, &st)
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
		require.Positive(t, st.drained, "leads delivered by the final drain")
	}
}

// deliveryStats counts what the delivery runs exercised.
type deliveryStats struct {
	claimed, acked, lost, redelivered, drained int
}

func runDelivery(t *testing.T, s *recycle.Scheduler, seed uint64, st *deliveryStats) {
	r := rand.New(rand.NewPCG(seed, 0xde11))
	tr := newTrace(t, seed)
	now := t0.Add(time.Duration(seed) * 1000 * time.Hour)
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
	workers := make([][]hold, 3)
	current := func(h hold) bool {
		d := model[h.e.LeadID]
		return d.live && d.cur.Version == h.e.Version
	}
	// wrote records a successful write of an entry, and reports whether the
	// store wrote anything (idempotent calls return the entry as it was).
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

	for range deliveryOps {
		l := leads[r.IntN(len(leads))]
		d := model[l.ID]
		switch op := r.IntN(20); {
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
				if d.live {
					require.GreaterOrEqual(t, got.Recycles, d.cur.Recycles, "recycles never go down")
				}
			}
			wrote(d, got)
		case op < 5: // a worker's lead is not ready again
			w, i, ok := pickHold()
			if !ok {
				continue
			}
			h := workers[w][i]
			drop(w, i)
			reason := reasons[r.IntN(len(reasons)-1)] // no final reason
			tr.op("worker %d recycles claimed %s (v%d) %s", w, h.e.LeadID, h.e.Version, reason)
			hl := leads[slices.IndexFunc(leads, func(x *lead.Lead) bool { return x.ID == h.e.LeadID })]
			want := current(h)
			got, err := s.RecycleClaimed(ctx, h.e, hl, reason, now)
			if !want {
				require.ErrorIs(t, err, recycle.ErrLeaseLost)
				continue
			}
			require.NoError(t, err)
			wrote(model[h.e.LeadID], got)
		case op < 6: // wake
			tr.op("wake %s", l.ID)
			got, err := s.Wake(ctx, l.ID, "new interest in RoutePlanner", now)
			if !d.live {
				require.ErrorIs(t, err, recycle.ErrNotFound)
				continue
			}
			require.NoError(t, err)
			require.False(t, got.Due.After(now), "woken: due now")
			require.True(t, got.LeaseUntil.IsZero(), "a wake ends any claim")
			wrote(d, got)
		case op < 7: // reschedule
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
		case op < 8: // cancel
			tr.op("cancel %s", l.ID)
			err := s.Cancel(ctx, l.ID)
			if !d.live {
				require.ErrorIs(t, err, recycle.ErrNotFound)
				continue
			}
			require.NoError(t, err)
			d.live = false
		case op < 12: // claim
			w := r.IntN(len(workers))
			limit := 1 + r.IntN(3)
			var want []recycle.Entry
			for _, x := range model {
				if x.live && (x.cur.LeaseUntil.IsZero() && !x.cur.Due.After(now) || !x.cur.LeaseUntil.IsZero() && !x.cur.LeaseUntil.After(now)) {
					want = append(want, x.cur)
				}
			}
			ordered(want)
			want = want[:min(limit, len(want))]
			tr.op("worker %d claims %d at %s (want %v)", w, limit, now.Format(time.DateTime), ids(want))
			got, err := s.Claim(ctx, now, limit)
			require.NoError(t, err)
			require.Equal(t, ids(want), ids(got), "the due leads, in order")
			for _, g := range got {
				x := model[g.LeadID]
				require.False(t, x.acked[x.gen], "%s handed out again after its ack", g.LeadID)
				require.False(t, g.Due.After(now), "%s handed out before it is due", g.LeadID)
				for _, hs := range workers {
					for _, h := range hs {
						if h.e.LeadID == g.LeadID {
							require.False(t, current(h) && h.e.LeaseUntil.After(now), "%s handed out while another lease holds it", g.LeadID)
						}
					}
				}
				x.cur = g
				workers[w] = append(workers[w], hold{g, x.gen})
				st.claimed++
				if g.Claims > 1 {
					st.redelivered++
				}
			}
		case op < 15: // ack
			w, i, ok := pickHold()
			if !ok {
				continue
			}
			h := workers[w][i]
			drop(w, i)
			x := model[h.e.LeadID]
			want := current(h)
			tr.op("worker %d acks %s (v%d, current %v)", w, h.e.LeadID, h.e.Version, want)
			err := s.Ack(ctx, h.e)
			switch {
			case want:
				require.NoError(t, err)
				require.False(t, x.acked[h.gen], "acknowledged twice")
				x.acked[h.gen] = true
				x.live = false
				st.acked++
			case x.live:
				require.ErrorIs(t, err, recycle.ErrLeaseLost)
				st.lost++
			default:
				require.ErrorIs(t, err, recycle.ErrNotFound)
			}
		case op < 16: // extend or release
			w, i, ok := pickHold()
			if !ok {
				continue
			}
			h := workers[w][i]
			want := current(h)
			if r.IntN(3) == 0 {
				drop(w, i)
				tr.op("worker %d releases %s (v%d, current %v)", w, h.e.LeadID, h.e.Version, want)
				err := s.Release(ctx, h.e, now)
				if !want {
					require.ErrorIs(t, err, recycle.ErrLeaseLost)
					continue
				}
				require.NoError(t, err)
				model[h.e.LeadID].cur.LeaseUntil = now
				continue
			}
			tr.op("worker %d extends %s (v%d, current %v)", w, h.e.LeadID, h.e.Version, want)
			got, err := s.Extend(ctx, h.e, now)
			if !want {
				require.ErrorIs(t, err, recycle.ErrLeaseLost)
				drop(w, i)
				continue
			}
			require.NoError(t, err)
			require.True(t, got.LeaseUntil.Equal(now.Add(lease)))
			model[h.e.LeadID].cur = got
			workers[w][i].e = got
		case op < 17: // a worker crashes, forgetting its claims
			w := r.IntN(len(workers))
			tr.op("worker %d crashes holding %d claims", w, len(workers[w]))
			workers[w] = nil
		case op < 18: // leases run out
			now = now.Add(lease + time.Duration(r.IntN(5))*time.Minute)
			tr.op("now += lease: %s", now.Format(time.DateTime))
		default: // time passes
			now = now.Add(time.Duration(r.IntN(90)) * time.Minute)
			tr.op("now: %s", now.Format(time.DateTime))
		}
	}

	// Every lead still scheduled is delivered exactly once when time runs
	// past every due time and every lease, and nothing else is.
	now = now.Add(deliveryHorizons.Longest + deliveryHorizons.Jitter + 4*time.Hour)
	tr.op("drain at %s", now.Format(time.DateTime))
	delivered := map[string]int{}
	for {
		got, err := s.Claim(ctx, now, 3)
		require.NoError(t, err)
		if len(got) == 0 {
			break
		}
		for _, g := range got {
			delivered[g.LeadID]++
			st.drained++
			require.NoError(t, s.Ack(ctx, g))
		}
	}
	for _, l := range leads {
		want := 0
		if model[l.ID].live {
			want = 1
		}
		require.Equal(t, want, delivered[l.ID], "deliveries of %s in the drain", l.ID)
		_, err := s.Get(ctx, l.ID)
		require.True(t, errors.Is(err, recycle.ErrNotFound), "%s left behind: %v", l.ID, err)
	}
}
