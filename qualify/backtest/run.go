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
	return w.accs[0].report(w.rewind), nil
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
}

func (e *engine) newWorker(ctx context.Context) *worker {
	w := &worker{ctx: ctx, e: e, rw: rewinder{keepUndated: e.cfg.KeepUndated}}
	for i, p := range e.pols {
		w.accs = append(w.accs, newAcc(p, e.rules[i], e.idx[i], &e.cfg, e.models[i]))
	}
	if e.compare {
		w.cmp = newCmpAcc(e.cfg.MaxChanges)
	}
	if e.grid != nil {
		w.grid = e.grid()
	}
	return w
}

func (w *worker) merge(o *worker) {
	for i := range w.accs {
		w.accs[i].merge(o.accs[i])
	}
	w.rewind.add(&o.rewind)
	if w.cmp != nil {
		w.cmp.merge(o.cmp)
	}
	if w.grid != nil {
		w.grid.merge(o.grid)
	}
}

// do judges record r, the idx-th of the history.
func (w *worker) do(idx int, r *Record) {
	if err := w.prepare(r); err != nil {
		for i := range w.accs {
			w.accs[i].failed(idx, r, err)
			w.errs[i] = err
		}
		if w.cmp != nil {
			w.cmp.add(idx, r, &w.ds, &w.errs)
		}
		return
	}
	for i, p := range w.e.pols {
		w.ds[i], w.errs[i] = qualify.EvaluateAt(w.ctx, p, &w.l, r.At)
		if w.errs[i] != nil {
			w.accs[i].failed(idx, r, w.errs[i])
		} else {
			w.accs[i].decided(r, &w.ds[i])
		}
	}
	if w.cmp != nil {
		w.cmp.add(idx, r, &w.ds, &w.errs)
	}
	if w.grid != nil && w.errs[0] == nil {
		if d := &w.ds[0]; d.Verdict != qualify.VerdictNeed && d.Verdict != qualify.VerdictOutOfScope {
			w.grid.add(d.Fit, d.Engagement, r.Converted)
		}
	}
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

func (e *engine) parallel(ctx context.Context, history iter.Seq[Record], keep func(*Record) bool, ws []*worker) (n int, err error) {
	jobs := make(chan []item, len(ws))
	free := make(chan []item, 2*len(ws)+1)
	stop := make(chan struct{})
	var once sync.Once
	var failure error
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range jobs {
				for i := range b {
					if err := safeDo(w, b[i].idx, &b[i].rec); err != nil {
						once.Do(func() { failure = err; close(stop) })
						return
					}
				}
				clear(b) // let the leads go
				select {
				case free <- b[:0]:
				default:
				}
			}
		}()
	}
	get := func() []item {
		select {
		case b := <-free:
			return b
		default:
			return make([]item, 0, batchSize)
		}
	}
	send := func(b []item) bool {
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
	batch := get()
	stopped := false
	for r := range history {
		if i&255 == 0 && ctx.Err() != nil {
			break
		}
		batch = append(batch, item{i, r})
		if keep != nil && !keep(&batch[len(batch)-1].rec) {
			batch[len(batch)-1] = item{}
			batch = batch[:len(batch)-1]
		} else {
			if len(batch) == batchSize {
				if !send(batch) {
					stopped = true
					break
				}
				batch = get()
			}
		}
		i++
	}
	if !stopped && len(batch) > 0 {
		send(batch)
	}
	return i, nil
}
