package lead_test

import (
	"fmt"

	"github.com/leadqual/leadqual/lead"
)

// A host keeps a lead's stage and budget in SQL columns: the types
// implement driver.Valuer and sql.Scanner, and store text a person can read.
func Example_storeColumns() {
	l := lead.Lead{ID: "lead-0042", Stage: lead.StageSalesAccepted, Budget: lead.MustParseMoney("50000.00", "GBP")}

	// What database/sql writes for the columns...
	stage, _ := l.Stage.Value()
	budget, _ := l.Budget.Value()
	var unknown lead.Money
	value, _ := unknown.Value()
	fmt.Printf("stage=%v budget=%v value=%v\n", stage, budget, value)

	// ...and reads back (a driver may hand over []byte).
	var s lead.Stage
	var b, v lead.Money
	_ = s.Scan([]byte("sales_accepted"))
	_ = b.Scan("50000.00 GBP")
	_ = v.Scan(nil)
	fmt.Println(s, b, v)

	// A value some other program wrote is refused, naming what is accepted.
	fmt.Println(s.Scan("opportunty"))
	// Output:
	// stage=sales_accepted budget=50000.00 GBP value=<nil>
	// sales_accepted 50000.00 GBP unknown
	// unknown stage "opportunty" (accepted: new, nurturing, marketing_qualified, sales_accepted, sales_qualified, opportunity, won, lost, recycled, disqualified)
}

func ExampleParseStage() {
	s, err := lead.ParseStage("marketing_qualified")
	fmt.Println(s, err)
	_, err = lead.ParseStage("MQL")
	fmt.Println(err)
	// Output:
	// marketing_qualified <nil>
	// unknown stage "MQL" (accepted: new, nurturing, marketing_qualified, sales_accepted, sales_qualified, opportunity, won, lost, recycled, disqualified)
}
