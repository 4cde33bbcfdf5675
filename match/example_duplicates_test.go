package match_test

import (
	"fmt"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/match"
)

// One person under two addresses at one company, and again by phone: the
// candidates, with what links them, merged into one lead.
func ExampleMatcher_Duplicates() {
	m, err := match.New(match.Config{})
	if err != nil {
		panic(err)
	}
	leads := []lead.Lead{
		{ID: "L-1", Contact: lead.Contact{Name: "Ann Lee", Email: "ann.lee@northwind.example"}},
		{ID: "L-2", Contact: lead.Contact{Name: "Bob Ray", Email: "bob@northwind.example"}},
		{ID: "L-3", Contact: lead.Contact{Name: "ANN LEE", Email: "alee@northwind.example", Phone: "+44 20 7946 0958"}},
		{ID: "L-4", Contact: lead.Contact{Email: "ann.lee@gmail.com", Phone: "0044 20 7946 0958"}},
	}
	for _, d := range m.Duplicates(leads) {
		fmt.Println(d.Leads, d.Keys)
		merged := leads[d.Leads[0]]
		for _, i := range d.Leads[1:] {
			merged = lead.Merge(merged, leads[i])
		}
		fmt.Println(merged.ID, merged.Contact.Email, "merged from", len(merged.Merged), "other records")
	}
	// Output:
	// [0 2 3] [name:ann lee@northwind.example phone:+442079460958]
	// L-1 ann.lee@northwind.example merged from 2 other records
}
