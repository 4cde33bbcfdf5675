package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/leadqual/leadqual/lead"
	"github.com/stretchr/testify/require"
)

// fuzzHeader is every lead target of the default layout, with a consent
// channel and a custom field.
var fuzzHeader = []string{
	"id", "source", "stage", "owner", "lost_reason",
	"contact.name", "contact.email", "contact.phone", "contact.title", "contact.role", "contact.time_zone",
	"company.name", "company.domain", "company.industry", "company.employees", "company.country",
	"budget", "value", "expected_purchase", "renewal", "created_at", "updated_at",
	"activities", "interests", "consent.email", "fields.x",
}

// FuzzReadCSV feeds a CSV row to the reader under the header of every
// field, and checks that it never panics, that every bad row says why,
// and that a lead it reads without problems reads back the same after it
// is written out again: nothing is lost or changed on the way.
//
//	go test -run '^$' -fuzz FuzzReadCSV ./ingest
func FuzzReadCSV(f *testing.F) {
	for _, seed := range []string{
		"L-1,web_form,new,jo,not_now,Ada,ada@byrne.example,+44 20 7946 0958,CFO,decision_maker,Europe/London,Byrne,byrne.example,logistics,240,GB," +
			"25000.00 GBP,50000 GBP,2026-06-30,2027-01-31T00:00:00+01:00,2026-01-01T09:00:00Z,2026-02-01 09:00:00Z," +
			"white_paper@2026-02-27T09:00:00Z;pricing_request@2026-03-02T08:58:00Z,RoutePlanner@2026-02-01/2026-02-20,opted_in@2026-01-01,pro",
		`L-2,,,,,,,,,,,,,,,,,,,,,,"[{""kind"":""quote_request"",""at"":""2026-03-01T16:00:00Z"",""product"":""RP""}]","[{""topic"":""RP"",""first_seen"":""2026-02-28T10:00:00Z"",""last_seen"":""2026-03-01T16:00:00Z""}]",unknown,"""true"""`,
		"L-3,,lost,,,,,,,boss,Mars/Olympus,,,,-5,UK,100,1e3 EUR,next week,,,,ebook,@,maybe@x,1e400",
		`L-4,,,,,,,,,,,,https://WWW.Example.com/x,,"1,098",United Kingdom,"£1,000.50",$5,03/04/2026,25/03/2026,N/A,null,;;demo_request@2026-03-01T09:00:00.123456789Z;,x@2026-01-01/2025-01-01,opted_out@2026-01-01T00:00:00-05:00,-0`,
		`,,,,,,,,,,,,,,,,,,,,,,"[{""kind"":""""}]",[,unknown@2026-01-01,""`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		input := strings.Join(fuzzHeader, ",") + "\n" + line + "\n"
		r := NewReader(strings.NewReader(input), Options{Now: time.Date(2026, time.March, 2, 9, 0, 0, 0, time.UTC)})
		var recs []*Record
		for rec := range r.All() {
			recs = append(recs, rec)
		}
		if r.Err() != nil {
			require.ErrorIs(t, r.Err(), ErrInput)
			return
		}
		for _, rec := range recs {
			if rec.Err != nil {
				require.NotEmpty(t, rec.Err.Problems)
				require.NotEmpty(t, rec.Err.Error())
				continue
			}
			again := NewReader(strings.NewReader(strings.Join(fuzzHeader, ",")+"\n"+formatRow(t, rec.Lead)), Options{})
			n := 0
			for back := range again.All() {
				n++
				require.Nil(t, back.Err, "the lead written out does not read back:\n%s", formatRow(t, rec.Lead))
				require.Equal(t, leadJSON(t, rec.Lead), leadJSON(t, back.Lead))
			}
			require.NoError(t, again.Err())
			require.Equal(t, 1, n)
		}
	})
}

func leadJSON(t testing.TB, l *lead.Lead) string {
	b, err := json.Marshal(l)
	require.NoError(t, err)
	return string(b)
}

