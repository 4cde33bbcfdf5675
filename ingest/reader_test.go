package ingest_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/leadqual/leadqual/ingest"
	"github.com/leadqual/leadqual/lead"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func leadJSON(t testing.TB, l *lead.Lead) string {
	t.Helper()
	b, err := json.Marshal(l)
	require.NoError(t, err)
	return string(b)
}

// readAll reads input with opts and returns every record; the reader's
// error must be nil.
func readAll(t testing.TB, input string, opts ingest.Options) ([]*ingest.Record, *ingest.Reader) {
	t.Helper()
	r := ingest.NewReader(strings.NewReader(input), opts)
	var out []*ingest.Record
	for rec := range r.All() {
		out = append(out, rec)
	}
	require.NoError(t, r.Err())
	return out, r
}

// problems writes a record's problems as "path (column "h"): message".
func problems(rec *ingest.Record) []string {
	if rec.Err == nil {
		return nil
	}
	var out []string
	for i, p := range rec.Err.Problems {
		s := p.Path
		switch h := rec.Err.Header(i); {
		case h != "" && s == "":
			s = `column "` + h + `"`
		case h != "" && h != p.Path:
			s += ` (column "` + h + `")`
		}
		out = append(out, strings.TrimPrefix(s+": "+p.Problem, ": "))
	}
	return out
}

