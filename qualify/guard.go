package qualify

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
	"github.com/expr-lang/expr/vm/runtime"
	"github.com/leadqual/leadqual/lead"
)

// The run-time guard.
//
// Every expression that runs in expr's VM is instrumented at Compile: the
// operations whose work depends on the size of their inputs (string
// functions, contains, in, matches, string building) and those whose
// arithmetic can fail are replaced by guarded functions that charge their
// work to the evaluation's meter by the actual sizes of their inputs, and
// check it; the body of every iteration starts with a tick that charges
// the fixed cost of one element. The rest of an expression is charged
// once, when it starts (see cost.go for the prices).
//
// The meter looks at the context every checkEvery units, so that a
// cancelled evaluation stops within about a tenth of a millisecond of
// work, inside iterations as well as between rules. It also stops an
// expression that would run past its estimate, which the estimator is
// tested never to allow.
//
// The guarded functions are typed Go function values in the evaluation's
// environment, bound to the meter of the state they belong to: expr calls
// them without allocating, and no two evaluations share one.

// checkEvery is how many units of work run between two looks at the
// context: about 0.1 ms on the reference machine.
const checkEvery = 100_000

// meter is the guard of one evaluation.
type meter struct {
	ctx   context.Context
	done  <-chan struct{}
	spent int64 // charged to the current expression
	limit int64 // the current expression's estimate
	next  int64 // spent at which to look at the context again
	// stop is why the evaluation must stop: the context's error, set when
	// the meter saw it done.
	stop error
	// charged is the evaluation's cost so far, for tests and benchmarks.
	charged int64
}

// reset prepares the meter for an evaluation under ctx, whose Done
// channel is done.
func (m *meter) reset(ctx context.Context, done <-chan struct{}) {
	m.ctx, m.done, m.stop, m.charged = ctx, done, nil, 0
}

// begin starts an expression: its fixed cost is charged at once.
func (m *meter) begin(g *exprCost) {
	m.spent, m.limit = g.outer, g.total
	m.next = min(m.spent+checkEvery, m.limit)
}

// charge adds n units; it panics (which expr's VM turns into the error of
// the run) when the context is done or the expression ran past its
// estimate.
func (m *meter) charge(n int64) {
	m.spent += n
	if m.spent > m.next {
		m.slow()
	}
}

func (m *meter) slow() {
	if m.spent > m.limit {
		panic(&LimitError{Limit: "MaxRuleCost", Max: clampInt(float64(m.limit)), Got: clampInt(float64(m.spent)),
			Where: "run-time cost beyond the rule's estimate"})
	}
	if m.done != nil {
		select {
		case <-m.done:
			m.stop = context.Cause(m.ctx)
			panic(m.stop)
		default:
		}
	}
	m.next = min(m.spent+checkEvery, m.limit)
}

// exprCost is what the guard knows of an expression that runs in the VM.
type exprCost struct {
	total int64 // the estimate: the guard stops the expression beyond it
	outer int64 // charged when it starts
}

func newExprCost(e estimate) exprCost {
	return exprCost{total: int64(math.Ceil(e.total)), outer: int64(math.Ceil(e.outer))}
}

// runVM runs a program under the meter. When the meter stopped it, the
// meter's stop says why.
func (st *state) runVM(prog *vm.Program, g *exprCost) (any, error) {
	st.meter.begin(g)
	out, err := st.vm.Run(prog, st.env)
	st.meter.charged += st.meter.spent
	return out, err
}

// testVM evaluates a rule's when in the VM under the guard. (The rule
// loop calls the fast path's closure itself.)
func (st *state) testVM(r *compiledRule) (bool, error) {
	out, err := st.runVM(r.when, &r.whenCost)
	if err != nil {
		return false, err
	}
	match, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("%w: got %T", errNotBool, out)
	}
	return match, nil
}

