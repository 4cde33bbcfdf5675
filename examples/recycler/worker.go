package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/recycle"
)

// Leads is the host's store of leads: the CRM. The worker reads a lead
// when its recycle comes due, so that it requalifies what the host knows
// now, not what it knew when the lead was set aside.
type Leads interface {
	// Lead returns the lead with the given ID, or an error wrapping
	// ErrNoLead if the host no longer has it.
	Lead(ctx context.Context, id string) (*lead.Lead, error)
}

// ErrNoLead is returned by a Leads for a lead the host no longer has: its
// recycle is acknowledged, since there is no one left to call.
var ErrNoLead = errors.New("no such lead")

// Actions is how the worker hands on a requalified lead. A lead may be
// delivered to workers more than once (its worker died after handing it on
// and before acknowledging its claim), always with the same Handoff.Key: an
// Actions hands on each key at most once, by storing the key with its
// side effect (Handoffs does).
type Actions interface {
	// Sales hands a lead with need to sales, to be answered by
	// h.Decision.Deadline: speed to lead.
	Sales(ctx context.Context, h Handoff) error
	// Nurture hands a lead with interest to marketing, for a
	// permission-based nurture track.
	Nurture(ctx context.Context, h Handoff) error
	// Review puts a closed lead that asked to be helped again in front of
	// a person (qualify.RouteReview): h.Decision.Note says why.
	Review(ctx context.Context, h Handoff) error
}

// Config configures a Worker. Each field documents its default; defaults
// are filled in and the result checked by NewWorker.
type Config struct {
	// Scheduler is the recycle schedule. Required.
	Scheduler *recycle.Scheduler
	// Policy requalifies the leads. Required.
	Policy *qualify.Policy
	// Leads reads the leads. Required.
	Leads Leads
	// Actions hands them on. Required.
	Actions Actions
	// Batch is how many leads one claim takes. Default 10.
	Batch int
	// Poll is how long the worker waits when nothing is due, or after an
	// error of the store. Default 5 seconds.
	Poll time.Duration
	// Grace is how long the lead in hand may still take once shutdown
	// begins; then its work is cancelled and its claim released. Default
	// 30 seconds.
	Grace time.Duration
	// Once makes Run return when nothing is due, instead of polling.
	Once bool
	// Wake, when set, cuts the wait of a poll short: a value on it means
	// leads may have become due (sqlstore.Store.WatchDue).
	Wake <-chan struct{}
	// Log receives what the worker does. Default: slog.Default().
	Log *slog.Logger
	// Now is the clock. Default: time.Now.
	Now func() time.Time

	// tick, for tests, replaces the heartbeat's ticker: it returns the
	// channel of ticks and a function that stops them.
	tick func(d time.Duration) (<-chan time.Time, func())
}

// Worker claims due recycles, requalifies each lead with the policy, and
// acts on the decision: need goes to sales and interest to nurture (then
// the recycle is acknowledged), out of scope or no evidence is recycled
// again with its reason, and a final verdict is acknowledged, so the lead is
// never called again.
//
// A lead whose requalification fails (the CRM does not answer, a rule
// fails, a hand-off fails) is reported with recycle.Scheduler.Fail: it
// comes back after a delay that doubles with each failure, and after
// recycle.Config.MaxAttempts failures it is dead, parked until an operator
// requeues it (recycler dead, recycler requeue). While the worker works on
// a batch, it renews the leases of the claims it holds. On shutdown it
// finishes the lead in hand (within Config.Grace) and releases the claims
// it has not started, so that another worker takes them at once; a worker
// that dies instead loses nothing either: its leases run out, and its
// leads go to another worker with the same keys, so that none is handed
// on twice.
type Worker struct {
	cfg   Config
	stats Stats
}

// Stats counts what a Worker did.
type Stats struct {
	Claimed  atomic.Int64 // claims taken
	Sales    atomic.Int64 // handed to sales and acknowledged
	Nurture  atomic.Int64 // handed to nurture and acknowledged
	Review   atomic.Int64 // put in front of a person and acknowledged
	Recycled atomic.Int64 // recycled again
	Dropped  atomic.Int64 // final: acknowledged, never called again
	Gone     atomic.Int64 // no longer in the CRM: acknowledged
	Failed   atomic.Int64 // failed, to be retried later (or dead)
	Dead     atomic.Int64 // failed too often: parked until requeued
	Lost     atomic.Int64 // another worker had taken the lead meanwhile
	Released atomic.Int64 // given back unworked at shutdown
}

func (s *Stats) String() string {
	return fmt.Sprintf("claimed %d: sales %d, nurture %d, review %d, recycled %d, dropped %d, gone %d, failed %d, dead %d, lease lost %d, released %d",
		s.Claimed.Load(), s.Sales.Load(), s.Nurture.Load(), s.Review.Load(), s.Recycled.Load(), s.Dropped.Load(), s.Gone.Load(),
		s.Failed.Load(), s.Dead.Load(), s.Lost.Load(), s.Released.Load())
}

// NewWorker returns a Worker, or an error naming each field of cfg that is
// missing or out of range.
func NewWorker(cfg Config) (*Worker, error) {
	cfg.Batch = cmp.Or(cfg.Batch, 10)
	cfg.Poll = cmp.Or(cfg.Poll, 5*time.Second)
	cfg.Grace = cmp.Or(cfg.Grace, 30*time.Second)
	cfg.Log = cmp.Or(cfg.Log, slog.Default())
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.tick == nil {
		cfg.tick = func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		}
	}
	var p []error
	add := func(field, problem string) { p = append(p, fmt.Errorf("%s: %s", field, problem)) }
	if cfg.Scheduler == nil {
		add("Config.Scheduler", "required")
	}
	if cfg.Policy == nil {
		add("Config.Policy", "required")
	}
	if cfg.Leads == nil {
		add("Config.Leads", "required")
	}
	if cfg.Actions == nil {
		add("Config.Actions", "required")
	}
	if cfg.Batch < 1 || cfg.Batch > 1000 {
		add("Config.Batch", fmt.Sprintf("%d is outside 1 to 1000", cfg.Batch))
	}
	if cfg.Poll < 0 || cfg.Grace < 0 {
		add("Config.Poll, Config.Grace", "negative")
	}
	if err := errors.Join(p...); err != nil {
		return nil, fmt.Errorf("recycler: invalid worker config: %w", err)
	}
	return &Worker{cfg: cfg}, nil
}

// Stats returns the worker's counters.
func (w *Worker) Stats() *Stats { return &w.stats }

// Run claims and works due leads until ctx is cancelled (shutdown: the
// lead in hand is finished and the claims not started are released), or,
// with Config.Once, until nothing is due. It returns nil then; an error
// only if the worker could not go on.
func (w *Worker) Run(ctx context.Context) error {
	log := w.cfg.Log
	for ctx.Err() == nil {
		now := w.cfg.Now()
		claims, err := w.cfg.Scheduler.Claim(ctx, now, w.cfg.Batch)
		switch {
		case ctx.Err() != nil:
			// Shutdown cut the claim short: if it did take leads, their
			// leases run out and another worker takes them.
			return nil
		case err != nil:
			log.Error("claim failed; retrying", "err", err, "retry_in", w.cfg.Poll)
		case len(claims) > 0:
			w.stats.Claimed.Add(int64(len(claims)))
			w.batch(ctx, claims, w.cfg.Scheduler.Lease())
			continue
		case w.cfg.Once:
			return nil
		}
		t := time.NewTimer(w.cfg.Poll)
		select {
		case <-ctx.Done():
		case <-t.C:
		case <-w.cfg.Wake: // a lead became due: claim now
		}
		t.Stop()
	}
	return nil
}

// batch works a batch of claims, renewing their leases (of length lease)
// meanwhile.
func (w *Worker) batch(ctx context.Context, claims []recycle.Entry, lease time.Duration) {
	// The work of a lead in hand is not abandoned when shutdown begins: it
	// gets Grace to finish, then its context is cancelled.
	work, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stopGrace := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(w.cfg.Grace, cancel)
		context.AfterFunc(work, func() { t.Stop() })
	})
	defer stopGrace()

	h := &holding{claims: make(map[string]recycle.Entry, len(claims))}
	for _, c := range claims {
		h.claims[c.LeadID] = c
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		w.heartbeat(work, h, done, lease/3)
	}()
	defer wg.Wait()
	defer close(done)

	for i, c := range claims {
		if ctx.Err() != nil {
			w.release(ctx, h, claims[i:])
			return
		}
		w.handle(work, h, c)
		if work.Err() != nil { // the grace ran out in the middle of it
			w.release(ctx, h, claims[i:i+1])
		}
	}
}

