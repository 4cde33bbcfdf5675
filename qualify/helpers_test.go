package qualify

import (
	"time"

	"github.com/leadqual/leadqual/lead"
)

// The fixed timeline of the tests: t0 is "now".
var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func ago(d time.Duration) time.Time { return t0.Add(-d) }

const day = 24 * time.Hour

func act(k lead.Kind, at time.Time) lead.Activity { return lead.Activity{Kind: k, At: at} }

// newLead returns a plain lead with the given activities.
func newLead(id string, acts ...lead.Activity) *lead.Lead {
	return &lead.Lead{
		ID:         id,
		Contact:    lead.Contact{Name: "Ada Byrne", Email: "ada@example.co.uk", Role: lead.RoleUser},
		Company:    lead.Company{Name: "Byrne Logistics", Industry: "logistics", Employees: 20, Country: "GB"},
		Activities: acts,
	}
}

// spec builds a one-policy spec from rules.
func spec(rules ...Rule) Spec { return Spec{Name: "test", Rules: rules} }

func need(name, when string) Rule {
	return Rule{Name: name, When: when, Reason: name, Intent: lead.IntentNeed}
}

func interest(name, when string) Rule {
	return Rule{Name: name, When: when, Reason: name, Intent: lead.IntentInterest}
}

func points(name, when string, dim Dimension, pts string) Rule {
	return Rule{Name: name, When: when, Reason: name, Dimension: dim, Points: Points(pts)}
}

func disqualify(name, when string, code lead.Reason) Rule {
	return Rule{Name: name, When: when, Reason: name, Disqualify: code}
}
