package backtest_test

import (
	"fmt"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify/backtest"
)

// A lead as the CRM holds it today knows its future: the deal was won,
// after a meeting booked the week after the decision. AsOf returns the
// lead as it was at the decision, and says what it took away.
func ExampleAsOf() {
	decided := time.Date(2025, 3, 8, 9, 5, 0, 0, time.UTC)
	today := &lead.Lead{
		ID:    "L-1",
		Stage: lead.StageWon,
		Activities: []lead.Activity{
			{Kind: lead.KindPricingRequest, At: decided.Add(-5 * time.Minute)},
			{Kind: lead.KindMeetingBooked, At: decided.Add(7 * 24 * time.Hour)},
		},
		History: []lead.Transition{
			{From: lead.StageNew, To: lead.StageSalesAccepted, At: decided.Add(time.Hour)},
			{From: lead.StageSalesAccepted, To: lead.StageSalesQualified, At: decided.Add(48 * time.Hour)},
			{From: lead.StageSalesQualified, To: lead.StageOpportunity, At: decided.Add(96 * time.Hour)},
			{From: lead.StageOpportunity, To: lead.StageWon, At: decided.Add(30 * 24 * time.Hour)},
		},
	}
	then, cut, err := backtest.AsOf(today, decided)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("stage then:", then.Stage, "- today:", today.Stage)
	fmt.Println("activities then:", len(then.Activities), "- today:", len(today.Activities))
	fmt.Printf("taken away: %d activity, %d stage moves\n", cut.Activities, cut.Moves)
	// Output:
	// stage then: new - today: won
	// activities then: 1 - today: 2
	// taken away: 1 activity, 4 stage moves
}
