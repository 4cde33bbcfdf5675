package ingest_test

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/leadqual/leadqual/ingest"
)

// A Salesforce report export, read with the salesforce preset and an
// organisation's own statements: what its Lead Source picklist means, and
// its date order and time zone. Unknown columns become custom fields.
func ExamplePreset() {
	export := strings.NewReader(`"Lead ID","First Name","Last Name","Company / Account","Email","Lead Source","Lead Status","No. of Employees","Country","Email Opt Out","Created Date","Rating"
"00Q1","Ada","Byrne","Byrne Logistics","ada@byrne.example","Web","Open - Not Contacted","1,098","United Kingdom","0","25/03/2026 09:05","Hot"
"00Q2","Ben","Ortiz","Ortiz Freight","ben@ortiz.example","Webinar","Working - Contacted","N/A","USA","1","03/04/2026 16:45","Warm"

"Grand Totals (2 records)"
`)
	own, err := ingest.ParseMapping("acme.map", `
		date: DD/MM/YYYY
		zone: Europe/London
		activity[source]    = Lead Source | map(Webinar=webinar_attended; Web=contact_request; *=)
		activity[source].at = Created Date`)
	if err != nil {
		fmt.Println(err)
		return
	}
	r := ingest.NewReader(export, ingest.Options{Mapping: ingest.MustPreset("salesforce").With(own)})
	for rec := range r.All() {
		l := rec.Lead
		fmt.Printf("line %d: %s %s, %s, %d employees, %s, %s, %s at %s, email %s, fields %v\n", rec.Line, l.ID, l.Contact.Name,
			l.Company.Country, l.Company.Employees, l.Stage, l.Source, l.Activities[0].Kind, l.Activities[0].At.Format(time.RFC3339),
			l.Consent["email"].State, l.Fields)
	}
	fmt.Println(r.Err())
	// Output:
	// line 2: 00Q1 Ada Byrne, GB, 1098 employees, new, Web, contact_request at 2026-03-25T09:05:00Z, email unknown, fields map[rating:Hot]
	// line 3: 00Q2 Ben Ortiz, US, 0 employees, sales_accepted, Webinar, webinar_attended at 2026-04-03T16:45:00+01:00, email opted_out, fields map[rating:Warm]
	// <nil>
}

// A dry run: read every lead, decide none, and see what the mapping does
// not translate before anything is scored.
func ExampleReport_WriteText() {
	export := strings.NewReader("id,Lead Source,Created\n" +
		"1,Webinar,2026-03-01\n" +
		"2,Purchased List,02/03/2026\n" +
		"3,Trade Show,25/03/2026\n" +
		"4,Purchased List,2026-03-04\n")
	m := ingest.MustParseMapping("-map", "activity[source] = Lead Source | map(Webinar=webinar_attended; *=), activity[source].at = Created")
	r := ingest.NewReader(export, ingest.Options{Mapping: m})
	for rec := range r.All() {
		if rec.Err != nil {
			fmt.Println(rec.Err)
		}
	}
	r.Report().WriteText(os.Stdout)
	// Output:
	// line 3, lead "2": activities (column "Created"): "02/03/2026" is ambiguous: 2 March 2026 or 3 February 2026; say date(DD/MM/YYYY) or date(MM/DD/YYYY) for this column
	// read csv, utf-8, delimiter ",", 3 columns: 4 rows, 3 leads, 1 bad
	//   column "Lead Source" (activity[source]): values its map does not name (kept as written, or given the default *=):
	//       2  "Purchased List"
	//       1  "Trade Show"
	//   column "Created" (activity[source].at): numeric dates: 1 day-first only, 0 month-first only, 0 either way, 1 ambiguous: day-first, say date(DD/MM/YYYY)
}
