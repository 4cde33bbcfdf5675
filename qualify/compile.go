package qualify

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/optimizer"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
	"github.com/leadqual/leadqual/lead"
)

// Policy is a compiled policy: immutable, and safe for concurrent use by
// any number of goroutines. Compile it once, when the policy is loaded or
// changed, and share it; evaluate leads with [Evaluate].
type Policy struct {
	spec     Spec // a private deep copy, for Spec()
	name     string
	version  string
	settings Settings
	limits   Limits
	clock    func() time.Time

	rules     []compiledRule
	agg       aggPlan
	final     []lead.Reason
	vocab     *Vocabulary
	notes     map[noteKey]string // see note; built by the first need that reopens a lead
	notesOnce sync.Once
	// scores, account rules and the roll-up of accounts: see
	// dimensions.go and account.go.
	scoring scoring

	// What the expressions that run in the VM read, filled into the
	// environment map per evaluation; the fast path reads the lead and the
	// slots directly.
	vars     []variable
	envSlots []*slot
	guards   []string // the guarded functions the VM programs call
	cost     float64  // the estimated worst-case cost of the policy
	// bigIndexes are the positions the VM's views need beyond the shared
	// table (see views.go), for limits above the defaults; built once.
	bigIndexes func() []any

	needActivities, needInterests, needNow bool
	// readsFields: a rule reads custom fields, whose size is then bounded;
	// needAttrs: a rule can read the attributes of activities, whose text
	// is then bounded too.
	readsFields, needAttrs bool

	pool sync.Pool // of *state
}

type compiledRule struct {
	name, reason string
	intent       lead.Intent
	dimension    Dimension
	score        int  // the dimension's index in scoring: 0 fit, 1 engagement, 2... named
	account      bool // the rule reads account aggregates: see account.go
	disqualify   lead.Reason
	// when is a fast-path closure, a VM program, or both: a closure that
	// may give up (errBail), and the program it gives up to.
	fastWhen func(*state) bool
	when     *vm.Program
	// whenCost and pointsCost are what the guard knows of the VM
	// programs (see guard.go).
	whenCost, pointsCost exprCost
	// points is a fast-path closure, a VM program, both (as for when), or
	// neither when the points are the constant pointsConst.
	fastPoints  func(*state) float64
	points      *vm.Program
	pointsConst float64

	// inputs are what the rule reads that a lead may not state, to tell a
	// rule that could not be judged from one that failed.
	inputs inputs
	// A reason with {need} or {interest}: its text for the newest fresh
	// activity of templateIntent, by the aggregate plan's kind index, and
	// for no such activity. See reasonTemplate.
	reasonBy       []string
	reasonNone     string
	templateIntent lead.Intent
}

// Name returns the policy's name.
func (p *Policy) Name() string { return p.name }

// Version returns the policy's content hash ("sha256:..."): two policies
// with the same rules and settings have the same version, and a stored
// decision names the version that made it.
func (p *Policy) Version() string { return p.version }

// Settings returns the policy's settings with every default filled in.
func (p *Policy) Settings() Settings { return cloneSettings(p.settings) }

// Vocabulary returns what activities mean under this policy: the one
// vocabulary that the nurture planner, the neglect audit and the recycle
// classifier must be given, so that they agree with the policy's verdicts.
func (p *Policy) Vocabulary() *Vocabulary { return p.vocab }

// Spec returns a copy of the spec the policy was compiled from.
func (p *Policy) Spec() Spec { return cloneSpec(p.spec) }

// Rules returns the names of the policy's rules, in order.
func (p *Policy) Rules() []string {
	out := make([]string, len(p.rules))
	for i, r := range p.rules {
		out[i] = r.name
	}
	return out
}

func cloneMap[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return nil
	}
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func cloneSpec(s Spec) Spec {
	s.Rules = slices.Clone(s.Rules)
	s.Settings = cloneSettings(s.Settings)
	return s
}

