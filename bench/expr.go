package bench

import (
	"fmt"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
	"github.com/leadqual/leadqual/lead"
)

// ExprEnv is the environment of the rules for expr: the lead's fields a
// rule reads, and the helpers as methods.
type ExprEnv struct {
	LostReason, Role, Country string
	Employees                 int
	Budget                    float64
	BudgetKnown               bool
	Fields                    map[string]any
	ExpectedPurchase, Now     time.Time
	ExpectedKnown             bool

	scan Scan
}

func (e *ExprEnv) Count(kind string, days int) int { return e.scan.Count(kind, days) }
func (e *ExprEnv) CountAll(days int) int           { return e.scan.CountAll(days) }
func (e *ExprEnv) Signals(intent string) int       { return e.scan.Signals(intent) }
func (e *ExprEnv) Fresh(kind string) bool          { return e.scan.Fresh(kind) }
func (e *ExprEnv) Since(kind string) time.Duration { return e.scan.Since(kind) }

// Expr is the policy compiled for expr: one program per condition and per
// points expression, run by one VM. Not safe for concurrent use (its VM
// and environment are reused); give each goroutine its own.
type Expr struct {
	when, points []*vm.Program
	vm           vm.VM
	env          ExprEnv
}

// NewExpr compiles the rules for expr.
func NewExpr() (*Expr, error) {
	e := &Expr{}
	for _, r := range Rules {
		w, err := expr.Compile(r.Expr, expr.Env(&ExprEnv{}), expr.AsBool())
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", r.Name, err)
		}
		var pts *vm.Program
		if r.ExprPoints != "" {
			if pts, err = expr.Compile(r.ExprPoints, expr.Env(&ExprEnv{}), expr.AsFloat64()); err != nil {
				return nil, fmt.Errorf("rule %s points: %w", r.Name, err)
			}
		}
		e.when, e.points = append(e.when, w), append(e.points, pts)
	}
	return e, nil
}

// Eval decides l at now.
func (e *Expr) Eval(l *lead.Lead, now time.Time) (Outcome, error) {
	env := &e.env
	*env = ExprEnv{
		LostReason: string(l.LostReason), Role: l.Contact.Role.String(), Country: l.Company.Country,
		Employees: l.Company.Employees, Fields: l.Fields, Now: now,
		ExpectedPurchase: l.ExpectedPurchase, ExpectedKnown: !l.ExpectedPurchase.IsZero(),
		scan: Scan{L: l, Now: now},
	}
	if l.Budget.Known() && l.Budget.Currency == "GBP" {
		env.Budget, env.BudgetKnown = l.Budget.Amount.InexactFloat64(), true
	}
	o := Outcome{Matched: make([]string, 0, len(Rules))}
	for i := range Rules {
		out, err := e.vm.Run(e.when[i], env)
		if err != nil {
			return Outcome{}, fmt.Errorf("rule %s: %w", Rules[i].Name, err)
		}
		if !out.(bool) {
			continue
		}
		var pts float64
		if e.points[i] != nil {
			v, err := e.vm.Run(e.points[i], env)
			if err != nil {
				return Outcome{}, fmt.Errorf("rule %s points: %w", Rules[i].Name, err)
			}
			pts = v.(float64)
		}
		o.tally(&Rules[i], pts)
	}
	return o, nil
}
