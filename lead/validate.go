package lead

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ClockSkew is how far in the future of `now` a time may lie before
// Validate calls it an error: clocks of the systems that feed a CRM differ.
const ClockSkew = 5 * time.Minute

// MaxEmployees is the largest head count Validate accepts; anything larger
// is a typing error, not a company.
const MaxEmployees = 10_000_000

// ErrInvalid is the identity of every validation failure; the error itself
// is a *ValidationError listing each problem.
var ErrInvalid = errors.New("invalid lead")

// ValidationError lists every problem Validate found in a lead, or in an
// account and its leads, each a *FieldError whose Path is the field as it
// appears in JSON ("activities[3].at", "consent.email.at",
// "leads[2].contact.email").
type ValidationError struct {
	// ID is the lead's (or account's) ID, as given.
	ID string
	// Of says what was validated: "account", or "" for a lead.
	Of string
	// Problems are every problem, in the order of the fields in the JSON
	// form.
	Problems []*FieldError
}

// Error returns `lead: invalid lead "L-1": contact.email: "ann@" is not an
// email address; activities[3].at: missing`.
func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "lead: invalid %s %q: ", cmp.Or(e.Of, "lead"), e.ID)
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Unwrap returns the problems, so that errors.As finds a *FieldError.
func (e *ValidationError) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p
	}
	return out
}

type checker struct {
	now      time.Time
	zones    *Zones // nil: load each zone
	prefix   string // of every path: "leads[3]." within an account
	problems []*FieldError
}

func (c *checker) add(path, format string, args ...any) {
	c.problems = append(c.problems, &FieldError{Path: c.prefix + path, Problem: fmt.Sprintf(format, args...)})
}

// at is an element of a list of a lead ("activities", 3): its path is
// built only when a problem is found there, so that validating a valid
// lead allocates nothing.
type at struct {
	base string
	i    int
}

func (a at) in(field string) string {
	p := a.base + "[" + strconv.Itoa(a.i) + "]"
	if field != "" {
		p += "." + field
	}
	return p
}

// textAt is text at field of element a.
func (c *checker) textAt(a at, field, s string) {
	if !utf8.ValidString(s) {
		c.text(a.in(field), s)
	}
}

// pastAt is past at field of element a.
func (c *checker) pastAt(a at, field string, t time.Time, required bool) {
	if t.IsZero() && required || !t.IsZero() && t.After(c.now.Add(ClockSkew)) {
		c.past(a.in(field), t, required)
	}
}

// textMap reports whether every key and value of m is valid UTF-8: the
// quick check before reporting the map in key order.
func textMap[K ~string, V any](m map[K]V, text func(V) bool) bool {
	for k, v := range m {
		if !utf8.ValidString(string(k)) || !text(v) {
			return false
		}
	}
	return true
}

func (c *checker) text(path, s string) {
	if !utf8.ValidString(s) {
		c.add(path, "not valid UTF-8")
	}
}

// time checks a time that must be set and not in the future.
func (c *checker) past(path string, t time.Time, required bool) {
	switch {
	case t.IsZero():
		if required {
			c.add(path, "missing")
		}
	case t.After(c.now.Add(ClockSkew)):
		c.add(path, "in the future (%s, now is %s)", t.Format(time.RFC3339Nano), c.now.Format(time.RFC3339Nano))
	}
}

func (c *checker) money(path string, m Money) {
	if m.IsZero() {
		return
	}
	switch {
	case m.Currency == "":
		c.add(path+".currency", "missing")
	case !m.Currency.Valid():
		c.add(path+".currency", "%q is not an ISO 4217 code", string(m.Currency))
	}
	if m.IsNegative() {
		c.add(path+".amount", "negative (%s)", m.amountString())
	}
}

