package lead

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/leadqual/leadqual/internal/enum"
)

// Lead is a prospect as the host CRM knows it: who they are, what they did,
// what they consented to, and where they stand.
//
// A Lead is plain data. The library reads it and, through [Lead.MoveTo],
// records stage moves on it; storage belongs to the host. The zero value is
// a lead with no identity, which [Lead.Validate] refuses.
type Lead struct {
	ID      string  `json:"id"`
	Contact Contact `json:"contact"`
	Company Company `json:"company"`
	// Source is where the lead came from: "web_form", "trade_show", "referral", ...
	Source string `json:"source,omitempty"`
	// Stage is where the lead stands in the funnel: on its implicit line,
	// which is the whole lead for a host that declares no product lines,
	// and everything not attributed to a declared line for one that does
	// (see Funnel and Lines).
	Stage Stage `json:"stage"`
	// Owner is the host's identifier of the person responsible for the lead.
	Owner string `json:"owner,omitempty"`
	// Budget is what the prospect said they can spend; the zero Money when unknown.
	Budget Money `json:"budget,omitzero"`
	// Value is the lead's potential value to the business: every lead,
	// at every stage, is weighed against it.
	Value Money `json:"value,omitzero"`
	// ExpectedPurchase is when the prospect expects to buy; zero when unknown.
	// A "not now" lead is recycled to this date.
	ExpectedPurchase time.Time `json:"expected_purchase,omitzero"`
	// Renewal is when the prospect's contract with another supplier renews;
	// zero when unknown. A lead lost to a preferred supplier is recycled to it.
	Renewal time.Time `json:"renewal,omitzero"`
	// LostReason says why the lead was lost or set aside, when it was.
	LostReason Reason `json:"lost_reason,omitempty"`
	// Interests are the products and topics the prospect has shown interest in.
	Interests []Interest `json:"interests,omitempty"`
	// Activities are what the prospect did, and the vendor's touches, in any order.
	Activities []Activity `json:"activities,omitempty"`
	// Consent records, per channel, what the prospect agreed to.
	Consent map[Channel]Consent `json:"consent,omitempty"`
	// History records every stage move made through MoveTo.
	History []Transition `json:"history,omitempty"`
	// Lines holds the lead's funnel on each product line it has entered,
	// by the line's name as the qualify policy declares it: a stage,
	// lost reason and history per line, beside the implicit line's Stage,
	// LostReason and History above. See [Funnel]; Lead.MoveLine moves a
	// line. Empty for a host that declares no product lines.
	Lines map[string]Funnel `json:"lines,omitempty"`
	// Merged records the leads merged into this one by [Merge], with the
	// funnels that merging did not keep live, so that no history is lost.
	Merged    []MergedLead `json:"merged,omitempty"`
	CreatedAt time.Time    `json:"created_at,omitzero"`
	UpdatedAt time.Time    `json:"updated_at,omitzero"`
	// Fields holds the host CRM's custom fields, as JSON values: nil, bool,
	// float64, string, []any and map[string]any (Go integers and json.Number
	// are accepted too). Rules read them as fields.<name>.
	Fields map[string]any `json:"fields,omitempty"`
}

// Contact is the person behind a lead.
type Contact struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
	Title string `json:"title,omitempty"`
	Role  Role   `json:"role"`
	// TimeZone is an IANA time zone name such as "Europe/London"; empty
	// means unknown. Quiet hours and working hours are kept in it.
	TimeZone string `json:"time_zone,omitempty"`
}

// Location returns the contact's time zone, UTC when it is unknown, or an
// error when the name is not one the time package can load. "Local", which
// the time package takes for the machine's own zone, is refused: the
// contact's time zone must not depend on the machine that reads it.
//
// Each call loads the zone from the machine's database; a host that reads
// many leads keeps a [Zones] and calls Zones.Load instead.
func (c Contact) Location() (*time.Location, error) { return LoadZone(c.TimeZone) }

// maxZoneName bounds a time zone name: the longest IANA name is about 30
// bytes.
const maxZoneName = 128

// LoadZone returns the IANA time zone named name, the way every leadqual
// package reads one: UTC for "", and an error for "Local" (the machine's
// own zone, which must not decide anything), for a name longer than 128
// bytes and for a name the time package cannot load. It reads the
// machine's zoneinfo database on every call: a host or a package that
// loads many keeps a [Zones].
func LoadZone(name string) (*time.Location, error) {
	switch {
	case name == "":
		return time.UTC, nil
	case name == "Local":
		return nil, errors.New(`lead: unknown time zone "Local": the machine's own zone is not an IANA name`)
	case len(name) > maxZoneName:
		return nil, fmt.Errorf("lead: unknown time zone: a name of %d bytes is longer than %d", len(name), maxZoneName)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("lead: %w", err)
	}
	return loc, nil
}