func TestReadRow(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	require.NoError(t, err)
	tests := []struct {
		name     string
		header   string
		mapping  string
		opts     ingest.Options
		record   string
		want     *lead.Lead
		problems []string
	}{
		{
			name:   "every field of the default layout",
			header: "id,source,stage,owner,lost_reason,contact.name,contact.email,contact.phone,contact.title,contact.role,contact.time_zone,company.name,company.domain,company.industry,company.employees,company.country,budget,value,expected_purchase,renewal,created_at,updated_at,activities,interests,consent.email,consent.phone,fields.plan,fields.seats,fields.vip,fields.account",
			record: ` L-1 ,web_form,lost,jo,not_now,Ada Byrne,ada@byrne.example,+44 20 7946 0958,CFO,decision_maker,Europe/London,Byrne Logistics,byrne.example,logistics,240,GB,25000.00 GBP,50000 GBP,2026-06-30,2027-01-31T00:00:00+01:00,2026-01-01T09:00:00Z,2026-02-01 09:00:00Z,white_paper@2026-02-27T09:00:00Z; pricing_request@2026-03-02T08:58:00Z;,RoutePlanner@2026-02-01/2026-02-20T10:00:00Z;Fleets@2026-02-02,opted_in@2026-01-01T09:00:00Z,unknown,pro,25,true,0012345`,
			want: &lead.Lead{
				ID: "L-1", Source: "web_form", Stage: lead.StageLost, Owner: "jo", LostReason: lead.ReasonNotNow,
				Contact: lead.Contact{Name: "Ada Byrne", Email: "ada@byrne.example", Phone: "+44 20 7946 0958", Title: "CFO", Role: lead.RoleDecisionMaker, TimeZone: "Europe/London"},
				Company: lead.Company{Name: "Byrne Logistics", Domain: "byrne.example", Industry: "logistics", Employees: 240, Country: "GB"},
				Budget:  lead.MustParseMoney("25000.00", "GBP"), Value: lead.MustParseMoney("50000", "GBP"),
				ExpectedPurchase: utc("2026-06-30T00:00:00Z"), Renewal: utc("2027-01-31T00:00:00+01:00"),
				CreatedAt: utc("2026-01-01T09:00:00Z"), UpdatedAt: utc("2026-02-01T09:00:00Z"),
				Activities: []lead.Activity{{Kind: lead.KindWhitePaper, At: utc("2026-02-27T09:00:00Z")}, {Kind: lead.KindPricingRequest, At: utc("2026-03-02T08:58:00Z")}},
				Interests: []lead.Interest{
					{Topic: "RoutePlanner", FirstSeen: utc("2026-02-01T00:00:00Z"), LastSeen: utc("2026-02-20T10:00:00Z")},
					{Topic: "Fleets", FirstSeen: utc("2026-02-02T00:00:00Z"), LastSeen: utc("2026-02-02T00:00:00Z")},
				},
				Consent: map[lead.Channel]lead.Consent{"email": {State: lead.ConsentOptedIn, At: utc("2026-01-01T09:00:00Z")}, "phone": {}},
				Fields:  map[string]any{"plan": "pro", "seats": 25.0, "vip": true, "account": "0012345"},
			},
		},
		{
			name:   "empty and missing cells leave fields unknown",
			header: "id,contact.role,company.employees,value,activities,consent.email,fields.plan,company.country",
			record: "L-2,, ,N/A,null,#N/A,(null),-",
			want:   &lead.Lead{ID: "L-2"},
		},
		{
			name:   "JSON activities and interests",
			header: "id,activities,interests",
			record: `L-3,"[{""kind"": ""quote_request"", ""at"": ""2026-03-01T16:00:00Z"", ""product"": ""RoutePlanner"", ""attrs"": {""form"": ""pricing""}}]","[{""topic"": ""RoutePlanner"", ""first_seen"": ""2026-02-28T10:00:00Z"", ""last_seen"": ""2026-03-01T16:00:00Z""}]"`,
			want: &lead.Lead{ID: "L-3",
				Activities: []lead.Activity{{Kind: lead.KindQuoteRequest, At: utc("2026-03-01T16:00:00Z"), Product: "RoutePlanner", Attrs: map[string]string{"form": "pricing"}}},
				Interests:  []lead.Interest{{Topic: "RoutePlanner", FirstSeen: utc("2026-02-28T10:00:00Z"), LastSeen: utc("2026-03-01T16:00:00Z")}},
			},
		},
		{
			name:    "a mapped layout, bare amounts with a currency column, times without a zone",
			header:  "Lead ID,E-mail,Amount,Currency,Created,Activities,budget",
			mapping: "id=Lead ID,contact.email=E-mail,value=Amount,value.currency=Currency,created_at=Created,activities=Activities",
			opts:    ingest.Options{TimeZone: london, Currency: "EUR"},
			record:  "SF-1,mia@wong.example,45000.00,GBP,2026-02-20 09:30,demo_request@2026-07-01T10:00,100",
			want: &lead.Lead{ID: "SF-1", Contact: lead.Contact{Email: "mia@wong.example"},
				Value: lead.MustParseMoney("45000.00", "GBP"), Budget: lead.MustParseMoney("100", "EUR"),
				CreatedAt:  time.Date(2026, 2, 20, 9, 30, 0, 0, london),
				Activities: []lead.Activity{{Kind: lead.KindDemoRequest, At: time.Date(2026, 7, 1, 10, 0, 0, 0, london)}},
			},
		},
		{
			name:   "custom fields: typed values, JSON strings, long numbers",
			header: "id,fields.a,fields.b,fields.c,fields.d,fields.e,fields.f,fields.g,fields.h",
			record: `L-4,false,-1.5,"""true""",1234567890123456,1e3,True,"""unterminated",12 seats`,
			want: &lead.Lead{ID: "L-4", Fields: map[string]any{"a": false, "b": -1.5, "c": "true", "d": "1234567890123456", "e": "1e3",
				"f": "True", "g": `"unterminated`, "h": "12 seats"}},
		},
		{
			name:    "what real exports write: names for countries, thousands, URLs, money signs, day-first dates, checkboxes",
			header:  "Id,Country,Staff,Web,Budget,Created,Opt Out,Vip",
			mapping: "id=Id, company.country=Country, company.employees=Staff, company.domain=Web, budget=Budget, created_at=Created | date(DD/MM/YYYY) | zone(Europe/London), consent.email=Opt Out | bool | invert, fields.vip=Vip | bool",
			record:  `7,United Kingdom,"1,098",https://www.byrne.example/about,"£25,000.50",25/03/2026 09:05,FALSE,Yes`,
			want: &lead.Lead{ID: "7", Company: lead.Company{Country: "GB", Employees: 1098, Domain: "byrne.example"},
				Budget: lead.MustParseMoney("25000.50", "GBP"), CreatedAt: time.Date(2026, 3, 25, 9, 5, 0, 0, london),
				Consent: map[lead.Channel]lead.Consent{"email": {State: lead.ConsentOptedIn, At: time.Date(2026, 3, 25, 9, 5, 0, 0, london), How: "import: column Opt Out"}},
				Fields:  map[string]any{"vip": true}},
		},
		{
			name:    "European numbers",
			header:  "id,value,company.employees",
			mapping: "thousands: \".\", decimal: \",\", currency: EUR",
			record:  `E-1,"1.098,50 €",2.500`,
			want:    &lead.Lead{ID: "E-1", Value: lead.MustParseMoney("1098.50", "EUR"), Company: lead.Company{Employees: 2500}},
		},
		{
			name:   "every problem of a row, with its column and field",
			header: "id,stage,contact.role,company.employees,budget,value,expected_purchase,activities,interests,consent.email",
			record: "L-5,closed,boss,12.5,100 GBP EUR,100,next week,demo_request@2026-03-01T09:00:00Z;ebook,RoutePlanner@2026-02-01/soon,opted_in@sometime",
			problems: []string{
				`stage: unknown stage "closed" (accepted: new, nurturing, marketing_qualified, sales_accepted, sales_qualified, opportunity, won, lost, recycled, disqualified)`,
				`contact.role: unknown role "boss" (accepted: unknown, decision_maker, influencer, user)`,
				`company.employees: "12.5" is not a whole number`,
				`expected_purchase: "next week" is not a time: want a date such as 2026-03-02 or 02/03/2026, a time may follow (2026-03-02 09:05, 2026-03-02T09:05:00Z)`,
				`activities[1] (column "activities"): "ebook" is not kind@time`,
				`interests[0].last_seen (column "interests"): "soon" is not a time: want a date such as 2026-03-02 or 02/03/2026, a time may follow (2026-03-02 09:05, 2026-03-02T09:05:00Z)`,
				`consent.email.at (column "consent.email"): "sometime" is not a time: want a date such as 2026-03-02 or 02/03/2026, a time may follow (2026-03-02 09:05, 2026-03-02T09:05:00Z)`,
				`budget: "100 GBP EUR" is not an amount: want "50000.00 GBP"`,
				`value: "100" has no currency: write "100 GBP", add a value.currency column, or say the currency (currency: GBP in the mapping, or -currency)`,
			},
		},
		{
			name:     "money problems",
			header:   "id,budget,budget.currency,value",
			record:   `L-6,100 USD,GBP,"1,000.0 GBP"`,
			problems: []string{`budget: "100 USD" is in USD, but its currency column says GBP`},
		},
		{
			name:     "an amount in dollars without a currency",
			header:   "id,value",
			record:   "L-6,$500",
			problems: []string{`value: "$500": $ is the sign of several currencies: add a value.currency column, or say currency(USD) for the column`},
		},
		{
			name:     "an ambiguous date",
			header:   "id,created_at",
			record:   "L-7,03/04/2026",
			problems: []string{`created_at: "03/04/2026" is ambiguous: 3 April 2026 or 4 March 2026; say date(DD/MM/YYYY) or date(MM/DD/YYYY) for this column`},
		},
		{
			name:     "a JSON activity with an unknown field",
			header:   "id,activities",
			record:   `L-8,"[{""kind"": ""ebook"", ""at"": ""2026-03-01T09:00:00Z"", ""pages"": 3}]"`,
			problems: []string{`activities[0].pages (column "activities"): unknown field (the fields are kind, at, asset, product, channel, attrs)`},
		},
		{
			name:     "a time without a zone",
			header:   "id,created_at",
			record:   "L-9,2026-03-01T09:00:00",
			problems: []string{`created_at: "2026-03-01T09:00:00" has no time zone: say where its times are (zone: in the mapping, or -time-zone)`},
		},
		{
			name:     "a row with too few fields",
			header:   "id,contact.email",
			record:   "L-10",
			problems: []string{"1 fields, but the header has 2"},
		},
		{
			name:     "a country that is none",
			header:   "id,company.country",
			record:   "L-11,Narnia",
			problems: []string{`company.country: "Narnia" is not a country: write an ISO 3166-1 code or the country's English name, or translate it with map(Narnia=GB)`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m *ingest.Mapping
			if tt.mapping != "" {
				var err error
				m, err = ingest.ParseMapping("test", tt.mapping)
				require.NoError(t, err)
			}
			opts := tt.opts
			opts.Mapping = m
			recs, _ := readAll(t, tt.header+"\n"+tt.record+"\n", opts)
			require.Len(t, recs, 1)
			assert.Equal(t, tt.problems, problems(recs[0]))
			if tt.want != nil {
				require.NotNil(t, recs[0].Lead)
				assert.Equal(t, leadJSON(t, tt.want), leadJSON(t, recs[0].Lead))
				// Times keep their instant and their zone.
				assert.True(t, tt.want.CreatedAt.Equal(recs[0].Lead.CreatedAt))
				assert.Equal(t, tt.want.CreatedAt.Location().String(), recs[0].Lead.CreatedAt.Location().String())
			}
		})
	}
}

