package nurture_test

import (
	"fmt"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/nurture"
	"github.com/leadqual/leadqual/qualify"
)

// Interest is the counterfeit of need. While a lead reads white papers the
// track goes on; the moment they ask for pricing, nurture stops and the
// lead goes to sales with a response deadline: five minutes by default.
func Example_handOffOnPricingRequest() {
	policy, _ := qualify.Compile(qualify.DefaultSpec()) // the policy that qualifies leads
	planner, err := nurture.NewPlanner(nurture.Config{Vocabulary: policy.Vocabulary()})
	if err != nil {
		fmt.Println(err)
		return
	}
	track, err := nurture.NewTrack(nurture.TrackSpec{Name: "ops-101", Steps: []nurture.Step{
		{Asset: "Why fleets overspend", Specificity: nurture.SpecificityProblem, Channel: lead.ChannelEmail},
		{Asset: "Route planning, the method", Specificity: nurture.SpecificityApproach, Channel: lead.ChannelEmail, Wait: 72 * time.Hour},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	enrolled := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	l := &lead.Lead{
		ID: "L-4004", Stage: lead.StageNurturing, Value: lead.MustParseMoney("50000.00", "GBP"),
		Consent: map[lead.Channel]lead.Consent{lead.ChannelEmail: {State: lead.ConsentOptedIn, At: enrolled}},
		Activities: []lead.Activity{
			{Kind: lead.KindWhitePaper, At: enrolled, Asset: "Fleet costs explained"},
			{Kind: lead.KindNurtureEmail, At: enrolled, Channel: lead.ChannelEmail},
		},
	}
	progress := nurture.Progress{Enrolled: enrolled}.Advance(enrolled)

	now := enrolled.Add(24 * time.Hour)
	plan, _ := planner.Next(nurture.Input{Lead: l, Track: track, Progress: progress}, now)
	fmt.Println(plan.Outcome, "step", plan.Index+1, "at", plan.At.Format(time.RFC3339))

	// A pricing request arrives.
	asked := now.Add(2 * time.Hour)
	l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindPricingRequest, At: asked, Product: "RoutePlanner"})
	plan, _ = planner.Next(nurture.Input{Lead: l, Track: track, Progress: progress}, asked)
	fmt.Println(plan.Outcome, "-", plan)
	if plan.Outcome == nurture.OutcomeHandOff {
		_ = l.MoveTo(lead.StageSalesAccepted, asked, "asked for pricing")
		fmt.Println("stage:", l.Stage, "respond by", plan.Deadline.Format(time.Kitchen))
	}

	// A host whose qualify policy found need passes it on: it decides too.
	other := &lead.Lead{ID: "L-4005", Stage: lead.StageNurturing}
	plan, _ = planner.Next(nurture.Input{Lead: other, Track: track, Progress: progress,
		Need: nurture.Need{At: asked, Deadline: asked.Add(15 * time.Minute), Why: `rule "pricing page twice"`}}, asked)
	fmt.Println(plan.Outcome, "-", plan)
	// Output:
	// touch step 2 at 2026-03-05T09:00:00Z
	// hand_off - L-4004: hand off to sales now: asked for pricing at 2026-03-03T11:00:00Z; respond by 2026-03-03T11:05:00Z
	// stage: sales_accepted respond by 11:05AM
	// hand_off - L-4005: hand off to sales now: need found at 2026-03-03T11:00:00Z (rule "pricing page twice"); respond by 2026-03-03T11:15:00Z
}
