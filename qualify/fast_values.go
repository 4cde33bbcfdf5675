package qualify

import (
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm/runtime"
)

// The fast path's values beyond numbers and strings: custom fields (any
// JSON value, compared as expr's runtime compares them), times, money, `in`
// lists of constants, and the string tests.

// fastField reads a custom field by a constant path (fields.plan,
// fields["seats"], fields.address.country) as the VM does: an absent name
// is nil; a name read from nil, or from anything but a JSON object, is left
// to the VM.
func (c *compilation) fastField(n *ast.MemberNode) (fastExpr, bool) {
	path, ok := fieldPath(n)
	if !ok {
		return fastExpr{}, false
	}
	if id, root := rootOf(n); !root || id != "fields" {
		return fastExpr{}, false
	}
	c.fastFields = true
	first, rest := path[0], path[1:]
	if len(rest) == 0 {
		return fastExpr{kind: fastAny, a: func(st *state) any { return st.l.Fields[first] }}, true
	}
	return fastExpr{kind: fastAny, bails: true, a: func(st *state) any {
		v := st.l.Fields[first]
		for _, name := range rest {
			m, ok := v.(map[string]any)
			if !ok {
				st.setFault(errBail)
				return nil
			}
			v = m[name]
		}
		return v
	}}, true
}

// rootOf returns the identifier a member chain starts from.
func rootOf(n ast.Node) (string, bool) {
	for {
		switch m := n.(type) {
		case *ast.MemberNode:
			if m.Optional {
				return "", false
			}
			n = m.Node
		case *ast.IdentifierNode:
			return m.Value, true
		default:
			return "", false
		}
	}
}

// anyBool reads a custom field as a boolean, where the VM requires one (!,
// && and ||): anything else gives up.
func anyBool(x fastExpr) func(*state) bool {
	a := x.a
	return func(st *state) bool {
		b, ok := a(st).(bool)
		if !ok {
			st.setFault(errBail)
		}
		return b
	}
}

// compareTimes compares instants as expr does (Before, After, Equal).
func compareTimes(op string, a, b func(*state) time.Time) func(*state) bool {
	switch op {
	case "==":
		return func(st *state) bool { return a(st).Equal(b(st)) }
	case "!=":
		return func(st *state) bool { return !a(st).Equal(b(st)) }
	case "<":
		return func(st *state) bool { return a(st).Before(b(st)) }
	case "<=":
		return func(st *state) bool { x, y := a(st), b(st); return x.Before(y) || x.Equal(y) }
	case ">":
		return func(st *state) bool { return a(st).After(b(st)) }
	case ">=":
		return func(st *state) bool { x, y := a(st), b(st); return x.After(y) || x.Equal(y) }
	}
	return nil
}

// boxed returns e as a closure of any; only constants and custom fields
// box without allocating, so nothing else is accepted.
func (e fastExpr) boxed() func(*state) any {
	switch {
	case e.kind == fastAny:
		return e.a
	case e.isConst:
		k := e.konst
		return func(*state) any { return k }
	}
	return nil
}

// compareAny compares custom fields with constants or with each other,
// with the VM's functions: equality never fails (nil equals only nil, a
// number equals a number of any Go type); an ordering needs two numbers,
// two strings, two times or two durations. An ordering with an absent
// field is the VM's error, an unknown input; anything else it refuses
// gives up.
func compareAny(op string, l, r fastExpr) (func(*state) bool, bool, bool) {
	a, b := l.boxed(), r.boxed()
	if a == nil || b == nil {
		return nil, false, false
	}
	switch op {
	case "==":
		return func(st *state) bool { return runtime.Equal(a(st), b(st)) }, false, true
	case "!=":
		return func(st *state) bool { return !runtime.Equal(a(st), b(st)) }, false, true
	}
	var less func(x, y any) bool
	switch op {
	case "<":
		less = runtime.Less
	case "<=":
		less = runtime.LessOrEqual
	case ">":
		less = runtime.More
	case ">=":
		less = runtime.MoreOrEqual
	}
	lField, rField := l.kind == fastAny && !l.isConst, r.kind == fastAny && !r.isConst
	return func(st *state) bool {
		x, y := a(st), b(st)
		if !orderable(x, y) {
			if x == nil && lField || y == nil && rField {
				st.setFault(errUnknownField)
			} else {
				st.setFault(errBail)
			}
			return false
		}
		return less(x, y)
	}, true, true
}

