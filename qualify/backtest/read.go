package backtest

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"time"

	"github.com/leadqual/leadqual/ingest"
)

// Format is how a history is written: JSON lines, or a CSV export read
// through an ingest.Mapping. The zero Format is JSON lines.
type Format struct {
	opts ingest.Options
}

// JSONLines is the format of one Record per line, in its JSON form (see
// Record). Blank lines are skipped. Unknown keys are errors, so that a
// misspelt "activites" does not silently drop a lead's activities.
func JSONLines() Format { return Format{opts: ingest.Options{Format: ingest.FormatJSONLines}} }

// CSV is the format of a CRM's flat export: a header line, then one row
// per lead or several (one per activity), mapped to records by m (see
// package ingest: decided_at is required, and converted or converted_at,
// when the lead converted, which a column of conversion dates gives alone;
// won and won.currency are the value won; outcome and after-the-fact
// columns are never read into the lead). A nil m is the default layout,
// where each column is named after its target (id, decided_at, converted,
// converted_at, won, activity, activity.at, contact.role, ...).
func CSV(m *ingest.Mapping) Format {
	return Format{opts: ingest.Options{Format: ingest.FormatCSV, Mapping: m}}
}

// Ingest is the format of any input package ingest reads, with its
// options (format, mapping, delimiter, encoding, currency); a backtest
// reads it as a history. Options.Now, History and MaxLineBytes are set by
// the Reader.
func Ingest(opts ingest.Options) Format { return Format{opts: opts} }

// String returns "jsonl", "csv" or "auto".
func (f Format) String() string {
	if f.opts.Format == ingest.FormatAuto && f.opts.Mapping == nil {
		return "jsonl"
	}
	return f.opts.Format.String()
}

// ReadOptions bound and adjust reading. The zero value is ready to use;
// every zero field means its default.
type ReadOptions struct {
	// MaxLineBytes bounds a line of JSON, or a CSV row with its quoted line
	// breaks; a longer one is an error. Default 4 MiB.
	MaxLineBytes int
	// MaxBad is how many bad lines (for CSV, the rows of one lead) are
	// skipped, and listed by Skipped, before reading stops with an error.
	// Default 0: stop at the first.
	MaxBad int
	// Location is the time zone of CSV times written without one
	// ("2025-03-08 09:05"), when neither their column nor the mapping says;
	// nil means UTC.
	Location *time.Location
}

// DefaultMaxLineBytes is the default of ReadOptions.MaxLineBytes.
const DefaultMaxLineBytes = ingest.DefaultMaxLineBytes

