package lead

import (
	"database/sql/driver"

	"github.com/leadqual/leadqual/internal/enum"
)

// Intent is what an activity, or a rule, says about a prospect: whether they
// need something (a problem they are asking to have solved), are interested
// (consuming education), show no intent, or push back (negative).
//
// The zero value is IntentNone.
type Intent uint8

// The intents. Need goes to sales now; interest goes to nurture.
const (
	IntentNone     Intent = iota // no evidence either way
	IntentInterest               // consuming education: a white paper, a webinar, a newsletter
	IntentNeed                   // asking to be helped: pricing, a quote, a demo, a call
	IntentNegative               // pushing back: an unsubscribe, a bounce, a spam complaint
)

var intentTable = enum.Table[Intent]{Type: "intent", Names: []string{"none", "interest", "need", "negative"}}

// String returns the intent's name: "none", "interest", "need" or "negative".
func (i Intent) String() string { return intentTable.Name(i) }

// Valid reports whether i is one of the declared intents.
func (i Intent) Valid() bool { return intentTable.Valid(i) }

// ParseIntent returns the intent named s.
func ParseIntent(s string) (Intent, error) { return intentTable.Parse(s) }

// MarshalText implements encoding.TextMarshaler.
func (i Intent) MarshalText() ([]byte, error) { return intentTable.Marshal(i) }

// UnmarshalText implements encoding.TextUnmarshaler; unknown names are an
// error that lists the accepted ones.
func (i *Intent) UnmarshalText(b []byte) error { return intentTable.Set(i, b) }

// Scan implements sql.Scanner for an intent stored as text.
func (i *Intent) Scan(src any) error { return intentTable.ScanInto(i, src) }

// Value implements driver.Valuer.
func (i Intent) Value() (driver.Value, error) { return intentTable.Value(i) }

// Kind is the kind of an activity: what the prospect (or the vendor) did.
//
// Kind is an open type: the catalogue below names the kinds the doctrine
// knows, each with a default intent (see [Kind.Intent]), and a host may use
// any other non-empty string for its own kinds, which carry IntentNone.
// Kinds are lower-case snake_case by convention.
type Kind string

// The well-known activity kinds. Content consumption is interest; explicit
// requests are need; unsubscribes, bounces and complaints are negative;
// touches by the vendor carry no intent of their own.
const (
	// Interest: education consumed by the prospect.
	KindWhitePaper        Kind = "white_paper"        // downloaded a white paper
	KindEbook             Kind = "ebook"              // downloaded an e-book
	KindResearchReport    Kind = "research_report"    // downloaded a research report
	KindWebinarRegistered Kind = "webinar_registered" // registered for an educational webinar
	KindWebinarAttended   Kind = "webinar_attended"   // attended an educational webinar
	KindNewsletterSignup  Kind = "newsletter_signup"  // signed up for the newsletter

	// Interest: events, where the prospect came to learn and to look
	// around. A conversation at an event that asks for pricing, a quote or
	// a demo is recorded as that request, which is need.
	KindTradeShow  Kind = "trade_show" // visited our stand at a trade show or exhibition
	KindSeminar    Kind = "seminar"    // attended a seminar or workshop
	KindConference Kind = "conference" // met us at a conference or attended our talk there

	// No intent of their own: light engagement.
	KindPageVisit  Kind = "page_visit"  // visited a page
	KindEmailOpen  Kind = "email_open"  // opened an email
	KindEmailClick Kind = "email_click" // clicked a link in an email
	KindChat       Kind = "chat"        // chatted on the website

	// Need: the prospect asks to be helped.
	KindPricingRequest     Kind = "pricing_request"      // asked for pricing
	KindProductInfoRequest Kind = "product_info_request" // asked for product information
	KindQuoteRequest       Kind = "quote_request"        // asked for a quote
	KindDemoRequest        Kind = "demo_request"         // asked for a demo
	KindContactRequest     Kind = "contact_request"      // asked to be contacted
	KindTrialStarted       Kind = "trial_started"        // started a trial
	KindMeetingBooked      Kind = "meeting_booked"       // booked a meeting
	KindCallConnected      Kind = "call_connected"       // a phone conversation took place

	// Negative: the prospect pushes back.
	KindUnsubscribe   Kind = "unsubscribe"    // unsubscribed from email
	KindBounce        Kind = "bounce"         // an email to them bounced
	KindSpamComplaint Kind = "spam_complaint" // marked an email as spam

	// Touches: the vendor reached out. They carry no intent, but they are
	// what the neglect audit counts as a touch.
	KindNurtureEmail  Kind = "nurture_email"  // marketing sent a nurture email
	KindSalesEmail    Kind = "sales_email"    // sales sent a personal email
	KindCallAttempted Kind = "call_attempted" // sales called and did not get through
)

// Touch says who on the vendor's side an activity counts as a touch by.
//
// The zero value is TouchNone.
type Touch uint8

// The touches.
const (
	TouchNone      Touch = iota // not a touch: something the prospect did
	TouchMarketing              // a marketing touch: a nurture email
	TouchSales                  // a sales touch: a call, a personal email, a meeting
)

var touchTable = enum.Table[Touch]{Type: "touch", Names: []string{"none", "marketing", "sales"}}

// String returns the touch's name: "none", "marketing" or "sales".
func (t Touch) String() string { return touchTable.Name(t) }