// holding is the claims a worker holds, which its heartbeat renews. A
// claim leaves it before the write that ends it (an acknowledgement, a
// recycle, a release), under the lock the heartbeat holds while it renews:
// so the heartbeat never renews a claim that has just ended.
type holding struct {
	mu     sync.Mutex
	claims map[string]recycle.Entry
}

// end takes leadID's claim out of the holding and reports whether it was
// there.
func (h *holding) end(leadID string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.claims[leadID]
	delete(h.claims, leadID)
	return ok
}

// heartbeat renews the leases of the claims in h every interval (a third
// of the lease), until done is closed.
func (w *Worker) heartbeat(ctx context.Context, h *holding, done <-chan struct{}, interval time.Duration) {
	tick, stop := w.cfg.tick(max(interval, time.Millisecond))
	defer stop()
	for {
		select {
		case <-done:
			return
		case <-tick:
		}
		h.mu.Lock()
		for id, c := range h.claims {
			e, err := w.cfg.Scheduler.Extend(ctx, c)
			switch {
			case errors.Is(err, recycle.ErrLeaseLost):
				w.cfg.Log.Warn("lease lost: another worker has the lead", "lead", id, "err", err)
				delete(h.claims, id)
			case err != nil:
				w.cfg.Log.Error("lease renewal failed", "lead", id, "err", err)
			default:
				h.claims[id] = e
			}
		}
		h.mu.Unlock()
	}
}

// release gives back claims the worker will not work, so that another
// worker may take them at once.
func (w *Worker) release(ctx context.Context, h *holding, claims []recycle.Entry) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	for _, c := range claims {
		h.end(c.LeadID)
		switch err := w.cfg.Scheduler.Release(rctx, c); {
		case err == nil:
			w.stats.Released.Add(1)
			w.cfg.Log.Info("released", "lead", c.LeadID)
		case errors.Is(err, recycle.ErrLeaseLost):
			w.stats.Lost.Add(1)
		default:
			w.cfg.Log.Error("release failed: the lead comes back when its lease ends", "lead", c.LeadID, "err", err)
		}
	}
}

