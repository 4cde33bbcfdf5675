package backtest_test

import (
	"context"
	"fmt"

	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/qualify/backtest"
)

// Before switching a policy on, try it on history beside the current one.
// Here B stops treating a demo request as need: the transition table shows
// what that costs, in leads that convert and go to nurture instead of
// sales.
func ExampleCompare() {
	current := noisyPolicy()
	spec := current.Spec()
	for i := range spec.Rules {
		if spec.Rules[i].Name == "demo-request" {
			spec.Rules[i].Intent = 0                                                          // no longer need...
			spec.Rules[i].Dimension, spec.Rules[i].Points = qualify.DimensionEngagement, "20" // ...just engagement
		}
	}
	spec.Name = "demo-is-engagement"
	proposed, err := qualify.Compile(spec)
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := backtest.Compare(context.Background(), current, proposed, seq(synthetic(20000, 7)), backtest.Config{MaxChanges: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d of %d leads changed\n", c.Changed, c.Leads)
	for _, s := range c.Routes {
		if s.From != s.To {
			fmt.Printf("%s -> %s: %d leads, %d converted (%s), won %s\n", s.From, s.To, s.Leads, s.Conversions, s.Rate.Percent(), s.Won)
		}
	}
	fmt.Printf("sales: %s of A's leads convert, %s of B's\n",
		c.A.Route(qualify.RouteSales).Rate.Percent(), c.B.Route(qualify.RouteSales).Rate.Percent())
	for _, ch := range c.Changes {
		fmt.Printf("e.g. %s (converted %t): %s -> %s, rules changed %v\n", ch.Lead, ch.Converted, ch.A.Route, ch.B.Route, ch.Changed)
	}
	// Output:
	// 1920 of 20000 leads changed
	// sales -> nurture: 1920 leads, 982 converted (51.1%), won 25213000 GBP
	// sales: 50.0% of A's leads convert, 48.9% of B's
	// e.g. L-13365 (converted true): sales -> nurture, rules changed [demo-request]
}