// Valid reports whether t is one of the declared touches.
func (t Touch) Valid() bool { return touchTable.Valid(t) }

// ParseTouch returns the touch named s.
func ParseTouch(s string) (Touch, error) { return touchTable.Parse(s) }

// MarshalText implements encoding.TextMarshaler.
func (t Touch) MarshalText() ([]byte, error) { return touchTable.Marshal(t) }

// UnmarshalText implements encoding.TextUnmarshaler; unknown names are an
// error that lists the accepted ones.
func (t *Touch) UnmarshalText(b []byte) error { return touchTable.Set(t, b) }

// kindInfo is one row of the catalogue.
type kindInfo struct {
	kind   Kind
	intent Intent
	touch  Touch
	doc    string
}

// catalogue is the table of well-known kinds, in the order of the constants
// above. It is never modified.
var catalogue = [...]kindInfo{
	{KindWhitePaper, IntentInterest, TouchNone, "downloaded a white paper"},
	{KindEbook, IntentInterest, TouchNone, "downloaded an e-book"},
	{KindResearchReport, IntentInterest, TouchNone, "downloaded a research report"},
	{KindWebinarRegistered, IntentInterest, TouchNone, "registered for a webinar"},
	{KindWebinarAttended, IntentInterest, TouchNone, "attended a webinar"},
	{KindNewsletterSignup, IntentInterest, TouchNone, "signed up for the newsletter"},
	{KindTradeShow, IntentInterest, TouchNone, "visited our stand at a trade show"},
	{KindSeminar, IntentInterest, TouchNone, "attended a seminar"},
	{KindConference, IntentInterest, TouchNone, "met us at a conference"},
	{KindPageVisit, IntentNone, TouchNone, "visited a page"},
	{KindEmailOpen, IntentNone, TouchNone, "opened an email"},
	{KindEmailClick, IntentNone, TouchNone, "clicked a link in an email"},
	{KindChat, IntentNone, TouchNone, "chatted on the website"},
	{KindPricingRequest, IntentNeed, TouchNone, "asked for pricing"},
	{KindProductInfoRequest, IntentNeed, TouchNone, "asked for product information"},
	{KindQuoteRequest, IntentNeed, TouchNone, "asked for a quote"},
	{KindDemoRequest, IntentNeed, TouchNone, "asked for a demo"},
	{KindContactRequest, IntentNeed, TouchNone, "asked to be contacted"},
	{KindTrialStarted, IntentNeed, TouchNone, "started a trial"},
	{KindMeetingBooked, IntentNeed, TouchSales, "booked a meeting"},
	{KindCallConnected, IntentNeed, TouchSales, "had a phone conversation"},
	{KindUnsubscribe, IntentNegative, TouchNone, "unsubscribed"},
	{KindBounce, IntentNegative, TouchNone, "an email bounced"},
	{KindSpamComplaint, IntentNegative, TouchNone, "complained of spam"},
	{KindNurtureEmail, IntentNone, TouchMarketing, "was sent a nurture email"},
	{KindSalesEmail, IntentNone, TouchSales, "was sent a personal email by sales"},
	{KindCallAttempted, IntentNone, TouchSales, "was called without getting through"},
}

func (k Kind) info() (kindInfo, bool) {
	for _, c := range catalogue {
		if c.kind == k {
			return c, true
		}
	}
	return kindInfo{}, false
}

// Known reports whether k is in the catalogue of well-known kinds.
func (k Kind) Known() bool { _, ok := k.info(); return ok }

// Intent returns the default intent of a well-known kind, and IntentNone for
// a kind the catalogue does not know. It is the catalogue's default only:
// what a kind means to a business is decided by its qualify policy (the
// policy's settings override and extend the catalogue), and every package
// reads it from there (qualify.Vocabulary).
func (k Kind) Intent() Intent { c, _ := k.info(); return c.intent }

// Touch says whether an activity of this kind is a touch by the vendor, and
// by whom, by the catalogue's default. Unknown kinds are not touches. A
// qualify policy may override it (qualify.Vocabulary).
func (k Kind) Touch() Touch { c, _ := k.info(); return c.touch }

// Describe returns a short past-tense phrase for a well-known kind ("asked
// for pricing"), or the kind itself for one the catalogue does not know.
func (k Kind) Describe() string {
	if c, ok := k.info(); ok {
		return c.doc
	}
	return string(k)
}

// Kinds returns the well-known kinds in catalogue order. The slice is new on
// every call.
func Kinds() []Kind {
	out := make([]Kind, len(catalogue))
	for i, c := range catalogue {
		out[i] = c.kind
	}
	return out
}

// String returns the kind as text.
func (k Kind) String() string { return string(k) }

// Scan implements sql.Scanner. On error k is left unchanged.
func (k *Kind) Scan(src any) error { return scanInto(k, scanString[Kind]("kind"), src) }

// Value implements driver.Valuer.
func (k Kind) Value() (driver.Value, error) { return string(k), nil }

// scanString returns the Scan function of an open string type named typ.
func scanString[T ~string](typ string) func(any) (T, error) {
	return func(src any) (T, error) {
		s, err := enum.ScanString(typ, src)
		return T(s), err
	}
}

// scanInto scans src into *dst with scan; on error *dst is unchanged.
func scanInto[T any](dst *T, scan func(any) (T, error), src any) error {
	v, err := scan(src)
	if err != nil {
		return err
	}
	*dst = v
	return nil
}