// handle requalifies the lead of claim c and acts on the decision.
func (w *Worker) handle(ctx context.Context, h *holding, c recycle.Entry) {
	// An entry is a lead's, or a lead's on one product line (see
	// recycle.EntryKey): a line's entry acts on the line's decision.
	leadID, line := c.Lead()
	log := w.cfg.Log.With("lead", leadID, "reason", c.Reason, "claims", c.Claims, "key", c.IdempotencyKey())
	if line != "" {
		log = log.With("line", line)
	}
	now := w.cfg.Now()
	l, err := w.cfg.Leads.Lead(ctx, leadID)
	switch {
	case errors.Is(err, ErrNoLead):
		w.ack(ctx, h, c, log, "gone", &w.stats.Gone)
		return
	case err != nil:
		w.fail(ctx, h, c, log, "reading the lead failed", err)
		return
	}
	d, err := qualify.EvaluateAt(ctx, w.cfg.Policy, l, now)
	if err != nil {
		w.fail(ctx, h, c, log, "requalification failed", err)
		return
	}
	if line != "" {
		ld, ok := lineDecision(d, line)
		if !ok {
			// The policy no longer judges the lead on this line: a person
			// must look, not the worker guess.
			w.fail(ctx, h, c, log, "requalification failed", fmt.Errorf("the policy %q has no decision on product line %q for this lead", d.Policy, line))
			return
		}
		d = ld
	}
	log = log.With("route", d.Route, "verdict", d.Verdict)
	ho := Handoff{Key: c.IdempotencyKey(), Lead: l, Decision: d}
	switch d.Route {
	case qualify.RouteSales:
		if err := w.cfg.Actions.Sales(ctx, ho); err != nil {
			w.fail(ctx, h, c, log, "handing to sales failed", err)
			return
		}
		w.ack(ctx, h, c, log, "to sales", &w.stats.Sales)
	case qualify.RouteNurture:
		if err := w.cfg.Actions.Nurture(ctx, ho); err != nil {
			w.fail(ctx, h, c, log, "handing to marketing failed", err)
			return
		}
		w.ack(ctx, h, c, log, "to nurture", &w.stats.Nurture)
	case qualify.RouteReview:
		if err := w.cfg.Actions.Review(ctx, ho); err != nil {
			w.fail(ctx, h, c, log, "handing to a person failed", err)
			return
		}
		w.ack(ctx, h, c, log.With("why", d.Note), "to review", &w.stats.Review)
	case qualify.RouteRecycle:
		reason := cmp.Or(d.Reason, l.LostReason, c.Reason)
		h.end(c.LeadID)
		e, err := w.cfg.Scheduler.RecycleClaimed(ctx, c, l, reason, now)
		switch {
		case errors.Is(err, recycle.ErrFinal):
			w.ack(ctx, h, c, log, "dropped (final reason)", &w.stats.Dropped)
		case errors.Is(err, recycle.ErrLeaseLost):
			w.stats.Lost.Add(1)
			log.Warn("lease lost before the recycle: another worker has the lead", "err", err)
		case err != nil:
			w.stats.Failed.Add(1)
			log.Error("recycling failed; the lead comes back when its lease ends", "err", err)
		default:
			w.stats.Recycled.Add(1)
			log.Info("recycled", "as", reason, "due", e.Due, "task", e.Task)
		}
	default: // qualify.RouteDrop: final, never called again
		w.ack(ctx, h, c, log.With("why", d.Reason), "dropped", &w.stats.Dropped)
	}
}

// lineDecision returns the decision of d on product line `line`.
func lineDecision(d qualify.Decision, line string) (qualify.Decision, bool) {
	for _, ld := range d.Lines {
		if ld.Line == line {
			return ld, true
		}
	}
	return qualify.Decision{}, false
}

// fail reports the failure of claim c: the lead comes back later, or is
// dead if it failed too often.
func (w *Worker) fail(ctx context.Context, h *holding, c recycle.Entry, log *slog.Logger, what string, cause error) {
	if ctx.Err() != nil {
		return // shutdown cut the work short: no failure of the lead's; the batch releases it
	}
	h.end(c.LeadID)
	w.stats.Failed.Add(1)
	e, err := w.cfg.Scheduler.Fail(ctx, c, fmt.Errorf("%s: %w", what, cause), w.cfg.Now())
	switch {
	case errors.Is(err, recycle.ErrLeaseLost):
		w.stats.Lost.Add(1)
		log.Warn(what+"; another worker has the lead meanwhile", "err", cause)
	case err != nil:
		log.Error(what+"; writing the failure down failed too: the lead comes back when its lease ends", "err", cause, "fail_err", err)
	case e.Dead:
		w.stats.Dead.Add(1)
		log.Error(what+"; the lead failed too often: dead until requeued", "err", cause, "failures", e.Failures)
	default:
		log.Error(what+"; retried later", "err", cause, "failures", e.Failures, "due", e.Due)
	}
}

// ack acknowledges claim c: its recycle is done. The Scheduler retries a
// store that is away for a moment; a failure past that leaves the lead to
// its lease: it comes back with the same key, and is not handed on twice.
func (w *Worker) ack(ctx context.Context, h *holding, c recycle.Entry, log *slog.Logger, what string, n *atomic.Int64) {
	h.end(c.LeadID)
	switch err := w.cfg.Scheduler.Ack(ctx, c); {
	case err == nil:
		n.Add(1)
		log.Info(what)
	case errors.Is(err, recycle.ErrLeaseLost):
		// The hand-off is recorded under the claim's key, but another
		// worker took the lead after our lease ended (and will find the key
		// recorded), or the host changed or cancelled it.
		w.stats.Lost.Add(1)
		log.Warn(what+", but the lease was lost meanwhile", "err", err)
	default:
		w.stats.Failed.Add(1)
		log.Error(what+", but the acknowledgement failed: the lead comes back when its lease ends, with the same key", "err", err)
	}
}