func cloneSettings(s Settings) Settings {
	s.Intents = cloneMap(s.Intents)
	s.Touches = cloneMap(s.Touches)
	s.Descriptions = cloneMap(s.Descriptions)
	s.Final = slices.Clone(s.Final)
	s.Queue = slices.Clone(s.Queue)
	if s.ResponseHours != nil {
		w := *s.ResponseHours
		w.Days, w.Holidays = slices.Clone(w.Days), slices.Clone(w.Holidays)
		s.ResponseHours = &w
	}
	s.Dimensions = slices.Clone(s.Dimensions)
	if s.ProductLines != nil {
		lines := make([]ProductLine, len(s.ProductLines))
		for i, l := range s.ProductLines {
			lines[i] = ProductLine{Name: l.Name, Products: slices.Clone(l.Products)}
		}
		s.ProductLines = lines
	}
	s.Account.Rollup = cloneMap(s.Account.Rollup)
	s.Account.Roles = slices.Clone(s.Account.Roles)
	return s
}

// CompileJSON parses a policy's JSON form and compiles it: ParseSpec then
// Compile, with the document bounded by Limits.MaxPolicyBytes.
func CompileJSON(data []byte, opts ...Option) (*Policy, error) {
	o := buildOptions(opts)
	if len(data) > o.limits.MaxPolicyBytes {
		lim := &LimitError{Limit: "MaxPolicyBytes", Max: o.limits.MaxPolicyBytes, Got: len(data), Where: "policy JSON"}
		return nil, &CompileError{Problems: []Problem{{Field: "json", Message: lim.Error(), Err: lim}}}
	}
	spec, err := ParseSpec(data)
	if err != nil {
		return nil, err
	}
	return Compile(spec, opts...)
}

func buildOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	o.limits = o.limits.withDefaults()
	if o.clock == nil {
		o.clock = time.Now
	}
	return o
}