func (o ReadOptions) withDefaults() ReadOptions {
	if o.MaxLineBytes == 0 {
		o.MaxLineBytes = DefaultMaxLineBytes
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	return o
}

func (o ReadOptions) validate() error {
	switch {
	case o.MaxLineBytes < 0:
		return fmt.Errorf("%w: backtest: ReadOptions.MaxLineBytes is negative (%d)", ErrConfig, o.MaxLineBytes)
	case o.MaxBad < 0:
		return fmt.Errorf("%w: backtest: ReadOptions.MaxBad is negative (%d)", ErrConfig, o.MaxBad)
	}
	return nil
}

// LineError is input that does not parse, with where it is. It matches
// ErrInput.
type LineError struct {
	// Line is the 1-based line; Column the 1-based byte column within it,
	// 0 when unknown.
	Line, Column int
	// Field is the record's field, or the CSV column, when known.
	Field string
	// Err says what is wrong.
	Err error
}

// Error writes `history line 12, column 5: won: ...`.
func (e *LineError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "history line %d", e.Line)
	if e.Column > 0 {
		fmt.Fprintf(&b, ", column %d", e.Column)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Is makes errors.Is(err, ErrInput) true.
func (e *LineError) Is(target error) bool { return target == ErrInput }

// Unwrap returns the cause.
func (e *LineError) Unwrap() error { return e.Err }

// Reader reads a history of records in a Format. Range over All to get
// the records, then check Err, as with a bufio.Scanner:
//
//	r := backtest.NewReader(f, backtest.JSONLines(), backtest.ReadOptions{})
//	report, err := backtest.Run(ctx, policy, r.All(), backtest.Config{})
//	if err == nil {
//		err = r.Err()
//	}
//
// A Reader is not safe for concurrent use; its records are.
type Reader struct {
	open    func() (io.ReadCloser, error)
	src     io.Reader
	used    bool
	format  Format
	opts    ReadOptions
	err     error
	skipped []*LineError
	report  *ingest.Report
}

// NewReader returns a Reader of the history in r, which it reads once:
// ranging over All a second time yields nothing and sets Err to
// ErrConsumed. Use Open for a history that Calibrate ranges over three
// times.
func NewReader(r io.Reader, f Format, opts ReadOptions) *Reader {
	return &Reader{src: r, format: f, opts: opts}
}

// Open returns a Reader that calls open at the start of every range over
// All, reads what it returns and closes it: a history that can be read
// again, as Calibrate needs.
//
//	history := backtest.Open(func() (io.ReadCloser, error) { return os.Open(path) }, backtest.JSONLines(), backtest.ReadOptions{})
func Open(open func() (io.ReadCloser, error), f Format, opts ReadOptions) *Reader {
	return &Reader{open: open, format: f, opts: opts}
}

// Err returns the first error met by any range over All: a *LineError
// (errors.Is(err, ErrInput)) for input that does not parse beyond
// ReadOptions.MaxBad bad lines, or the error of the underlying reader, of
// open, or of the options (ErrConfig). A range that ends early because the
// loop broke out of it is not an error. Err is nil while the history reads
// cleanly.
func (r *Reader) Err() error { return r.err }

// Skipped returns the bad lines skipped (at most ReadOptions.MaxBad) by
// the last range over All.
func (r *Reader) Skipped() []*LineError { return r.skipped }

// Report returns what the last range over All found besides the records
// (see ingest.Report): the values a mapping did not translate, the order
// of each column's dates, the rows that are not data. Nil before the
// first range.
func (r *Reader) Report() *ingest.Report { return r.report }

func (r *Reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// bad records a bad line: skipped while MaxBad allows, else the error
// that stops reading. It reports whether reading may go on.
func (r *Reader) bad(e *LineError) bool {
	if len(r.skipped) < r.opts.MaxBad {
		r.skipped = append(r.skipped, e)
		return true
	}
	r.fail(e)
	return false
}

// All returns the records of the history, in order. Each record has its
// own Lead. Reading stops at the first error beyond ReadOptions.MaxBad;
// see Err.
func (r *Reader) All() iter.Seq[Record] {
	return func(yield func(Record) bool) {
		if err := r.opts.validate(); err != nil {
			r.fail(err)
			return
		}
		opts := r.opts.withDefaults()
		r.skipped = nil
		src := r.src
		if r.open != nil {
			rc, err := r.open()
			if err != nil {
				r.fail(fmt.Errorf("backtest: opening the history: %w", err))
				return
			}
			defer rc.Close()
			src = rc
		} else {
			if r.used {
				r.fail(ErrConsumed)
				return
			}
			r.used = true
		}
		if src == nil {
			r.fail(errors.New("backtest: nil history reader"))
			return
		}
		in := ingest.NewReader(src, r.ingestOptions(&opts))
		r.report = in.Report()
		for rec := range in.All() {
			if rec.Err != nil {
				if !r.bad(lineError(rec.Err)) {
					return
				}
				continue
			}
			if !yield(Record{Lead: rec.Lead, At: rec.At, Converted: rec.Converted, Won: rec.Won, ConvertedAt: rec.ConvertedAt, Line: rec.Line}) {
				return
			}
		}
		if err := in.Err(); err != nil {
			r.fail(inputError(err))
		}
	}
}

func (r *Reader) ingestOptions(opts *ReadOptions) ingest.Options {
	o := r.format.opts
	o.History, o.MaxLineBytes, o.KeepRows, o.Now = true, opts.MaxLineBytes, false, time.Time{}
	if o.TimeZone == nil {
		o.TimeZone = opts.Location
	}
	if o.Format == ingest.FormatAuto && o.Mapping == nil {
		o.Format = ingest.FormatJSONLines
	}
	return o
}

// lineError is a bad record of the history as a *LineError: the line,
// and the column and field of its first problem. It unwraps to the
// *ingest.RowError, and through it to every *lead.FieldError.
func lineError(e *ingest.RowError) *LineError {
	le := &LineError{Line: e.Line, Err: rowProblems{e}}
	if len(e.Problems) > 0 {
		le.Line = e.ProblemLine(0)
		le.Column = e.Column(0)
		if len(e.Problems) == 1 {
			le.Field = e.Problems[0].Path
		}
	}
	return le
}

// rowProblems writes a row error's problems without its line, which the
// LineError writes.
type rowProblems struct{ e *ingest.RowError }

func (p rowProblems) Error() string {
	if len(p.e.Problems) == 1 {
		return p.e.Problems[0].Problem
	}
	return p.e.Describe()
}

func (p rowProblems) Unwrap() error { return p.e }

// inputError is an error that stopped reading: a *LineError where the
// input says where, ErrInput in any case but an I/O error of the source.
func inputError(err error) error {
	var me *ingest.MappingError
	if errors.As(err, &me) {
		return &LineError{Line: 1, Err: err}
	}
	if errors.Is(err, ingest.ErrInput) {
		return &LineError{Line: 1, Err: err}
	}
	return fmt.Errorf("backtest: reading the history: %w", err)
}

// Check reports what a backtest would refuse in rec, without judging it:
// the record itself (no lead, no decision time, a won value without a
// conversion), its lead rewound to the decision time (see AsOf: a lead
// created after it), and lead.Validate of the rewound lead at that time.
// It is the dry run of a history (examples/backtest -validate).
func Check(rec Record) error {
	if err := rec.check(); err != nil {
		return err
	}
	l, _, err := AsOf(rec.Lead, rec.At)
	if err != nil {
		return err
	}
	return l.Validate(rec.At)
}
