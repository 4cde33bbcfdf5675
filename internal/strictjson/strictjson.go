// Package strictjson is the one strict JSON decoder of leadqual: exactly one
// JSON value, no unknown object keys, no trailing data, an optional size
// limit, and errors that say where (the path of the field, its line and
// column), as *lead.FieldError values.
//
// The happy path is encoding/json's Decoder with DisallowUnknownFields and
// nothing else. Only when decoding fails does the package read the document
// again, alongside the Go type it was decoded into, to find every problem in
// document order with its path ("rules[3].points", "settings.need_fresh"):
// encoding/json reports the first problem only, with a field path without
// indexes, no position for unknown fields and none at all for the error of
// a type's own UnmarshalJSON or UnmarshalText.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/leadqual/leadqual/lead"
)

// MaxProblems bounds the problems an Error lists: the first ones, in
// document order.
const MaxProblems = 100

// ErrTrailingData is the cause of the problem of a document with more than
// one JSON value.
var ErrTrailingData = errors.New("unexpected data after the JSON value")

// errTooLarge is the cause of the problem of a document over the limit.
var errTooLarge = errors.New("the JSON is too large")

// Error is every problem Decode found, in document order, at most
// MaxProblems. Its Unwrap gives each *lead.FieldError, so that errors.As
// reaches the first.
type Error struct {
	Problems []*lead.FieldError
}

// Error returns the problems, separated by "; ". It has no package prefix:
// the package that decodes puts it in its own error.
func (e *Error) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap returns the problems.
func (e *Error) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p
	}
	return out
}

// Decode decodes data, which must hold exactly one JSON value, into v, a
// non-nil pointer. Object keys that match no field of the Go type are
// refused, and so is anything but white space after the value. On failure
// the error is an *Error and v may be partly filled.
func Decode(data []byte, v any) error { return decode(data, v, 0) }

// DecodeLimit is Decode for documents of at most maxBytes bytes; a larger
// document is refused before it is read.
func DecodeLimit(data []byte, v any, maxBytes int) error { return decode(data, v, maxBytes) }

func decode(data []byte, v any, maxBytes int) error {
	if maxBytes > 0 && len(data) > maxBytes {
		return &Error{Problems: []*lead.FieldError{{Problem: fmt.Sprintf("the JSON is %d bytes, more than %d", len(data), maxBytes), Err: errTooLarge}}}
	}
	if err := ValidUTF8(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if off := skipSpace(data, int(dec.InputOffset())); off < len(data) {
			return &Error{Problems: []*lead.FieldError{at(data, off, "", ErrTrailingData.Error(), ErrTrailingData)}}
		}
		return nil
	}
	return &Error{Problems: locate(data, v, err)}
}

// locate turns the error of encoding/json into problems with paths and
// positions.
func locate(data []byte, v any, err error) []*lead.FieldError {
	var se *json.SyntaxError
	switch {
	case errors.Is(err, io.EOF):
		return []*lead.FieldError{{Problem: "no JSON value: the input is empty", Err: err}}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return []*lead.FieldError{at(data, len(data), pathAt(data, len(data)), "the JSON ends too early", err)}
	case errors.As(err, &se):
		off := max(int(se.Offset)-1, 0) // Offset is just past the offending byte
		return []*lead.FieldError{at(data, off, pathAt(data, off), se.Error(), err)}
	}
	if problems := walkDocument(data, v); len(problems) > 0 {
		return problems
	}
	// The walk found nothing: never answer without a reason.
	p := &lead.FieldError{Problem: strings.TrimPrefix(err.Error(), "json: "), Err: err}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		p = at(data, max(int(te.Offset)-1, 0), te.Field, p.Problem, err)
	}
	return []*lead.FieldError{p}
}

// Malformed reports whether err, from Decode, says that the document is not
// one JSON value (empty, cut short, a syntax error, data after the value,
// not valid UTF-8, or over the limit), rather than JSON of the wrong shape (unknown fields,
// values of the wrong type).
func Malformed(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, ErrTrailingData) || errors.Is(err, errTooLarge) || errors.Is(err, ErrInvalidUTF8)
}

// Problems returns the *lead.FieldError values in err's tree, in order:
// err itself when it is one, else those its Unwrap methods lead to. A
// package that decodes with Decode lists them in its own error.
func Problems(err error) []*lead.FieldError {
	var out []*lead.FieldError
	collect(err, &out)
	return out
}

func collect(err error, out *[]*lead.FieldError) {
	switch e := err.(type) {
	case nil:
	case *lead.FieldError:
		*out = append(*out, e)
	case interface{ Unwrap() []error }:
		for _, x := range e.Unwrap() {
			collect(x, out)
		}
	case interface{ Unwrap() error }:
		collect(e.Unwrap(), out)
	}
}

// at returns a problem located at byte offset off of data.
func at(data []byte, off int, path, problem string, err error) *lead.FieldError {
	line, col := LineColumn(data, off)
	return &lead.FieldError{Path: path, Problem: problem, Line: line, Column: col, Err: err}
}

// LineColumn returns the 1-based line and column (in characters) of the
// byte at offset off of data; an offset past the end is the position just
// after the last byte.
func LineColumn(data []byte, off int) (line, col int) {
	off = max(min(off, len(data)), 0)
	before := data[:off]
	start := bytes.LastIndexByte(before, '\n') + 1
	return 1 + bytes.Count(before, []byte{'\n'}), 1 + utf8.RuneCount(before[start:])
}

// Join appends the relative path rel to path: "rules" and "[3]" give
// "rules[3]", "settings" and "need_fresh" give "settings.need_fresh".
func Join(path, rel string) string {
	switch {
	case path == "":
		return rel
	case rel == "":
		return path
	case rel[0] == '[':
		return path + rel
	}
	return path + "." + rel
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}
