package backtest_test

import (
	"context"
	"fmt"

	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/qualify/backtest"
)

// A backtest judges each lead of a history as it was at its decision time
// and sets the verdicts against what became of the leads. This history is
// synthetic, with a known signal: leads that asked for pricing or a demo
// convert at 45%, leads that read a white paper at 8%, the rest at 3%; and
// the policy has a noise rule, fit points for a coin toss.
func ExampleRun() {
	history := synthetic(20000, 7)
	report, err := backtest.Run(context.Background(), noisyPolicy(), seq(history), backtest.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d leads, base rate %s\n", report.Leads, report.BaseRate.Percent())
	need, interest := report.Verdict(qualify.VerdictNeed), report.Verdict(qualify.VerdictInterest)
	fmt.Printf("need converts at %s, interest at %s: %.1fx\n", need.Rate.Percent(), interest.Rate.Percent(), report.NeedOverInterest)
	for _, name := range []string{"pricing-request", "demo-request", "coin"} {
		s, _ := report.Rule(name)
		fmt.Printf("%-16s fired %5d  lift %.2f  significant %t\n", name, s.Fired, s.Lift, s.Significant())
	}
	// The future was planted too: every lead that converted has a phone
	// call after its decision time, and many that did not were marked
	// "not a fit" later. Rewound, none of it is seen.
	for _, name := range []string{"phone-conversation", "not-a-fit"} {
		s, _ := report.Rule(name)
		fmt.Printf("%-16s fired %5d\n", name, s.Fired)
	}
	fmt.Printf("%d leads had data recorded after their decision time\n", report.Rewind.Leads)
	// Output:
	// 20000 leads, base rate 14.7%
	// need converts at 50.0%, interest at 8.8%: 5.7x
	// pricing-request  fired  1963  lift 3.32  significant true
	// demo-request     fired  1920  lift 3.48  significant true
	// coin             fired 10026  lift 0.98  significant false
	// phone-conversation fired     0
	// not-a-fit        fired     0
	// 8575 leads had data recorded after their decision time
}