// Compile checks a policy and compiles it into an immutable *Policy.
//
// Every problem is reported at once, in a *CompileError
// (errors.Is(err, ErrInvalidPolicy)): an empty policy, a rule without a
// name or with a duplicate one, a rule with no effect or several, an
// expression that does not parse or type-check (with its line and column),
// a `when` that is not boolean, points that are not numeric, and any
// exceeded limit (errors.Is(err, ErrLimit)).
func Compile(spec Spec, opts ...Option) (*Policy, error) {
	o := buildOptions(opts)
	if err := o.limits.validate(); err != nil {
		return nil, err
	}
	c := &compilation{
		limits:     o.limits,
		policy:     spec.Name,
		slots:      map[string]*slot{},
		vmUsed:     map[string]bool{},
		vmOnly:     o.vmOnly,
		regexes:    map[string]int{},
		guardsUsed: map[string]bool{},
		shapes:     newShapes(o.limits),
	}
	spec = cloneSpec(spec) // the caller may change theirs
	c.labels = ruleLabels(spec.Rules)
	settings := c.checkSettings(spec.Settings)
	c.checkScoring(settings)
	c.vocab = newVocabulary(settings)
	c.intents = c.vocab.Intent
	c.checkShape(spec)

	// Pass 1: parse and rewrite every expression, so that the environment
	// (which includes the helpers' slots) is known before type-checking.
	var trees []parsed
	for i, r := range spec.Rules {
		name := c.labels[i]
		if t := c.parse(name, "when", r.When); t != nil {
			t.rule = i
			trees = append(trees, *t)
		}
		if r.Points != "" {
			if t := c.parse(name, "points", string(r.Points)); t != nil {
				t.rule = i
				trees = append(trees, *t)
			}
		}
	}
	agg := c.plan(settings)

	// Pass 2: type-check and compile against the environment, to the fast
	// path where the expression allows it, else to the VM.
	cfg := c.config()
	rules := make([]compiledRule, len(spec.Rules))
	costs := make([]ruleCost, len(spec.Rules))
	for i, r := range spec.Rules {
		rules[i] = compiledRule{name: r.Name, reason: r.Reason, intent: r.Intent, dimension: r.Dimension,
			score: c.scoreIndex(r.Dimension), disqualify: r.Disqualify}
	}
	c.markAccountRules(spec.Rules, trees, rules)
	for _, t := range trees {
		name := c.labels[t.rule]
		out, ok := c.compile(cfg, name, t)
		if !ok {
			continue
		}
		r := &rules[t.rule]
		r.inputs.add(&t)
		switch t.field {
		case "when":
			r.when, r.fastWhen = out.prog, out.fast.b
			r.whenCost, costs[t.rule].when = newExprCost(out.cost), out.cost
		case "points":
			r.points, r.pointsConst = out.prog, out.constant
			r.pointsCost, costs[t.rule].points = newExprCost(out.cost), out.cost
			if out.fast.kind != fastNone {
				r.fastPoints = out.fast.asFloat()
			}
		}
	}
	if len(c.problems) == 0 {
		c.checkCosts(c.labels, spec.Rules, costs)
	}
	if len(c.problems) > 0 {
		return nil, newCompileError(spec, c.problems)
	}
	for i := range rules {
		rules[i].reasonTemplate(c.vocab, &agg)
	}

	p := &Policy{
		spec:     spec,
		name:     spec.Name,
		version:  spec.version(),
		settings: settings,
		limits:   o.limits,
		clock:    o.clock,
		rules:    rules,
		final:    append([]lead.Reason{lead.ReasonNotAFit, lead.ReasonDoNotContact}, settings.Final...),
		vocab:    c.vocab,
		scoring:  c.scoring,
	}
	for _, v := range c.allVariables() {
		if c.vmUsed[v.name] {
			p.vars = append(p.vars, v)
		}
	}
	for _, sl := range c.order {
		if c.vmUsed[sl.key] {
			p.envSlots = append(p.envSlots, sl)
		}
	}
	p.needActivities = c.vmUsed[varActivities]
	p.needInterests = c.vmUsed[varInterests]
	p.needNow = c.vmUsed[varNow]
	p.readsFields = c.vmUsed["fields"] || c.fastFields
	p.needAttrs = p.needActivities // attributes are read only through activities
	lim := o.limits
	p.bigIndexes = sync.OnceValue(func() []any { return boxedIndexes(max(lim.MaxActivities, lim.MaxInterests)) })
	for name := range c.guardsUsed {
		p.guards = append(p.guards, name)
	}
	slices.Sort(p.guards)
	for _, rc := range costs {
		p.cost += rc.total()
	}
	p.agg = agg

	p.pool.New = func() any { return p.newState() }
	return p, nil
}

// ruleLabels names each rule in problems: by its name, or by its position
// ("rules[3]") when it has none or an earlier rule has the same name, so
// that each label names one rule.
func ruleLabels(rules []Rule) []string {
	out := make([]string, len(rules))
	seen := make(map[string]bool, len(rules))
	for i, r := range rules {
		if r.Name == "" || seen[r.Name] {
			out[i] = fmt.Sprintf("rules[%d]", i)
			continue
		}
		seen[r.Name] = true
		out[i] = r.Name
	}
	return out
}

// compilation holds the state of one Compile call.
type compilation struct {
	limits   Limits
	labels   []string // of each rule, for problems: see ruleLabels
	policy   string
	vocab    *Vocabulary
	intents  func(lead.Kind) lead.Intent
	problems []Problem

	slots    map[string]*slot // by key
	order    []*slot          // in the order they were requested
	vmUsed   map[string]bool  // environment names the VM programs read
	channels []lead.Channel   // consent.<channel> variables read
	// allVars is allVariables' answer for allVarsChannels channels.
	allVars         []variable
	allVarsChannels int

	parseConfig *conf.Config
	vmOnly      bool

	guardedCfg *conf.Config    // see guardedConfig
	fastFields bool            // a fast-path expression reads custom fields
	shapes     shapes          // the largest values under the limits
	regexes    map[string]int  // program sizes of the literal patterns
	guardsUsed map[string]bool // the guarded functions the VM programs call

	scoring   scoring
	lineNames []string // the product lines declared, for messages
}

