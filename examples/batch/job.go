package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/leadqual/leadqual/ingest"
	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// DefaultMaxLineBytes bounds a line of the export, so that a file that is
// not a CSV export (or has lost a quote) cannot fill the memory.
const DefaultMaxLineBytes = ingest.DefaultMaxLineBytes

// Job is one requalification run over a CRM export: the policy, how to
// read the export, and where to report. Run it with [Job.Run]. Every zero
// field takes the default stated.
type Job struct {
	// Policy decides the leads. Required.
	Policy *qualify.Policy
	// Now is the time the leads are validated and decided at: the same
	// for every lead, so that a run is reproducible. Required.
	Now time.Time
	// Read says how to read the export: its format, mapping, delimiter,
	// encoding, time zone and currency (see package ingest). Now and
	// KeepRows are set by Run.
	Read ingest.Options
	// Workers evaluate leads in parallel. Default GOMAXPROCS.
	Workers int
	// Log receives a line per skipped row, with its line number and every
	// problem, and warnings. Default: discard.
	Log io.Writer
	// Rejects, when set, receives the skipped rows as CSV: the line, the
	// problems, then the row as read.
	Rejects io.Writer
	// Progress, when set, is updated as rows are decided.
	Progress *Progress
	// Clock times the run, for the summary and progress. Default time.Now.
	Clock func() time.Time
}

// ErrInput is the identity of an export that cannot be read as a whole: no
// header, no id column, an I/O error, a line over the limit.
var ErrInput = ingest.ErrInput

// row is one lead read from the export, waiting for its result.
type row struct {
	rec *ingest.Record
}

func (r row) lead() *lead.Lead {
	if r.rec.Err != nil {
		return nil
	}
	return r.rec.Lead
}

// Run reads the export from in, decides every lead, and writes the
// decisions to out as CSV (see decisionColumns), in the order of the
// export. A row that does not parse or validate, or that the policy
// refuses, is skipped: reported to Log with its line number and every
// problem, written to Rejects, and counted in the Summary. Memory stays
// flat whatever the export's length: rows are read as they are decided,
// at most a few hundred ahead.
//
// Run returns an error, with the Summary of what was done, when the
// export cannot be read (errors.Is(err, ErrInput)), when the mapping does
// not fit it (errors.Is(err, ingest.ErrMapping)), when out or Rejects
// cannot be written, or when ctx ends.
func (j *Job) Run(ctx context.Context, in io.Reader, out io.Writer) (*Summary, error) {
	if j.Policy == nil || j.Now.IsZero() {
		return nil, errors.New("batch: Job needs a Policy and Now")
	}
	clock := j.Clock
	if clock == nil {
		clock = time.Now
	}
	logw := j.Log
	if logw == nil {
		logw = io.Discard
	}
	report := func(format string, args ...any) {
		if j.Progress != nil {
			j.Progress.Clear()
		}
		fmt.Fprintf(logw, format+"\n", args...)
	}
	start := clock()
	sum := newSummary(j.Policy)
	defer func() { sum.Elapsed = clock().Sub(start) }()

	// The reader reads and maps the rows; the workers validate the leads,
	// in order, as validating costs more than deciding.
	opts := j.Read
	opts.Now, opts.KeepRows = time.Time{}, j.Rejects != nil
	reader := ingest.NewReader(in, opts)

	bw := bufio.NewWriterSize(out, 64<<10)
	w := csv.NewWriter(bw)
	dw := newDecisionWriter(w)
	if err := dw.header(); err != nil {
		return sum, fmt.Errorf("writing decisions: %w", err)
	}
	var rw *rejectWriter
	var rejectsBuf *bufio.Writer
	if j.Rejects != nil {
		rejectsBuf = bufio.NewWriterSize(j.Rejects, 16<<10)
		rw = newRejectWriter(csv.NewWriter(rejectsBuf))
	}
	rejectHeader := func() error {
		if rw == nil || rw.started {
			return nil
		}
		return rw.header(reader.Report())
	}

	workers := j.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}

	// Every row, good or bad, goes through EvaluateAll (a bad row as a
	// nil lead, which it answers at once with ErrNilLead), so rows are
	// reported in the order of the export, and the queue is as short as
	// EvaluateAll's read-ahead.
	var queue rowQueue
	first := true
	var validator lead.Validator // keeps the time zones it loads: shared by the workers
	records := func(yield func(*ingest.Record) bool) {
		for rec := range reader.All() {
			if !yield(rec) {
				return
			}
		}
	}
	validate := func(rec *ingest.Record) *ingest.Record {
		reader.Validate(rec, j.Now, &validator)
		return rec
	}
	leads := func(yield func(*lead.Lead) bool) {
		for rec := range orderedMap(records, workers, validate) {
			if first {
				first = false
				rep := reader.Report()
				if n := len(rep.Custom); n > 0 {
					var cols []string
					for _, c := range rep.Custom {
						cols = append(cols, fmt.Sprintf("%q→%s", c.Header, c.Field))
					}
					report("batch: %s not in the mapping, read as custom fields: %s", plural(n, "column"), strings.Join(cols, ", "))
				}
			}
			sum.Rows++
			r := row{rec: rec}
			queue.push(r)
			if !yield(r.lead()) {
				return
			}
		}
	}

	bopts := qualify.BatchOptions{Workers: workers, Now: j.Now}
	for res := range qualify.EvaluateAll(ctx, j.Policy, leads, bopts) {
		r, ok := queue.pop()
		if !ok {
			// The batch stopped: ctx ended.
			sum.Stopped = res.Err
			break
		}
		l := r.lead()
		if res.Lead != l {
			return sum, fmt.Errorf("batch: internal error: result %d is not for line %d", res.Index, r.rec.Line)
		}
		if l != nil && res.Err != nil {
			if ctx.Err() != nil {
				sum.Stopped = context.Cause(ctx)
				break
			}
			r.rec.Err = evaluateProblem(reader, r.rec, res.Err)
		}
		if l == nil || res.Err != nil {
			sum.skip(r.rec.Line)
			report("%s", r.rec.Err)
			if rw != nil {
				if err := rejectHeader(); err != nil {
					return sum, fmt.Errorf("writing rejects: %w", err)
				}
				if err := rw.write(r.rec); err != nil {
					return sum, fmt.Errorf("writing rejects: %w", err)
				}
			}
		} else {
			sum.decided(l, &res.Decision)
			if err := dw.write(r.rec.Line, l, &res.Decision); err != nil {
				return sum, fmt.Errorf("writing decisions: %w", err)
			}
		}
		if j.Progress != nil {
			j.Progress.Update(sum.Decided + sum.Skipped)
		}
	}
	if j.Progress != nil {
		j.Progress.Clear()
	}
	if err := reader.Err(); err != nil {
		return sum, err
	}

	w.Flush()
	if err := errors.Join(w.Error(), bw.Flush()); err != nil {
		return sum, fmt.Errorf("writing decisions: %w", err)
	}
	if rw != nil {
		if err := rejectHeader(); err != nil {
			return sum, fmt.Errorf("writing rejects: %w", err)
		}
		rw.w.Flush()
		if err := errors.Join(rw.w.Error(), rejectsBuf.Flush()); err != nil {
			return sum, fmt.Errorf("writing rejects: %w", err)
		}
	}
	if sum.Stopped == nil && ctx.Err() != nil {
		sum.Stopped = context.Cause(ctx)
	}
	if sum.Stopped != nil {
		return sum, fmt.Errorf("stopped after %d rows: %w", sum.Decided+sum.Skipped, sum.Stopped)
	}
	return sum, nil
}

