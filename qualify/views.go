package qualify

import (
	"fmt"
	"reflect"
	"strconv"
	"sync"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/parser"
	"github.com/leadqual/leadqual/lead"
)

// The VM's view of a lead's activities and interests.
//
// Rules see activities as a list of records with .kind, .at, .asset,
// .product, .channel, .intent and .attrs (Activity), and interests with
// .topic, .first_seen and .last_seen (Interest). Nothing copies the lead's
// lists into such records: the VM iterates over the positions of the
// activities in the lead (boxed ints, from a table shared by every
// evaluation), and Compile rewrites every read of a member of an element
// into a call of an accessor bound to the evaluation's state, which reads
// the lead's own activity. An evaluation whose activities are all at or
// before now hands the VM a slice of the shared table; one with activities
// after now, a list of the positions of the others, in a buffer of the
// state.
//
// The type checker still sees []*Activity and []*Interest, so that rules
// are checked and priced as before; the language guarantees that an
// element is only ever read through its members (see checkElements), so
// that its representation cannot be observed.

// elementType reports whether t is the type of an element of activities or
// interests.
func elementType(t reflect.Type) bool {
	return t != nil && t.Kind() == reflect.Pointer && (t.Elem() == activityType || t.Elem() == interestType)
}

// elementList reports whether t is a list of elements of activities or
// interests.
func elementList(t reflect.Type) bool {
	return t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && elementType(t.Elem())
}

// sharedIndexes are the positions 0 to DefaultMaxActivities-1, boxed: the
// view of every lead within the default limits. Immutable once built.
var sharedIndexes = sync.OnceValue(func() []any { return boxedIndexes(max(DefaultMaxActivities, DefaultMaxInterests)) })

