package ingest_test

import (
	"testing"

	"github.com/leadqual/leadqual/ingest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseMappingErrors(t *testing.T) {
	for _, tt := range []struct {
		name, text   string
		line, column int
		msg          string
	}{
		{"no =", "id", 1, 1, "want target = column, or setting: value"},
		{"unknown target", "id=Key,\n  emial = E-mail", 2, 3, `unknown target "emial"`},
		{"twice", "id=A\nid=B", 2, 1, "id is mapped twice (line 1 too)"},
		{"unknown option", "id=A | trim", 1, 1, `unknown option "trim"`},
		{"an option that does nothing", "contact.email=A | date(DD/MM/YYYY)", 1, 1, "option date does nothing for contact.email"},
		{"currency for a text", "source=A | currency(GBP)", 1, 1, "option currency does nothing for source"},
		{"invert without bool", "consent.email=A | invert", 1, 1, "invert needs bool"},
		{"a map to no stage", "stage=Status | map(Open=opened)", 1, 1, `map entry Open=opened: unknown stage "opened"`},
		{"a map to no consent", "consent.email=Opt | map(1=yes)", 1, 1, `unknown consent state "yes"`},
		{"a map given twice", "stage=S | map(a=new; A=won)", 1, 1, `map: "A" is given twice`},
		{"an empty map", "stage=S | map()", 1, 1, "option map needs a value"},
		{"a bad date layout", "created_at=C | date(DD/YY)", 1, 1, "want day, month and year once each"},
		{"a bad zone", "created_at=C | zone(Mars/Olympus)", 1, 1, `zone "Mars/Olympus": not an IANA time zone`},
		{"the Local zone", "zone: Local", 1, 1, `zone "Local"`},
		{"same separators", "thousands: \".\", decimal: \".\"", 0, 0, `thousands and decimal are both '.'`},
		{"a join for a number", "company.employees = A + B", 1, 1, "company.employees is not text: it cannot join columns with +"},
		{"an unclosed quote", `id = "Lead ID`, 1, 1, "a quote is not closed"},
		{"an unclosed parenthesis", "stage = S | map(a=new", 1, 1, "a parenthesis is not closed"},
		{"an unknown setting", "colour: red", 1, 1, `unknown setting "colour"`},
		{"a bad conflicts", "conflicts: last", 1, 1, `conflicts: "last": want error`},
		{"a bad label", "activity[].at = X", 1, 1, "an activity's label is a word in brackets"},
		{"a custom field without a name", "fields. = X", 1, 1, "a custom field needs a name"},
		{"column zero", "id = Key#0", 1, 1, "columns are counted from 1"},
		{"a target's name with the language's syntax", "fields.a)b(c=d)", 1, 1, `"fields.a)b(c": a target's name has none of`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ingest.ParseMapping("m.map", tt.text)
			require.Error(t, err)
			assert.ErrorIs(t, err, ingest.ErrMapping)
			var me *ingest.MappingError
			require.ErrorAs(t, err, &me)
			assert.Equal(t, tt.line, me.Line, "%v", err)
			assert.Equal(t, tt.column, me.Column, "%v", err)
			assert.Contains(t, err.Error(), tt.msg)
			assert.Contains(t, err.Error(), "mapping m.map")
		})
	}
}

// The one-line form of a flag and the file form with comments read the
// same; String writes a mapping back in a form that reads the same.
func TestParseMappingForms(t *testing.T) {
	line, err := ingest.ParseMapping("-map", `id=Lead ID,contact.name=First Name + Last Name,stage=Status | map("Open - Not Contacted"=new; *=new),won="Amount, GBP" | currency(GBP),after=Converted Date; Last Activity`)
	require.NoError(t, err)
	file, err := ingest.ParseMapping("m.map", `
# Leads
id           = Lead ID            # the key
contact.name = First Name + Last Name
stage        = Status | map("Open - Not Contacted" = new, * = new)
won          = "Amount, GBP" | currency(GBP)
after        = Converted Date; Last Activity
`)
	require.NoError(t, err)
	assert.Equal(t, line.String(), file.String())
	back, err := ingest.ParseMapping("back", file.String())
	require.NoError(t, err)
	assert.Equal(t, file.String(), back.String())
	assert.Equal(t, `id = Lead ID
contact.name = First Name + Last Name
stage = Status | map(Open - Not Contacted=new; *=new)
won = "Amount, GBP" | currency(GBP)
after = Converted Date; Last Activity
`, file.String())
}

// With: the second mapping's rules replace the first's for the same
// target, after lists add up, settings replace.
func TestMappingWith(t *testing.T) {
	base := ingest.MustParseMapping("base", "zone: Europe/London, id = Lead ID, stage = Status, after = A")
	own := ingest.MustParseMapping("own", "zone: Europe/Paris, stage = Status | map(Open=new), after = B")
	assert.Equal(t, `zone: Europe/Paris
id = Lead ID
after = A
stage = Status | map(Open=new)
after = B
`, base.With(own).String())
	var none *ingest.Mapping
	assert.Same(t, own, none.With(own))
	assert.Same(t, base, base.With(nil))
}
