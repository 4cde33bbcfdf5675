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
// points are the weights of a logistic regression on every points rule at
// once, so that overlapping rules share their credit ("alone" is what a
// rule would weigh by itself). The policy it is given is never changed;
// the proposal is a new Spec in the same JSON form, every rule keeping its
// name.
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
			fmt.Printf("%-18s %4s -> %-4s weight %+.2f (alone %+.2f)\n", p.Rule, clipPoints(p.Before), clipPoints(p.After), p.Weight, p.Alone)
		}
	}
	// A threshold of 0 would read as "the default" in a policy's settings,
	// so "fit >= 0" is written -0.5 when no score lies between.
	t := c.Thresholds
	fmt.Printf("thresholds: fit >= %v, engagement >= %v (reached %t: %s on the fitting part)\n", t.Fit, t.Engagement, t.Reached, t.Precision.Percent())
	fmt.Printf("held out: %d leads qualified, %s converted, %s of the scored conversions\n", t.HeldOutLeads, t.HeldOutPrecision.Percent(), t.HeldOutRecall.Percent())
	before, _ := c.Held.A.Score("decision")
	after, _ := c.Held.B.Score("decision")
	fmt.Printf("held-out AUC: %.3f before, %.3f after, %.3f for a logistic regression on every rule\n", before.AUC, after.AUC, c.Logistic.AUC)

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
	// decision-maker       25 -> 5    weight +0.36 (alone +0.38)
	// influencer           10 -> -2   weight -0.16 (alone -0.15)
	// no-decision-maker   -10 -> -3   weight -0.20 (alone -0.19)
	// company-size         15 -> 0    weight -0.02 (alone -0.03)
	// content-downloads  expr -> expr weight +0.93 (alone -0.85)
	// page-visits        expr -> expr weight +0.04 (alone +0.09)
	// coin                 10 -> 0    weight +0.01 (alone -0.02)
	// thresholds: fit >= -2, engagement >= 13.7 (reached true: 10.5% on the fitting part)
	// held out: 802 leads qualified, 9.1% converted, 25.6% of the scored conversions
	// held-out AUC: 0.804 before, 0.823 after, 0.823 for a logistic regression on every rule
	// leadqual-default-calibrated 28 rules
}

// clipPoints shortens an expression's points for printing.
func clipPoints(p qualify.Points) string {
	if len(p) > 4 {
		return "expr"
	}
	return string(p)
}
