package ingest_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/leadqual/leadqual/ingest"
)

// A history whose only outcome column is a date of conversion, as a CRM
// exports it: mapped as converted_at, a date is a conversion at that time
// and an empty cell is none. A date alone stands for its day in the
// export's zone, so a lead converted on the day it was decided converts
// at its decision; a conversion before the decision is an error of the
// record, at its line and column.
func ExampleOptions_history() {
	export := strings.NewReader("Lead ID,Created Date,Converted Date\n" +
		"00Q1,03/02/2026 09:05,17/03/2026\n" +
		"00Q2,04/02/2026 10:00,\n" +
		"00Q3,05/02/2026 11:30,05/02/2026\n" +
		"00Q4,06/02/2026 12:00,01/02/2026\n")
	m, err := ingest.ParseMapping("history.map", `
		date: DD/MM/YYYY
		zone: Europe/London
		id           = Lead ID
		decided_at   = Created Date
		converted_at = Converted Date`)
	if err != nil {
		fmt.Println(err)
		return
	}
	r := ingest.NewReader(export, ingest.Options{Mapping: m, History: true})
	for rec := range r.All() {
		switch {
		case rec.Err != nil:
			fmt.Println(rec.Err)
		case rec.Converted:
			fmt.Printf("%s: decided %s, converted %s\n", rec.Lead.ID, rec.At.Format(time.RFC3339), rec.ConvertedAt.Format(time.RFC3339))
		default:
			fmt.Printf("%s: decided %s, not converted\n", rec.Lead.ID, rec.At.Format(time.RFC3339))
		}
	}
	fmt.Println(r.Err())
	// Output:
	// 00Q1: decided 2026-02-03T09:05:00Z, converted 2026-03-17T00:00:00Z
	// 00Q2: decided 2026-02-04T10:00:00Z, not converted
	// 00Q3: decided 2026-02-05T11:30:00Z, converted 2026-02-05T11:30:00Z
	// line 5, lead "00Q4": converted_at (column "Converted Date"): "01/02/2026": the lead converted on 1 February 2026, before its decision time 2026-02-06T12:00:00Z: the outcome must come after the decision
	// <nil>
}
