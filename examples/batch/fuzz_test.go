package main

import (
	"encoding/csv"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/stretchr/testify/require"
)

// fuzzHeader is every field of the default layout, with a consent channel
// and a custom field.
var fuzzHeader = append(slices.Clone(fieldNames), "consent.email", "fields.x")

// FuzzParseRow feeds a CSV line to the row parser under the header of
// every field, and checks that it never panics, that validation of what
// it returns never panics, and that a lead it reads without problems
// reads back the same after it is written out again: nothing is lost or
// changed on the way.
//
//	go test -run '^$' -fuzz FuzzParseRow ./examples/batch
//
// Seeds: f.Add below and testdata/fuzz/FuzzParseRow.
func FuzzParseRow(f *testing.F) {
	for _, seed := range []string{
		"L-1,web_form,new,jo,not_now,Ada,ada@byrne.example,+44 20 7946 0958,CFO,decision_maker,Europe/London,Byrne,byrne.example,logistics,240,GB," +
			"25000.00 GBP,,50000 GBP,,2026-06-30,2027-01-31T00:00:00+01:00,2026-01-01T09:00:00Z,2026-02-01 09:00:00Z," +
			"white_paper@2026-02-27T09:00:00Z;pricing_request@2026-03-02T08:58:00Z,RoutePlanner@2026-02-01/2026-02-20,opted_in@2026-01-01,pro",
		`L-2,,,,,,,,,,,,,,,,,,,,,,,,"[{""kind"":""quote_request"",""at"":""2026-03-01T16:00:00Z"",""product"":""RP""}]","[{""topic"":""RP"",""first_seen"":""2026-02-28T10:00:00Z"",""last_seen"":""2026-03-01T16:00:00Z""}]",unknown,"""true"""`,
		"L-3,,lost,,,,,,,boss,Mars/Olympus,,,,-5,UK,100,GBP,1e3 EUR,,next week,,,,ebook,@,maybe@x,1e400",
		"L-4,,,,,,,,,,,,,,,,100,EUR,200.50,USD,,,,,;;demo_request@2026-03-01T09:00:00.123456789Z;,x@2026-01-01/2025-01-01,opted_out@2026-01-01T00:00:00-05:00,-0",
		`,,,,,,,,,,,,,,,,,,,,,,,,"[{""kind"":""""}]",[,unknown@2026-01-01,""`,
	} {
		f.Add(seed)
	}
	schema, err := Layout{}.Bind(fuzzHeader, ParseOptions{})
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, time.March, 2, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, line string) {
		r := csv.NewReader(strings.NewReader(line))
		r.FieldsPerRecord = -1
		rec, err := r.Read()
		if err != nil {
			return
		}
		l, problems := schema.Lead(rec)
		if l == nil {
			require.NotEmpty(t, problems, "no lead and no problem")
			return
		}
		problems = validate(new(lead.Validator), schema, l, now, problems)
		for _, p := range problems {
			require.NotEmpty(t, p.Message)
			require.NotEmpty(t, p.String())
		}
		if len(problems) > 0 {
			return
		}

		again, problems := schema.Lead(formatRow(t, l))
		require.Empty(t, problems, "the lead written out does not read back: %v", problems)
		require.Equal(t, leadJSON(t, l), leadJSON(t, again))
	})
}

// formatRow writes a lead as a record of fuzzHeader: the inverse of
// Schema.Lead. Activities and interests are written as JSON, and a custom
// text field that would read as something else as a JSON string.
func formatRow(t testing.TB, l *lead.Lead) []string {
	t.Helper()
	when := func(at time.Time) string {
		if at.IsZero() {
			return ""
		}
		return at.Format(time.RFC3339Nano)
	}
	money := func(m lead.Money) string {
		if !m.Known() {
			return ""
		}
		return amount(m) + " " + string(m.Currency)
	}
	jsonOf := func(v any, empty bool) string {
		if empty {
			return ""
		}
		b, err := json.Marshal(v)
		require.NoError(t, err)
		return string(b)
	}
	employees := ""
	if l.Company.Employees != 0 {
		employees = strconv.Itoa(l.Company.Employees)
	}
	rec := map[string]string{
		"id": l.ID, "source": l.Source, "stage": l.Stage.String(), "owner": l.Owner, "lost_reason": string(l.LostReason),
		"contact.name": l.Contact.Name, "contact.email": l.Contact.Email, "contact.phone": l.Contact.Phone, "contact.title": l.Contact.Title,
		"contact.role": l.Contact.Role.String(), "contact.time_zone": l.Contact.TimeZone,
		"company.name": l.Company.Name, "company.domain": l.Company.Domain, "company.industry": l.Company.Industry,
		"company.employees": employees, "company.country": l.Company.Country,
		"budget": money(l.Budget), "value": money(l.Value),
		"expected_purchase": when(l.ExpectedPurchase), "renewal": when(l.Renewal), "created_at": when(l.CreatedAt), "updated_at": when(l.UpdatedAt),
		"activities": jsonOf(l.Activities, len(l.Activities) == 0),
		"interests":  jsonOf(l.Interests, len(l.Interests) == 0),
	}
	if c, ok := l.Consent["email"]; ok {
		rec["consent.email"] = c.State.String()
		if !c.At.IsZero() {
			rec["consent.email"] += "@" + when(c.At)
		}
	}
	for ch := range l.Consent {
		require.Equal(t, lead.Channel("email"), ch, "the header has no other channel")
	}
	if v, ok := l.Fields["x"]; ok {
		switch x := v.(type) {
		case bool:
			rec["fields.x"] = strconv.FormatBool(x)
		case float64:
			rec["fields.x"] = strconv.FormatFloat(x, 'f', -1, 64)
		case string:
			rec["fields.x"] = x
			if s, ok := fieldValue(x).(string); x == "" || !ok || s != x || strings.TrimSpace(x) != x {
				rec["fields.x"] = jsonOf(x, false)
			}
		default:
			t.Fatalf("fields.x is a %T", v)
		}
	}
	out := make([]string, len(fuzzHeader))
	for i, h := range fuzzHeader {
		out[i] = rec[h]
	}
	return out
}
