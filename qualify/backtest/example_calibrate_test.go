package backtest_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/qualify/backtest"
)

// Calibrate proposes points and thresholds from history, fitted on 70% of
// the leads (by a hash of their ID) and reported on the other 30%. The
// policy it is given is never changed; the proposal is a new Spec in the
// same JSON form, every rule keeping its name.
func ExampleCalibrate() {
	current := noisyPolicy()
	history := synthetic(20000, 7)
	c, err := backtest.Calibrate(context.Background(), current, seq(history), backtest.CalibrationConfig{
		MQLPrecision: 0.10,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("fitted on %d, held out %d\n", c.Fitting, c.HeldOut)
	for _, p := range c.Points {
		if p.Fired > 0 {
			fmt.Printf("%-18s %4s -> %-4s weight %+.2f\n", p.Rule, clipPoints(p.Before), clipPoints(p.After), p.Weight)
		}
	}
	// A threshold of 0 would read as "the default" in a policy's settings,
	// so "fit >= 0" is written -0.5 when no score lies between.
	t := c.Thresholds
	fmt.Printf("thresholds: fit >= %g, engagement >= %g (reached %t: %s on the fitting part)\n", t.Fit, t.Engagement, t.Reached, t.Precision.Percent())
	held := c.Held.B.Qualified
	fmt.Printf("held out: %d leads qualified, %s converted\n", held.Leads, held.Rate.Percent())

	// The proposal is a policy like any other.
	data, _ := json.Marshal(c.Spec)
	proposed, err := qualify.CompileJSON(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(proposed.Name(), len(proposed.Rules()), "rules")
	// Output:
	// fitted on 13948, held out 6052
	// decision-maker       25 -> 4    weight +0.30
	// influencer           10 -> -1   weight -0.10
	// no-decision-maker   -10 -> -2   weight -0.17
	// company-size         15 -> 0    weight -0.01
	// content-downloads  expr -> expr weight +0.92
	// page-visits        expr -> expr weight -0.01
	// coin                 10 -> 1    weight +0.05
	// thresholds: fit >= -0.5, engagement >= 10 (reached true: 10.9% on the fitting part)
	// held out: 921 leads qualified, 10.3% converted
	// leadqual-default-calibrated 28 rules
}

// clipPoints shortens an expression's points for printing.
func clipPoints(p qualify.Points) string {
	if len(p) > 4 {
		return "expr"
	}
	return string(p)
}
