package qualify

import (
	"reflect"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/leadqual/leadqual/lead"
)

// The rule language is an allow-list: the variables of env.go, the helpers
// of helpers.go, the builtins below, the operators below, and the members
// of activities, interests and custom fields. Nothing else is reachable: no
// Go method or field of a value (money, times, strings), no builtin of expr
// that is not listed, whatever the syntax (pipes, closures, indexing,
// $env). The package documentation lists the same language, and
// TestLanguageIsDocumented holds the two together.

// builtinFn is one of expr's builtins that rules may call.
type builtinFn struct {
	usage string // as the documentation lists it
	// guarded names the guarded replacement that runs instead of expr's
	// own (see guard.go): one that charges its work by the size of its
	// inputs, or checks its arithmetic. Empty when expr's runs as is.
	guarded  string
	iterates bool // it takes a predicate
}

// builtins are the builtins of the rule language. Never modified.
var builtins = map[string]builtinFn{
	"all":           {usage: "all(list, predicate)", iterates: true},
	"any":           {usage: "any(list, predicate)", iterates: true},
	"none":          {usage: "none(list, predicate)", iterates: true},
	"one":           {usage: "one(list, predicate)", iterates: true},
	"filter":        {usage: "filter(list, predicate)", iterates: true},
	"map":           {usage: "map(list, expression)", iterates: true},
	"find":          {usage: "find(list, predicate)", iterates: true},
	"findIndex":     {usage: "findIndex(list, predicate)", iterates: true},
	"findLast":      {usage: "findLast(list, predicate)", iterates: true},
	"findLastIndex": {usage: "findLastIndex(list, predicate)", iterates: true},
	"len":           {usage: "len(v)"},
	"first":         {usage: "first(list)"},
	"last":          {usage: "last(list)"},
	"type":          {usage: "type(v)"},
	"min":           {usage: "min(a, b, ...)"},
	"max":           {usage: "max(a, b, ...)"},
	"ceil":          {usage: "ceil(x)"},
	"floor":         {usage: "floor(x)"},
	"round":         {usage: "round(x)"},
	"abs":           {usage: "abs(x)", guarded: "$abs"},
	"int":           {usage: "int(v)", guarded: "$int"},
	"float":         {usage: "float(v)", guarded: "$float"},
	"lower":         {usage: "lower(s)", guarded: "$lower"},
	"upper":         {usage: "upper(s)", guarded: "$upper"},
	"trim":          {usage: "trim(s[, chars])", guarded: "$trim"},
	"trimPrefix":    {usage: "trimPrefix(s, prefix)", guarded: "$trimPrefix"},
	"trimSuffix":    {usage: "trimSuffix(s, suffix)", guarded: "$trimSuffix"},
	"hasPrefix":     {usage: "hasPrefix(s, prefix)", guarded: "$hasPrefix"},
	"hasSuffix":     {usage: "hasSuffix(s, suffix)", guarded: "$hasSuffix"},
	"indexOf":       {usage: "indexOf(s, sub)", guarded: "$indexOf"},
	"lastIndexOf":   {usage: "lastIndexOf(s, sub)", guarded: "$lastIndexOf"},
}

// operators are the binary operators of the rule language, with the
// guarded function that replaces those whose work depends on the size of
// their operands or whose arithmetic can fail. Never modified.
var operators = map[string]string{
	"==": "", "!=": "", "<": "", "<=": "", ">": "", ">=": "",
	"&&": "", "||": "", "and": "", "or": "", "??": "",
	"+": "$add", "-": "$sub", "*": "$mul", "/": "$div", "%": "$mod", "**": "$pow",
	"in":       "$in",
	"contains": "$contains", "startsWith": "$startsWith", "endsWith": "$endsWith",
	"matches": "$matches",
}

// unavailable explains why a builtin of expr is not part of the rule
// language, where the reason is worth telling.
var unavailable = map[string]string{
	"reduce":     "it builds values of unbounded size",
	"repeat":     "it builds strings of unbounded size",
	"replace":    "nested, it grows strings exponentially",
	"split":      "with join it squares the size of a string",
	"splitAfter": "with join it squares the size of a string",
	"join":       "with split it squares the size of a string",
	"concat":     "it multiplies the collections a rule iterates over",
	"flatten":    "over a collection of collections it is quadratic",
	"toJSON":     "it serialises whole collections, per element when iterated",
	"fromJSON":   "it builds values of unbounded size",
	"string":     "it serialises whole collections; compare values directly",
	"uniq":       "it is quadratic in its input",
	"sort":       "sorting is not needed to judge a lead: use min, max, find or findLast",
	"sortBy":     "sorting is not needed to judge a lead: use min, max, find or findLast",
	"groupBy":    "it builds maps of the lead's collections: use filter",
	"sum":        "it adds without checking for overflow: use len(filter(...)) or the count helper",
	"mean":       "use the count helper or len(filter(...))",
	"median":     "it sorts its input",
	"now":        "time comes from the caller: use the variable now",
	"date":       "time comes from the caller: compare with now, or use days(n)",
	"duration":   `use days(n), hours(n), minutes(n) or a window such as "30d"`,
	"timezone":   "times are compared as instants",
}