// orderable reports whether expr's ordering is defined on x and y.
func orderable(x, y any) bool {
	switch x.(type) {
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		switch y.(type) {
		case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
			return true
		}
	case string:
		_, ok := y.(string)
		return ok
	case time.Time:
		_, ok := y.(time.Time)
		return ok
	case time.Duration:
		_, ok := y.(time.Duration)
		return ok
	}
	return false
}

// fastStrings compiles startsWith, endsWith and contains on strings; on a
// custom field, nil is false as in the VM, and anything but a string gives
// up.
func fastStrings(op string, l, r fastExpr) (func(*state) bool, bool, bool) {
	var fn func(s, x string) bool
	switch op {
	case "startsWith":
		fn = strings.HasPrefix
	case "endsWith":
		fn = strings.HasSuffix
	case "contains":
		fn = strings.Contains
	}
	str := func(e fastExpr) (func(*state) (string, bool), bool) {
		switch e.kind {
		case fastString:
			s := e.s
			return func(st *state) (string, bool) { return s(st), true }, true
		case fastAny:
			if e.isConst {
				return func(*state) (string, bool) { return "", false }, true // nil
			}
			a := e.a
			return func(st *state) (string, bool) {
				switch v := a(st).(type) {
				case string:
					return v, true
				case nil:
				default:
					st.setFault(errBail)
				}
				return "", false
			}, true
		}
		return nil, false
	}
	a, okA := str(l)
	b, okB := str(r)
	if !okA || !okB {
		return nil, false, false
	}
	if l.kind == fastString && r.kind == fastString {
		x, y := l.s, r.s
		if r.isConst {
			k := r.konst.(string)
			return func(st *state) bool { return fn(x(st), k) }, false, true
		}
		return func(st *state) bool { return fn(x(st), y(st)) }, false, true
	}
	return func(st *state) bool {
		x, ok := a(st)
		if !ok {
			return false
		}
		y, ok := b(st)
		return ok && fn(x, y)
	}, true, true
}

// durationArith adds or subtracts durations, checked as the guarded VM
// does.
func durationArith(op string, a, b func(*state) time.Duration) func(*state) time.Duration {
	return func(st *state) time.Duration {
		x, y := a(st), b(st)
		r, fault := intArith(op, int64(x), int64(y))
		if fault != "" {
			st.setFault(&ArithmeticError{Op: op, X: x, Y: y, Fault: fault})
			return 0
		}
		return time.Duration(r)
	}
}

// fastIn compiles `x in [constants]` (a set after expr's optimizer, or a
// list of mixed constants) as runtime.In does it: a string in a set of
// strings, an int in a set of ints, any value equal (runtime.Equal) to an
// element of a list.
func (c *compilation) fastIn(n *ast.BinaryNode) (fastExpr, bool) {
	k, ok := n.Right.(*ast.ConstantNode)
	if !ok {
		return fastExpr{}, false
	}
	l, ok := c.fastNode(n.Left)
	if !ok {
		return fastExpr{}, false
	}
	switch set := k.Value.(type) {
	case map[string]struct{}:
		switch l.kind {
		case fastString:
			return fastExpr{kind: fastBool, b: stringIn(l, set), bails: l.bails}, true
		case fastAny:
			a := l.a
			_, hasEmpty := set[""]
			has := setLookup(set)
			return fastExpr{kind: fastBool, bails: true, b: func(st *state) bool {
				switch v := a(st).(type) {
				case string:
					return has(v)
				case nil:
					return hasEmpty // runtime.In looks the key's zero value up
				}
				st.setFault(errBail)
				return false
			}}, true
		}
	case map[int]struct{}:
		if l.kind == fastInt {
			i := l.i
			return fastExpr{kind: fastBool, bails: l.bails, b: func(st *state) bool { _, ok := set[i(st)]; return ok }}, true
		}
	case []any:
		needle := l.boxed()
		if needle == nil {
			return listIn(l, set)
		}
		return fastExpr{kind: fastBool, bails: l.bails, b: func(st *state) bool {
			v := needle(st)
			for _, e := range set {
				if runtime.Equal(e, v) {
					return true
				}
			}
			return false
		}}, true
	}
	return fastExpr{}, false
}