// formatRow writes a lead as a CSV row of fuzzHeader: the inverse of the
// reader. Activities and interests are written as JSON, and a custom text
// field that would read as something else as a JSON string.
func formatRow(t testing.TB, l *lead.Lead) string {
	t.Helper()
	when := func(at time.Time) string {
		if at.IsZero() {
			return ""
		}
		return at.Format(time.RFC3339Nano)
	}
	money := func(m lead.Money) string {
		if !m.Known() {
			return ""
		}
		a := m.Amount.String()
		if e := m.Amount.Exponent(); e < 0 {
			a = m.Amount.StringFixed(-e) // the scale as written
		}
		return a + " " + string(m.Currency)
	}
	jsonOf := func(v any, empty bool) string {
		if empty {
			return ""
		}
		b, err := json.Marshal(v)
		require.NoError(t, err)
		return string(b)
	}
	employees := ""
	if l.Company.Employees != 0 {
		employees = strconv.Itoa(l.Company.Employees)
	}
	rec := map[string]string{
		"id": l.ID, "source": l.Source, "stage": l.Stage.String(), "owner": l.Owner, "lost_reason": string(l.LostReason),
		"contact.name": l.Contact.Name, "contact.email": l.Contact.Email, "contact.phone": l.Contact.Phone, "contact.title": l.Contact.Title,
		"contact.role": l.Contact.Role.String(), "contact.time_zone": l.Contact.TimeZone,
		"company.name": l.Company.Name, "company.domain": l.Company.Domain, "company.industry": l.Company.Industry,
		"company.employees": employees, "company.country": l.Company.Country,
		"budget": money(l.Budget), "value": money(l.Value),
		"expected_purchase": when(l.ExpectedPurchase), "renewal": when(l.Renewal), "created_at": when(l.CreatedAt), "updated_at": when(l.UpdatedAt),
		"activities": jsonOf(l.Activities, len(l.Activities) == 0),
		"interests":  jsonOf(l.Interests, len(l.Interests) == 0),
	}
	if c, ok := l.Consent["email"]; ok {
		rec["consent.email"] = c.State.String()
		if !c.At.IsZero() {
			rec["consent.email"] += "@" + when(c.At)
		}
	}
	for ch := range l.Consent {
		require.Equal(t, lead.Channel("email"), ch, "the header has no other channel")
	}
	if v, ok := l.Fields["x"]; ok {
		switch x := v.(type) {
		case bool:
			rec["fields.x"] = strconv.FormatBool(x)
		case float64:
			rec["fields.x"] = strconv.FormatFloat(x, 'f', -1, 64)
		case string:
			rec["fields.x"] = x
			b := &binding{rule: &rule{}}
			if got, _ := fieldValue(b, x); got != any(x) || isMissing(x, defaultMissing, missingBound(defaultMissing)) || strings.TrimSpace(x) != x {
				rec["fields.x"] = jsonOf(x, false)
			}
		default:
			t.Fatalf("fields.x is a %T", v)
		}
	}
	row := make([]string, len(fuzzHeader))
	for i, h := range fuzzHeader {
		row[i] = rec[h]
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	require.NoError(t, w.Write(row))
	w.Flush()
	return buf.String()
}

// FuzzReadHistory: any bytes as a CSV history, with any mapping. The
// reader never panics, every bad record says why, and every record it
// reads without problems keeps the promises of its outcome: a conversion
// time only on a lead that converted, never before its decision time.
//
//	go test -run '^$' -fuzz FuzzReadHistory ./ingest
func FuzzReadHistory(f *testing.F) {
	f.Add([]byte("id,decided_at,converted,converted_at\na,2026-03-01T09:00:00Z,yes,2026-03-05T10:00:00Z\nb,2026-03-01T09:00:00Z,no,\n"), "")
	f.Add([]byte("Lead ID,Created Date,Converted Date\nL-1,01/03/2026 09:00,01/03/2026\nL-2,02/03/2026 09:00,\n"),
		"id = Lead ID, decided_at = Created Date, converted_at = Converted Date, date: DD/MM/YYYY, zone: Europe/London")
	f.Add([]byte("id,decided_at,converted,converted_at\na,2026-03-01T09:00:00Z,false,2026-03-05\nb,2026-03-01T09:00:00Z,true,2026-02-28\nc,2026-03-01T09:00:00Z,,03/04/2026\n"), "")
	f.Add([]byte("id,Decided,Became a Customer Date\n53,2025-11-01 09:00,2026-01-15 12:00\n54,2026-02-20 07:30,N/A\n"),
		"id = id, decided_at = Decided, converted = Became a Customer Date | present, converted_at = Became a Customer Date | zone(America/New_York)")
	f.Add([]byte("id,decided_at,converted_at,activity\na,2026-03-01T09:00:00Z,2026-03-05T10:00:00Z,chat\na,2026-03-01T09:00:00Z,2026-03-06T10:00:00Z,ebook\n"), `missing: "0000-00-00"`)
	f.Fuzz(func(t *testing.T, data []byte, mapping string) {
		m, err := ParseMapping("fuzz", mapping)
		if err != nil {
			m = nil
		}
		r := NewReader(bytes.NewReader(data), Options{Mapping: m, History: true, Format: FormatCSV, TimeZone: time.UTC, MaxLineBytes: 1 << 16})
		for rec := range r.All() {
			if rec.Err != nil {
				require.NotEmpty(t, rec.Err.Problems)
				require.NotEmpty(t, rec.Err.Error())
				continue
			}
			if rec.ConvertedAt.IsZero() {
				continue
			}
			require.True(t, rec.Converted, "a conversion time on a lead that did not convert: %q", data)
			require.False(t, !rec.At.IsZero() && rec.ConvertedAt.Before(rec.At), "converted at %v, before the decision at %v: %q", rec.ConvertedAt, rec.At, data)
		}
		if err := r.Err(); err != nil && !errors.Is(err, ErrInput) && !errors.Is(err, ErrMapping) {
			t.Fatalf("an error that is neither ErrInput nor ErrMapping: %v", err)
		}
	})
}

// FuzzParseMapping: any text as a mapping. ParseMapping never panics;
// its errors are *MappingError; what it accepts, String writes back in a
// form that reads to the same mapping.
func FuzzParseMapping(f *testing.F) {
	for _, name := range Presets() {
		text, _ := PresetText(name)
		f.Add(text)
	}
	f.Add(`id=Lead ID,contact.name=First Name + Last Name,stage=Status | map("Open - Not Contacted"=new; *=new),won="Amount, GBP" | currency(GBP)`)
	f.Add("zone: Europe/London\nthousands: \".\"\ndecimal: \",\"\nmissing: N/A; \"-\"\ncreated_at = C | date(DD/MM/YY) | zone(UTC)")
	f.Add(`activity[webinar].at = "He said ""hi""#2" # comment`)
	f.Add("id=x,,at=y\nconsent.email=Opt | bool | invert")
	f.Add("decided_at = Created Date, converted_at = Converted Date; ConvertedDate | date(DD/MM/YYYY) | zone(Europe/London) | map(never=)")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMapping("fuzz", s)
		if err != nil {
			var me *MappingError
			if !errors.As(err, &me) || !errors.Is(err, ErrMapping) {
				t.Fatalf("an error that is not a *MappingError: %v", err)
			}
			return
		}
		back, err := ParseMapping("back", m.String())
		if err != nil {
			t.Fatalf("%q: String %q does not parse: %v", s, m.String(), err)
		}
		if m.String() != back.String() {
			t.Fatalf("%q: round trip %q -> %q", s, m.String(), back.String())
		}
	})
}