func (c *compilation) problem(rule, field string, format string, args ...any) {
	c.problems = append(c.problems, Problem{Rule: rule, Field: field, Message: fmt.Sprintf(format, args...)})
}

func (c *compilation) checkSettings(s Settings) Settings {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"need_fresh", s.NeedFresh}, {"interest_fresh", s.InterestFresh}, {"response_deadline", s.ResponseDeadline}} {
		switch {
		case d.v < 0:
			c.problem("", "settings."+d.name, "negative duration %s", d.v)
		case d.v%time.Second != 0:
			c.problem("", "settings."+d.name, "%s is not a whole number of seconds", d.v)
		case d.v > lead.MaxDuration:
			c.problem("", "settings."+d.name, "%s is longer than the maximum, %s", d.v, lead.FormatDuration(lead.MaxDuration))
		}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"mql_fit", s.MQLFit}, {"mql_engagement", s.MQLEngagement}} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			c.problem("", "settings."+f.name, "%v is not a number", f.v)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(s.Intents)) {
		if c.checkKind("intents", k) && !s.Intents[k].Valid() {
			c.problem("", "settings.intents."+string(k), "unknown intent %d", uint8(s.Intents[k]))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(s.Touches)) {
		if c.checkKind("touches", k) && !s.Touches[k].Valid() {
			c.problem("", "settings.touches."+string(k), "unknown touch %d", uint8(s.Touches[k]))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(s.Descriptions)) {
		if !c.checkKind("descriptions", k) {
			continue
		}
		switch d := s.Descriptions[k]; {
		case strings.TrimSpace(d) == "":
			c.problem("", "settings.descriptions."+string(k), "empty: leave the kind out to read it as itself")
		case len(d) > maxDescription || !utf8.ValidString(d) || strings.ContainsAny(d, "\n\r\t"):
			c.problem("", "settings.descriptions."+string(k), "must be at most %d bytes of UTF-8 on one line", maxDescription)
		}
	}
	if n := len(s.Intents) + len(s.Touches) + len(s.Descriptions); n > maxVocabulary {
		c.problem("", "settings", "%d kinds in intents, touches and descriptions: at most %d", n, maxVocabulary)
	}
	for i, r := range s.Final {
		if r == "" {
			c.problem("", fmt.Sprintf("settings.final[%d]", i), "empty reason code")
		}
	}
	if s.OnError > OnErrorSkip {
		c.problem("", "settings.on_error", "unknown value %d", uint8(s.OnError))
	}
	if s.OnUnknown > UnknownFail {
		c.problem("", "settings.on_unknown", "unknown value %d", uint8(s.OnUnknown))
	}
	c.checkHours(&s)
	c.checkQueue(s.Queue)
	return s.withDefaults()
}

// Bounds of a policy's vocabulary.
const (
	maxVocabulary  = 1000 // kinds named in intents, touches and descriptions together
	maxKind        = 200  // bytes in a kind's name
	maxDescription = 200  // bytes in a kind's description
)

// checkKind checks a kind named in the settings map called field.
func (c *compilation) checkKind(field string, k lead.Kind) bool {
	switch {
	case strings.TrimSpace(string(k)) == "":
		c.problem("", "settings."+field, "empty activity kind")
	case k == everyKind:
		c.problem("", "settings."+field, `"*" is not a kind: count("*", window) counts activities of every kind`)
	case len(k) > maxKind || !utf8.ValidString(string(k)) || strings.ContainsAny(string(k), "\n\r\t"):
		c.problem("", "settings."+field, "kind %q: at most %d bytes of UTF-8 on one line", clipKind(k), maxKind)
	default:
		return true
	}
	return false
}

func clipKind(k lead.Kind) string {
	if len(k) <= 40 {
		return string(k)
	}
	i := 40
	for i > 0 && !utf8.RuneStart(k[i]) {
		i--
	}
	return string(k[:i]) + "..."
}

func (c *compilation) checkShape(spec Spec) {
	if strings.TrimSpace(spec.Name) == "" {
		c.problem("", "name", "the policy has no name")
	}
	if len(spec.Rules) == 0 {
		c.problem("", "rules", "the policy has no rules")
	}
	if len(spec.Rules) > c.limits.MaxRules {
		lim := &LimitError{Limit: "MaxRules", Max: c.limits.MaxRules, Got: len(spec.Rules), Where: "rules"}
		c.problems = append(c.problems, Problem{Field: "rules", Message: lim.Error(), Err: lim})
	}
	seen := map[string]int{}
	for i, r := range spec.Rules {
		name := c.labels[i]
		switch {
		case strings.TrimSpace(r.Name) == "":
			c.problem(name, "name", "empty")
		case len(r.Name) > 200 || !utf8.ValidString(r.Name) || strings.ContainsAny(r.Name, "\n\r\t"):
			c.problem(name, "name", "must be at most 200 bytes of UTF-8 on one line")
		default:
			if j, dup := seen[r.Name]; dup {
				c.problem(name, "name", "duplicate: rules[%d] and rules[%d] are both named %q", j, i, r.Name)
			} else {
				seen[r.Name] = i
			}
		}
		if strings.TrimSpace(r.When) == "" {
			c.problem(name, "when", "empty")
		}
		if strings.TrimSpace(r.Reason) == "" {
			c.problem(name, "reason", "empty: every rule explains itself")
		}
		if strings.Contains(r.Reason, placeholderNeed) && strings.Contains(r.Reason, placeholderInterest) {
			c.problem(name, "reason", "names both %s and %s: a reason names the newest activity of one intent", placeholderNeed, placeholderInterest)
		}
		effects := 0
		if r.Intent != lead.IntentNone {
			effects++
			if r.Intent != lead.IntentNeed && r.Intent != lead.IntentInterest {
				c.problem(name, "intent", "must be need or interest, not %s", r.Intent)
			}
		}
		if r.Points != "" {
			effects++
			c.checkDimension(name, r.Dimension)
		} else if r.Dimension != DimensionNone {
			c.problem(name, "dimension", "a dimension without points")
		}
		if r.Disqualify != "" {
			effects++
			if !utf8.ValidString(string(r.Disqualify)) || strings.TrimSpace(string(r.Disqualify)) == "" {
				c.problem(name, "disqualify", "invalid reason code %q", r.Disqualify)
			}
		}
		switch effects {
		case 0:
			c.problem(name, "effect", "no effect: set one of intent, points (with a dimension) or disqualify")
		case 1:
		default:
			c.problem(name, "effect", "several effects: set exactly one of intent, points or disqualify")
		}
	}
}

// exprProblem turns an expr error into a Problem with a 1-based position.
func exprProblem(rule, field string, err error) Problem {
	p := Problem{Rule: rule, Field: field, Message: err.Error(), Err: err}
	var fe *file.Error
	if errors.As(err, &fe) {
		p.Message = fe.Message
		p.Snippet = fe.Snippet
		if fe.Line > 0 {
			p.Line, p.Column = fe.Line, fe.Column+1
		}
	}
	return p
}

// problemAt records a problem at a node of an expression.
func (c *compilation) problemAt(rule, field, src string, loc file.Location, err error, format string, args ...any) {
	fe := &file.Error{Location: loc, Message: fmt.Sprintf(format, args...)}
	fe = fe.Bind(file.NewSource(src))
	p := exprProblem(rule, field, fe)
	p.Err = err
	c.problems = append(c.problems, p)
}

// parsed is an expression after pass 1.
type parsed struct {
	rule   int
	field  string
	tree   *parser.Tree
	idents map[string]bool
}

// parse checks the text of an expression against the limits, parses it
// and rewrites it (see rewriter). It returns nil after recording problems.
func (c *compilation) parse(rule, field, src string) *parsed {
	if strings.TrimSpace(src) == "" {
		return nil
	}
	if len(src) > c.limits.MaxExprBytes {
		lim := &LimitError{Limit: "MaxExprBytes", Max: c.limits.MaxExprBytes, Got: len(src), Where: "rule " + rule + " " + field}
		c.problems = append(c.problems, Problem{Rule: rule, Field: field, Message: lim.Error(), Err: lim})
		return nil
	}
	if !utf8.ValidString(src) {
		c.problem(rule, field, "not valid UTF-8")
		return nil
	}
	if depth, at := bracketDepth(src, c.limits.MaxDepth); depth > c.limits.MaxDepth {
		lim := &LimitError{Limit: "MaxDepth", Max: c.limits.MaxDepth, Got: depth, Where: "rule " + rule + " " + field}
		c.problemAt(rule, field, src, file.Location{From: utf8.RuneCountInString(src[:at]), To: utf8.RuneCountInString(src[:at]) + 1}, lim, "%s", lim.Error())
		return nil
	}
	if c.parseConfig == nil {
		c.parseConfig = newParseConfig(c.limits.MaxNodes)
	}
	tree, err := parser.ParseWithConfig(src, c.parseConfig)
	if err != nil {
		p := exprProblem(rule, field, err)
		if strings.Contains(p.Message, "exceeds maximum allowed nodes") {
			lim := &LimitError{Limit: "MaxNodes", Max: c.limits.MaxNodes, Got: c.limits.MaxNodes + 1, Where: "rule " + rule + " " + field}
			p.Message, p.Err = lim.Error()+" (or more)", lim
		}
		c.problems = append(c.problems, p)
		return nil
	}
	w := rewriter{c: c, rule: rule, field: field, src: src, idents: map[string]bool{}}
	w.walk(&tree.Node, 1, 0)
	if w.failed {
		return nil
	}
	return &parsed{field: field, tree: tree, idents: w.idents}
}

// bracketDepth returns the deepest nesting of (), [] and {} outside string
// literals, stopping as soon as it exceeds max, and the byte offset where
// it did. Parentheses create no syntax-tree nodes, so this check on the
// text is what keeps a rule of a million "(" from exhausting the stack.
func bracketDepth(src string, max int) (depth, at int) {
	d := 0
	var quote byte
	for i := 0; i < len(src); i++ {
		ch := src[i]
		if quote != 0 {
			switch {
			case ch == '\\' && quote != '`':
				i++
			case ch == quote:
				quote = 0
			}
			continue
		}
		switch ch {
		case '"', '\'', '`':
			quote = ch
		case '(', '[', '{':
			d++
			if d > depth {
				depth, at = d, i
				if depth > max {
					return depth, at
				}
			}
		case ')', ']', '}':
			d--
		}
	}
	return depth, at
}

// newParseConfig is the parser's view of the language: the builtins of
// the rule language (every other builtin of expr disabled, so that it
// parses as a call the rewriter refuses) and our helpers as functions.
func newParseConfig(maxNodes int) *conf.Config {
	cfg := conf.CreateNew()
	cfg.MaxNodes = uint(maxNodes)
	onlyOurBuiltins(cfg)
	for name := range helpers {
		cfg.Functions[name] = nil // the parser only needs the name
	}
	return cfg
}

func onlyOurBuiltins(cfg *conf.Config) {
	for name := range cfg.Builtins {
		if _, ok := builtins[name]; !ok {
			delete(cfg.Builtins, name)
			cfg.Disabled[name] = true
		}
	}
}

// config builds the checker's configuration: the environment's types,
// including the slots the rules asked for, the runtime helpers and the
// money operators.
func (c *compilation) config() *conf.Config { return c.buildConfig(false) }

// guardedConfig is config with the guarded functions of the instrumented
// programs, built once, when the first expression needs it.
func (c *compilation) guardedConfig() *conf.Config {
	if c.guardedCfg == nil {
		c.guardedCfg = c.buildConfig(true)
	}
	return c.guardedCfg
}

func (c *compilation) buildConfig(guards bool) *conf.Config {
	env := map[string]any{}
	for _, v := range c.allVariables() {
		env[v.name] = v.typ
	}
	env[varActivities] = []*Activity(nil)
	env[varInterests] = []*Interest(nil)
	env[varNow] = time.Time{}
	for _, s := range c.order {
		env[s.key] = s.typ()
	}
	if guards {
		for name, typ := range guardTypes {
			env[name] = typ
		}
		for name, typ := range accessorTypes {
			env[name] = typ
		}
	}
	cfg := conf.CreateNew()
	onlyOurBuiltins(cfg)
	opts := []expr.Option{expr.Env(env), expr.MaxNodes(uint(c.limits.MaxNodes))}
	opts = append(opts, runtimeFunctions()...)
	for _, opt := range opts {
		opt(cfg)
	}
	cfg.Check()
	return cfg
}

// allVariables is the documented environment plus the consent channels the
// rules read.
// It is built again only when a channel was added since: the fast path
// asks for it at every identifier.
func (c *compilation) allVariables() []variable {
	if c.allVars != nil && c.allVarsChannels == len(c.channels) {
		return c.allVars
	}
	out := slices.Clone(variables)
	for _, ch := range c.channels {
		out = append(out, consentVar(ch))
	}
	c.allVars, c.allVarsChannels = out, len(c.channels)
	return out
}

var (
	numberKind = map[reflect.Kind]bool{
		reflect.Int: true, reflect.Int8: true, reflect.Int16: true, reflect.Int32: true, reflect.Int64: true,
		reflect.Uint: true, reflect.Uint8: true, reflect.Uint16: true, reflect.Uint32: true, reflect.Uint64: true,
		reflect.Float32: true, reflect.Float64: true,
	}
)

// compiled is one expression after pass 2: a fast-path closure, a VM
// program, both (a fast-path closure that may give up, and the program it
// gives up to), or (for points) a constant; and its estimated cost.
type compiled struct {
	fast     fastExpr
	prog     *vm.Program
	constant float64
	cost     estimate
}

// compile type-checks one rewritten expression, holds it to the rule
// language by type, estimates its cost, and compiles it: to the fast path
// where it can, else to a guarded VM program.
func (c *compilation) compile(cfg *conf.Config, rule string, t parsed) (compiled, bool) {
	tree, field := t.tree, t.field
	if _, err := new(checker.Checker).PatchAndCheck(tree, cfg); err != nil {
		c.problems = append(c.problems, exprProblem(rule, field, err))
		return compiled{}, false
	}
	if !c.verify(rule, field, tree) {
		return compiled{}, false
	}
	// expr's optimizer folds what verify left (booleans, comparisons of
	// constants: verify has folded, or refused, the arithmetic) and fuses
	// iterations; the fast path, the estimate and the VM then all see the
	// same expression. Checking again types what it built.
	before := nodes(tree.Node)
	if err := optimizer.Optimize(&tree.Node, cfg); err != nil {
		c.problems = append(c.problems, exprProblem(rule, field, err))
		return compiled{}, false
	}
	if !slices.Equal(before, nodes(tree.Node)) {
		if _, err := checker.Check(tree, cfg); err != nil {
			c.problems = append(c.problems, exprProblem(rule, field, err))
			return compiled{}, false
		}
	}
	typ := tree.Node.Type()
	unknown := typ == nil || typ.Kind() == reflect.Interface
	switch field {
	case "when":
		if !unknown && typ.Kind() != reflect.Bool {
			c.problemAt(rule, field, tree.Source.String(), tree.Node.Location(), nil,
				"must be a boolean (true or false), but is %s", typeName(typ))
			return compiled{}, false
		}
	case "points":
		if !unknown && !numberKind[typ.Kind()] {
			c.problemAt(rule, field, tree.Source.String(), tree.Node.Location(), nil,
				"must be a number, but is %s", typeName(typ))
			return compiled{}, false
		}
		if v, ok := constantNumber(tree.Node); ok {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				c.problem(rule, field, "%v is not a finite number", v)
				return compiled{}, false
			}
			return compiled{constant: v}, true
		}
	}
	cost := c.estimate(tree)
	var out compiled
	if cost.total <= checkEvery && !c.vmOnly {
		// Cheap enough to run between two looks at the context.
		f, ok := c.fast(tree.Node)
		if ok && field == "when" && f.kind == fastAny { // a custom field: it must be a boolean
			f = fastExpr{kind: fastBool, b: anyBool(f), bails: true}
		}
		if ok && (field == "when" && f.kind == fastBool ||
			field == "points" && (f.kind == fastInt || f.kind == fastFloat)) {
			out.fast = f
			if !f.bails {
				return compiled{fast: f, cost: cost}, true
			}
			// It may give up at run time: the VM program too.
		}
	}
	if c.instrument(tree, cost) {
		cfg = c.guardedConfig()
		if _, err := checker.Check(tree, cfg); err != nil {
			// The instrumented tree is ours: this is a bug, not a bad rule.
			c.problems = append(c.problems, exprProblem(rule, field, fmt.Errorf("internal error instrumenting the expression: %w", err)))
			return compiled{}, false
		}
	}
	prog, err := compiler.Compile(tree, cfg)
	if err != nil {
		c.problems = append(c.problems, exprProblem(rule, field, err))
		return compiled{}, false
	}
	for name := range t.idents {
		c.vmUsed[name] = true
	}
	out.prog, out.cost = prog, cost
	return out, true
}