// Validate reports every problem of the lead at once, as a
// *ValidationError (errors.Is(err, ErrInvalid)), or nil. `now` is the
// caller's clock: times later than now plus ClockSkew are refused.
//
// It checks: an empty ID; a malformed email (a bare address: "Ann
// <ann@example.com>" is refused) or phone number; an unknown role, stage or
// consent state; an unknown time zone; a negative or absurd head count; a
// country that is not an ISO 3166-1 alpha-2 code; a domain that is not a
// domain name; negative money, a missing or unknown currency; interests,
// activities, consents, history and creation times in the future; a
// missing activity, history or consent time (consent without the time it
// was given); an interest last seen before it was first seen; an update
// before the creation; an illegal move in the history, moves that do not
// follow one another in time, or a history that does not end at the lead's
// stage, and the same of the funnel of each product line
// (lines.<name>.history) and of each merged lead's record (merged[i]), a
// line name that CheckLineName refuses; custom fields that are not JSON
// values (channels, functions, NaN, infinities, nesting deeper than 16
// levels); and text that is not UTF-8.
//
// The problems are listed in the order of the fields in the JSON form, map
// entries (consent, fields, attrs) by key, so that the same lead always
// gets the same error.
//
// Validate loads the contact's time zone from the machine's database on
// every call; a host validating many leads uses a [Validator], which keeps
// the zones it loaded.
func (l *Lead) Validate(now time.Time) error { return l.validate(now, nil) }

// Validator validates leads as Lead.Validate does, keeping the time zones
// it loads. The zero value is ready to use; a Validator is safe for
// concurrent use and must not be copied after first use.
type Validator struct {
	Zones Zones
}

// Validate reports every problem of l at now, as Lead.Validate does.
func (v *Validator) Validate(l *Lead, now time.Time) error { return l.validate(now, &v.Zones) }

func (l *Lead) validate(now time.Time, zones *Zones) error {
	c := checker{now: now, zones: zones}
	c.lead(l)
	if len(c.problems) == 0 {
		return nil
	}
	return &ValidationError{ID: l.ID, Problems: c.problems}
}

