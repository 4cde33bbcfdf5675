package lead_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leadqual/leadqual/lead"
)

// future is the problem Validate reports for a time after now+ClockSkew.
func future(path string, t time.Time) string {
	return fmt.Sprintf("%s: in the future (%s, now is %s)", path, t.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano))
}

// nested returns a custom field value nested depth levels deep: depth
// maps and arrays, alternately, around a string.
func nested(depth int) any {
	var v any = "leaf"
	for i := range depth {
		if i%2 == 0 {
			v = []any{v}
		} else {
			v = map[string]any{"k": v}
		}
	}
	return v
}

func TestFullLeadIsValid(t *testing.T) {
	require.NoError(t, fullLead().Validate(now))
	var zero lead.Lead
	assert.Equal(t, []string{"id: empty"}, problems(t, zero.Validate(now)), "the zero lead lacks only an ID")
}

// TestValidate has one row per rule of Validate: each row breaks one thing
// of a valid lead and lists exactly the problems expected, so a rule that
// goes missing (or a new rule that fires on valid input) fails a row. Rows
// whose want is empty show the edge a rule must not cross.
func TestValidate(t *testing.T) {
	consent := func(ch lead.Channel, c lead.Consent) func(*lead.Lead) {
		return func(l *lead.Lead) { l.Consent[ch] = c }
	}
	tests := []struct {
		name   string
		modify func(l *lead.Lead)
		want   []string
	}{
		// id
		{"empty id", func(l *lead.Lead) { l.ID = "" }, []string{"id: empty"}},
		{"blank id", func(l *lead.Lead) { l.ID = " \t\n" }, []string{"id: empty"}},
		{"id not UTF-8", func(l *lead.Lead) { l.ID = "lead-\xff" }, []string{"id: not valid UTF-8"}},

		// contact
		{"contact name not UTF-8", func(l *lead.Lead) { l.Contact.Name = "Ann \xc3" }, []string{"contact.name: not valid UTF-8"}},
		{"email without @", func(l *lead.Lead) { l.Contact.Email = "ann.example.com" },
			[]string{`contact.email: "ann.example.com" is not an email address`}},
		{"email with a display name", func(l *lead.Lead) { l.Contact.Email = "Ann Lee <ann@example.com>" },
			[]string{`contact.email: "Ann Lee <ann@example.com>" is not an email address`}},
		{"email with a quoted display name", func(l *lead.Lead) { l.Contact.Email = `"Lee, Ann" <ann@example.com>` },
			[]string{`contact.email: "\"Lee, Ann\" <ann@example.com>" is not an email address`}},
		{"email in angle brackets", func(l *lead.Lead) { l.Contact.Email = "<ann@example.com>" },
			[]string{`contact.email: "<ann@example.com>" is not an email address`}},
		{"email with a comment", func(l *lead.Lead) { l.Contact.Email = "ann@example.com (Ann)" },
			[]string{`contact.email: "ann@example.com (Ann)" is not an email address`}},
		{"email with spaces around", func(l *lead.Lead) { l.Contact.Email = " ann@example.com " },
			[]string{`contact.email: " ann@example.com " is not an email address`}},
		{"two emails", func(l *lead.Lead) { l.Contact.Email = "ann@example.com, bob@example.com" },
			[]string{`contact.email: "ann@example.com, bob@example.com" is not an email address`}},
		{"email with two @", func(l *lead.Lead) { l.Contact.Email = "ann@@example.com" },
			[]string{`contact.email: "ann@@example.com" is not an email address`}},
		{"email not UTF-8", func(l *lead.Lead) { l.Contact.Email = "\xff@example.com" },
			[]string{`contact.email: "\xff@example.com" is not an email address`}},
		{"email with a plus and subdomains", func(l *lead.Lead) { l.Contact.Email = "ann.lee+crm@mail.example.co.uk" }, nil},
		{"email with a non-ASCII local part", func(l *lead.Lead) { l.Contact.Email = "zoë@example.com" }, nil},
		{"phone too short", func(l *lead.Lead) { l.Contact.Phone = "123 456" },
			[]string{`contact.phone: "123 456" is not a phone number (7 to 15 digits, with an optional leading +)`}},
		{"phone too long", func(l *lead.Lead) { l.Contact.Phone = "+1234567890123456" },
			[]string{`contact.phone: "+1234567890123456" is not a phone number (7 to 15 digits, with an optional leading +)`}},
		{"phone with letters", func(l *lead.Lead) { l.Contact.Phone = "0800 FLOWERS" },
			[]string{`contact.phone: "0800 FLOWERS" is not a phone number (7 to 15 digits, with an optional leading +)`}},
		{"phone with a + inside", func(l *lead.Lead) { l.Contact.Phone = "44+2079460958" },
			[]string{`contact.phone: "44+2079460958" is not a phone number (7 to 15 digits, with an optional leading +)`}},
		{"phone with two +", func(l *lead.Lead) { l.Contact.Phone = "++442079460958" },
			[]string{`contact.phone: "++442079460958" is not a phone number (7 to 15 digits, with an optional leading +)`}},
		{"phone of 7 digits with punctuation", func(l *lead.Lead) { l.Contact.Phone = "(020) 794-6.0" }, nil},
		{"phone of 15 digits", func(l *lead.Lead) { l.Contact.Phone = "+123456789012345" }, nil},
		{"contact title not UTF-8", func(l *lead.Lead) { l.Contact.Title = "\xffCFO" }, []string{"contact.title: not valid UTF-8"}},
		{"unknown role", func(l *lead.Lead) { l.Contact.Role = 4 }, []string{"contact.role: unknown role 4"}},
		{"unknown role 255", func(l *lead.Lead) { l.Contact.Role = 255 }, []string{"contact.role: unknown role 255"}},
		{"unknown time zone", func(l *lead.Lead) { l.Contact.TimeZone = "Mars/Olympus_Mons" },
			[]string{`contact.time_zone: unknown time zone "Mars/Olympus_Mons"`}},
		{"the machine's time zone", func(l *lead.Lead) { l.Contact.TimeZone = "Local" },
			[]string{`contact.time_zone: unknown time zone "Local"`}},
		{"a path for a time zone", func(l *lead.Lead) { l.Contact.TimeZone = "../../etc/passwd" },
			[]string{`contact.time_zone: unknown time zone "../../etc/passwd"`}},
		{"an offset for a time zone", func(l *lead.Lead) { l.Contact.TimeZone = "+01:00" },
			[]string{`contact.time_zone: unknown time zone "+01:00"`}},
		{"UTC", func(l *lead.Lead) { l.Contact.TimeZone = "UTC" }, nil},
		{"no time zone", func(l *lead.Lead) { l.Contact.TimeZone = "" }, nil},

		// company
		{"company name not UTF-8", func(l *lead.Lead) { l.Company.Name = "\xfe" }, []string{"company.name: not valid UTF-8"}},
		{"domain not UTF-8", func(l *lead.Lead) { l.Company.Domain = "ex\xffample.com" }, []string{"company.domain: not valid UTF-8"}},
		{"domain without a dot", func(l *lead.Lead) { l.Company.Domain = "localhost" },
			[]string{`company.domain: "localhost" is not a domain name`}},
		{"domain as a URL", func(l *lead.Lead) { l.Company.Domain = "https://example.com/" },
			[]string{`company.domain: "https://example.com/" is not a domain name`}},
		{"domain as an email", func(l *lead.Lead) { l.Company.Domain = "ann@example.com" },
			[]string{`company.domain: "ann@example.com" is not a domain name`}},
		{"domain with a space", func(l *lead.Lead) { l.Company.Domain = "example .com" },
			[]string{`company.domain: "example .com" is not a domain name`}},
		{"domain with a path", func(l *lead.Lead) { l.Company.Domain = "example.com/pricing" },
			[]string{`company.domain: "example.com/pricing" is not a domain name`}},
		{"domain with a port", func(l *lead.Lead) { l.Company.Domain = "example.com:443" },
			[]string{`company.domain: "example.com:443" is not a domain name`}},
		{"industry not UTF-8", func(l *lead.Lead) { l.Company.Industry = "\xff" }, []string{"company.industry: not valid UTF-8"}},
		{"negative employees", func(l *lead.Lead) { l.Company.Employees = -1 }, []string{"company.employees: negative (-1)"}},
		{"absurd employees", func(l *lead.Lead) { l.Company.Employees = lead.MaxEmployees + 1 },
			[]string{"company.employees: 10000001 is more than 10000000"}},
		{"the most employees", func(l *lead.Lead) { l.Company.Employees = lead.MaxEmployees }, nil},
		{"unknown employees", func(l *lead.Lead) { l.Company.Employees = 0 }, nil},
		{"UK is not a country code", func(l *lead.Lead) { l.Company.Country = "UK" },
			[]string{`company.country: "UK" is not an ISO 3166-1 alpha-2 code`}},
		{"unassigned country code", func(l *lead.Lead) { l.Company.Country = "ZZ" },
			[]string{`company.country: "ZZ" is not an ISO 3166-1 alpha-2 code`}},
		{"lower-case country", func(l *lead.Lead) { l.Company.Country = "gb" },
			[]string{`company.country: "gb" is not an ISO 3166-1 alpha-2 code`}},
		{"alpha-3 country", func(l *lead.Lead) { l.Company.Country = "GBR" },
			[]string{`company.country: "GBR" is not an ISO 3166-1 alpha-2 code`}},
		{"numeric country", func(l *lead.Lead) { l.Company.Country = "82" },
			[]string{`company.country: "82" is not an ISO 3166-1 alpha-2 code`}},
		{"country name", func(l *lead.Lead) { l.Company.Country = "Germany" },
			[]string{`company.country: "Germany" is not an ISO 3166-1 alpha-2 code`}},
		{"another country", func(l *lead.Lead) { l.Company.Country = "ZW" }, nil},

		// source, stage, owner
		{"source not UTF-8", func(l *lead.Lead) { l.Source = "\xff" }, []string{"source: not valid UTF-8"}},
		{"unknown stage", func(l *lead.Lead) { l.Stage = 10 }, []string{"stage: unknown stage 10", "history[1].to: sales_accepted, but the lead's stage is stage(10)"}},
		{"owner not UTF-8", func(l *lead.Lead) { l.Owner = "\xff" }, []string{"owner: not valid UTF-8"}},

		// money
		{"misspelt currency", func(l *lead.Lead) { l.Budget.Currency = "GPB" },
			[]string{`budget.currency: "GPB" is not an ISO 4217 code`}},
		{"lower-case currency", func(l *lead.Lead) { l.Budget.Currency = "gbp" },
			[]string{`budget.currency: "gbp" is not an ISO 4217 code`}},
		{"currency symbol", func(l *lead.Lead) { l.Budget.Currency = "£" },
			[]string{`budget.currency: "£" is not an ISO 4217 code`}},
		{"missing currency", func(l *lead.Lead) { l.Budget = lead.Money{Amount: decimal.RequireFromString("50000")} },
			[]string{"budget.currency: missing"}},
		{"negative budget", func(l *lead.Lead) { l.Budget = lead.MustParseMoney("-0.50", "GBP") },
			[]string{"budget.amount: negative (-0.50)"}},
		{"negative amount and no currency", func(l *lead.Lead) { l.Budget = lead.Money{Amount: decimal.New(-5, 0)} },
			[]string{"budget.currency: missing", "budget.amount: negative (-5)"}},
		{"zero budget", func(l *lead.Lead) { l.Budget = lead.MustParseMoney("0", "GBP") }, nil},
		{"unknown budget", func(l *lead.Lead) { l.Budget = lead.Money{} }, nil},
		{"value in an unknown currency", func(l *lead.Lead) { l.Value.Currency = "XTS" },
			[]string{`value.currency: "XTS" is not an ISO 4217 code`}},
		{"negative value", func(l *lead.Lead) { l.Value = lead.MustParseMoney("-1", "EUR") },
			[]string{"value.amount: negative (-1)"}},
		{"value without currency", func(l *lead.Lead) { l.Value.Currency = "" }, []string{"value.currency: missing"}},

		{"lost reason not UTF-8", func(l *lead.Lead) { l.LostReason = "\xff" }, []string{"lost_reason: not valid UTF-8"}},

		// interests
		{"empty topic", func(l *lead.Lead) { l.Interests[1].Topic = "" }, []string{"interests[1].topic: empty"}},
		{"blank topic", func(l *lead.Lead) { l.Interests[1].Topic = "  " }, []string{"interests[1].topic: empty"}},
		{"topic not UTF-8", func(l *lead.Lead) { l.Interests[0].Topic = "\xff" }, []string{"interests[0].topic: not valid UTF-8"}},
		{"interest first seen in the future", func(l *lead.Lead) { l.Interests[0].FirstSeen, l.Interests[0].LastSeen = justOut, justOut },
			[]string{future("interests[0].first_seen", justOut), future("interests[0].last_seen", justOut)}},
		{"interest last seen in the future", func(l *lead.Lead) { l.Interests[0].LastSeen = justOut },
			[]string{future("interests[0].last_seen", justOut)}},
		{"interest seen just inside the clock skew", func(l *lead.Lead) { l.Interests[0].FirstSeen, l.Interests[0].LastSeen = justIn, justIn }, nil},
		{"interest last seen before first seen", func(l *lead.Lead) { l.Interests[0].LastSeen = t0 },
			[]string{"interests[0].last_seen: before first_seen"}},
		{"interest last seen a moment before first seen", func(l *lead.Lead) { l.Interests[0].LastSeen = l.Interests[0].FirstSeen.Add(-time.Nanosecond) },
			[]string{"interests[0].last_seen: before first_seen"}},
		{"interest seen once", func(l *lead.Lead) { l.Interests[0].LastSeen = l.Interests[0].FirstSeen }, nil},
		{"interest without times", func(l *lead.Lead) { l.Interests[0].FirstSeen, l.Interests[0].LastSeen = time.Time{}, time.Time{} }, nil},

		// activities
		{"activity without kind", func(l *lead.Lead) { l.Activities[2].Kind = "" }, []string{"activities[2].kind: empty"}},
		{"activity kind not UTF-8", func(l *lead.Lead) { l.Activities[2].Kind = "\xff" }, []string{"activities[2].kind: not valid UTF-8"}},
		{"activity of a host's own kind", func(l *lead.Lead) { l.Activities[2].Kind = "podcast_listened" }, nil},
		{"activity without time", func(l *lead.Lead) { l.Activities[3].At = time.Time{} }, []string{"activities[3].at: missing"}},
		{"activity in the future", func(l *lead.Lead) { l.Activities[3].At = justOut }, []string{future("activities[3].at", justOut)}},
		{"activity a year in the future", func(l *lead.Lead) { l.Activities[3].At = time.Date(2026, time.March, 12, 9, 0, 0, 0, time.UTC) },
			[]string{"activities[3].at: in the future (2026-03-12T09:00:00Z, now is 2025-03-12T09:00:00Z)"}},
		{"activity just inside the clock skew", func(l *lead.Lead) { l.Activities[3].At = justIn }, nil},
		{"activity asset not UTF-8", func(l *lead.Lead) { l.Activities[0].Asset = "\xff" }, []string{"activities[0].asset: not valid UTF-8"}},
		{"activity product not UTF-8", func(l *lead.Lead) { l.Activities[0].Product = "\xff" }, []string{"activities[0].product: not valid UTF-8"}},
		{"activity channel not UTF-8", func(l *lead.Lead) { l.Activities[0].Channel = "\xff" }, []string{"activities[0].channel: not valid UTF-8"}},
		{"activity attr not UTF-8", func(l *lead.Lead) { l.Activities[0].Attrs["utm_source"] = "\xff" },
			[]string{"activities[0].attrs.utm_source: not valid UTF-8"}},
		{"activity attr key not UTF-8", func(l *lead.Lead) { l.Activities[0].Attrs["\xff"] = "x" },
			[]string{`activities[0].attrs: key "\xff" is not valid UTF-8`}},

		// consent
		{"consent without time", consent("email", lead.Consent{State: lead.ConsentOptedIn, How: "form"}),
			[]string{"consent.email.at: missing"}},
		{"withdrawal without time", consent("phone", lead.Consent{State: lead.ConsentOptedOut}),
			[]string{"consent.phone.at: missing"}},
		{"unknown consent needs no time", consent("sms", lead.Consent{}), nil},
		{"consent in the future", consent("email", lead.Consent{State: lead.ConsentOptedIn, At: justOut}),
			[]string{future("consent.email.at", justOut)}},
		{"unknown consent in the future", consent("sms", lead.Consent{At: justOut}),
			[]string{future("consent.sms.at", justOut)}},
		{"consent just inside the clock skew", consent("email", lead.Consent{State: lead.ConsentOptedIn, At: justIn}), nil},
		{"unknown consent state", consent("email", lead.Consent{State: 3, At: t1}),
			[]string{"consent.email.state: unknown consent state 3"}},
		{"consent how not UTF-8", consent("email", lead.Consent{State: lead.ConsentOptedIn, At: t1, How: "\xff"}),
			[]string{"consent.email.how: not valid UTF-8"}},
		{"consent on an empty channel", consent("", lead.Consent{State: lead.ConsentOptedIn, At: t1}),
			[]string{"consent: empty channel name"}},
		{"consent channel not UTF-8", consent("\xff", lead.Consent{State: lead.ConsentOptedIn}),
			[]string{`consent: key "\xff" is not valid UTF-8`}},
		{"consent on a host's own channel", consent("whatsapp", lead.Consent{State: lead.ConsentOptedIn, At: t4}), nil},

		// history
		{"illegal move in history", func(l *lead.Lead) {
			l.History = append(l.History, lead.Transition{From: lead.StageWon, To: lead.StageNew, At: t6})
		}, []string{"history[2]: illegal move won -> new", "history[2].from: won, but history[1] moved the lead to sales_accepted",
			"history[2].to: new, but the lead's stage is sales_accepted"}},
		{"moves that do not follow one another", func(l *lead.Lead) { l.History[1].From = lead.StageNew },
			[]string{"history[1].from: new, but history[0] moved the lead to nurturing"}},
		{"moves out of order", func(l *lead.Lead) { l.History[1].At = l.History[0].At.Add(-time.Second) },
			[]string{"history[1].at: before history[0].at"}},
		{"history that does not end at the stage", func(l *lead.Lead) { l.Stage = lead.StageNurturing },
			[]string{"history[1].to: sales_accepted, but the lead's stage is nurturing"}},
		{"move to the same stage", func(l *lead.Lead) {
			l.History[0].To = lead.StageNew
		}, []string{"history[0]: illegal move new -> new", "history[1].from: nurturing, but history[0] moved the lead to new"}},
		{"move from an unknown stage", func(l *lead.Lead) { l.History[1].From = 200 },
			[]string{"history[1]: illegal move stage(200) -> sales_accepted",
				"history[1].from: stage(200), but history[0] moved the lead to nurturing"}},
		{"move without time", func(l *lead.Lead) { l.History[1].At = time.Time{} }, []string{"history[1].at: missing"}},
		{"move in the future", func(l *lead.Lead) { l.History[1].At = justOut }, []string{future("history[1].at", justOut)}},
		{"move just inside the clock skew", func(l *lead.Lead) { l.History[1].At = justIn }, nil},
		{"move reason not UTF-8", func(l *lead.Lead) { l.History[1].Reason = "\xff" }, []string{"history[1].reason: not valid UTF-8"}},

		// created, updated
		{"created in the future", func(l *lead.Lead) { l.CreatedAt, l.UpdatedAt = justOut, justOut },
			[]string{future("created_at", justOut), future("updated_at", justOut)}},
		{"updated in the future", func(l *lead.Lead) { l.UpdatedAt = justOut }, []string{future("updated_at", justOut)}},
		{"created and updated just inside the clock skew", func(l *lead.Lead) { l.CreatedAt, l.UpdatedAt = justIn, justIn }, nil},
		{"updated before created", func(l *lead.Lead) { l.UpdatedAt = l.CreatedAt.Add(-time.Nanosecond) },
			[]string{"updated_at: before created_at"}},
		{"updated when created", func(l *lead.Lead) { l.UpdatedAt = l.CreatedAt }, nil},
		{"no creation time", func(l *lead.Lead) { l.CreatedAt = time.Time{} }, nil},

		// custom fields
		{"empty field name", func(l *lead.Lead) { l.Fields[""] = "x" }, []string{"fields: empty field name"}},
		{"field name not UTF-8", func(l *lead.Lead) { l.Fields["\xff"] = "x" }, []string{`fields: key "\xff" is not valid UTF-8`}},
		{"field not UTF-8", func(l *lead.Lead) { l.Fields["string"] = "\xff" }, []string{"fields.string: not valid UTF-8"}},
		{"channel field", func(l *lead.Lead) { l.Fields["c"] = make(chan int) }, []string{"fields.c: chan int is not a JSON value"}},
		{"func field", func(l *lead.Lead) { l.Fields["f"] = func() {} }, []string{"fields.f: func() is not a JSON value"}},
		{"struct field", func(l *lead.Lead) { l.Fields["t"] = t0 }, []string{"fields.t: time.Time is not a JSON value"}},
		{"typed slice field", func(l *lead.Lead) { l.Fields["s"] = []string{"a"} }, []string{"fields.s: []string is not a JSON value"}},
		{"pointer field", func(l *lead.Lead) { l.Fields["p"] = new(int) }, []string{"fields.p: *int is not a JSON value"}},
		{"NaN field", func(l *lead.Lead) { l.Fields["n"] = math.NaN() }, []string{"fields.n: NaN is not a number JSON can hold"}},
		{"+Inf field", func(l *lead.Lead) { l.Fields["n"] = math.Inf(1) }, []string{"fields.n: +Inf is not a number JSON can hold"}},
		{"-Inf float32 field", func(l *lead.Lead) { l.Fields["n"] = float32(math.Inf(-1)) }, []string{"fields.n: -Inf is not a number JSON can hold"}},
		{"garbage json.Number", func(l *lead.Lead) { l.Fields["n"] = json.Number("12abc") }, []string{`fields.n: "12abc" is not a JSON number`}},
		{"empty json.Number", func(l *lead.Lead) { l.Fields["n"] = json.Number("") }, []string{`fields.n: "" is not a JSON number`}},
		{"bad values deep inside", func(l *lead.Lead) {
			l.Fields["object"].(map[string]any)["tags"] = []any{"eu", math.NaN(), map[string]any{"\xff": 1, "ok": make(chan int)}}
		}, []string{
			"fields.object.tags[1]: NaN is not a number JSON can hold",
			"fields.object.tags[2].ok: chan int is not a JSON value", // keys in byte order: "ok" < "\xff"
			`fields.object.tags[2]: key "\xff" is not valid UTF-8`,
		}},
		{"fields nested too deep", func(l *lead.Lead) { l.Fields["deep"] = nested(17) },
			[]string{"fields.deep[0].k[0].k[0].k[0].k[0].k[0].k[0].k[0].k[0]: nested deeper than 16 levels"}},
		{"fields nested just deep enough", func(l *lead.Lead) { l.Fields["deep"] = nested(16) }, nil},
		{"a field that contains itself", func(l *lead.Lead) {
			m := map[string]any{}
			m["self"] = m
			l.Fields["loop"] = m
		}, []string{"fields.loop" + strings.Repeat(".self", 17) + ": nested deeper than 16 levels"}},
		{"Go numbers in fields", func(l *lead.Lead) {
			l.Fields["int"], l.Fields["uint8"], l.Fields["int64"] = 1, uint8(2), int64(-3)
			l.Fields["float32"], l.Fields["number"] = float32(1.5), json.Number("-12.5e3")
		}, nil},
		{"no fields", func(l *lead.Lead) { l.Fields = nil }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := fullLead()
			tt.modify(l)
			assert.Equal(t, tt.want, problems(t, l.Validate(now)))
		})
	}
}

