package qualify

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
)

// The cost model.
//
// Compile estimates the worst-case cost of every rule on the largest lead
// the policy's Limits admit, in the spirit of cel-go's cost estimator:
// every operation has a cost in terms of the sizes of its inputs (bytes of
// a string, elements of a list), the sizes of results are tracked through
// the expression, iterations multiply the cost of their body by the
// number of elements, and a regular expression costs its program size
// times the length of the text. A unit is about a nanosecond of work on
// the reference machine: the constants below are upper bounds of the
// times measured by BenchmarkCostCalibration, and BenchmarkWorstCase runs
// the most expensive policy the default budget admits on the largest lead
// the default limits admit.
//
// The same functions price the work at run time (see guard.go): the
// guarded functions charge what they do by the actual sizes of their
// inputs, each element of an iteration charges the fixed cost of its body,
// and the rest of an expression is charged once when it starts. The run-time
// charge of an expression never exceeds its estimate: Evaluate stops a rule
// that would, and TestRunTimeCostWithinEstimate holds them together.
const (
	costConst  = 5    // pushing a constant
	costNode   = 20   // one VM instruction with its operands: a load, a comparison, a jump
	costMember = 150  // a field of an activity or a key of a map, read by reflection
	costCall   = 40   // calling a guarded function
	costElem   = 200  // one element of an iteration: fetching it, and the guard's tick
	costMoney  = 1000 // comparing or adding exact amounts of money

	// Per byte of input, as divisors: copying and scanning bytes costs a
	// quarter of a unit per byte; comparing two strings (memcmp, after
	// their lengths) a sixteenth.
	bytesPerScanUnit    = 4
	bytesPerCompareUnit = 16
	costPerCaseByte     = 20 // upper and lower, on the worst (non-ASCII) text
	costPerFindByte     = 4  // contains and indexOf, on the worst text and pattern
	costPerParseByte    = 4  // int() and float() of a string
	costPerRuneByte     = 1  // len() of a string, which counts its runes
	// A regular expression costs this much per instruction of its program
	// and byte of its input (Go's NFA on the worst input).
	costPerRegexStep = 12
)

// The prices of the guarded operations, shared by the estimator (with the
// largest sizes) and the guard (with the actual ones).

func priceScan(n int) int64 { return costCall + int64(n+bytesPerScanUnit-1)/bytesPerScanUnit }

func priceCase(n int) int64 { return costCall + int64(n)*costPerCaseByte }

func priceFind(hay, needle int) int64 { return costCall + int64(hay+needle)*costPerFindByte }

func priceParse(n int) int64 { return costCall + int64(n)*costPerParseByte }

func priceRegex(n, prog int) int64 { return costCall + int64(n+1)*int64(prog)*costPerRegexStep }

// priceTrim is trim(s, cutset): every rune of s may be looked up in the
// cutset.
func priceTrim(n, cutset int) int64 {
	return costCall + int64(n+1)*int64(1+cutset)*3/4
}

// priceIn is `in` over a list of items elements, each compared with the
// needle of n bytes.
func priceIn(items, n int) int64 {
	return costCall + int64(items)*(costNode+int64(n+bytesPerCompareUnit-1)/bytesPerCompareUnit)
}

// priceConcat is building a string of n bytes: allocating it, copying
// into it, and collecting it.
func priceConcat(n int) int64 { return costCall + int64(n) }

// shape is what the estimator knows of a value at most: as a string, its
// length; as a list or a map, its number of elements, and the shape of
// each element (a list) or value (a map); as an activity or an interest,
// the shapes of its fields. A value of unknown type (a custom field) may
// be any of these within the lead's MaxFieldsBytes.
type shape struct {
	bytes  int
	items  int
	elem   *shape
	fields map[string]*shape
}

var scalar = &shape{}

func (s *shape) element() *shape {
	if s.elem != nil {
		return s.elem
	}
	return scalar
}

