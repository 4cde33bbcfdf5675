package assign_test

import (
	"context"
	"fmt"
	"time"

	"github.com/leadqual/leadqual/assign"
	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// A need nobody answers climbs the ladder: the owner at the deadline, the
// team lead half an hour later, the manager after two hours. The host's
// scheduler calls Escalate every few minutes; each step is taken once.
func ExampleAssigner_Escalate() {
	rules, err := assign.ParseRules([]byte(`{
		"people": [{"id": "sam", "team": "uk"}, {"id": "priya", "team": "uk"}, {"id": "ada", "team": "uk"}],
		"teams": [{"id": "uk", "lead": "priya", "manager": "ada"}],
		"rules": [{"name": "everyone", "people": ["sam"]}]
	}`))
	if err != nil {
		panic(err)
	}
	a, err := assign.New(assign.NewMemState(), assign.Config{Rules: rules, Vocabulary: qualify.DefaultVocabulary()})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	asked := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	l := &lead.Lead{ID: "L-1", Activities: []lead.Activity{{Kind: lead.KindDemoRequest, At: asked}}}
	if _, err := a.Assign(ctx, assign.Request{Lead: l}, asked); err != nil {
		panic(err)
	}
	deadline := qualify.DefaultVocabulary().Deadline(asked) // 10:05
	for now := asked; now.Before(asked.Add(3 * time.Hour)); now = now.Add(5 * time.Minute) {
		e, err := a.Escalate(ctx, "L-1", deadline, now)
		if err != nil {
			panic(err)
		}
		for _, n := range e.Notices {
			fmt.Println(now.Format("15:04"), n)
		}
	}
	// Output:
	// 10:05 L-1: need unanswered at its deadline: tell sam (the owner)
	// 10:35 L-1: need unanswered 30m past its deadline: tell priya (team_lead of sam's team)
	// 12:05 L-1: need unanswered 2h past its deadline: tell ada (manager of sam's team)
}