// Zones loads IANA time zones as [LoadZone] does and keeps the ones it
// loaded: loading a zone reads the machine's zoneinfo database,
// microseconds each time. It is the one time-zone cache of leadqual: the
// Validator, the nurture and recycle planners keep one each. Only zones
// that load are kept, so the cache holds at most the few hundred real
// zones whatever the input. The zero value is ready to use; a Zones is safe
// for concurrent use and must not be copied after first use.
type Zones struct {
	m sync.Map // name -> *time.Location
}

// Load returns the zone named name as LoadZone does: UTC for "", an error
// for "Local", for overlong names and for names the time package cannot
// load.
func (z *Zones) Load(name string) (*time.Location, error) {
	if loc, ok := z.m.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := LoadZone(name)
	if err != nil {
		return nil, err
	}
	z.m.Store(name, loc)
	return loc, nil
}

// Company is the organisation a lead belongs to.
type Company struct {
	Name     string `json:"name,omitempty"`
	Domain   string `json:"domain,omitempty"`
	Industry string `json:"industry,omitempty"`
	// Employees is the head count; 0 means unknown.
	Employees int `json:"employees,omitempty"`
	// Country is an ISO 3166-1 alpha-2 code such as "GB".
	Country string `json:"country,omitempty"`
}

// Interest is a product or topic the prospect has shown interest in.
type Interest struct {
	Topic     string    `json:"topic"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// Activity is one thing the prospect did, or one touch by the vendor.
type Activity struct {
	Kind Kind      `json:"kind"`
	At   time.Time `json:"at"`
	// Asset is the content involved: the white paper's title, the page's path.
	Asset string `json:"asset,omitempty"`
	// Product is the product the activity was about, if any.
	Product string `json:"product,omitempty"`
	// Channel is the channel it happened on (email, phone, web, ...).
	Channel Channel `json:"channel,omitempty"`
	// Attrs holds free-form attributes from the source system.
	Attrs map[string]string `json:"attrs,omitempty"`
}

// Role is the contact's part in a buying decision.
//
// The zero value is RoleUnknown.
type Role uint8

// The roles. Doctrine: a lead without access to a decision maker (a sales,
// finance or managing director) is worth less until one is reached.
const (
	RoleUnknown       Role = iota // not known
	RoleDecisionMaker             // signs off the purchase
	RoleInfluencer                // shapes the decision
	RoleUser                      // will use the product
)

var roleTable = enum.Table[Role]{Type: "role", Names: []string{"unknown", "decision_maker", "influencer", "user"}}

// String returns the role's name, e.g. "decision_maker".
func (r Role) String() string { return roleTable.Name(r) }

// Valid reports whether r is one of the declared roles.
func (r Role) Valid() bool { return roleTable.Valid(r) }

// ParseRole returns the role named s.
func ParseRole(s string) (Role, error) { return roleTable.Parse(s) }

// MarshalText implements encoding.TextMarshaler.
func (r Role) MarshalText() ([]byte, error) { return roleTable.Marshal(r) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *Role) UnmarshalText(b []byte) error { return roleTable.Set(r, b) }

// Scan implements sql.Scanner.
func (r *Role) Scan(src any) error { return roleTable.ScanInto(r, src) }

// Value implements driver.Valuer.
func (r Role) Value() (driver.Value, error) { return roleTable.Value(r) }

// Channel is a way of reaching a prospect. It is an open type; the library
// knows email and phone.
type Channel string

// The channels consent is recorded for.
const (
	ChannelEmail Channel = "email"
	ChannelPhone Channel = "phone"
	ChannelSMS   Channel = "sms"
)

// Scan implements sql.Scanner. On error c is left unchanged.
func (c *Channel) Scan(src any) error { return scanInto(c, scanString[Channel]("channel"), src) }

// Value implements driver.Valuer.
func (c Channel) Value() (driver.Value, error) { return string(c), nil }

// ConsentState is what a prospect said about being contacted on a channel.
//
// The zero value is ConsentUnknown, which permits nothing.
type ConsentState uint8

// The consent states.
const (
	ConsentUnknown  ConsentState = iota // never asked or never answered: no contact
	ConsentOptedIn                      // agreed to be contacted
	ConsentOptedOut                     // refused, or withdrew consent
)

var consentTable = enum.Table[ConsentState]{Type: "consent state", Names: []string{"unknown", "opted_in", "opted_out"}}

// String returns the state's name, e.g. "opted_in".
func (s ConsentState) String() string { return consentTable.Name(s) }

// Valid reports whether s is one of the declared states.
func (s ConsentState) Valid() bool { return consentTable.Valid(s) }

// ParseConsentState returns the state named s.
func ParseConsentState(s string) (ConsentState, error) { return consentTable.Parse(s) }

// MarshalText implements encoding.TextMarshaler.
func (s ConsentState) MarshalText() ([]byte, error) { return consentTable.Marshal(s) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *ConsentState) UnmarshalText(b []byte) error { return consentTable.Set(s, b) }

// Scan implements sql.Scanner.
func (s *ConsentState) Scan(src any) error { return consentTable.ScanInto(s, src) }

// Value implements driver.Valuer.
func (s ConsentState) Value() (driver.Value, error) { return consentTable.Value(s) }

// Consent is the record of a prospect's permission on one channel: the
// state, when it was given or withdrawn, and how (the form, the call, the
// import it came from).
type Consent struct {
	State ConsentState `json:"state"`
	At    time.Time    `json:"at,omitzero"`
	How   string       `json:"how,omitempty"`
}

// ConsentFor returns the consent recorded for ch; ConsentUnknown when none is.
func (l *Lead) ConsentFor(ch Channel) Consent { return l.Consent[ch] }

// Reason says why a lead was lost, set aside or disqualified. It is an open
// type: hosts add their own reasons; the recycle package gives each reason
// its horizon (recycle.DefaultHorizons), and a host's own reason the
// fallback horizon unless the host gives it one.
type Reason string

// The reasons the doctrine knows. Only ReasonNotAFit and ReasonDoNotContact
// are final; every other lead is recycled, out of scope included.
const (
	ReasonNotNow            Reason = "not_now"            // in the market, not at this moment: the qualified recycle
	ReasonNoBudget          Reason = "no_budget"          // no budget until the next cycle
	ReasonNoDecisionMaker   Reason = "no_decision_maker"  // no access to a sales, finance or managing director yet: persevere
	ReasonUnresponsive      Reason = "unresponsive"       // stopped answering
	ReasonStonewalled       Reason = "stonewalled"        // stonewalled or dismissed: reached, but refused a conversation; move on, for now
	ReasonPreferredSupplier Reason = "preferred_supplier" // chose another preferred supplier: out of scope, for now
	ReasonOffshored         Reason = "offshored"          // moved the work to a cheaper partner abroad: out of scope, for now
	ReasonNotAFit           Reason = "not_a_fit"          // final: a true non-fit
	ReasonDoNotContact      Reason = "do_not_contact"     // final: asked never to be contacted
)

// Final reports whether r closes the lead for good (not a fit, do not
// contact). Every other reason, a host's own included, recycles.
func (r Reason) Final() bool { return r == ReasonNotAFit || r == ReasonDoNotContact }

// OutOfScope reports whether r is one of the doctrine's out-of-scope
// reasons: a preferred supplier or offshoring. Out of scope is a long
// horizon, not never.
func (r Reason) OutOfScope() bool { return r == ReasonPreferredSupplier || r == ReasonOffshored }

// Describe returns how a person reads the loss, as a past participle that
// follows "after being": "lost to a preferred supplier", "set aside as
// not now". A reason the doctrine does not know reads "set aside (code)".
func (r Reason) Describe() string {
	switch r {
	case ReasonNotNow:
		return "set aside as not now"
	case ReasonNoBudget:
		return "lost for lack of budget"
	case ReasonNoDecisionMaker:
		return "set aside without a decision maker"
	case ReasonUnresponsive:
		return "set aside as unresponsive"
	case ReasonStonewalled:
		return "stonewalled or dismissed"
	case ReasonPreferredSupplier:
		return "lost to a preferred supplier"
	case ReasonOffshored:
		return "lost to a cheaper partner abroad"
	case ReasonNotAFit:
		return "disqualified as not a fit"
	case ReasonDoNotContact:
		return "asked not to be contacted"
	case "":
		return "lost"
	}
	return "set aside (" + string(r) + ")"
}

// Scan implements sql.Scanner. On error r is left unchanged.
func (r *Reason) Scan(src any) error { return scanInto(r, scanString[Reason]("reason"), src) }

// Value implements driver.Valuer.
func (r Reason) Value() (driver.Value, error) { return string(r), nil }
