package ingest_test

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/leadqual/leadqual/ingest"
	"github.com/leadqual/leadqual/lead"
)

// Lead JSON lines, validated as they are read: a bad line is a record
// with every problem, each a *lead.FieldError reachable with errors.As.
func ExampleNewReader() {
	input := strings.NewReader(`{"id": "L-1", "activities": [{"kind": "pricing_request", "at": "2026-03-02T08:58:00Z"}]}
{"id": "L-2", "contact": {"email": "not mail"}, "company": {"country": "UK"}}
{"id": "L-3", "activites": []}
`)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	r := ingest.NewReader(input, ingest.Options{Now: now})
	for rec := range r.All() {
		if rec.Err != nil {
			var fe *lead.FieldError
			errors.As(rec.Err, &fe)
			fmt.Printf("%v (first field: %q)\n", rec.Err, fe.Path)
			continue
		}
		fmt.Printf("line %d: %s, %d activities\n", rec.Line, rec.Lead.ID, len(rec.Lead.Activities))
	}
	fmt.Println(r.Err())
	// Output:
	// line 1: L-1, 1 activities
	// line 2, lead "L-2": contact.email: "not mail" is not an email address; company.country: "UK" is not an ISO 3166-1 alpha-2 code (first field: "contact.email")
	// line 3, lead "L-3": activites: unknown field (first field: "activites")
	// <nil>
}
