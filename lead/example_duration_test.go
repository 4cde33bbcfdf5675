package lead_test

import (
	"fmt"

	"github.com/leadqual/leadqual/lead"
)

// Every duration in leadqual (a rule's window, a policy's freshness, a
// track's wait, a recycling horizon) is written in one syntax.
func ExampleParseDuration() {
	for _, s := range []string{"30d", "2w", "1d12h", "90m", "1h1h", "1.5h", "-3d"} {
		d, err := lead.ParseDuration(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%s = %v = %s\n", s, d, lead.FormatDuration(d))
	}
	// Output:
	// 30d = 720h0m0s = 30d
	// 2w = 336h0m0s = 14d
	// 1d12h = 36h0m0s = 1d12h
	// 90m = 1h30m0s = 1h30m
	// lead: duration "1h1h" has the unit h twice; each unit appears at most once
	// lead: duration "1.5h" has a fraction; write whole numbers of a smaller unit, as in "1h30m" for an hour and a half
	// lead: duration "-3d" is negative; durations are positive
}
