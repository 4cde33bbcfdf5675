package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/leadqual/leadqual/qualify"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create it")
	assert.Equal(t, string(want), string(got))
}

func runMain(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = realMain(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestSample is the main job on the bundled sample: the whole report, as a
// sales manager reads it.
func TestSample(t *testing.T) {
	code, out, errOut := runMain(t)
	require.Equal(t, 0, code, errOut)
	golden(t, "sample.golden", []byte(out))
	assert.Contains(t, out, "Leads: the first 50 of 61, sales' work first in priority order (-all lists every one)")

	// Every part of the doctrine shows up.
	code, out, errOut = runMain(t, "-all")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "Leads, sales' work first in priority order")
	for _, want := range []string{
		"L-1001  Byrne Logistics    need          sales", // an explicit request, answered in minutes
		"respond by 09:02", // the response deadline
		"OVERDUE by",       // a need nobody answered
		"L-1010  Kite Couriers      interest      nurture", // content-only interest
		"marketing-qualified",                              // interest and fit over the thresholds
		"reach the sales, finance or managing director",    // no decision maker
		"out_of_scope  recycle",                            // preferred supplier, offshored: not never
		"call 1 Jul 2027",                                  // recycled to the contract renewal
		"woken by new interest in FleetInsight",            // a recycled lead's new interest in ours
		"competitive risk",                                 // a recycled lead reading a competitor
		"email stopped (unsubscribed",                      // an unsubscribed lead
		"no email consent yet",                             // no permission, no touch
		"final (do_not_contact)",                           // the handful of exceptions
		"Refused input (3 lines, skipped)",                 // bad data, with line numbers
		"line 26 (no id): contact.name: the JSON ends too early",
		"Response deadline breaches",
		"Unnurtured interest",
		"Pipeline coverage shortfalls",
		// Accounts and product lines: people of one firm judged together,
		// a customer of one line a prospect for another.
		"marketing-qualified as a buying group", // three weak leads of Kestrel Freight, one buying group
		"respond to L-3004 (Leo Grant)",         // need anywhere, with the contact who showed it
		"missing: decision maker",
		"Buying groups without the roles that decide", // the audit by account
	} {
		assert.Contains(t, out, want)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`kestrelfreight\.co\.uk +Kestrel Freight +3 +3 +interest +sales`),
		regexp.MustCompile(`L-3007 +Mersey Parcels +routeplanner +won +none +sales`),                                                     // won on one line ...
		regexp.MustCompile(`L-3007 +Mersey Parcels +fleetinsight +new +need +sales`),                                                     // ... a prospect on another
		regexp.MustCompile(`L-3008 +Tyne Haulage +routeplanner +recycled +none +recycle +0 +call 10 Jan 2027`),                           // recycled on two lines ...
		regexp.MustCompile(`L-3008 +Tyne Haulage +fleetinsight +recycled +interest +nurture +10 +woken by new interest in FleetInsight`), // ... woken on one
	} {
		assert.Regexp(t, want, out)
	}
}

// The bundled policy is the library's default with the business's product
// lines and its buying-group rule: every default rule is there, as it is.
func TestSamplePolicyExtendsTheDefault(t *testing.T) {
	data, err := os.ReadFile("sample/policy.json")
	require.NoError(t, err)
	s, err := qualify.ParseSpec(data)
	require.NoError(t, err)
	def := qualify.DefaultSpec()
	require.Greater(t, len(s.Rules), len(def.Rules))
	assert.Equal(t, def.Rules, s.Rules[:len(def.Rules)], "the default policy's rules, in order")
	want := def.Settings
	want.ProductLines = s.Settings.ProductLines
	assert.Equal(t, want, s.Settings, "the default settings, plus the product lines")
	_, err = qualify.Compile(s)
	require.NoError(t, err)
}

