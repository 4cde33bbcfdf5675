package qualify

import (
	"context"
	"fmt"
	"iter"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leadqual/leadqual/lead"
)

// BatchOptions configure EvaluateAll. The zero value is ready to use.
type BatchOptions struct {
	// Workers is the number of goroutines that evaluate; 0 means
	// runtime.GOMAXPROCS(0).
	Workers int
	// Now, when set, is the `now` of every evaluation, so that a batch is
	// reproducible; zero means the policy's clock, read once per lead.
	Now time.Time
	// Ahead bounds how many leads are read ahead of the consumer (in
	// flight or finished but waiting for an earlier one); 0 means 256 per
	// worker. Memory stays flat whatever the stream's length.
	Ahead int
}

// Result is the outcome of one lead of a batch.
type Result struct {
	// Index is the lead's position in the input, from 0.
	Index    int
	Lead     *lead.Lead
	Decision Decision
	// Err is the lead's own error (a limit, a failing rule); the batch goes
	// on. When the batch itself stops because ctx ended, the last Result
	// has Lead nil and Err wrapping ctx's error.
	Err error
}

// EvaluateAll evaluates a stream of leads on several goroutines and
// yields the results in input order, for back-office jobs over a CRM
// export or a table scan.
//
// The stream is read on the consumer's goroutine, at most opts.Ahead leads
// ahead of it, in chunks that the workers evaluate one at a time (each
// worker keeps one evaluation state), so that handing leads out and
// putting results back in order costs a few channel operations per chunk,
// not per lead. A lead's error is reported in its Result and does not stop
// the batch. When ctx ends, reading stops and the sequence ends with a
// Result whose Err wraps the context's error. Breaking out of the loop
// stops the workers; nothing is left running.
func EvaluateAll(ctx context.Context, p *Policy, leads iter.Seq[*lead.Lead], opts BatchOptions) iter.Seq[Result] {
	return func(yield func(Result) bool) {
		if p == nil {
			yield(Result{Index: 0, Err: ErrNilPolicy})
			return
		}
		b := newBatch(ctx, p, opts)
		defer b.stop()
		read := 0
		for l := range leads {
			b.add(l, read)
			read++
			if !b.flow(yield, false) {
				return
			}
			if ctx.Err() != nil {
				break
			}
		}
		if !b.flow(yield, true) {
			return
		}
		if err := ctx.Err(); err != nil {
			yield(Result{Index: read, Err: fmt.Errorf("qualify: batch stopped after %d leads: %w", read, context.Cause(ctx))})
		}
	}
}

// chunk is a run of consecutive leads of a batch and their results.
type chunk struct {
	seq     int // its position among the batch's chunks
	first   int // the input index of its first lead
	leads   []*lead.Lead
	results []Result
}

// batch is the machinery of one EvaluateAll: workers, the chunks in
// flight, and the ring that puts finished chunks back in order. Only the
// consumer's goroutine touches it, but for the channels and quit.
type batch struct {
	ctx     context.Context
	p       *Policy
	now     time.Time
	workers int
	size    int // leads per chunk, at most
	ahead   int // leads read and not yet yielded, at most
	pending int // leads read and not yet yielded

	jobs     chan *chunk
	finished chan *chunk
	quit     atomic.Bool // the consumer is gone: skip what is left
	wg       sync.WaitGroup

	free     []*chunk
	cur      *chunk   // being filled
	ring     []*chunk // finished chunks by seq, waiting for earlier ones
	next     int      // seq of the next chunk to yield
	sent     int      // chunks handed to the workers
	received int      // chunks back from them
}

func newBatch(ctx context.Context, p *Policy, opts BatchOptions) *batch {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ahead := opts.Ahead
	if ahead <= 0 {
		ahead = 256 * workers
	}
	// Two chunks per worker fit in what may be read ahead, so that a
	// worker finds its next chunk ready when it finishes one; at 64 leads
	// a chunk, its channel operations are negligible.
	size := min(64, max(1, ahead/(2*workers)))
	// In flight at most: the full chunks pending leads fill, one sent
	// early to idle workers, and the one being filled.
	chunks := ahead/size + 3
	b := &batch{ctx: ctx, p: p, now: opts.Now, workers: workers, size: size, ahead: ahead,
		jobs: make(chan *chunk, chunks), finished: make(chan *chunk, chunks), ring: make([]*chunk, chunks)}
	for range workers {
		b.wg.Add(1)
		go b.work()
	}
	return b
}

// work evaluates chunks until the jobs channel closes, with a state of
// its own.
func (b *batch) work() {
	defer b.wg.Done()
	p := b.p
	st := p.pool.Get().(*state)
	for c := range b.jobs {
		for i, l := range c.leads {
			if b.quit.Load() {
				break
			}
			r := &c.results[i]
			*r = Result{Index: c.first + i, Lead: l}
			if l == nil {
				r.Err = ErrNilLead
				continue
			}
			now := b.now
			if now.IsZero() {
				now = p.clock()
			}
			ok, err := p.judge(b.ctx, st, l, now, &r.Decision)
			r.Err = err
			if !ok {
				st = p.pool.Get().(*state) // the old one is left half-way
			}
		}
		b.finished <- c // never blocks: the channel holds every chunk there can be
	}
	p.release(st)
}

// add puts l, the lead at index, in the chunk being filled. The chunk goes
// to the workers when it is full, or at once when they are all idle (a
// stream slower than they are gets its results without waiting for a
// chunk to fill).
func (b *batch) add(l *lead.Lead, index int) {
	if b.cur == nil {
		if n := len(b.free); n > 0 {
			b.cur, b.free = b.free[n-1], b.free[:n-1]
		} else {
			b.cur = &chunk{leads: make([]*lead.Lead, 0, b.size), results: make([]Result, b.size)}
		}
		b.cur.first = index
	}
	b.cur.leads = append(b.cur.leads, l)
	b.pending++
	if len(b.cur.leads) == b.size || b.sent == b.received {
		b.send()
	}
}

// send hands the chunk being filled to the workers.
func (b *batch) send() {
	c := b.cur
	b.cur = nil
	c.seq = b.sent
	b.sent++
	c.results = c.results[:len(c.leads)]
	b.jobs <- c // never blocks: the channel holds every chunk there can be
}

// flow yields the finished chunks that are next in order. It waits for
// them while ahead leads are pending, or, when drain is set, until every
// lead read is yielded. It reports false when the consumer stopped.
func (b *batch) flow(yield func(Result) bool, drain bool) bool {
	for {
		wait := b.pending >= b.ahead || drain && b.pending > 0
		if !wait && len(b.finished) == 0 {
			return true
		}
		if wait && b.cur != nil && (drain || b.sent == b.received) {
			b.send() // what the consumer waits for
		}
		if !wait && b.received == b.sent {
			return true
		}
		c := <-b.finished
		b.received++
		b.ring[c.seq%len(b.ring)] = c
		for {
			c := b.ring[b.next%len(b.ring)]
			if c == nil || c.seq != b.next {
				break
			}
			b.ring[b.next%len(b.ring)] = nil
			b.next++
			for i := range c.results {
				b.pending--
				if !yield(c.results[i]) {
					return false
				}
			}
			c.leads, c.results = c.leads[:0], c.results[:0]
			b.free = append(b.free, c)
		}
	}
}

// stop ends the workers and waits for them: they skip what is left of
// their chunks.
func (b *batch) stop() {
	b.quit.Store(true)
	close(b.jobs)
	b.wg.Wait()
}
