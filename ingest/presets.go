package ingest

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

//go:embed presets/*.map
var presetFiles embed.FS

// Presets returns the names of the presets, sorted: the standard columns
// of the exports CRM teams already have.
//
//   - salesforce: a Lead report exported as CSV, or Data Loader's Lead export
//   - hubspot: a contacts export
//   - odoo: CRM leads and opportunities exported from the list view
//   - mautic: a contacts export
func Presets() []string {
	entries, _ := fs.ReadDir(presetFiles, "presets")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".map"))
	}
	slices.Sort(out)
	return out
}

// PresetText returns a preset's text in the mapping language, to read or to
// copy as the start of an organisation's own mapping.
func PresetText(name string) (string, error) {
	data, err := presetFiles.ReadFile(path.Join("presets", name+".map"))
	if err != nil {
		return "", fmt.Errorf("%w: no preset %q (presets: %s)", ErrMapping, name, strings.Join(Presets(), ", "))
	}
	return string(data), nil
}

// Preset returns the mapping of a CRM's standard export. Its columns are
// optional: a column the export lacks is left unread; a column it does
// not name becomes a custom field. Extend it with an organisation's own
// statements with [Mapping.With].
func Preset(name string) (*Mapping, error) {
	text, err := PresetText(name)
	if err != nil {
		return nil, err
	}
	m, err := ParseMapping("preset "+name, text)
	if err != nil {
		return nil, err
	}
	return m.optional(), nil
}

// MustPreset is Preset for a name known to exist; it panics otherwise.
func MustPreset(name string) *Mapping {
	m, err := Preset(name)
	if err != nil {
		panic(err)
	}
	return m
}
