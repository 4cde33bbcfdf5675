package ingest

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/leadqual/leadqual/lead"
)

// targetKind is what a target is and how its cell is read.
type targetKind uint8

const (
	tID          targetKind = iota + 1 // the lead's ID
	tText                              // plain text
	tStage                             // lead.Stage by name
	tRole                              // lead.Role by name
	tReason                            // lead.Reason: open text
	tInt                               // a whole number (company.employees)
	tCountry                           // an ISO 3166-1 code or a country's name
	tDomain                            // a domain, or a URL whose host is taken
	tMoney                             // budget, value
	tCurrency                          // budget.currency, value.currency
	tTime                              // a time or a date
	tActivities                        // the list syntax kind@time;kind@time, or a JSON array
	tInterests                         // topic@time;topic@first/last, or a JSON array
	tConsent                           // consent.<channel>: a state, state@time, or a boolean
	tConsentAt                         // consent.<channel>.at
	tField                             // fields.<name>: a custom field
	tActKind                           // activity[label]: the kind of a row's activity
	tActAt                             // activity[label].at
	tActProduct                        // activity[label].product
	tActAsset                          // activity[label].asset
	tActChannel                        // activity[label].channel
	tDecided                           // decided_at: the decision time of a history record
	tConverted                         // converted: the outcome
	tConvertedAt                       // converted_at: when the lead converted
	tWon                               // won: the value won
	tWonCurrency                       // won.currency
	tAfter                             // after: columns known only after the fact, read by nothing
	tIgnore                            // ignore: columns read by nothing
)

// target is the destination of a rule: a part of a lead or of a history
// record.
type target struct {
	name    string // canonical, as written in a mapping: "contact.email", "activity[webinar].at"
	kind    targetKind
	path    string       // the lead's field path for messages: "contact.email", "activities", "consent.email"
	channel lead.Channel // tConsent, tConsentAt
	field   string       // tField: the custom field's name
	group   string       // activity targets: the group's label ("" for the plain activity)
}

// outcome reports whether the target is part of a record's outcome: what
// became of the lead, which must never reach a rule.
func (t *target) outcome() bool {
	return t.kind == tConverted || t.kind == tConvertedAt || t.kind == tWon || t.kind == tWonCurrency
}

// withheld reports whether columns the target reads are read by nothing
// that decides: outcome, after-the-fact and ignored columns.
func (t *target) withheld() bool { return t.outcome() || t.kind == tAfter || t.kind == tIgnore }

// rewound reports whether a backtest rewinds the target to the decision
// time, so that it may read a column that also feeds the outcome (an
// Odoo stage of "Won").
func (t *target) rewound() bool { return t.kind == tStage || t.kind == tReason }

// activity reports whether the target is a part of a row's activity.
func (t *target) activity() bool { return t.kind >= tActKind && t.kind <= tActChannel }

// fixedTargets are the targets with a fixed name, in the order of the
// lead's JSON form; a mapping's default layout reads each from a column
// named after it.
var fixedTargets = []target{
	{name: "id", kind: tID, path: "id"},
	{name: "source", kind: tText, path: "source"},
	{name: "stage", kind: tStage, path: "stage"},
	{name: "owner", kind: tText, path: "owner"},
	{name: "lost_reason", kind: tReason, path: "lost_reason"},
	{name: "contact.name", kind: tText, path: "contact.name"},
	{name: "contact.email", kind: tText, path: "contact.email"},
	{name: "contact.phone", kind: tText, path: "contact.phone"},
	{name: "contact.title", kind: tText, path: "contact.title"},
	{name: "contact.role", kind: tRole, path: "contact.role"},
	{name: "contact.time_zone", kind: tText, path: "contact.time_zone"},
	{name: "company.name", kind: tText, path: "company.name"},
	{name: "company.domain", kind: tDomain, path: "company.domain"},
	{name: "company.industry", kind: tText, path: "company.industry"},
	{name: "company.employees", kind: tInt, path: "company.employees"},
	{name: "company.country", kind: tCountry, path: "company.country"},
	{name: "budget", kind: tMoney, path: "budget"},
	{name: "budget.currency", kind: tCurrency, path: "budget.currency"},
	{name: "value", kind: tMoney, path: "value"},
	{name: "value.currency", kind: tCurrency, path: "value.currency"},
	{name: "expected_purchase", kind: tTime, path: "expected_purchase"},
	{name: "renewal", kind: tTime, path: "renewal"},
	{name: "created_at", kind: tTime, path: "created_at"},
	{name: "updated_at", kind: tTime, path: "updated_at"},
	{name: "activities", kind: tActivities, path: "activities"},
	{name: "interests", kind: tInterests, path: "interests"},
	{name: "decided_at", kind: tDecided, path: "decided_at"},
	{name: "converted", kind: tConverted, path: "converted"},
	{name: "converted_at", kind: tConvertedAt, path: "converted_at"},
	{name: "won", kind: tWon, path: "won"},
	{name: "won.currency", kind: tWonCurrency, path: "won.currency"},
	{name: "activity", kind: tActKind, path: "activities"},
	{name: "activity.at", kind: tActAt, path: "activities"},
	{name: "activity.product", kind: tActProduct, path: "activities"},
	{name: "activity.asset", kind: tActAsset, path: "activities"},
	{name: "activity.channel", kind: tActChannel, path: "activities"},
}