// union is a shape that covers both.
func union(a, b *shape) *shape {
	if a == b {
		return a
	}
	u := &shape{bytes: max(a.bytes, b.bytes), items: max(a.items, b.items)}
	switch {
	case a.elem == nil:
		u.elem = b.elem
	case b.elem == nil:
		u.elem = a.elem
	default:
		u.elem = union(a.elem, b.elem)
	}
	if a.fields != nil {
		u.fields = a.fields
	} else {
		u.fields = b.fields
	}
	return u
}

// shapes are the largest values of the environment under some limits.
type shapes struct {
	text, fields, activities, interests *shape
	unknown                             *shape // a custom field: anything within MaxFieldsBytes
}

func newShapes(l Limits) shapes {
	text := &shape{bytes: l.MaxTextBytes}
	// A custom field: every value counts 8 bytes (see fieldsSize), so a
	// list holds at most MaxFieldsBytes/8 of them.
	unknown := &shape{bytes: l.MaxFieldsBytes, items: l.MaxFieldsBytes / 8}
	unknown.elem = unknown
	attrs := &shape{items: math.MaxInt32, elem: text} // read by key only: never iterated
	activity := &shape{fields: map[string]*shape{
		"kind": text, "at": scalar, "asset": text, "product": text, "channel": text, "intent": text, "attrs": attrs,
	}}
	interest := &shape{fields: map[string]*shape{"topic": text, "first_seen": scalar, "last_seen": scalar}}
	return shapes{
		text:       text,
		fields:     &shape{bytes: l.MaxFieldsBytes, items: l.MaxFieldsBytes / 8, elem: unknown},
		activities: &shape{items: l.MaxActivities, elem: activity},
		interests:  &shape{items: l.MaxInterests, elem: interest},
		unknown:    unknown,
	}
}

// estimate is the cost of one expression.
type estimate struct {
	total float64 // the worst case
	// outer is the part charged when the expression starts: the fixed
	// cost of every operation outside iterations.
	outer float64
	// ticks holds, per predicate, the fixed cost of one element: what the
	// guard charges on every element of that iteration.
	ticks map[*ast.PredicateNode]int64
	top   term // the largest term
}

// term is one operation's share of an estimate.
type term struct {
	cost     float64
	loc      file.Location
	what     string // the operation and its input, in words
	iterates string // the iteration it runs in, in words; "" outside one
}

func (t term) String() string {
	s := t.what
	if t.iterates != "" {
		s += ", " + t.iterates
	}
	return fmt.Sprintf("%s: %s", s, units(t.cost))
}

// units formats a cost with thousands separators.
func units(c float64) string {
	if c >= math.MaxInt64 || math.IsInf(c, 0) {
		return "more than 9e18 units"
	}
	return thousands(int64(math.Ceil(c))) + " units"
}

func thousands[T int | int64](n T) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 && r != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// estimator walks a checked expression. Iterations over the lead's
// collections do not nest (the rewriter refuses it), but nothing below
// depends on that: multipliers compose.
type estimator struct {
	sh      shapes
	regexes map[string]int // program sizes of the literal patterns, by pattern
	est     estimate
	mult    float64 // the number of times the current node runs
	multWhy string
	pred    *ast.PredicateNode // the innermost predicate, nil outside one
	ptr     []*shape           // the element shape of each enclosing predicate
}

func (c *compilation) estimate(tree *parser.Tree) estimate {
	e := estimator{sh: c.shapes, regexes: c.regexes, mult: 1, est: estimate{ticks: map[*ast.PredicateNode]int64{}}}
	e.walk(tree.Node)
	return e.est
}

// charge records an operation of node n: fixed is charged where it runs
// (when the expression starts, or per element of its iteration), sized is
// charged by the guarded function with the actual sizes.
func (e *estimator) charge(n ast.Node, fixed, sized float64, what string) {
	c := (fixed + sized) * e.mult
	e.est.total += c
	if e.pred == nil {
		e.est.outer += fixed
	} else {
		e.est.ticks[e.pred] += int64(fixed)
	}
	if c > e.est.top.cost {
		e.est.top = term{cost: c, loc: n.Location(), what: what, iterates: e.multWhy}
	}
}

