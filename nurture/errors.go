package nurture

import (
	"errors"
	"fmt"
)

// Sentinel errors: every error the package returns for bad configuration
// or bad input matches one of them with errors.Is; errors.As gives the
// detail.
var (
	// ErrInvalidConfig: a Config, an AuditConfig or an enrolment is
	// refused. The error is a *ConfigError.
	ErrInvalidConfig = errors.New("invalid configuration")
	// ErrInvalidInput: the planner or the audit was given input it cannot
	// judge (no lead, no track, progress past the end of the track, a time
	// zone the time package does not know). The error is an *InputError.
	ErrInvalidInput = errors.New("invalid input")
)

// ConfigError is a refused configuration field.
type ConfigError struct {
	// Field names the field as a Go selector: "QuietHours.From",
	// "StageLimits[opportunity]", "Rules[2].Track".
	Field string
	// Problem says what is wrong with it.
	Problem string
	// Err is the underlying error, if any.
	Err error
}

// Error implements error: "nurture: config: <field>: <problem>".
func (e *ConfigError) Error() string {
	return "nurture: config: " + e.Field + ": " + e.Problem
}

// Is makes errors.Is(err, ErrInvalidConfig) true.
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

// Unwrap returns the underlying error.
func (e *ConfigError) Unwrap() error { return e.Err }

func configErr(field, problem string) error {
	return &ConfigError{Field: field, Problem: problem}
}

// InputError is input the planner or the audit cannot judge.
type InputError struct {
	// Lead is the lead's ID, when there is a lead.
	Lead string
	// Field names what is wrong: "lead", "track", "progress.next",
	// "contact.time_zone".
	Field string
	// Problem says what is wrong with it.
	Problem string
	// Err is the underlying error, if any (the time package's, for a time
	// zone).
	Err error
}

// Error implements error: "nurture: lead "<id>": <field>: <problem>".
func (e *InputError) Error() string {
	if e.Lead == "" {
		return fmt.Sprintf("nurture: %s: %s", e.Field, e.Problem)
	}
	return fmt.Sprintf("nurture: lead %q: %s: %s", clip(e.Lead, 60), e.Field, e.Problem)
}

// Is makes errors.Is(err, ErrInvalidInput) true.
func (e *InputError) Is(target error) bool { return target == ErrInvalidInput }

// Unwrap returns the underlying error.
func (e *InputError) Unwrap() error { return e.Err }