// brokenLead is a lead with something wrong in every part, map entries
// included, to show that Validate reports it all at once, in order.
func brokenLead() *lead.Lead {
	l := fullLead()
	l.ID = ""
	l.Contact.Email = "Ann Lee <ann@example.com>"
	l.Contact.Phone = "call me"
	l.Contact.Role = 9
	l.Contact.TimeZone = "Europe/Londres"
	l.Company.Domain = "example"
	l.Company.Employees = -3
	l.Company.Country = "UK"
	l.Stage = 42
	l.Budget.Currency = "GPB"
	l.Value = lead.MustParseMoney("-10", "USD")
	l.Interests[1].Topic = ""
	l.Activities[1].At = time.Time{}
	l.Activities[3].At = t9.Add(time.Hour)
	l.Activities[3].Attrs = map[string]string{"b": "\xff", "a": "\xfe", "c": "ok", "\xff": "x"}
	l.Consent[lead.ChannelEmail] = lead.Consent{State: lead.ConsentOptedIn}
	l.Consent[lead.ChannelSMS] = lead.Consent{State: 7, At: t2}
	l.Consent["whatsapp"] = lead.Consent{State: lead.ConsentOptedOut}
	l.History[0].To = lead.StageWon
	l.UpdatedAt = t0.Add(-time.Hour)
	l.Fields["a"] = math.Inf(1)
	l.Fields["b"] = make(chan int)
	l.Fields["c"] = []any{func() {}}
	return l
}

