package ingest

import (
	"errors"
	"io"

	"github.com/leadqual/leadqual/internal/strictjson"
	"github.com/leadqual/leadqual/lead"
)

// ErrInvalidUTF8 is the cause of the problems of a document that is not
// valid UTF-8: DecodeJSON refuses it, naming each key and string value
// that is not, where encoding/json would replace the bytes with U+FFFD
// without a word. errors.Is(err, ErrInvalidUTF8) tells it apart; the
// JSONError is Malformed.
var ErrInvalidUTF8 = strictjson.ErrInvalidUTF8

// DecodeJSON decodes data, which must hold exactly one JSON value, into v
// (a non-nil pointer) the way every reader of leadqual does: object keys
// that match no field are refused, and so is anything after the value. It
// is the decoder behind the library's own JSON forms (policies, tracks,
// catalogues, lead lines), for a host that reads the same documents, such
// as a webhook body that holds a lead:
//
//	var l lead.Lead
//	if err := ingest.DecodeJSON(body, &l); err != nil {
//		var je *ingest.JSONError // every problem, each a *lead.FieldError
//	}
//
// On failure the error is a *JSONError and v may be partly filled.
func DecodeJSON(data []byte, v any) error {
	err := strictjson.Decode(data, v)
	if err == nil {
		return nil
	}
	return &JSONError{
		Problems:  strictjson.Problems(err),
		Malformed: strictjson.Malformed(err),
		Empty:     errors.Is(err, io.EOF),
		err:       err,
	}
}

// JSONError is what DecodeJSON found wrong with a document.
type JSONError struct {
	// Problems are every problem, in document order (at most 100), each
	// with the path of its field ("contact.email", "activities[2].at"),
	// its line and column, and its cause.
	Problems []*lead.FieldError
	// Malformed reports that the document is not one JSON value at all
	// (a syntax error, cut short, data after the value, not valid UTF-8:
	// see ErrInvalidUTF8), as opposed to JSON of the wrong shape (unknown
	// fields, values of the wrong type).
	Malformed bool
	// Empty reports that there was no JSON value: the input was empty or
	// white space.
	Empty bool

	err error
}

// Error lists the problems, separated by "; ".
func (e *JSONError) Error() string { return "ingest: " + e.err.Error() }

// Unwrap returns the problems, so that errors.As reaches a
// *lead.FieldError.
func (e *JSONError) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p
	}
	return out
}