func boxedIndexes(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// indexes returns the positions 0 to n-1, boxed. The slice is shared: the
// VM only reads it.
func (p *Policy) indexes(n int) []any {
	if all := sharedIndexes(); n <= len(all) {
		return all[:n:n]
	}
	return p.bigIndexes()[:n:n]
}

// activityView returns the activities the VM sees: those at or before now.
func (st *state) activityView() []any {
	acts := st.l.Activities
	all := st.p.indexes(len(acts))
	if st.future == 0 {
		return all
	}
	nowN := nanos(st.now)
	st.acts = st.acts[:0]
	for i := range acts {
		if nanos(acts[i].At) <= nowN {
			st.acts = append(st.acts, all[i])
		}
	}
	return st.acts
}

// Accessor names: the functions that read a member of an element, in the
// instrumented programs.
const (
	accessActivity = "$activity_"
	accessInterest = "$interest_"
	accessType     = "$type_" // + "activity" or "interest": type() of an element
)

// elementTypeNames are what type() says of an activity and of an
// interest: what expr's type() says of the record the rules are checked
// against (the VM dereferences a pointer before a builtin sees it), as
// when the VM held records.
var elementTypeNames = map[reflect.Type]string{
	activityType: builtin.Type(reflect.Zero(activityType).Interface()).(string),
	interestType: builtin.Type(reflect.Zero(interestType).Interface()).(string),
}

// accessorTypes are the types of the accessors, for the type checker.
var accessorTypes = func() map[string]any {
	m := map[string]any{accessType + "activity": (func(any) string)(nil), accessType + "interest": (func(any) string)(nil)}
	for name := range members[activityType] {
		m[accessActivity+name] = accessorType(name)
	}
	for name := range members[interestType] {
		m[accessInterest+name] = accessorType(name)
	}
	return m
}()

// accessorType is func(any) any for every member: the value boxed, from
// the tables of the policy where they have it (kinds, intents, the empty
// string), so that reading them allocates nothing.
func accessorType(string) any { return (func(any) any)(nil) }

// viewFuncs returns the accessors bound to st: each reads a member of the
// activity or interest at a position of st's lead. Reading a member of nil
// (find found nothing) fails with the VM's own message.
func (st *state) viewFuncs() map[string]any {
	act := func(member string, x any) *lead.Activity {
		i, ok := x.(int)
		if !ok {
			panic(fmt.Sprintf("cannot get %v from %T", member, x))
		}
		return &st.l.Activities[i]
	}
	in := func(member string, x any) *lead.Interest {
		i, ok := x.(int)
		if !ok {
			panic(fmt.Sprintf("cannot get %v from %T", member, x))
		}
		return &st.l.Interests[i]
	}
	vocab := st.p.vocab
	return map[string]any{
		accessActivity + "kind": func(x any) any {
			k := act("kind", x).Kind
			if i := vocab.index.lookup(k); i >= 0 {
				return vocab.boxed[i]
			}
			return boxString(string(k))
		},
		accessActivity + "at":         func(x any) any { return act("at", x).At },
		accessActivity + "asset":      func(x any) any { return boxString(act("asset", x).Asset) },
		accessActivity + "product":    func(x any) any { return boxString(act("product", x).Product) },
		accessActivity + "channel":    func(x any) any { return boxString(string(act("channel", x).Channel)) },
		accessActivity + "intent":     func(x any) any { return boxedIntents[st.p.intentOf(act("intent", x).Kind)] },
		accessActivity + "attrs":      func(x any) any { return act("attrs", x).Attrs },
		accessInterest + "topic":      func(x any) any { return boxString(in("topic", x).Topic) },
		accessInterest + "first_seen": func(x any) any { return in("first_seen", x).FirstSeen },
		accessInterest + "last_seen":  func(x any) any { return in("last_seen", x).LastSeen },
		// type(#) of an element, or of nil (find found nothing).
		accessType + "activity": func(x any) string { return elementTypeName(x, activityType) },
		accessType + "interest": func(x any) string { return elementTypeName(x, interestType) },
	}
}

// elementTypeName is what type() says of x, an element of type t or nil.
func elementTypeName(x any, t reflect.Type) string {
	if x == nil {
		return "nil"
	}
	return elementTypeNames[t]
}

// viewChains rewrites each chain whose optional member reads an element
// (find(activities, p)?.at) so that the element is read once into a
// variable and the chain tested for nil explicitly:
//
//	let $element0 = find(activities, p); $element0 == nil ? nil : $element0.at
//
// The member then reads a known element, like any other, and the rest of
// the chain keeps its own optional members.
func (c *compilation) viewChains(tree *parser.Tree) {
	n := 0
	var walk func(np *ast.Node)
	walk = func(np *ast.Node) {
		if *np == nil {
			return
		}
		for _, ch := range childPointers(*np) {
			walk(ch)
		}
		ch, ok := (*np).(*ast.ChainNode)
		if !ok {
			return
		}
		for spine := ch.Node; spine != nil; {
			switch m := spine.(type) {
			case *ast.MemberNode:
				if m.Optional && elementType(m.Node.Type()) {
					name := "$element" + strconv.Itoa(n)
					n++
					base := m.Node
					ref := func() ast.Node {
						id := &ast.IdentifierNode{Value: name}
						id.SetType(base.Type())
						return id
					}
					m.Node, m.Optional = ref(), false
					ch.Node = &ast.VariableDeclaratorNode{Name: name, Value: base, Expr: &ast.ConditionalNode{
						Cond: &ast.BinaryNode{Operator: "==", Left: ref(), Right: &ast.NilNode{}},
						Exp1: &ast.NilNode{},
						Exp2: ch.Node,
					}}
					return
				}
				spine = m.Node
			case *ast.SliceNode:
				spine = m.Node
			default:
				spine = nil
			}
		}
	}
	walk(&tree.Node)
}

// access returns the node that replaces n when n reads an element: a call
// of its accessor (#.kind, first(activities).at) or of type(); nil
// otherwise.
func access(n ast.Node) ast.Node {
	switch n := n.(type) {
	case *ast.MemberNode:
		prop, ok := n.Property.(*ast.StringNode)
		if !ok || !elementType(n.Node.Type()) {
			return nil
		}
		prefix := accessActivity
		if n.Node.Type().Elem() == interestType {
			prefix = accessInterest
		}
		call := &ast.CallNode{Callee: &ast.IdentifierNode{Value: prefix + prop.Value}, Arguments: []ast.Node{n.Node}}
		call.SetType(n.Type())
		return call
	case *ast.BuiltinNode:
		if n.Name == "type" && len(n.Arguments) == 1 && elementType(n.Arguments[0].Type()) {
			name := accessType + "activity"
			if n.Arguments[0].Type().Elem() == interestType {
				name = accessType + "interest"
			}
			call := &ast.CallNode{Callee: &ast.IdentifierNode{Value: name}, Arguments: n.Arguments}
			call.SetType(n.Type())
			return call
		}
	}
	return nil
}

// checkElements holds a checked expression to reading elements of
// activities and interests through their members: an element, or a list
// of them, may be iterated, counted, indexed, sliced, chosen by a
// condition or compared with nil, but not compared with another, put in a
// list or a map, or handed to a function. (Their representation in the VM
// is not a record; see the top of this file.)
func (v *verifier) checkElements(np *ast.Node) {
	var walk func(parent ast.Node, np *ast.Node)
	walk = func(parent ast.Node, np *ast.Node) {
		n := *np
		if n == nil || v.failed {
			return
		}
		if t := n.Type(); (elementType(t) || elementList(t)) && !elementUseAllowed(parent, n) {
			what := "an activity"
			if t.Elem() == interestType || t.Kind() == reflect.Pointer && t.Elem() == interestType ||
				elementList(t) && t.Elem().Elem() == interestType {
				what = "an interest"
			}
			v.fail(n, "%s is read through its fields (.kind, .at, ...): it cannot be compared, collected or passed as a whole", what)
			return
		}
		for _, ch := range childPointers(n) {
			walk(n, ch)
		}
	}
	walk(nil, np)
}

// elementUseAllowed reports whether parent may take n, an element or a
// list of elements, as its child.
func elementUseAllowed(parent, n ast.Node) bool {
	switch p := parent.(type) {
	case *ast.MemberNode:
		return p.Node == n
	case *ast.SliceNode:
		return p.Node == n
	case *ast.ChainNode, *ast.PredicateNode:
		return true
	case *ast.BuiltinNode:
		switch {
		case p.Map == n:
			return true
		case p.Name == "type", p.Name == "len", p.Name == "first", p.Name == "last", builtins[p.Name].iterates:
			return len(p.Arguments) > 0 && p.Arguments[0] == n
		}
	case *ast.ConditionalNode:
		return p.Cond != n && p.Type() == n.Type()
	case *ast.BinaryNode:
		switch p.Operator {
		case "??":
			return p.Type() == n.Type()
		case "==", "!=":
			_, l := p.Left.(*ast.NilNode)
			_, r := p.Right.(*ast.NilNode)
			return l || r
		}
	}
	return false
}
