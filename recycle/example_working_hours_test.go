package recycle_test

import (
	"fmt"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/recycle"
)

// Due times kept to working hours in each lead's own time zone: a lead due
// on a Saturday is called on Monday morning, local time, spread over the
// morning by its ID, whatever the clocks did over the weekend.
func ExampleWorkingHours() {
	p, err := recycle.NewPlanner(recycle.Horizons{
		Jitter: -1,
		Hours: &recycle.WorkingHours{
			Start: 9 * time.Hour, End: 12 * time.Hour, // mornings
			Holidays: []string{"2026-04-03", "2026-04-06"}, // Good Friday, Easter Monday
		},
		Reasons: map[lead.Reason]recycle.Horizon{"call_tomorrow": {After: recycle.Day, Task: "Call back"}},
	})
	if err != nil {
		panic(err)
	}
	friday := time.Date(2026, 3, 27, 10, 0, 0, 0, time.UTC) // the clocks change in Europe that weekend
	for _, zone := range []string{"Europe/London", "America/New_York", "Asia/Tokyo"} {
		l := &lead.Lead{ID: "L-" + zone, Contact: lead.Contact{TimeZone: zone}}
		plan, _ := p.Plan(l, "call_tomorrow", recycle.Prior{}, friday)
		fmt.Printf("%-16s %s\n", zone, plan.Due.Format("Mon 2 Jan 15:04 MST"))
	}
	easter := time.Date(2026, 4, 2, 10, 0, 0, 0, time.UTC) // Thursday before Easter
	plan, _ := p.Plan(&lead.Lead{ID: "L-easter", Contact: lead.Contact{TimeZone: "Europe/London"}}, "call_tomorrow", recycle.Prior{}, easter)
	fmt.Println("after Easter:    ", plan.Due.Format("Mon 2 Jan 15:04 MST"))
	// Output:
	// Europe/London    Mon 30 Mar 11:21 BST
	// America/New_York Mon 30 Mar 10:29 EDT
	// Asia/Tokyo       Mon 30 Mar 09:14 JST
	// after Easter:     Tue 7 Apr 11:14 BST
}
