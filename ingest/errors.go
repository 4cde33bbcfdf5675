package ingest

import (
	"errors"
	"fmt"
	"strings"

	"github.com/leadqual/leadqual/lead"
)

// ErrInput is the identity of an input that cannot be read as a whole: no
// header, a header the mapping does not fit, an I/O error, a line over the
// limit. Bad rows are not errors of the input: each is a *RowError on its
// Record.
var ErrInput = errors.New("bad input")

// ErrRow is the identity of a row (or a JSON line, or the rows of one
// lead) that did not give a lead; the error is a *RowError.
var ErrRow = errors.New("bad row")

// RowError is everything wrong with the row or rows of one lead: each
// problem as a *lead.FieldError naming the lead's field path, with the
// line and the column it was read from. It matches ErrRow, and
// errors.As reaches each *lead.FieldError through it.
type RowError struct {
	// Line is the line the lead's first row starts on, from 1.
	Line int
	// ID is the lead's ID, when the row has one.
	ID string
	// Problems lists every problem, in the order of the columns.
	Problems []*lead.FieldError

	at []place // where each problem is, in Problems' order
}

// place is where a problem is: the line, and the column (its header for
// CSV, its character column for JSON).
type place struct {
	line   int
	column int    // from 1; 0 when unknown
	header string // the CSV column's header, or ""
}

// Header returns the header of the CSV column problem i was read from,
// or "" (JSON lines, or a problem of the row as a whole).
func (e *RowError) Header(i int) string {
	if i < 0 || i >= len(e.at) {
		return ""
	}
	return e.at[i].header
}

// Column returns the column of problem i: the CSV column's number, or the
// character in a JSON line, from 1; 0 when unknown.
func (e *RowError) Column(i int) int {
	if i < 0 || i >= len(e.at) {
		return 0
	}
	return e.at[i].column
}

// ProblemLine returns the line problem i is on (a lead's rows span lines).
func (e *RowError) ProblemLine(i int) int {
	if i < 0 || i >= len(e.at) || e.at[i].line == 0 {
		return e.Line
	}
	return e.at[i].line
}

// Error writes `line 7, lead "B-06": activities[0].at (column "activities"): in the future ...; ...`.
func (e *RowError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "line %d", e.Line)
	if e.ID != "" {
		fmt.Fprintf(&b, ", lead %q", e.ID)
	}
	b.WriteString(": ")
	b.WriteString(e.Describe())
	return b.String()
}

// maxDescribed bounds the problems Describe lists: a row with ten
// thousand activities in the future gets one line, not a megabyte.
const maxDescribed = 20

// Describe writes the problems alone, separated by "; ", at most 20 (then
// how many more there are).
func (e *RowError) Describe() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		if i == maxDescribed-1 && len(e.Problems) > maxDescribed {
			fmt.Fprintf(&b, "and %d more problems", len(e.Problems)-i)
			break
		}
		b.WriteString(e.describe(i, p))
	}
	return b.String()
}

func (e *RowError) describe(i int, p *lead.FieldError) string {
	h := e.Header(i)
	var where string
	switch {
	case p.Path != "" && h != "" && h != p.Path:
		where = fmt.Sprintf("%s (column %q)", p.Path, h)
	case p.Path != "":
		where = p.Path
	case h != "":
		where = fmt.Sprintf("column %q", h)
	}
	if l := e.ProblemLine(i); l != e.Line {
		where = strings.TrimSpace(fmt.Sprintf("%s on line %d", where, l))
	}
	if where == "" {
		return p.Problem
	}
	return where + ": " + p.Problem
}

// Is makes errors.Is(err, ErrRow) true.
func (e *RowError) Is(target error) bool { return target == ErrRow }

// Unwrap returns the problems, so that errors.As finds a *lead.FieldError.
func (e *RowError) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p
	}
	return out
}

// add records a problem.
func (e *RowError) add(at place, path, format string, args ...any) {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	e.Problems = append(e.Problems, &lead.FieldError{Path: path, Problem: msg})
	e.at = append(e.at, at)
}

// has reports whether a problem was already found at path or a field that
// contains it: a column that did not parse is not reported again by
// validation.
func (e *RowError) has(path string) bool {
	if e == nil {
		return false
	}
	for _, p := range e.Problems {
		if p.Path == "" {
			continue
		}
		if path == p.Path || strings.HasPrefix(path, p.Path+".") || strings.HasPrefix(path, p.Path+"[") {
			return true
		}
	}
	return false
}

func (e *RowError) empty() bool { return e == nil || len(e.Problems) == 0 }
