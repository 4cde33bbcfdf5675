package match_test

import (
	"fmt"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/match"
)

// Three people of one firm, found by company domain: the email domain
// counts unless it is free mail, which the host can extend.
func ExampleMatcher_Accounts() {
	m, err := match.New(match.Config{FreeMail: []string{"regional-isp.example"}})
	if err != nil {
		panic(err)
	}
	leads := []lead.Lead{
		{ID: "L-1", Contact: lead.Contact{Name: "Ann Lee", Email: "ann@northwind.example", Role: lead.RoleInfluencer}},
		{ID: "L-2", Contact: lead.Contact{Name: "Bob Ray", Email: "bob@gmail.com"}},
		{ID: "L-3", Contact: lead.Contact{Name: "Cy Oz", Email: "cy@regional-isp.example"}, Company: lead.Company{Domain: "northwind.example"}},
		{ID: "L-4", Contact: lead.Contact{Name: "Dee Fox", Email: "dee@NorthWind.example"}},
		{ID: "L-5", Contact: lead.Contact{Name: "Eve Kim", Email: "eve@regional-isp.example"}},
	}
	accounts, alone := m.Accounts(leads)
	for _, a := range accounts {
		fmt.Print(a.ID, ":")
		for _, l := range a.Leads {
			fmt.Print(" ", l.ID)
		}
		fmt.Println()
	}
	fmt.Println("no company domain:", alone)
	// Output:
	// northwind.example: L-1 L-3 L-4
	// no company domain: [1 4]
}
