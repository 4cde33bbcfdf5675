package qualify

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/leadqual/leadqual/lead"
)

// helper is a function of the rule language that Compile resolves.
type helper struct {
	arity int
	usage string
	// resolve returns the node that replaces the call, or nil to keep the
	// call (a runtime function).
	resolve func(w *rewriter, n *ast.CallNode) ast.Node
}

// helpers is the table of the rule language's own functions. Never
// modified after init.
var helpers map[string]*helper

func init() {
	helpers = map[string]*helper{
		"count":      {2, `count("pricing_request", "30d")`, resolveCount},
		"fresh":      {1, `fresh("demo_request")`, resolveKind(slotFresh)},
		"since":      {1, `since("demo_request") < days(7)`, resolveKind(slotSince)},
		"signals":    {1, `signals("need") > 0`, resolveSignals},
		"interested": {1, `interested("RoutePlanner")`, resolveInterested},
		"known":      {1, `known(budget)`, resolveKnown},
		"money":      {2, `money("10000.00", "GBP")`, resolveMoney},
		"amount":     {1, `amount(value) / 1000`, nil},
		"weeks":      {1, `weeks(2)`, resolveDuration(7 * 24 * time.Hour)},
		"days":       {1, `days(14)`, resolveDuration(24 * time.Hour)},
		"hours":      {1, `hours(12)`, resolveDuration(time.Hour)},
		"minutes":    {1, `minutes(30)`, resolveDuration(time.Minute)},
		// Account aggregates: account.go.
		"contacts": {0, `contacts() >= 3`, resolveAccount(slotContacts)},
		"engaged":  {0, `engaged() >= 3`, resolveAccount(slotEngaged)},
		"people":   {1, `people("need") >= 2`, resolvePeople},
		"reached":  {1, `reached("decision_maker")`, resolveReached},
		"roles":    {0, `roles() >= 2`, resolveAccount(slotRoles)},
	}
}

// slotOp says what a slot holds.
type slotOp uint8

const (
	slotCount      slotOp = iota // int: activities of a kind within a window
	slotFresh                    // bool: an activity of a kind within its intent's freshness
	slotSince                    // time.Duration: since the newest activity of a kind
	slotSignals                  // int: fresh activities whose kind has an intent
	slotInterested               // bool: a fresh interest in a topic or product
	slotKnown                    // bool: a money or time variable is known
	slotInterests                // int: len(interests)
	slotContacts                 // int: an account's contacts
	slotEngaged                  // int: its contacts with a fresh need or interest signal
	slotPeople                   // int: its contacts with a fresh signal of an intent
	slotReached                  // bool: an engaged contact of a role
	slotRoles                    // int: the roles its engaged contacts hold
)

// slot is one per-lead aggregate a policy's rules read. Slots are keyed
// by their operation and constant arguments, so that two rules asking for
// count("demo_request", "30d") share one.
type slot struct {
	key    string
	op     slotOp
	pos    int // in the typed slot array of its type, set by plan
	kind   lead.Kind
	window time.Duration
	intent lead.Intent
	topic  string
	field  string
	role   lead.Role // reached()
}

// value returns the slot's value from the state, boxed for the VM.
func (s *slot) value(st *state) any {
	switch {
	case s.isInt():
		return st.ints[s.pos]
	case s.op == slotSince:
		return st.durs[s.pos]
	}
	return boxBool(st.bools[s.pos])
}

func (s *slot) typ() any {
	switch {
	case s.isInt():
		return 0
	case s.op == slotSince:
		return time.Duration(0)
	}
	return false
}

func resolveCount(w *rewriter, n *ast.CallNode) ast.Node {
	kind, ok := w.stringArg(n, 0, "the activity kind")
	if !ok {
		return nil
	}
	var window time.Duration
	switch a := n.Arguments[1].(type) {
	case *ast.StringNode:
		d, err := lead.ParseDuration(a.Value)
		if err != nil {
			w.fail(a.Location(), err, "window: %v", err)
			return nil
		}
		window = d
	case *ast.ConstantNode:
		d, ok := a.Value.(time.Duration)
		if !ok || d <= 0 || d > lead.MaxDuration {
			w.fail(a.Location(), nil, `the window must be a positive duration of at most 100 years, e.g. "30d" or days(30)`)
			return nil
		}
		window = d
	default:
		w.fail(a.Location(), nil, `the window must be a constant, e.g. "30d" or days(30)`)
		return nil
	}
	return w.slot(slot{op: slotCount, kind: lead.Kind(kind), window: window})
}

func resolveKind(op slotOp) func(w *rewriter, n *ast.CallNode) ast.Node {
	return func(w *rewriter, n *ast.CallNode) ast.Node {
		kind, ok := w.stringArg(n, 0, "the activity kind")
		if !ok {
			return nil
		}
		if lead.Kind(kind) == everyKind {
			w.fail(n.Arguments[0].Location(), nil, `"*" means every kind in count("*", window) only: name a kind`)
			return nil
		}
		return w.slot(slot{op: op, kind: lead.Kind(kind)})
	}
}

func resolveSignals(w *rewriter, n *ast.CallNode) ast.Node {
	s, ok := w.stringArg(n, 0, "the intent")
	if !ok {
		return nil
	}
	in, err := lead.ParseIntent(s)
	if err != nil || in == lead.IntentNone {
		w.fail(n.Arguments[0].Location(), err, `signals takes "need", "interest" or "negative", not %q`, s)
		return nil
	}
	return w.slot(slot{op: slotSignals, intent: in})
}

func resolveInterested(w *rewriter, n *ast.CallNode) ast.Node {
	topic, ok := w.stringArg(n, 0, "the product or topic")
	if !ok {
		return nil
	}
	return w.slot(slot{op: slotInterested, topic: topic})
}

