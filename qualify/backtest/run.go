package backtest

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// Config configures Run and Compare (and Calibrate, through
// CalibrationConfig). The zero value is ready to use; every zero field
// means its default, and a negative one is an error (ErrConfig) naming it.
type Config struct {
	// Workers is the number of goroutines that judge leads; 0 means
	// runtime.GOMAXPROCS(0). The history is read on the caller's
	// goroutine. The report is the same whatever the number of workers.
	// With more than one worker, the history must yield a distinct Lead
	// per record (a worker may still be judging a lead when the history
	// yields the next); the readers of this package do.
	Workers int
	// Bins bounds the histogram of each score: while a score takes at
	// most Bins distinct values, its deciles and AUC are exact; beyond,
	// they are computed from at most Bins intervals, and Score.AUCError
	// bounds the error. Default 1024; at least 2, at most 1<<20.
	Bins int
	// MaxErrors bounds the errored records a Report lists (the first
	// ones, in history order); all of them are counted by cause. Default
	// 20.
	MaxErrors int
	// MaxChanges bounds the changed leads a Comparison lists, per pair of
	// routes (before, after): a sample chosen by a hash of the lead ID, the
	// same in every run. Default 10.
	MaxChanges int
	// KeepUndated keeps activities and interests without a time, which
	// are otherwise dropped because they cannot be placed before the
	// decision time (see AsOf).
	KeepUndated bool
	// Validate checks each lead, rewound to its decision time, with
	// lead.Validate at that time; an invalid lead is reported among the
	// errors (a *RecordError wrapping the *lead.ValidationError) instead of
	// being judged.
	Validate bool
	// Bootstrap is the number of resamples of the bootstrap that gives each
	// AUC its 95% interval (Score.AUCLow, AUCHigh). Default 1000.
	Bootstrap int
	// Model, when set, reads each decision as a probability of conversion
	// (the Model of a Calibration, for the policy it proposed): the report
	// then has a Reliability curve, and each LeadResult a Probability.
	// Run only: Compare and Calibrate refuse it (ErrConfig), since one
	// model describes one policy.
	Model *Model
	// Until is when the history was taken: what became of a lead is known
	// up to it. The recycle curves (Report.Recycled) follow a lead that did
	// not convert until then. Default: the newest time the history records.
	Until time.Time
	// Horizon, when set, gives the wait after which a lead recycled for a
	// reason is called again (from package recycle: a Planner's
	// Horizon(reason).After), shown beside its recycle curve. ok false, or
	// nil, leaves it unknown.
	Horizon func(reason lead.Reason) (wait time.Duration, ok bool)
	// Leads, when set, receives every record as judged, to write it out
	// (see LeadWriter) or compute metrics of one's own: one LeadResult per
	// record and policy (two in Compare, A's then B's; in Calibrate, each
	// pass's, the fitting part first), in history order, from one goroutine
	// at a time whatever the number of workers. The result and its Matched
	// are valid only during the call. An error stops the backtest, which
	// returns it.
	Leads func(*LeadResult) error
	// AsOf, when set, is called on each lead after the built-in rewind
	// (see AsOf), with the decision time, to restore what the lead does
	// not date: a role, a budget, a custom field the host's audit log
	// knows the value of at that time. It receives a copy that shares the
	// unchanged slices and maps with the history's lead: replace them
	// rather than change them in place. An error, or a panic, makes the
	// record errored (a *RecordError, field "lead.as_of"). It is called on
	// the workers' goroutines, concurrently when Workers > 1.
	AsOf func(l *lead.Lead, at time.Time) error
}

// The defaults of Config.
const (
	DefaultBins       = 1024 // see Config.Bins
	DefaultMaxErrors  = 20
	DefaultMaxChanges = 10
)

func (c Config) withDefaults() Config {
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.Bins == 0 {
		c.Bins = DefaultBins
	}
	if c.MaxErrors == 0 {
		c.MaxErrors = DefaultMaxErrors
	}
	if c.MaxChanges == 0 {
		c.MaxChanges = DefaultMaxChanges
	}
	c.Bootstrap = cmp.Or(c.Bootstrap, DefaultBootstrap)
	return c
}