// targetNames lists the names a mapping accepts, for messages.
const targetNames = "id, source, stage, owner, lost_reason, contact.name|email|phone|title|role|time_zone, " +
	"company.name|domain|industry|employees|country, budget, budget.currency, value, value.currency, " +
	"expected_purchase, renewal, created_at, updated_at, activities, interests, consent.<channel>, consent.<channel>.at, " +
	"fields.<name>, activity, activity.at|product|asset|channel, activity[<label>], activity[<label>].at|product|asset|channel, " +
	"decided_at, converted, converted_at, won, won.currency, after, ignore"

// targetSyntax are the characters of the mapping language's syntax, which
// no target's name has.
const targetSyntax = "\"()|;+#,=:"

// parseTarget reads a target's name.
func parseTarget(name string) (target, error) {
	for _, t := range fixedTargets {
		if t.name == name {
			return t, nil
		}
	}
	if strings.ContainsAny(name, targetSyntax) {
		// A name the mapping language would have to quote: it could not
		// be written back (Mapping.String) as it reads.
		return target{}, fmt.Errorf("%q: a target's name has none of %s (targets: %s)", name, targetSyntax, targetNames)
	}
	switch {
	case name == "after":
		return target{name: name, kind: tAfter}, nil
	case name == "ignore":
		return target{name: name, kind: tIgnore}, nil
	case strings.HasPrefix(name, "fields."):
		f := name[len("fields."):]
		if f == "" || !utf8.ValidString(f) {
			return target{}, fmt.Errorf("%q: a custom field needs a name (fields.plan)", name)
		}
		return target{name: name, kind: tField, path: name, field: f}, nil
	case strings.HasPrefix(name, "consent."):
		ch, at := strings.CutSuffix(name[len("consent."):], ".at")
		if ch == "" || strings.ContainsAny(ch, ".[] ") {
			return target{}, fmt.Errorf("%q: consent needs a channel (consent.email, consent.phone)", name)
		}
		t := target{name: name, kind: tConsent, path: "consent." + ch, channel: lead.Channel(ch)}
		if at {
			t.kind, t.path = tConsentAt, t.path+".at"
		}
		return t, nil
	case strings.HasPrefix(name, "activity["):
		label, part, ok := strings.Cut(name[len("activity["):], "]")
		if !ok || label == "" || strings.ContainsAny(label, "[]. ") {
			return target{}, fmt.Errorf("%q: an activity's label is a word in brackets (activity[webinar].at)", name)
		}
		t := target{name: name, path: "activities", group: label}
		switch part {
		case "":
			t.kind = tActKind
		case ".at":
			t.kind = tActAt
		case ".product":
			t.kind = tActProduct
		case ".asset":
			t.kind = tActAsset
		case ".channel":
			t.kind = tActChannel
		default:
			return target{}, fmt.Errorf("%q: an activity has at, product, asset and channel (activity[%s].at)", name, label)
		}
		return t, nil
	}
	return target{}, fmt.Errorf("unknown target %q (targets: %s)", name, targetNames)
}