var brokenProblems = []string{
	"id: empty",
	`contact.email: "Ann Lee <ann@example.com>" is not an email address`,
	`contact.phone: "call me" is not a phone number (7 to 15 digits, with an optional leading +)`,
	"contact.role: unknown role 9",
	`contact.time_zone: unknown time zone "Europe/Londres"`,
	`company.domain: "example" is not a domain name`,
	"company.employees: negative (-3)",
	`company.country: "UK" is not an ISO 3166-1 alpha-2 code`,
	"stage: unknown stage 42",
	`budget.currency: "GPB" is not an ISO 4217 code`,
	"value.amount: negative (-10)",
	"interests[1].topic: empty",
	"activities[1].at: missing",
	"activities[3].at: in the future (2025-03-12T10:00:00Z, now is 2025-03-12T09:00:00Z)",
	"activities[3].attrs.a: not valid UTF-8",
	"activities[3].attrs.b: not valid UTF-8",
	`activities[3].attrs: key "\xff" is not valid UTF-8`,
	"consent.email.at: missing",
	"consent.sms.state: unknown consent state 7",
	"consent.whatsapp.at: missing",
	"history[0]: illegal move new -> won",
	"history[1].from: nurturing, but history[0] moved the lead to won",
	"history[1].to: sales_accepted, but the lead's stage is stage(42)",
	"updated_at: before created_at",
	"fields.a: +Inf is not a number JSON can hold",
	"fields.b: chan int is not a JSON value",
	"fields.c[0]: func() is not a JSON value",
}

