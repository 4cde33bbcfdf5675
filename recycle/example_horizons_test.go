package recycle_test

import (
	"fmt"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/recycle"
)

// Each reason's horizon with the doctrine's defaults: when a lead lost for
// that reason is due again, and what to do then. Jitter is turned off so
// that the dates are round.
func ExamplePlanner_Plan() {
	p, err := recycle.NewPlanner(recycle.Horizons{Jitter: -1})
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	l := &lead.Lead{ID: "L-1001"}
	for _, r := range []lead.Reason{
		lead.ReasonNotNow, lead.ReasonNoBudget, lead.ReasonNoDecisionMaker, lead.ReasonUnresponsive, lead.ReasonStonewalled,
		lead.ReasonPreferredSupplier, lead.ReasonOffshored, lead.ReasonNotAFit, lead.ReasonDoNotContact,
	} {
		plan, err := p.Plan(l, r, recycle.Prior{}, now)
		if err != nil {
			fmt.Printf("%-18s %v\n", r, err)
			continue
		}
		h, _ := p.Horizon(r)
		fmt.Printf("%-18s %s  at most %3.0f days  %s\n", r, plan.Due.Format("2006-01-02"), h.Longest.Hours()/24, plan.Task)
	}
	// Output:
	// not_now            2027-02-21  at most 180 days  Call back: they were in the market but not ready; ask whether the time has come
	// no_budget          2027-05-22  at most 365 days  Call back: ask whether the next budget cycle has room for it
	// no_decision_maker  2026-12-07  at most  90 days  Reach the sales, finance or managing director
	// unresponsive       2026-11-25  at most 180 days  Try again: another channel, another time of day, or another contact (attempt 2 of 3)
	// stonewalled        2027-05-22  at most 365 days  Try a fresh approach: another contact or a new reason to talk; ask what has changed
	// preferred_supplier 2027-11-23  at most 365 days  Check in: is the preferred supplier still delivering? Ask about the contract renewal
	// offshored          2027-11-23  at most 365 days  Check in: is the partner abroad delivering? Offer to bring the work back
	// not_a_fit          recycle: plan lead "L-1001": reason not_a_fit: final reason: the lead is never recycled
	// do_not_contact     recycle: plan lead "L-1001": reason do_not_contact: final reason: the lead is never recycled
}

// The lead's own dates come first: a "not now" prospect who said when they
// expect to buy is called then, and one lost to a preferred supplier when
// the contract comes up for renewal (here, 60 days ahead of it), even when
// that lies beyond the reason's Longest: the prospect's date is the natural
// time to call. Only a date beyond Horizons.Longest (730 days) is cut
// short.
func ExamplePlanner_Plan_anchors() {
	p, err := recycle.NewPlanner(recycle.Horizons{
		Jitter: -1,
		Reasons: map[lead.Reason]recycle.Horizon{
			lead.ReasonPreferredSupplier: {Ahead: 60 * recycle.Day},
		},
	})
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	l := &lead.Lead{
		ID:               "L-1002",
		ExpectedPurchase: time.Date(2027, 4, 1, 9, 0, 0, 0, time.UTC),
		Renewal:          time.Date(2028, 3, 31, 9, 0, 0, 0, time.UTC),
	}
	for _, r := range []lead.Reason{lead.ReasonNotNow, lead.ReasonPreferredSupplier} {
		plan, _ := p.Plan(l, r, recycle.Prior{}, now)
		fmt.Printf("%-18s %s (%s)\n", r, plan.Due.Format("2006-01-02"), plan.Basis)
	}
	l.Renewal = time.Date(2031, 3, 31, 9, 0, 0, 0, time.UTC)
	plan, _ := p.Plan(l, lead.ReasonPreferredSupplier, recycle.Prior{}, now)
	fmt.Printf("%-18s %s (%s)\n", lead.ReasonPreferredSupplier, plan.Due.Format("2006-01-02"), plan.Basis)
	// Output:
	// not_now            2027-04-01 (anchor)
	// preferred_supplier 2028-01-31 (anchor)
	// preferred_supplier 2028-11-22 (longest)
}

