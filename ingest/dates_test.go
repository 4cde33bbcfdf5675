package ingest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseTime(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	require.NoError(t, err)
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	plus1 := time.FixedZone("", 3600)
	tests := []struct {
		in     string
		layout string
		zone   *time.Location
		want   time.Time
		class  dateClass
		err    string
	}{
		{in: "2026-03-02T09:05:00Z", want: time.Date(2026, 3, 2, 9, 5, 0, 0, time.UTC), class: classISO},
		{in: "2026-03-02 09:05:00+01:00", want: time.Date(2026, 3, 2, 9, 5, 0, 0, plus1), class: classISO},
		{in: "2026-03-02T09:05:00.123456789123-0500", want: time.Date(2026, 3, 2, 9, 5, 0, 123456789, time.FixedZone("", -5*3600)), class: classISO},
		{in: "2026-03-02 09:05 UTC", want: time.Date(2026, 3, 2, 9, 5, 0, 0, time.UTC), class: classISO},
		{in: "2026-03-02", want: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), class: classISO},
		{in: "2026-03-02", zone: london, want: time.Date(2026, 3, 2, 0, 0, 0, 0, london), class: classISO},
		{in: "2026/03/02 09:05", zone: ny, want: time.Date(2026, 3, 2, 9, 5, 0, 0, ny), class: classISO},
		{in: "25/03/2026 09:05", zone: london, want: time.Date(2026, 3, 25, 9, 5, 0, 0, london), class: classDayFirst},
		{in: "3/25/2026 9:05 PM", zone: ny, want: time.Date(2026, 3, 25, 21, 5, 0, 0, ny), class: classMonthFirst},
		{in: "12/25/2026 12:00 am", zone: ny, want: time.Date(2026, 12, 25, 0, 0, 0, 0, ny), class: classMonthFirst},
		{in: "05.05.2026", want: time.Date(2026, 5, 5, 0, 0, 0, 0, time.UTC), class: classEither},
		{in: "03/04/2026", class: classAmbiguous, err: `"03/04/2026" is ambiguous: 3 April 2026 or 4 March 2026; say date(DD/MM/YYYY) or date(MM/DD/YYYY) for this column`},
		{in: "03/04/2026", layout: "DD/MM/YYYY", want: time.Date(2026, 4, 3, 0, 0, 0, 0, time.UTC), class: classAmbiguous},
		{in: "03/04/2026", layout: "MM/DD/YYYY", want: time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC), class: classAmbiguous},
		{in: "03/04/26", layout: "DD/MM/YY", want: time.Date(2026, 4, 3, 0, 0, 0, 0, time.UTC), class: classAmbiguous},
		{in: "03/04/99", layout: "DD/MM/YY", want: time.Date(1999, 4, 3, 0, 0, 0, 0, time.UTC), class: classAmbiguous},
		{in: "2026-04-03", layout: "DD/MM/YYYY", want: time.Date(2026, 4, 3, 0, 0, 0, 0, time.UTC), class: classISO},
		{in: "2 Mar 2026", want: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), class: classNamed},
		{in: "02-Mar-2026 10:00", zone: london, want: time.Date(2026, 3, 2, 10, 0, 0, 0, london), class: classNamed},
		{in: "March 2, 2026", want: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), class: classNamed},
		{in: "Sept. 2 2026", want: time.Date(2026, 9, 2, 0, 0, 0, 0, time.UTC), class: classNamed},
		{in: "03/04/26", err: "a two-digit year: say date(DD/MM/YY) or date(MM/DD/YY) for this column"},
		{in: "31/02/2026", err: "February has no day 31"},
		{in: "13/13/2026", err: "no month 13"},
		{in: "2026-03-02 09:05", err: `"2026-03-02 09:05" has no time zone`},
		{in: "2026-03-29 01:30", zone: london, err: "01:30 does not exist in Europe/London that day (the clocks changed)"},
		{in: "2026-03-02 25:00", zone: london, err: "no time 25:00:00"},
		{in: "2026-03-02 09:05 CET", err: `zone "CET": write an offset (+01:00) or UTC`},
		{in: "2026-03-02T09:05:00Z junk", err: "unexpected"},
		{in: "13:00 PM 2026-01-01", err: "is not a time"},
		{in: "yesterday", err: "is not a time"},
		{in: "25/03/2026", layout: "MM/DD/YYYY", err: "no month 25"},
	}
	for _, tt := range tests {
		t.Run(tt.in+" "+tt.layout, func(t *testing.T) {
			f, err := parseDateLayout(tt.layout)
			require.NoError(t, err)
			got, class, err := f.parse(tt.in, tt.zone)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.True(t, tt.want.Equal(got), "got %v, want %v", got, tt.want)
			_, off := got.Zone()
			_, wantOff := tt.want.Zone()
			assert.Equal(t, wantOff, off)
			assert.Equal(t, tt.class, class)
		})
	}
}

