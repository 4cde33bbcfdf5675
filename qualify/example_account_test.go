package qualify_test

import (
	"context"
	"fmt"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// Three people of one firm: one reads a white paper, one attends a
// webinar, one asks for pricing. Alone, two of them are weak interest; as
// an account they are a buying group in motion, and the need of one is the
// account's, answered through the person who showed it. The decision
// names the roles reached and the one still missing.
func ExampleEvaluateAccount() {
	policy, err := qualify.CompileJSON([]byte(`{
		"name": "buying-groups",
		"rules": [
			{"name": "need", "when": "signals(\"need\") > 0", "intent": "need", "reason": "{need}"},
			{"name": "interest", "when": "signals(\"interest\") > 0", "intent": "interest", "reason": "{interest}"},
			{"name": "content", "when": "signals(\"interest\") > 0", "dimension": "engagement", "points": 10,
			 "reason": "consumed our content"},
			{"name": "buying-group", "when": "engaged() >= 3", "dimension": "engagement", "points": 30,
			 "reason": "a buying group in motion: three or more people engaged"}
		]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	person := func(id, name string, role lead.Role, kind lead.Kind, ago time.Duration) lead.Lead {
		return lead.Lead{ID: id, Contact: lead.Contact{Name: name, Role: role},
			Activities: []lead.Activity{{Kind: kind, At: now.Add(-ago)}}}
	}
	account := &lead.Account{ID: "northwind.example", Company: lead.Company{Name: "Northwind"}, Leads: []lead.Lead{
		person("L-1", "Ann Lee", lead.RoleInfluencer, lead.KindWhitePaper, 72*time.Hour),
		person("L-2", "Bob Ray", lead.RoleUser, lead.KindWebinarAttended, 48*time.Hour),
		person("L-3", "Dee Fox", lead.RoleUser, lead.KindPricingRequest, 3*time.Minute),
	}}

	d, err := qualify.EvaluateAccount(context.Background(), policy, account, now)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Verdict, "->", d.Route, "through", d.Contact, "by", d.Deadline.Format("15:04"))
	fmt.Println("engagement:", d.Engagement, "reached:", d.Group.Reached, "missing:", d.Group.Missing)
	for _, r := range d.Reasons() {
		fmt.Println("-", r)
	}
	for _, c := range d.Contacts {
		fmt.Printf("  %s alone: %s -> %s\n", c.Lead, c.Verdict, c.Route)
	}
	// Output:
	// need -> sales through L-3 by 09:02
	// engagement: 50 reached: [influencer user] missing: [decision_maker]
	// - Dee Fox (user) asked for pricing
	// - 3 of 3 contacts engaged: Ann Lee, Bob Ray, Dee Fox
	// - no decision maker reached: reach the sales, finance or managing director (reached: influencer, user)
	// - a buying group in motion: three or more people engaged
	//   L-1 alone: interest -> nurture
	//   L-2 alone: interest -> nurture
	//   L-3 alone: need -> sales
}