// The types the rule language knows by name.
var (
	activityType = reflect.TypeFor[Activity]()
	interestType = reflect.TypeFor[Interest]()
	moneyType    = reflect.TypeFor[*lead.Money]()
	timeType     = reflect.TypeFor[time.Time]()
)

// members are the fields of the structs rules iterate over, by the name
// rules use.
var members = map[reflect.Type]map[string]bool{
	activityType: {"kind": true, "at": true, "asset": true, "product": true, "channel": true, "intent": true, "attrs": true},
	interestType: {"topic": true, "first_seen": true, "last_seen": true},
}

func unknown(t reflect.Type) bool { return t == nil || t.Kind() == reflect.Interface }

func isNumber(t reflect.Type) bool { return t != durationType && numberKind[t.Kind()] }

func isList(t reflect.Type) bool {
	return t.Kind() == reflect.Slice || t.Kind() == reflect.Array
}

// verify walks a checked expression and refuses what the allow-list does
// not name, by type: members of anything but activities, interests, maps
// and custom fields (money and times have none), operators on types they
// are not defined for in the rule language, iteration over anything but a
// list. It also folds arithmetic on constants, refusing a constant
// expression that divides by zero, overflows or is not a finite number.
func (c *compilation) verify(rule, field string, tree *parser.Tree) bool {
	v := verifier{c: c, rule: rule, field: field, src: tree.Source.String()}
	v.walk(&tree.Node)
	return !v.failed
}

type verifier struct {
	c                *compilation
	rule, field, src string
	failed           bool
}

func (v *verifier) fail(n ast.Node, format string, args ...any) {
	if !v.failed {
		v.failed = true
		v.c.problemAt(v.rule, v.field, v.src, n.Location(), nil, format, args...)
	}
}

func (v *verifier) walk(np *ast.Node) {
	n := *np
	if n == nil || v.failed {
		return
	}
	for _, ch := range childPointers(n) {
		v.walk(ch)
	}
	if v.failed {
		return
	}
	switch n := n.(type) {
	case *ast.FloatNode:
		if !finite(n.Value) {
			v.fail(n, "%v is not a finite number", n.Value)
		}
	case *ast.MemberNode:
		v.member(n)
	case *ast.SliceNode:
		if t := n.Node.Type(); !unknown(t) && !isList(t) && t.Kind() != reflect.String {
			v.fail(n, "%s cannot be sliced", typeName(t))
		}
	case *ast.UnaryNode:
		t := n.Node.Type()
		if (n.Operator == "-" || n.Operator == "+") && !unknown(t) && !isNumber(t) && t != durationType {
			v.fail(n, "%s applies to numbers and durations, not %s", n.Operator, typeName(t))
			return
		}
		if n.Operator == "-" || n.Operator == "+" {
			if x, ok := constNumber(n.Node); ok {
				r, err := negate("-", x)
				if n.Operator == "+" {
					r, err = x, nil
				}
				if err != nil {
					v.fail(n, "%v", err)
					return
				}
				patchConst(np, r)
			}
		}
	case *ast.BinaryNode:
		v.binary(np, n)
	case *ast.BuiltinNode:
		if b := builtins[n.Name]; b.iterates && len(n.Arguments) > 0 {
			if t := n.Arguments[0].Type(); !unknown(t) && !isList(t) {
				v.fail(n.Arguments[0], "%s iterates over a list, not %s", n.Name, typeName(t))
			}
		}
	}
}

// member allows the fields of activities and interests, keys of maps and
// custom fields, and indexes of lists and strings: nothing of money, times
// or other values.
func (v *verifier) member(n *ast.MemberNode) {
	t := n.Node.Type()
	if t != nil && t.Kind() == reflect.Pointer && members[t.Elem()] != nil {
		t = t.Elem() // activities and interests are lists of pointers
	}
	switch {
	case unknown(t), t.Kind() == reflect.Map:
		return
	case isList(t), t.Kind() == reflect.String:
		if _, named := n.Property.(*ast.StringNode); !named {
			return
		}
	case members[t] != nil:
		if s, ok := n.Property.(*ast.StringNode); ok && members[t][s.Value] {
			return
		}
		names := "kind, at, asset, product, channel, intent, attrs"
		if t == interestType {
			names = "topic, first_seen, last_seen"
		}
		v.fail(n.Property, "%s has no such field (it has: %s)", typeName(t), names)
		return
	}
	switch t {
	case moneyType:
		v.fail(n, "money has no fields or methods in rules: compare it with money(\"...\", \"GBP\"), or use amount(m)")
	case timeType:
		v.fail(n, "a time has no fields or methods in rules: compare times, or subtract them for a duration")
	default:
		v.fail(n, "%s has no fields or methods in rules", typeName(t))
	}
}

