package nurture_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/nurture"
	"github.com/leadqual/leadqual/qualify"
)

// A track that goes back from the product to the problem, and waits a
// negative time, is refused with every problem named by its step.
func ExampleParseTrack() {
	_, err := nurture.ParseTrack([]byte(`{"name": "ops-101", "steps": [
	  {"asset": "Why fleets overspend", "specificity": "problem", "channel": "email"},
	  {"asset": "RoutePlanner in 10 minutes", "specificity": "product", "channel": "email", "wait": "3d"},
	  {"asset": "Fleet costs", "specificity": "problem", "channel": "email", "wait": "400d"}
	]}`))
	var te *nurture.TrackError
	if errors.As(err, &te) {
		for _, p := range te.Problems {
			fmt.Printf("step %d, %s: %s\n", p.Step+1, p.Field, p.Problem)
		}
	}
	fmt.Println(errors.Is(err, nurture.ErrInvalidTrack))
	// Output:
	// step 3, wait: is 400d, longer than 366d
	// step 3, specificity: goes back from product (step 2) to problem: a track moves from the problem to the approach to the product
	// true
}

func ExampleParseEnroller() {
	var tracks []*nurture.Track
	for _, name := range []string{"routes-101", "ops-101", "general-101"} {
		t, _ := nurture.NewTrack(nurture.TrackSpec{Name: name, Steps: []nurture.Step{
			{Asset: name + " intro", Specificity: nurture.SpecificityProblem, Channel: lead.ChannelEmail}}})
		tracks = append(tracks, t)
	}
	e, err := nurture.ParseEnroller([]byte(`{"rules": [
	  {"name": "route planning", "track": "routes-101", "topics": ["RoutePlanner"]},
	  {"name": "logistics", "track": "ops-101", "industries": ["logistics", "transport"]}
	 ],
	 "default": "general-101"}`), tracks...)
	if err != nil {
		fmt.Println(err)
		return
	}
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	for _, l := range []*lead.Lead{
		{ID: "a", Interests: []lead.Interest{{Topic: "routeplanner"}}},
		{ID: "b", Company: lead.Company{Industry: "Transport"}},
		{ID: "c", Company: lead.Company{Industry: "retail"}},
	} {
		en := e.Enrol(l, now)
		fmt.Printf("%s: %s (rule %q)\n", l.ID, en.Track.Name(), en.Rule)
	}
	// Output:
	// a: routes-101 (rule "route planning")
	// b: ops-101 (rule "logistics")
	// c: general-101 (rule "")
}

func ExamplePlanner_Next() {
	policy, _ := qualify.Compile(qualify.DefaultSpec()) // the policy that qualifies leads
	planner, _ := nurture.NewPlanner(nurture.Config{
		Vocabulary: policy.Vocabulary(),              // what activities mean: the policy that qualifies says it
		MaxTouches: 2, CapPeriod: 7 * 24 * time.Hour, // at most 2 marketing touches a week
		QuietHours: nurture.QuietHours{From: 20 * time.Hour, Until: 9 * time.Hour, Days: []time.Weekday{time.Saturday, time.Sunday}},
	})
	track, _ := nurture.NewTrack(nurture.TrackSpec{Name: "ops-101", Steps: []nurture.Step{
		{Asset: "Why fleets overspend", Specificity: nurture.SpecificityProblem, Channel: lead.ChannelEmail},
		{Asset: "Route planning, the method", Specificity: nurture.SpecificityApproach, Channel: lead.ChannelEmail, Wait: 24 * time.Hour},
	}})
	now := time.Date(2026, 3, 6, 15, 0, 0, 0, time.UTC) // a Friday
	l := &lead.Lead{ID: "L-9", Stage: lead.StageNurturing, Contact: lead.Contact{TimeZone: "Europe/Paris"},
		Consent: map[lead.Channel]lead.Consent{lead.ChannelEmail: {State: lead.ConsentOptedIn, At: now.Add(-72 * time.Hour)}},
		Activities: []lead.Activity{
			{Kind: lead.KindNurtureEmail, At: now.Add(-6 * 24 * time.Hour)}, // another track's email
			{Kind: lead.KindNurtureEmail, At: now.Add(-time.Hour)},          // this track's first step
		}}
	progress := nurture.Progress{Enrolled: now.Add(-time.Hour)}.Advance(now.Add(-time.Hour))
	plan, err := planner.Next(nurture.Input{Lead: l, Track: track, Progress: progress}, now)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Step 2 falls due on Saturday at 15:00, Paris time. Two emails went
	// out in the week before, so the cap frees a slot an hour later; but
	// the weekend is quiet, and so is Monday before 09:00.
	fmt.Println(plan)
	// Output:
	// L-9: touch: step 2 of "ops-101" (approach, "Route planning, the method" on email) at Mon 2026-03-09 09:00 CET (due Sat 2026-03-07 15:00 CET, moved: cap+quiet)
}

func ExampleAuditor_Run() {
	policy, _ := qualify.Compile(qualify.DefaultSpec()) // the policy that qualifies leads
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	auditor, _ := nurture.NewAuditor(nurture.AuditConfig{Vocabulary: policy.Vocabulary()})
	leads := []nurture.Item{
		{Lead: &lead.Lead{ID: "L-1", Owner: "ann", Stage: lead.StageNew, Value: lead.MustParseMoney("5000", "GBP"),
			Activities: []lead.Activity{{Kind: lead.KindQuoteRequest, At: now.Add(-45 * time.Minute)}}}},
	}
	report, err := auditor.Run(context.Background(), slices.Values(leads), now)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range report.Findings {
		fmt.Printf("%s %s %s: %s\n", f.Kind, f.Lead, f.Value, f.Action)
	}
	// Output:
	// response_breach L-1 5000 GBP: respond now: asked for a quote 45m ago and no one from sales has answered; the deadline passed 40m ago (owner ann)
}