// FuzzParseTime: any text as a time, in every date order. The parser never
// panics; a time it accepts with a zone written in it is the instant its
// RFC 3339 form reads as.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026-03-02T09:05:00Z", "25/03/2026 09:05", "3/25/2026 9:05 PM", "03/04/2026", "2 Mar 2026", "March 2, 2026",
		"02-Mar-2026 10:00 +0100", "2026-03-02 09:05:00.123456789 UTC", "31/02/2026", "12/25/26", "2026-03-29 01:30"} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(2))
	}
	london, _ := time.LoadLocation("Europe/London")
	layouts := []string{"auto", "YYYY-MM-DD", "DD/MM/YYYY", "MM/DD/YYYY", "DD/MM/YY", "MM/DD/YY"}
	f.Fuzz(func(t *testing.T, s string, which uint8) {
		df, err := parseDateLayout(layouts[int(which)%len(layouts)])
		require.NoError(t, err)
		for _, zone := range []*time.Location{nil, london} {
			got, _, err := df.parse(s, zone)
			if err != nil {
				require.Contains(t, err.Error(), strconv.Quote(s)[1 : len(strconv.Quote(s))-1][:0])
				continue
			}
			back, err := time.Parse(time.RFC3339Nano, got.Format(time.RFC3339Nano))
			require.NoError(t, err)
			if _, off := got.Zone(); off%60 == 0 {
				// RFC 3339 has no seconds in an offset: only a zone's local
				// mean time of old has them.
				require.True(t, back.Equal(got), "%q read as %v", s, got)
			}
		}
	})
}

// FuzzNumbers: any text as a number in the usual formats. canonical never
// panics, and what it accepts is a plain decimal number.
func FuzzNumbers(f *testing.F) {
	for _, s := range []string{"1,098", "-1,098,000.50", "1.098,50", "1 098,50", "1'098.50", "1,5", ".5", "1e5", "+0"} {
		f.Add(s)
	}
	formats := []numberFormat{defaultNumbers, {'.', ','}, {' ', ','}, {'\'', '.'}, {0, '.'}}
	f.Fuzz(func(t *testing.T, s string) {
		for _, nf := range formats {
			c, err := nf.canonical(s)
			if err != nil {
				continue
			}
			if _, perr := strconv.ParseFloat(c, 64); perr != nil && !errors.Is(perr, strconv.ErrRange) {
				t.Fatalf("%q read as %q with %q, which is not a number", s, c, []rune{nf.thousands, nf.decimal})
			}
		}
		amount, cur, sign := splitMoney(s)
		_ = amount
		if cur != "" && sign != "" {
			t.Fatalf("%q: both a currency and a sign", s)
		}
	})
}

// FuzzDecode: any bytes as Windows-1252 and as UTF-16. The decoders never
// panic and always give valid UTF-8; Windows-1252 keeps one rune a byte.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("Zo\xeb M\xfcller \x80\x81\x9f"))
	f.Add([]byte("\xff\xfeL\x00-\x001\x00\n\x00"))
	f.Add([]byte("\xfe\xff\xd8\x3d\xde\x00\x00a"))
	f.Add([]byte("\xff\xfe\x00\xd8\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := decode1252(string(data))
		require.True(t, utf8.ValidString(s))
		require.Equal(t, len(data), utf8.RuneCountInString(s))
		for _, bom := range [][]byte{bomUTF16LE, bomUTF16BE} {
			r := unmark(bufioReader(append(slices.Clone(bom), data...)))
			out, err := io.ReadAll(r)
			if err != nil {
				require.Contains(t, err.Error(), "UTF-16 text ends in the middle of a character")
			}
			require.True(t, utf8.Valid(out))
		}
	})
}

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }
