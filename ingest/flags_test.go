package ingest_test

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/leadqual/leadqual/ingest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFlags(t *testing.T) {
	file := filepath.Join(t.TempDir(), "acme.map")
	require.NoError(t, os.WriteFile(file, []byte("date: DD/MM/YYYY\nstage = Lead Status | map(Nurture=nurturing; *=new)\n"), 0o600))
	parse := func(args ...string) (ingest.Options, error) {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		f := ingest.Flags{TimeZone: "UTC"}
		f.Register(fs)
		require.NoError(t, fs.Parse(args))
		return f.Options()
	}
	o, err := parse("-preset", "salesforce", "-mapping", file, "-map", "currency: GBP", "-map", "value = Amount", "-delimiter", "tab", "-encoding", "cp1252", "-currency", "EUR")
	require.NoError(t, err)
	assert.Equal(t, '\t', o.Comma)
	assert.Equal(t, ingest.EncodingWindows1252, o.Encoding)
	assert.Equal(t, "UTC", o.TimeZone.String())
	text := o.Mapping.String()
	assert.Contains(t, text, "date: DD/MM/YYYY\n")
	assert.Contains(t, text, "currency: GBP\n")
	assert.Contains(t, text, "stage = Lead Status | map(Nurture=nurturing; *=new)\n")
	assert.NotContains(t, text, "Open - Not Contacted", "the organisation's stage replaces the preset's")
	assert.Contains(t, text, "value = Amount\n")

	for _, tt := range []struct {
		args []string
		msg  string
	}{
		{[]string{"-format", "xml"}, `-format "xml": want auto, csv or jsonl`},
		{[]string{"-preset", "nope"}, `-preset: bad mapping: no preset "nope"`},
		{[]string{"-mapping", filepath.Join(t.TempDir(), "none.map")}, "-mapping: open"},
		{[]string{"-map", "idd = x"}, `mapping -map line 1, column 1: "idd = x": unknown target "idd"`},
		{[]string{"-delimiter", "ab"}, `-delimiter "ab": want one character`},
		{[]string{"-encoding", "ebcdic"}, `-encoding "ebcdic": want auto, utf-8 or windows-1252`},
		{[]string{"-time-zone", "Mars/Olympus"}, `-time-zone "Mars/Olympus": not an IANA time zone`},
		{[]string{"-currency", "gbp"}, `-currency "gbp": not an ISO 4217 code`},
		{[]string{"-format", "jsonl", "-preset", "hubspot", "-delimiter", ";", "-time-zone", "Europe/London"}, "-preset, -delimiter, -time-zone do nothing for JSON lines"},
	} {
		_, err := parse(tt.args...)
		require.Error(t, err, tt.args)
		assert.Contains(t, err.Error(), tt.msg, tt.args)
	}
	// A default time zone is not a flag given.
	_, err = parse("-format", "jsonl")
	assert.NoError(t, err)
}
