package backtest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"time"

	"github.com/leadqual/leadqual/internal/strictjson"
)

// Format is how a history is written: JSON lines, or CSV with a column
// mapping. The zero Format is JSON lines.
type Format struct {
	csv  bool
	cols Columns
}

// JSONLines is the format of one Record per line, in its JSON form (see
// Record). Blank lines are skipped. Unknown keys are errors, so that a
// misspelt "activites" does not silently drop a lead's activities.
func JSONLines() Format { return Format{} }

// CSV is the format of a CRM's flat export: a header line, then one row
// per lead or per activity, mapped to records by cols (see Columns).
func CSV(cols Columns) Format { return Format{csv: true, cols: cols} }

// String returns "jsonl" or "csv".
func (f Format) String() string {
	if f.csv {
		return "csv"
	}
	return "jsonl"
}

// ReadOptions bound and adjust reading. The zero value is ready to use;
// every zero field means its default.
type ReadOptions struct {
	// MaxLineBytes bounds a line of JSON, or a CSV row with its quoted line
	// breaks; a longer one is an error. Default 4 MiB.
	MaxLineBytes int
	// MaxBad is how many bad lines (rows, for CSV: every row of the lead
	// they belong to) are skipped, and listed by Skipped, before reading
	// stops with an error. Default 0: stop at the first.
	MaxBad int
	// Location is the time zone of CSV times written without one
	// ("2025-03-08 09:05", "2025-03-08"); nil means UTC.
	Location *time.Location
}

// DefaultMaxLineBytes is the default of ReadOptions.MaxLineBytes.
const DefaultMaxLineBytes = 4 << 20

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
	// Line is the 1-based line; Column the 1-based column within it (in
	// characters for JSON lines, as encoding/csv counts for CSV), 0 when
	// unknown.
	Line, Column int
	// Field is the record's field as a JSON path ("lead.stage",
	// "won.amount"), or the CSV column, when known.
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
		if r.format.csv {
			r.readCSV(src, &opts, yield)
		} else {
			r.readJSON(src, &opts, yield)
		}
	}
}

// readJSON reads JSON lines.
func (r *Reader) readJSON(src io.Reader, opts *ReadOptions, yield func(Record) bool) {
	br := bufio.NewReaderSize(src, 64<<10)
	var buf []byte
	for line := 1; ; line++ {
		text, tooLong, err := readLine(br, opts.MaxLineBytes, &buf)
		if err != nil && err != io.EOF {
			r.fail(fmt.Errorf("backtest: reading history line %d: %w", line, err))
			return
		}
		if tooLong {
			if !r.bad(&LineError{Line: line, Err: fmt.Errorf("longer than %d bytes", opts.MaxLineBytes)}) {
				return
			}
		} else if line == 1 {
			text = bytes.TrimPrefix(text, []byte("\uFEFF")) // a byte order mark
		}
		if !tooLong && len(bytes.TrimSpace(text)) > 0 {
			rec, lerr := decodeRecord(text, line)
			if lerr != nil {
				if !r.bad(lerr) {
					return
				}
			} else if !yield(rec) {
				return
			}
		}
		if err == io.EOF {
			return
		}
	}
}

// readLine reads one line, without its line break, into *buf (reused). A
// line longer than max is consumed and reported as tooLong. err is io.EOF
// at the end of input (text may still hold a last line).
func readLine(br *bufio.Reader, max int, buf *[]byte) (text []byte, tooLong bool, err error) {
	*buf = (*buf)[:0]
	for {
		chunk, e := br.ReadSlice('\n')
		if !tooLong {
			if len(*buf)+len(chunk) > max+2 { // +2: the line break itself
				tooLong = true
				*buf = (*buf)[:0]
			} else {
				*buf = append(*buf, chunk...)
			}
		}
		switch e {
		case nil:
			return trimEOL(*buf), tooLong, nil
		case bufio.ErrBufferFull:
			continue
		case io.EOF:
			return trimEOL(*buf), tooLong, io.EOF
		default:
			return nil, false, e
		}
	}
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// decodeRecord decodes one JSON line.
func decodeRecord(text []byte, line int) (Record, *LineError) {
	var rec Record
	if err := strictjson.Decode(text, &rec); err != nil {
		fe := strictjson.Problems(err)[0]
		cause := fe.Err
		if cause == nil || cause.Error() != fe.Problem {
			cause = errors.New(fe.Problem)
		}
		return Record{}, &LineError{Line: line, Column: fe.Column, Field: fe.Path, Err: cause}
	}
	rec.Line = line
	return rec, nil
}
