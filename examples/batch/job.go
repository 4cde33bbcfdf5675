package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// DefaultMaxLineBytes bounds a line of the export, so that a file that is
// not a CSV export (or has lost a quote) cannot fill the memory.
const DefaultMaxLineBytes = 4 << 20

// Job is one requalification run over a CRM export: the policy, how to
// read the export, and where to report. Run it with [Job.Run]. Every zero
// field takes the default stated.
type Job struct {
	// Policy decides the leads. Required.
	Policy *qualify.Policy
	// Now is the time the leads are validated and decided at: the same
	// for every lead, so that a run is reproducible. Required.
	Now time.Time
	// Layout maps fields to the export's columns. Default: the default
	// layout, where each column is named after its field.
	Layout Layout
	// Parse says how to read times and amounts.
	Parse ParseOptions
	// Comma is the field delimiter. Default ','.
	Comma rune
	// Workers evaluate leads in parallel. Default GOMAXPROCS.
	Workers int
	// MaxLineBytes bounds a line of the export. Default 4 MiB.
	MaxLineBytes int
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
var ErrInput = errors.New("bad export")

// row is one row read from the export, waiting for its result.
type row struct {
	line     int
	id       string     // the lead's ID, when the row has one
	lead     *lead.Lead // nil when the row did not parse or validate
	problems []Problem
	record   []string // as read, kept only for the rejects file
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
// export cannot be read (errors.Is(err, ErrInput)), when out or Rejects
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

	src := &inputReader{r: in, max: j.MaxLineBytes}
	if src.max <= 0 {
		src.max = DefaultMaxLineBytes
	}
	cr := csv.NewReader(bufio.NewReaderSize(src, 64<<10))
	if j.Comma != 0 {
		cr.Comma = j.Comma
	}
	cr.FieldsPerRecord = -1 // checked per row, so that a bad row is reported, not fatal
	cr.ReuseRecord = true
	header, err := cr.Read()
	switch {
	case errors.Is(err, io.EOF):
		return sum, fmt.Errorf("%w: it is empty: want a header line", ErrInput)
	case err != nil:
		return sum, fmt.Errorf("%w: reading the header: %v", ErrInput, err)
	}
	schema, err := j.Layout.Bind(header, j.Parse)
	if err != nil {
		return sum, fmt.Errorf("%w: %v", ErrInput, err)
	}
	if len(schema.Ignored) > 0 {
		report("batch: ignoring %s the layout does not read: %s", plural(len(schema.Ignored), "column"), quoteAll(schema.Ignored))
	}

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
		if err := rw.header(schema.Header()); err != nil {
			return sum, fmt.Errorf("writing rejects: %w", err)
		}
	}

	workers := j.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}

	// Reading the CSV is sequential; parsing and validating a row cost
	// more than deciding it, so they run on the workers too, in order.
	var readErr error
	records := func(yield func(row) bool) {
		for {
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				return
			}
			var r row
			var pe *csv.ParseError
			switch {
			case errors.As(err, &pe):
				r.line = pe.StartLine
				msg := "CSV: " + pe.Err.Error()
				if pe.Line != pe.StartLine {
					msg += fmt.Sprintf(" (the row runs from line %d to line %d: look for a quote that is not closed)", pe.StartLine, pe.Line)
				}
				r.problems = []Problem{{Message: msg}}
			case err != nil:
				readErr = err
				return
			default:
				r.line, _ = cr.FieldPos(0)
				r.record = slices.Clone(rec)
			}
			if !yield(r) {
				return
			}
		}
	}
	var validator lead.Validator // keeps the time zones it loads: shared by the parsers
	parse := func(r row) row {
		if r.record == nil {
			return r
		}
		r.lead, r.problems = schema.Lead(r.record)
		if r.lead != nil {
			r.id = r.lead.ID
			r.problems = validate(&validator, schema, r.lead, j.Now, r.problems)
		}
		if len(r.problems) > 0 {
			r.lead = nil
		}
		if rw == nil {
			r.record = nil
		}
		return r
	}

	// The rows parsed and not yet matched with their decision, oldest
	// first. Every row, good or bad, goes through EvaluateAll (a bad row
	// as a nil lead, which it answers at once with ErrNilLead), so rows
	// are reported in the order of the export, and the queue is as short
	// as EvaluateAll's read-ahead.
	var queue rowQueue
	leads := func(yield func(*lead.Lead) bool) {
		for r := range orderedMap(records, workers, parse) {
			sum.Rows++
			queue.push(r)
			if !yield(r.lead) {
				return
			}
		}
	}

	opts := qualify.BatchOptions{Workers: workers, Now: j.Now}
	for res := range qualify.EvaluateAll(ctx, j.Policy, leads, opts) {
		r, ok := queue.pop()
		if !ok {
			// The batch stopped: ctx ended.
			sum.Stopped = res.Err
			break
		}
		if res.Lead != r.lead {
			return sum, fmt.Errorf("batch: internal error: result %d is not for line %d", res.Index, r.line)
		}
		if r.lead != nil && res.Err != nil {
			if ctx.Err() != nil {
				sum.Stopped = context.Cause(ctx)
				break
			}
			r.problems = []Problem{evaluateProblem(schema, r.lead, res.Err)}
		}
		if r.lead == nil || res.Err != nil {
			sum.skip(r.line)
			report("line %d%s: %s", r.line, idPart(r), joinProblems(r.problems))
			if rw != nil {
				if err := rw.write(r.line, r.problems, r.record); err != nil {
					return sum, fmt.Errorf("writing rejects: %w", err)
				}
			}
		} else {
			sum.decided(r.lead, &res.Decision)
			if err := dw.write(r.line, r.lead, &res.Decision); err != nil {
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

	w.Flush()
	if err := errors.Join(w.Error(), bw.Flush()); err != nil {
		return sum, fmt.Errorf("writing decisions: %w", err)
	}
	if rw != nil {
		rw.w.Flush()
		if err := errors.Join(rw.w.Error(), rejectsBuf.Flush()); err != nil {
			return sum, fmt.Errorf("writing rejects: %w", err)
		}
	}
	if readErr != nil {
		if tl := (*lineTooLongError)(nil); errors.As(readErr, &tl) {
			return sum, fmt.Errorf("%w: %v", ErrInput, readErr)
		}
		return sum, fmt.Errorf("%w: reading near line %d: %v", ErrInput, src.lineAt(), readErr)
	}
	if sum.Stopped == nil && ctx.Err() != nil {
		sum.Stopped = context.Cause(ctx)
	}
	if sum.Stopped != nil {
		return sum, fmt.Errorf("stopped after %d rows: %w", sum.Decided+sum.Skipped, sum.Stopped)
	}
	return sum, nil
}

func idPart(r row) string {
	if r.id != "" {
		return fmt.Sprintf(", lead %q", r.id)
	}
	return ""
}

// validate adds lead.Validate's problems to those found while parsing,
// each with the column it came from; a column that did not parse is not
// reported twice.
func validate(v *lead.Validator, s *Schema, l *lead.Lead, now time.Time, problems []Problem) []Problem {
	var ve *lead.ValidationError
	if !errors.As(v.Validate(l, now), &ve) {
		return problems
	}
	bad := map[string]bool{}
	for _, p := range problems {
		bad[p.Field] = true
	}
	for _, fe := range ve.Problems {
		if reported(bad, fe.Path) {
			continue
		}
		problems = append(problems, Problem{Column: s.columnOf(fe.Path), Field: fe.Path, Message: fe.Problem})
	}
	return problems
}

// reported reports whether a problem was already found at path or a field
// that contains it.
func reported(bad map[string]bool, path string) bool {
	for p := path; p != ""; {
		if bad[p] {
			return true
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			return false
		}
		p = p[:i]
	}
	return false
}

// evaluateProblem describes why the policy did not decide a lead.
func evaluateProblem(s *Schema, l *lead.Lead, err error) Problem {
	var le *qualify.LimitError
	var re *qualify.RuleError
	switch {
	case errors.As(err, &le):
		path := le.Path
		return Problem{Column: s.columnOf(path), Field: path, Message: fmt.Sprintf("limit %s of the policy exceeded: %d > %d", le.Limit, le.Got, le.Max)}
	case errors.As(err, &re):
		// expr's errors end with a snippet on lines of their own; a row's
		// report is one line.
		msg, _, _ := strings.Cut(re.Err.Error(), "\n")
		return Problem{Message: fmt.Sprintf("rule %q of the policy failed (%s): %s", re.Rule, re.Field, msg)}
	}
	return Problem{Message: err.Error()}
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

// lineTooLongError is a line of the export over Job.MaxLineBytes.
type lineTooLongError struct{ line, max int }

func (e *lineTooLongError) Error() string {
	return fmt.Sprintf("line %d is longer than %d bytes", e.line, e.max)
}

// inputReader counts the lines read, and refuses a line longer than max
// bytes.
type inputReader struct {
	r     io.Reader
	max   int
	lines int // newlines read
	run   int // bytes since the last newline
}

func (ir *inputReader) Read(p []byte) (int, error) {
	n, err := ir.r.Read(p)
	for chunk := p[:n]; ; {
		i := bytes.IndexByte(chunk, '\n')
		if i < 0 {
			ir.run += len(chunk)
			break
		}
		if ir.run += i; ir.run > ir.max {
			break
		}
		ir.lines++
		ir.run, chunk = 0, chunk[i+1:]
	}
	if ir.run > ir.max {
		return n, &lineTooLongError{line: ir.lines + 1, max: ir.max}
	}
	return n, err
}

// lineAt returns the line being read.
func (ir *inputReader) lineAt() int { return ir.lines + 1 }

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