// score evaluates a matched rule's points.
func (p *Policy) score(st *state, r *compiledRule) (float64, error) {
	switch {
	case r.fastPoints != nil:
		pts := r.fastPoints(st)
		if st.fault != nil {
			return 0, st.takeFault()
		}
		return pts, nil
	case r.points != nil:
		v, err := st.runVM(r.points, &r.pointsCost)
		if err != nil {
			return 0, err
		}
		return number(v)
	}
	return r.pointsConst, nil
}

// errStopped says that the context of an evaluation was done.
var errStopped = errors.New("stopped")

// stopped is the error of an evaluation stopped by its context.
func (p *Policy) stopped(l *lead.Lead, cause error) error {
	return fmt.Errorf("qualify: evaluating lead %s: %w", clip(l.ID), cause)
}

// takeFault returns and clears an arithmetic fault of the fast path.
func (st *state) takeFault() error {
	err := st.fault
	st.fault = nil
	return err
}

// guards returns the guarded functions bound to m, by their name in the
// environment. Their types are those of guardTypes.
func (m *meter) guards() map[string]any {
	op2 := func(op string) func(a, b any) any {
		return func(a, b any) any {
			r, err := arith(op, a, b)
			if err != nil {
				panic(err)
			}
			n := 0
			if s, ok := r.(string); ok {
				n = len(s)
			}
			m.charge(priceConcat(n))
			return r
		}
	}
	str := func(fn string, v any) string {
		s, ok := v.(string)
		if !ok {
			panic(fmt.Errorf("%s takes a string, not %s", fn, typeOf(v)))
		}
		return s
	}
	return map[string]any{
		"$tick": func(k int) bool { m.charge(int64(k)); return true },
		"$add":  op2("+"), "$sub": op2("-"), "$mul": op2("*"), "$div": op2("/"), "$mod": op2("%"), "$pow": op2("**"),
		"$neg": func(a any) any {
			m.charge(costCall)
			r, err := negate("-", a)
			if err != nil {
				panic(err)
			}
			return r
		},
		"$abs": func(a any) any {
			m.charge(costCall)
			if n, ok := asNumber(a); ok && (n.typ == numFloat && n.f >= 0 || n.typ != numFloat && n.i >= 0) {
				return a
			}
			if f, ok := a.(float64); ok {
				return math.Abs(f)
			}
			r, err := negate("abs", a)
			if err != nil {
				panic(err)
			}
			return r
		},
		"$int": func(a any) int {
			s, _ := a.(string)
			m.charge(priceParse(len(s)))
			r, err := toInt(a)
			if err != nil {
				panic(err)
			}
			return r
		},
		"$float": func(a any) float64 {
			s, _ := a.(string)
			m.charge(priceParse(len(s)))
			r, err := toFloat64(a)
			if err != nil {
				panic(err)
			}
			return r
		},
		"$upper": func(a any) string {
			s := str("upper", a)
			m.charge(priceCase(len(s)))
			return strings.ToUpper(s)
		},
		"$lower": func(a any) string {
			s := str("lower", a)
			m.charge(priceCase(len(s)))
			return strings.ToLower(s)
		},
		"$trim": func(a, cutset any) string {
			s := str("trim", a)
			if cutset == nil {
				m.charge(priceTrim(len(s), 0))
				return strings.TrimSpace(s)
			}
			c := str("trim", cutset)
			m.charge(priceTrim(len(s), len(c)))
			return strings.Trim(s, c)
		},
		"$trimPrefix": func(a, b any) string {
			s, p := str("trimPrefix", a), str("trimPrefix", b)
			m.charge(priceScan(min(len(s), len(p))))
			return strings.TrimPrefix(s, p)
		},
		"$trimSuffix": func(a, b any) string {
			s, p := str("trimSuffix", a), str("trimSuffix", b)
			m.charge(priceScan(min(len(s), len(p))))
			return strings.TrimSuffix(s, p)
		},
		"$startsWith": func(a, b any) bool {
			if a == nil || b == nil {
				return false
			}
			s, p := str("startsWith", a), str("startsWith", b)
			m.charge(priceScan(min(len(s), len(p))))
			return strings.HasPrefix(s, p)
		},
		"$endsWith": func(a, b any) bool {
			if a == nil || b == nil {
				return false
			}
			s, p := str("endsWith", a), str("endsWith", b)
			m.charge(priceScan(min(len(s), len(p))))
			return strings.HasSuffix(s, p)
		},
		// hasPrefix and hasSuffix, unlike startsWith and endsWith, take
		// strings: nil is an error, as in expr.
		"$hasPrefix": func(a, b any) bool {
			s, p := str("hasPrefix", a), str("hasPrefix", b)
			m.charge(priceScan(min(len(s), len(p))))
			return strings.HasPrefix(s, p)
		},
		"$hasSuffix": func(a, b any) bool {
			s, p := str("hasSuffix", a), str("hasSuffix", b)
			m.charge(priceScan(min(len(s), len(p))))
			return strings.HasSuffix(s, p)
		},
		"$contains": func(a, b any) bool {
			if a == nil || b == nil {
				return false
			}
			s, sub := str("contains", a), str("contains", b)
			m.charge(priceFind(len(s), len(sub)))
			return strings.Contains(s, sub)
		},
		"$indexOf": func(a, b any) any {
			s, sub := str("indexOf", a), str("indexOf", b)
			m.charge(priceFind(len(s), len(sub)))
			return strings.Index(s, sub)
		},
		"$lastIndexOf": func(a, b any) any {
			s, sub := str("lastIndexOf", a), str("lastIndexOf", b)
			m.charge(priceFind(len(s), len(sub)))
			return strings.LastIndex(s, sub)
		},
		"$matches": func(a, p any) bool {
			if a == nil {
				return false
			}
			s, pat := str("matches", a), p.(*pattern)
			m.charge(priceRegex(len(s), pat.prog))
			return pat.re.MatchString(s)
		},
		"$in": func(needle, coll any) bool { return m.in(needle, coll) },
	}
}