func (e *estimator) walk(n ast.Node) *shape {
	switch n := n.(type) {
	case nil:
		return scalar
	case *ast.NilNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		e.charge(n, costConst, 0, "a constant")
		return scalar
	case *ast.StringNode:
		e.charge(n, costConst, 0, "a constant")
		return &shape{bytes: len(n.Value)}
	case *ast.ConstantNode:
		e.charge(n, costConst, 0, "a constant")
		if s, ok := n.Value.(string); ok {
			return &shape{bytes: len(s)}
		}
		return scalar
	case *ast.IdentifierNode:
		e.charge(n, costNode, 0, "reading "+n.Value)
		return e.variable(n.Value)
	case *ast.PointerNode:
		e.charge(n, costConst, 0, "#")
		if n.Name != "" || len(e.ptr) == 0 {
			return scalar // #index
		}
		return e.ptr[len(e.ptr)-1]
	case *ast.ChainNode:
		return e.walk(n.Node)
	case *ast.MemberNode:
		return e.member(n)
	case *ast.SliceNode:
		s := e.walk(n.Node)
		e.walk(n.From)
		e.walk(n.To)
		e.charge(n, costNode, 0, "a slice")
		return sliced(s, n.From, n.To)
	case *ast.UnaryNode:
		e.walk(n.Node)
		if guardFor(n) != "" {
			e.charge(n, 0, costCall, n.Operator)
		} else {
			e.charge(n, costNode, 0, n.Operator)
		}
		return scalar
	case *ast.BinaryNode:
		return e.binary(n)
	case *ast.ConditionalNode:
		e.walk(n.Cond)
		a, b := e.walk(n.Exp1), e.walk(n.Exp2)
		e.charge(n, costNode, 0, "a condition")
		return union(a, b)
	case *ast.ArrayNode:
		s := &shape{items: len(n.Nodes)}
		for _, x := range n.Nodes {
			el := e.walk(x)
			if s.elem == nil {
				s.elem = el
			} else {
				s.elem = union(s.elem, el)
			}
		}
		e.charge(n, costNode*float64(1+len(n.Nodes)), 0, "building a list")
		return s
	case *ast.MapNode:
		s := &shape{items: len(n.Pairs)}
		for _, p := range n.Pairs {
			p := p.(*ast.PairNode)
			e.walk(p.Key)
			v := e.walk(p.Value)
			if s.elem == nil {
				s.elem = v
			} else {
				s.elem = union(s.elem, v)
			}
		}
		e.charge(n, costNode*float64(1+2*len(n.Pairs)), 0, "building a map")
		return s
	case *ast.CallNode:
		return e.call(n)
	case *ast.BuiltinNode:
		return e.builtin(n)
	}
	// Nothing else reaches here: the rewriter refused it.
	e.charge(n, costNode, 0, "an operation")
	return scalar
}

// sliced is the shape of s[from:to]: with constant bounds, no longer than
// they say.
func sliced(s *shape, from, to ast.Node) *shape {
	lo, hi := 0, -1
	if i, ok := from.(*ast.IntegerNode); ok && i.Value >= 0 {
		lo = i.Value
	} else if from != nil {
		return s
	}
	if i, ok := to.(*ast.IntegerNode); ok && i.Value >= lo {
		hi = i.Value
	} else {
		return s
	}
	out := *s
	out.items = min(s.items, hi-lo)
	out.bytes = min(s.bytes, hi-lo)
	return &out
}

func (e *estimator) variable(name string) *shape {
	switch name {
	case varActivities:
		return e.sh.activities
	case varInterests:
		return e.sh.interests
	case "fields":
		return e.sh.fields
	}
	for _, v := range variables {
		if v.name == name && (v.str != nil) {
			return e.sh.text
		}
	}
	if strings.HasPrefix(name, "consent.") {
		return e.sh.text
	}
	return scalar
}

