package qualify

import (
	"errors"
	"fmt"
	"strings"

	"github.com/leadqual/leadqual/lead"
)

// Sentinel errors; every error from this package that a caller may want to
// tell apart matches one of them with errors.Is.
var (
	// ErrInvalidPolicy: Compile refused the policy. The error is a
	// *CompileError listing every problem.
	ErrInvalidPolicy = errors.New("invalid policy")
	// ErrLimit: a documented limit was exceeded, at Compile (a rule too
	// long, too deep) or at Evaluate (a lead with too many activities).
	// The error is, or wraps, a *LimitError.
	ErrLimit = errors.New("limit exceeded")
	// ErrRule: a rule failed at run time. The error is a *RuleError.
	ErrRule = errors.New("rule failed")
	// ErrUnknownInput: a rule read an input the lead does not have (a
	// custom field, an amount of money) under Settings.OnUnknown =
	// UnknownFail. The error is a *RuleError that wraps it.
	ErrUnknownInput = errors.New("unknown input")
	// ErrNilPolicy, ErrNilLead and ErrNilDecision: Evaluate (or
	// EvaluateInto) was called without one.
	ErrNilPolicy   = errors.New("qualify: nil policy")
	ErrNilLead     = errors.New("qualify: nil lead")
	ErrNilDecision = errors.New("qualify: nil decision")
)

// Problem is one thing wrong with a policy: the rule-level record a
// [CompileError] lists. Each is also reachable as a *lead.FieldError (see
// CompileError.Unwrap).
type Problem struct {
	// Rule is the name of the rule, or "" for the policy as a whole. A
	// rule without a name is named by its position, "rules[3]".
	Rule string
	// Field is the rule's field ("when", "points", "name", ...), a settings
	// key ("settings.need_fresh"), or "json" for a decoding error.
	Field string
	// Path is where the problem is, as a path in the policy's JSON form:
	// "rules[3].when", "rules[3]" (a problem with the rule's effect),
	// "settings.need_fresh", "name"; for a decoding error, the path of the
	// offending value ("rules[3].points"), empty when the document as a
	// whole is wrong.
	Path string
	// Line and Column locate the problem, 1-based: within the expression
	// for "when" and "points", within the JSON document for "json". Zero
	// when there is no position.
	Line, Column int
	// Message says what is wrong.
	Message string
	// Snippet is the offending line with a caret under the column, when
	// there is one.
	Snippet string
	// Err is the underlying error (a *LimitError, an expr error), if any.
	Err error
}

