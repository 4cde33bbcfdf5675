// Command quickstart is leadqual's main job: it builds a lead, validates it
// and walks it through the funnel.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/leadqual/leadqual/lead"
)

func main() {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	l := lead.Lead{
		ID:      "L-1001",
		Contact: lead.Contact{Name: "Ada Byrne", Email: "ada@example.co.uk", Role: lead.RoleDecisionMaker, TimeZone: "Europe/London"},
		Company: lead.Company{Name: "Byrne Logistics", Domain: "byrne.example", Industry: "logistics", Employees: 240, Country: "GB"},
		Value:   lead.MustParseMoney("50000.00", "GBP"),
		Activities: []lead.Activity{
			{Kind: lead.KindWhitePaper, At: now.Add(-72 * time.Hour), Asset: "Fleet costs explained"},
			{Kind: lead.KindPricingRequest, At: now.Add(-10 * time.Minute), Product: "RoutePlanner"},
		},
	}
	if err := l.Validate(now); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, a := range l.Activities {
		fmt.Printf("%-16s %-22s intent=%s\n", a.At.Format("Jan 02 15:04"), a.Kind, a.Kind.Intent())
	}
	if err := l.MoveTo(lead.StageSalesAccepted, now, "asked for pricing"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%s (%s, worth %s) is now %s\n", l.ID, l.Company.Name, l.Value, l.Stage)
}
