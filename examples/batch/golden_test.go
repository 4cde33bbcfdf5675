package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// t0 is the `now` of every test, and the wall clock they see: no test
// reads the real clock.
var t0 = time.Date(2026, time.March, 2, 9, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return t0 }

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create it")
	assert.Equal(t, string(want), string(got), "%s differs; if the change is right, run go test -update", path)
}

// mappedLayout is the -map of testdata/mapped.csv, an export with a
// CRM's own headers, a semicolon delimiter, bare amounts with a currency
// column, and times without a zone.
const mappedLayout = "id=Lead ID,contact.name=Full Name,contact.email=Email,contact.title=Title,contact.role=Role," +
	"company.name=Account,company.employees=Employees,company.country=Country,value=Amount,value.currency=Currency," +
	"stage=Status,activities=Activity History,created_at=Created Date,consent.email=Email Opt In,fields.plan=Plan"

// The Salesforce fixture of package ingest, and an organisation's own
// statements for it.
const (
	salesforceExport = "../../ingest/testdata/presets/salesforce.csv"
	salesforceOrg    = "../../ingest/testdata/presets/salesforce-acme.map"
)

// TestGolden runs the program on the exports in testdata and compares its
// decisions, its stderr (row reports and summary) and its rejects with the
// golden files testdata/<name>.golden.*.
func TestGolden(t *testing.T) {
	dir := t.TempDir()
	gz := filepath.Join(dir, "default.csv.gz")
	writeGzip(t, gz, readFile(t, "testdata/default.csv"))

	tests := []struct {
		name   string
		args   []string // after the common ones; REJECTS and OUT are replaced by files in a temporary directory
		stdin  string   // a file in testdata to read as stdin
		golden string   // the name of the golden files: testdata/<golden>.golden.*; default name
		status int
	}{
		{name: "default", args: []string{"testdata/default.csv"}, status: exitOK},
		{name: "default from gzip", args: []string{gz}, golden: "default", status: exitOK},
		{name: "default from stdin to a file", args: []string{"-o", "OUT"}, stdin: "testdata/default.csv", golden: "default", status: exitOK},
		{name: "bad", args: []string{"-rejects", "REJECTS", "testdata/bad.csv"}, status: exitSkipped},
		{name: "mapped", args: []string{"-delimiter", ";", "-time-zone", "Europe/London", "-map", mappedLayout, "testdata/mapped.csv"}, status: exitOK},
		{
			name: "mapped in two -map flags", golden: "mapped", status: exitOK,
			args: []string{"-delimiter", ";", "-time-zone", "Europe/London", "-map", mappedLayout[:strings.Index(mappedLayout, ",value=")],
				"-map", mappedLayout[strings.Index(mappedLayout, ",value=")+1:], "testdata/mapped.csv"},
		},
		{name: "rule-fails", args: []string{"-policy", "testdata/plan-policy.json", "-rejects", "REJECTS", "testdata/default.csv"}, status: exitSkipped},
		// A Salesforce report export as delivered (Windows-1252, day-first
		// dates, "N/A", "1,098", the header repeated, a totals row and the
		// report's footer), read with the preset and the organisation's own
		// statements: decided, and in a dry run.
		{name: "salesforce", args: []string{"-preset", "salesforce", "-mapping", salesforceOrg, salesforceExport}, status: exitOK},
		{name: "salesforce-validate", args: []string{"-validate", "-preset", "salesforce", "-mapping", salesforceOrg, salesforceExport}, status: exitOK},
		{name: "salesforce-ambiguous", args: []string{"-validate", "-preset", "salesforce", "-time-zone", "Europe/London", "-rejects", "REJECTS", salesforceExport}, status: exitSkipped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, rejects := filepath.Join(t.TempDir(), "decisions.csv"), filepath.Join(t.TempDir(), "rejects.csv")
			validate := slices.Contains(tt.args, "-validate")
			args := []string{"-now", "2026-04-04T12:00:00Z"}
			if !strings.HasPrefix(tt.name, "salesforce") {
				args[1] = "2026-03-02T09:00:00Z"
			}
			if !validate {
				args = append(args, "-workers", "3", "-progress", "never")
			}
			for _, a := range tt.args {
				a = strings.ReplaceAll(a, "REJECTS", rejects)
				args = append(args, strings.ReplaceAll(a, "OUT", out))
			}
			var stdout, stderr bytes.Buffer
			std := stdio{in: strings.NewReader(""), out: &stdout, err: &stderr, clock: fixedClock}
			if tt.stdin != "" {
				std.in = bytes.NewReader(readFile(t, tt.stdin))
			}
			assert.Equal(t, tt.status, run(context.Background(), args, std), "stderr:\n%s", &stderr)

			name := tt.golden
			if name == "" {
				name = tt.name
			}
			decisions := stdout.Bytes()
			if strings.Contains(strings.Join(tt.args, " "), "OUT") {
				assert.Empty(t, stdout.String())
				decisions = readFile(t, out)
			}
			if validate {
				golden(t, name+".golden.txt", decisions) // the dry run's report
			} else {
				golden(t, name+".golden.csv", decisions)
			}
			golden(t, name+".golden.stderr", stderr.Bytes())
			if strings.Contains(strings.Join(tt.args, " "), "REJECTS") {
				golden(t, name+".golden.rejects.csv", readFile(t, rejects))
			}
		})
	}
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	return b
}

func writeGzip(t testing.TB, name string, data []byte) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(data)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.NoError(t, os.WriteFile(name, buf.Bytes(), 0o600))
}
