package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadqual/leadqual/examples/sqlstore"
	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/recycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests' fixed timeline: leads are set aside at t0 and requalified at
// t1, when all of them are due.
var (
	t0 = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	t1 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
)

const lease = 10 * time.Minute

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// fakeActions records hand-offs; block, when set, is called first.
type fakeActions struct {
	mu      sync.Mutex
	handed  map[string]string // lead -> "sales" or "nurture"
	block   func(ctx context.Context, leadID string) error
	failFor map[string]error
}

func (a *fakeActions) do(ctx context.Context, to string, h Handoff) error {
	if a.block != nil {
		if err := a.block(ctx, h.Lead.ID); err != nil {
			return err
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.failFor[h.Lead.ID]; err != nil {
		return err
	}
	if a.handed == nil {
		a.handed = map[string]string{}
	}
	a.handed[h.Lead.ID] = to
	return nil
}

func (a *fakeActions) Sales(ctx context.Context, h Handoff) error { return a.do(ctx, "sales", h) }

func (a *fakeActions) Nurture(ctx context.Context, h Handoff) error { return a.do(ctx, "nurture", h) }

func (a *fakeActions) Review(ctx context.Context, h Handoff) error { return a.do(ctx, "review", h) }

// failingLeads is a CRM that does not answer for some leads.
type failingLeads struct {
	Leads
	fail map[string]bool
}

func (f failingLeads) Lead(ctx context.Context, id string) (*lead.Lead, error) {
	if f.fail[id] {
		return nil, errors.New("crm: connection refused")
	}
	return f.Leads.Lead(ctx, id)
}

// fixture is a worker over a SQLite store in memory, with the testdata
// leads recycled at t0.
type fixture struct {
	store   *sqlstore.Store
	sched   *recycle.Scheduler
	leads   JSONLines
	actions *fakeActions
	clock   *fakeClock
	cfg     Config
	// advanced is how far the test moved the store's clock.
	advanced time.Duration
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	store, err := sqlstore.OpenSQLite(ctx, ":memory:", sqlstore.SQLiteConfig{})
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	return newFixtureOn(t, store)
}

func newFixtureOn(t *testing.T, store *sqlstore.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	sched, err := recycle.NewScheduler(store, recycle.Config{Vocabulary: qualify.DefaultVocabulary(), Currency: "GBP", Lease: lease})
	require.NoError(t, err)
	f, err := os.Open("testdata/leads.jsonl")
	require.NoError(t, err)
	defer f.Close()
	leads, err := readJSONLines(f, t1)
	require.NoError(t, err)
	log := slog.New(slog.DiscardHandler)
	require.NoError(t, schedule(ctx, sched, leads, t0, log))
	policy, err := qualify.Compile(qualify.DefaultSpec())
	require.NoError(t, err)
	fx := &fixture{store: store, sched: sched, leads: leads, actions: &fakeActions{}, clock: &fakeClock{t: t1}}
	fx.cfg = Config{
		Scheduler: sched, Policy: policy, Leads: leads, Actions: fx.actions,
		Once: true, Log: log, Now: fx.clock.Now,
	}
	return fx
}

func (fx *fixture) worker(t *testing.T) *Worker {
	t.Helper()
	w, err := NewWorker(fx.cfg)
	require.NoError(t, err)
	return w
}

// state returns what became of each scheduled lead: "acked" (no entry),
// "held" (a lease still running on the store's clock), "released" (a
// lease that ended: claimable now), "retry" (failed, due again later),
// "dead", or "scheduled" (not claimed, due later than t1: recycled again).
func (fx *fixture) state(t *testing.T, id string) string {
	t.Helper()
	e, err := fx.store.Get(context.Background(), id)
	switch {
	case errors.Is(err, recycle.ErrNotFound):
		return "acked"
	case err != nil:
		t.Fatal(err)
	case e.Dead:
		return "dead"
	case e.LeaseUntil.After(fx.storeNow()):
		return "held"
	case !e.LeaseUntil.IsZero():
		return "released"
	case e.Failures > 0:
		return "retry"
	case e.Due.After(t1):
		return "scheduled"
	}
	return "due"
}

// storeNow is the store's clock, near enough: the database's (the wall
// clock) moved on as the test moved it.
func (fx *fixture) storeNow() time.Time { return time.Now().Add(fx.advanced) }

// advance moves the store's clock on by d.
func (fx *fixture) advance(d time.Duration) {
	fx.advanced += d
	fx.store.AdvanceClock(d)
}

// TestRoutes requalifies each testdata lead and checks what the worker did
// with it, by the route of its decision.
func TestRoutes(t *testing.T) {
	fx := newFixture(t)
	w := fx.worker(t)
	require.NoError(t, w.Run(context.Background()))
	tests := []struct {
		lead, handed, state string
	}{
		{"L-need", "sales", "acked"},       // a fresh pricing request: need
		{"L-interest", "nurture", "acked"}, // attended a webinar: interest
		{"L-quiet", "", "scheduled"},       // no evidence: recycled again, no budget
		{"L-supplier", "", "scheduled"},    // preferred supplier: out of scope, recycled
		{"L-stop", "", "acked"},            // do not contact: dropped for good
		{"L-closed", "", "acked"},          // not a fit: never scheduled
	}
	for _, tc := range tests {
		t.Run(tc.lead, func(t *testing.T) {
			assert.Equal(t, tc.handed, fx.actions.handed[tc.lead], "hand-off")
			assert.Equal(t, tc.state, fx.state(t, tc.lead), "state")
		})
	}
	e, err := fx.store.Get(context.Background(), "L-quiet")
	require.NoError(t, err)
	assert.Equal(t, lead.ReasonNoBudget, e.Reason)
	assert.Equal(t, 2, e.Recycles, "recycled once when set aside, once more now")
	s := w.Stats()
	assert.Equal(t, "claimed 5: sales 1, nurture 1, review 0, recycled 2, dropped 1, gone 0, failed 0, dead 0, lease lost 0, released 0", s.String())
}

// TestFailures checks that a lead whose requalification fails is written
// down as failed and comes back after the retry delay, dead after
// MaxAttempts failures; and that a lead the CRM no longer has is
// acknowledged.
func TestFailures(t *testing.T) {
	tests := []struct {
		name  string
		setup func(fx *fixture)
		lead  string
		state string
	}{
		{"crm down", func(fx *fixture) {
			fx.cfg.Leads = failingLeads{Leads: fx.leads, fail: map[string]bool{"L-need": true}}
		}, "L-need", "retry"},
		{"hand-off fails", func(fx *fixture) {
			fx.actions.failFor = map[string]error{"L-interest": errors.New("marketing: 503")}
		}, "L-interest", "retry"},
		{"rule fails", func(fx *fixture) {
			spec := qualify.DefaultSpec()
			spec.Rules = append(spec.Rules, qualify.Rule{Name: "seats", When: `fields.seats != nil && fields.seats > 10`, Dimension: qualify.DimensionFit, Points: "5", Reason: "seats"})
			p, err := qualify.Compile(spec)
			if err != nil {
				panic(err)
			}
			fx.cfg.Policy = p
			fx.leads["L-quiet"].Fields = map[string]any{"seats": "many"}
		}, "L-quiet", "retry"},
		{"lead gone from the crm", func(fx *fixture) { delete(fx.leads, "L-quiet") }, "L-quiet", "acked"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixture(t)
			tc.setup(fx)
			w := fx.worker(t)
			require.NoError(t, w.Run(context.Background()))
			assert.Equal(t, tc.state, fx.state(t, tc.lead))
			if tc.state != "retry" {
				return
			}
			e, err := fx.store.Get(context.Background(), tc.lead)
			require.NoError(t, err)
			assert.Equal(t, 1, e.Failures)
			assert.NotEmpty(t, e.LastError)
			assert.Equal(t, t1.Add(time.Minute), e.Due, "retried after a minute")
			// It keeps failing: retried after 2, 4, 8... minutes, and dead at
			// the tenth failure.
			for i := 2; i <= 10; i++ {
				fx.clock.Set(e.Due)
				require.NoError(t, fx.worker(t).Run(context.Background()))
				e, err = fx.store.Get(context.Background(), tc.lead)
				require.NoError(t, err)
				require.Equal(t, i, e.Failures)
			}
			assert.Equal(t, "dead", fx.state(t, tc.lead))
			dead, err := fx.sched.Dead(context.Background(), "", 10)
			require.NoError(t, err)
			require.Len(t, dead, 1)
			assert.Equal(t, tc.lead, dead[0].LeadID)
			_, err = fx.sched.Requeue(context.Background(), tc.lead, fx.clock.Now())
			require.NoError(t, err)
			cs, err := fx.sched.Claim(context.Background(), fx.clock.Now(), 10)
			require.NoError(t, err)
			require.Len(t, cs, 1, "requeued: due again")
			assert.Equal(t, tc.lead, cs[0].LeadID)
		})
	}
}

// TestRedeliveredNotHandedTwice: a worker hands a lead to sales and dies
// before acknowledging it (its acknowledgements fail); once its lease
// runs out the lead goes to another worker, with the same key, and is not
// handed to sales again.
func TestRedeliveredNotHandedTwice(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	var out bytes.Buffer
	handoffs, err := NewHandoffs(ctx, fx.store, &out, fx.clock.Now)
	require.NoError(t, err)
	dying, err := recycle.NewScheduler(ackless{fx.store}, recycle.Config{Vocabulary: fx.cfg.Policy.Vocabulary(), Currency: "GBP", Lease: lease})
	require.NoError(t, err)
	cfg := fx.cfg
	cfg.Actions, cfg.Scheduler = handoffs, dying
	first, err := NewWorker(cfg)
	require.NoError(t, err)
	require.NoError(t, first.Run(ctx))
	assert.Equal(t, "held", fx.state(t, "L-need"), "handed on, not acknowledged")
	lines := strings.Count(out.String(), "\n")
	assert.Equal(t, 2, lines, "L-need to sales, L-interest to nurture")

	fx.advance(lease) // the first worker's leases run out
	cfg.Scheduler = fx.sched
	second, err := NewWorker(cfg)
	require.NoError(t, err)
	require.NoError(t, second.Run(ctx))
	assert.Equal(t, "acked", fx.state(t, "L-need"))
	assert.Equal(t, "acked", fx.state(t, "L-interest"))
	assert.Equal(t, int64(1), second.Stats().Sales.Load(), "delivered again, and acknowledged")
	assert.Equal(t, lines, strings.Count(out.String(), "\n"), "but not handed on again:\n%s", out.String())
	var n int
	require.NoError(t, fx.store.DB().QueryRow(`SELECT count(*) FROM recycler_handoffs`).Scan(&n))
	assert.Equal(t, 2, n, "one hand-off recorded per key")
}

// ackless is a store whose acknowledgements fail: a worker that dies
// before acknowledging.
type ackless struct{ *sqlstore.Store }

func (a ackless) Delete(context.Context, string, uint64) error {
	return errors.New("the process died")
}

// TestShutdown cancels the worker while it hands the first lead of a batch
// to sales: that lead is finished, the rest of the batch is released, so
// that another worker takes it at once.
func TestShutdown(t *testing.T) {
	fx := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	inSales := make(chan struct{})
	// The first lead of the batch is L-stop (due earliest); let L-need be
	// first by waking it.
	_, err := fx.sched.Wake(context.Background(), "L-need", "called us back", t0)
	require.NoError(t, err)
	fx.actions.block = func(_ context.Context, id string) error {
		if id == "L-need" {
			close(inSales)
			<-ctx.Done() // the worker is shutting down
		}
		return nil
	}
	w := fx.worker(t)
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	<-inSales
	cancel()
	require.NoError(t, <-done)

	assert.Equal(t, "sales", fx.actions.handed["L-need"], "the lead in hand was finished")
	assert.Equal(t, "acked", fx.state(t, "L-need"))
	for _, id := range []string{"L-stop", "L-interest", "L-quiet", "L-supplier"} {
		assert.Equal(t, "released", fx.state(t, id), "%s, not started, was released", id)
	}
	assert.Equal(t, int64(4), w.Stats().Released.Load())
	cs, err := fx.sched.Claim(context.Background(), t1, 10)
	require.NoError(t, err)
	assert.Len(t, cs, 4, "another worker takes them at once")
}

// TestShutdownGrace: a lead in hand that does not finish within the grace
// has its work cancelled, and its claim released with the others.
func TestShutdownGrace(t *testing.T) {
	fx := newFixture(t)
	_, err := fx.sched.Wake(context.Background(), "L-need", "called us back", t0)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	inSales := make(chan struct{})
	fx.actions.block = func(work context.Context, id string) error {
		if id == "L-need" {
			close(inSales)
			<-work.Done() // stuck until the grace runs out
			return work.Err()
		}
		return nil
	}
	fx.cfg.Grace = time.Millisecond
	w := fx.worker(t)
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	<-inSales
	cancel()
	require.NoError(t, <-done)
	assert.Empty(t, fx.actions.handed["L-need"])
	for _, id := range []string{"L-need", "L-stop", "L-interest", "L-quiet", "L-supplier"} {
		assert.Equal(t, "released", fx.state(t, id), id)
	}
}

// TestHeartbeat checks that the worker renews the leases of the batch it
// holds while a lead takes long, and stops renewing a claim once it ends.
func TestHeartbeat(t *testing.T) {
	fx := newFixture(t)
	_, err := fx.sched.Wake(context.Background(), "L-need", "called us back", t0)
	require.NoError(t, err)
	ticks := make(chan time.Time)
	fx.cfg.tick = func(d time.Duration) (<-chan time.Time, func()) {
		assert.Equal(t, lease/3, d, "renewed every third of the lease")
		return ticks, func() {}
	}
	inSales, release := make(chan struct{}), make(chan struct{})
	fx.actions.block = func(_ context.Context, id string) error {
		if id == "L-need" {
			close(inSales)
			<-release
		}
		return nil
	}
	w := fx.worker(t)
	done := make(chan error)
	go func() { done <- w.Run(context.Background()) }()
	<-inSales

	// Eight minutes into the lead, the heartbeat renews the whole batch.
	before := map[string]time.Time{}
	for _, id := range []string{"L-need", "L-stop", "L-interest", "L-quiet", "L-supplier"} {
		e, err := fx.store.Get(context.Background(), id)
		require.NoError(t, err)
		before[id] = e.LeaseUntil
	}
	later := t1.Add(8 * time.Minute)
	fx.clock.Set(later)
	fx.advance(8 * time.Minute)
	ticks <- later
	ticks <- later // received only once the first tick is done
	for id, was := range before {
		e, err := fx.store.Get(context.Background(), id)
		require.NoError(t, err)
		assert.WithinRange(t, e.LeaseUntil, was.Add(8*time.Minute), was.Add(9*time.Minute), "%s renewed for a lease from now on the store's clock", id)
	}
	close(release)
	require.NoError(t, <-done)
	assert.Equal(t, "claimed 5: sales 1, nurture 1, review 0, recycled 2, dropped 1, gone 0, failed 0, dead 0, lease lost 0, released 0", w.Stats().String())
}

func TestNewWorkerConfig(t *testing.T) {
	_, err := NewWorker(Config{Batch: 5000})
	require.Error(t, err)
	for _, field := range []string{"Config.Scheduler: required", "Config.Policy: required", "Config.Leads: required",
		"Config.Actions: required", "Config.Batch: 5000 is outside 1 to 1000"} {
		assert.ErrorContains(t, err, field)
	}
}
