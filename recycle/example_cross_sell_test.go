package recycle_test

import (
	"context"
	"fmt"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/recycle"
)

// A lead set aside on two product lines is recycled on each: a new
// interest in one of them wakes that line's entry, and the other sleeps
// on. The lines are the qualify policy's; the catalogue maps an interest
// to the product, the product to its line.
func ExampleScheduler_RecycleLine() {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	spec := qualify.DefaultSpec()
	spec.Settings.ProductLines = []qualify.ProductLine{
		{Name: "routeplanner", Products: []string{"RoutePlanner"}},
		{Name: "fleetinsight", Products: []string{"FleetInsight"}},
	}
	policy, err := qualify.Compile(spec)
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := recycle.NewScheduler(recycle.NewMemStore(), recycle.Config{
		Currency:   "GBP",
		Vocabulary: policy.Vocabulary(),
		Catalogue: recycle.Catalogue{Products: []recycle.Product{
			{Name: "RoutePlanner"}, {Name: "FleetInsight", Topics: []string{"fuel analytics"}},
		}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	l := &lead.Lead{ID: "L-42"}
	l.SetFunnel("routeplanner", lead.Funnel{Stage: lead.StageLost, LostReason: lead.ReasonNotNow})
	l.SetFunnel("fleetinsight", lead.Funnel{Stage: lead.StageLost, LostReason: lead.ReasonNoBudget})
	for _, line := range []string{"routeplanner", "fleetinsight"} {
		e, err := s.RecycleLine(ctx, l, line, "", now)
		if err != nil {
			fmt.Println(err)
			return
		}
		id, line := e.Lead()
		fmt.Printf("%s on %s: %s, due %s\n", id, line, e.Reason, e.Due.Format("Jan 2006"))
	}

	later := now.Add(30 * 24 * time.Hour)
	obs, err := s.Observe(ctx, l.ID, lead.Activity{Kind: lead.KindWhitePaper, At: later, Asset: "Fuel analytics for small fleets"}, later)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("woken: %s, due %s: %s\n", obs.Line, obs.Entry.Due.Format("2 Jan 2006"), obs.Entry.Task)
	rp, _ := s.Get(ctx, recycle.EntryKey(l.ID, "routeplanner"))
	fmt.Println("routeplanner still due", rp.Due.Format("Jan 2006"))
	// Output:
	// L-42 on routeplanner: not_now, due Feb 2027
	// L-42 on fleetinsight: no_budget, due May 2027
	// woken: fleetinsight, due 23 Dec 2026: new interest in FleetInsight
	// routeplanner still due Feb 2027
}
