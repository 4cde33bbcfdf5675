package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHelp(t *testing.T) {
	var stderr bytes.Buffer
	require.Equal(t, exitOK, run(context.Background(), []string{"-h"}, stdio{err: &stderr}))
	for _, want := range []string{
		"Usage: batch", "Exit status: 0", "2 the run finished but some rows were", "1 the run failed",
		"kind@time;kind@time", "consent.<channel>", "fields.<name>", strings.Join(decisionColumns, ","),
		"-o file", "-rejects", "-policy", "-map", "-delimiter", "-now", "-time-zone", "-currency", "-workers", "-progress", "-max-line-bytes",
	} {
		assert.Contains(t, stderr.String(), want)
	}
}

// failingWriter fails every write, like a full disk.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

func TestExitStatus(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	good := write("good.csv", "id,activities\nL-1,pricing_request@2026-03-02T08:00:00Z\n")
	empty := write("empty.csv", "")
	noID := write("noid.csv", "lead,activities\nL-1,\n")
	twice := write("twice.csv", "id,contact.email,Contact.Email\nL-1,a@b.example,c@d.example\n")
	long := write("long.csv", "id,fields.note\nL-1,"+strings.Repeat("x", 200)+"\nL-2,\n")
	broken := write("broken.json", `{"name": "broken", "rules": [{"name": "r", "when": "fresh(\"pricing_request\") && colour", "intent": "need", "reason": "r"}]}`)
	existing := write("existing.csv", "the previous decisions\n")

	tests := []struct {
		name   string
		args   []string
		stdout io.Writer
		status int
		want   string // in stderr
	}{
		{name: "every row decided", args: []string{good}, status: exitOK, want: "decided 1\n"},
		{name: "an unknown flag", args: []string{"-output", "x"}, status: exitFatal, want: "flag provided but not defined: -output"},
		{name: "two exports", args: []string{good, good}, status: exitFatal, want: "one export at a time, got 2"},
		{name: "a bad delimiter", args: []string{"-delimiter", "ab", good}, status: exitFatal, want: `-delimiter "ab": want one character`},
		{name: "a quote as delimiter", args: []string{"-delimiter", `"`, good}, status: exitFatal, want: "-delimiter"},
		{name: "a bad -now", args: []string{"-now", "yesterday", good}, status: exitFatal, want: `-now "yesterday": want RFC 3339`},
		{name: "a bad time zone", args: []string{"-time-zone", "Europe/Londres", good}, status: exitFatal, want: `-time-zone "Europe/Londres"`},
		{name: "the Local time zone", args: []string{"-time-zone", "Local", good}, status: exitFatal, want: `-time-zone "Local"`},
		{name: "a bad currency", args: []string{"-currency", "gbp", good}, status: exitFatal, want: `-currency "gbp": not an ISO 4217 code`},
		{name: "no workers", args: []string{"-workers", "0", good}, status: exitFatal, want: "-workers 0: must be positive"},
		{name: "a bad progress", args: []string{"-progress", "sometimes", good}, status: exitFatal, want: `-progress "sometimes"`},
		{name: "a mapping without =", args: []string{"-map", "id", good}, status: exitFatal, want: `mapping -map line 1, column 1: "id": want target = column`},
		{name: "a mapping of an unknown field", args: []string{"-map", "email=E-mail", good}, status: exitFatal, want: `unknown target "email"`},
		{name: "a mapped header the export lacks", args: []string{"-map", "id=LeadId", good}, status: exitFatal, want: `mapping -map line 1, column 1: "id=LeadId": the header has no column "LeadId" (it has: "id", "activities")`},
		{name: "a mapping for JSON lines", args: []string{"-format", "jsonl", "-preset", "salesforce", good}, status: exitFatal, want: "-preset do nothing for JSON lines"},
		{name: "an unknown preset", args: []string{"-preset", "pipedrive", good}, status: exitFatal, want: `no preset "pipedrive" (presets: hubspot, mautic, odoo, salesforce)`},
		{name: "a decision flag with -validate", args: []string{"-validate", "-workers", "2", good}, status: exitFatal, want: "-workers do nothing with -validate"},
		{name: "a missing export", args: []string{filepath.Join(dir, "missing.csv")}, status: exitFatal, want: "missing.csv: no such file or directory"},
		{name: "an empty export", args: []string{empty}, status: exitFatal, want: "bad input: it is empty: want a header line"},
		{name: "no id column", args: []string{noID}, status: exitFatal, want: `the header has no id column (it has: "lead", "activities"): name it with id = <header>`},
		{name: "a header read twice", args: []string{twice}, status: exitFatal, want: `the header has 2 columns named "contact.email" (columns 2, 3)`},
		{name: "a line over the limit", args: []string{"-max-line-bytes", "100", long}, status: exitFatal, want: "bad input: line 2 is longer than 100 bytes"},
		{name: "a policy that does not compile", args: []string{"-policy", broken, good}, status: exitFatal, want: "rule \"r\": when 1:29: unknown name colour"},
		{name: "the export as output", args: []string{"-o", good, good}, status: exitFatal, want: good + " is the export itself"},
		{name: "an output directory that does not exist", args: []string{"-o", filepath.Join(dir, "nowhere", "out.csv"), good}, status: exitFatal, want: "nowhere"},
		{name: "an output that fails", args: []string{good}, stdout: failingWriter{}, status: exitFatal, want: "writing decisions: no space left on device"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			std := stdio{in: strings.NewReader(""), out: io.Discard, err: &stderr, clock: fixedClock}
			if tt.stdout != nil {
				std.out = tt.stdout
			}
			args := []string{"-now", "2026-03-02T09:00:00Z"}
			if !slices.Contains(tt.args, "-validate") {
				args = append(args, "-progress", "never")
			}
			args = append(args, tt.args...)
			assert.Equal(t, tt.status, run(context.Background(), args, std))
			assert.Contains(t, stderr.String(), tt.want)
		})
	}
	assert.Equal(t, "the previous decisions\n", string(readFile(t, existing)))
}

// TestOutputFiles: -o and -rejects are replaced only when the run
// finishes, keep the permissions of the files they replace, and leave no
// temporary file behind.
func TestOutputFiles(t *testing.T) {
	dir := t.TempDir()
	out, rejects := filepath.Join(dir, "decisions.csv"), filepath.Join(dir, "rejects.csv")
	require.NoError(t, os.WriteFile(out, []byte("old decisions\n"), 0o640))
	args := []string{"-now", "2026-03-02T09:00:00Z", "-progress", "never", "-o", out, "-rejects", rejects, "testdata/bad.csv"}

	// Interrupted: nothing is replaced.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stderr bytes.Buffer
	assert.Equal(t, exitFatal, run(ctx, args, stdio{out: io.Discard, err: &stderr, clock: fixedClock}))
	assert.Contains(t, stderr.String(), "context canceled")
	assert.Equal(t, "old decisions\n", string(readFile(t, out)))
	assert.NoFileExists(t, rejects)

	// Finished, with rows skipped: both are in place.
	stderr.Reset()
	assert.Equal(t, exitSkipped, run(context.Background(), args, stdio{out: io.Discard, err: &stderr, clock: fixedClock}))
	assert.Equal(t, readFile(t, "testdata/bad.golden.csv"), readFile(t, out))
	assert.Equal(t, readFile(t, "testdata/bad.golden.rejects.csv"), readFile(t, rejects))
	fi, err := os.Stat(out)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), fi.Mode().Perm(), "a replaced file keeps its permissions")
	fi, err = os.Stat(rejects)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "a new file is private: leads are personal data")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 2, "no temporary file is left behind")
}