func TestValidateReportsEveryProblemInAStableOrder(t *testing.T) {
	// Maps iterate in a random order; the problems must not.
	for range 20 {
		assert.Equal(t, brokenProblems, problems(t, brokenLead().Validate(now)))
	}
}

// TestValidateOrderFollowsJSON checks that problems come in the order of
// the lead's fields in its JSON form, whatever the rules' order in code.
func TestValidateOrderFollowsJSON(t *testing.T) {
	var order []string
	typ := reflect.TypeFor[lead.Lead]()
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		order = append(order, name)
	}
	top := func(p string) int {
		name := strings.FieldsFunc(p, func(r rune) bool { return r == '.' || r == '[' || r == ':' })[0]
		i := strings.Index(strings.Join(order, " ")+" ", name+" ")
		require.GreaterOrEqual(t, i, 0, "%s is no field of Lead", name)
		return i
	}
	got := problems(t, brokenLead().Validate(now))
	for i := 1; i < len(got); i++ {
		assert.LessOrEqual(t, top(got[i-1]), top(got[i]), "%q before %q", got[i-1], got[i])
	}
}

func TestValidationError(t *testing.T) {
	l := fullLead()
	l.ID = "lead-9"
	l.Contact.Email = "nope"
	l.Activities[3].At = time.Time{}
	err := l.Validate(now)
	require.Error(t, err)

	assert.EqualError(t, err, `lead: invalid lead "lead-9": contact.email: "nope" is not an email address; activities[3].at: missing`)
	assert.ErrorIs(t, err, lead.ErrInvalid)
	assert.NotErrorIs(t, err, lead.ErrIllegalTransition)

	// Wrapped by a host, the error keeps its identity and its detail.
	wrapped := fmt.Errorf("import row 12: %w", err)
	assert.ErrorIs(t, wrapped, lead.ErrInvalid)
	var ve *lead.ValidationError
	require.ErrorAs(t, wrapped, &ve)
	assert.Equal(t, "lead-9", ve.ID)
	assert.Equal(t, []*lead.FieldError{
		{Path: "contact.email", Problem: `"nope" is not an email address`},
		{Path: "activities[3].at", Problem: "missing"},
	}, ve.Problems)
	assert.Equal(t, "activities[3].at: missing", ve.Problems[1].Error())

	// errors.As reaches the first field through the ValidationError, also
	// wrapped by a host.
	var fe *lead.FieldError
	require.ErrorAs(t, wrapped, &fe)
	assert.Equal(t, "contact.email", fe.Path)
	assert.Equal(t, `contact.email: "nope" is not an email address`, fe.Error())
}