// evaluateProblem describes why the policy did not decide a lead, as a
// problem of its row.
func evaluateProblem(reader *ingest.Reader, rec *ingest.Record, err error) *ingest.RowError {
	var le *qualify.LimitError
	var re *qualify.RuleError
	switch {
	case errors.As(err, &le):
		return reader.RowError(rec, le.Path, fmt.Sprintf("limit %s of the policy exceeded: %d > %d", le.Limit, le.Got, le.Max))
	case errors.As(err, &re):
		// expr's errors end with a snippet on lines of their own; a row's
		// report is one line.
		msg, _, _ := strings.Cut(re.Err.Error(), "\n")
		return reader.RowError(rec, "", fmt.Sprintf("rule %q of the policy failed (%s): %s", re.Rule, re.Field, msg))
	}
	return reader.RowError(rec, "", err.Error())
}

// orderedMap yields f of every element of src, in the order of src, with f
// running on `workers` goroutines, at most 64 per worker ahead of the
// consumer. src is read on the consumer's goroutine. Breaking out of the
// loop stops the workers; nothing is left running.
func orderedMap[T, U any](src iter.Seq[T], workers int, f func(T) U) iter.Seq[U] {
	return func(yield func(U) bool) {
		ahead := 64 * workers
		type job struct {
			i int
			v T
		}
		type result struct {
			i int
			u U
		}
		jobs := make(chan job, ahead)
		done := make(chan result, ahead) // never full: at most ahead in flight
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range jobs {
					done <- result{j.i, f(j.v)}
				}
			}()
		}
		next, stop := iter.Pull(src)
		defer func() {
			stop()
			close(jobs)
			wg.Wait()
		}()
		ring := make([]U, ahead)
		ready := make([]bool, ahead)
		read, yielded := 0, 0
		eof := false
		for {
			for !eof && read-yielded < ahead {
				v, ok := next()
				if !ok {
					eof = true
					break
				}
				jobs <- job{read, v}
				read++
			}
			if read == yielded {
				return
			}
			r := <-done
			ring[r.i%ahead], ready[r.i%ahead] = r.u, true
			for yielded < read && ready[yielded%ahead] {
				i := yielded % ahead
				u := ring[i]
				var zero U
				ring[i], ready[i] = zero, false
				yielded++
				if !yield(u) {
					return
				}
			}
		}
	}
}

// rowQueue is a FIFO of rows that reuses its storage.
type rowQueue struct {
	buf        []row
	head, size int
}

func (q *rowQueue) push(r row) {
	if q.size == len(q.buf) {
		grown := make([]row, max(16, 2*len(q.buf)))
		for i := range q.size {
			grown[i] = q.buf[(q.head+i)%len(q.buf)]
		}
		q.buf, q.head = grown, 0
	}
	q.buf[(q.head+q.size)%len(q.buf)] = r
	q.size++
}

func (q *rowQueue) pop() (row, bool) {
	if q.size == 0 {
		return row{}, false
	}
	r := q.buf[q.head]
	q.buf[q.head] = row{}
	q.head = (q.head + 1) % len(q.buf)
	q.size--
	return r, true
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
