package lead_test

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/leadqual/leadqual/lead"
)

// A host builds a Lead from what its CRM knows, validates it against its
// own clock and stores or sends the JSON form.
func ExampleLead() {
	created := time.Date(2025, time.March, 3, 9, 0, 0, 0, time.UTC)
	l := lead.Lead{
		ID: "lead-0042",
		Contact: lead.Contact{
			Name:     "Ann Lee",
			Email:    "ann.lee@example.co.uk",
			Role:     lead.RoleDecisionMaker,
			TimeZone: "Europe/London",
		},
		Company: lead.Company{Name: "Example Haulage Ltd", Domain: "example.co.uk", Employees: 250, Country: "GB"},
		Source:  "web_form",
		Budget:  lead.MustParseMoney("50000.00", "GBP"),
		Activities: []lead.Activity{
			{Kind: lead.KindWhitePaper, At: created, Asset: "The cost of empty miles"},
			{Kind: lead.KindPricingRequest, At: created.Add(2 * time.Hour), Product: "route-planner"},
		},
		Consent: map[lead.Channel]lead.Consent{
			lead.ChannelEmail: {State: lead.ConsentOptedIn, At: created, How: "web form"},
		},
		CreatedAt: created,
		UpdatedAt: created.Add(2 * time.Hour),
	}
	if err := l.Validate(created.Add(3 * time.Hour)); err != nil {
		fmt.Println(err)
		return
	}

	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(l); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {
	//   "id": "lead-0042",
	//   "contact": {
	//     "name": "Ann Lee",
	//     "email": "ann.lee@example.co.uk",
	//     "role": "decision_maker",
	//     "time_zone": "Europe/London"
	//   },
	//   "company": {
	//     "name": "Example Haulage Ltd",
	//     "domain": "example.co.uk",
	//     "employees": 250,
	//     "country": "GB"
	//   },
	//   "source": "web_form",
	//   "stage": "new",
	//   "budget": {
	//     "amount": "50000.00",
	//     "currency": "GBP"
	//   },
	//   "activities": [
	//     {
	//       "kind": "white_paper",
	//       "at": "2025-03-03T09:00:00Z",
	//       "asset": "The cost of empty miles"
	//     },
	//     {
	//       "kind": "pricing_request",
	//       "at": "2025-03-03T11:00:00Z",
	//       "product": "route-planner"
	//     }
	//   ],
	//   "consent": {
	//     "email": {
	//       "state": "opted_in",
	//       "at": "2025-03-03T09:00:00Z",
	//       "how": "web form"
	//     }
	//   },
	//   "created_at": "2025-03-03T09:00:00Z",
	//   "updated_at": "2025-03-03T11:00:00Z"
	// }
}
