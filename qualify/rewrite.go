package qualify

import (
	"fmt"
	"slices"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/leadqual/leadqual/lead"
)

// rewriter walks a parsed expression before it is type-checked. It
//
//   - bounds the depth of the syntax tree;
//   - turns member paths of the lead (contact.role, company.employees,
//     consent.email) into single flat variables, so that reading one is one
//     map load;
//   - resolves the helpers whose arguments are constants (count, fresh,
//     since, signals, interested, known, money, days, ...) into slots that
//     Evaluate computes once per lead in one pass over its activities, or
//     into constants;
//   - refuses what the rule language does not have (see language.go): any
//     call but of its functions (so no method of any value), builtins it
//     does not list, $env and every other name starting with $, let,
//     ranges, sequences, byte strings; nested iteration over the lead's
//     collections; and literal patterns whose program would exceed
//     MaxRegexProgram, before they are ever compiled.
//
// It stops at the first problem of an expression.
type rewriter struct {
	c                *compilation
	rule, field, src string
	failed           bool
	// idents are the environment names the expression reads.
	idents map[string]bool
}

func (w *rewriter) fail(loc file.Location, err error, format string, args ...any) {
	if w.failed {
		return
	}
	w.failed = true
	w.c.problemAt(w.rule, w.field, w.src, loc, err, format, args...)
}

// walk visits *np; depth is its depth in the tree, pred how many
// iterations (predicate bodies) enclose it.
func (w *rewriter) walk(np *ast.Node, depth, pred int) {
	if w.failed || *np == nil {
		return
	}
	n := *np
	if depth > w.c.limits.MaxDepth {
		lim := &LimitError{Limit: "MaxDepth", Max: w.c.limits.MaxDepth, Got: depth, Where: "rule " + w.rule + " " + w.field}
		w.fail(n.Location(), lim, "%s", lim.Error())
		return
	}
	d := depth + 1
	switch n := n.(type) {
	case *ast.NilNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.StringNode, *ast.ConstantNode:
	case *ast.PointerNode:
		if n.Name != "" && n.Name != "index" {
			w.fail(n.Location(), nil, "#%s is not available in rules: # is the element, #index its position", n.Name)
		}
	case *ast.BytesNode:
		w.fail(n.Location(), nil, "byte strings are not part of the rule language: write a string")
	case *ast.IdentifierNode:
		w.ident(n, pred)
	case *ast.MemberNode:
		if id, ok := n.Node.(*ast.IdentifierNode); ok && roots[id.Value] {
			w.path(np, id, n.Property)
			return
		}
		w.walk(&n.Node, d, pred)
		w.walk(&n.Property, d, pred)
	case *ast.CallNode:
		w.call(np, n, d, pred)
	case *ast.BuiltinNode:
		w.builtin(np, n, d, pred)
	case *ast.PredicateNode:
		w.walk(&n.Node, d, pred)
	case *ast.UnaryNode:
		switch n.Operator {
		case "!", "not", "-", "+":
		default:
			w.fail(n.Location(), nil, "the operator %s is not part of the rule language", n.Operator)
			return
		}
		w.walk(&n.Node, d, pred)
	case *ast.BinaryNode:
		if n.Operator == ".." {
			w.fail(n.Location(), nil, "ranges (a..b) are not available in rules: iterate over the lead's activities or interests")
			return
		}
		if _, ok := operators[n.Operator]; !ok {
			w.fail(n.Location(), nil, "the operator %s is not part of the rule language", n.Operator)
			return
		}
		if n.Operator == "matches" {
			w.pattern(n.Right)
		}
		w.walk(&n.Left, d, pred)
		w.walk(&n.Right, d, pred)
	case *ast.ChainNode:
		w.walk(&n.Node, d, pred)
	case *ast.SliceNode:
		w.walk(&n.Node, d, pred)
		w.walk(&n.From, d, pred)
		w.walk(&n.To, d, pred)
	case *ast.ConditionalNode:
		w.walk(&n.Cond, d, pred)
		w.walk(&n.Exp1, d, pred)
		w.walk(&n.Exp2, d, pred)
	case *ast.VariableDeclaratorNode:
		w.fail(n.Location(), nil, "let is not available in rules: write the expression where it is used")
	case *ast.SequenceNode:
		w.fail(n.Location(), nil, "sequences (a; b) are not part of the rule language: a rule is one expression")
	case *ast.ArrayNode:
		for i := range n.Nodes {
			w.walk(&n.Nodes[i], d, pred)
		}
	case *ast.MapNode:
		for i := range n.Pairs {
			w.walk(&n.Pairs[i], d, pred)
		}
	case *ast.PairNode:
		w.walk(&n.Key, d, pred)
		w.walk(&n.Value, d, pred)
	default:
		w.fail(n.Location(), nil, "unsupported syntax (%T)", n)
	}
}