func (c Config) validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{{"Workers", c.Workers}, {"Bins", c.Bins}, {"MaxErrors", c.MaxErrors}, {"MaxChanges", c.MaxChanges}, {"Bootstrap", c.Bootstrap}} {
		if f.v < 0 {
			return fmt.Errorf("%w: backtest: Config.%s is negative (%d)", ErrConfig, f.name, f.v)
		}
	}
	if c.Bins == 1 || c.Bins > 1<<20 {
		return fmt.Errorf("%w: backtest: Config.Bins is %d, want 2 to %d", ErrConfig, c.Bins, 1<<20)
	}
	if c.Bootstrap > 100_000 {
		return fmt.Errorf("%w: backtest: Config.Bootstrap is %d, want at most 100000 resamples", ErrConfig, c.Bootstrap)
	}
	if c.Model != nil {
		return c.Model.validate("Config.Model")
	}
	return nil
}

// Run judges every lead of a history with policy p as it was at its
// decision time, and reports how the verdicts, routes, scores and rules of
// p did against what became of the leads.
//
// The history is ranged over once, on the caller's goroutine; memory does
// not grow with its length (only with the number of rules, Config.Bins and
// Config.MaxErrors). A record that cannot be judged (a rule that fails, a
// lead beyond the policy's limits, a record without a decision time) is
// counted in the report's errors and the run goes on. Run returns an error
// only for a bad configuration (ErrConfig), a nil policy (ErrNilPolicy), or
// when ctx ends, with the context's cause.
//
// A history read from a file is read with NewReader or Open; check the
// reader's Err after Run, as with a bufio.Scanner.
func Run(ctx context.Context, p *qualify.Policy, history iter.Seq[Record], cfg Config) (*Report, error) {
	e, err := newEngine(cfg, p)
	if err != nil {
		return nil, err
	}
	e.models[0] = cfg.Model
	w, _, err := e.drive(ctx, history, nil)
	if err != nil {
		return nil, err
	}
	return w.report(0), nil
}

// engine is one pass over a history with one or two policies.
type engine struct {
	cfg   Config
	pols  []*qualify.Policy
	rules [][]ruleMeta
	idx   []map[string]int
	// models[i] reads the decisions of pols[i] as probabilities, or nil
	models []*Model
	// optional sinks
	compare bool
	grid    func() *grid
	extras  []func() extra
	split   string // LeadResult.Split
}

// extra accumulates something more than the reports from every record
// judged: a worker has one of each of the engine's extras, merged at the
// end. ds and errs hold the decision of each policy, or its error.
type extra interface {
	add(idx int, r *Record, ds []qualify.Decision, errs []error)
	merge(o extra)
}

func newEngine(cfg Config, pols ...*qualify.Policy) (*engine, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	e := &engine{cfg: cfg.withDefaults(), pols: pols, models: make([]*Model, len(pols))}
	for _, p := range pols {
		if p == nil {
			return nil, ErrNilPolicy
		}
		rules := rulesOf(p)
		idx := make(map[string]int, len(rules))
		for i, r := range rules {
			idx[r.name] = i
		}
		e.rules = append(e.rules, rules)
		e.idx = append(e.idx, idx)
	}
	return e, nil
}

// worker judges records with its own scratch space and accumulators.
type worker struct {
	ctx    context.Context
	e      *engine
	rw     rewinder
	l      lead.Lead
	accs   []*acc
	rewind RewindStats
	rec    Record // the record being judged, inline
	ds     [2]qualify.Decision
	errs   [2]error
	cmp    *cmpAcc
	grid   *grid
	extras []extra
	recyc  *recycleAcc
	// the results of the batch being judged, for Config.Leads
	out      *batch
	sinkErr  error
	inlineRs [1]LeadResult
	names    []string
}

func (e *engine) newWorker(ctx context.Context) *worker {
	w := &worker{ctx: ctx, e: e, rw: rewinder{keepUndated: e.cfg.KeepUndated}, recyc: newRecycleAcc()}
	for i, p := range e.pols {
		w.accs = append(w.accs, newAcc(p, e.rules[i], e.idx[i], &e.cfg, e.models[i]))
	}
	if e.compare {
		w.cmp = newCmpAcc(e.cfg.MaxChanges)
	}
	if e.grid != nil {
		w.grid = e.grid()
	}
	for _, f := range e.extras {
		w.extras = append(w.extras, f())
	}
	return w
}

func (w *worker) merge(o *worker) {
	for i := range w.accs {
		w.accs[i].merge(o.accs[i])
	}
	w.rewind.add(&o.rewind)
	w.recyc.merge(o.recyc)
	if w.cmp != nil {
		w.cmp.merge(o.cmp)
	}
	if w.grid != nil {
		w.grid.merge(o.grid)
	}
	for i := range w.extras {
		w.extras[i].merge(o.extras[i])
	}
}

