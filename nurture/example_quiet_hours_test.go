package nurture_test

import (
	"fmt"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/nurture"
	"github.com/leadqual/leadqual/qualify"
)

// A step falls due at 23:30 in the lead's own time zone, on the night New
// York puts its clocks forward. Quiet hours (the default, 21:00 to 08:00)
// move the touch to 08:00 the next morning, local time: later, never
// earlier, and an hour sooner in elapsed time because the night is short.
func Example_quietHours() {
	policy, _ := qualify.Compile(qualify.DefaultSpec())                                 // the policy that qualifies leads
	planner, err := nurture.NewPlanner(nurture.Config{Vocabulary: policy.Vocabulary()}) // quiet hours 21:00 to 08:00
	if err != nil {
		fmt.Println(err)
		return
	}
	track, err := nurture.NewTrack(nurture.TrackSpec{Name: "ops-101", Steps: []nurture.Step{
		{Asset: "Why fleets overspend", Specificity: nurture.SpecificityProblem, Channel: lead.ChannelEmail},
		{Asset: "Route planning, the method", Specificity: nurture.SpecificityApproach, Channel: lead.ChannelEmail, Wait: 3 * 24 * time.Hour},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	ny, _ := time.LoadLocation("America/New_York")
	sent := time.Date(2026, 3, 4, 23, 30, 0, 0, ny) // step 1 went out late on Wednesday
	l := &lead.Lead{
		ID:      "L-2002",
		Contact: lead.Contact{Email: "sam@example.com", TimeZone: "America/New_York"},
		Stage:   lead.StageNurturing,
		Consent: map[lead.Channel]lead.Consent{lead.ChannelEmail: {State: lead.ConsentOptedIn, At: sent.Add(-time.Hour)}},
		Activities: []lead.Activity{
			{Kind: lead.KindNurtureEmail, At: sent, Channel: lead.ChannelEmail},
		},
	}
	progress := nurture.Progress{Enrolled: sent, Next: 1, Last: sent}

	plan, err := planner.Next(nurture.Input{Lead: l, Track: track, Progress: progress}, sent)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("due:    ", plan.Due.In(ny).Format("Mon 02 Jan 15:04 MST"))
	fmt.Println("planned:", plan.At.Format("Mon 02 Jan 15:04 MST"), "moved:", plan.Moved)
	fmt.Println("elapsed:", plan.At.Sub(plan.Due))
	// Output:
	// due:     Sat 07 Mar 23:30 EST
	// planned: Sun 08 Mar 08:00 EDT moved: quiet
	// elapsed: 7h30m0s
}