func (w *rewriter) ident(n *ast.IdentifierNode, pred int) {
	switch {
	case n.Value == "$env":
		w.fail(n.Location(), nil, "$env is not available in rules: name the variable")
	case strings.HasPrefix(n.Value, "$"):
		w.fail(n.Location(), nil, "unknown name %s", n.Value)
	case roots[n.Value]:
		w.fail(n.Location(), nil, "%s is not a value: name one of its fields, e.g. %s", n.Value, rootExample[n.Value])
	case (n.Value == varActivities || n.Value == varInterests) && pred > 0:
		w.fail(n.Location(), nil, "%s inside an iteration: nested iteration over the lead's collections is refused (its cost grows with the square of the collection)", n.Value)
	case helpers[n.Value] != nil:
		w.fail(n.Location(), nil, "%s is a function: call it, e.g. %s", n.Value, helpers[n.Value].usage)
	default:
		w.idents[n.Value] = true
	}
}

var rootExample = map[string]string{"contact": "contact.role", "company": "company.employees", "consent": "consent.email"}

// path rewrites root.prop into the flat variable "root.prop".
func (w *rewriter) path(np *ast.Node, root *ast.IdentifierNode, prop ast.Node) {
	s, ok := prop.(*ast.StringNode)
	if !ok {
		w.fail(prop.Location(), nil, "%s fields are named, e.g. %s", root.Value, rootExample[root.Value])
		return
	}
	name := root.Value + "." + s.Value
	if root.Value == "consent" {
		if !validChannel(s.Value) {
			w.fail(prop.Location(), nil, "%q is not a channel name (lower-case letters, digits and _)", s.Value)
			return
		}
		if ch := lead.Channel(s.Value); !slices.Contains(w.c.channels, ch) {
			w.c.channels = append(w.c.channels, ch)
		}
	} else if !slices.ContainsFunc(variables, func(v variable) bool { return v.name == name }) {
		var fields []string
		for _, v := range variables {
			if f, ok := strings.CutPrefix(v.name, root.Value+"."); ok {
				fields = append(fields, f)
			}
		}
		w.fail(prop.Location(), nil, "unknown field %s (%s has: %s)", name, root.Value, strings.Join(fields, ", "))
		return
	}
	w.idents[name] = true
	ast.Patch(np, &ast.IdentifierNode{Value: name})
}

