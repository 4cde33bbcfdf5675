package nurture_test

import (
	"fmt"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/nurture"
	"github.com/leadqual/leadqual/qualify"
)

// A lead who downloaded a white paper is enrolled on a track and moves
// through it, from the problem to the product, one permitted touch at a
// time. The host sends each touch when the planner says, records it on the
// lead and in the progress, and asks again.
func Example_leadMovesThroughTrack() {
	policy, _ := qualify.Compile(qualify.DefaultSpec()) // the policy that qualifies leads
	track, err := nurture.ParseTrack([]byte(`{"name": "ops-101", "steps": [
	  {"asset": "Why fleets overspend", "specificity": "problem", "channel": "email"},
	  {"asset": "Route planning, the method", "specificity": "approach", "channel": "email", "wait": "3d"},
	  {"asset": "RoutePlanner in 10 minutes", "specificity": "product", "channel": "email", "wait": "4d"}
	]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	enroller, err := nurture.NewEnroller(nurture.EnrolmentSpec{
		Rules:   []nurture.Rule{{Name: "logistics", Track: "ops-101", Industries: []string{"logistics"}}},
		Default: "ops-101",
	}, track)
	if err != nil {
		fmt.Println(err)
		return
	}
	planner, err := nurture.NewPlanner(nurture.Config{Vocabulary: policy.Vocabulary()})
	if err != nil {
		fmt.Println(err)
		return
	}

	now := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC) // a Monday
	l := &lead.Lead{
		ID:      "L-1001",
		Contact: lead.Contact{Name: "Ada Byrne", Email: "ada@example.co.uk", TimeZone: "Europe/London"},
		Company: lead.Company{Name: "Byrne Logistics", Industry: "logistics"},
		Activities: []lead.Activity{
			{Kind: lead.KindWhitePaper, At: now, Asset: "Fleet costs explained"},
		},
		Consent: map[lead.Channel]lead.Consent{
			lead.ChannelEmail: {State: lead.ConsentOptedIn, At: now, How: "white paper form"},
		},
	}
	en := enroller.Enrol(l, now)
	if err := l.MoveTo(lead.StageNurturing, now, "interest: "+en.Track.Name()); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s joins %s (rule %q)\n", l.ID, en.Track, en.Rule)

	progress := en.Progress
	for {
		plan, err := planner.Next(nurture.Input{Lead: l, Track: en.Track, Progress: progress}, now)
		if err != nil {
			fmt.Println(err)
			return
		}
		if !plan.Touch() {
			fmt.Println(plan.Outcome)
			break
		}
		fmt.Printf("%s  step %d, %-8s %q\n", plan.At.Format("Mon 02 Jan 15:04 MST"), plan.Index+1, plan.Step.Specificity, plan.Step.Asset)
		// The host sends the email at plan.At, then records it.
		now = plan.At
		l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindNurtureEmail, At: now, Asset: plan.Step.Asset, Channel: plan.Channel})
		progress = progress.Advance(now)
	}
	// Output:
	// L-1001 joins track "ops-101" (3 steps) (rule "logistics")
	// Mon 02 Mar 09:30 GMT  step 1, problem  "Why fleets overspend"
	// Thu 05 Mar 09:30 GMT  step 2, approach "Route planning, the method"
	// Mon 09 Mar 09:30 GMT  step 3, product  "RoutePlanner in 10 minutes"
	// completed
}