// guardTypes are the types of the guarded functions, for the type checker:
// each is one of the signatures expr's VM calls without reflection or
// allocation.
var guardTypes = map[string]any{
	"$tick": (func(int) bool)(nil),
	"$add":  (func(any, any) any)(nil), "$sub": (func(any, any) any)(nil), "$mul": (func(any, any) any)(nil),
	"$div": (func(any, any) any)(nil), "$mod": (func(any, any) any)(nil), "$pow": (func(any, any) any)(nil),
	"$neg": (func(any) any)(nil), "$abs": (func(any) any)(nil),
	"$int": (func(any) int)(nil), "$float": (func(any) float64)(nil),
	"$upper": (func(any) string)(nil), "$lower": (func(any) string)(nil),
	"$trim": (func(any, any) string)(nil), "$trimPrefix": (func(any, any) string)(nil), "$trimSuffix": (func(any, any) string)(nil),
	"$startsWith": (func(any, any) bool)(nil), "$endsWith": (func(any, any) bool)(nil), "$contains": (func(any, any) bool)(nil),
	"$hasPrefix": (func(any, any) bool)(nil), "$hasSuffix": (func(any, any) bool)(nil),
	"$indexOf": (func(any, any) any)(nil), "$lastIndexOf": (func(any, any) any)(nil),
	"$matches": (func(any, any) bool)(nil), "$in": (func(any, any) bool)(nil),
}

