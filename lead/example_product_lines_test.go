package lead_test

import (
	"fmt"
	"time"

	"github.com/leadqual/leadqual/lead"
)

// A customer of one product line is a prospect for another: each line has
// its own funnel, and a won line is final for that line only.
func ExampleLead_MoveLine() {
	t0 := time.Date(2025, time.March, 3, 9, 0, 0, 0, time.UTC)
	l := lead.Lead{ID: "lead-0042", CreatedAt: t0}

	// RoutePlanner: asked for a quote, qualified, won.
	for _, to := range []lead.Stage{lead.StageSalesAccepted, lead.StageSalesQualified, lead.StageOpportunity, lead.StageWon} {
		_ = l.MoveLine("routeplanner", to, t0.Add(24*time.Hour), "")
	}
	// A year later, the same customer reads about telematics.
	_ = l.MoveLine("telematics", lead.StageNurturing, t0.Add(365*24*time.Hour), "downloaded a white paper")

	fmt.Println("routeplanner:", l.Funnel("routeplanner").Stage)
	fmt.Println("telematics:  ", l.Funnel("telematics").Stage)
	fmt.Println("fuelcards:   ", l.Funnel("fuelcards").Stage, "(never entered)")
	fmt.Println("implicit:    ", l.Stage)
	fmt.Println(l.MoveLine("routeplanner", lead.StageSalesAccepted, t0.Add(400*24*time.Hour), ""))
	// Output:
	// routeplanner: won
	// telematics:   nurturing
	// fuelcards:    new (never entered)
	// implicit:     new
	// lead: illegal stage transition won -> sales_accepted on product line "routeplanner" (from won: none, won is final)
}