func TestFlags(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		return p
	}
	leads := write("leads.jsonl", `{"id":"A-1","contact":{"role":"decision_maker"},"activities":[{"kind":"pricing_request","at":"2026-11-23T08:58:00Z"}]}

{"id":"A-2","activities":[{"kind":"white_paper","at":"2026-11-20T08:00:00Z"}],"surname":"typo"}
{"id":"A-3","activities":[{"kind":"ebook","at":"2026-11-20T08:00:00Z"}]}
`)
	policy := write("policy.json", string(qualify.DefaultJSON()))
	csv := write("leads.csv", "id,contact.role,activities\nC-1,decision_maker,pricing_request@2026-11-23T08:58:00Z\nC-2,user,ebook@2026-11-20T08:00:00Z\n")
	tracks := write("tracks.json", `{"name": "not an array"}`)
	badPolicy := write("bad.json", `{"name":"p","rules":[{"name":"r","when":"contact.rol == 1","reason":"x","intent":"need"}]}`)

	tests := []struct {
		name       string
		args       []string
		code       int
		out, err   string
		notInOut   string
		emptyOuput bool
	}{
		{"help", []string{"-h"}, 0, "", "Usage: quickstart", "", true},
		{"own leads and policy", []string{"-leads", leads, "-policy", policy, "-now", "2026-11-23T09:00:00Z"}, 0,
			"A-1     ", "", "A-2", false},
		{"a bad line is reported with its number", []string{"-leads", leads, "-now", "2026-11-23T09:00:00Z"}, 0,
			`line 3 A-2: surname: unknown field`, "", "", false},
		{"bad policy", []string{"-policy", badPolicy}, 1, "", `rule "r": when 1:9: unknown field contact.rol`, "", true},
		{"missing leads file", []string{"-leads", filepath.Join(dir, "nope.jsonl")}, 1, "", "-leads: open", "", true},
		{"leads from a CSV export", []string{"-leads", csv, "-now", "2026-11-23T09:00:00Z"}, 0, "C-1     ", "", "", false},
		{"a Salesforce export", []string{"-leads", "../../ingest/testdata/presets/salesforce.csv", "-preset", "salesforce", "-map", "date: DD/MM/YYYY", "-time-zone", "Europe/London", "-now", "2026-11-23T09:00:00Z"}, 0, "00Q5g00000A1b2C", "", "", false},
		{"dry run", []string{"-leads", csv, "-validate", "-now", "2026-11-23T09:00:00Z"}, 0, "read csv, utf-8, delimiter \",\", 3 columns: 2 rows, 2 leads, 0 bad", "", "", false},
		{"dry run with a decision flag", []string{"-validate", "-tracks", "t.json"}, 2, "", "-tracks do nothing with -validate", "", true},
		{"own tracks", []string{"-tracks", tracks}, 1, "", "tracks " + tracks + ": want a JSON array of track specs", "", true},
		{"own catalogue", []string{"-catalogue", filepath.Join(dir, "nope.json")}, 1, "", "-catalogue: open", "", true},
		{"a mapping for JSON lines", []string{"-leads", leads, "-format", "jsonl", "-map", "id=Key"}, 2, "", "-map do nothing for JSON lines", "", true},
		{"missing policy file", []string{"-policy", filepath.Join(dir, "nope.json")}, 1, "", "-policy: open", "", true},
		{"bad time", []string{"-now", "yesterday"}, 2, "", `-now: "yesterday" is not an RFC 3339 time`, "", true},
		{"stray argument", []string{"leads.jsonl"}, 2, "", `unexpected argument "leads.jsonl"`, "", true},
		{"unknown flag", []string{"-lead", "x"}, 2, "", "flag provided but not defined: -lead", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runMain(t, tt.args...)
			assert.Equal(t, tt.code, code, errOut)
			assert.Contains(t, out, tt.out)
			assert.Contains(t, errOut, tt.err)
			if tt.notInOut != "" {
				assert.NotContains(t, strings.SplitN(out, "Refused input", 2)[0], tt.notInOut)
			}
			if tt.emptyOuput {
				assert.Empty(t, out)
			}
		})
	}
}
