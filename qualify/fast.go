package qualify

import (
	"errors"
	"math"
	"reflect"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/leadqual/leadqual/lead"
)

// The fast path.
//
// Most rules are small: a helper's slot compared with a constant, a role
// compared with a name, a custom field or an amount of money compared with
// a constant, a few of those joined by && and ||. For those, Compile builds
// a tree of typed Go closures from the checked syntax tree, reading
// variables straight from the lead and slots straight from the state: no
// map loads, no boxing, no VM dispatch. Comparisons with a constant, of a
// slot or of an enumeration (contact.role, stage, consent.<channel>), are
// compiled to one closure each. Anything else (iterations, string
// functions, regular expressions, string building) runs in expr's VM, so
// the language is the same either way.
//
// The fast path implements exactly the VM's semantics for what it accepts:
// checked integer arithmetic (an overflow is an *ArithmeticError, as in the
// guarded VM), float64 when an int meets a float (a result that is not
// finite is one too), short-circuit && and ||, min/max keeping the first of
// equal values, expr's equality and ordering of custom fields (a number
// equals a number whatever its Go type), money compared exactly. Where a
// value at run time is not what the fast path models (a custom field that
// is a list where a number was compared, an amount in another currency),
// the expression gives up (errBail) and the rule runs in the VM instead,
// which has the last word on errors and their text. An unknown input (a
// missing custom field compared with a number, an unknown amount) fails the
// expression as in the VM, so that the rule is reported unjudged.
// TestFastPathAgreesWithVM and FuzzFastPath check all this against the VM.
//
// Only expressions whose estimated cost is within checkEvery units run on
// the fast path, which looks at the context between rules only: the
// guard's latency bound holds for them too.

type fastKind uint8

const (
	fastNone fastKind = iota
	fastBool
	fastInt
	fastFloat
	fastString
	fastDuration
	fastTime
	fastMoney
	fastAny // a custom field: any JSON value, nil when absent
)

// fastExpr is a compiled fast-path expression: the closure of its kind,
// and what comparisons specialise on.
type fastExpr struct {
	kind fastKind
	b    func(*state) bool
	i    func(*state) int
	f    func(*state) float64
	s    func(*state) string
	d    func(*state) time.Duration
	t    func(*state) time.Time
	m    func(*state) *lead.Money
	a    func(*state) any

	// konst is the value of a constant expression, of its kind's Go type
	// (*lead.Money for money, any value for fastAny).
	konst   any
	isConst bool
	// slot is the int slot the expression reads, when isSlot.
	slot   int
	isSlot bool
	// enum is set when the expression reads an enumeration variable.
	enum *variable
	// lin is set when the expression is a sum of int slots times small
	// constants, plus a constant (see linear).
	lin *linear
	// bails reports that the expression may give up at run time (errBail),
	// so that its rule needs a VM program too.
	bails bool
}

// errBail is the fault of a fast-path expression that met a value it does
// not model: the rule runs in the VM instead.
var errBail = errors.New("qualify: fast path gave up")

// errUnknownMoney is the fault of a comparison with an unknown amount
// (errors.Is lead.ErrUnknownAmount, as lead.Money.Cmp reports it), and
// errUnknownField that of an ordering of an absent custom field, which the
// VM refuses. Both are unknown inputs: unknownInput names the input, and
// the rule is unjudged (see Policy.fail).
var (
	errUnknownMoney error = &unknownFault{msg: "amount unknown", err: lead.ErrUnknownAmount}
	errUnknownField error = &unknownFault{msg: "a custom field is absent"}
)

type unknownFault struct {
	msg string
	err error
}

func (u *unknownFault) Error() string { return u.msg }
func (u *unknownFault) Unwrap() error { return u.err }

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
	durationType  = reflect.TypeOf(time.Duration(0))
	stringType    = reflect.TypeOf("")
	interfaceType = reflect.TypeOf((*any)(nil)).Elem()
)

