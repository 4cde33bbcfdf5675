package lead_test

import (
	"fmt"

	"github.com/leadqual/leadqual/lead"
)

// Interest is the counterfeit of need: every well-known kind of activity
// carries a default intent. A host's own kinds are accepted, with none.
func ExampleKind_Intent() {
	for _, k := range []lead.Kind{
		lead.KindWhitePaper, lead.KindWebinarAttended, lead.KindPricingRequest,
		lead.KindDemoRequest, lead.KindUnsubscribe, lead.KindPageVisit, "podcast_listened",
	} {
		fmt.Printf("%-18s %-8s %s\n", k, k.Intent(), k.Describe())
	}
	// Output:
	// white_paper        interest downloaded a white paper
	// webinar_attended   interest attended a webinar
	// pricing_request    need     asked for pricing
	// demo_request       need     asked for a demo
	// unsubscribe        negative unsubscribed
	// page_visit         none     visited a page
	// podcast_listened   none     podcast_listened
}

func ExampleKindsOf() {
	fmt.Println("need:", lead.KindsOf(lead.IntentNeed))
	fmt.Println("interest:", lead.KindsOf(lead.IntentInterest))
	// Output:
	// need: [pricing_request product_info_request quote_request demo_request contact_request trial_started meeting_booked call_connected]
	// interest: [white_paper ebook research_report webinar_registered webinar_attended newsletter_signup]
}