func TestNumbers(t *testing.T) {
	for _, tt := range []struct {
		in   string
		nf   numberFormat
		want string
		err  bool
	}{
		{in: "1098", nf: defaultNumbers, want: "1098"},
		{in: "1,098", nf: defaultNumbers, want: "1098"},
		{in: "-1,098,000.50", nf: defaultNumbers, want: "-1098000.50"},
		{in: "+0.5", nf: defaultNumbers, want: "0.5"},
		{in: "1,5", nf: defaultNumbers, err: true},
		{in: "1,0000", nf: defaultNumbers, err: true},
		{in: "1234,567", nf: defaultNumbers, err: true},
		{in: ",123", nf: defaultNumbers, err: true},
		{in: "1.", nf: defaultNumbers, err: true},
		{in: ".5", nf: defaultNumbers, err: true},
		{in: "1e5", nf: defaultNumbers, err: true},
		{in: "1.098,50", nf: numberFormat{'.', ','}, want: "1098.50"},
		{in: "1 098,50", nf: numberFormat{' ', ','}, want: "1098.50"},
		{in: "1\u00a0098,50", nf: numberFormat{' ', ','}, want: "1098.50"},
		{in: "1'098.50", nf: numberFormat{'\'', '.'}, want: "1098.50"},
		{in: "1,098", nf: numberFormat{0, '.'}, err: true},
	} {
		got, err := tt.nf.canonical(tt.in)
		if tt.err {
			assert.Error(t, err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

func TestSplitMoney(t *testing.T) {
	for _, tt := range []struct{ in, amount, cur, sign string }{
		{"50000.00 GBP", "50000.00", "GBP", ""},
		{"GBP 50000", "50000", "GBP", ""},
		{"£50,000", "50,000", "GBP", ""},
		{"-£50", "-50", "GBP", ""},
		{"1.098,50 €", "1.098,50", "EUR", ""},
		{"$1,000", "1,000", "", "$"},
		{"1000", "1000", "", ""},
	} {
		amount, cur, sign := splitMoney(tt.in)
		assert.Equal(t, []string{tt.amount, tt.cur, tt.sign}, []string{amount, string(cur), sign}, tt.in)
	}
}

// A missing marker of any length is found, in any case, however its
// letters fold; a cell longer than any is not compared.
func TestIsMissing(t *testing.T) {
	for _, tt := range []struct {
		markers []string
		cell    string
		want    bool
	}{
		{defaultMissing, "", true},
		{defaultMissing, "N/A", true},
		{defaultMissing, "(NULL)", true},
		{defaultMissing, "—", true},
		{defaultMissing, "nothing", false},
		{defaultMissing, "2026-03-02T09:05:00Z", false},
		{[]string{"", "0000-00-00"}, "0000-00-00", true},
		{[]string{"", "0000-00-00 00:00:00"}, "0000-00-00 00:00:00", true},
		{[]string{"", "not known"}, "NOT KNOWN", true},
		{[]string{"", "kk"}, "\u212a\u212a", true}, // two Kelvin signs: six bytes for a marker of two
		{[]string{"", "ss"}, "\u017fS", true},      // a long s
		{[]string{"", "0000-00-00"}, "0000-00-001", false},
	} {
		assert.Equal(t, tt.want, isMissing(tt.cell, tt.markers, missingBound(tt.markers)), "%q in %q", tt.cell, tt.markers)
	}
}

func TestCountryCodes(t *testing.T) {
	for in, want := range map[string]string{
		"GB": "GB", "gb": "GB", "GBR": "GB", "UK": "GB", "United Kingdom": "GB", "the United Kingdom": "GB", "England": "GB",
		"U.S.A.": "US", "United States of America": "US", "Deutschland": "DE", "España": "ES", "Espana": "ES",
		"Côte d'Ivoire": "CI", "Cote dIvoire": "CI", "Bosnia & Herzegovina": "BA", "Korea, Republic of": "KR", "Türkiye": "TR",
		"NA": "NA", "Namibia": "NA",
	} {
		got, ok := countryCode(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"Narnia", "EU", "", "Europe"} {
		_, ok := countryCode(in)
		assert.False(t, ok, in)
	}
}

func TestWindows1252(t *testing.T) {
	// Every byte decodes to one rune, and the table's undefined bytes keep
	// their value as C1 controls.
	for b := 0; b < 256; b++ {
		s := decode1252(string([]byte{byte(b)}))
		r := []rune(s)
		require.Len(t, r, 1, "byte %#x", b)
		switch {
		case b < 0x80 || b >= 0xA0:
			assert.Equal(t, rune(b), r[0])
		case b == 0x81 || b == 0x8D || b == 0x8F || b == 0x90 || b == 0x9D:
			assert.Equal(t, rune(b), r[0])
		}
	}
	assert.Equal(t, "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ", decode1252("\x80\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x8b\x8c\x8e\x91\x92\x93\x94\x95\x96\x97\x98\x99\x9a\x9b\x9c\x9e\x9f"))
	assert.Equal(t, "Zoë Müller", decode1252("Zo\xeb M\xfcller"))
}