func (c *checker) lead(l *Lead) {
	if strings.TrimSpace(l.ID) == "" {
		c.add("id", "empty")
	}
	c.text("id", l.ID)
	c.contact(&l.Contact)
	c.company(&l.Company)
	c.text("source", l.Source)
	if !l.Stage.Valid() {
		c.add("stage", "unknown stage %d", uint8(l.Stage))
	}
	c.text("owner", l.Owner)
	c.money("budget", l.Budget)
	c.money("value", l.Value)
	c.text("lost_reason", string(l.LostReason))
	for i := range l.Interests {
		in, p := &l.Interests[i], at{"interests", i}
		if strings.TrimSpace(in.Topic) == "" {
			c.add(p.in("topic"), "empty")
		}
		c.textAt(p, "topic", in.Topic)
		c.pastAt(p, "first_seen", in.FirstSeen, false)
		c.pastAt(p, "last_seen", in.LastSeen, false)
		if !in.FirstSeen.IsZero() && !in.LastSeen.IsZero() && in.LastSeen.Before(in.FirstSeen) {
			c.add(p.in("last_seen"), "before first_seen")
		}
	}
	for i := range l.Activities {
		a, p := &l.Activities[i], at{"activities", i}
		if a.Kind == "" {
			c.add(p.in("kind"), "empty")
		}
		c.textAt(p, "kind", string(a.Kind))
		c.pastAt(p, "at", a.At, true)
		c.textAt(p, "asset", a.Asset)
		c.textAt(p, "product", a.Product)
		c.textAt(p, "channel", string(a.Channel))
		if len(a.Attrs) == 0 || textMap(a.Attrs, utf8.ValidString) {
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(a.Attrs)) {
			if c.key(p.in("attrs"), k) {
				c.text(p.in("attrs")+"."+k, a.Attrs[k])
			}
		}
	}
	for _, ch := range consentOrder(l.Consent, c.now) {
		if ch == "" {
			c.add("consent", "empty channel name")
		}
		if !c.key("consent", string(ch)) {
			continue
		}
		cs, p := l.Consent[ch], "consent."+string(ch)
		if !cs.State.Valid() {
			c.add(p+".state", "unknown consent state %d", uint8(cs.State))
		}
		c.past(p+".at", cs.At, cs.State != ConsentUnknown)
		c.text(p+".how", cs.How)
	}
	for i, t := range l.History {
		p := at{"history", i}
		if !CanMove(t.From, t.To) {
			c.add(p.in(""), "illegal move %s -> %s", t.From, t.To)
		}
		c.pastAt(p, "at", t.At, true)
		c.textAt(p, "reason", t.Reason)
		if i > 0 {
			prev := l.History[i-1]
			if t.From != prev.To {
				c.add(p.in("from"), "%s, but history[%d] moved the lead to %s", t.From, i-1, prev.To)
			}
			if !t.At.IsZero() && t.At.Before(prev.At) {
				c.add(p.in("at"), "before history[%d].at", i-1)
			}
		}
	}
	if n := len(l.History); n > 0 && l.History[n-1].To != l.Stage {
		c.add(fmt.Sprintf("history[%d].to", n-1), "%s, but the lead's stage is %s", l.History[n-1].To, l.Stage)
	}
	c.lines("lines", l.Lines)
	for i, m := range l.Merged {
		p := fmt.Sprintf("merged[%d]", i)
		if strings.TrimSpace(m.ID) == "" {
			c.add(p+".id", "empty")
		}
		c.text(p+".id", m.ID)
		c.past(p+".created_at", m.CreatedAt, false)
		c.text(p+".email", m.Email)
		c.text(p+".phone", m.Phone)
		if m.Funnel != nil {
			c.funnel(p+".funnel.", m.Funnel.Stage, m.Funnel.LostReason, m.Funnel.History)
		}
		c.lines(p+".lines", m.Lines)
	}
	c.past("created_at", l.CreatedAt, false)
	c.past("updated_at", l.UpdatedAt, false)
	if !l.CreatedAt.IsZero() && !l.UpdatedAt.IsZero() && l.UpdatedAt.Before(l.CreatedAt) {
		c.add("updated_at", "before created_at")
	}
	if len(l.Fields) == 0 || fieldsOK(l.Fields) {
		return
	}
	for _, k := range slices.Sorted(maps.Keys(l.Fields)) {
		if k == "" {
			c.add("fields", "empty field name")
		}
		if c.key("fields", k) {
			c.field("fields."+k, l.Fields[k], 0)
		}
	}
}

// consentOrder returns the channels of consent in name order, to be
// checked and reported in that order; nil when every one is fine (the
// usual case, checked without sorting).
func consentOrder(consent map[Channel]Consent, now time.Time) []Channel {
	for ch, cs := range consent {
		if ch == "" || !utf8.ValidString(string(ch)) || !cs.State.Valid() || !utf8.ValidString(cs.How) ||
			cs.At.IsZero() && cs.State != ConsentUnknown || cs.At.After(now.Add(ClockSkew)) {
			return slices.Sorted(maps.Keys(consent))
		}
	}
	return nil
}

// fieldsOK reports whether custom fields are fine as field checks them,
// without building a path: the quick check before reporting them in key
// order.
func fieldsOK(fields map[string]any) bool {
	for k, v := range fields {
		if k == "" || !utf8.ValidString(k) || !fieldOK(v, 0) {
			return false
		}
	}
	return true
}

func fieldOK(v any, depth int) bool {
	if depth > maxFieldDepth {
		return false
	}
	switch x := v.(type) {
	case nil, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return true
	case float32:
		return !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0)
	case float64:
		return !math.IsNaN(x) && !math.IsInf(x, 0)
	case string:
		return utf8.ValidString(x)
	case []any:
		for _, e := range x {
			if !fieldOK(e, depth+1) {
				return false
			}
		}
		return true
	case map[string]any:
		for k, e := range x {
			if !utf8.ValidString(k) || !fieldOK(e, depth+1) {
				return false
			}
		}
		return true
	}
	return false // json.Number and other types: the report checks them
}

// key checks the key k of the map at path, and reports whether it is fit
// to be part of a path.
func (c *checker) key(path, k string) bool {
	if !utf8.ValidString(k) {
		c.add(path, "key %q is not valid UTF-8", k)
		return false
	}
	return true
}

