package qualify

import (
	"math"
	"reflect"
	"time"

	"github.com/expr-lang/expr/ast"
)

// The fast path.
//
// Most rules are small: a helper's slot compared with a constant, a role
// compared with a name, a few of those joined by && and ||. For those,
// Compile builds a tree of typed Go closures from the checked syntax tree,
// reading variables straight from the lead and slots straight from the
// state: no map loads, no boxing, no VM dispatch. Anything else (money,
// times, collections, custom fields, division, string functions) runs in
// expr's VM, so the language is expr's whole language either way.
//
// The fast path implements exactly the VM's semantics for what it accepts:
// checked integer arithmetic (an overflow is an *ArithmeticError, as in the
// guarded VM), float64 when an int meets a float (a result that is not
// finite is one too),
// short-circuit && and ||, and min/max keeping the first of equal values.
// TestFastPathAgreesWithVM and FuzzFastPath check it against the VM.

type fastKind uint8

const (
	fastNone fastKind = iota
	fastBool
	fastInt
	fastFloat
	fastString
	fastDuration
)

// fastExpr is a compiled fast-path expression: the closure of its kind.
type fastExpr struct {
	kind fastKind
	b    func(*state) bool
	i    func(*state) int
	f    func(*state) float64
	s    func(*state) string
	d    func(*state) time.Duration
}

// asFloat returns e as a float64 closure (ints are converted, as the VM
// does when an int meets a float).
func (e fastExpr) asFloat() func(*state) float64 {
	switch e.kind {
	case fastFloat:
		return e.f
	case fastInt:
		i := e.i
		return func(st *state) float64 { return float64(i(st)) }
	}
	return nil
}

var (
	durationType = reflect.TypeOf(time.Duration(0))
)

// fastKindOf maps a checked node type to the fast path's kind.
func fastKindOf(t reflect.Type) fastKind {
	if t == nil {
		return fastNone
	}
	if t == durationType {
		return fastDuration
	}
	switch t.Kind() {
	case reflect.Bool:
		return fastBool
	case reflect.Int:
		return fastInt
	case reflect.Float64:
		return fastFloat
	case reflect.String:
		if t == reflect.TypeOf("") {
			return fastString
		}
	}
	return fastNone
}

// fast compiles n for the fast path, or reports false.
func (c *compilation) fast(n ast.Node) (fastExpr, bool) {
	e, ok := c.fastNode(n)
	if !ok || e.kind != fastKindOf(n.Type()) {
		// The checker's type is the contract: disagreeing with it means a
		// case this compiler does not model; leave it to the VM.
		return fastExpr{}, false
	}
	return e, true
}

func (c *compilation) fastNode(n ast.Node) (fastExpr, bool) {
	switch n := n.(type) {
	case *ast.BoolNode:
		v := n.Value
		return fastExpr{kind: fastBool, b: func(*state) bool { return v }}, true
	case *ast.IntegerNode:
		switch fastKindOf(n.Type()) {
		case fastFloat:
			v := float64(n.Value)
			return fastExpr{kind: fastFloat, f: func(*state) float64 { return v }}, true
		case fastInt:
			v := n.Value
			return fastExpr{kind: fastInt, i: func(*state) int { return v }}, true
		}
	case *ast.FloatNode:
		if fastKindOf(n.Type()) == fastFloat {
			v := n.Value
			return fastExpr{kind: fastFloat, f: func(*state) float64 { return v }}, true
		}
	case *ast.StringNode:
		v := n.Value
		return fastExpr{kind: fastString, s: func(*state) string { return v }}, true
	case *ast.ConstantNode:
		return fastConstant(n.Value)
	case *ast.IdentifierNode:
		return c.fastIdent(n.Value)
	case *ast.UnaryNode:
		return c.fastUnary(n)
	case *ast.BinaryNode:
		return c.fastBinary(n)
	case *ast.BuiltinNode:
		return c.fastMinMax(n)
	case *ast.ConditionalNode:
		return c.fastConditional(n)
	}
	return fastExpr{}, false
}

func fastConstant(v any) (fastExpr, bool) {
	switch v := v.(type) {
	case bool:
		return fastExpr{kind: fastBool, b: func(*state) bool { return v }}, true
	case int:
		return fastExpr{kind: fastInt, i: func(*state) int { return v }}, true
	case float64:
		return fastExpr{kind: fastFloat, f: func(*state) float64 { return v }}, true
	case string:
		return fastExpr{kind: fastString, s: func(*state) string { return v }}, true
	case time.Duration:
		return fastExpr{kind: fastDuration, d: func(*state) time.Duration { return v }}, true
	}
	return fastExpr{}, false
}

