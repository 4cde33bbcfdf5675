package qualify_test

import (
	"context"
	"fmt"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// Response deadlines in the sales team's working hours: five minutes of
// working time, so a pricing request at 02:00 on a Sunday is due when the
// team opens on Monday, not at 02:05; and with "off_hours": "on_call" it
// is due at 02:05 after all, for whoever is on call. The decision says
// which need arrived outside the hours.
func ExampleVocabulary_Deadline() {
	for _, off := range []string{"opening", "on_call"} {
		policy, err := qualify.CompileJSON([]byte(`{
			"name": "inbound",
			"settings": {
				"response_deadline": "5m",
				"response_hours": {"start": "09:00", "end": "17:30", "zone": "Europe/London", "holidays": ["2026-12-25"]},
				"off_hours": "` + off + `"
			},
			"rules": [{"name": "need", "when": "signals(\"need\") > 0", "intent": "need", "reason": "{need}"}]
		}`))
		if err != nil {
			panic(err)
		}
		london := policy.Vocabulary().Hours().Location()
		for _, at := range []time.Time{
			time.Date(2026, 11, 22, 2, 0, 0, 0, london),   // Sunday night
			time.Date(2026, 11, 23, 11, 0, 0, 0, london),  // Monday morning
			time.Date(2026, 11, 27, 17, 28, 0, 0, london), // Friday, two minutes before closing
		} {
			l := &lead.Lead{ID: "L-1", Activities: []lead.Activity{{Kind: lead.KindPricingRequest, At: at}}}
			d, err := qualify.EvaluateAt(context.Background(), policy, l, at.Add(time.Minute))
			if err != nil {
				panic(err)
			}
			fmt.Printf("%-7s asked %s  outside hours %-5v  respond by %s\n", off, at.Format("Mon 15:04"), d.OutsideHours, d.Deadline.In(london).Format("Mon 15:04"))
		}
	}
	// Output:
	// opening asked Sun 02:00  outside hours true   respond by Mon 09:05
	// opening asked Mon 11:00  outside hours false  respond by Mon 11:05
	// opening asked Fri 17:28  outside hours false  respond by Mon 09:03
	// on_call asked Sun 02:00  outside hours true   respond by Sun 02:05
	// on_call asked Mon 11:00  outside hours false  respond by Mon 11:05
	// on_call asked Fri 17:28  outside hours false  respond by Mon 09:03
}
