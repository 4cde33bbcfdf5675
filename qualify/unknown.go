package qualify

import (
	"errors"
	"slices"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/leadqual/leadqual/lead"
)

// The inputs a rule may read that a lead may not state: custom fields, and
// the amounts of money (zero Money means unknown).
var moneyInputs = []string{"budget", "value"}

// inputs records, at Compile, which unknowable inputs a rule reads, so that
// a rule that fails on one can be told apart from a rule that is wrong.
type inputs struct {
	// fields are the custom field paths the rule reads with constant names
	// (fields.plan, fields["seats"], fields.address.country).
	fields [][]string
	// names are the fields' paths as Unjudged names them:
	// "fields.address.country".
	names []string
	// money are the money variables it reads.
	money []string
}

// add records what one parsed expression reads.
func (in *inputs) add(t *parsed) {
	for _, m := range moneyInputs {
		if t.idents[m] && !slices.Contains(in.money, m) {
			in.money = append(in.money, m)
		}
	}
	eq := &equalityOperands{set: map[ast.Node]bool{}}
	ast.Walk(&t.tree.Node, eq)
	v := &fieldVisitor{skip: eq.set}
	ast.Walk(&t.tree.Node, v)
	for _, path := range v.paths {
		if !slices.ContainsFunc(in.fields, func(p []string) bool { return slices.Equal(p, path) }) {
			in.fields = append(in.fields, path)
			in.names = append(in.names, "fields."+strings.Join(path, "."))
		}
	}
}

// fieldVisitor collects the member chains rooted at the fields variable
// whose properties are all constant strings, but for those in skip.
type fieldVisitor struct {
	skip  map[ast.Node]bool
	paths [][]string
}

func (v *fieldVisitor) Visit(np *ast.Node) {
	if v.skip[*np] {
		return
	}
	if path, ok := fieldPath(*np); ok {
		v.paths = append(v.paths, path)
	}
}

// equalityOperands collects the direct operands of == and !=: a missing
// field compared for equality is judged (nil equals nothing but nil), so
// its absence is not why a rule failed. The chain leading to it still
// counts: fields.address.region needs fields.address.
type equalityOperands struct{ set map[ast.Node]bool }

func (v *equalityOperands) Visit(np *ast.Node) {
	if b, ok := (*np).(*ast.BinaryNode); ok && (b.Operator == "==" || b.Operator == "!=") {
		v.set[b.Left], v.set[b.Right] = true, true
	}
}

func fieldPath(n ast.Node) ([]string, bool) {
	m, ok := n.(*ast.MemberNode)
	if !ok {
		return nil, false
	}
	prop, ok := m.Property.(*ast.StringNode)
	if !ok {
		return nil, false
	}
	if id, ok := m.Node.(*ast.IdentifierNode); ok {
		return []string{prop.Value}, id.Value == "fields"
	}
	inner := m.Node
	if c, ok := inner.(*ast.ChainNode); ok {
		inner = c.Node
	}
	parent, ok := fieldPath(inner)
	if !ok {
		return nil, false
	}
	return append(parent, prop.Value), true
}

// unknownInput returns the input whose absence made the rule fail with
// err, or "" when the failure is the rule's own (a type confusion, an
// arithmetic fault, a limit): a custom field the rule reads that the lead
// does not have, or an unknown amount of money it compared.
func (r *compiledRule) unknownInput(l *lead.Lead, err error) string {
	switch err { // the fast path's faults, without unwrapping: sparse data is common
	case errUnknownMoney:
		return r.unknownMoney(l)
	case errUnknownField:
		return r.unknownField(l)
	}
	var lim *LimitError
	if errors.As(err, &lim) || errors.Is(err, ErrArithmetic) {
		return ""
	}
	if errors.Is(err, lead.ErrUnknownAmount) {
		return r.unknownMoney(l)
	}
	return r.unknownField(l)
}

func (r *compiledRule) unknownMoney(l *lead.Lead) string {
	for _, m := range r.inputs.money {
		if m == "budget" && !l.Budget.Known() || m == "value" && !l.Value.Known() {
			return m
		}
	}
	return "money"
}

func (r *compiledRule) unknownField(l *lead.Lead) string {
	for i, path := range r.inputs.fields {
		if !hasField(l.Fields, path) {
			return r.inputs.names[i]
		}
	}
	return ""
}

// hasField reports whether the custom fields hold a value at path: false
// when a map on the way lacks the next name, or holds nil for it. A value
// on the way that is not a map is there (reading into it is the rule's own
// type error, not an unknown input).
func hasField(fields map[string]any, path []string) bool {
	var cur any = fields
	for _, name := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return true
		}
		if cur, ok = m[name]; !ok || cur == nil {
			return false
		}
	}
	return true
}

// Reason templates: a rule's reason may name the activity that made it
// true, in the policy's words, with {need} (the newest fresh need
// activity) or {interest} (the newest fresh interest activity). The
// phrases are resolved at Compile for every kind the vocabulary gives that
// intent, so that a matched rule costs no string building.
const (
	placeholderNeed     = "{need}"
	placeholderInterest = "{interest}"
)

// reasonTemplate fills r's reasonBy table when its reason has a
// placeholder. agg is the policy's aggregate plan: the table is indexed
// like its kinds.
func (r *compiledRule) reasonTemplate(v *Vocabulary, agg *aggPlan) {
	hasNeed := strings.Contains(r.reason, placeholderNeed)
	hasInterest := strings.Contains(r.reason, placeholderInterest)
	if !hasNeed && !hasInterest {
		return
	}
	fill := func(need, interest string) string { return fillReason(r.reason, need, interest) }
	const anyNeed, anyInterest = "asked to be helped", "showed interest"
	r.reasonNone = fill(anyNeed, anyInterest)
	// One table per placeholder: a reason names one activity of each.
	r.reasonBy = make([]string, len(agg.kinds))
	for i, k := range agg.kinds {
		d := v.Describe(k.kind)
		switch k.intent {
		case lead.IntentNeed:
			r.reasonBy[i] = fill(d, anyInterest)
		case lead.IntentInterest:
			r.reasonBy[i] = fill(anyNeed, d)
		}
	}
	r.templateIntent = lead.IntentInterest
	if hasNeed {
		r.templateIntent = lead.IntentNeed
	}
}

// fillReason replaces every placeholder of reason in one pass (a
// description that holds a placeholder is not replaced again), as
// strings.NewReplacer would, without building one for each kind.
func fillReason(reason, need, interest string) string {
	var b strings.Builder
	b.Grow(len(reason) + len(need) + len(interest))
	for {
		i := strings.IndexByte(reason, '{')
		if i < 0 {
			b.WriteString(reason)
			return b.String()
		}
		b.WriteString(reason[:i])
		switch rest := reason[i:]; {
		case strings.HasPrefix(rest, placeholderNeed):
			b.WriteString(need)
			reason = rest[len(placeholderNeed):]
		case strings.HasPrefix(rest, placeholderInterest):
			b.WriteString(interest)
			reason = rest[len(placeholderInterest):]
		default:
			b.WriteByte('{')
			reason = rest[1:]
		}
	}
}

// reasonFor returns the reason of a matched templated rule on lead l.
func (r *compiledRule) reasonFor(p *Policy, l *lead.Lead, lastNeed, lastInterest int) string {
	i := lastInterest
	if r.templateIntent == lead.IntentNeed {
		i = lastNeed
	}
	if i < 0 {
		return r.reasonNone
	}
	if k := p.agg.index.lookup(l.Activities[i].Kind); k >= 0 && r.reasonBy[k] != "" {
		return r.reasonBy[k]
	}
	return r.reasonNone
}
