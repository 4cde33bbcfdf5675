package lead_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/leadqual/leadqual/lead"
)

// A lead moves through the funnel only along the transition table; every
// accepted move is recorded, a refused one changes nothing.
func ExampleLead_MoveTo() {
	t0 := time.Date(2025, time.March, 3, 9, 0, 0, 0, time.UTC)
	l := lead.Lead{ID: "lead-0042", CreatedAt: t0}

	// Interest goes to nurture; need goes to sales.
	_ = l.MoveTo(lead.StageNurturing, t0.Add(1*time.Hour), "downloaded a white paper")
	_ = l.MoveTo(lead.StageSalesAccepted, t0.Add(26*time.Hour), "asked for pricing")

	// Sales cannot close a deal that was never qualified.
	err := l.MoveTo(lead.StageWon, t0.Add(27*time.Hour), "signed")
	fmt.Println(err)
	var te *lead.TransitionError
	if errors.As(err, &te) {
		fmt.Println("refused:", te.From, "->", te.To, "| still", l.Stage)
	}

	// Not now is not never: the lead is lost for now, then recycled.
	_ = l.MoveTo(lead.StageLost, t0.Add(50*time.Hour), "not now: budget next quarter")
	_ = l.MoveTo(lead.StageRecycled, t0.Add(50*time.Hour), "call again in July")

	for _, h := range l.History {
		fmt.Printf("%s  %-14s -> %-14s %s\n", h.At.Format("Jan 2 15:04"), h.From, h.To, h.Reason)
	}
	fmt.Println("updated:", l.UpdatedAt.Format(time.RFC3339))
	// Output:
	// lead: illegal stage transition sales_accepted -> won (from sales_accepted: [sales_qualified nurturing lost recycled disqualified])
	// refused: sales_accepted -> won | still sales_accepted
	// Mar 3 10:00  new            -> nurturing      downloaded a white paper
	// Mar 4 11:00  nurturing      -> sales_accepted asked for pricing
	// Mar 5 11:00  sales_accepted -> lost           not now: budget next quarter
	// Mar 5 11:00  lost           -> recycled       call again in July
	// updated: 2025-03-05T11:00:00Z
}

// The transition table is data: a host can show the moves a lead may make.
func ExampleStage_Transitions() {
	for _, s := range lead.Stages() {
		if s.Final() {
			fmt.Printf("%s: final\n", s)
			continue
		}
		fmt.Printf("%s: %v\n", s, s.Transitions())
	}
	// Output:
	// new: [nurturing marketing_qualified sales_accepted recycled disqualified]
	// nurturing: [marketing_qualified sales_accepted recycled disqualified]
	// marketing_qualified: [sales_accepted nurturing recycled disqualified]
	// sales_accepted: [sales_qualified nurturing lost recycled disqualified]
	// sales_qualified: [opportunity nurturing lost recycled disqualified]
	// opportunity: [won lost recycled disqualified]
	// won: final
	// lost: [recycled sales_accepted nurturing disqualified]
	// recycled: [new nurturing marketing_qualified sales_accepted lost disqualified]
	// disqualified: final
}

func ExampleCanMove() {
	fmt.Println(lead.CanMove(lead.StageNew, lead.StageSalesAccepted)) // need skips the queue
	fmt.Println(lead.CanMove(lead.StageLost, lead.StageNew))          // a lost lead is recycled first
	// Output:
	// true
	// false
}
