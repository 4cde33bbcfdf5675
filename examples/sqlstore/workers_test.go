package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadqual/leadqual/examples/sqlstore"
	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/recycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// t0 is the start of the tests' fixed timeline.
var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// fleet is what the workers of TestWorkersCrash did, lead by lead.
type fleet struct {
	// seq orders the calls of all workers: a claim takes a number before
	// it starts, an acknowledgement one after it succeeded. A claim that
	// started after a lead's acknowledgement must not hand it out; one
	// that ran concurrently may.
	seq       atomic.Int64
	mu        sync.Mutex
	claims    []claimed        // every entry handed out
	acked     map[string]int   // successful acknowledgements, per lead
	ackedAt   map[string]int64 // seq after the acknowledgement, per lead
	lost      int              // acknowledgements refused: the lease had been lost
	remaining atomic.Int64     // leads not yet acknowledged
	// stores are the workers' stores, each with its own pool: the test
	// moves their clocks on together, so that leases run out when it says
	// so, not when the wall clock does.
	stores []*sqlstore.Store
}

// open opens a store for a worker.
func (f *fleet) open(t testing.TB, open func(testing.TB) *sqlstore.Store) *sqlstore.Store {
	s := open(t)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stores = append(f.stores, s)
	return s
}

// advance moves the clock of every store d later.
func (f *fleet) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.stores {
		s.AdvanceClock(d)
	}
}

// claimed is one entry handed out by a claim that started at seq.
type claimed struct {
	id  string
	seq int64
}

// claim claims a batch and records what it handed out.
func (f *fleet) claim(ctx context.Context, s *sqlstore.Store, n int, lease time.Duration) ([]recycle.Entry, error) {
	start := f.seq.Add(1)
	es, err := s.Claim(ctx, t0, n, lease)
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range es {
		f.claims = append(f.claims, claimed{e.LeadID, start})
	}
	return es, err
}

// ack acknowledges claim e, as a worker that did its task.
func (f *fleet) ack(ctx context.Context, s *sqlstore.Store, e recycle.Entry) error {
	err := s.Delete(ctx, e.LeadID, e.Version)
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case err == nil:
		f.acked[e.LeadID]++
		f.ackedAt[e.LeadID] = f.seq.Add(1)
		f.remaining.Add(-1)
	case errors.Is(err, recycle.ErrStale) || errors.Is(err, recycle.ErrNotFound):
		f.lost++ // someone claimed it again after our lease ended
	default:
		return err
	}
	return nil
}

// TestWorkersCrash runs a fleet of workers, each with its own connection
// pool (as separate processes would have), over one database: they claim
// and acknowledge thousands of leads concurrently while one of them dies
// in the middle of its leases. At the end every lead was processed and
// acknowledged exactly once, none was handed out again after its
// acknowledgement, and none was lost: the dead worker's leases ran out and
// its leads went to the others.
func TestWorkersCrash(t *testing.T) {
	for _, b := range backends {
		if b.memory {
			continue // an in-memory database has one pool, in one process
		}
		t.Run(b.name, func(t *testing.T) { testWorkersCrash(t, b.database(t).store) })
	}
}