// Validation problems name the column they come from, and a cell that did
// not parse is not reported again by validation; errors.As reaches every
// *lead.FieldError through the record's error.
func TestReadValidates(t *testing.T) {
	recs, _ := readAll(t, "Key,Mail,Acts,consent.email\nK-1,not mail,demo_request@2026-05-01T00:00:00Z;ebook@x,opted_in\n",
		ingest.Options{Mapping: ingest.MustParseMapping("test", "id=Key,contact.email=Mail,activities=Acts"), Now: now})
	require.Len(t, recs, 1)
	assert.Equal(t, []string{
		`activities[1].at (column "Acts"): "x" is not a time: want a date such as 2026-03-02 or 02/03/2026, a time may follow (2026-03-02 09:05, 2026-03-02T09:05:00Z)`,
		`contact.email (column "Mail"): "not mail" is not an email address`,
		`consent.email.at (column "consent.email"): missing`,
	}, problems(recs[0]))
	err := error(recs[0].Err)
	assert.ErrorIs(t, err, ingest.ErrRow)
	var fe *lead.FieldError
	require.True(t, errors.As(err, &fe))
	assert.Equal(t, "activities[1].at", fe.Path)
	assert.Equal(t, 3, recs[0].Err.Column(0))
	assert.Contains(t, err.Error(), `line 2, lead "K-1": activities[1].at (column "Acts")`)
}

// The rows of an export that are not leads: the header again, blank rows,
// a report's totals row and footer; and the delimiter found in the header.
func TestReadSkipsWhatIsNotData(t *testing.T) {
	input := "id;contact.email\r\n" +
		"A-1;a@a.example\r\n" +
		"id;contact.email\r\n" +
		";\r\n" +
		"A-2;b@b.example\r\n" +
		"Total;2\r\n" +
		"\r\n" +
		"Leads report\r\n" +
		"Generated by Jo\r\n"
	recs, r := readAll(t, input, ingest.Options{})
	require.Len(t, recs, 2)
	assert.Equal(t, []int{2, 5}, []int{recs[0].Line, recs[1].Line})
	rep := r.Report()
	assert.Equal(t, ';', rep.Delimiter)
	assert.Equal(t, map[string]int{"header": 1, "blank": 1, "totals": 1, "footer": 2}, rep.Skipped)
	assert.Equal(t, 2, rep.Rows)

	// A short row in the middle of the data is an error, not a footer.
	recs, _ = readAll(t, "id,contact.email\nA-1,a@a.example\nA-2\nA-3,c@c.example\n", ingest.Options{})
	require.Len(t, recs, 3)
	assert.Equal(t, []string{"1 fields, but the header has 2"}, problems(recs[1]))
}

