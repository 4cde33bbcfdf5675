package recycle

import (
	"errors"
	"fmt"
)

// The sentinel errors of the package. Every error returned by this package
// and by a conforming [Store] wraps one of these, or a context error, or is
// a *[FieldError]; test for them with errors.Is.
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
	// lead). The error is, or joins, *FieldError values naming the field.
	ErrInvalid = errors.New("invalid input")
)

// FieldError is one problem with one field of an input: a configuration
// field such as "Horizons.Reasons[not_now].After", a JSON path such as
// "hours.start", or a field of an entry or a lead.
type FieldError struct {
	// Field names the offending field.
	Field string
	// Problem says what is wrong with it.
	Problem string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Problem }

// Is makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// problems collects the FieldErrors of one validation.
type problems []error

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
}

// err returns nil, the only problem, or all of them joined.
func (p problems) err() error {
	switch len(p) {
	case 0:
		return nil
	case 1:
		return p[0]
	}
	return errors.Join(p...)
}