func (e *estimator) member(n *ast.MemberNode) *shape {
	base := e.walk(n.Node)
	prop, named := n.Property.(*ast.StringNode)
	if !named {
		k := e.walk(n.Property)
		// Hashing a key, or indexing a list.
		e.charge(n, costMember+float64(k.bytes)/bytesPerScanUnit, 0, "reading an element")
		return union(base.element(), scalar)
	}
	e.charge(n, costMember, 0, "reading ."+prop.Value)
	if f := base.fields[prop.Value]; f != nil {
		return f
	}
	return base.element()
}

// sized returns the shape of a node that may be a string or a list.
func (e *estimator) binary(n *ast.BinaryNode) *shape {
	l, r := e.walk(n.Left), e.walk(n.Right)
	op := n.Operator
	switch op {
	case "&&", "||", "and", "or", "??":
		e.charge(n, costNode, 0, op)
		if op == "??" {
			return union(l, r)
		}
		return scalar
	case "==", "!=", "<", "<=", ">", ">=":
		if isMoneyOrUnknown(n.Left.Type()) && isMoneyOrUnknown(n.Right.Type()) && (n.Left.Type() == moneyType || n.Right.Type() == moneyType) {
			e.charge(n, costMoney, 0, "comparing money")
			return scalar
		}
		// Strings compare byte by byte; lists and maps of custom fields
		// element by element.
		c := costNode + float64(min(l.bytes, r.bytes))/bytesPerCompareUnit + float64(min(l.items, r.items))*costNode
		e.charge(n, c, 0, "comparing"+upTo(min(l.bytes, r.bytes), "bytes"))
		return scalar
	case "+", "-", "*", "/", "%", "**":
		if n.Left.Type() == timeType || n.Right.Type() == timeType {
			e.charge(n, costNode, 0, op+" on times")
			return scalar
		}
		res := &shape{bytes: l.bytes + r.bytes}
		if op != "+" || (l.bytes == 0 && r.bytes == 0) {
			res = scalar
		}
		e.charge(n, 0, float64(priceConcat(res.bytes)), "arithmetic"+upTo(res.bytes, "bytes of string built"))
		return res
	case "in":
		if constantSet(n.Right) {
			e.charge(n, costNode+float64(r.items*costNode)+float64(l.bytes)/bytesPerScanUnit, 0, "in a list of constants")
			return scalar
		}
		c := float64(priceIn(r.items, l.bytes))
		if isMapType(n.Right.Type()) {
			c = float64(priceScan(l.bytes))
		}
		e.charge(n, 0, c, "in"+upTo(r.items, "elements")+upTo(l.bytes, "bytes each"))
		return scalar
	case "contains":
		e.charge(n, 0, float64(priceFind(l.bytes, r.bytes)), "contains"+upTo(l.bytes, "bytes"))
		return scalar
	case "startsWith", "endsWith":
		e.charge(n, 0, float64(priceScan(min(l.bytes, r.bytes))), op)
		return scalar
	case "matches":
		prog := e.regexes[patternOf(n.Right)]
		e.charge(n, 0, float64(priceRegex(l.bytes, prog)),
			fmt.Sprintf("matches (a program of %d instructions, on up to %s bytes)", prog, thousands(l.bytes)))
		return scalar
	}
	e.charge(n, costNode, 0, op)
	return scalar
}

func isMoneyOrUnknown(t reflect.Type) bool { return t == moneyType || unknown(t) }

func isMapType(t reflect.Type) bool { return t != nil && t.Kind() == reflect.Map }

// constantSet reports whether the right side of `in` is a list of
// constants, or the set expr's optimizer makes of one.
func constantSet(n ast.Node) bool {
	if _, ok := n.(*ast.ConstantNode); ok {
		return true
	}
	a, ok := n.(*ast.ArrayNode)
	if !ok {
		return false
	}
	for _, n := range a.Nodes {
		switch n.(type) {
		case *ast.StringNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.NilNode:
		default:
			return false
		}
	}
	return true
}