// The rows of one lead follow one another with the same ID: one per
// activity, the lead's columns repeated or given once; more activities
// per row through labels.
func TestReadJoinsRows(t *testing.T) {
	m := ingest.MustParseMapping("test", `
		id = Lead, activity = What, activity.at = When, activity.product = Product
		activity[newsletter_signup].at = Signed up
		contact.email = Email`)
	input := "Lead,Email,What,When,Product,Signed up\n" +
		"L-1,ann@example.com,white_paper,2026-03-01T09:00:00Z,RoutePlanner,2026-02-01T09:00:00Z\n" +
		"L-1,,pricing_request,2026-03-02T09:00:00Z,,2026-02-01T09:00:00Z\n" +
		"L-2,bob@example.com,,,,\n" +
		"L-1,ann@example.com,chat,2026-03-03T09:00:00Z,,\n"
	recs, _ := readAll(t, input, ingest.Options{Mapping: m, Now: now})
	require.Len(t, recs, 3, "L-1, L-2, and L-1 again: only rows that follow one another are joined")
	require.Nil(t, recs[0].Err)
	assert.Equal(t, []lead.Activity{
		{Kind: lead.KindWhitePaper, At: utc("2026-03-01T09:00:00Z"), Product: "RoutePlanner"},
		{Kind: lead.KindNewsletterSignup, At: utc("2026-02-01T09:00:00Z")},
		{Kind: lead.KindPricingRequest, At: utc("2026-03-02T09:00:00Z")},
	}, recs[0].Lead.Activities, "the repeated newsletter sign-up is one activity")
	assert.Empty(t, recs[1].Lead.Activities)
	assert.Len(t, recs[2].Lead.Activities, 1)

	// Rows that disagree: an error, or the first kept and counted.
	input = "id,company.name\nC-1,Northwind Freight\nC-1,Northwind Holdings\n"
	recs, _ = readAll(t, input, ingest.Options{})
	assert.Equal(t, []string{`company.name: "Northwind Holdings", but line 2 gave "Northwind Freight" for lead "C-1" (say conflicts: first to keep the first)`}, problems(recs[0]))
	recs, r := readAll(t, input, ingest.Options{Mapping: ingest.MustParseMapping("test", "conflicts: first")})
	require.Nil(t, recs[0].Err)
	assert.Equal(t, "Northwind Freight", recs[0].Lead.Company.Name)
	assert.Equal(t, 1, r.Report().Conflicts)
}

// A value map translates a picklist; what it does not translate is kept
// and counted, or dropped by *=.
func TestReadValueMaps(t *testing.T) {
	m := ingest.MustParseMapping("test", `
		activity[source] = Lead Source | map(Webinar=webinar_attended; Web=contact_request; *=)
		activity[source].at = Created
		stage = Status | map("Open - Not Contacted"=new; Working=sales_accepted)`)
	input := "id,Lead Source,Created,Status\n" +
		"1,Webinar,2026-03-01T09:00:00Z,Open - Not Contacted\n" +
		"2,web,2026-03-01T09:00:00Z,WORKING\n" +
		"3,Purchased List,2026-03-01T09:00:00Z,new\n" +
		"4,Purchased List,2026-03-01T09:00:00Z,Closed\n"
	recs, r := readAll(t, input, ingest.Options{Mapping: m})
	require.Len(t, recs, 4)
	assert.Equal(t, lead.KindWebinarAttended, recs[0].Lead.Activities[0].Kind)
	assert.Equal(t, lead.KindContactRequest, recs[1].Lead.Activities[0].Kind, "values match ignoring case")
	assert.Equal(t, lead.StageSalesAccepted, recs[1].Lead.Stage)
	assert.Empty(t, recs[2].Lead.Activities, "*= drops what the map does not translate")
	assert.Equal(t, lead.StageNew, recs[2].Lead.Stage, "a value the map does not translate is kept as written")
	assert.Equal(t, []string{`stage (column "Status"): unknown stage "Closed" (accepted: new, nurturing, marketing_qualified, sales_accepted, sales_qualified, opportunity, won, lost, recycled, disqualified)`}, problems(recs[3]))
	var sources, status *ingest.ColumnReport
	for _, c := range r.Report().Columns {
		switch c.Header {
		case "Lead Source":
			sources = c
		case "Status":
			status = c
		}
	}
	require.NotNil(t, sources)
	assert.Equal(t, map[string]int{"Purchased List": 2}, sources.Unmapped)
	assert.Equal(t, map[string]int{"new": 1, "Closed": 1}, status.Unmapped)
}