func (c *checker) contact(ct *Contact) {
	c.text("contact.name", ct.Name)
	if ct.Email != "" && !plainAddress(ct.Email) {
		// A bare address only: "Ann <ann@example.com>" parses, to another address.
		if a, err := mail.ParseAddress(ct.Email); err != nil || a.Address != ct.Email {
			c.add("contact.email", "%q is not an email address", ct.Email)
		}
	}
	if ct.Phone != "" && !validPhone(ct.Phone) {
		c.add("contact.phone", "%q is not a phone number (7 to 15 digits, with an optional leading +)", ct.Phone)
	}
	c.text("contact.title", ct.Title)
	if !ct.Role.Valid() {
		c.add("contact.role", "unknown role %d", uint8(ct.Role))
	}
	load := LoadZone
	if c.zones != nil {
		load = c.zones.Load
	}
	if _, err := load(ct.TimeZone); err != nil {
		c.add("contact.time_zone", "unknown time zone %q", ct.TimeZone)
	}
}

// plainAddress reports whether s is a bare email address of the usual
// form, letters, digits and a few symbols in dot-separated atoms on both
// sides of one @: an address mail.ParseAddress accepts as it is, told
// without parsing it. Anything else is left to mail.ParseAddress.
func plainAddress(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && dotAtom(local, "+_-") && dotAtom(domain, "-")
}

// dotAtom reports whether s is atoms of letters, digits and the symbols
// given, separated by single dots.
func dotAtom(s, symbols string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		case b == '.':
			if s[i-1] == '.' {
				return false
			}
		case strings.IndexByte(symbols, b) >= 0:
		default:
			return false
		}
	}
	return true
}

func (c *checker) company(co *Company) {
	c.text("company.name", co.Name)
	c.text("company.domain", co.Domain)
	if co.Domain != "" && (strings.ContainsAny(co.Domain, " /@:") || !strings.Contains(co.Domain, ".")) {
		c.add("company.domain", "%q is not a domain name", co.Domain)
	}
	c.text("company.industry", co.Industry)
	switch {
	case co.Employees < 0:
		c.add("company.employees", "negative (%d)", co.Employees)
	case co.Employees > MaxEmployees:
		c.add("company.employees", "%d is more than %d", co.Employees, MaxEmployees)
	}
	if co.Country != "" && !inCodeTable(iso3166, 2, co.Country) {
		c.add("company.country", "%q is not an ISO 3166-1 alpha-2 code", co.Country)
	}
}

// maxFieldDepth bounds the nesting of custom fields.
const maxFieldDepth = 16

func (c *checker) field(path string, v any, depth int) {
	if depth > maxFieldDepth {
		c.add(path, "nested deeper than %d levels", maxFieldDepth)
		return
	}
	switch x := v.(type) {
	case nil, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
	case json.Number:
		if _, err := json.Marshal(x); err != nil || x == "" {
			c.add(path, "%q is not a JSON number", string(x))
		}
	case float32:
		c.number(path, float64(x))
	case float64:
		c.number(path, x)
	case string:
		c.text(path, x)
	case []any:
		for i, e := range x {
			c.field(path+"["+strconv.Itoa(i)+"]", e, depth+1)
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if c.key(path, k) {
				c.field(path+"."+k, x[k], depth+1)
			}
		}
	default:
		c.add(path, "%T is not a JSON value", v)
	}
}

func (c *checker) number(path string, f float64) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		c.add(path, "%v is not a number JSON can hold", f)
	}
}

func validPhone(s string) bool {
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0:
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
		default:
			return false
		}
	}
	return digits >= 7 && digits <= 15
}

// iso3166 lists the officially assigned ISO 3166-1 alpha-2 codes, sorted,
// one every three bytes. "UK" and "EU" are not among them: Britain is "GB".
const iso3166 = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL " +
	"BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV " +
	"CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD " +
	"GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM " +
	"IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK " +
	"LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW " +
	"MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR " +
	"PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS " +
	"ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY " +
	"UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW"
