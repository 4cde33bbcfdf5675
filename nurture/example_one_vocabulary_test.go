package nurture_test

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/nurture"
	"github.com/leadqual/leadqual/qualify"
)

// What an activity means is said once, in the policy a host stores, and
// every package reads it from there. Here a host's own kind, a call-back
// request, is declared need in the policy's JSON alone: qualify sends the
// lead to sales with a deadline, the nurture planner stops its track with a
// hand-off at the same deadline, and the neglect audit reports the lead
// when no one answers.
func Example_oneVocabulary() {
	policy, err := qualify.CompileJSON([]byte(`{
	  "name": "callbacks",
	  "settings": {
	    "intents": {"callback_request": "need"},
	    "descriptions": {"callback_request": "asked to be called back"},
	    "response_deadline": "10m"
	  },
	  "rules": [
	    {"name": "need", "when": "signals(\"need\") > 0", "intent": "need", "reason": "{need}"},
	    {"name": "interest", "when": "signals(\"interest\") > 0", "intent": "interest", "reason": "{interest}"}
	  ]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	v := policy.Vocabulary()
	planner, _ := nurture.NewPlanner(nurture.Config{Vocabulary: v})
	auditor, _ := nurture.NewAuditor(nurture.AuditConfig{Vocabulary: v})
	track, _ := nurture.NewTrack(nurture.TrackSpec{Name: "ops-101", Steps: []nurture.Step{
		{Asset: "Why fleets overspend", Specificity: nurture.SpecificityProblem, Channel: lead.ChannelEmail},
	}})

	enrolled := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	asked := enrolled.Add(26 * time.Hour)
	l := &lead.Lead{
		ID: "L-7001", Stage: lead.StageNurturing, Value: lead.MustParseMoney("40000", "GBP"),
		Consent: map[lead.Channel]lead.Consent{lead.ChannelEmail: {State: lead.ConsentOptedIn, At: enrolled}},
		Activities: []lead.Activity{
			{Kind: lead.KindWhitePaper, At: enrolled},
			{Kind: "callback_request", At: asked},
		},
	}

	d, _ := qualify.EvaluateAt(context.Background(), policy, l, asked)
	fmt.Println("qualify:", d.Verdict, "->", d.Route, "respond by", d.Deadline.Format("15:04"), "-", d.Reasons()[0])

	plan, _ := planner.Next(nurture.Input{Lead: l, Track: track, Progress: nurture.Progress{Enrolled: enrolled}}, asked)
	fmt.Println("nurture:", plan.Outcome, "respond by", plan.Deadline.Format("15:04"))

	_ = l.MoveTo(d.NextStage, asked, "asked to be called back")
	report, _ := auditor.Run(context.Background(), slices.Values([]nurture.Item{{Lead: l}}), asked.Add(time.Hour))
	for _, f := range report.Findings {
		fmt.Println("audit:", f.Kind, f.Lead, "overdue by", f.Overdue)
	}
	// Output:
	// qualify: need -> sales respond by 11:10 - asked to be called back
	// nurture: hand_off respond by 11:10
	// audit: response_breach L-7001 overdue by 50m0s
	// audit: unowned L-7001 overdue by 50m0s
}
