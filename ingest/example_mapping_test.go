package ingest_test

import (
	"errors"
	"fmt"

	"github.com/leadqual/leadqual/ingest"
)

// A mapping is statements, one a line or separated by commas: target =
// column | options, and settings. Every statement is checked when it is
// read, and an error names its line and column.
func ExampleParseMapping() {
	m, err := ingest.ParseMapping("acme.map", `
# Acme's CRM export
zone: Europe/London
id            = Lead ID
contact.name  = First Name + Last Name
consent.email = Email Opt Out | bool | invert
converted     = Converted | bool     # an outcome: never a signal
after         = Converted Date`)
	fmt.Print(m)
	fmt.Println(err)

	_, err = ingest.ParseMapping("-map", "id = Lead ID, stage = Status | map(Open=opened)")
	var me *ingest.MappingError
	fmt.Println(errors.As(err, &me), me.Line, me.Column)
	fmt.Println(err)
	// Output:
	// zone: Europe/London
	// id = Lead ID
	// contact.name = First Name + Last Name
	// consent.email = Email Opt Out | bool | invert
	// converted = Converted | bool
	// after = Converted Date
	// <nil>
	// true 1 15
	// mapping -map line 1, column 15: "stage = Status | map(Open=opened)": map entry Open=opened: unknown stage "opened" (accepted: new, nurturing, marketing_qualified, sales_accepted, sales_qualified, opportunity, won, lost, recycled, disqualified)
}

// An organisation's statements extend a preset: they replace the preset's
// statement for the same target.
func ExampleMapping_With() {
	own := ingest.MustParseMapping("acme.map", "stage = Lead Status | map(Nurture=nurturing; *=new)")
	m := ingest.MustPreset("hubspot").With(own)
	fmt.Println(len(m.String()) > 0)
	// Output:
	// true
}
