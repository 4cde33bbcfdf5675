package qualify_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

var now = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// A policy is data: compile it once from the JSON a CRM stores, and share
// the compiled *Policy between request handlers.
func ExampleCompileJSON() {
	policy, err := qualify.CompileJSON([]byte(`{
		"name": "inbound",
		"settings": {"response_deadline": "10m"},
		"rules": [
			{"name": "asked-for-a-demo", "when": "fresh(\"demo_request\")", "intent": "need",
			 "reason": "asked for a demo"},
			{"name": "read-the-guide", "when": "count(\"white_paper\", \"90d\") > 0", "intent": "interest",
			 "reason": "read a guide"},
			{"name": "big-company", "when": "company.employees >= 200", "dimension": "fit", "points": 20,
			 "reason": "200 people or more"}
		]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(policy.Name(), policy.Rules())
	// Output: inbound [asked-for-a-demo read-the-guide big-company]
}

// A prospect who asks for a price needs something: the decision routes
// the lead to sales with a response deadline.
func ExampleEvaluateAt_need() {
	policy, _ := qualify.Compile(qualify.DefaultSpec())
	l := &lead.Lead{
		ID:      "L-1001",
		Contact: lead.Contact{Role: lead.RoleDecisionMaker},
		Activities: []lead.Activity{
			{Kind: lead.KindWhitePaper, At: now.Add(-72 * time.Hour)},
			{Kind: lead.KindPricingRequest, At: now.Add(-2 * time.Minute)},
		},
	}
	d, err := qualify.EvaluateAt(context.Background(), policy, l, now)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Verdict, "->", d.Route, "respond by", d.Deadline.Format("15:04"))
	fmt.Println("next stage:", d.NextStage)
	for _, m := range d.Matched {
		fmt.Println("-", m.Reason)
	}
	// Output:
	// need -> sales respond by 09:03
	// next stage: sales_accepted
	// - asked for pricing
	// - downloaded a white paper
	// - talking to a decision maker
	// - consumed educational content (10 points each, at most 30)
}

// A prospect who reads is interested, not in need: nurture, with the
// reasons a marketer reads.
func ExampleEvaluateAt_interest() {
	policy, _ := qualify.Compile(qualify.DefaultSpec())
	l := &lead.Lead{
		ID:      "L-1002",
		Contact: lead.Contact{Role: lead.RoleInfluencer},
		Company: lead.Company{Employees: 120},
		Activities: []lead.Activity{
			{Kind: lead.KindEbook, At: now.Add(-5 * 24 * time.Hour)},
			{Kind: lead.KindWebinarAttended, At: now.Add(-2 * 24 * time.Hour)},
			{Kind: lead.KindEmailClick, At: now.Add(-24 * time.Hour)},
		},
	}
	d, _ := qualify.EvaluateAt(context.Background(), policy, l, now)
	fmt.Printf("%s -> %s (fit %.0f, engagement %.0f)\n", d.Verdict, d.Route, d.Fit, d.Engagement)
	for _, r := range d.Reasons() {
		fmt.Println("-", r)
	}
	// Output:
	// interest -> nurture (fit 25, engagement 30)
	// - attended a webinar
	// - talking to an influencer
	// - a company of 50 or more people
	// - consumed educational content (10 points each, at most 30)
	// - attended a webinar
	// - clicked our emails (5 points each, at most 20)
}

// A prospect who chose another preferred supplier is out of scope: not
// dead, recycled on a long horizon. A true non-fit is final.
func ExampleEvaluateAt_outOfScope() {
	policy, _ := qualify.Compile(qualify.DefaultSpec())
	for _, reason := range []lead.Reason{lead.ReasonPreferredSupplier, lead.ReasonNotAFit} {
		l := &lead.Lead{ID: "L-1003", Stage: lead.StageLost, LostReason: reason}
		d, _ := qualify.EvaluateAt(context.Background(), policy, l, now)
		fmt.Println(d.Verdict, d.Reason, "->", d.Route, d.NextStage)
	}
	// Output:
	// out_of_scope preferred_supplier -> recycle recycled
	// out_of_scope not_a_fit -> drop disqualified
}

// A bad policy is refused at Compile, every problem at once, each with its
// rule and position.
func ExampleCompile_refused() {
	_, err := qualify.Compile(qualify.Spec{
		Name: "broken",
		Rules: []qualify.Rule{
			{Name: "typo", When: `contact.rol == "decision_maker"`, Reason: "r", Intent: lead.IntentNeed},
			{Name: "not-boolean", When: `count("demo_request", "30d")`, Reason: "r", Intent: lead.IntentNeed},
		},
	})
	var ce *qualify.CompileError
	if errors.As(err, &ce) {
		for _, p := range ce.Problems {
			fmt.Printf("%s %s %d:%d: %s\n", p.Rule, p.Field, p.Line, p.Column, p.Message)
		}
	}
	fmt.Println(errors.Is(err, qualify.ErrInvalidPolicy))
	// Output:
	// typo when 1:9: unknown field contact.rol (contact has: name, email, email_domain, phone, title, role, time_zone)
	// not-boolean when 1:1: must be a boolean (true or false), but is a number
	// true
}

// Money compares exactly and never across currencies.
func ExampleEvaluateAt_money() {
	policy, _ := qualify.Compile(qualify.Spec{Name: "budget", Rules: []qualify.Rule{{
		Name: "big-budget", When: `known(budget) && budget >= money("25000", "GBP")`,
		Reason: "a budget of 25,000 GBP or more", Dimension: qualify.DimensionFit, Points: "20",
	}}})
	for _, b := range []lead.Money{lead.MustParseMoney("25000.00", "GBP"), lead.MustParseMoney("30000", "EUR")} {
		d, err := qualify.EvaluateAt(context.Background(), policy, &lead.Lead{ID: "L", Budget: b}, now)
		fmt.Println(b, d.Fit, errors.Is(err, lead.ErrCurrencyMismatch))
	}
	// Output:
	// 25000.00 GBP 20 false
	// 30000 EUR 0 true
}

// A back-office job requalifies a stream of leads on every core, and reads
// the decisions in input order.
func ExampleEvaluateAll() {
	policy, _ := qualify.Compile(qualify.DefaultSpec())
	leads := func(yield func(*lead.Lead) bool) {
		for i, k := range []lead.Kind{lead.KindDemoRequest, lead.KindNewsletterSignup, lead.KindPageVisit} {
			l := &lead.Lead{ID: fmt.Sprint("L-", i), Activities: []lead.Activity{{Kind: k, At: now.Add(-time.Hour)}}}
			if !yield(l) {
				return
			}
		}
	}
	for r := range qualify.EvaluateAll(context.Background(), policy, leads, qualify.BatchOptions{Now: now}) {
		fmt.Println(r.Index, r.Lead.ID, r.Decision.Verdict, r.Decision.Route, r.Err)
	}
	// Output:
	// 0 L-0 need sales <nil>
	// 1 L-1 interest nurture <nil>
	// 2 L-2 none nurture <nil>
}