func (c *compilation) fastIdent(name string) (fastExpr, bool) {
	if s, ok := c.slots[name]; ok {
		pos := s.pos
		switch {
		case s.isInt():
			return fastExpr{kind: fastInt, i: func(st *state) int { return st.ints[pos] }}, true
		case s.op == slotSince:
			return fastExpr{kind: fastDuration, d: func(st *state) time.Duration { return st.durs[pos] }}, true
		default:
			return fastExpr{kind: fastBool, b: func(st *state) bool { return st.bools[pos] }}, true
		}
	}
	for _, v := range c.allVariables() {
		if v.name != name {
			continue
		}
		switch {
		case v.str != nil:
			get := v.str
			return fastExpr{kind: fastString, s: func(st *state) string { return get(st.l) }}, true
		case v.num != nil:
			get := v.num
			return fastExpr{kind: fastInt, i: func(st *state) int { return get(st.l) }}, true
		}
	}
	return fastExpr{}, false
}

func (c *compilation) fastUnary(n *ast.UnaryNode) (fastExpr, bool) {
	x, ok := c.fastNode(n.Node)
	if !ok {
		return fastExpr{}, false
	}
	switch {
	case (n.Operator == "!" || n.Operator == "not") && x.kind == fastBool:
		b := x.b
		return fastExpr{kind: fastBool, b: func(st *state) bool { return !b(st) }}, true
	case n.Operator == "-" && x.kind == fastInt:
		i := x.i
		return fastExpr{kind: fastInt, i: func(st *state) int {
			v := i(st)
			if v == math.MinInt {
				st.setFault(&ArithmeticError{Op: "-", X: v, Fault: "integer overflow"})
				return 0
			}
			return -v
		}}, true
	case n.Operator == "-" && x.kind == fastFloat:
		f := x.f
		return fastExpr{kind: fastFloat, f: func(st *state) float64 { return -f(st) }}, true
	case n.Operator == "+" && (x.kind == fastInt || x.kind == fastFloat):
		return x, true
	}
	return fastExpr{}, false
}

func (c *compilation) fastBinary(n *ast.BinaryNode) (fastExpr, bool) {
	l, ok := c.fastNode(n.Left)
	if !ok {
		return fastExpr{}, false
	}
	r, ok := c.fastNode(n.Right)
	if !ok {
		return fastExpr{}, false
	}
	op := n.Operator
	switch op {
	case "&&", "and", "||", "or":
		if l.kind != fastBool || r.kind != fastBool {
			return fastExpr{}, false
		}
		a, b := l.b, r.b
		if op == "&&" || op == "and" {
			return fastExpr{kind: fastBool, b: func(st *state) bool { return a(st) && b(st) }}, true
		}
		return fastExpr{kind: fastBool, b: func(st *state) bool { return a(st) || b(st) }}, true
	case "==", "!=", "<", "<=", ">", ">=":
		cmp, ok := fastCompare(op, l, r)
		if !ok {
			return fastExpr{}, false
		}
		return fastExpr{kind: fastBool, b: cmp}, true
	case "+", "-", "*":
		return fastArith(op, l, r)
	}
	return fastExpr{}, false
}

// ordered compares two closures of one ordered type.
func ordered[T int | float64 | string | time.Duration](op string, a, b func(*state) T) func(*state) bool {
	switch op {
	case "==":
		return func(st *state) bool { return a(st) == b(st) }
	case "!=":
		return func(st *state) bool { return a(st) != b(st) }
	case "<":
		return func(st *state) bool { return a(st) < b(st) }
	case "<=":
		return func(st *state) bool { return a(st) <= b(st) }
	case ">":
		return func(st *state) bool { return a(st) > b(st) }
	case ">=":
		return func(st *state) bool { return a(st) >= b(st) }
	}
	return nil
}

func fastCompare(op string, l, r fastExpr) (func(*state) bool, bool) {
	switch {
	case l.kind == fastInt && r.kind == fastInt:
		return ordered(op, l.i, r.i), true
	case (l.kind == fastInt || l.kind == fastFloat) && (r.kind == fastInt || r.kind == fastFloat):
		return ordered(op, l.asFloat(), r.asFloat()), true
	case l.kind == fastString && r.kind == fastString:
		return ordered(op, l.s, r.s), true
	case l.kind == fastDuration && r.kind == fastDuration:
		return ordered(op, l.d, r.d), true
	case l.kind == fastBool && r.kind == fastBool && (op == "==" || op == "!="):
		a, b := l.b, r.b
		if op == "==" {
			return func(st *state) bool { return a(st) == b(st) }, true
		}
		return func(st *state) bool { return a(st) != b(st) }, true
	}
	return nil, false
}

// fastIntArith is checked integer arithmetic: an overflow is a fault of
// the evaluation (see state.fault), as in the VM.
func fastIntArith(op string, a, b func(*state) int) func(*state) int {
	switch op {
	case "+":
		return func(st *state) int {
			x, y := a(st), b(st)
			r := x + y
			if (x^r)&(y^r) < 0 {
				return st.overflow(op, x, y)
			}
			return r
		}
	case "-":
		return func(st *state) int {
			x, y := a(st), b(st)
			r := x - y
			if (x^y)&(x^r) < 0 {
				return st.overflow(op, x, y)
			}
			return r
		}
	case "*":
		return func(st *state) int {
			x, y := a(st), b(st)
			if x == 0 || y == 0 {
				return 0
			}
			r := x * y
			if r/y != x || x == -1 && y == math.MinInt || y == -1 && x == math.MinInt {
				return st.overflow(op, x, y)
			}
			return r
		}
	}
	return nil
}

