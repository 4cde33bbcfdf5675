package lead_test

import (
	"fmt"
	"time"

	"github.com/leadqual/leadqual/lead"
)

// Two records of one person: the merge keeps the earliest creation, the
// strongest consent (an opt-out anywhere wins), every activity, and both
// histories: the one live, the other recorded with its lead's ID.
func ExampleMerge() {
	t0 := time.Date(2025, time.March, 3, 9, 0, 0, 0, time.UTC)
	webinar := lead.Lead{
		ID: "L-17", CreatedAt: t0,
		Contact:    lead.Contact{Name: "Ann Lee", Email: "ann.lee@acme.example"},
		Consent:    map[lead.Channel]lead.Consent{lead.ChannelEmail: {State: lead.ConsentOptedOut, At: t0.Add(48 * time.Hour), How: "unsubscribed"}},
		Activities: []lead.Activity{{Kind: lead.KindWebinarAttended, At: t0}},
		Stage:      lead.StageNurturing,
		History:    []lead.Transition{{From: lead.StageNew, To: lead.StageNurturing, At: t0, Reason: "attended a webinar"}},
	}
	quote := lead.Lead{
		ID: "L-90", CreatedAt: t0.Add(30 * 24 * time.Hour),
		Contact:    lead.Contact{Email: "a.lee@acme.example", Role: lead.RoleDecisionMaker},
		Consent:    map[lead.Channel]lead.Consent{lead.ChannelEmail: {State: lead.ConsentOptedIn, At: t0.Add(30 * 24 * time.Hour), How: "quote form"}},
		Activities: []lead.Activity{{Kind: lead.KindQuoteRequest, At: t0.Add(30 * 24 * time.Hour)}},
		Stage:      lead.StageSalesAccepted,
		History:    []lead.Transition{{From: lead.StageNew, To: lead.StageSalesAccepted, At: t0.Add(30 * 24 * time.Hour), Reason: "asked for a quote"}},
	}

	m := lead.Merge(quote, webinar)
	fmt.Println(m.ID, m.Contact.Name, m.Contact.Email, m.Contact.Role, m.CreatedAt.Format("2 Jan"))
	fmt.Println("email consent:", m.ConsentFor(lead.ChannelEmail).State)
	fmt.Println("activities:", len(m.Activities), "stage:", m.Stage)
	for _, r := range m.Merged {
		if r.Funnel != nil {
			fmt.Printf("set aside: %s was %s since %s\n", r.ID, r.Funnel.Stage, r.Funnel.History[0].At.Format("2 Jan"))
		} else {
			fmt.Printf("merged: %s (%s)\n", r.ID, r.Email)
		}
	}
	// Output:
	// L-17 Ann Lee ann.lee@acme.example decision_maker 3 Mar
	// email consent: opted_out
	// activities: 2 stage: sales_accepted
	// set aside: L-17 was nurturing since 3 Mar
	// merged: L-90 (a.lee@acme.example)
}