// Error returns the problem as a line of CompileError's listing:
// `rule "hot": when 1:12: unknown name foo`, `json rules[3].points 12:17:
// want a number or an expression string, got true`.
func (p Problem) Error() string {
	var b strings.Builder
	if p.Rule != "" {
		fmt.Fprintf(&b, "rule %q: ", p.Rule)
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		if p.Field == "json" && p.Path != "" {
			b.WriteString(" ")
			b.WriteString(p.Path)
		}
		if p.Line > 0 {
			fmt.Fprintf(&b, " %d:%d", p.Line, p.Column)
		}
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	b.WriteString(p.Snippet)
	return b.String()
}

// Unwrap returns the underlying error.
func (p Problem) Unwrap() error { return p.Err }

// FieldError returns the problem as a *lead.FieldError: its Path, its
// Message as the Problem, its Line and Column (in the policy's JSON for a
// decoding error, in the expression for "when" and "points") and its Err.
func (p Problem) FieldError() *lead.FieldError {
	return &lead.FieldError{Path: p.Path, Problem: p.Message, Line: p.Line, Column: p.Column, Err: p.Err}
}

// CompileError is a refused policy: every problem found, in rule order.
type CompileError struct {
	// Policy is the policy's name, as given.
	Policy string
	// Problems are every problem found.
	Problems []Problem
}

// newCompileError returns the CompileError of spec, with the Path of each
// problem filled in.
func newCompileError(spec Spec, problems []Problem) *CompileError {
	index := make(map[string]int, len(spec.Rules))
	for i, l := range ruleLabels(spec.Rules) {
		index[l] = i
	}
	for i := range problems {
		p := &problems[i]
		switch {
		case p.Path != "" || p.Field == "json":
		case p.Rule == "":
			p.Path = p.Field
		default:
			rule := p.Rule
			if i, ok := index[p.Rule]; ok {
				rule = fmt.Sprintf("rules[%d]", i)
			}
			p.Path = rule
			if p.Field != "effect" && p.Field != "" {
				p.Path += "." + p.Field
			}
		}
	}
	return &CompileError{Policy: spec.Name, Problems: problems}
}

// Error lists every problem: `qualify: policy "p": rule "hot": when 1:12:
// unknown name foo`.
func (e *CompileError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "qualify: policy %q: ", e.Policy)
	if len(e.Problems) > 1 {
		fmt.Fprintf(&b, "%d problems:\n", len(e.Problems))
		for _, p := range e.Problems {
			b.WriteString("  ")
			b.WriteString(strings.ReplaceAll(p.Error(), "\n", "\n  "))
			b.WriteString("\n")
		}
		return strings.TrimSuffix(b.String(), "\n")
	}
	for _, p := range e.Problems {
		b.WriteString(p.Error())
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalidPolicy) true, and ErrLimit when a
// limit was one of the problems.
func (e *CompileError) Is(target error) bool {
	if target == ErrInvalidPolicy {
		return true
	}
	for _, p := range e.Problems {
		if p.Err != nil && errors.Is(p.Err, target) {
			return true
		}
	}
	return false
}

// Unwrap returns each problem as a *lead.FieldError (see
// Problem.FieldError), so that errors.As finds the first field of the
// policy at fault, and a *LimitError or an expr error behind it.
func (e *CompileError) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p.FieldError()
	}
	return out
}

// LimitError says which documented limit was exceeded, by how much.
type LimitError struct {
	// Limit is the name of the Limits field, e.g. "MaxActivities".
	Limit string
	// Max is the limit; Got is what was found.
	Max, Got int
	// Where names the offending part in words: a rule, a lead and its
	// field.
	Where string
	// Path is the field of the lead at fault, written as lead.FieldError
	// paths are ("activities", "activities[3]", "contact.name", "fields"),
	// so that a host can point at it; empty for a limit of the policy.
	Path string
}

func (e *LimitError) Error() string {
	if e.Where != "" {
		return fmt.Sprintf("%s: limit %s exceeded: %d > %d", e.Where, e.Limit, e.Got, e.Max)
	}
	return fmt.Sprintf("limit %s exceeded: %d > %d", e.Limit, e.Got, e.Max)
}

// Is makes errors.Is(err, ErrLimit) true.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

// RuleError is a rule that failed at run time on a lead.
type RuleError struct {
	Policy string
	Rule   string
	// Field is "when" or "points".
	Field string
	// Lead is the ID of the lead being evaluated.
	Lead string
	Err  error
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("qualify: policy %q rule %q (%s) on lead %q: %v", e.Policy, e.Rule, e.Field, e.Lead, e.Err)
}

// Unwrap returns the cause.
func (e *RuleError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrRule) true.
func (e *RuleError) Is(target error) bool { return target == ErrRule }

// ErrArithmetic is the cause of a rule that failed on arithmetic: a
// division by zero, an integer overflow, or a result that is not a finite
// number. Such a rule fails (a *RuleError wrapping an *ArithmeticError),
// never matches on a wrong number; errors.Is(err, ErrArithmetic) tells it
// apart from other failures.
var ErrArithmetic = errors.New("arithmetic fault")

// ArithmeticError is an operation of a rule that has no right answer.
type ArithmeticError struct {
	// Op is the operator: "+", "-", "*", "/", "%", "**", or a conversion
	// such as "int".
	Op string
	// X and Y are the operands (Y is nil for a conversion).
	X, Y any
	// Fault says what went wrong: "integer overflow", "division by zero",
	// "not a finite number".
	Fault string
}

func (e *ArithmeticError) Error() string {
	if e.Y == nil {
		return fmt.Sprintf("%s: %s(%v)", e.Fault, e.Op, e.X)
	}
	return fmt.Sprintf("%s: %v %s %v", e.Fault, e.X, e.Op, e.Y)
}