// fastKindOf maps a checked node type to the fast path's kind.
func fastKindOf(t reflect.Type) fastKind {
	switch t {
	case nil:
		return fastNone
	case durationType:
		return fastDuration
	case timeType:
		return fastTime
	case moneyType:
		return fastMoney
	case stringType:
		return fastString
	case interfaceType:
		return fastAny
	}
	switch t.Kind() {
	case reflect.Bool:
		return fastBool
	case reflect.Int:
		return fastInt
	case reflect.Float64:
		return fastFloat
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
		return constant(n.Value)
	case *ast.IntegerNode:
		switch fastKindOf(n.Type()) {
		case fastFloat:
			return constant(float64(n.Value))
		case fastInt:
			return constant(n.Value)
		}
	case *ast.FloatNode:
		if fastKindOf(n.Type()) == fastFloat {
			return constant(n.Value)
		}
	case *ast.StringNode:
		return constant(n.Value)
	case *ast.NilNode:
		return fastExpr{kind: fastAny, a: func(*state) any { return nil }, isConst: true}, true
	case *ast.ConstantNode:
		return constant(n.Value)
	case *ast.IdentifierNode:
		return c.fastIdent(n.Value)
	case *ast.MemberNode:
		return c.fastField(n)
	case *ast.UnaryNode:
		return c.fastUnary(n)
	case *ast.BinaryNode:
		return c.fastBinary(n)
	case *ast.BuiltinNode:
		return c.fastMinMax(n)
	case *ast.ConditionalNode:
		return c.fastConditional(n)
	case *ast.CallNode:
		return c.fastCall(n)
	}
	return fastExpr{}, false
}

// constant is a constant of the fast path.
func constant(v any) (fastExpr, bool) {
	e := fastExpr{konst: v, isConst: true}
	switch v := v.(type) {
	case bool:
		e.kind, e.b = fastBool, func(*state) bool { return v }
	case int:
		e.kind, e.i = fastInt, func(*state) int { return v }
		if v >= -maxLinearConst && v <= maxLinearConst {
			e.lin = &linear{k0: v}
		}
	case float64:
		e.kind, e.f = fastFloat, func(*state) float64 { return v }
	case string:
		e.kind, e.s = fastString, func(*state) string { return v }
	case time.Duration:
		e.kind, e.d = fastDuration, func(*state) time.Duration { return v }
	case *lead.Money:
		e.kind, e.m = fastMoney, func(*state) *lead.Money { return v }
	default:
		return fastExpr{}, false
	}
	return e, true
}