// Outcome and after-the-fact columns never reach a lead, and a mapping
// that would let them is refused.
func TestReadWithholdsOutcomes(t *testing.T) {
	m := ingest.MustParseMapping("test", "decided_at = Created, created_at = Created, converted = Won | bool, after = Converted Date; Last Activity")
	input := "id,Created,Won,Converted Date,Last Activity,Notes\nL-1,2026-03-01T09:00:00Z,1,2026-03-05,2026-03-06,hello\n"
	recs, r := readAll(t, input, ingest.Options{Mapping: m, History: true})
	require.Len(t, recs, 1)
	require.Nil(t, recs[0].Err)
	assert.True(t, recs[0].Converted)
	assert.Equal(t, utc("2026-03-01T09:00:00Z"), recs[0].At)
	assert.Equal(t, map[string]any{"notes": "hello"}, recs[0].Lead.Fields, "only the unnamed column becomes a custom field")
	assert.Equal(t, []string{"Won", "Converted Date", "Last Activity"}, r.Report().Withheld)

	for _, tt := range []struct{ mapping, msg string }{
		{"converted = Won | bool, fields.won = Won", `column "Won" is an outcome (converted = Won | bool) and must not feed fields.won`},
		{"converted = Won | bool, after = Last Activity, activity[x].at = Last Activity", `column "Last Activity" is known only after the fact (after = Last Activity) and must not feed activity[x].at`},
	} {
		r := ingest.NewReader(strings.NewReader(input), ingest.Options{Mapping: ingest.MustParseMapping("test", "decided_at = Created, "+tt.mapping), History: true})
		for range r.All() {
			t.Fatal("a record from a mapping that leaks")
		}
		assert.ErrorIs(t, r.Err(), ingest.ErrMapping)
		assert.ErrorContains(t, r.Err(), tt.msg)
	}
}

// Windows-1252 cells are read as such, and counted; UTF-16 with a byte
// order mark is read as UTF-8.
func TestReadEncodings(t *testing.T) {
	latin := "id,contact.name\r\nL-1,Zo\xeb M\xfcller \x80\r\nL-2,plain\r\n"
	recs, r := readAll(t, latin, ingest.Options{})
	assert.Equal(t, "Zoë Müller €", recs[0].Lead.Contact.Name)
	assert.Equal(t, 1, r.Report().Windows1252Cells)
	recs, _ = readAll(t, latin, ingest.Options{Encoding: ingest.EncodingUTF8})
	assert.Equal(t, []string{`column "contact.name": not valid UTF-8 (say encoding: windows-1252 for an export written on Windows)`}, problems(recs[0]))

	utf16 := func(s string, little bool) string {
		var b strings.Builder
		if little {
			b.WriteString("\xff\xfe")
		} else {
			b.WriteString("\xfe\xff")
		}
		for _, r := range s {
			hi, lo := byte(r>>8), byte(r)
			if little {
				b.WriteByte(lo)
				b.WriteByte(hi)
			} else {
				b.WriteByte(hi)
				b.WriteByte(lo)
			}
		}
		return b.String()
	}
	for _, little := range []bool{true, false} {
		recs, r := readAll(t, utf16("id\tcontact.name\r\nL-1\tZoë\r\n", little), ingest.Options{})
		require.Len(t, recs, 1)
		assert.Equal(t, "Zoë", recs[0].Lead.Contact.Name)
		assert.Equal(t, '\t', r.Report().Delimiter)
	}
}

// Lead JSON lines: one lead per line, strict, validated at Now; a mapping
// is refused for them.
func TestReadJSONLines(t *testing.T) {
	input := `{"id": "J-1", "activities": [{"kind": "pricing_request", "at": "2026-03-01T09:00:00Z"}]}

{"id": "J-2", "surname": "typo"}
{"id": "J-3", "contact": {"email": "nope"}}
{"id": "J-4"} {}
`
	recs, r := readAll(t, input, ingest.Options{Now: now})
	require.Len(t, recs, 4)
	assert.Nil(t, recs[0].Err)
	assert.Equal(t, []int{1, 3, 4, 5}, []int{recs[0].Line, recs[1].Line, recs[2].Line, recs[3].Line})
	assert.Equal(t, []string{`surname: unknown field`}, problems(recs[1]))
	assert.Equal(t, []string{`contact.email: "nope" is not an email address`}, problems(recs[2]))
	assert.Equal(t, []string{"unexpected data after the JSON value"}, problems(recs[3]))
	assert.Equal(t, 15, recs[3].Err.Column(0))
	assert.Equal(t, "jsonl", r.Report().Format)

	r = ingest.NewReader(strings.NewReader(input), ingest.Options{Mapping: ingest.MustParseMapping("t", "id=x")})
	for range r.All() {
	}
	assert.ErrorContains(t, r.Err(), "the input is JSON lines: a mapping is for CSV exports")
}