// in is `needle in coll` over a list or a map, charged by the list's
// length and the needle's size.
func (m *meter) in(needle, coll any) bool {
	n := 8
	switch x := needle.(type) {
	case string:
		n = len(x)
	case []any, map[string]any:
		panic(fmt.Errorf("in looks for a string, a number or a boolean, not %s", typeOf(needle)))
	}
	switch c := coll.(type) {
	case nil:
		return false
	case []any:
		m.charge(priceIn(len(c), n))
		for _, v := range c {
			if runtime.Equal(v, needle) {
				return true
			}
		}
		return false
	case map[string]any:
		m.charge(priceScan(n))
		k, ok := needle.(string)
		if !ok {
			return false
		}
		_, ok = c[k]
		return ok
	case map[string]string:
		m.charge(priceScan(n))
		k, ok := needle.(string)
		if !ok {
			return false
		}
		_, ok = c[k]
		return ok
	}
	v := reflect.ValueOf(coll)
	switch v.Kind() {
	case reflect.Slice, reflect.Array:
		m.charge(priceIn(v.Len(), n))
		for i := range v.Len() {
			if runtime.Equal(v.Index(i).Interface(), needle) {
				return true
			}
		}
		return false
	case reflect.Map:
		m.charge(priceScan(n))
		k := reflect.ValueOf(needle)
		if !k.IsValid() || !k.Type().AssignableTo(v.Type().Key()) {
			return false
		}
		return v.MapIndex(k).IsValid()
	}
	panic(fmt.Errorf("in looks in a list or a map, not %s", typeOf(coll)))
}

// pattern is a compiled literal regular expression and its program size.
type pattern struct {
	re   *regexp.Regexp
	prog int
}

func typeOf(v any) string {
	switch v.(type) {
	case nil:
		return "nil"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "a map"
	}
	return fmt.Sprintf("%T", v)
}

// negate is -x (op "-") or abs(x) (op "abs") of a negative x.
func negate(op string, x any) (any, error) {
	r, err := arith("-", 0, x)
	if ae, ok := err.(*ArithmeticError); ok {
		return nil, &ArithmeticError{Op: op, X: x, Fault: ae.Fault}
	}
	return r, err
}

// Is makes errors.Is(err, ErrArithmetic) true.
func (e *ArithmeticError) Is(target error) bool { return target == ErrArithmetic }

// operand is an operand of arithmetic: an integer (any Go integer type), a
// float, or a duration.
type operand struct {
	i   int64
	f   float64
	typ uint8 // numInt, numFloat, numDuration
}

const (
	numInt uint8 = iota
	numFloat
	numDuration
)

func asNumber(v any) (operand, bool) {
	switch x := v.(type) {
	case int:
		return operand{i: int64(x)}, true
	case int64:
		return operand{i: x}, true
	case float64:
		return operand{f: x, typ: numFloat}, true
	case time.Duration:
		return operand{i: int64(x), typ: numDuration}, true
	case int8:
		return operand{i: int64(x)}, true
	case int16:
		return operand{i: int64(x)}, true
	case int32:
		return operand{i: int64(x)}, true
	case uint:
		return operand{i: int64(x), f: float64(x)}, x <= math.MaxInt64
	case uint8:
		return operand{i: int64(x)}, true
	case uint16:
		return operand{i: int64(x)}, true
	case uint32:
		return operand{i: int64(x)}, true
	case uint64:
		return operand{i: int64(x)}, x <= math.MaxInt64
	case float32:
		return operand{f: float64(x), typ: numFloat}, true
	}
	return operand{}, false
}

func (n operand) float() float64 {
	if n.typ == numFloat {
		return n.f
	}
	return float64(n.i)
}

func finite(f float64) bool { return f-f == 0 }