func (c *compilation) fastIdent(name string) (fastExpr, bool) {
	if s, ok := c.slots[name]; ok {
		pos := s.pos
		switch {
		case s.isInt():
			return fastExpr{kind: fastInt, i: func(st *state) int { return st.ints[pos] }, slot: pos, isSlot: true,
				lin: &linear{terms: []linTerm{{pos: pos, k: 1}}}}, true
		case s.op == slotSince:
			return fastExpr{kind: fastDuration, d: func(st *state) time.Duration { return st.durs[pos] }}, true
		default:
			return fastExpr{kind: fastBool, b: func(st *state) bool { return st.bools[pos] }}, true
		}
	}
	if name == varNow {
		return fastExpr{kind: fastTime, t: func(st *state) time.Time { return st.now }}, true
	}
	for _, v := range c.allVariables() {
		if v.name != name {
			continue
		}
		switch {
		case v.str != nil:
			get := v.str
			e := fastExpr{kind: fastString, s: func(st *state) string { return get(st.l) }}
			if v.enum != nil {
				e.enum = &v
			}
			return e, true
		case v.num != nil:
			get := v.num
			return fastExpr{kind: fastInt, i: func(st *state) int { return get(st.l) }}, true
		case v.tm != nil:
			get := v.tm
			return fastExpr{kind: fastTime, t: func(st *state) time.Time { return get(st.l) }}, true
		case v.money != nil:
			get := v.money
			return fastExpr{kind: fastMoney, m: func(st *state) *lead.Money { return get(st.l) }}, true
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
		return fastExpr{kind: fastBool, b: func(st *state) bool { return !b(st) }, bails: x.bails}, true
	case (n.Operator == "!" || n.Operator == "not") && x.kind == fastAny:
		b := anyBool(x)
		return fastExpr{kind: fastBool, b: func(st *state) bool { return !b(st) }, bails: true}, true
	case n.Operator == "-" && x.kind == fastInt:
		i := x.i
		return fastExpr{kind: fastInt, bails: x.bails, i: func(st *state) int {
			v := i(st)
			if v == math.MinInt {
				st.setFault(&ArithmeticError{Op: "-", X: v, Fault: "integer overflow"})
				return 0
			}
			return -v
		}}, true
	case n.Operator == "-" && x.kind == fastFloat:
		f := x.f
		return fastExpr{kind: fastFloat, f: func(st *state) float64 { return -f(st) }, bails: x.bails}, true
	case n.Operator == "+" && (x.kind == fastInt || x.kind == fastFloat):
		x.isConst, x.isSlot, x.konst = false, false, nil
		return x, true
	}
	return fastExpr{}, false
}

func (c *compilation) fastBinary(n *ast.BinaryNode) (fastExpr, bool) {
	op := n.Operator
	if op == "in" {
		return c.fastIn(n)
	}
	l, ok := c.fastNode(n.Left)
	if !ok {
		return fastExpr{}, false
	}
	r, ok := c.fastNode(n.Right)
	if !ok {
		return fastExpr{}, false
	}
	bails := l.bails || r.bails
	switch op {
	case "&&", "and", "||", "or":
		if l.kind == fastAny {
			l = fastExpr{kind: fastBool, b: anyBool(l), bails: true}
		}
		if r.kind == fastAny {
			r = fastExpr{kind: fastBool, b: anyBool(r), bails: true}
		}
		if l.kind != fastBool || r.kind != fastBool {
			return fastExpr{}, false
		}
		a, b := l.b, r.b
		bails = l.bails || r.bails
		if op == "&&" || op == "and" {
			return fastExpr{kind: fastBool, b: func(st *state) bool { return a(st) && b(st) }, bails: bails}, true
		}
		return fastExpr{kind: fastBool, b: func(st *state) bool { return a(st) || b(st) }, bails: bails}, true
	case "==", "!=", "<", "<=", ">", ">=":
		cmp, bail, ok := fastCompare(op, l, r)
		if !ok {
			return fastExpr{}, false
		}
		return fastExpr{kind: fastBool, b: cmp, bails: bails || bail}, true
	case "startsWith", "endsWith", "contains":
		f, bail, ok := fastStrings(op, l, r)
		if !ok {
			return fastExpr{}, false
		}
		return fastExpr{kind: fastBool, b: f, bails: bails || bail}, true
	case "+", "-", "*", "/", "%":
		e, ok := fastArith(op, l, r)
		e.bails = e.bails || bails
		return e, ok
	}
	return fastExpr{}, false
}

// flip returns the operator that compares b with a as op compares a with b.
func flip(op string) string {
	switch op {
	case "<":
		return ">"
	case "<=":
		return ">="
	case ">":
		return "<"
	case ">=":
		return "<="
	}
	return op
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

// orderedConst compares a closure with a constant: one call instead of
// two.
func orderedConst[T int | float64 | string | time.Duration](op string, a func(*state) T, k T) func(*state) bool {
	switch op {
	case "==":
		return func(st *state) bool { return a(st) == k }
	case "!=":
		return func(st *state) bool { return a(st) != k }
	case "<":
		return func(st *state) bool { return a(st) < k }
	case "<=":
		return func(st *state) bool { return a(st) <= k }
	case ">":
		return func(st *state) bool { return a(st) > k }
	case ">=":
		return func(st *state) bool { return a(st) >= k }
	}
	return nil
}

// slotConst compares an int slot with a constant, reading the slot itself.
func slotConst(op string, pos, k int) func(*state) bool {
	switch op {
	case "==":
		return func(st *state) bool { return st.ints[pos] == k }
	case "!=":
		return func(st *state) bool { return st.ints[pos] != k }
	case "<":
		return func(st *state) bool { return st.ints[pos] < k }
	case "<=":
		return func(st *state) bool { return st.ints[pos] <= k }
	case ">":
		return func(st *state) bool { return st.ints[pos] > k }
	case ">=":
		return func(st *state) bool { return st.ints[pos] >= k }
	}
	return nil
}

// compareOrdered compares two expressions of one ordered type,
// specialising a comparison with a constant.
func compareOrdered[T int | float64 | string | time.Duration](op string, l, r fastExpr, lf, rf func(*state) T) func(*state) bool {
	switch {
	case r.isConst && !l.isConst:
		return orderedConst(op, lf, r.konst.(T))
	case l.isConst && !r.isConst:
		return orderedConst(flip(op), rf, l.konst.(T))
	}
	return ordered(op, lf, rf)
}

// fastCompare compiles a comparison; bail reports that it may give up.
func fastCompare(op string, l, r fastExpr) (cmp func(*state) bool, bail, ok bool) {
	switch {
	case l.kind == fastAny || r.kind == fastAny:
		return compareAny(op, l, r)
	case l.kind == fastInt && r.kind == fastInt:
		switch {
		case l.isSlot && r.isConst:
			return slotConst(op, l.slot, r.konst.(int)), false, true
		case r.isSlot && l.isConst:
			return slotConst(flip(op), r.slot, l.konst.(int)), false, true
		case l.lin != nil && len(l.lin.terms) > 0 && r.isConst:
			return l.lin.compare(op, r.konst.(int)), false, true
		case r.lin != nil && len(r.lin.terms) > 0 && l.isConst:
			return r.lin.compare(flip(op), l.konst.(int)), false, true
		}
		return compareOrdered(op, l, r, l.i, r.i), false, true
	case (l.kind == fastInt || l.kind == fastFloat) && (r.kind == fastInt || r.kind == fastFloat):
		lf, rf := l.asFloat(), r.asFloat()
		if l.isConst && l.kind == fastInt {
			l.konst = float64(l.konst.(int))
		}
		if r.isConst && r.kind == fastInt {
			r.konst = float64(r.konst.(int))
		}
		return compareOrdered(op, l, r, lf, rf), false, true
	case l.kind == fastString && r.kind == fastString:
		if f := compareEnum(op, l, r); f != nil {
			return f, false, true
		}
		if f := compareEnum(flip(op), r, l); f != nil {
			return f, false, true
		}
		return compareOrdered(op, l, r, l.s, r.s), false, true
	case l.kind == fastDuration && r.kind == fastDuration:
		return compareOrdered(op, l, r, l.d, r.d), false, true
	case l.kind == fastBool && r.kind == fastBool && (op == "==" || op == "!="):
		a, b := l.b, r.b
		if op == "==" {
			return func(st *state) bool { return a(st) == b(st) }, false, true
		}
		return func(st *state) bool { return a(st) != b(st) }, false, true
	case l.kind == fastTime && r.kind == fastTime:
		return compareTimes(op, l.t, r.t), false, true
	}
	return nil, false, false
}

// compareEnum compares an enumeration variable with one of its names by
// value; nil when l is not one or k not a name.
func compareEnum(op string, l, r fastExpr) func(*state) bool {
	if l.enum == nil || !r.isConst || (op != "==" && op != "!=") {
		return nil
	}
	k := r.konst.(string)
	idx := -1
	for i, name := range l.enum.names {
		if name == k {
			idx = i
		}
	}
	if idx < 0 {
		return nil // not a name: compare the text, which also covers "<type>(n)"
	}
	get, v := l.enum.enum, uint8(idx)
	if op == "==" {
		return func(st *state) bool { return get(st.l) == v }
	}
	return func(st *state) bool { return get(st.l) != v }
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
	case "%":
		return func(st *state) int {
			x, y := a(st), b(st)
			if y == 0 {
				st.setFault(&ArithmeticError{Op: op, X: x, Y: y, Fault: "division by zero"})
				return 0
			}
			return x % y
		}
	}
	return nil
}

// fastFloatArith is float arithmetic whose results must be finite: a
// result that is not is a fault naming the operands as the VM does (an
// int as an int).
func fastFloatArith(op string, l, r fastExpr) func(*state) float64 {
	a, b := numOperand(l), numOperand(r)
	fault := func(st *state, x float64, xi int, y float64, yi int) {
		st.setFault(&ArithmeticError{Op: op, X: operandValue(l, x, xi), Y: operandValue(r, y, yi), Fault: "not a finite number"})
	}
	switch op {
	case "+":
		return func(st *state) float64 {
			x, xi := a(st)
			y, yi := b(st)
			v := x + y
			if !finite(v) {
				fault(st, x, xi, y, yi)
			}
			return v
		}
	case "-":
		return func(st *state) float64 {
			x, xi := a(st)
			y, yi := b(st)
			v := x - y
			if !finite(v) {
				fault(st, x, xi, y, yi)
			}
			return v
		}
	case "*":
		return func(st *state) float64 {
			x, xi := a(st)
			y, yi := b(st)
			v := x * y
			if !finite(v) {
				fault(st, x, xi, y, yi)
			}
			return v
		}
	}
	return nil
}

// numOperand reads an int or float operand as a float64 and, for an int,
// as the int itself too, so that a fault can name it as the VM does
// without boxing it at every evaluation.
func numOperand(e fastExpr) func(*state) (float64, int) {
	if e.kind == fastInt {
		i := e.i
		return func(st *state) (float64, int) { v := i(st); return float64(v), v }
	}
	f := e.f
	return func(st *state) (float64, int) { return f(st), 0 }
}

// operandValue is an operand as a fault names it: an int as an int.
func operandValue(e fastExpr, f float64, i int) any {
	if e.kind == fastInt {
		return i
	}
	return f
}

// fastDivide is /, which gives a float: a division by zero or a result
// that is not finite is a fault naming the operands as the VM does (an
// int as an int).
func fastDivide(l, r fastExpr) func(*state) float64 {
	a, b := numOperand(l), numOperand(r)
	return func(st *state) float64 {
		x, xi := a(st)
		y, yi := b(st)
		if y == 0 {
			st.setFault(&ArithmeticError{Op: "/", X: operandValue(l, x, xi), Y: operandValue(r, y, yi), Fault: "division by zero"})
			return 0
		}
		q := x / y
		if !finite(q) {
			st.setFault(&ArithmeticError{Op: "/", X: operandValue(l, x, xi), Y: operandValue(r, y, yi), Fault: "not a finite number"})
		}
		return q
	}
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
	num := func(e fastExpr) bool { return e.kind == fastInt || e.kind == fastFloat }
	switch {
	case op == "/" && num(l) && num(r):
		return fastExpr{kind: fastFloat, f: fastDivide(l, r)}, true
	case op == "%":
		if l.kind == fastInt && r.kind == fastInt {
			return fastExpr{kind: fastInt, i: fastIntArith(op, l.i, r.i)}, true
		}
	case l.kind == fastInt && r.kind == fastInt:
		if lin := combine(op, l.lin, r.lin); lin != nil {
			return fastExpr{kind: fastInt, i: lin.eval(), lin: lin}, true
		}
		return fastExpr{kind: fastInt, i: fastIntArith(op, l.i, r.i)}, true
	case num(l) && num(r):
		return fastExpr{kind: fastFloat, f: fastFloatArith(op, l, r)}, true
	case l.kind == fastDuration && r.kind == fastDuration && (op == "+" || op == "-"):
		return fastExpr{kind: fastDuration, d: durationArith(op, l.d, r.d)}, true
	case l.kind == fastTime && r.kind == fastDuration && (op == "+" || op == "-") && r.isConst:
		t, k := l.t, r.konst.(time.Duration) // now + days(90): one call
		if op == "-" {
			k = -k
		}
		return fastExpr{kind: fastTime, t: func(st *state) time.Time { return t(st).Add(k) }}, true
	case l.kind == fastTime && r.kind == fastDuration && (op == "+" || op == "-"):
		t, d := l.t, r.d
		if op == "+" {
			return fastExpr{kind: fastTime, t: func(st *state) time.Time { return t(st).Add(d(st)) }}, true
		}
		return fastExpr{kind: fastTime, t: func(st *state) time.Time { return t(st).Add(-d(st)) }}, true
	case l.kind == fastDuration && r.kind == fastTime && op == "+":
		d, t := l.d, r.t
		return fastExpr{kind: fastTime, t: func(st *state) time.Time { x := d(st); return t(st).Add(x) }}, true
	case l.kind == fastTime && r.kind == fastTime && op == "-":
		a, b := l.t, r.t
		return fastExpr{kind: fastDuration, d: func(st *state) time.Duration { return a(st).Sub(b(st)) }}, true
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
	bails := false
	for i, a := range n.Arguments {
		e, ok := c.fastNode(a)
		if !ok || e.kind != args[0].kind && i > 0 || e.kind != fastInt && e.kind != fastFloat {
			return fastExpr{}, false
		}
		args[i] = e
		bails = bails || e.bails
	}
	isMin := n.Name == "min"
	if len(args) == 2 && args[0].kind == fastInt && args[0].isConst != args[1].isConst {
		// min(30, 10 * count(...)): a constant and one closure.
		k, f := args[0], args[1]
		if f.isConst {
			k, f = f, k
		}
		return fastExpr{kind: fastInt, i: pickConst(k.konst.(int), f.i, isMin, args[0].isConst), bails: bails}, true
	}
	if args[0].kind == fastInt {
		fs := make([]func(*state) int, len(args))
		for i, a := range args {
			fs[i] = a.i
		}
		return fastExpr{kind: fastInt, i: pick(fs, isMin), bails: bails}, true
	}
	fs := make([]func(*state) float64, len(args))
	for i, a := range args {
		fs[i] = a.f
	}
	return fastExpr{kind: fastFloat, f: pick(fs, isMin), bails: bails}, true
}

// pickConst is min or max of a constant and f, keeping the first of equal
// values as the VM does (constFirst: the constant is the first argument).
func pickConst(k int, f func(*state) int, isMin, constFirst bool) func(*state) int {
	switch {
	case isMin && constFirst:
		return func(st *state) int {
			if y := f(st); k > y {
				return y
			}
			return k
		}
	case isMin:
		return func(st *state) int {
			if x := f(st); x > k {
				return k
			} else {
				return x
			}
		}
	case constFirst:
		return func(st *state) int {
			if y := f(st); k < y {
				return y
			}
			return k
		}
	}
	return func(st *state) int {
		if x := f(st); x < k {
			return k
		} else {
			return x
		}
	}
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
	if !ok {
		return fastExpr{}, false
	}
	if cond.kind == fastAny {
		cond = fastExpr{kind: fastBool, b: anyBool(cond), bails: true}
	}
	if cond.kind != fastBool {
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
	out := fastExpr{kind: a.kind, bails: cond.bails || a.bails || b.bails}
	switch a.kind {
	case fastBool:
		out.b = choose(k, a.b, b.b)
	case fastInt:
		out.i = choose(k, a.i, b.i)
	case fastFloat:
		out.f = choose(k, a.f, b.f)
	case fastString:
		out.s = choose(k, a.s, b.s)
	case fastDuration:
		out.d = choose(k, a.d, b.d)
	default:
		return fastExpr{}, false
	}
	return out, true
}

func choose[T any](k func(*state) bool, x, y func(*state) T) func(*state) T {
	return func(st *state) T {
		if k(st) {
			return x(st)
		}
		return y(st)
	}
}
