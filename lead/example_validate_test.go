package lead_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/leadqual/leadqual/lead"
)

// Validate reports every problem of a lead at once, each with the path of
// the field as it appears in JSON, so an import or a web form can show
// them all.
func ExampleLead_Validate() {
	const imported = `{
		"id": "lead-0043",
		"contact": {"email": "Bob Smith <bob@example.com>", "role": "influencer", "time_zone": "Europe/Londres"},
		"company": {"domain": "example", "employees": -5, "country": "UK"},
		"budget": {"amount": "25000.00", "currency": "GPB"},
		"activities": [
			{"kind": "white_paper", "at": "2025-03-03T09:00:00Z"},
			{"kind": "demo_request"},
			{"kind": "quote_request", "at": "2025-03-04T09:00:00Z"},
			{"kind": "call_connected", "at": "2025-03-20T09:00:00Z"}
		],
		"consent": {"email": {"state": "opted_in"}},
		"history": [{"from": "new", "to": "won", "at": "2025-03-03T10:00:00Z"}]
	}`
	var l lead.Lead
	if err := json.Unmarshal([]byte(imported), &l); err != nil {
		fmt.Println(err)
		return
	}

	now := time.Date(2025, time.March, 5, 9, 0, 0, 0, time.UTC)
	err := l.Validate(now)
	fmt.Println("invalid:", errors.Is(err, lead.ErrInvalid))
	var ve *lead.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fmt.Printf("%-20s %s\n", p.Path, p.Problem)
		}
	}
	// Output:
	// invalid: true
	// contact.email        "Bob Smith <bob@example.com>" is not an email address
	// contact.time_zone    unknown time zone "Europe/Londres"
	// company.domain       "example" is not a domain name
	// company.employees    negative (-5)
	// company.country      "UK" is not an ISO 3166-1 alpha-2 code
	// budget.currency      "GPB" is not an ISO 4217 code
	// activities[1].at     missing
	// activities[3].at     in the future (2025-03-20T09:00:00Z, now is 2025-03-05T09:00:00Z)
	// consent.email.at     missing
	// history[0]           illegal move new -> won
	// history[0].to        won, but the lead's stage is new
}