// patternOf returns the literal pattern of matches.
func patternOf(n ast.Node) string {
	switch n := n.(type) {
	case *ast.StringNode:
		return n.Value
	case *ast.ConstantNode:
		if re, ok := n.Value.(*regexp.Regexp); ok {
			return re.String()
		}
		if s, ok := n.Value.(string); ok {
			return s
		}
	}
	return ""
}

func upTo(n int, what string) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (up to %s %s)", thousands(n), what)
}

func (e *estimator) call(n *ast.CallNode) *shape {
	for _, a := range n.Arguments {
		e.walk(a)
	}
	name := calleeName(n)
	if strings.HasPrefix(name, "money_") || name == "amount" {
		e.charge(n, costMoney, 0, name)
		return scalar
	}
	e.charge(n, costCall, 0, name)
	return scalar
}

func (e *estimator) builtin(n *ast.BuiltinNode) *shape {
	b := builtins[n.Name]
	if b.iterates || n.Name == "count" { // count: len(filter(...)) fused by the optimizer
		return e.iteration(n)
	}
	args := make([]*shape, len(n.Arguments))
	for i, a := range n.Arguments {
		args[i] = e.walk(a)
	}
	arg := func(i int) *shape {
		if i < len(args) {
			return args[i]
		}
		return scalar
	}
	s := arg(0)
	switch n.Name {
	case "first", "last":
		e.charge(n, costNode, 0, n.Name)
		return s.element()
	case "min", "max":
		c := float64(costNode * len(args))
		if len(args) == 1 {
			c += float64(costNode * s.items)
		}
		e.charge(n, c, 0, n.Name+upTo(s.items, "elements"))
		return scalar
	case "int", "float":
		e.charge(n, 0, float64(priceParse(s.bytes)), n.Name+upTo(s.bytes, "bytes"))
		return scalar
	case "abs":
		e.charge(n, 0, costCall, n.Name)
		return scalar
	case "upper", "lower":
		e.charge(n, 0, float64(priceCase(s.bytes)), n.Name+upTo(s.bytes, "bytes"))
		return &shape{bytes: s.bytes + s.bytes/2} // a case mapping grows UTF-8 by half at most
	case "trim":
		e.charge(n, 0, float64(priceTrim(s.bytes, arg(1).bytes)), "trim"+upTo(s.bytes, "bytes"))
		return &shape{bytes: s.bytes}
	case "trimPrefix", "trimSuffix":
		e.charge(n, 0, float64(priceScan(min(s.bytes, arg(1).bytes))), n.Name)
		return &shape{bytes: s.bytes}
	case "hasPrefix", "hasSuffix":
		e.charge(n, 0, float64(priceScan(min(s.bytes, arg(1).bytes))), n.Name)
		return scalar
	case "indexOf", "lastIndexOf":
		e.charge(n, 0, float64(priceFind(s.bytes, arg(1).bytes)), n.Name+upTo(s.bytes, "bytes"))
		return scalar
	case "len":
		// expr counts the runes of a string.
		e.charge(n, costNode+float64(s.bytes*costPerRuneByte), 0, "len"+upTo(s.bytes, "bytes"))
		return scalar
	}
	// type, ceil, floor, round
	e.charge(n, costNode, 0, n.Name)
	return scalar
}