func validChannel(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func (w *rewriter) call(np *ast.Node, n *ast.CallNode, d, pred int) {
	id, ok := n.Callee.(*ast.IdentifierNode)
	if !ok {
		// What the callee is called on, and the arguments, may hold a
		// problem more telling than the call itself: now().Hour().
		if m, isMember := n.Callee.(*ast.MemberNode); isMember {
			w.walk(&m.Node, d, pred)
		}
		for i := range n.Arguments {
			w.walk(&n.Arguments[i], d, pred)
		}
		if w.failed {
			return
		}
		if m, isMember := n.Callee.(*ast.MemberNode); isMember {
			name := "a method"
			if s, named := m.Property.(*ast.StringNode); named {
				name = s.Value
			}
			w.fail(n.Location(), nil, "%s: methods are not part of the rule language; call one of its functions, e.g. upper(s), amount(m)", name)
			return
		}
		w.fail(n.Location(), nil, "only the functions of the rule language can be called")
		return
	}
	h := helpers[id.Value]
	if h == nil {
		for i := range n.Arguments {
			w.walk(&n.Arguments[i], d, pred)
		}
		if w.failed {
			return
		}
		why := unavailable[id.Value]
		if why == "" {
			w.fail(n.Location(), nil, "%s is not a function of the rule language", id.Value)
		} else {
			w.fail(n.Location(), nil, "%s is not available in rules: %s", id.Value, why)
		}
		return
	}
	for i := range n.Arguments {
		w.walk(&n.Arguments[i], d, pred)
	}
	if w.failed {
		return
	}
	if h.arity != len(n.Arguments) {
		w.fail(n.Location(), nil, "%s takes %d argument(s): %s", id.Value, h.arity, h.usage)
		return
	}
	if h.resolve == nil {
		return
	}
	if repl := h.resolve(w, n); repl != nil && !w.failed {
		ast.Patch(np, repl)
	}
}

func (w *rewriter) builtin(np *ast.Node, n *ast.BuiltinNode, d, pred int) {
	// len(activities) and len(interests) are counted by the aggregate
	// pass: a slot, which reads no list.
	if id, ok := lenOf(n); ok && pred == 0 {
		s := slot{op: slotCount, kind: everyKind} // every activity at or before now
		if id == varInterests {
			s = slot{op: slotInterests}
		}
		ast.Patch(np, w.slot(s))
		return
	}
	b, ok := builtins[n.Name]
	if !ok {
		why := unavailable[n.Name]
		if n.Name == "count" {
			why = `count here counts activities: count("pricing_request", "30d"); to count matches use len(filter(...))`
		}
		if why == "" {
			why = "it is not part of the rule language"
		}
		w.fail(n.Location(), nil, "%s is not available in rules: %s", n.Name, why)
		return
	}
	if b.iterates && pred > 0 {
		w.fail(n.Location(), nil, "%s inside an iteration: nested iteration is refused (its cost grows with the square of the collection)", n.Name)
		return
	}
	for i := range n.Arguments {
		if p, ok := n.Arguments[i].(*ast.PredicateNode); ok {
			w.walk(&p.Node, d+1, pred+1)
			continue
		}
		w.walk(&n.Arguments[i], d, pred)
	}
}

// lenOf reports whether n is len(activities) or len(interests), and which.
func lenOf(n *ast.BuiltinNode) (string, bool) {
	if n.Name != "len" || len(n.Arguments) != 1 {
		return "", false
	}
	id, ok := n.Arguments[0].(*ast.IdentifierNode)
	if !ok || id.Value != varActivities && id.Value != varInterests {
		return "", false
	}
	return id.Value, true
}

// pattern checks the pattern of matches: a string literal whose program
// is within MaxRegexProgram. Its size is estimated from the syntax tree
// before anything is compiled (a pattern of 4 kB can compile to a program
// of hundreds of megabytes), then measured exactly.
func (w *rewriter) pattern(n ast.Node) {
	lit, ok := n.(*ast.StringNode)
	if !ok {
		w.fail(n.Location(), nil, "the pattern of matches must be a string literal")
		return
	}
	if _, seen := w.c.regexes[lit.Value]; seen {
		return
	}
	size, err := regexProgram(lit.Value, w.c.limits.MaxRegexProgram)
	if err != nil {
		w.fail(n.Location(), err, "%v", err)
		return
	}
	w.c.regexes[lit.Value] = size
}

// Helpers used by resolvers.

func (w *rewriter) stringArg(n *ast.CallNode, i int, what string) (string, bool) {
	s, ok := n.Arguments[i].(*ast.StringNode)
	if !ok || s.Value == "" {
		w.fail(n.Arguments[i].Location(), nil, "%s must be a non-empty string literal, e.g. %s", what, helpers[calleeName(n)].usage)
		return "", false
	}
	return s.Value, true
}

func calleeName(n *ast.CallNode) string {
	if id, ok := n.Callee.(*ast.IdentifierNode); ok {
		return id.Value
	}
	return ""
}

func (w *rewriter) slot(s slot) ast.Node {
	key := w.c.addSlot(s).key
	w.idents[key] = true
	return &ast.IdentifierNode{Value: key}
}

func (c *compilation) addSlot(s slot) *slot {
	s.key = s.makeKey()
	if have, ok := c.slots[s.key]; ok {
		return have
	}
	p := &s
	c.slots[s.key] = p
	c.order = append(c.order, p)
	return p
}

func (s *slot) makeKey() string {
	switch s.op {
	case slotCount:
		return fmt.Sprintf("$count(%q,%d)", s.kind, s.window)
	case slotFresh:
		return fmt.Sprintf("$fresh(%q)", s.kind)
	case slotSince:
		return fmt.Sprintf("$since(%q)", s.kind)
	case slotSignals:
		return fmt.Sprintf("$signals(%q)", s.intent)
	case slotInterested:
		return fmt.Sprintf("$interested(%q)", s.topic)
	case slotKnown:
		return fmt.Sprintf("$known(%s)", s.field)
	case slotInterests:
		return "$len(interests)"
	}
	return s.accountKey()
}