func TestValidateIsPure(t *testing.T) {
	l := brokenLead()
	before, err := json.Marshal(withoutBadFields(l))
	require.NoError(t, err)
	_ = l.Validate(now)
	after, err := json.Marshal(withoutBadFields(l))
	require.NoError(t, err)
	assert.JSONEq(t, string(before), string(after), "Validate changed the lead")
	assert.Equal(t, lead.Stage(42), l.Stage)
	assert.Len(t, l.Fields, 9)
}

// withoutBadFields returns a copy of l that JSON can encode.
func withoutBadFields(l *lead.Lead) lead.Lead {
	c := *l
	c.Fields, c.Stage, c.Contact.Role = nil, 0, 0
	c.Consent = nil
	return c
}

func TestValidateUsesTheCallersClock(t *testing.T) {
	l := fullLead()
	// The lead's last activity is at t5: valid from t5 - ClockSkew on.
	assert.NoError(t, l.Validate(t5.Add(-lead.ClockSkew)))
	err := l.Validate(t5.Add(-lead.ClockSkew - time.Nanosecond))
	assert.ErrorIs(t, err, lead.ErrInvalid)
	// Years later, the same lead is still valid.
	assert.NoError(t, l.Validate(time.Date(2035, time.January, 1, 0, 0, 0, 0, time.UTC)))
	// The clock's zone does not matter.
	assert.NoError(t, l.Validate(now.In(time.FixedZone("UTC-10", -10*3600))))
}

func TestValidateReturnsAnUntypedNil(t *testing.T) {
	// A nil error for every valid lead, and a non-nil *ValidationError
	// (not a nil pointer in an interface) for every invalid one.
	var l lead.Lead
	l.ID = "x"
	err := l.Validate(now)
	assert.NoError(t, err)
	assert.True(t, err == nil, "Validate returned a typed nil")

	l.ID = ""
	err = l.Validate(now)
	var ve *lead.ValidationError
	require.True(t, errors.As(err, &ve))
	require.NotNil(t, ve)
}
