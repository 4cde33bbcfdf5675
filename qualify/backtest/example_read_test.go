package backtest_test

import (
	"context"
	"fmt"
	"strings"

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
// given once, mapped to the parts of a record by their headers.
func ExampleCSV() {
	export := strings.NewReader(`Lead ID,Decided,Won?,Amount,Role,Activity,When
L-1,2025-03-08 09:05,yes,12000.00,decision_maker,white_paper,2025-03-01 09:00
L-1,2025-03-08 09:05,yes,,,pricing_request,2025-03-08 09:00
L-2,2025-03-02 09:00,no,,user,white_paper,2025-03-01 09:00
`)
	cols, err := backtest.ParseColumns("id=Lead ID, at=Decided, converted=Won?, won=Amount, currency=GBP, role=Role, activity=Activity, activity_at=When")
	if err != nil {
		fmt.Println(err)
		return
	}
	r := backtest.NewReader(export, backtest.CSV(cols), backtest.ReadOptions{})
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

// A column mapping is written as key=header pairs, the form a flag or a
// settings file holds; a header with a comma is quoted.
func ExampleParseColumns() {
	cols, err := backtest.ParseColumns(`id=Lead ID, at=Decided, won="Amount, GBP", currency=GBP, fields.plan=Plan`)
	fmt.Println(cols.ID, "|", cols.Won, "|", cols.Fields["plan"], "|", err)
	_, err = backtest.ParseColumns("id=Lead ID, decided=Decided")
	fmt.Println(err)
	// Output:
	// Lead ID | Amount, GBP | Plan | <nil>
	// invalid configuration: backtest: columns, pair 2 ("decided", byte 13): unknown key (accepted: id, at, converted, won, won_currency, stage, source, owner, role, title, email, company, industry, employees, country, budget, value, created_at, updated_at, lost_reason, activity, activity_at, activity_product, activity_asset, activity_channel, currency, fields.<name>)
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
