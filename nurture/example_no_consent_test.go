package nurture_test

import (
	"fmt"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/nurture"
	"github.com/leadqual/leadqual/qualify"
)

// Permission is enforced, not advised: a step on a channel the prospect
// never opted in to is refused, and so is one on a channel an unsubscribe
// stopped. The plan says which step and why; the host asks for consent or
// skips the step.
func Example_refusedForLackOfConsent() {
	policy, _ := qualify.Compile(qualify.DefaultSpec()) // the policy that qualifies leads
	planner, err := nurture.NewPlanner(nurture.Config{Vocabulary: policy.Vocabulary()})
	if err != nil {
		fmt.Println(err)
		return
	}
	track, err := nurture.NewTrack(nurture.TrackSpec{Name: "ops-101", Steps: []nurture.Step{
		{Asset: "Why fleets overspend", Specificity: nurture.SpecificityProblem, Channel: lead.ChannelEmail},
		{Asset: "A call about your routes", Specificity: nurture.SpecificityApproach, Channel: lead.ChannelPhone, Wait: 72 * time.Hour},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	l := &lead.Lead{ID: "L-3003", Stage: lead.StageNurturing} // no consent recorded
	progress := nurture.Progress{Enrolled: now}

	plan, _ := planner.Next(nurture.Input{Lead: l, Track: track, Progress: progress}, now)
	fmt.Println(plan.Outcome, "-", plan)

	// The prospect opts in to email; the touch is planned.
	l.Consent = map[lead.Channel]lead.Consent{lead.ChannelEmail: {State: lead.ConsentOptedIn, At: now, How: "preference centre"}}
	plan, _ = planner.Next(nurture.Input{Lead: l, Track: track, Progress: progress}, now)
	fmt.Println(plan.Outcome, "-", plan.Channel, plan.At.Format(time.Kitchen))
	progress = progress.Advance(now)

	// The next step is a call: email consent does not cover the phone.
	plan, _ = planner.Next(nurture.Input{Lead: l, Track: track, Progress: progress}, now)
	fmt.Println(plan.Outcome, "-", plan.Channel)

	// An unsubscribe after the opt-in stops email.
	l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindUnsubscribe, At: now.Add(time.Hour)})
	plan, _ = planner.Next(nurture.Input{Lead: l, Track: track, Progress: nurture.Progress{Enrolled: now}}, now.Add(2*time.Hour))
	fmt.Println(plan.Outcome, "-", plan)
	// Output:
	// no_consent - L-3003: no touch: no consent for step 1 of "ops-101" (problem, "Why fleets overspend" on email)
	// touch - email 10:00AM
	// no_consent - phone
	// consent_withdrawn - L-3003: no touch: consent withdrawn for step 1 of "ops-101" (problem, "Why fleets overspend" on email): unsubscribed at 2026-03-02T11:00:00Z
}