// fastFloatArith is float arithmetic whose results must be finite.
func fastFloatArith(op string, a, b func(*state) float64) func(*state) float64 {
	check := func(st *state, x, y, r float64) float64 {
		if !finite(r) {
			st.setFault(&ArithmeticError{Op: op, X: x, Y: y, Fault: "not a finite number"})
		}
		return r
	}
	switch op {
	case "+":
		return func(st *state) float64 { x, y := a(st), b(st); return check(st, x, y, x+y) }
	case "-":
		return func(st *state) float64 { x, y := a(st), b(st); return check(st, x, y, x-y) }
	case "*":
		return func(st *state) float64 { x, y := a(st), b(st); return check(st, x, y, x*y) }
	}
	return nil
}

// overflow records an integer overflow and returns 0.
func (st *state) overflow(op string, x, y int) int {
	st.setFault(&ArithmeticError{Op: op, X: x, Y: y, Fault: "integer overflow"})
	return 0
}

// setFault records the first fault of an expression.
func (st *state) setFault(err error) {
	if st.fault == nil {
		st.fault = err
	}
}

func fastArith(op string, l, r fastExpr) (fastExpr, bool) {
	switch {
	case l.kind == fastInt && r.kind == fastInt:
		return fastExpr{kind: fastInt, i: fastIntArith(op, l.i, r.i)}, true
	case (l.kind == fastInt || l.kind == fastFloat) && (r.kind == fastInt || r.kind == fastFloat):
		return fastExpr{kind: fastFloat, f: fastFloatArith(op, l.asFloat(), r.asFloat())}, true
	}
	return fastExpr{}, false
}

// fastMinMax compiles min and max over scalars of one numeric type. Like
// the VM, a later argument replaces the current one only when strictly
// smaller (min) or larger (max).
func (c *compilation) fastMinMax(n *ast.BuiltinNode) (fastExpr, bool) {
	if (n.Name != "min" && n.Name != "max") || len(n.Arguments) == 0 {
		return fastExpr{}, false
	}
	args := make([]fastExpr, len(n.Arguments))
	for i, a := range n.Arguments {
		e, ok := c.fastNode(a)
		if !ok || e.kind != args[0].kind && i > 0 || e.kind != fastInt && e.kind != fastFloat {
			return fastExpr{}, false
		}
		args[i] = e
	}
	isMin := n.Name == "min"
	if args[0].kind == fastInt {
		fs := make([]func(*state) int, len(args))
		for i, a := range args {
			fs[i] = a.i
		}
		return fastExpr{kind: fastInt, i: pick(fs, isMin)}, true
	}
	fs := make([]func(*state) float64, len(args))
	for i, a := range args {
		fs[i] = a.f
	}
	return fastExpr{kind: fastFloat, f: pick(fs, isMin)}, true
}

func pick[T int | float64](fs []func(*state) T, isMin bool) func(*state) T {
	if len(fs) == 2 {
		a, b := fs[0], fs[1]
		if isMin {
			return func(st *state) T {
				x, y := a(st), b(st)
				if x > y {
					return y
				}
				return x
			}
		}
		return func(st *state) T {
			x, y := a(st), b(st)
			if x < y {
				return y
			}
			return x
		}
	}
	return func(st *state) T {
		v := fs[0](st)
		for _, f := range fs[1:] {
			x := f(st)
			if isMin && v > x || !isMin && v < x {
				v = x
			}
		}
		return v
	}
}

func (c *compilation) fastConditional(n *ast.ConditionalNode) (fastExpr, bool) {
	cond, ok := c.fastNode(n.Cond)
	if !ok || cond.kind != fastBool {
		return fastExpr{}, false
	}
	a, ok := c.fastNode(n.Exp1)
	if !ok {
		return fastExpr{}, false
	}
	b, ok := c.fastNode(n.Exp2)
	if !ok || a.kind != b.kind {
		return fastExpr{}, false
	}
	k := cond.b
	switch a.kind {
	case fastBool:
		x, y := a.b, b.b
		return fastExpr{kind: fastBool, b: func(st *state) bool {
			if k(st) {
				return x(st)
			}
			return y(st)
		}}, true
	case fastInt:
		x, y := a.i, b.i
		return fastExpr{kind: fastInt, i: func(st *state) int {
			if k(st) {
				return x(st)
			}
			return y(st)
		}}, true
	case fastFloat:
		x, y := a.f, b.f
		return fastExpr{kind: fastFloat, f: func(st *state) float64 {
			if k(st) {
				return x(st)
			}
			return y(st)
		}}, true
	case fastString:
		x, y := a.s, b.s
		return fastExpr{kind: fastString, s: func(st *state) string {
			if k(st) {
				return x(st)
			}
			return y(st)
		}}, true
	}
	return fastExpr{}, false
}
