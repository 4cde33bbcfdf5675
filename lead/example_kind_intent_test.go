package lead_test

import (
	"fmt"

	"github.com/leadqual/leadqual/lead"
)

// Interest is the counterfeit of need: every well-known kind of activity
// carries a default intent. A host's own kinds are accepted, with none.
// These are the catalogue's defaults; what a kind means to a business is
// its qualify policy's vocabulary (qualify.Vocabulary), which every
// package reads.
func ExampleKind_Intent() {
	for _, k := range []lead.Kind{
		lead.KindWhitePaper, lead.KindWebinarAttended, lead.KindPricingRequest,
		lead.KindDemoRequest, lead.KindTradeShow, lead.KindUnsubscribe, lead.KindPageVisit, "podcast_listened",
	} {
		fmt.Printf("%-18s %-8s %s\n", k, k.Intent(), k.Describe())
	}
	// Output:
	// white_paper        interest downloaded a white paper
	// webinar_attended   interest attended a webinar
	// pricing_request    need     asked for pricing
	// demo_request       need     asked for a demo
	// trade_show         interest visited our stand at a trade show
	// unsubscribe        negative unsubscribed
	// page_visit         none     visited a page
	// podcast_listened   none     podcast_listened
}
