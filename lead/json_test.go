package lead_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leadqual/leadqual/internal/strictjson"
	"github.com/leadqual/leadqual/lead"
)

// decodeStrict decodes a fixture, refusing fields Lead does not have, so
// that a typo in a fixture fails loudly instead of testing nothing.
func decodeStrict(t *testing.T, b []byte) *lead.Lead {
	t.Helper()
	var l lead.Lead
	require.NoError(t, strictjson.Decode(b, &l))
	return &l
}

func encode(t *testing.T, l *lead.Lead) []byte {
	t.Helper()
	b, err := json.MarshalIndent(l, "", "  ")
	require.NoError(t, err)
	return append(b, '\n')
}

// TestFullLeadJSON: testdata/lead_full.json decodes to fullLead(), which
// is valid; its encoding is the golden file, which decodes to the same
// lead and encodes to the same bytes.
func TestFullLeadJSON(t *testing.T) {
	in, err := os.ReadFile("testdata/lead_full.json")
	require.NoError(t, err)
	l := decodeStrict(t, in)
	assert.Equal(t, fullLead(), l)
	require.NoError(t, l.Validate(now))

	out := encode(t, l)
	golden(t, "lead_full.golden.json", out)

	again := decodeStrict(t, out)
	assert.Equal(t, l, again)
	assert.Equal(t, string(out), string(encode(t, again)), "encoding is stable")
	assert.JSONEq(t, string(in), string(out), "the fixture is in the canonical form, less formatting")
}

// TestFullLeadSetsEveryField guards the round-trip test: a field added to
// Lead (or to a type in it) must be set in fullLead, or this fails.
func TestFullLeadSetsEveryField(t *testing.T) {
	// set[path] is whether some value at path is set: each field of an
	// element type must be set in at least one element.
	set := map[string]bool{}
	mark := func(path string, ok bool) { set[path] = set[path] || ok }
	var walk func(path string, v reflect.Value)
	walk = func(path string, v reflect.Value) {
		switch {
		case v.Type() == reflect.TypeFor[lead.Money]():
			mark(path, v.Interface().(lead.Money).Known())
			return
		case v.Type() == reflect.TypeFor[time.Time]():
			mark(path, !v.Interface().(time.Time).IsZero())
			return
		}
		switch v.Kind() {
		case reflect.Struct:
			for i := range v.NumField() {
				walk(path+"."+v.Type().Field(i).Name, v.Field(i))
			}
		case reflect.Slice:
			mark(path, v.Len() > 0)
			for i := range v.Len() {
				walk(path+"[]", v.Index(i))
			}
		case reflect.Map:
			mark(path, v.Len() > 0)
			if v.Type().Elem().Kind() == reflect.Struct {
				for _, k := range v.MapKeys() {
					walk(path+"[]", v.MapIndex(k))
				}
			}
		case reflect.Pointer:
			mark(path, !v.IsNil())
			if !v.IsNil() {
				walk(path, v.Elem())
			}
		case reflect.String, reflect.Int:
			mark(path, !v.IsZero())
		case reflect.Uint8: // enumerations: the zero value is a legal one
			mark(path, true)
		default:
			t.Errorf("%s: the walk does not know %s", path, v.Kind())
		}
	}
	walk("Lead", reflect.ValueOf(*fullLead()))
	require.Greater(t, len(set), 40)
	for path, ok := range set {
		assert.True(t, ok, "%s is not set in fullLead", path)
	}

	// Custom fields of every JSON type.
	kinds := map[string]bool{}
	for _, v := range fullLead().Fields {
		kinds[fmt.Sprintf("%T", v)] = true
	}
	assert.Equal(t, map[string]bool{"<nil>": true, "bool": true, "float64": true, "string": true,
		"[]interface {}": true, "map[string]interface {}": true}, kinds)
}

func TestZeroLeadJSON(t *testing.T) {
	b, err := json.Marshal(lead.Lead{})
	require.NoError(t, err)
	assert.Equal(t, `{"id":"","contact":{"role":"unknown"},"company":{},"stage":"new"}`, string(b),
		"optional fields are left out; enumerations are always written")
	var l lead.Lead
	require.NoError(t, json.Unmarshal(b, &l))
	assert.Equal(t, lead.Lead{}, l)
}