// knowable are the variables known() accepts.
var knowable = []string{"budget", "value", "expected_purchase", "renewal"}

func resolveKnown(w *rewriter, n *ast.CallNode) ast.Node {
	// The argument was walked first: a plain identifier is still one.
	if id, ok := n.Arguments[0].(*ast.IdentifierNode); ok {
		for _, k := range knowable {
			if id.Value == k {
				return w.slot(slot{op: slotKnown, field: k})
			}
		}
	}
	w.fail(n.Arguments[0].Location(), nil, "known takes one of %s", strings.Join(knowable, ", "))
	return nil
}

func resolveMoney(w *rewriter, n *ast.CallNode) ast.Node {
	var amount string
	switch a := n.Arguments[0].(type) {
	case *ast.StringNode:
		amount = a.Value
	case *ast.IntegerNode:
		amount = fmt.Sprint(a.Value)
	default:
		w.fail(a.Location(), nil, `the amount must be a string literal (exact decimal), e.g. money("1999.99", "GBP")`)
		return nil
	}
	cur, ok := w.stringArg(n, 1, "the currency")
	if !ok {
		return nil
	}
	m, err := lead.ParseMoney(amount, lead.Currency(cur))
	if err != nil {
		w.fail(n.Location(), err, "%v", err)
		return nil
	}
	return &ast.ConstantNode{Value: &m}
}

// maxConstDuration bounds durations written in rules.
const maxConstDuration = 100 * 365 * 24 * time.Hour

func resolveDuration(unit time.Duration) func(w *rewriter, n *ast.CallNode) ast.Node {
	return func(w *rewriter, n *ast.CallNode) ast.Node {
		v, ok := constantNumber(n.Arguments[0])
		if !ok {
			return nil // computed at run time
		}
		d := v * float64(unit)
		if math.IsNaN(d) || math.Abs(d) > float64(maxConstDuration) {
			w.fail(n.Location(), nil, "duration out of range (at most 100 years)")
			return nil
		}
		return &ast.ConstantNode{Value: time.Duration(d)}
	}
}

// runtimeFunctions are the functions that run in the VM: durations of
// computed numbers, amount(), and the money operators, which compare and
// add money exactly and refuse to mix currencies.
func runtimeFunctions() []expr.Option {
	durationFn := func(name string, unit time.Duration) expr.Option {
		return expr.Function(name, func(params ...any) (any, error) {
			v, ok := toFloat(params[0])
			d := v * float64(unit)
			if !ok || math.IsNaN(d) || math.Abs(d) > float64(maxConstDuration) {
				return nil, fmt.Errorf("%s(%v): duration out of range", name, params[0])
			}
			return time.Duration(d), nil
		}, new(func(int) time.Duration), new(func(float64) time.Duration))
	}
	money := func(p any) (*lead.Money, error) {
		m, ok := p.(*lead.Money)
		if !ok || m == nil {
			return nil, fmt.Errorf("%v is not money", p)
		}
		return m, nil
	}
	pair := func(params []any) (a, b *lead.Money, err error) {
		if a, err = money(params[0]); err == nil {
			b, err = money(params[1])
		}
		return a, b, err
	}
	cmpFn := func(name string, ok func(int) bool) expr.Option {
		return expr.Function(name, func(params ...any) (any, error) {
			a, b, err := pair(params)
			if err != nil {
				return nil, err
			}
			c, err := a.Cmp(*b)
			if err != nil {
				return nil, err
			}
			return ok(c), nil
		}, new(func(*lead.Money, *lead.Money) bool))
	}
	arithFn := func(name string, op func(a, b lead.Money) (lead.Money, error)) expr.Option {
		return expr.Function(name, func(params ...any) (any, error) {
			a, b, err := pair(params)
			if err != nil {
				return nil, err
			}
			r, err := op(*a, *b)
			if err != nil {
				return nil, err
			}
			return &r, nil
		}, new(func(*lead.Money, *lead.Money) *lead.Money))
	}
	return []expr.Option{
		durationFn("weeks", 7*24*time.Hour),
		durationFn("days", 24*time.Hour),
		durationFn("hours", time.Hour),
		durationFn("minutes", time.Minute),
		expr.Function("amount", func(params ...any) (any, error) {
			m, err := money(params[0])
			if err != nil {
				return nil, err
			}
			if !m.Known() {
				return nil, fmt.Errorf("amount: %w", lead.ErrUnknownAmount)
			}
			f, _ := m.Amount.Float64()
			return f, nil
		}, new(func(*lead.Money) float64)),
		cmpFn("money_eq", func(c int) bool { return c == 0 }),
		cmpFn("money_ne", func(c int) bool { return c != 0 }),
		cmpFn("money_lt", func(c int) bool { return c < 0 }),
		cmpFn("money_le", func(c int) bool { return c <= 0 }),
		cmpFn("money_gt", func(c int) bool { return c > 0 }),
		cmpFn("money_ge", func(c int) bool { return c >= 0 }),
		arithFn("money_add", lead.Money.Add),
		arithFn("money_sub", lead.Money.Sub),
		expr.Operator("==", "money_eq"),
		expr.Operator("!=", "money_ne"),
		expr.Operator("<", "money_lt"),
		expr.Operator("<=", "money_le"),
		expr.Operator(">", "money_gt"),
		expr.Operator(">=", "money_ge"),
		expr.Operator("+", "money_add"),
		expr.Operator("-", "money_sub"),
	}
}

// errNotBool is the cause of a RuleError when a `when` of unknown type
// returned something other than a boolean.
var errNotBool = errors.New("when did not return a boolean")