// do judges record r, the idx-th of the history.
func (w *worker) do(idx int, r *Record) {
	n := len(w.e.pols)
	if err := w.prepare(r); err != nil {
		for i := range w.accs {
			w.accs[i].failed(idx, r, err)
			w.ds[i], w.errs[i] = qualify.Decision{}, err
		}
		w.recyc.seen(r)
	} else {
		w.recyc.add(r, &w.l)
		for i, p := range w.e.pols {
			w.ds[i], w.errs[i] = qualify.EvaluateAt(w.ctx, p, &w.l, r.At)
			if w.errs[i] != nil {
				w.accs[i].failed(idx, r, w.errs[i])
			} else {
				w.accs[i].decided(r, &w.ds[i])
			}
		}
		if w.grid != nil && w.errs[0] == nil {
			if d := &w.ds[0]; d.Verdict != qualify.VerdictNeed && d.Verdict != qualify.VerdictOutOfScope {
				w.grid.add(d.Fit, d.Engagement, r.Converted)
			}
		}
	}
	if w.cmp != nil {
		w.cmp.add(idx, r, &w.ds, &w.errs)
	}
	for _, x := range w.extras {
		x.add(idx, r, w.ds[:n], w.errs[:n])
	}
	if w.e.cfg.Leads != nil {
		w.results(idx, r)
	}
}

// report returns the report of the i-th policy.
func (w *worker) report(i int) *Report {
	r := w.accs[i].report(w.rewind)
	r.Recycled = w.recyc.curves(w.e.cfg.Until, w.e.cfg.Horizon)
	return r
}

// results hands the results of record r to Config.Leads: directly on one
// worker, through the batch (in order) on several.
func (w *worker) results(idx int, r *Record) {
	for i, p := range w.e.pols {
		var d *qualify.Decision
		if w.errs[i] == nil {
			d = &w.ds[i]
		}
		if b := w.out; b != nil {
			b.results = append(b.results, LeadResult{})
			b.names = b.results[len(b.results)-1].fill(idx, r, p.Name(), w.e.split, d, w.errs[i], w.e.models[i], b.names)
			continue
		}
		if w.sinkErr != nil {
			return
		}
		res := &w.inlineRs[0]
		w.names = res.fill(idx, r, p.Name(), w.e.split, d, w.errs[i], w.e.models[i], w.names[:0])
		w.sinkErr = callSink(w.e.cfg.Leads, res)
	}
}

// callSink calls Config.Leads, turning its panic into an error.
func callSink(f func(*LeadResult) error, r *LeadResult) (err error) {
	defer func() {
		if x := recover(); x != nil {
			err = fmt.Errorf("panic: %v", x)
		}
	}()
	if err := f(r); err != nil {
		return fmt.Errorf("backtest: Config.Leads on record %d (lead %q): %w", r.Index, r.Lead, err)
	}
	return nil
}

// prepare checks the record and rewinds its lead into w.l.
func (w *worker) prepare(r *Record) error {
	if err := r.check(); err != nil {
		return err
	}
	var st RewindStats
	if err := w.rw.rewind(&w.l, r.Lead, r.At, &st); err != nil {
		return err
	}
	if f := w.e.cfg.AsOf; f != nil {
		if err := callAsOf(f, &w.l, r.At); err != nil {
			return &RecordError{Field: "lead.as_of", Err: err}
		}
	}
	if w.e.cfg.Validate {
		if err := w.l.Validate(r.At); err != nil {
			return &RecordError{Field: "lead", Err: err}
		}
	}
	w.rewind.add(&st)
	return nil
}

func callAsOf(f func(*lead.Lead, time.Time) error, l *lead.Lead, at time.Time) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return f(l, at)
}

// batchSize is the number of records handed to a worker at once.
const batchSize = 256

type item struct {
	idx int
	rec Record
}

// drive ranges over the history once, judging the records keep accepts
// (all when keep is nil), and returns the merged worker and the number of
// records the history yielded.
func (e *engine) drive(ctx context.Context, history iter.Seq[Record], keep func(*Record) bool) (*worker, int, error) {
	if history == nil {
		history = func(func(Record) bool) {}
	}
	n := e.cfg.Workers
	ws := make([]*worker, n)
	for i := range ws {
		ws[i] = e.newWorker(ctx)
	}
	var total int
	var err error
	if n == 1 {
		total, err = e.inline(ctx, history, keep, ws[0])
	} else {
		total, err = e.parallel(ctx, history, keep, ws)
	}
	if err != nil {
		return nil, total, err
	}
	if ctx.Err() != nil {
		return nil, total, fmt.Errorf("backtest: stopped after %d records: %w", total, context.Cause(ctx))
	}
	for _, o := range ws[1:] {
		ws[0].merge(o)
	}
	return ws[0], total, nil
}

