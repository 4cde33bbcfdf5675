package backtest_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/leadqual/leadqual/ingest"
	"github.com/leadqual/leadqual/qualify/backtest"
)

// History is read from JSON lines, one record per line: the lead as the
// CRM holds it today, the decision time, and the outcome. Check the
// reader's Err after ranging over it, as with a bufio.Scanner.
func ExampleNewReader() {
	history := strings.NewReader(`{"lead": {"id": "L-1", "activities": [{"kind": "pricing_request", "at": "2025-03-08T09:00:00Z"}]}, "at": "2025-03-08T09:05:00Z", "converted": true, "won": {"amount": "12000.00", "currency": "GBP"}}
{"lead": {"id": "L-2", "activities": [{"kind": "white_paper", "at": "2025-03-01T09:00:00Z"}]}, "at": "2025-03-02T09:00:00Z", "converted": false}
{"lead": {"id": "L-3"}, "at": "2025-03-0`)
	r := backtest.NewReader(history, backtest.JSONLines(), backtest.ReadOptions{})
	report, err := backtest.Run(context.Background(), noisyPolicy(), r.All(), backtest.Config{})
	if err == nil {
		err = r.Err()
	}
	fmt.Println(report.Leads, "leads, won", report.Won)
	fmt.Println(err)
	// Output:
	// 2 leads, won 12000.00 GBP
	// history line 3, column 41: at: the JSON ends too early
}

// A CRM export is CSV: a row per activity, the lead's columns repeated or
// given once, mapped to the parts of a record by a mapping (package
// ingest's language); outcome columns never reach the lead.
func ExampleCSV() {
	export := strings.NewReader(`Lead ID,Decided,Won?,Amount,Role,Activity,When
L-1,2025-03-08 09:05,yes,"12,000.00",decision_maker,white_paper,2025-03-01 09:00
L-1,2025-03-08 09:05,yes,,,pricing_request,2025-03-08 09:00
L-2,2025-03-02 09:00,no,,user,white_paper,2025-03-01 09:00
`)
	m, err := ingest.ParseMapping("example", "id=Lead ID, decided_at=Decided, converted=Won? | bool, won=Amount | currency(GBP), contact.role=Role, activity=Activity, activity.at=When")
	if err != nil {
		fmt.Println(err)
		return
	}
	r := backtest.NewReader(export, backtest.CSV(m), backtest.ReadOptions{})
	for rec := range r.All() {
		fmt.Printf("line %d: %s, %s, %d activities, converted %t, won %s\n",
			rec.Line, rec.Lead.ID, rec.Lead.Contact.Role, len(rec.Lead.Activities), rec.Converted, rec.Won)
	}
	fmt.Println(r.Err())
	// Output:
	// line 2: L-1, decision_maker, 2 activities, converted true, won 12000.00 GBP
	// line 4: L-2, user, 1 activities, converted false, won unknown
	// <nil>
}

// The split of Calibrate is a hash of the lead ID: the same in every run,
// and every record of one lead on the same side.
func ExampleHeldOut() {
	held := 0
	for i := range 1000 {
		if backtest.HeldOut(fmt.Sprintf("L-%04d", i), "", 0.3) {
			held++
		}
	}
	fmt.Println(held, "of 1000 held out")
	// Another salt, another split.
	for _, id := range []string{"L-0001", "L-0002", "L-0003", "L-0004", "L-0005", "L-0006"} {
		fmt.Print(backtest.HeldOut(id, "", 0.3), "/", backtest.HeldOut(id, "2026", 0.3), " ")
	}
	fmt.Println()
	// Output:
	// 296 of 1000 held out
	// false/true true/true false/false true/true false/false false/false
}
