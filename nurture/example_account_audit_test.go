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

// The neglect audit by account: a buying group in motion that nobody owns,
// and that has not reached its decision maker.
func ExampleAuditor_RunAccounts() {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	auditor, err := nurture.NewAuditor(nurture.AuditConfig{Vocabulary: qualify.DefaultVocabulary()})
	if err != nil {
		fmt.Println(err)
		return
	}
	account := &lead.Account{ID: "northwind.example", Value: lead.MustParseMoney("90000", "GBP"), Leads: []lead.Lead{
		{ID: "L-1", Contact: lead.Contact{Role: lead.RoleUser}, CreatedAt: now.Add(-24 * time.Hour), Stage: lead.StageNurturing,
			Activities: []lead.Activity{{Kind: lead.KindWebinarAttended, At: now.Add(-24 * time.Hour)}}},
		{ID: "L-2", Owner: "rep-2", Contact: lead.Contact{Role: lead.RoleInfluencer}, CreatedAt: now.Add(-time.Hour),
			Activities: []lead.Activity{{Kind: lead.KindPricingRequest, At: now.Add(-time.Hour)}}},
	}}
	report, err := auditor.RunAccounts(context.Background(), slices.Values([]nurture.AccountItem{
		{Account: account, Tracks: map[string]string{"L-1": "ops-101"}},
	}), now)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(report)
	// Output:
	// Neglect audit at 2026-03-02 10:00 UTC: 1 account, 2 leads, 3 findings
	//
	// Response deadline breaches: 1
	//   - L-2 (new, no value): respond now: asked for pricing 1h ago and no one from sales has answered; the deadline passed 55m ago (owner rep-2)
	//
	// Accounts with need and no owner: 1
	//   - account northwind.example (new, 90000 GBP): give the account an owner: lead L-2 asked for pricing 1h ago and nobody answers for the account; the response deadline passed 55m ago (the lead's owner rep-2)
	//
	// Buying groups without the roles that decide: 1
	//   - account northwind.example (new, 90000 GBP): reach the decision maker: 2 contacts engaged for 1d without one (a sales, finance or managing director)
	//
	// Pipeline:
	//   new                  1 lead      (1 with no value)
	//   nurturing            1 lead      (1 with no value)
	//
	// Owners (imbalance 1.00: the busiest holds 1.00 times the average of open leads):
	//   OWNER       LEADS  OPEN  NEED  BREACHES  OUTSIDE HOURS  IGNORED
	//   rep-2       1      1     1     1         0              0
	//   (no owner)  1      1     0     0         0              0
}