func (e *engine) inline(ctx context.Context, history iter.Seq[Record], keep func(*Record) bool, w *worker) (int, error) {
	i := 0
	for r := range history {
		if i&255 == 0 && ctx.Err() != nil {
			break
		}
		w.rec = r // so that r does not escape
		if keep == nil || keep(&w.rec) {
			if err := safeDo(w, i, &w.rec); err != nil {
				return i, err
			}
			if w.sinkErr != nil {
				return i, w.sinkErr
			}
		}
		i++
	}
	w.rec = Record{}
	return i, nil
}

// safeDo turns a panic of the backtest itself into an error, so that a
// bug never takes the host down.
func safeDo(w *worker, idx int, r *Record) (err error) {
	defer func() {
		if x := recover(); x != nil {
			err = fmt.Errorf("backtest: internal error on record %d: %v\n%s", idx, x, debug.Stack())
		}
	}()
	w.do(idx, r)
	return nil
}

// batch is a run of records handed to a worker at once, with their
// results for Config.Leads.
type batch struct {
	seq     int
	items   []item
	results []LeadResult
	names   []string // the backing of the results' Matched
}

// emitter hands the results of the batches to Config.Leads in history
// order: a batch done early waits for those before it.
type emitter struct {
	mu      sync.Mutex
	next    int
	pending map[int]*batch
	sink    func(*LeadResult) error
	err     error
	release func(*batch)
}

// done takes batch b and emits every batch now next in order; it returns
// the first error of the sink.
func (em *emitter) done(b *batch) error {
	em.mu.Lock()
	defer em.mu.Unlock()
	em.pending[b.seq] = b
	for {
		x, ok := em.pending[em.next]
		if !ok {
			break
		}
		delete(em.pending, em.next)
		em.next++
		for i := range x.results {
			if em.err != nil || em.sink == nil {
				break
			}
			em.err = callSink(em.sink, &x.results[i])
		}
		em.release(x)
	}
	return em.err
}

func (e *engine) parallel(ctx context.Context, history iter.Seq[Record], keep func(*Record) bool, ws []*worker) (n int, err error) {
	// At most len(slots) batches are between being filled and being
	// emitted: what is in flight stays bounded, however slow one batch.
	slots := make(chan struct{}, 2*len(ws)+1)
	jobs := make(chan *batch, len(ws))
	free := make(chan *batch, cap(slots))
	stop := make(chan struct{})
	var once sync.Once
	var failure error
	fail := func(err error) { once.Do(func() { failure = err; close(stop) }) }
	em := &emitter{pending: map[int]*batch{}, sink: e.cfg.Leads, release: func(b *batch) {
		clear(b.items) // let the leads go
		b.items, b.results, b.names = b.items[:0], b.results[:0], b.names[:0]
		clear(b.results[:cap(b.results)])
		select {
		case free <- b:
		default:
		}
		<-slots
	}}
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range jobs {
				w.out = b
				for i := range b.items {
					if err := safeDo(w, b.items[i].idx, &b.items[i].rec); err != nil {
						fail(err)
						return
					}
				}
				w.out = nil
				if err := em.done(b); err != nil {
					fail(err)
					return
				}
			}
		}()
	}
	seq := 0
	get := func() *batch {
		select {
		case slots <- struct{}{}:
		case <-stop:
			return nil
		}
		var b *batch
		select {
		case b = <-free:
		default:
			b = &batch{items: make([]item, 0, batchSize)}
		}
		b.seq = seq
		seq++
		return b
	}
	send := func(b *batch) bool {
		select {
		case jobs <- b:
			return true
		case <-stop:
			return false
		}
	}
	// Stop the workers however the reading ends, a panic of the history
	// included.
	defer func() {
		close(jobs)
		wg.Wait()
		if err == nil {
			err = failure
		}
	}()
	i := 0
	b := get()
	if b == nil {
		return 0, nil
	}
	stopped := false
	for r := range history {
		if i&255 == 0 && ctx.Err() != nil {
			break
		}
		b.items = append(b.items, item{i, r})
		if keep != nil && !keep(&b.items[len(b.items)-1].rec) {
			b.items[len(b.items)-1] = item{}
			b.items = b.items[:len(b.items)-1]
		} else if len(b.items) == batchSize {
			if !send(b) {
				stopped = true
				break
			}
			if b = get(); b == nil {
				stopped = true
				i++ // the record was sent
				break
			}
		}
		i++
	}
	if !stopped {
		send(b) // even empty: the emitter waits for its sequence number
	}
	return i, nil
}