func TestLeadJSONKeepsTimeOffsets(t *testing.T) {
	in := `{"id":"x","contact":{"role":"unknown"},"company":{},"stage":"new",` +
		`"activities":[{"kind":"chat","at":"2025-03-04T10:30:00.25+01:00"}],"created_at":"2025-03-03T09:00:00-05:00"}`
	var l lead.Lead
	require.NoError(t, json.Unmarshal([]byte(in), &l))
	assert.True(t, l.Activities[0].At.Equal(time.Date(2025, 3, 4, 9, 30, 0, 250_000_000, time.UTC)))
	out, err := json.Marshal(l)
	require.NoError(t, err)
	assert.Equal(t, in, string(out))
}

func TestLeadJSONRefusesAnInvalidEnumeration(t *testing.T) {
	for _, l := range []lead.Lead{{Stage: 10}, {Contact: lead.Contact{Role: 4}},
		{Consent: map[lead.Channel]lead.Consent{"email": {State: 3}}}, {History: []lead.Transition{{To: 99}}}} {
		_, err := json.Marshal(l)
		assert.Error(t, err, "an invalid enumeration is never written as a number")
	}
}

// TestInvalidFixtures: each testdata/invalid/NAME.json decodes but is
// refused by Validate with the problems listed in NAME.golden.
func TestInvalidFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(file)
			require.NoError(t, err)
			l := decodeStrict(t, in)
			got := problems(t, l.Validate(now))
			require.NotEmpty(t, got, "%s is valid", file)
			golden(t, filepath.Join("invalid", name+".golden"), []byte(strings.Join(got, "\n")+"\n"))

			// The invalid lead still round-trips: Validate is the judge, not JSON.
			again := decodeStrict(t, encode(t, l))
			assert.Equal(t, got, problems(t, again.Validate(now)))
		})
	}
}

// TestUndecodableFixtures: each testdata/undecodable/NAME.json is refused
// by the strict decoder every leadqual package uses, with a problem that
// says what and where (path, line and column); encoding/json refuses it
// too.
func TestUndecodableFixtures(t *testing.T) {
	want := map[string]string{
		"unknown_stage":          `stage at line 1, column 19: unknown stage "opportunty" (accepted: new, nurturing, marketing_qualified, sales_accepted, sales_qualified, opportunity, won, lost, recycled, disqualified)`,
		"stage_as_number":        `stage at line 1, column 19: want a string, got the number 3`,
		"unknown_role":           `contact.role at line 1, column 29: unknown role "ceo" (accepted: unknown, decision_maker, influencer, user)`,
		"unknown_consent_state":  `consent.email.state at line 1, column 39: unknown consent state "yes" (accepted: unknown, opted_in, opted_out)`,
		"unknown_history_stage":  `history[0].to at line 1, column 49: unknown stage "closed" (accepted: new,`,
		"money_garbage_amount":   `budget.amount at line 1, column 30: "fifty thousand" is not a decimal number`,
		"money_exponent":         `budget.amount at line 1, column 30: "5e4" is not a decimal number`,
		"money_unknown_field":    `budget.rate at line 1, column 62: unknown field`,
		"money_missing_currency": `value.currency at line 1, column 19: missing`,
		"money_as_string":        `budget at line 1, column 20: want an object such as {"amount": "50000.00", "currency": "GBP"}`,
		"bad_time":               `activities[0].at at line 1, column 45: parsing time `,
		"not_an_object":          `line 1, column 1: want an object, got an array`,
		"truncated":              `contact.name at line 1, column 34: the JSON ends too early`,
		"fields_huge_number":     `fields.n at line 1, column 25: want a number, got the number 1e400`,
	}
	files, err := filepath.Glob("testdata/undecodable/*.json")
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			require.Contains(t, want, name, "add the expected error of %s to this test", file)
			in, err := os.ReadFile(file)
			require.NoError(t, err)
			var l lead.Lead
			require.Error(t, json.Unmarshal(in, &l), "encoding/json refuses it too")
			err = strictjson.Decode(in, &l)
			var fe *lead.FieldError
			require.ErrorAs(t, err, &fe)
			assert.True(t, strings.HasPrefix(fe.Error(), want[name]), "got %s", fe)
		})
	}
	for name := range want {
		assert.True(t, seen[name], "testdata/undecodable/%s.json is missing", name)
	}
}
