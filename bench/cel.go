package bench

import (
	"errors"
	"fmt"
	"reflect"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/ext"
	"cel.dev/cel-go/interpreter"
	"github.com/leadqual/leadqual/lead"
)

// celLeadType is the CEL type of the lead: opaque, read through its member
// functions (the helpers).
var celLeadType = cel.OpaqueType("bench.lead")

// celLead is the lead as a CEL value.
type celLead struct{ scan Scan }

func (c *celLead) ConvertToNative(reflect.Type) (any, error) {
	return nil, errors.New("bench.lead has no native form")
}

func (c *celLead) ConvertToType(t ref.Type) ref.Val {
	if t == types.TypeType {
		return celLeadType
	}
	return types.NewErr("bench.lead cannot be converted to %v", t)
}

func (c *celLead) Equal(other ref.Val) ref.Val { return types.Bool(other == ref.Val(c)) }
func (c *celLead) Type() ref.Type              { return celLeadType }
func (c *celLead) Value() any                  { return c.scan }

// celActivation resolves the rules' variables for one lead without
// building a map.
type celActivation struct {
	l      *lead.Lead
	now    types.Timestamp
	lead   celLead
	role   types.String
	budget types.Double
}

func (a *celActivation) ResolveName(name string) (any, bool) {
	l := a.l
	switch name {
	case "lead":
		return &a.lead, true
	case "lost_reason":
		return types.String(l.LostReason), true
	case "role":
		return a.role, true
	case "employees":
		return types.Int(l.Company.Employees), true
	case "country":
		return types.String(l.Company.Country), true
	case "budget":
		return a.budget, true
	case "budget_known":
		return types.Bool(l.Budget.Known() && l.Budget.Currency == "GBP"), true
	case "fields":
		if l.Fields == nil {
			return map[string]any{}, true
		}
		return l.Fields, true
	case "expected_purchase":
		return types.Timestamp{Time: l.ExpectedPurchase}, true
	case "expected_known":
		return types.Bool(!l.ExpectedPurchase.IsZero()), true
	case "now":
		return a.now, true
	}
	return nil, false
}

func (a *celActivation) Parent() interpreter.Activation { return nil }

// CEL is the policy compiled for cel-go: one program per condition and per
// points expression. Not safe for concurrent use (its activation is
// reused); give each goroutine its own.
type CEL struct {
	when, points []cel.Program
	act          celActivation
}

// NewCEL compiles the rules for cel-go.
func NewCEL() (*CEL, error) {
	scan := func(v ref.Val) Scan { return v.(*celLead).scan }
	env, err := cel.NewEnv(
		ext.Math(),
		cel.Variable("lead", celLeadType),
		cel.Variable("lost_reason", cel.StringType),
		cel.Variable("role", cel.StringType),
		cel.Variable("employees", cel.IntType),
		cel.Variable("country", cel.StringType),
		cel.Variable("budget", cel.DoubleType),
		cel.Variable("budget_known", cel.BoolType),
		cel.Variable("fields", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("expected_purchase", cel.TimestampType),
		cel.Variable("expected_known", cel.BoolType),
		cel.Variable("now", cel.TimestampType),
		cel.Function("count", cel.MemberOverload("lead_count_string_int",
			[]*cel.Type{celLeadType, cel.StringType, cel.IntType}, cel.IntType,
			cel.FunctionBinding(func(args ...ref.Val) ref.Val {
				return types.Int(scan(args[0]).Count(string(args[1].(types.String)), int(args[2].(types.Int))))
			}))),
		cel.Function("count_all", cel.MemberOverload("lead_count_all_int",
			[]*cel.Type{celLeadType, cel.IntType}, cel.IntType,
			cel.BinaryBinding(func(l, days ref.Val) ref.Val {
				return types.Int(scan(l).CountAll(int(days.(types.Int))))
			}))),
		cel.Function("signals", cel.MemberOverload("lead_signals_string",
			[]*cel.Type{celLeadType, cel.StringType}, cel.IntType,
			cel.BinaryBinding(func(l, intent ref.Val) ref.Val {
				return types.Int(scan(l).Signals(string(intent.(types.String))))
			}))),
		cel.Function("fresh", cel.MemberOverload("lead_fresh_string",
			[]*cel.Type{celLeadType, cel.StringType}, cel.BoolType,
			cel.BinaryBinding(func(l, kind ref.Val) ref.Val {
				return types.Bool(scan(l).Fresh(string(kind.(types.String))))
			}))),
		cel.Function("since", cel.MemberOverload("lead_since_string",
			[]*cel.Type{celLeadType, cel.StringType}, cel.DurationType,
			cel.BinaryBinding(func(l, kind ref.Val) ref.Val {
				return types.Duration{Duration: scan(l).Since(string(kind.(types.String)))}
			}))),
	)
	if err != nil {
		return nil, err
	}
	compile := func(src string) (cel.Program, error) {
		ast, iss := env.Compile(src)
		if iss.Err() != nil {
			return nil, iss.Err()
		}
		return env.Program(ast, cel.EvalOptions(cel.OptOptimize))
	}
	c := &CEL{}
	for _, r := range Rules {
		w, err := compile(r.CEL)
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", r.Name, err)
		}
		var pts cel.Program
		if r.CELPoints != "" {
			if pts, err = compile(r.CELPoints); err != nil {
				return nil, fmt.Errorf("rule %s points: %w", r.Name, err)
			}
		}
		c.when, c.points = append(c.when, w), append(c.points, pts)
	}
	return c, nil
}

// Eval decides l at now.
func (c *CEL) Eval(l *lead.Lead, now time.Time) (Outcome, error) {
	a := &c.act
	a.l, a.now, a.lead = l, types.Timestamp{Time: now}, celLead{scan: Scan{L: l, Now: now}}
	a.role, a.budget = types.String(l.Contact.Role.String()), 0
	if l.Budget.Known() && l.Budget.Currency == "GBP" {
		a.budget = types.Double(l.Budget.Amount.InexactFloat64())
	}
	o := Outcome{Matched: make([]string, 0, len(Rules))}
	for i := range Rules {
		out, _, err := c.when[i].Eval(a)
		if err != nil {
			return Outcome{}, fmt.Errorf("rule %s: %w", Rules[i].Name, err)
		}
		if out != types.True {
			continue
		}
		var pts float64
		if c.points[i] != nil {
			v, _, err := c.points[i].Eval(a)
			if err != nil {
				return Outcome{}, fmt.Errorf("rule %s points: %w", Rules[i].Name, err)
			}
			n, ok := v.(types.Int)
			if !ok {
				return Outcome{}, fmt.Errorf("rule %s points: %v is not an int", Rules[i].Name, v)
			}
			pts = float64(n)
		}
		o.tally(&Rules[i], pts)
	}
	return o, nil
}
