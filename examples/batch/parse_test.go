package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bind binds the default layout (plus mapping m) to header.
func bind(t testing.TB, header string, m string, opts ParseOptions) *Schema {
	t.Helper()
	l, err := ParseLayout(m)
	require.NoError(t, err)
	s, err := l.Bind(strings.Split(header, ","), opts)
	require.NoError(t, err)
	return s
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestSchemaLead(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	require.NoError(t, err)
	tests := []struct {
		name     string
		header   string
		mapping  string
		opts     ParseOptions
		record   []string
		want     *lead.Lead
		problems []Problem
	}{
		{
			name:   "every field of the default layout",
			header: "id,source,stage,owner,lost_reason,contact.name,contact.email,contact.phone,contact.title,contact.role,contact.time_zone,company.name,company.domain,company.industry,company.employees,company.country,budget,value,expected_purchase,renewal,created_at,updated_at,activities,interests,consent.email,consent.phone,fields.plan,fields.seats,fields.vip,fields.account",
			record: []string{" L-1 ", "web_form", "lost", "jo", "not_now", "Ada Byrne", "ada@byrne.example", "+44 20 7946 0958", "CFO", "decision_maker", "Europe/London",
				"Byrne Logistics", "byrne.example", "logistics", "240", "GB", "25000.00 GBP", "50000 GBP", "2026-06-30", "2027-01-31T00:00:00+01:00",
				"2026-01-01T09:00:00Z", "2026-02-01 09:00:00Z", "white_paper@2026-02-27T09:00:00Z; pricing_request@2026-03-02T08:58:00Z;", "RoutePlanner@2026-02-01/2026-02-20T10:00:00Z;Fleets@2026-02-02",
				"opted_in@2026-01-01T09:00:00Z", "unknown", "pro", "25", "true", "0012345"},
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
			name:   "empty cells leave fields unknown",
			header: "id,contact.role,company.employees,value,activities,consent.email,fields.plan",
			record: []string{"L-2", "", " ", "", "", "", ""},
			want:   &lead.Lead{ID: "L-2"},
		},
		{
			name:   "JSON activities and interests",
			header: "id,activities,interests",
			record: []string{"L-3", `[{"kind": "quote_request", "at": "2026-03-01T16:00:00Z", "product": "RoutePlanner", "attrs": {"form": "pricing"}}]`,
				`[{"topic": "RoutePlanner", "first_seen": "2026-02-28T10:00:00Z", "last_seen": "2026-03-01T16:00:00Z"}]`},
			want: &lead.Lead{ID: "L-3",
				Activities: []lead.Activity{{Kind: lead.KindQuoteRequest, At: utc("2026-03-01T16:00:00Z"), Product: "RoutePlanner", Attrs: map[string]string{"form": "pricing"}}},
				Interests:  []lead.Interest{{Topic: "RoutePlanner", FirstSeen: utc("2026-02-28T10:00:00Z"), LastSeen: utc("2026-03-01T16:00:00Z")}},
			},
		},
		{
			name:    "a mapped layout, bare amounts with a currency column, times without a zone",
			header:  "Lead ID,E-mail,Amount,Currency,Created,Activities,Budget",
			mapping: "id=Lead ID,contact.email=E-mail,value=Amount,value.currency=Currency,created_at=Created,activities=Activities",
			opts:    ParseOptions{TimeZone: london, Currency: "EUR"},
			record:  []string{"SF-1", "mia@wong.example", "45000.00", "GBP", "2026-02-20 09:30", "demo_request@2026-07-01T10:00", "100"},
			want: &lead.Lead{ID: "SF-1", Contact: lead.Contact{Email: "mia@wong.example"},
				Value: lead.MustParseMoney("45000.00", "GBP"), Budget: lead.MustParseMoney("100", "EUR"),
				CreatedAt:  time.Date(2026, 2, 20, 9, 30, 0, 0, london),
				Activities: []lead.Activity{{Kind: lead.KindDemoRequest, At: time.Date(2026, 7, 1, 10, 0, 0, 0, london)}},
			},
		},
		{
			name:   "custom fields: typed values, JSON strings, long numbers",
			header: "id,fields.a,fields.b,fields.c,fields.d,fields.e,fields.f,fields.g,fields.h",
			record: []string{"L-4", "false", "-1.5", `"true"`, "1234567890123456", "1e3", "True", `"unterminated`, "12 seats"},
			want: &lead.Lead{ID: "L-4", Fields: map[string]any{"a": false, "b": -1.5, "c": "true", "d": "1234567890123456", "e": "1e3",
				"f": "True", "g": `"unterminated`, "h": "12 seats"}},
		},
		{
			name:   "every problem of a row, with its column and field",
			header: "id,stage,contact.role,company.employees,budget,value,expected_purchase,activities,interests,consent.email",
			record: []string{"L-5", "closed", "boss", "12.5", "100 GBP EUR", "100", "next week", "demo_request@2026-03-01T09:00:00Z;ebook", "RoutePlanner@2026-02-01/soon", "opted_in@sometime"},
			problems: []Problem{
				{Column: "stage", Field: "stage", Message: `unknown stage "closed" (accepted: new, nurturing, marketing_qualified, sales_accepted, sales_qualified, opportunity, won, lost, recycled, disqualified)`},
				{Column: "contact.role", Field: "contact.role", Message: `unknown role "boss" (accepted: unknown, decision_maker, influencer, user)`},
				{Column: "company.employees", Field: "company.employees", Message: `"12.5" is not a whole number`},
				{Column: "expected_purchase", Field: "expected_purchase", Message: `"next week" is not a time: want RFC 3339 (2026-03-02T09:00:00Z) or a date (2026-03-02)`},
				{Column: "activities", Field: "activities[1]", Message: `"ebook" is not kind@time`},
				{Column: "interests", Field: "interests[0].last_seen", Message: `"soon" is not a time: want RFC 3339 (2026-03-02T09:00:00Z) or a date (2026-03-02)`},
				{Column: "consent.email", Field: "consent.email.at", Message: `"sometime" is not a time: want RFC 3339 (2026-03-02T09:00:00Z) or a date (2026-03-02)`},
				{Column: "budget", Field: "budget", Message: `"100 GBP EUR" is not an amount: want "50000.00 GBP"`},
				{Column: "value", Field: "value", Message: `"100" has no currency: write "100 GBP", add a value.currency column, or run with -currency`},
			},
		},
		{
			name:   "money problems",
			header: "id,budget,budget.currency,value",
			record: []string{"L-6", "100 USD", "GBP", "1,000.00 GBP"},
			problems: []Problem{
				{Column: "budget", Field: "budget", Message: `"100 USD" is in USD, but the budget.currency column says GBP`},
				{Column: "value", Field: "value", Message: `amount "1,000.00" is not a decimal number`},
			},
		},
		{
			name:     "activity problems",
			header:   "id,activities",
			record:   []string{"L-7", "@2026-03-01T09:00:00Z"},
			problems: []Problem{{Column: "activities", Field: "activities[0].kind", Message: `empty in "@2026-03-01T09:00:00Z"`}},
		},
		{
			name:     "a JSON activity with an unknown field",
			header:   "id,activities",
			record:   []string{"L-8", `[{"kind": "ebook", "at": "2026-03-01T09:00:00Z", "pages": 3}]`},
			problems: []Problem{{Column: "activities", Field: "activities[0].pages", Message: `unknown field (the fields are kind, at, asset, product, channel, attrs)`}},
		},
		{
			name:     "a time without a zone and no -time-zone",
			header:   "id,created_at",
			record:   []string{"L-9", "2026-03-01T09:00:00"},
			problems: []Problem{{Column: "created_at", Field: "created_at", Message: `"2026-03-01T09:00:00" has no time zone: write 2026-03-02T09:00:00Z or 2026-03-02T10:00:00+01:00, or run with -time-zone`}},
		},
		{
			name:     "a row with too few fields",
			header:   "id,contact.email",
			record:   []string{"L-10"},
			problems: []Problem{{Message: "1 fields, but the header has 2"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := bind(t, tt.header, tt.mapping, tt.opts)
			got, problems := s.Lead(tt.record)
			assert.Equal(t, tt.problems, problems)
			if tt.want != nil {
				require.NotNil(t, got)
				assert.Equal(t, leadJSON(t, tt.want), leadJSON(t, got))
				// Times keep their instant and their zone.
				assert.True(t, tt.want.CreatedAt.Equal(got.CreatedAt))
				assert.Equal(t, tt.want.CreatedAt.Location().String(), got.CreatedAt.Location().String())
			}
		})
	}
}

func TestLayout(t *testing.T) {
	tests := []struct {
		name    string
		mapping string
		header  string
		want    map[string]string // field -> header bound
		ignored []string
		err     string
	}{
		{
			name:    "the default layout, headers in any case and order, with a byte order mark",
			header:  "\uFEFFContact.Email, ID ,fields.Plan,CONSENT.email,notes",
			want:    map[string]string{"id": "ID", "contact.email": "Contact.Email", "fields.Plan": "fields.Plan", "consent.email": "CONSENT.email"},
			ignored: []string{"notes"},
		},
		{
			name:    "a mapping replaces a field's default name",
			mapping: "id=LeadId, contact.email = E-mail ,fields.plan=Plan,consent.sms=SMS",
			header:  "LeadId,E-mail,Plan,SMS,id",
			want:    map[string]string{"id": "LeadId", "contact.email": "E-mail", "fields.plan": "Plan", "consent.sms": "SMS"},
			ignored: []string{"id"},
		},
		{name: "no id", header: "email,name", err: `the header has no id column (it has: "email", "name"); name it with -map id=<header>`},
		{name: "no mapped id", mapping: "id=Key", header: "Key2", err: `column mapping id=Key: the header has no column "Key" (it has: "Key2")`},
		{name: "a field read from two columns", header: "id,value,VALUE", err: `the header has 2 columns named "value" (columns 2, 3); field value cannot tell which to read`},
		{name: "a column no field reads may repeat", header: "id,notes,notes", want: map[string]string{"id": "id"}, ignored: []string{"notes", "notes"}},
		{name: "an unknown field", mapping: "contact.mail=Mail", header: "id", err: `unknown field "contact.mail"`},
		{name: "an empty header", mapping: "id=", header: "id", err: `column mapping "id=": empty header`},
		{name: "a field mapped twice", mapping: "id=A,id=B", header: "A,B", err: `field id mapped twice, to "A" and "B"`},
		{name: "fields. needs a name", mapping: "fields.=X", header: "X", err: `unknown field "fields."`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := ParseLayout(tt.mapping)
			if err == nil {
				var s *Schema
				s, err = l.Bind(strings.Split(tt.header, ","), ParseOptions{})
				if err == nil {
					assert.Equal(t, tt.want, s.byField)
					assert.Equal(t, tt.ignored, s.Ignored)
				}
			}
			if tt.err == "" {
				assert.NoError(t, err)
			} else {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
			}
		})
	}
}

func TestLayoutString(t *testing.T) {
	l, err := ParseLayout("value=Amount,id=LeadId")
	require.NoError(t, err)
	assert.Equal(t, "id=LeadId,value=Amount", l.String())
	var m Layout
	require.NoError(t, m.Set("id=A"))
	require.NoError(t, m.Set("value=B"))
	assert.Equal(t, "id=A,value=B", m.String())
}

// TestProblemColumns: validation problems name the column they come from,
// and a cell that did not parse is not reported again by validation.
func TestProblemColumns(t *testing.T) {
	s := bind(t, "Key,Mail,Acts,consent.email", "id=Key,contact.email=Mail,activities=Acts", ParseOptions{})
	l, problems := s.Lead([]string{"L-1", "not an email", "demo_request@2026-03-09T09:00:00Z;ebook@2026-03-01", "opted_in@later"})
	problems = validate(new(lead.Validator), s, l, t0, problems)
	assert.Equal(t, []Problem{
		{Column: "consent.email", Field: "consent.email.at", Message: `"later" is not a time: want RFC 3339 (2026-03-02T09:00:00Z) or a date (2026-03-02)`},
		{Column: "Mail", Field: "contact.email", Message: `"not an email" is not an email address`},
		{Column: "Acts", Field: "activities[0].at", Message: "in the future (2026-03-09T09:00:00Z, now is 2026-03-02T09:00:00Z)"},
	}, problems)
	assert.Equal(t, `contact.email (column "Mail"): "not an email" is not an email address`, problems[1].String())
	assert.Equal(t, `consent.email.at (column "consent.email"): "later" is not a time: want RFC 3339 (2026-03-02T09:00:00Z) or a date (2026-03-02)`, problems[0].String())
}

func leadJSON(t testing.TB, l *lead.Lead) string {
	t.Helper()
	b, err := json.Marshal(l)
	require.NoError(t, err)
	return string(b)
}

func TestJoinProblems(t *testing.T) {
	ps := slices.Repeat([]Problem{{Field: "f", Message: "bad"}}, 25)
	tests := []struct {
		n    int
		want string
	}{
		{0, ""},
		{1, "f: bad"},
		{20, strings.TrimSuffix(strings.Repeat("f: bad; ", 20), "; ")},
		{25, strings.Repeat("f: bad; ", 19) + "and 6 more problems"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, joinProblems(ps[:tt.n]), "%d problems", tt.n)
	}
}

func TestFieldValue(t *testing.T) {
	for cell, want := range map[string]any{
		"":                    "", // found by FuzzParseRow: it used to panic
		"true":                true,
		"false":               false,
		"42":                  42.0,
		"-1.5":                -1.5,
		"1234567890123456789": "1234567890123456789", // more digits than a float64 holds: text
		`"quoted, text"`:      "quoted, text",
		`"unterminated`:       `"unterminated`,
		"plain":               "plain",
	} {
		assert.Equal(t, want, fieldValue(cell), "cell %q", cell)
	}
}
