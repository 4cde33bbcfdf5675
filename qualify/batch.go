package qualify

import (
	"context"
	"fmt"
	"iter"
	"runtime"
	"sync"
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
	// flight or finished but waiting for an earlier one); 0 means 64 per
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
// The stream is read on the consumer's goroutine (through iter.Pull), at
// most opts.Ahead leads ahead of it. A lead's error is reported in its
// Result and does not stop the batch. When ctx ends, reading stops and the
// sequence ends with a Result whose Err wraps the context's error. Breaking
// out of the loop stops the workers; nothing is left running.
func EvaluateAll(ctx context.Context, p *Policy, leads iter.Seq[*lead.Lead], opts BatchOptions) iter.Seq[Result] {
	return func(yield func(Result) bool) {
		if p == nil {
			yield(Result{Index: 0, Err: ErrNilPolicy})
			return
		}
		workers := opts.Workers
		if workers <= 0 {
			workers = runtime.GOMAXPROCS(0)
		}
		ahead := opts.Ahead
		if ahead <= 0 {
			ahead = 64 * workers
		}
		ahead = max(ahead, workers)

		type job struct {
			idx int
			l   *lead.Lead
		}
		jobs := make(chan job, ahead)
		done := make(chan Result, ahead)
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range jobs {
					now := opts.Now
					if now.IsZero() {
						now = p.clock()
					}
					d, err := EvaluateAt(ctx, p, j.l, now)
					done <- Result{Index: j.idx, Lead: j.l, Decision: d, Err: err}
				}
			}()
		}
		next, stop := iter.Pull(leads)
		defer func() {
			stop()
			close(jobs)
			wg.Wait()
		}()

		// ring holds finished results until every earlier one is yielded.
		ring := make([]Result, ahead)
		ready := make([]bool, ahead)
		read, yielded, inFlight := 0, 0, 0
		eof := false
		for {
			for !eof && inFlight < ahead && ctx.Err() == nil {
				l, ok := next()
				if !ok {
					eof = true
					break
				}
				jobs <- job{read, l}
				read++
				inFlight++
			}
			if inFlight == 0 {
				if err := ctx.Err(); err != nil && !eof {
					yield(Result{Index: read, Err: fmt.Errorf("qualify: batch stopped after %d leads: %w", read, context.Cause(ctx))})
				}
				return
			}
			var r Result
			select {
			case r = <-done:
			case <-ctx.Done():
				// Workers notice the context between rules; collect what
				// is in flight so that nothing is left running.
				r = <-done
			}
			ring[r.Index%ahead], ready[r.Index%ahead] = r, true
			for ready[yielded%ahead] {
				i := yielded % ahead
				out := ring[i]
				ring[i], ready[i] = Result{}, false
				yielded++
				inFlight--
				if !yield(out) {
					return
				}
			}
		}
	}
}
