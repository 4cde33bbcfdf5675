package recycle_test

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/recycle"
)

// A lead lost to a preferred supplier sleeps for a year; three weeks later
// it downloads a white paper about route optimisation, which our
// RoutePlanner does. That is information, not betrayal: it should have
// been recycled sooner, so it is woken now. Interest in the industry from
// a competitor is flagged and the schedule kept; anything else changes
// nothing.
func ExampleScheduler_Observe() {
	ctx := context.Background()
	catalogue, err := recycle.ParseCatalogue([]byte(`{
		"products": [{"name": "RoutePlanner", "aliases": ["route planner"], "topics": ["route optimisation"]}],
		"industry": ["telematics"],
		"competitors": ["Acme Fleet"]
	}`))
	if err != nil {
		panic(err)
	}
	s, err := recycle.NewScheduler(recycle.NewMemStore(), recycle.Config{Vocabulary: qualify.DefaultVocabulary(), Currency: "GBP", Catalogue: catalogue})
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	l := &lead.Lead{ID: "L-2001", Value: lead.MustParseMoney("40000", "GBP")}
	e, _ := s.Recycle(ctx, l, lead.ReasonPreferredSupplier, now)
	fmt.Println("recycled, due", e.Due.Format("2006-01-02"))

	now = now.Add(3 * recycle.Week)
	for _, a := range []lead.Activity{
		{Kind: lead.KindWhitePaper, At: now, Asset: "Telematics buyer's guide", Attrs: map[string]string{"vendor": "Acme Fleet"}},
		{Kind: lead.KindPageVisit, At: now, Asset: "/blog/bowling-night"},
		{Kind: lead.KindWhitePaper, At: now, Asset: "Route Optimisation for Small Fleets"},
	} {
		obs, err := s.Observe(ctx, l.ID, a, now)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%-40q %-11s woken=%-5v %s\n", a.Asset, obs.Match.Class, obs.Woken, cmp.Or(obs.Match.Reason, "-"))
	}
	e, _ = s.Get(ctx, l.ID)
	fmt.Println("now due", e.Due.Format("2006-01-02"), "-", e.Task)
	// Output:
	// recycled, due 2027-11-25
	// "Telematics buyer's guide"               competitive woken=false competitive risk: telematics (Acme Fleet)
	// "/blog/bowling-night"                    unrelated   woken=false -
	// "Route Optimisation for Small Fleets"    ours        woken=true  new interest in RoutePlanner
	// now due 2026-12-14 - new interest in RoutePlanner
}
