package qualify_test

import (
	"context"
	"fmt"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// A customer of one product line asks for a demo of another: the won line
// stays won, and the other line enters the funnel on its own, with its own
// verdict, route, deadline and scores. Product lines are declared in the
// policy, with the products each holds.
func Example_crossSell() {
	spec := qualify.DefaultSpec()
	spec.Settings.ProductLines = []qualify.ProductLine{
		{Name: "routeplanner", Products: []string{"RoutePlanner", "RP-100"}},
		{Name: "telematics", Products: []string{"Telematics", "fleet tracking"}},
	}
	policy, err := qualify.Compile(spec)
	if err != nil {
		fmt.Println(err)
		return
	}

	l := &lead.Lead{ID: "L-2001", Contact: lead.Contact{Role: lead.RoleDecisionMaker},
		Activities: []lead.Activity{
			{Kind: lead.KindWebinarAttended, At: now.Add(-400 * 24 * time.Hour), Product: "RoutePlanner"},
			{Kind: lead.KindDemoRequest, At: now.Add(-10 * time.Minute), Product: "Fleet Tracking"},
		}}
	l.SetFunnel("routeplanner", lead.Funnel{Stage: lead.StageWon})

	d, err := qualify.EvaluateAt(context.Background(), policy, l, now)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ld := range d.Lines {
		fmt.Printf("%-12s %-4s %-5s -> %-7s next %s", ld.Line, ld.Verdict, ld.Stage, ld.Route, ld.NextStage)
		if !ld.Deadline.IsZero() {
			fmt.Print(", respond by ", ld.Deadline.Format("15:04"))
		}
		fmt.Println()
	}
	fmt.Println("the lead as a whole:", d.Verdict, "->", d.Route)
	line, _ := policy.Vocabulary().Line("rp-100")
	fmt.Println("RP-100 belongs to", line)
	// Output:
	// routeplanner none won   -> sales   next won
	// telematics   need new   -> sales   next sales_accepted, respond by 08:55
	// the lead as a whole: need -> sales
	// RP-100 belongs to routeplanner
}
