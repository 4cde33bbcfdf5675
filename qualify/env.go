package qualify

import (
	"strings"
	"time"

	"github.com/leadqual/leadqual/lead"
)

// A variable of the rule environment. Rules see a lead through flat
// variables such as contact.role; Compile resolves each path to one
// variable, and Evaluate reads only the variables a policy uses.
type variable struct {
	name string
	// typ is a zero value of the variable's type, for the type checker.
	typ any
	// str and num read string and int variables without boxing, for the
	// compiled fast path; get returns the value boxed, for expr's VM.
	// Values of closed enumerations are returned pre-boxed, so that handing
	// them to the VM costs nothing.
	str func(l *lead.Lead) string
	num func(l *lead.Lead) int
	get func(l *lead.Lead) any
	doc string
}

// boxed returns the variable's value for the VM.
func (v *variable) boxed(l *lead.Lead) any {
	switch {
	case v.get != nil:
		return v.get(l)
	case v.str != nil:
		return boxString(v.str(l))
	default:
		return v.num(l)
	}
}

// Activity is how a rule sees one activity, inside activities: `.kind`,
// `.at`, `.asset`, `.product`, `.channel`, `.intent` (the kind's intent
// under this policy) and `.attrs`.
type Activity struct {
	Kind    string            `expr:"kind"`
	At      time.Time         `expr:"at"`
	Asset   string            `expr:"asset"`
	Product string            `expr:"product"`
	Channel string            `expr:"channel"`
	Intent  string            `expr:"intent"`
	Attrs   map[string]string `expr:"attrs"`
}

// Interest is how a rule sees one interest, inside interests: `.topic`,
// `.first_seen`, `.last_seen`.
type Interest struct {
	Topic     string    `expr:"topic"`
	FirstSeen time.Time `expr:"first_seen"`
	LastSeen  time.Time `expr:"last_seen"`
}

// boxed holds the names of closed enumerations converted to `any` once, so
// that handing them to the VM does not allocate. Never modified.
var (
	boxedRoles       = boxNames(lead.RoleUnknown, lead.RoleUser)
	boxedStages      = boxNames(lead.StageNew, lead.StageDisqualified)
	boxedConsent     = boxNames(lead.ConsentUnknown, lead.ConsentOptedOut)
	boxedTrue    any = true
	boxedFalse   any = false
	boxedEmpty   any = ""
)

func boxNames[T interface {
	~uint8
	String() string
}](first, last T) []any {
	out := make([]any, 0, int(last-first)+1)
	for v := first; v <= last; v++ {
		out = append(out, v.String())
	}
	return out
}

func boxEnum[T ~uint8](table []any, v T, name func() string) any {
	if int(v) < len(table) {
		return table[v]
	}
	return name()
}

func boxBool(b bool) any {
	if b {
		return boxedTrue
	}
	return boxedFalse
}

func boxString(s string) any {
	if s == "" {
		return boxedEmpty
	}
	return s
}

// knownReasons are the catalogue's reasons, pre-boxed.
var knownReasons = func() map[lead.Reason]any {
	m := map[lead.Reason]any{}
	for _, r := range []lead.Reason{lead.ReasonNotNow, lead.ReasonNoBudget, lead.ReasonNoDecisionMaker,
		lead.ReasonUnresponsive, lead.ReasonStonewalled, lead.ReasonPreferredSupplier, lead.ReasonOffshored,
		lead.ReasonNotAFit, lead.ReasonDoNotContact} {
		m[r] = string(r)
	}
	return m
}()

func strVar(name string, f func(l *lead.Lead) string, doc string) variable {
	return variable{name: name, typ: "", str: f, doc: doc}
}

// enumVar is a string variable whose values come from a closed enumeration.
func enumVar[T ~uint8](name string, table []any, f func(l *lead.Lead) T, names func(T) string, doc string) variable {
	return variable{name: name, typ: "",
		str: func(l *lead.Lead) string { return names(f(l)) },
		get: func(l *lead.Lead) any { v := f(l); return boxEnum(table, v, func() string { return names(v) }) },
		doc: doc}
}