func (v *verifier) binary(np *ast.Node, n *ast.BinaryNode) {
	l, r := n.Left.Type(), n.Right.Type()
	either := func(ok func(reflect.Type) bool) bool { return (unknown(l) || ok(l)) && (unknown(r) || ok(r)) }
	str := func(t reflect.Type) bool { return t.Kind() == reflect.String }
	switch n.Operator {
	case "+", "-", "*", "/", "%", "**":
		switch {
		case either(isNumber):
		case n.Operator == "+" && either(str):
		case n.Operator == "+" || n.Operator == "-":
			// Durations and times: d±d, t±d, d+t, t-t.
			ok := func(t reflect.Type) bool { return unknown(t) || t == durationType || t == timeType }
			if !ok(l) || !ok(r) || l == timeType && r == timeType && n.Operator == "+" {
				v.fail(n, "invalid operation %s between %s and %s", n.Operator, typeName(l), typeName(r))
				return
			}
		case n.Operator == "*" && (l == durationType && (unknown(r) || isNumber(r)) || r == durationType && (unknown(l) || isNumber(l))):
		default:
			v.fail(n, "invalid operation %s between %s and %s", n.Operator, typeName(l), typeName(r))
			return
		}
		x, okx := constNumber(n.Left)
		y, oky := constNumber(n.Right)
		if okx && oky {
			res, err := arith(n.Operator, x, y)
			if err != nil {
				v.fail(n, "%v", err)
				return
			}
			patchConst(np, res)
		}
	case "in":
		if !unknown(r) && !isList(r) && r.Kind() != reflect.Map {
			v.fail(n.Right, "in looks in a list or a map, not %s", typeName(r))
		}
	case "contains", "startsWith", "endsWith", "matches":
		if !either(str) {
			v.fail(n, "%s compares strings, not %s and %s", n.Operator, typeName(l), typeName(r))
		}
	}
}

// constNumber returns the value of a numeric literal (after folding).
func constNumber(n ast.Node) (any, bool) {
	switch n := n.(type) {
	case *ast.IntegerNode:
		if isNumber(n.Type()) && n.Type().Kind() == reflect.Int {
			return int64(n.Value), true
		}
		return float64(n.Value), true
	case *ast.FloatNode:
		return n.Value, true
	}
	return nil, false
}

// patchConst replaces *np with a literal of v (an int or a float64, as
// arith returns them), typed.
func patchConst(np *ast.Node, v any) {
	var n ast.Node
	switch x := v.(type) {
	case int:
		n = &ast.IntegerNode{Value: x}
		n.SetType(reflect.TypeFor[int]())
	case float64:
		n = &ast.FloatNode{Value: x}
		n.SetType(reflect.TypeFor[float64]())
	default:
		return
	}
	ast.Patch(np, n)
}

// childPointers returns pointers to the direct children of a node, for
// walks that patch.
func childPointers(n ast.Node) []*ast.Node {
	switch n := n.(type) {
	case *ast.UnaryNode:
		return []*ast.Node{&n.Node}
	case *ast.BinaryNode:
		return []*ast.Node{&n.Left, &n.Right}
	case *ast.ChainNode:
		return []*ast.Node{&n.Node}
	case *ast.MemberNode:
		return []*ast.Node{&n.Node, &n.Property}
	case *ast.SliceNode:
		out := []*ast.Node{&n.Node}
		if n.From != nil {
			out = append(out, &n.From)
		}
		if n.To != nil {
			out = append(out, &n.To)
		}
		return out
	case *ast.CallNode:
		out := []*ast.Node{&n.Callee}
		for i := range n.Arguments {
			out = append(out, &n.Arguments[i])
		}
		return out
	case *ast.BuiltinNode:
		out := make([]*ast.Node, len(n.Arguments), len(n.Arguments)+1)
		for i := range n.Arguments {
			out[i] = &n.Arguments[i]
		}
		if n.Map != nil { // filter(list, p) fused with a map by the optimizer
			out = append(out, &n.Map)
		}
		return out
	case *ast.PredicateNode:
		return []*ast.Node{&n.Node}
	case *ast.ConditionalNode:
		return []*ast.Node{&n.Cond, &n.Exp1, &n.Exp2}
	case *ast.SequenceNode:
		out := make([]*ast.Node, len(n.Nodes))
		for i := range n.Nodes {
			out[i] = &n.Nodes[i]
		}
		return out
	case *ast.ArrayNode:
		out := make([]*ast.Node, len(n.Nodes))
		for i := range n.Nodes {
			out[i] = &n.Nodes[i]
		}
		return out
	case *ast.MapNode:
		out := make([]*ast.Node, len(n.Pairs))
		for i := range n.Pairs {
			out[i] = &n.Pairs[i]
		}
		return out
	case *ast.PairNode:
		return []*ast.Node{&n.Key, &n.Value}
	}
	return nil
}
