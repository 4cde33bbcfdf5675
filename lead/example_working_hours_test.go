package lead_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/leadqual/leadqual/lead"
)

// A sales team's hours as a host stores them, and the deadline of a
// request that arrives while the team is away: five minutes of working
// time from Sunday 02:00 end on Monday at 09:05; from Friday 16:58 they
// end on Monday at 09:03, two minutes on Friday and three on Monday.
func ExampleCalendar_Add() {
	var hours lead.WorkingHours
	stored := `{"start": "09:00", "end": "17:00", "holidays": ["2026-12-25"], "zone": "Europe/London"}`
	if err := json.Unmarshal([]byte(stored), &hours); err != nil {
		panic(err)
	}
	cal, err := hours.Calendar()
	if err != nil {
		panic(err)
	}
	london := cal.Location()
	for _, need := range []time.Time{
		time.Date(2026, 11, 22, 2, 0, 0, 0, london),   // Sunday night
		time.Date(2026, 11, 23, 10, 0, 0, 0, london),  // Monday morning
		time.Date(2026, 11, 27, 16, 58, 0, 0, london), // Friday, just before closing
		time.Date(2026, 12, 24, 16, 58, 0, 0, london), // Christmas Eve
	} {
		due, err := cal.Add(need, 5*time.Minute)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s  open %-5v  due %s\n", need.Format("Mon 2 Jan 15:04"), cal.Open(need), due.Format("Mon 2 Jan 15:04"))
	}
	// Output:
	// Sun 22 Nov 02:00  open false  due Mon 23 Nov 09:05
	// Mon 23 Nov 10:00  open true   due Mon 23 Nov 10:05
	// Fri 27 Nov 16:58  open true   due Mon 30 Nov 09:03
	// Thu 24 Dec 16:58  open true   due Mon 28 Dec 09:03
}

// Validation names every field that is wrong.
func ExampleWorkingHours_Validate() {
	w := lead.WorkingHours{Start: 17 * time.Hour, End: 9 * time.Hour, Days: []time.Weekday{time.Monday, time.Monday}, Zone: "Mars/Olympus"}
	fmt.Println(w.Validate())
	// Output:
	// start: working day 17:00 to 09:00: want 00:00 <= start < end <= 24:00
	// days[1]: Monday listed twice
	// zone: unknown time zone "Mars/Olympus"
}