// stringIn looks a string up in a set: by value for an enumeration, by
// comparing for a short set, by hashing for a long one.
func stringIn(l fastExpr, set map[string]struct{}) func(*state) bool {
	if l.enum != nil {
		member := make([]bool, len(l.enum.names))
		for i, name := range l.enum.names {
			_, member[i] = set[name]
		}
		get, s := l.enum.enum, l.s
		return func(st *state) bool {
			if v := get(st.l); int(v) < len(member) {
				return member[v]
			}
			_, ok := set[s(st)] // a value beyond the names: its "<type>(n)"
			return ok
		}
	}
	s, has := l.s, setLookup(set)
	return func(st *state) bool { return has(s(st)) }
}

// setLookup returns the test of membership in set: comparing for a short
// set, hashing for a long one.
func setLookup(set map[string]struct{}) func(string) bool {
	if len(set) > 8 {
		return func(v string) bool { _, ok := set[v]; return ok }
	}
	list := make([]string, 0, len(set))
	for k := range set {
		list = append(list, k)
	}
	return func(v string) bool {
		for _, k := range list {
			if v == k {
				return true
			}
		}
		return false
	}
}

// listIn is a typed needle in a list of constants, compared as
// runtime.Equal compares them: a number with numbers, a string with
// strings, a boolean with booleans.
func listIn(l fastExpr, list []any) (fastExpr, bool) {
	var ints []int
	var floats []float64
	var strs []string
	var bools []bool
	for _, e := range list {
		switch v := e.(type) {
		case int:
			ints = append(ints, v)
		case float64:
			floats = append(floats, v)
		case string:
			strs = append(strs, v)
		case bool:
			bools = append(bools, v)
		}
	}
	var b func(*state) bool
	switch l.kind {
	case fastInt:
		i := l.i
		b = func(st *state) bool {
			x := i(st)
			for _, k := range ints {
				if x == k {
					return true
				}
			}
			for _, k := range floats {
				if float64(x) == k {
					return true
				}
			}
			return false
		}
	case fastFloat:
		f := l.f
		b = func(st *state) bool {
			x := f(st)
			for _, k := range ints {
				if x == float64(k) {
					return true
				}
			}
			for _, k := range floats {
				if x == k {
					return true
				}
			}
			return false
		}
	case fastString:
		s := l.s
		b = func(st *state) bool {
			x := s(st)
			for _, k := range strs {
				if x == k {
					return true
				}
			}
			return false
		}
	case fastBool:
		f := l.b
		b = func(st *state) bool {
			x := f(st)
			for _, k := range bools {
				if x == k {
					return true
				}
			}
			return false
		}
	default:
		return fastExpr{}, false
	}
	return fastExpr{kind: fastBool, b: b, bails: l.bails}, true
}

// fastCall compiles the money operators (comparisons, exactly, whatever
// the scale) and amount(). An unknown amount fails as in the VM; another
// currency, or anything but money, gives up.
func (c *compilation) fastCall(n *ast.CallNode) (fastExpr, bool) {
	name := calleeName(n)
	args := make([]fastExpr, len(n.Arguments))
	for i, a := range n.Arguments {
		e, ok := c.fastNode(a)
		if !ok || e.kind != fastMoney {
			return fastExpr{}, false
		}
		args[i] = e
	}
	if name == "amount" && len(args) == 1 {
		m := args[0].m
		return fastExpr{kind: fastFloat, f: func(st *state) float64 {
			v := m(st)
			if !v.Known() {
				st.setFault(errUnknownMoney)
				return 0
			}
			f, _ := v.Amount.Float64()
			return f
		}}, true
	}
	var test func(int) bool
	switch name {
	case "money_eq":
		test = func(c int) bool { return c == 0 }
	case "money_ne":
		test = func(c int) bool { return c != 0 }
	case "money_lt":
		test = func(c int) bool { return c < 0 }
	case "money_le":
		test = func(c int) bool { return c <= 0 }
	case "money_gt":
		test = func(c int) bool { return c > 0 }
	case "money_ge":
		test = func(c int) bool { return c >= 0 }
	default:
		return fastExpr{}, false
	}
	if len(args) != 2 {
		return fastExpr{}, false
	}
	a, b := args[0].m, args[1].m
	return fastExpr{kind: fastBool, bails: true, b: func(st *state) bool {
		x, y := a(st), b(st)
		switch {
		case !x.Known() || !y.Known():
			st.setFault(errUnknownMoney)
			return false
		case x.Currency != y.Currency:
			st.setFault(errBail) // the VM's error names both amounts
			return false
		}
		return test(cmpAmounts(x, y))
	}}, true
}
