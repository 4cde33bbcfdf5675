package ingest_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/leadqual/leadqual/ingest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

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

// now is the time every test validates at.
var now = time.Date(2026, time.April, 4, 12, 0, 0, 0, time.UTC)

// TestPresets reads each CRM's export fixture with its preset, as leads
// (validated at now) and as a history, and compares every record and the
// dry run's report with testdata/presets/<name>.golden.
func TestPresets(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	require.NoError(t, err)
	tests := []struct {
		name, preset, extra string
		zone                *time.Location
	}{
		{name: "salesforce", preset: "salesforce", extra: "salesforce-acme.map"},
		{name: "hubspot", preset: "hubspot", zone: london},
		{name: "odoo", preset: "odoo", zone: time.UTC},
		{name: "mautic", preset: "mautic", extra: "mautic-acme.map", zone: time.UTC},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ingest.MustPreset(tt.preset)
			if tt.extra != "" {
				text, err := os.ReadFile(filepath.Join("testdata", "presets", tt.extra))
				require.NoError(t, err)
				own, err := ingest.ParseMapping(tt.extra, string(text))
				require.NoError(t, err)
				m = m.With(own)
			}
			var out bytes.Buffer
			for _, history := range []bool{false, true} {
				f, err := os.Open(filepath.Join("testdata", "presets", tt.name+".csv"))
				require.NoError(t, err)
				defer f.Close()
				opts := ingest.Options{Mapping: m, TimeZone: tt.zone, History: history}
				if history {
					fmt.Fprintf(&out, "\n# as a history\n")
				} else {
					opts.Now = now
					fmt.Fprintf(&out, "# as leads, validated at %s\n", now.Format(time.RFC3339))
				}
				r := ingest.NewReader(f, opts)
				for rec := range r.All() {
					writeRecord(t, &out, rec, history)
				}
				require.NoError(t, r.Err())
				fmt.Fprintln(&out, "# report")
				require.NoError(t, r.Report().WriteText(&out))
			}
			golden(t, filepath.Join("presets", tt.name+".golden"), out.Bytes())
		})
	}
}

func writeRecord(t *testing.T, out *bytes.Buffer, rec *ingest.Record, history bool) {
	t.Helper()
	if rec.Err != nil {
		fmt.Fprintf(out, "bad  %v\n", rec.Err)
		return
	}
	data, err := json.Marshal(rec.Lead)
	require.NoError(t, err)
	fmt.Fprintf(out, "line %d: %s\n", rec.Line, data)
	if history {
		fmt.Fprintf(out, "  decided %s, converted %t", rec.At.Format(time.RFC3339), rec.Converted)
		if !rec.ConvertedAt.IsZero() {
			fmt.Fprintf(out, " at %s", rec.ConvertedAt.Format(time.RFC3339))
		}
		fmt.Fprintf(out, ", won %s\n", rec.Won)
	}
}

// TestPresetsParse: every preset parses, and writes itself back in a form
// that parses to the same mapping.
func TestPresetsParse(t *testing.T) {
	require.Equal(t, []string{"hubspot", "mautic", "odoo", "salesforce"}, ingest.Presets())
	for _, name := range ingest.Presets() {
		m, err := ingest.Preset(name)
		require.NoError(t, err, name)
		back, err := ingest.ParseMapping("back", m.String())
		require.NoError(t, err, "%s:\n%s", name, m.String())
		assert.Equal(t, m.String(), back.String(), name)
	}
	_, err := ingest.Preset("pipedrive")
	assert.ErrorIs(t, err, ingest.ErrMapping)
	assert.ErrorContains(t, err, `no preset "pipedrive" (presets: hubspot, mautic, odoo, salesforce)`)
}
