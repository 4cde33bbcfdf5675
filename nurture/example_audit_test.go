package nurture_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/nurture"
	"github.com/leadqual/leadqual/qualify"
)

// Neglect is the cardinal sin. The audit streams the leads (from a
// database cursor, in a real host) and reports what a sales manager should
// act on: need nobody answered, prospects nobody touched, interest nobody
// nurtures, and stages that hold less than their targets.
func Example_auditReport() {
	policy, _ := qualify.Compile(qualify.DefaultSpec()) // the policy that qualifies leads
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	const day = 24 * time.Hour
	gbp := func(s string) lead.Money { return lead.MustParseMoney(s, "GBP") }
	optedIn := map[lead.Channel]lead.Consent{lead.ChannelEmail: {State: lead.ConsentOptedIn, At: ago(30 * day)}}

	leads := []nurture.Item{
		{Lead: &lead.Lead{ID: "L-1", Owner: "ann", Stage: lead.StageSalesAccepted, Value: gbp("50000.00"),
			Activities: []lead.Activity{{Kind: lead.KindPricingRequest, At: ago(3 * time.Hour)}}}},
		{Lead: &lead.Lead{ID: "L-2", Owner: "ann", Stage: lead.StageSalesQualified, Value: gbp("12000.00"),
			Activities: []lead.Activity{
				{Kind: lead.KindDemoRequest, At: ago(2 * day)},
				{Kind: lead.KindCallConnected, At: ago(2*day - 4*time.Hour)},
			}}},
		{Lead: &lead.Lead{ID: "L-3", Owner: "bob", Stage: lead.StageOpportunity, Value: gbp("120000.00"),
			History:    []lead.Transition{{From: lead.StageSalesQualified, To: lead.StageOpportunity, At: ago(40 * day)}},
			Activities: []lead.Activity{{Kind: lead.KindSalesEmail, At: ago(20 * day)}}}},
		{Lead: &lead.Lead{ID: "L-4", Stage: lead.StageNew, Value: lead.MustParseMoney("8000", "EUR"),
			Company:    lead.Company{Industry: "logistics"},
			Activities: []lead.Activity{{Kind: lead.KindWhitePaper, At: ago(5 * day)}}, Consent: optedIn,
			History: []lead.Transition{{From: lead.StageRecycled, To: lead.StageNew, At: ago(12 * time.Hour)}}}},
		{Lead: &lead.Lead{ID: "L-5", Stage: lead.StageNurturing, Value: gbp("9000.00"),
			Activities: []lead.Activity{{Kind: lead.KindNurtureEmail, At: ago(2 * day)}}, Consent: optedIn},
			Track: "ops-101"},
		{Lead: &lead.Lead{ID: "L-6", Owner: "bob", Stage: lead.StageOpportunity, Value: lead.MustParseMoney("30000", "EUR"),
			Activities: []lead.Activity{{Kind: lead.KindCallConnected, At: ago(day)}}}},
	}

	ops, _ := nurture.NewTrack(nurture.TrackSpec{Name: "ops-101", Steps: []nurture.Step{
		{Asset: "Why fleets overspend", Specificity: nurture.SpecificityProblem, Channel: lead.ChannelEmail}}})
	enroller, _ := nurture.NewEnroller(nurture.EnrolmentSpec{Default: "ops-101"}, ops)
	auditor, err := nurture.NewAuditor(nurture.AuditConfig{
		Vocabulary: policy.Vocabulary(),
		Enroller:   enroller,
		Targets: []nurture.Target{
			{Stage: lead.StageOpportunity, Leads: 5, Values: []lead.Money{gbp("500000"), lead.MustParseMoney("20000", "EUR")}},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	report, err := auditor.Run(context.Background(), slices.Values(leads), now)
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = report.WriteText(os.Stdout)
	// Output:
	// Neglect audit at 2026-03-02 10:00 UTC: 6 leads, 6 findings
	//
	// Response deadline breaches: 2
	//   - L-1 (sales_accepted, 50000.00 GBP): respond now: asked for pricing 3h ago and no one from sales has answered; the deadline passed 2h55m ago (owner ann)
	//   - L-2 (sales_qualified, 12000.00 GBP): review how leads are answered: asked for a demo and sales answered 4h later, 3h55m past the deadline (owner ann)
	//
	// Ignored prospects: 1
	//   - L-3 (opportunity, 120000.00 GBP): touch the lead: no touch by sales for 20d in opportunity, which allows 14d (owner bob)
	//
	// Unnurtured interest: 1
	//   - L-4 (new, 8000 EUR): enrol on track "ops-101": interested 5d ago and on no track
	//
	// Pipeline coverage shortfalls: 2
	//   - refill opportunity: it holds 2 leads of the 5 targeted
	//   - refill opportunity: it holds 120000.00 GBP of the 500000 GBP targeted
	//
	// Pipeline:
	//   new                  1 lead      8000 EUR
	//   nurturing            1 lead      9000.00 GBP
	//   sales_accepted       1 lead      50000.00 GBP
	//   sales_qualified      1 lead      12000.00 GBP
	//   opportunity          2 leads     30000 EUR  120000.00 GBP  (target 5 leads, 20000 EUR, 500000 GBP: short)
	//
	// Owners (imbalance 1.00: the busiest holds 1.00 times the average of open leads):
	//   OWNER       LEADS  OPEN  NEED  BREACHES  OUTSIDE HOURS  IGNORED
	//   ann         2      2     1     2         0              0
	//   bob         2      2     0     0         0              1
	//   (no owner)  2      2     0     0         0              0
}
