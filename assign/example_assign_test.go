package assign_test

import (
	"context"
	"fmt"
	"time"

	"github.com/leadqual/leadqual/assign"
	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// Rules as a host stores them, and need routed by them: a German prospect
// to the DACH territory (Jan is on leave, so Lena), a fleet enquiry to the
// fleet specialists in turn, an account's lead to its owner, the rest to
// whoever holds least (of equals, whoever has waited longest since their
// last lead). Every owner comes with the reason.
func ExampleAssigner_Assign() {
	rules, err := assign.ParseRules([]byte(`{
		"people": [
			{"id": "sam"}, {"id": "priya"}, {"id": "lena", "capacity": 20},
			{"id": "jan", "away": [{"from": "2026-11-20T00:00:00Z", "until": "2026-11-30T00:00:00Z"}]}
		],
		"rules": [
			{"name": "dach", "countries": ["DE", "AT", "CH"], "people": ["jan", "lena"]},
			{"name": "fleet", "products": ["FleetInsight"], "people": ["sam", "priya"], "choose": "round_robin"},
			{"name": "everyone", "people": ["sam", "priya", "lena"]}
		],
		"escalation": [{"to": "owner"}]
	}`))
	if err != nil {
		panic(err)
	}
	policy, _ := qualify.Compile(qualify.DefaultSpec())
	a, err := assign.New(assign.NewMemState(), assign.Config{Rules: rules, Vocabulary: policy.Vocabulary()})
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	ask := func(id, country, product string) *lead.Lead {
		return &lead.Lead{ID: id, Company: lead.Company{Country: country},
			Activities: []lead.Activity{{Kind: lead.KindPricingRequest, At: now.Add(-time.Minute), Product: product}}}
	}
	for _, req := range []assign.Request{
		{Lead: ask("L-1", "DE", "")},
		{Lead: ask("L-2", "GB", "FleetInsight")},
		{Lead: ask("L-3", "IE", "FleetInsight")},
		{Lead: ask("L-4", "FR", ""), AccountOwner: "priya"},
		{Lead: ask("L-5", "FR", "")},
	} {
		d, _ := qualify.EvaluateAt(context.Background(), policy, req.Lead, now)
		req.Decision = &d
		res, err := a.Assign(context.Background(), req, now)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%s -> %s: %s\n", res.Lead, res.Owner, res.Reason)
	}
	// Output:
	// L-1 -> lena: rule "dach" (country DE): least loaded: lena 0 open; passed over jan away until 30 Nov 2026 00:00 UTC
	// L-2 -> sam: rule "fleet" (product fleetinsight): round robin of 2: sam 0 open, priya 0 open
	// L-3 -> priya: rule "fleet" (product fleetinsight): round robin of 2: priya 0 open, sam 1 open
	// L-4 -> priya: account owner priya (1 open)
	// L-5 -> lena: rule "everyone": least loaded of 3: lena 1 open, sam 1 open, priya 2 open
}
