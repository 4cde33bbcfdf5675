package recycle_test

import (
	"fmt"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/recycle"
)

// Horizons are data a CRM stores as JSON; a bad configuration is refused
// with every problem and the field it is in.
func ExampleParseHorizons() {
	h, err := recycle.ParseHorizons([]byte(`{
		"reasons": {"not_now": {"after": "60d", "ahead": "14d"}, "building_in_house": {"after": "150d", "longest": "300d"}},
		"cap": 4,
		"hours": {"start": "09:00", "end": "17:30", "zone": "Europe/London"}
	}`))
	fmt.Println(h.Reasons[lead.ReasonNotNow].After, h.Reasons["building_in_house"].Longest, h.Cap, h.Hours.End, err)

	_, err = recycle.ParseHorizons([]byte(`{"reasons": {"not_now": {"after": "two months"}}, "hours": {"days": ["funday"]}}`))
	fmt.Println(err)
	_, err = recycle.ParseHorizons([]byte(`{"reasons": {"no_budget": {"after": "90d", "longest": "30d"}}}`))
	fmt.Println(err)
	// Output:
	// 1440h0m0s 7200h0m0s 4 17h30m0s <nil>
	// recycle: horizons: reasons.not_now.after: lead: duration "two months" does not start with a number; write whole numbers with units w, d, h, m, s, largest first, as in "30d" or "1d12h"; hours.days[0]: "funday" is not a weekday (monday ... sunday)
	// recycle: invalid horizons: Horizons.Reasons[no_budget].Longest: 720h0m0s is less than After (2160h0m0s), the first wait: raise Longest or lower After
}

// A catalogue whose terms collide is refused, naming both places.
func ExampleNewClassifier() {
	_, err := recycle.NewClassifier(recycle.Catalogue{
		Products: []recycle.Product{{Name: "RoutePlanner", Topics: []string{"telematics"}}},
		Industry: []string{"Telematics"},
	}, qualify.DefaultVocabulary())
	fmt.Println(err)
	// Output:
	// recycle: invalid catalogue: industry[0]: "Telematics" is already in the catalogue as products[0].topics[0]
}
