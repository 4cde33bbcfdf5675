package recycle

import (
	"errors"
	"fmt"
	"strings"

	"github.com/leadqual/leadqual/lead"
)

// The sentinel errors of the package. Every error returned by this package
// and by a conforming [Store] wraps one of these, or a context error; test
// for them with errors.Is.
var (
	// ErrFinal: the reason closes the lead for good (lead.ReasonNotAFit,
	// lead.ReasonDoNotContact). Such a lead is never scheduled.
	ErrFinal = errors.New("final reason: the lead is never recycled")

	// ErrNotFound: the lead has no entry in the store: it was never
	// scheduled, or it was cancelled or acknowledged.
	ErrNotFound = errors.New("lead not scheduled")

	// ErrStale: a conditional write found a version other than the one
	// expected: the entry changed (or was created) since it was read.
	ErrStale = errors.New("entry changed since it was read")

	// ErrLeaseLost: a claim is no longer the current one: the entry was
	// claimed again after the lease ended, rescheduled, woken or cancelled.
	// Errors that wrap it also wrap the store's ErrStale or ErrNotFound.
	ErrLeaseLost = errors.New("lease lost")

	// ErrUnavailable: the store could not answer now (a database busy
	// past its timeout, a connection lost, a server restarting). The call
	// failed, or its outcome is unknown (a commit whose answer was lost),
	// and it may be retried. A [Store] wraps its transient errors with it;
	// the [Scheduler] retries the calls that end a claim (Ack,
	// RecycleClaimed, Fail, Release, Extend) with backoff before giving up.
	ErrUnavailable = errors.New("store unavailable")

	// ErrInvalid: bad input (a configuration, a catalogue, an entry, a
	// lead). The error is, or wraps, an *InvalidError listing each field.
	ErrInvalid = errors.New("invalid input")
)

// InvalidError is refused input (a configuration, a catalogue, an entry, a
// lead): every problem found, each a *lead.FieldError whose Path names the
// field, such as "Horizons.Reasons[not_now].After" for a configuration,
// "reasons.not_now.after" in JSON, or "entry.due". errors.Is(err,
// ErrInvalid) is true, and errors.As reaches each *lead.FieldError.
type InvalidError struct {
	Problems []*lead.FieldError
}

// Error lists the problems: "entry.lead_id: empty; entry.due: missing". The
// package puts what was refused in front ("recycle: horizons: ...").
func (e *InvalidError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// Unwrap returns the problems, so that errors.As finds a *lead.FieldError.
func (e *InvalidError) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p
	}
	return out
}

// Invalid returns an *InvalidError of the problems, or nil when there are
// none: the error a [Store] returns to refuse bad input the way the
// package does.
func Invalid(problems ...*lead.FieldError) error {
	if len(problems) == 0 {
		return nil
	}
	return &InvalidError{Problems: problems}
}

// invalid returns an *InvalidError of one problem.
func invalid(field, format string, args ...any) error {
	return &InvalidError{Problems: []*lead.FieldError{{Path: field, Problem: fmt.Sprintf(format, args...)}}}
}

// problems collects the field errors of one validation.
type problems []*lead.FieldError

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, &lead.FieldError{Path: field, Problem: fmt.Sprintf(format, args...)})
}

// err returns nil or an *InvalidError of the problems.
func (p problems) err() error { return Invalid(p...) }