// arith is the rule language's arithmetic: expr's semantics (an integer
// meeting a float is a float, / is always a float, % takes integers, ** is
// a float power, a duration times a number is a duration), except that
// what has no right answer is an *ArithmeticError: integer overflow,
// division by zero, and results that are not finite. Strings add by
// concatenation. Times are left to expr.
func arith(op string, a, b any) (any, error) {
	if x, ok := a.(int); ok { // the common case first
		if y, ok := b.(int); ok && op != "/" && op != "**" {
			r, fault := intArith(op, int64(x), int64(y))
			if fault != "" {
				return nil, &ArithmeticError{Op: op, X: a, Y: b, Fault: fault}
			}
			return int(r), nil
		}
	}
	if op == "+" {
		if s, ok := a.(string); ok {
			if t, ok := b.(string); ok {
				return s + t, nil
			}
		}
	}
	x, okx := asNumber(a)
	y, oky := asNumber(b)
	if !okx || !oky {
		if isBigUint(a) || isBigUint(b) {
			return nil, &ArithmeticError{Op: op, X: a, Y: b, Fault: "integer overflow"}
		}
		return nil, fmt.Errorf("invalid operation: %s %s %s", typeOf(a), op, typeOf(b))
	}
	var r float64
	switch {
	case op == "/":
		if y.float() == 0 {
			return nil, &ArithmeticError{Op: op, X: a, Y: b, Fault: "division by zero"}
		}
		r = x.float() / y.float()
	case op == "**":
		r = math.Pow(x.float(), y.float())
	case op == "%":
		if x.typ == numFloat || y.typ == numFloat {
			return nil, fmt.Errorf("invalid operation: %% takes integers, not %s and %s", typeOf(a), typeOf(b))
		}
		if y.i == 0 {
			return nil, &ArithmeticError{Op: op, X: a, Y: b, Fault: "division by zero"}
		}
		return int(x.i % y.i), nil
	case x.typ == numFloat || y.typ == numFloat:
		if (x.typ == numDuration || y.typ == numDuration) && op != "*" {
			return nil, fmt.Errorf("invalid operation: %s %s %s", typeOf(a), op, typeOf(b))
		}
		switch op {
		case "+":
			r = x.float() + y.float()
		case "-":
			r = x.float() - y.float()
		case "*":
			r = x.float() * y.float()
		default:
			return nil, fmt.Errorf("unknown operator %s", op)
		}
	default:
		if x.typ == numDuration && y.typ == numDuration && op == "*" {
			return nil, fmt.Errorf("invalid operation: a duration * a duration")
		}
		ri, fault := intArith(op, x.i, y.i)
		if fault != "" {
			return nil, &ArithmeticError{Op: op, X: a, Y: b, Fault: fault}
		}
		if x.typ == numDuration || y.typ == numDuration {
			return time.Duration(ri), nil
		}
		return int(ri), nil
	}
	if !finite(r) {
		return nil, &ArithmeticError{Op: op, X: a, Y: b, Fault: "not a finite number"}
	}
	return r, nil
}

// intArith is +, - or * on integers; fault says why there is no answer.
func intArith(op string, x, y int64) (r int64, fault string) {
	switch op {
	case "+":
		r = x + y
		if (x^r)&(y^r) < 0 {
			return 0, "integer overflow"
		}
	case "-":
		r = x - y
		if (x^y)&(x^r) < 0 {
			return 0, "integer overflow"
		}
	case "*":
		if x == 0 || y == 0 {
			return 0, ""
		}
		r = x * y
		if r/y != x || x == -1 && y == math.MinInt64 || y == -1 && x == math.MinInt64 {
			return 0, "integer overflow"
		}
	case "%":
		if y == 0 {
			return 0, "division by zero"
		}
		r = x % y
	default:
		return 0, "unknown operator"
	}
	return r, ""
}

func isBigUint(v any) bool {
	switch x := v.(type) {
	case uint64:
		return x > math.MaxInt64
	case uint:
		return uint64(x) > math.MaxInt64
	}
	return false
}

// toInt is int(v): a number truncated, or a string parsed.
func toInt(v any) (int, error) {
	switch x := v.(type) {
	case string:
		i, err := strconv.Atoi(strings.TrimSpace(x))
		if err != nil {
			return 0, fmt.Errorf("int: %q is not a whole number", clipText(x))
		}
		return i, nil
	case float64, float32:
		f, _ := toFloat(x)
		if !finite(f) || f >= math.MaxInt64 || f < math.MinInt64 {
			return 0, &ArithmeticError{Op: "int", X: v, Fault: "integer overflow"}
		}
		return int(f), nil
	}
	n, ok := asNumber(v)
	if !ok {
		if isBigUint(v) {
			return 0, &ArithmeticError{Op: "int", X: v, Fault: "integer overflow"}
		}
		return 0, fmt.Errorf("int takes a number or a string, not %s", typeOf(v))
	}
	return int(n.i), nil
}