func typeName(t reflect.Type) string {
	switch {
	case t == reflect.TypeOf(time.Duration(0)):
		return "a duration"
	case t == reflect.TypeOf(time.Time{}):
		return "a time"
	case t == reflect.TypeOf((*lead.Money)(nil)):
		return "money"
	case t.Kind() == reflect.String:
		return "a string"
	case numberKind[t.Kind()]:
		return "a number"
	case t.Kind() == reflect.Bool:
		return "a boolean"
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		return "an array"
	case t.Kind() == reflect.Map:
		return "a map"
	}
	return t.String()
}

// constantNumber reports the value of a constant numeric node.
func constantNumber(n ast.Node) (float64, bool) {
	switch n := n.(type) {
	case *ast.IntegerNode:
		return float64(n.Value), true
	case *ast.FloatNode:
		return n.Value, true
	case *ast.ConstantNode:
		return toFloat(n.Value)
	case *ast.UnaryNode:
		if v, ok := constantNumber(n.Node); ok {
			switch n.Operator {
			case "-":
				return -v, true
			case "+":
				return v, true
			}
		}
	}
	return 0, false
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float32:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// nodes lists the nodes of an expression in walk order: two lists are
// equal when nothing was replaced.
func nodes(n ast.Node) []ast.Node {
	var out []ast.Node
	var walk func(np *ast.Node)
	walk = func(np *ast.Node) {
		if *np == nil {
			return
		}
		out = append(out, *np)
		for _, ch := range childPointers(*np) {
			walk(ch)
		}
	}
	walk(&n)
	return out
}
