package ingest

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/leadqual/leadqual/lead"
)

// Flags are the command-line flags of a program that reads leads, the same
// in every command of this module: -format, -preset, -mapping, -map,
// -delimiter, -encoding, -time-zone, -currency. Register them on a
// flag.FlagSet, parse, then call Options. The zero value has no defaults;
// set TimeZone before Register to give -time-zone one.
type Flags struct {
	Format      string
	Preset      string
	MappingFile string
	Maps        []string
	Delimiter   string
	Encoding    string
	TimeZone    string
	Currency    string

	fs *flag.FlagSet // where Register defined them, to tell which were given
}

// Register defines the flags on fs.
func (f *Flags) Register(fs *flag.FlagSet) {
	f.fs = fs
	fs.StringVar(&f.Format, "format", f.Format, "the input's `format`: csv, jsonl, or auto (JSON lines when it starts with {)")
	fs.StringVar(&f.Preset, "preset", f.Preset, "read a CRM's standard export: `name` is one of "+strings.Join(Presets(), ", "))
	fs.StringVar(&f.MappingFile, "mapping", f.MappingFile, "a `file` in the mapping language (extends -preset)")
	fs.Func("map", "mapping `statements`, comma-separated: 'id=Lead ID,contact.email=E-mail' (extends -preset and -mapping; may be repeated)", func(s string) error {
		f.Maps = append(f.Maps, s)
		return nil
	})
	fs.StringVar(&f.Delimiter, "delimiter", f.Delimiter, "the CSV field `delimiter`: one character, or tab (default: found in the header line)")
	fs.StringVar(&f.Encoding, "encoding", f.Encoding, "the input's `encoding`: utf-8, windows-1252, or auto (UTF-8, and Windows-1252 for the cells that are not)")
	fs.StringVar(&f.TimeZone, "time-zone", f.TimeZone, "IANA time `zone` of times written without one (Europe/London)")
	fs.StringVar(&f.Currency, "currency", f.Currency, "ISO 4217 `code` of amounts written without a currency (GBP)")
}

// Options builds the reading options the flags say: the preset, extended
// by the mapping file, extended by each -map in order. A flag that does
// nothing for the input's format is an error: a mapping, a delimiter or an
// encoding for JSON lines.
func (f *Flags) Options() (Options, error) {
	var o Options
	var err error
	if o.Format, err = ParseFormat(f.Format); err != nil {
		return o, fmt.Errorf("-format %q: want auto, csv or jsonl", f.Format)
	}
	var m *Mapping
	if f.Preset != "" {
		if m, err = Preset(f.Preset); err != nil {
			return o, fmt.Errorf("-preset: %w", err)
		}
	}
	if f.MappingFile != "" {
		data, err := os.ReadFile(f.MappingFile)
		if err != nil {
			return o, fmt.Errorf("-mapping: %w", err)
		}
		own, err := ParseMapping(f.MappingFile, string(data))
		if err != nil {
			return o, err
		}
		m = m.With(own)
	}
	for _, s := range f.Maps {
		own, err := ParseMapping("-map", s)
		if err != nil {
			return o, err
		}
		m = m.With(own)
	}
	o.Mapping = m
	if f.Delimiter != "" {
		if o.Comma, err = ParseDelimiter(f.Delimiter); err != nil {
			return o, fmt.Errorf("-%w", err)
		}
	}
	if o.Encoding, err = ParseEncoding(f.Encoding); err != nil {
		return o, fmt.Errorf("-encoding %q: want auto, utf-8 or windows-1252", f.Encoding)
	}
	if f.TimeZone != "" {
		if o.TimeZone, err = loadZone(f.TimeZone); err != nil {
			return o, fmt.Errorf("-time-zone %q: not an IANA time zone such as Europe/London", f.TimeZone)
		}
	}
	if f.Currency != "" {
		if o.Currency = lead.Currency(f.Currency); !o.Currency.Valid() {
			return o, fmt.Errorf("-currency %q: not an ISO 4217 code such as GBP", f.Currency)
		}
	}
	if o.Format == FormatJSONLines {
		given := map[string]bool{}
		if f.fs != nil {
			f.fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
		}
		var useless []string
		for _, u := range []struct {
			set  bool
			name string
		}{
			{f.Preset != "", "-preset"}, {f.MappingFile != "", "-mapping"}, {len(f.Maps) > 0, "-map"},
			{f.Delimiter != "", "-delimiter"}, {f.Encoding != "" && f.Encoding != "auto", "-encoding"},
			// A lead in JSON states its times' zones and its amounts' currencies.
			{given["time-zone"], "-time-zone"}, {given["currency"], "-currency"},
		} {
			if u.set {
				useless = append(useless, u.name)
			}
		}
		if len(useless) > 0 {
			return o, fmt.Errorf("%s do nothing for JSON lines: they are for CSV exports", strings.Join(useless, ", "))
		}
	}
	return o, nil
}
