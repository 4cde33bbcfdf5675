package nurture

import (
	"errors"
	"fmt"
	"strings"

	"github.com/leadqual/leadqual/lead"
)

// Sentinel errors: every error the package returns for bad configuration
// or bad input matches one of them with errors.Is; errors.As gives the
// detail, and reaches each field as a *lead.FieldError.
var (
	// ErrInvalidConfig: a Config, an AuditConfig or an enrolment is
	// refused. The error is an *Error.
	ErrInvalidConfig = errors.New("invalid configuration")
	// ErrInvalidInput: the planner or the audit was given input it cannot
	// judge (no lead, no track, progress past the end of the track, a time
	// zone the time package does not know). The error is an *Error.
	ErrInvalidInput = errors.New("invalid input")
)

// Error is a refused configuration or input: every problem, each a
// *lead.FieldError naming its field. errors.Is matches its Kind, and
// errors.As reaches each *lead.FieldError. A refused track is a
// [*TrackError] instead, which names steps and assets.
type Error struct {
	// Kind is ErrInvalidConfig or ErrInvalidInput.
	Kind error
	// Lead is the ID of the lead the input is about, when there is one.
	Lead string
	// Problems are the refused fields. A configuration field is named as
	// a Go selector ("QuietHours.From", "StageLimits[opportunity]",
	// "Rules[2].Track"), a field of an enrolment's JSON by its path
	// ("rules[2].track"), input by what it is ("lead", "track",
	// "progress.next") or by the lead's JSON path ("contact.time_zone").
	Problems []*lead.FieldError
}

// Error implements error: "nurture: config: QuietHours.From: 25h is not a
// time of day", `nurture: lead "L-1": contact.time_zone: "Mars/Base" is not
// a time zone`.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("nurture: ")
	switch {
	case e.Lead != "":
		fmt.Fprintf(&b, "lead %q: ", clip(e.Lead, 60))
	case e.Kind == ErrInvalidConfig:
		b.WriteString("config: ")
	}
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

// Is makes errors.Is(err, e.Kind) true.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Unwrap returns the problems, so that errors.As finds a *lead.FieldError
// (and, behind it, the cause: the time package's error for a time zone).
func (e *Error) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p
	}
	return out
}

func configErr(field, problem string) error {
	return &Error{Kind: ErrInvalidConfig, Problems: []*lead.FieldError{{Path: field, Problem: problem}}}
}

// inputErr is input the planner or the audit cannot judge, about the lead
// of that ID (empty when there is none).
func inputErr(leadID, field, problem string, cause error) error {
	return &Error{Kind: ErrInvalidInput, Lead: leadID, Problems: []*lead.FieldError{{Path: field, Problem: problem, Err: cause}}}
}
