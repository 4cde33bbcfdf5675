package qualify_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// Every rule has a worst-case cost, estimated at Compile on the largest
// lead the limits admit. A rule over the budget is refused with its cost
// and its largest term; a host whose leads are smaller says so with the
// limits, and the same rule fits.
func ExampleCompile_costBudget() {
	spec := qualify.Spec{Name: "assets", Rules: []qualify.Rule{{
		Name: "pricing-page", When: `any(activities, lower(.asset) contains "pricing")`,
		Intent: lead.IntentNeed, Reason: "read about pricing",
	}}}
	_, err := qualify.Compile(spec)
	var le *qualify.LimitError
	if errors.As(err, &le) {
		fmt.Println(le.Limit, le.Got > le.Max)
	}
	var ce *qualify.CompileError
	if errors.As(err, &ce) {
		p := ce.Problems[0]
		fmt.Printf("rule %s, %s %d:%d\n", p.Rule, p.Field, p.Line, p.Column)
	}

	// Leads from a web form: at most 200 activities of 256 bytes.
	p, err := qualify.Compile(spec, qualify.WithLimits(qualify.Limits{MaxActivities: 200, MaxTextBytes: 256}))
	fmt.Println(err)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	l := &lead.Lead{ID: "L-1", Activities: []lead.Activity{{Kind: lead.KindPageVisit, At: now.Add(-time.Hour), Asset: "/Pricing"}}}
	d, err := qualify.EvaluateAt(context.Background(), p, l, now)
	fmt.Println(d.Verdict, err)
	// Output:
	// MaxRuleCost true
	// rule pricing-page, when 1:17
	// <nil>
	// need <nil>
}

// Arithmetic that has no right answer fails the rule, never matching on a
// wrong number: here an integer overflow in points.
func ExampleArithmeticError() {
	spec := qualify.Spec{Name: "fit", Rules: []qualify.Rule{{
		Name: "seats", When: "true", Dimension: qualify.DimensionFit, Points: "company.employees * 9223372036854775807",
		Reason: "per seat",
	}}}
	p, err := qualify.Compile(spec)
	if err != nil {
		fmt.Println(err)
		return
	}
	l := &lead.Lead{ID: "L-1", Company: lead.Company{Employees: 40}}
	_, err = qualify.EvaluateAt(context.Background(), p, l, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	var ae *qualify.ArithmeticError
	fmt.Println(errors.Is(err, qualify.ErrArithmetic), errors.As(err, &ae) && ae.Fault == "integer overflow")
	fmt.Println(ae)
	// Output:
	// true true
	// integer overflow: 40 * 9223372036854775807
}