func testWorkersCrash(t *testing.T, open func(testing.TB) *sqlstore.Store) {
	const (
		leads   = 3000
		workers = 4
		batch   = 20
		lease   = 10 * time.Minute
	)
	ctx := context.Background()
	f := &fleet{acked: map[string]int{}, ackedAt: map[string]int64{}}
	f.remaining.Store(leads)

	setup := f.open(t, open)
	for i := range leads {
		_, err := setup.Put(ctx, recycle.Entry{
			LeadID: fmt.Sprintf("L-%05d", i),
			Due:    t0.Add(-time.Duration(i%97) * time.Minute),
			Reason: lead.ReasonNotNow,
			Task:   "Ask whether the time has come",
			Rank:   int64(i % 7),
			Since:  t0.Add(-90 * 24 * time.Hour),
		}, 0)
		require.NoError(t, err)
	}

	// The victim claims a batch, acknowledges half of it, starts another
	// claim and dies while it runs: its pool is gone, its leases are not.
	var held []recycle.Entry
	victim := f.open(t, open)
	es, err := f.claim(ctx, victim, batch, lease)
	require.NoError(t, err)
	require.Len(t, es, batch)
	for _, e := range es[:batch/2] {
		require.NoError(t, f.ack(ctx, victim, e))
	}
	held = es[batch/2:]

	var (
		wg   sync.WaitGroup
		errs = make(chan error, workers+1)
	)
	wg.Add(1)
	go func() { // the victim's last claim, cut short: its answer is lost either way
		defer wg.Done()
		c, cancel := context.WithCancel(ctx)
		go cancel()
		_, err := victim.Claim(c, t0, batch, lease)
		if err != nil && !errors.Is(err, context.Canceled) {
			errs <- fmt.Errorf("victim: %w", err)
		}
		if err := victim.Close(); err != nil {
			errs <- fmt.Errorf("victim: close: %w", err)
		}
	}()

	for w := range workers {
		s := f.open(t, open)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := work(ctx, s, f, batch, lease); err != nil {
				errs <- fmt.Errorf("worker %d: %w", w, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if !assert.NoError(t, err) {
			rows, qerr := setup.DB().QueryContext(ctx, "SELECT lead_id, version, lease_until, claims FROM recycle_entries")
			require.NoError(t, qerr)
			for rows.Next() {
				var id string
				var v, c int64
				var lu any
				require.NoError(t, rows.Scan(&id, &v, &lu, &c))
				t.Logf("left: %s v%d lease %v claims %d; acked %d", id, v, lu, c, f.acked[id])
			}
			rows.Close()
			t.FailNow()
		}
	}

	handed := map[string]int{}
	for _, c := range f.claims {
		handed[c.id]++
		if at, ok := f.ackedAt[c.id]; ok && c.seq > at {
			t.Errorf("%s handed out by a claim that started after its acknowledgement", c.id)
		}
	}
	for i := range leads {
		id := fmt.Sprintf("L-%05d", i)
		assert.Equal(t, 1, f.acked[id], "acknowledgements of %s", id)
	}
	for _, e := range held {
		assert.GreaterOrEqual(t, handed[e.LeadID], 2, "%s, held by the dead worker, was claimed again", e.LeadID)
	}
	assert.Equal(t, 0, count(t, setup.DB()), "entries left in the store")
	t.Logf("%d leads, %d claims handed out, %d acknowledgements refused for a lost lease",
		leads, len(f.claims), f.lost)
}

// work is one worker: it claims batches and acknowledges each claim, until
// every lead is acknowledged. When nothing is claimable, the stores' clocks
// move on by a lease's length, so that the leases of a dead worker run out (and those of a live one too, whose late
// acknowledgements are then refused: delivery is at least once).
func work(ctx context.Context, s *sqlstore.Store, f *fleet, batch int, lease time.Duration) error {
	idle, last := 0, f.remaining.Load()
	for remaining := last; remaining > 0; remaining = f.remaining.Load() {
		es, err := f.claim(ctx, s, batch, lease)
		if err != nil {
			return err
		}
		for _, e := range es {
			if err := f.ack(ctx, s, e); err != nil {
				return err
			}
		}
		if len(es) > 0 {
			continue
		}
		if remaining < last {
			idle, last = 0, remaining // someone made progress
		}
		if idle++; idle > 1000 {
			var left []string
			rows, err := s.DB().QueryContext(ctx, "SELECT lead_id || ' v' || version || ' lease ' || COALESCE(lease_until, 'none') FROM recycle_entries")
			if err == nil {
				for rows.Next() {
					var x string
					rows.Scan(&x)
					left = append(left, x)
				}
				rows.Close()
			}
			return fmt.Errorf("nothing claimable for %d rounds, with %d leads not acknowledged: lost (%v)",
				idle, remaining, left)
		}
		f.advance(lease)
		time.Sleep(time.Millisecond) // a worker polls: it does not spin
	}
	return nil
}
