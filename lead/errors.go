package lead

import (
	"strconv"
	"strings"
)

// FieldError is one problem with one field: the one shape in which every
// leadqual package reports what is wrong where. A package's own error (a
// *ValidationError here, a qualify.CompileError, a nurture or recycle
// error) lists its FieldErrors through Unwrap() []error, so that
//
//	var fe *lead.FieldError
//	if errors.As(err, &fe) { ... fe.Path, fe.Line, fe.Column ... }
//
// reaches the first field of an error from any package, while errors.Is
// still matches that package's sentinel (ErrInvalid, qualify.ErrInvalidPolicy,
// nurture.ErrInvalidConfig, ...).
type FieldError struct {
	// Path names the field the way it is written in JSON, with indexes and
	// keys: "activities[3].at", "budget.currency", "rules[3].when",
	// "settings.need_fresh", "steps[2].wait". A package's Go configuration
	// is named the same way with its Go field names ("QuietHours.From").
	// Empty when the problem is with the value as a whole (a document that
	// is not JSON).
	Path string
	// Problem says what is wrong, in words, as a phrase that reads after
	// the path: "missing", "unknown field", "want a number, got "ten"".
	Problem string
	// Line and Column locate the problem, 1-based, when it comes from
	// source text: the JSON document given to a Parse function, or the
	// expression held by the field (a qualify rule's when). Zero when there
	// is no position.
	Line, Column int
	// Err is the underlying error, if any: a *json.SyntaxError, the error of
	// lead.ParseDuration, a qualify.LimitError, a time zone that does not
	// load.
	Err error
}

// Error returns the path, the position when there is one, and the problem:
// "rules[3].points at line 12, column 17: want a number or an expression
// string", "activities[3].at: missing".
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	if e.Line > 0 {
		if e.Path != "" {
			b.WriteString(" at ")
		}
		b.WriteString("line ")
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(", column ")
		b.WriteString(strconv.Itoa(e.Column))
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(e.Problem)
	return b.String()
}

// Unwrap returns the underlying error.
func (e *FieldError) Unwrap() error { return e.Err }
