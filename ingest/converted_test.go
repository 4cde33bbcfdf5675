package ingest_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/leadqual/leadqual/ingest"
	"github.com/leadqual/leadqual/lead"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadConvertedAt reads a CSV history's conversion times: the
// column's date order, zone and missing markers as for every time column,
// converted_at as the whole outcome or beside converted, and the errors of
// a conversion time that contradicts its record, each at its line, column
// and field.
func TestReadConvertedAt(t *testing.T) {
	newYork, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	const decided = "2026-03-01T09:00:00Z"
	// A problem: the field, the column's header, the line and the column
	// it is in, the message.
	type problem struct {
		header       string
		line, column int
		msg          string
	}
	tests := []struct {
		name    string
		header  string // default "id,Decided,Converted,Converted At"
		mapping string
		opts    ingest.Options
		input   string // after the header
		// The records, in order: converted, and when.
		converted []bool
		at        []string // RFC 3339, "" for none
		problem   *problem // the first record's only problem
	}{
		{
			name:      "beside converted",
			input:     "a,2026-03-01T09:00:00Z,true,2026-03-05T10:00:00Z\nb,2026-03-01T09:00:00Z,false,\n",
			converted: []bool{true, false}, at: []string{"2026-03-05T10:00:00Z", ""},
		},
		{
			name:      "converted without a time",
			input:     "a,2026-03-01T09:00:00Z,yes,N/A\n",
			converted: []bool{true}, at: []string{""},
		},
		{
			name:      "alone: a date is a conversion, none is not",
			mapping:   "id = id, decided_at = Decided, converted_at = Converted At, ignore = Converted",
			input:     "a,2026-03-01T09:00:00Z,,2026-03-05\nb,2026-03-01T09:00:00Z,,\nc,2026-03-01T09:00:00Z,,-\n",
			converted: []bool{true, false, false}, at: []string{"2026-03-05T00:00:00Z", "", ""},
		},
		{
			name:      "an empty converted cell says nothing: the time decides",
			input:     "a,2026-03-01T09:00:00Z,,2026-03-05T10:00:00Z\n",
			converted: []bool{true}, at: []string{"2026-03-05T10:00:00Z"},
		},
		{
			name:      "one column for both targets",
			mapping:   "id = id, decided_at = Decided, converted = Converted At | present, converted_at = Converted At, ignore = Converted",
			input:     "a,2026-03-01T09:00:00Z,,2026-03-05T10:00:00Z\nb,2026-03-01T09:00:00Z,,\n",
			converted: []bool{true, false}, at: []string{"2026-03-05T10:00:00Z", ""},
		},
		{
			name:      "the missing markers the mapping says",
			mapping:   `missing: "0000-00-00"`,
			input:     "a,2026-03-01T09:00:00Z,,0000-00-00\n",
			converted: []bool{false}, at: []string{""},
		},
		{
			name:      "a map translates a placeholder to missing",
			mapping:   `converted_at = Converted At | map(never=)`,
			input:     "a,2026-03-01T09:00:00Z,false,Never\n",
			converted: []bool{false}, at: []string{""},
		},
		{
			name:      "the column's date order",
			mapping:   "converted_at = Converted At | date(DD/MM/YYYY)",
			input:     "a,2026-03-01T09:00:00Z,true,05/03/2026\n",
			converted: []bool{true}, at: []string{"2026-03-05T00:00:00Z"},
		},
		{
			name:      "the mapping's date order",
			mapping:   "date: MM/DD/YYYY, converted_at = Converted At",
			input:     "a,2026-03-01T09:00:00Z,true,03/05/2026 4:30 PM Z\n",
			converted: []bool{true}, at: []string{"2026-03-05T16:30:00Z"},
		},
		{
			name:      "a date readable one way only",
			input:     "a,2026-03-01T09:00:00Z,true,25/03/2026\n",
			converted: []bool{true}, at: []string{"2026-03-25T00:00:00Z"},
		},
		{
			name:    "an ambiguous date names both readings",
			input:   "a,2026-03-01T09:00:00Z,true,03/04/2026\n",
			problem: &problem{"Converted At", 2, 4, `"03/04/2026" is ambiguous: 3 April 2026 or 4 March 2026; say date(DD/MM/YYYY) or date(MM/DD/YYYY) for this column`},
		},
		{
			name:    "not a time",
			input:   "a,2026-03-01T09:00:00Z,true,soon\n",
			problem: &problem{"Converted At", 2, 4, `"soon" is not a time`},
		},
		{
			name:      "the column's zone",
			mapping:   "converted_at = Converted At | zone(Europe/London)",
			input:     "a,2026-03-01T09:00:00Z,true,2026-07-01 09:00\n",
			converted: []bool{true}, at: []string{"2026-07-01T08:00:00Z"},
		},
		{
			name:      "the mapping's zone",
			mapping:   "zone: America/New_York",
			input:     "a,2026-03-01 04:00,true,2026-07-01 09:00\n",
			converted: []bool{true}, at: []string{"2026-07-01T13:00:00Z"},
		},
		{
			name:      "the export's zone",
			opts:      ingest.Options{TimeZone: newYork},
			input:     "a,2026-03-01T09:00:00Z,true,2026-12-01 09:00\n",
			converted: []bool{true}, at: []string{"2026-12-01T14:00:00Z"},
		},
		{
			name:      "a zone written in the value wins",
			mapping:   "converted_at = Converted At | zone(Europe/London)",
			input:     "a,2026-03-01T09:00:00Z,true,2026-07-01T09:00:00+02:00\n",
			converted: []bool{true}, at: []string{"2026-07-01T07:00:00Z"},
		},
		{
			name:    "a time without a zone, none said",
			input:   "a,2026-03-01T09:00:00Z,true,2026-07-01 09:00\n",
			problem: &problem{"Converted At", 2, 4, `"2026-07-01 09:00" has no time zone: say where its times are`},
		},
		{
			name:    "converted false with a conversion time",
			input:   "a,2026-03-01T09:00:00Z,no,2026-03-05T10:00:00Z\n",
			problem: &problem{"Converted At", 2, 4, `"2026-03-05T10:00:00Z" is a conversion time, but the lead did not convert (column "Converted" on line 2 says so)`},
		},
		{
			name:    "converted before the decision",
			input:   "a,2026-03-01T09:00:00Z,yes,2026-03-01T08:59:59Z\n",
			problem: &problem{"Converted At", 2, 4, `"2026-03-01T08:59:59Z": the lead converted at 2026-03-01T08:59:59Z, before its decision time 2026-03-01T09:00:00Z: the outcome must come after the decision`},
		},
		{
			name:      "converted at the decision",
			input:     "a,2026-03-01T09:00:00Z,yes,2026-03-01T10:00:00+01:00\n",
			converted: []bool{true}, at: []string{decided},
		},
		{
			name:      "a date alone on the decision's day converts at the decision",
			input:     "a,2026-03-01T09:00:00Z,yes,2026-03-01\n",
			converted: []bool{true}, at: []string{decided},
		},
		{
			name:    "a date alone before the decision's day",
			input:   "a,2026-03-01T09:00:00Z,yes,28/02/2026\n",
			problem: &problem{"Converted At", 2, 4, `"28/02/2026": the lead converted on 28 February 2026, before its decision time 2026-03-01T09:00:00Z`},
		},
		{
			// The decision is at 23:30 UTC on 1 July, 00:30 on 2 July in
			// London: a conversion on 2 July, London's day, is that day.
			name:      "a date alone is a day in the column's zone",
			mapping:   "converted_at = Converted At | zone(Europe/London)",
			input:     "a,2026-07-01T23:30:00Z,yes,2026-07-02\n",
			converted: []bool{true}, at: []string{"2026-07-01T23:30:00Z"},
		},
		{
			// A decision at 01:30 on 2 July in London is after 1 July in
			// UTC, where a date alone is when no zone is said.
			name:    "a date alone is a day in UTC when no zone is said",
			input:   "a,2026-07-02T01:30:00+01:00,yes,2026-07-01\n",
			problem: &problem{"Converted At", 2, 4, `"2026-07-01": the lead converted on 1 July 2026, before its decision time 2026-07-02T01:30:00+01:00`},
		},
		{
			name:      "the rows of a lead agree",
			header:    "id,Decided,Activity,Converted At",
			mapping:   "activity = Activity",
			input:     "a,2026-03-01T09:00:00Z,chat,2026-03-05T10:00:00Z\na,2026-03-01T09:00:00Z,ebook,2026-03-05T10:00:00Z\na,2026-03-01T09:00:00Z,email_click,\n",
			converted: []bool{true}, at: []string{"2026-03-05T10:00:00Z"},
		},
		{
			name:    "the rows of a lead disagree",
			input:   "a,2026-03-01T09:00:00Z,yes,2026-03-05T10:00:00Z\na,2026-03-01T09:00:00Z,yes,2026-03-06T10:00:00Z\n",
			problem: &problem{"Converted At", 3, 4, `"2026-03-06T10:00:00Z", but line 2 gave "2026-03-05T10:00:00Z" for lead "a"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := "decided_at = Decided, converted = Converted | bool, converted_at = Converted At"
			header := "id,Decided,Converted,Converted At"
			if tt.header != "" {
				base, header = "decided_at = Decided, converted_at = Converted At", tt.header
			}
			m := ingest.MustParseMapping("test", base)
			if tt.mapping != "" {
				m = m.With(ingest.MustParseMapping("own", tt.mapping))
			}
			opts := tt.opts
			opts.Mapping, opts.History = m, true
			recs, r := readAll(t, header+"\n"+tt.input, opts)
			if tt.problem != nil {
				require.NotEmpty(t, recs)
				e := recs[0].Err
				require.NotNil(t, e, "want a problem")
				require.Len(t, e.Problems, 1, "%v", e)
				assert.ErrorIs(t, e, ingest.ErrRow)
				var fe *lead.FieldError
				require.True(t, errors.As(e, &fe))
				assert.Equal(t, "converted_at", fe.Path)
				assert.Contains(t, fe.Problem, tt.problem.msg)
				assert.Equal(t, tt.problem.header, e.Header(0))
				assert.Equal(t, tt.problem.line, e.ProblemLine(0))
				assert.Equal(t, tt.problem.column, e.Column(0))
				assert.Contains(t, e.Error(), `converted_at (column "`+tt.problem.header+`")`)
				assert.True(t, recs[0].ConvertedAt.IsZero(), "a conversion time in error is not kept")
				return
			}
			require.Len(t, recs, len(tt.converted))
			for i, rec := range recs {
				require.Nil(t, rec.Err, "record %d", i)
				assert.Equal(t, tt.converted[i], rec.Converted, "record %d", i)
				if tt.at[i] == "" {
					assert.True(t, rec.ConvertedAt.IsZero(), "record %d: %v", i, rec.ConvertedAt)
					continue
				}
				assert.Equal(t, utc(tt.at[i]).UTC(), rec.ConvertedAt.UTC(), "record %d", i)
			}
			for _, c := range r.Report().Columns {
				if c.Target == "converted_at" {
					assert.Equal(t, "Converted At", c.Header)
					return
				}
			}
			t.Fatal("no column report for converted_at")
		})
	}
}

// An outcome column is withheld from the lead: converted_at is never a
// custom field, never read outside a history, and a mapping that would
// let it reach a rule is refused; a history needs converted or
// converted_at.
func TestConvertedAtMapping(t *testing.T) {
	input := "id,Decided,Converted Date,Notes\nL-1,2026-03-01T09:00:00Z,2026-03-05,hello\n"
	m := ingest.MustParseMapping("test", "decided_at = Decided, converted_at = Converted Date")
	recs, r := readAll(t, input, ingest.Options{Mapping: m, Now: now})
	require.Len(t, recs, 1)
	require.Nil(t, recs[0].Err)
	assert.False(t, recs[0].Converted, "not a history: no outcome is read")
	assert.True(t, recs[0].ConvertedAt.IsZero())
	assert.Equal(t, map[string]any{"notes": "hello"}, recs[0].Lead.Fields)
	assert.Equal(t, []string{"Converted Date"}, r.Report().Withheld)

	// The default layout reads a column named converted_at.
	recs, _ = readAll(t, "id,decided_at,converted_at\nL-1,2026-03-01T09:00:00Z,2026-03-05T10:00:00Z\n", ingest.Options{History: true})
	require.Nil(t, recs[0].Err)
	assert.True(t, recs[0].Converted)
	assert.Equal(t, utc("2026-03-05T10:00:00Z"), recs[0].ConvertedAt)

	for _, tt := range []struct{ name, mapping, msg string }{
		{"a lead field", "converted_at = Converted Date, created_at = Converted Date", `column "Converted Date" is an outcome (converted_at = Converted Date) and must not feed created_at`},
		{"an activity", "converted_at = Converted Date, activity[purchase].at = Converted Date", `must not feed activity[purchase].at`},
		{"a custom field", "converted_at = Converted Date, fields.became_customer = Converted Date", `must not feed fields.became_customer`},
		{"no outcome", "ignore = Converted Date", "a history needs its outcome: map converted = <header>, or converted_at = <header> for a column of conversion dates"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := ingest.NewReader(strings.NewReader(input), ingest.Options{Mapping: ingest.MustParseMapping("test", "decided_at = Decided, "+tt.mapping), History: true})
			for range r.All() {
				t.Fatal("a record from a mapping that must be refused")
			}
			assert.ErrorIs(t, r.Err(), ingest.ErrMapping)
			assert.ErrorContains(t, r.Err(), tt.msg)
		})
	}

	for _, tt := range []struct{ name, mapping, msg string }{
		{"present", "converted_at = D | present", "option present does nothing for converted_at"},
		{"bool", "converted_at = D | bool", "option bool does nothing for converted_at"},
		{"currency", "converted_at = D | currency(GBP)", "option currency does nothing for converted_at"},
		{"a join", "converted_at = D + E", "converted_at is not text: it cannot join columns with +"},
		{"twice", "converted_at = D\nconverted_at = E", "converted_at is mapped twice (line 1 too)"},
		{"a bad date order", "converted_at = D | date(YYYY/DD)", "want day, month and year once each"},
		{"a bad zone", "converted_at = D | zone(Mars/Olympus)", `zone "Mars/Olympus": not an IANA time zone`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ingest.ParseMapping("test", tt.mapping)
			assert.ErrorIs(t, err, ingest.ErrMapping)
			assert.ErrorContains(t, err, tt.msg)
		})
	}
	// Its options write back as they read.
	m = ingest.MustParseMapping("test", "converted_at = Converted Date; ConvertedDate | date(DD/MM/YYYY) | zone(Europe/London)")
	assert.Equal(t, "converted_at = Converted Date; ConvertedDate | date(DD/MM/YYYY) | zone(Europe/London)\n", m.String())
}

// A JSON history record's conversion time is held to the rules of a CSV
// column's: only for a lead that converted, never before its decision.
func TestReadJSONLinesConvertedAtChecked(t *testing.T) {
	in := `{"lead": {"id": "ok"}, "at": "2025-03-08T09:05:00Z", "converted": true, "converted_at": "2025-03-08T09:05:00Z"}
{"lead": {"id": "no"}, "at": "2025-03-08T09:05:00Z", "converted_at": "2025-06-01T00:00:00Z"}
{"lead": {"id": "early"}, "at": "2025-03-08T09:05:00Z", "converted": true, "converted_at": "2025-03-07T00:00:00Z"}
`
	recs, _ := readAll(t, in, ingest.Options{History: true})
	require.Len(t, recs, 3)
	require.Nil(t, recs[0].Err)
	assert.Equal(t, []string{"converted_at: set, but the lead did not convert"}, problems(recs[1]))
	assert.Equal(t, []string{"converted_at: the lead converted at 2025-03-07T00:00:00Z, before its decision time 2025-03-08T09:05:00Z: the outcome must come after the decision"}, problems(recs[2]))
	assert.Equal(t, `line 3, lead "early": converted_at: the lead converted at 2025-03-07T00:00:00Z, before its decision time 2025-03-08T09:05:00Z: the outcome must come after the decision`, recs[2].Err.Error())

	// Read as leads, a record's outcome is not read at all.
	recs, _ = readAll(t, `{"id": "a"}`+"\n", ingest.Options{})
	require.Nil(t, recs[0].Err)
}