// toFloat64 is float(v): a number converted, or a string parsed.
func toFloat64(v any) (float64, error) {
	if s, ok := v.(string); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || !finite(f) {
			return 0, fmt.Errorf("float: %q is not a finite number", clipText(s))
		}
		return f, nil
	}
	f, ok := toFloat(v)
	if !ok {
		return 0, fmt.Errorf("float takes a number or a string, not %s", typeOf(v))
	}
	return f, nil
}

// clipText shortens a value quoted in an error message.
func clipText(s string) string {
	const n = 32
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i] + "..."
}

// guardFor returns the guarded function that replaces n in the VM, or "".
// The estimator prices these by the sizes of their inputs, and they
// charge the same prices at run time.
func guardFor(n ast.Node) string {
	switch n := n.(type) {
	case *ast.BinaryNode:
		switch n.Operator {
		case "+", "-", "*", "/", "%", "**":
			if n.Left.Type() == timeType || n.Right.Type() == timeType {
				return "" // expr's own: times neither overflow nor divide
			}
		case "in":
			if constantSet(n.Right) {
				return "" // a lookup in a set built at Compile
			}
		}
		return operators[n.Operator]
	case *ast.UnaryNode:
		if n.Operator == "-" {
			return "$neg"
		}
	case *ast.BuiltinNode:
		return builtins[n.Name].guarded
	}
	return ""
}

// instrument rewrites a checked expression for the VM: guarded operations
// become calls of their guards, and the body of every iteration starts
// with a tick of its fixed cost per element. It records the guards used,
// and reports whether it changed anything.
func (c *compilation) instrument(tree *parser.Tree, est estimate) (changed bool) {
	var walk func(np *ast.Node)
	walk = func(np *ast.Node) {
		n := *np
		if n == nil {
			return
		}
		for _, ch := range childPointers(n) {
			walk(ch)
		}
		if p, ok := n.(*ast.PredicateNode); ok {
			k := est.ticks[p] // present for every predicate the estimator saw
			tick := &ast.CallNode{Callee: &ast.IdentifierNode{Value: "$tick"}, Arguments: []ast.Node{&ast.IntegerNode{Value: int(k)}}}
			p.Node = &ast.SequenceNode{Nodes: []ast.Node{tick, p.Node}}
			c.guardsUsed["$tick"] = true
			changed = true
			return
		}
		name := guardFor(n)
		if name == "" {
			return
		}
		var args []ast.Node
		switch n := n.(type) {
		case *ast.BinaryNode:
			args = []ast.Node{n.Left, n.Right}
			if n.Operator == "matches" {
				args[1] = &ast.ConstantNode{Value: c.pattern(patternOf(n.Right))}
			}
		case *ast.UnaryNode:
			args = []ast.Node{n.Node}
		case *ast.BuiltinNode:
			args = n.Arguments
			switch {
			case n.Name == "trim" && len(args) == 1:
				args = append(args, &ast.NilNode{})
			case (n.Name == "trimPrefix" || n.Name == "trimSuffix") && len(args) == 1:
				args = append(args, &ast.StringNode{Value: " "})
			}
		}
		c.guardsUsed[name] = true
		changed = true
		ast.Patch(np, &ast.CallNode{Callee: &ast.IdentifierNode{Value: name}, Arguments: args})
	}
	walk(&tree.Node)
	return changed
}

// pattern returns the compiled literal pattern, which the rewriter has
// sized and found within MaxRegexProgram.
func (c *compilation) pattern(src string) *pattern {
	return &pattern{re: regexp.MustCompile(src), prog: c.regexes[src]}
}