// variables is the documented environment, except consent.<channel>,
// the collections, now, and the helpers' results (see Compile).
var variables = []variable{
	strVar("id", func(l *lead.Lead) string { return l.ID }, "the lead's ID"),
	strVar("source", func(l *lead.Lead) string { return l.Source }, "where the lead came from"),
	strVar("owner", func(l *lead.Lead) string { return l.Owner }, "who owns the lead"),
	enumVar("stage", boxedStages, func(l *lead.Lead) lead.Stage { return l.Stage }, lead.Stage.String,
		`the stage: "new", "nurturing", "marketing_qualified", ...`),
	{name: "lost_reason", typ: "", str: func(l *lead.Lead) string { return string(l.LostReason) },
		get: func(l *lead.Lead) any {
			if v, ok := knownReasons[l.LostReason]; ok {
				return v
			}
			return boxString(string(l.LostReason))
		}, doc: `why the lead was lost or set aside: "not_now", "preferred_supplier", ... or ""`},
	strVar("contact.name", func(l *lead.Lead) string { return l.Contact.Name }, "the contact's name"),
	strVar("contact.email", func(l *lead.Lead) string { return l.Contact.Email }, "the contact's email address"),
	strVar("contact.email_domain", func(l *lead.Lead) string { return emailDomain(l.Contact.Email) },
		"the part of the email address after @, lower-cased"),
	strVar("contact.phone", func(l *lead.Lead) string { return l.Contact.Phone }, "the contact's phone number"),
	strVar("contact.title", func(l *lead.Lead) string { return l.Contact.Title }, "the contact's job title"),
	enumVar("contact.role", boxedRoles, func(l *lead.Lead) lead.Role { return l.Contact.Role }, lead.Role.String,
		`"decision_maker", "influencer", "user" or "unknown"`),
	strVar("contact.time_zone", func(l *lead.Lead) string { return l.Contact.TimeZone }, "IANA time zone name"),
	strVar("company.name", func(l *lead.Lead) string { return l.Company.Name }, "the company's name"),
	strVar("company.domain", func(l *lead.Lead) string { return l.Company.Domain }, "the company's web domain"),
	strVar("company.industry", func(l *lead.Lead) string { return l.Company.Industry }, "the company's industry"),
	strVar("company.country", func(l *lead.Lead) string { return l.Company.Country }, "ISO 3166-1 alpha-2 country code"),
	{name: "company.employees", typ: 0, num: func(l *lead.Lead) int { return l.Company.Employees },
		doc: "head count; 0 when unknown"},
	{name: "budget", typ: (*lead.Money)(nil), get: func(l *lead.Lead) any { return &l.Budget },
		doc: "the stated budget (money); guard with known(budget)"},
	{name: "value", typ: (*lead.Money)(nil), get: func(l *lead.Lead) any { return &l.Value },
		doc: "the lead's potential value (money); guard with known(value)"},
	{name: "expected_purchase", typ: time.Time{}, get: func(l *lead.Lead) any { return l.ExpectedPurchase },
		doc: "when they expect to buy; guard with known(expected_purchase)"},
	{name: "renewal", typ: time.Time{}, get: func(l *lead.Lead) any { return l.Renewal },
		doc: "when their contract with another supplier renews; guard with known(renewal)"},
	{name: "created_at", typ: time.Time{}, get: func(l *lead.Lead) any { return l.CreatedAt }, doc: "when the lead was created"},
	{name: "updated_at", typ: time.Time{}, get: func(l *lead.Lead) any { return l.UpdatedAt }, doc: "when the lead was last updated"},
	{name: "fields", typ: map[string]any(nil), get: func(l *lead.Lead) any { return l.Fields },
		doc: "the host CRM's custom fields, read as fields.name (type any)"},
}

// consentVar returns the variable consent.<ch>.
func consentVar(ch lead.Channel) variable {
	return enumVar("consent."+string(ch), boxedConsent,
		func(l *lead.Lead) lead.ConsentState { return l.Consent[ch].State }, lead.ConsentState.String,
		`"opted_in", "opted_out" or "unknown"`)
}

// Names of the variables that need the evaluation's own data.
const (
	varActivities = "activities"
	varInterests  = "interests"
	varNow        = "now"
)

// roots are the identifiers that are only reached through a member:
// contact.role, company.employees, consent.email.
var roots = map[string]bool{"contact": true, "company": true, "consent": true}

func emailDomain(email string) string {
	i := strings.LastIndexByte(email, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(email[i+1:]) // no allocation when already lower-case
}