// Inputs that cannot be read at all stop the reader with an error that
// says why.
func TestReadInputErrors(t *testing.T) {
	for _, tt := range []struct {
		name, input string
		opts        ingest.Options
		msg         string
	}{
		{"empty", "", ingest.Options{}, "bad input: it is empty: want a header line"},
		{"no id column", "lead,activities\nL-1,\n", ingest.Options{}, `the header has no id column (it has: "lead", "activities"): name it with id = <header>`},
		{"a mapped column missing", "id\nL-1\n", ingest.Options{Mapping: ingest.MustParseMapping("-map", "contact.email=E-mail")}, `mapping -map line 1, column 1: "contact.email=E-mail": the header has no column "E-mail" (it has: "id")`},
		{"a column read twice", "id,contact.email,Contact.Email\n", ingest.Options{}, `the header has 2 columns named "contact.email" (columns 2, 3)`},
		{"two columns of one name", "id,Email,Email\n", ingest.Options{Mapping: ingest.MustParseMapping("-map", "contact.email=Email")}, `the header has 2 columns "Email" (columns 2, 3): say which with Email#1 to Email#2`},
		{"a line over the limit", "id\nL-1" + strings.Repeat("x", 200) + "\n", ingest.Options{MaxLineBytes: 100}, "bad input: line 2 is longer than 100 bytes"},
		{"a row over the limit", "id,activities\nL-1,\"" + strings.Repeat("x\n", 20000) + "\"\n", ingest.Options{MaxLineBytes: 1000}, "a row longer than 1000 bytes"},
		{"a history without its decision time", "id,converted\n", ingest.Options{History: true}, "a history needs the decision time"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := ingest.NewReader(strings.NewReader(tt.input), tt.opts)
			for range r.All() {
			}
			require.Error(t, r.Err())
			assert.Contains(t, r.Err().Error(), tt.msg)
		})
	}
	// Email#2 picks the second column of a name.
	recs, _ := readAll(t, "id,Email,Email\nL-1,a@a.example,b@b.example\n", ingest.Options{Mapping: ingest.MustParseMapping("-map", "contact.email=Email#2, ignore=Email#1")})
	assert.Equal(t, "b@b.example", recs[0].Lead.Contact.Email)
}

// KeepRows keeps every row of a lead as read; Reader.RowError places a
// caller's problem in the column that fills its field.
func TestReadKeepRowsAndRowError(t *testing.T) {
	input := "id,activity,activity.at\nL-1,chat,2026-03-01T09:00:00Z\nL-1,ebook,2026-03-02T09:00:00Z\n"
	r := ingest.NewReader(strings.NewReader(input), ingest.Options{KeepRows: true})
	for rec := range r.All() {
		assert.Equal(t, [][]string{{"L-1", "chat", "2026-03-01T09:00:00Z"}, {"L-1", "ebook", "2026-03-02T09:00:00Z"}}, rec.Rows)
		e := r.RowError(rec, "activities[1].at", "limit exceeded")
		assert.Equal(t, `line 2, lead "L-1": activities[1].at (column "activity.at"): limit exceeded`, e.Error())
	}
	require.NoError(t, r.Err())
}

// A history record's conversion time, in JSON lines, is read beside its
// outcome.
func TestReadJSONLinesConvertedAt(t *testing.T) {
	in := `{"lead": {"id": "a"}, "at": "2025-03-08T09:05:00Z", "converted": true, "converted_at": "2025-06-01T00:00:00Z"}` + "\n"
	r := ingest.NewReader(strings.NewReader(in), ingest.Options{Format: ingest.FormatJSONLines, History: true})
	var recs []*ingest.Record
	for rec := range r.All() {
		recs = append(recs, rec)
	}
	require.NoError(t, r.Err())
	require.Len(t, recs, 1)
	require.Nil(t, recs[0].Err)
	assert.True(t, recs[0].Converted)
	assert.Equal(t, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), recs[0].ConvertedAt)
}
