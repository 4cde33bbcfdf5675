package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
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

func (a *fakeActions) do(ctx context.Context, to string, l *lead.Lead) error {
	if a.block != nil {
		if err := a.block(ctx, l.ID); err != nil {
			return err
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.failFor[l.ID]; err != nil {
		return err
	}
	if a.handed == nil {
		a.handed = map[string]string{}
	}
	a.handed[l.ID] = to
	return nil
}

func (a *fakeActions) Sales(ctx context.Context, l *lead.Lead, _ qualify.Decision) error {
	return a.do(ctx, "sales", l)
}

func (a *fakeActions) Nurture(ctx context.Context, l *lead.Lead, _ qualify.Decision) error {
	return a.do(ctx, "nurture", l)
}

func (a *fakeActions) Review(ctx context.Context, l *lead.Lead, _ qualify.Decision) error {
	return a.do(ctx, "review", l)
}

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
// "held" (a lease still running at the fixture's clock), "released" (a
// lease that ended at the clock: claimable now), or "scheduled" (not
// claimed, due later than t1: recycled again).
func (fx *fixture) state(t *testing.T, id string) string {
	t.Helper()
	e, err := fx.store.Get(context.Background(), id)
	switch {
	case errors.Is(err, recycle.ErrNotFound):
		return "acked"
	case err != nil:
		t.Fatal(err)
	case e.Claimed(fx.clock.Now()):
		return "held"
	case !e.LeaseUntil.IsZero():
		return "released"
	case e.Due.After(t1):
		return "scheduled"
	}
	return "due"
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
	assert.Equal(t, "claimed 5: sales 1, nurture 1, review 0, recycled 2, dropped 1, gone 0, failed 0, lease lost 0, released 0", s.String())
}

// TestFailures checks that a lead whose requalification fails is left to
// its lease, and that a lead the CRM no longer has is acknowledged.
func TestFailures(t *testing.T) {
	tests := []struct {
		name  string
		setup func(fx *fixture)
		lead  string
		state string
	}{
		{"crm down", func(fx *fixture) {
			fx.cfg.Leads = failingLeads{Leads: fx.leads, fail: map[string]bool{"L-need": true}}
		}, "L-need", "held"},
		{"hand-off fails", func(fx *fixture) {
			fx.actions.failFor = map[string]error{"L-interest": errors.New("marketing: 503")}
		}, "L-interest", "held"},
		{"rule fails", func(fx *fixture) {
			spec := qualify.DefaultSpec()
			spec.Rules = append(spec.Rules, qualify.Rule{Name: "seats", When: `fields.seats != nil && fields.seats > 10`, Dimension: qualify.DimensionFit, Points: "5", Reason: "seats"})
			p, err := qualify.Compile(spec)
			if err != nil {
				panic(err)
			}
			fx.cfg.Policy = p
			fx.leads["L-quiet"].Fields = map[string]any{"seats": "many"}
		}, "L-quiet", "held"},
		{"lead gone from the crm", func(fx *fixture) { delete(fx.leads, "L-quiet") }, "L-quiet", "acked"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixture(t)
			tc.setup(fx)
			w := fx.worker(t)
			require.NoError(t, w.Run(context.Background()))
			assert.Equal(t, tc.state, fx.state(t, tc.lead))
			e, err := fx.store.Get(context.Background(), tc.lead)
			if tc.state == "held" {
				require.NoError(t, err)
				assert.Equal(t, t1.Add(lease), e.LeaseUntil, "left to its lease: it comes back then")
				fx.clock.Set(e.LeaseUntil)
				cs, err := fx.sched.Claim(context.Background(), fx.clock.Now(), 10)
				require.NoError(t, err)
				require.Len(t, cs, 1, "and it does")
				assert.Equal(t, tc.lead, cs[0].LeadID)
			}
		})
	}
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
	later := t1.Add(8 * time.Minute)
	fx.clock.Set(later)
	ticks <- later
	ticks <- later // received only once the first tick is done
	for _, id := range []string{"L-need", "L-stop", "L-interest", "L-quiet", "L-supplier"} {
		e, err := fx.store.Get(context.Background(), id)
		require.NoError(t, err)
		assert.Equal(t, later.Add(lease), e.LeaseUntil, "%s renewed", id)
	}
	close(release)
	require.NoError(t, <-done)
	assert.Equal(t, "claimed 5: sales 1, nurture 1, review 0, recycled 2, dropped 1, gone 0, failed 0, lease lost 0, released 0", w.Stats().String())
}

func TestNewWorkerConfig(t *testing.T) {
	_, err := NewWorker(Config{Batch: 5000})
	require.Error(t, err)
	for _, field := range []string{"Config.Scheduler: required", "Config.Policy: required", "Config.Leads: required",
		"Config.Actions: required", "Config.Batch: 5000 is outside 1 to 1000"} {
		assert.ErrorContains(t, err, field)
	}
}
