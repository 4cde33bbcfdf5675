package qualify

import (
	"cmp"
	"fmt"
	"time"
)

// Limits bound what a policy may ask of the host and what a lead may
// bring. They are what makes it safe to let CRM administrators write rules
// and strangers fill in web forms: every rule's cost is bounded before it
// runs. Every zero field means its default; a negative field is an error.
type Limits struct {
	// MaxPolicyBytes bounds the JSON read by CompileJSON. Default 1 MiB.
	MaxPolicyBytes int
	// MaxRules bounds the rules of a policy. Default 1000.
	MaxRules int
	// MaxExprBytes bounds each expression's text, checked before it is
	// parsed. Default 4096.
	MaxExprBytes int
	// MaxDepth bounds the nesting of brackets (checked on the text, before
	// parsing) and of the syntax tree. Default 32.
	MaxDepth int
	// MaxNodes bounds the syntax tree of each expression. Default 512.
	MaxNodes int
	// MaxActivities and MaxInterests bound the collections of a lead that
	// Evaluate accepts. Defaults 10000 and 1000.
	MaxActivities, MaxInterests int
	// MaxTextBytes bounds each text field of a lead that Evaluate reads:
	// the ID, the contact's and company's fields, the kind, asset, product,
	// channel and attributes (keys and values) of each activity and the
	// topic of each interest. Default
	// 4096: a name, a title or an asset's title is far shorter; free text
	// belongs in custom fields.
	MaxTextBytes int
	// MaxFieldsBytes bounds a lead's custom fields, all values together,
	// when the policy reads them: every value counts 8 bytes, plus the
	// length of a string and of each key. Default 64 KiB.
	MaxFieldsBytes int
	// MaxRuleCost bounds the estimated worst-case cost of one rule (its
	// when and its points together) on the largest lead these limits
	// admit, in cost units: about a nanosecond of work each on the
	// reference machine (see SECURITY.md). Compile computes every rule's
	// cost from the limits above and refuses a rule beyond it, naming the
	// rule, its cost and its largest term. Default 20,000,000 (20 ms).
	MaxRuleCost int
	// MaxPolicyCost bounds the estimated worst-case cost of the policy as
	// a whole: the sum of its rules' costs. Default 40,000,000: with the
	// per-lead work that does not depend on the rules, the most expensive
	// policy it admits takes under 50 ms on the largest lead (see
	// BenchmarkWorstCase).
	MaxPolicyCost int
	// MaxRegexProgram bounds the compiled program of each regular
	// expression (matches), in instructions; a pattern that would compile
	// to more is refused before it is compiled. Default 200.
	MaxRegexProgram int
	// MemoryBudget bounds the elements of arrays and maps that one rule may
	// build while it runs (expr's memory budget). Default 100000.
	MemoryBudget int
	// MaxContacts bounds the leads of an account that EvaluateAccount
	// accepts. Default 1000: a buying group is a handful of people, and a
	// company of thousands of contacts is a host's segment, not one
	// account.
	MaxContacts int
}

// The defaults of Limits.
const (
	DefaultMaxPolicyBytes  = 1 << 20
	DefaultMaxRules        = 1000
	DefaultMaxExprBytes    = 4096
	DefaultMaxDepth        = 32
	DefaultMaxNodes        = 512
	DefaultMaxActivities   = 10_000
	DefaultMaxInterests    = 1000
	DefaultMaxTextBytes    = 4096
	DefaultMaxFieldsBytes  = 64 << 10
	DefaultMaxRuleCost     = 20_000_000
	DefaultMaxPolicyCost   = 40_000_000
	DefaultMaxRegexProgram = 200
	DefaultMemoryBudget    = 100_000
	DefaultMaxContacts     = 1000
)

func (l Limits) withDefaults() Limits {
	l.MaxPolicyBytes = cmp.Or(l.MaxPolicyBytes, DefaultMaxPolicyBytes)
	l.MaxRules = cmp.Or(l.MaxRules, DefaultMaxRules)
	l.MaxExprBytes = cmp.Or(l.MaxExprBytes, DefaultMaxExprBytes)
	l.MaxDepth = cmp.Or(l.MaxDepth, DefaultMaxDepth)
	l.MaxNodes = cmp.Or(l.MaxNodes, DefaultMaxNodes)
	l.MaxActivities = cmp.Or(l.MaxActivities, DefaultMaxActivities)
	l.MaxInterests = cmp.Or(l.MaxInterests, DefaultMaxInterests)
	l.MaxTextBytes = cmp.Or(l.MaxTextBytes, DefaultMaxTextBytes)
	l.MaxFieldsBytes = cmp.Or(l.MaxFieldsBytes, DefaultMaxFieldsBytes)
	l.MaxRuleCost = cmp.Or(l.MaxRuleCost, DefaultMaxRuleCost)
	l.MaxPolicyCost = cmp.Or(l.MaxPolicyCost, DefaultMaxPolicyCost)
	l.MaxRegexProgram = cmp.Or(l.MaxRegexProgram, DefaultMaxRegexProgram)
	l.MemoryBudget = cmp.Or(l.MemoryBudget, DefaultMemoryBudget)
	l.MaxContacts = cmp.Or(l.MaxContacts, DefaultMaxContacts)
	return l
}

func (l Limits) validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{
		{"MaxPolicyBytes", l.MaxPolicyBytes}, {"MaxRules", l.MaxRules}, {"MaxExprBytes", l.MaxExprBytes},
		{"MaxDepth", l.MaxDepth}, {"MaxNodes", l.MaxNodes}, {"MaxActivities", l.MaxActivities},
		{"MaxInterests", l.MaxInterests}, {"MaxTextBytes", l.MaxTextBytes}, {"MaxFieldsBytes", l.MaxFieldsBytes},
		{"MaxRuleCost", l.MaxRuleCost}, {"MaxPolicyCost", l.MaxPolicyCost},
		{"MaxRegexProgram", l.MaxRegexProgram}, {"MemoryBudget", l.MemoryBudget}, {"MaxContacts", l.MaxContacts},
	} {
		if f.v < 0 {
			return fmt.Errorf("qualify: Limits.%s is negative (%d)", f.name, f.v)
		}
	}
	return nil
}

// Option configures Compile. Most callers need none.
type Option func(*options)

type options struct {
	limits Limits
	clock  func() time.Time
	vmOnly bool // tests: compile every expression for the VM
}

// vmOnly turns the fast path off, so that tests can hold it against the VM.
func vmOnly() Option { return func(o *options) { o.vmOnly = true } }

// WithLimits replaces the default limits; zero fields keep their defaults.
func WithLimits(l Limits) Option { return func(o *options) { o.limits = l } }

// WithClock sets the clock Evaluate reads `now` from. The default, and a
// nil clock, is time.Now. EvaluateAt takes `now` directly.
func WithClock(now func() time.Time) Option { return func(o *options) { o.clock = now } }