// A lead recycled again and again backs off, but never beyond its
// reason's Longest: a lead without a decision maker is tried again within
// a quarter however often it was recycled, and from the cap on it waits
// exactly that. An unresponsive lead is tried three times, two and four
// days apart, before it sleeps.
func ExamplePlanner_Plan_backoff() {
	p, err := recycle.NewPlanner(recycle.Horizons{Jitter: -1})
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	l := &lead.Lead{ID: "L-1003"}
	prior := recycle.Prior{}
	for range 7 {
		plan, _ := p.Plan(l, lead.ReasonNoDecisionMaker, prior, now)
		fmt.Printf("recycle %d: %3.0f days (%s)\n", prior.Recycles+1, plan.Wait.Hours()/24, plan.Basis)
		prior = plan.Next
	}
	prior = recycle.Prior{}
	for attempt := 1; attempt <= 3; attempt++ {
		prior.Attempt = attempt
		plan, _ := p.Plan(l, lead.ReasonUnresponsive, prior, now)
		fmt.Printf("unanswered %d: %2.0f days (%s)\n", attempt, plan.Wait.Hours()/24, plan.Basis)
	}
	// Output:
	// recycle 1:  14 days (horizon)
	// recycle 2:  28 days (backoff)
	// recycle 3:  56 days (backoff)
	// recycle 4:  90 days (backoff)
	// recycle 5:  90 days (backoff)
	// recycle 6:  90 days (cap)
	// recycle 7:  90 days (cap)
	// unanswered 1:  2 days (retry)
	// unanswered 2:  4 days (retry)
	// unanswered 3: 60 days (horizon)
}

// Hosts add their own reasons and override any default, field by field,
// the maximum wait included. A first wait beyond the reason's maximum is
// refused, naming the field.
func ExampleNewPlanner() {
	p, err := recycle.NewPlanner(recycle.Horizons{
		Jitter: -1,
		Reasons: map[lead.Reason]recycle.Horizon{
			lead.ReasonNoBudget: {After: 120 * recycle.Day, Longest: 120 * recycle.Day}, // our prospects budget every four months
			"building_in_house": {After: 150 * recycle.Day, Longest: 300 * recycle.Day, Task: "Ask how the in-house build is going"},
		},
	})
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for _, r := range []lead.Reason{lead.ReasonNoBudget, "building_in_house"} {
		first, _ := p.Plan(&lead.Lead{ID: "L-1004"}, r, recycle.Prior{}, now)
		later, _ := p.Plan(&lead.Lead{ID: "L-1004"}, r, recycle.Prior{Recycles: 3}, now)
		fmt.Printf("%s: %s, then at most %.0f days: %s\n", r, first.Due.Format("2006-01-02"), later.Wait.Hours()/24, first.Task)
	}
	_, err = recycle.NewPlanner(recycle.Horizons{Reasons: map[lead.Reason]recycle.Horizon{lead.ReasonNotAFit: {After: recycle.Week}}})
	fmt.Println(err)
	_, err = recycle.NewPlanner(recycle.Horizons{Reasons: map[lead.Reason]recycle.Horizon{lead.ReasonNoDecisionMaker: {After: 120 * recycle.Day}}})
	fmt.Println(err)
	// Output:
	// no_budget: 2027-03-23, then at most 120 days: Call back: ask whether the next budget cycle has room for it
	// building_in_house: 2027-04-22, then at most 300 days: Ask how the in-house build is going
	// recycle: invalid horizons: Horizons.Reasons[not_a_fit]: not_a_fit is final: a final reason has no horizon
	// recycle: invalid horizons: Horizons.Reasons[no_decision_maker].Longest: 2160h0m0s is less than After (2880h0m0s), the first wait: raise Longest or lower After
}