// iteration prices any, all, filter, map, ...: the collection, then the
// body once per element, plus the cost of fetching each element.
func (e *estimator) iteration(n *ast.BuiltinNode) *shape {
	coll := e.walk(n.Arguments[0])
	pred, _ := n.Arguments[1].(*ast.PredicateNode)
	items := float64(coll.items)
	saved, savedWhy, savedPred := e.mult, e.multWhy, e.pred
	e.mult *= items
	e.multWhy = fmt.Sprintf("for each of up to %s elements of %s", thousands(coll.items), collectionName(n.Arguments[0]))
	e.pred = pred
	e.ptr = append(e.ptr, coll.element())
	e.charge(n, costElem, 0, n.Name+" fetching each element")
	var body *shape = scalar
	if pred != nil {
		body = e.walk(pred.Node)
	}
	if n.Map != nil {
		// map(filter(list, p), m) fused by the optimizer: m runs in the
		// same loop, and is charged with it on every element.
		body = e.walk(n.Map)
	}
	e.ptr = e.ptr[:len(e.ptr)-1]
	e.mult, e.multWhy, e.pred = saved, savedWhy, savedPred
	e.charge(n, costNode, 0, n.Name)
	switch n.Name {
	case "filter":
		if n.Map != nil {
			return &shape{items: coll.items, elem: body}
		}
		return &shape{items: coll.items, elem: coll.element()}
	case "map":
		return &shape{items: coll.items, elem: body}
	case "find", "findLast":
		return coll.element()
	}
	return scalar
}

// collectionName names an iterated collection for an error message.
func collectionName(n ast.Node) string {
	switch n := n.(type) {
	case *ast.IdentifierNode:
		return n.Value
	case *ast.MemberNode:
		if s, ok := n.Property.(*ast.StringNode); ok {
			return collectionName(n.Node) + "." + s.Value
		}
	case *ast.BuiltinNode:
		return n.Name + "(...)"
	}
	return "a list"
}

// ruleCost is the estimated cost of a rule: its when and its points.
type ruleCost struct {
	when, points estimate
}

func (r ruleCost) total() float64 { return r.when.total + r.points.total }

// top returns the rule's largest term and the field it is in.
func (r ruleCost) top() (term, string) {
	if r.points.top.cost > r.when.top.cost {
		return r.points.top, "points"
	}
	return r.when.top, "when"
}

// checkCosts refuses rules beyond MaxRuleCost and a policy beyond
// MaxPolicyCost, naming each rule, its cost and its largest term.
func (c *compilation) checkCosts(names []string, sources []Rule, costs []ruleCost) {
	var sum float64
	for i, rc := range costs {
		t := rc.total()
		sum += t
		if t <= float64(c.limits.MaxRuleCost) {
			continue
		}
		top, field := rc.top()
		src := sources[i].When
		if field == "points" {
			src = string(sources[i].Points)
		}
		lim := &LimitError{Limit: "MaxRuleCost", Max: c.limits.MaxRuleCost, Got: clampInt(t), Where: "rule " + names[i]}
		c.problemAt(names[i], field, src, top.loc, lim,
			"estimated cost %s exceeds MaxRuleCost (%s) on the largest lead the limits admit; largest term: %s",
			units(t), units(float64(c.limits.MaxRuleCost)), top)
	}
	if sum <= float64(c.limits.MaxPolicyCost) {
		return
	}
	// Name the most expensive rules.
	type named struct {
		name string
		cost float64
	}
	var all []named
	for i, rc := range costs {
		all = append(all, named{names[i], rc.total()})
	}
	for i := 1; i < len(all); i++ { // insertion sort, most expensive first
		for j := i; j > 0 && all[j].cost > all[j-1].cost; j-- {
			all[j], all[j-1] = all[j-1], all[j]
		}
	}
	var b strings.Builder
	for i, r := range all[:min(3, len(all))] {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q %s", r.name, units(r.cost))
	}
	lim := &LimitError{Limit: "MaxPolicyCost", Max: c.limits.MaxPolicyCost, Got: clampInt(sum), Where: "policy " + c.policy}
	c.problems = append(c.problems, Problem{Field: "rules", Err: lim, Message: fmt.Sprintf(
		"estimated cost %s of the policy exceeds MaxPolicyCost (%s) on the largest lead the limits admit; the most expensive rules: %s",
		units(sum), units(float64(c.limits.MaxPolicyCost)), b.String())})
}

func clampInt(f float64) int {
	if f >= math.MaxInt {
		return math.MaxInt
	}
	return int(math.Ceil(f))
}
