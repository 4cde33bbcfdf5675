package bench

import (
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/shopspring/decimal"
)

var tenThousand = decimal.NewFromInt(10000)

// Handwritten is the policy written in plain Go by someone who knows it at
// compile time: one pass over the activities into per-kind counters in
// fixed slots, a switch on the kind, then the rules as if statements, in
// order. The limit every rule engine is measured against.
func Handwritten(l *lead.Lead, now time.Time) Outcome {
	const (
		kWhitePaper = iota
		kEbook
		kReport
		kTradeShow
		kSeminar
		kConference
		kClick
		kVisit
		kUnsub
		nKinds
	)
	d30, d90, d365 := now.Add(-30*day), now.Add(-90*day), now.Add(-365*day)
	var counts [nKinds]int
	need, interest, recent := 0, 0, 0
	var demo time.Time // the newest demo request
	webinar := false
	for i := range l.Activities {
		a := &l.Activities[i]
		if a.At.After(now) {
			continue
		}
		if !a.At.Before(d30) {
			recent++
		}
		k, window, in := -1, d90, lead.IntentNone
		switch a.Kind {
		case lead.KindDemoRequest:
			if a.At.After(demo) {
				demo = a.At
			}
			in = lead.IntentNeed
		case lead.KindPricingRequest, lead.KindProductInfoRequest, lead.KindQuoteRequest,
			lead.KindContactRequest, lead.KindTrialStarted, lead.KindMeetingBooked, lead.KindCallConnected:
			in = lead.IntentNeed
		case lead.KindWebinarAttended:
			in = lead.IntentInterest
			webinar = webinar || !a.At.Before(d90)
		case lead.KindWebinarRegistered, lead.KindNewsletterSignup:
			in = lead.IntentInterest
		case lead.KindWhitePaper:
			k, in = kWhitePaper, lead.IntentInterest
		case lead.KindEbook:
			k, in = kEbook, lead.IntentInterest
		case lead.KindResearchReport:
			k, in = kReport, lead.IntentInterest
		case lead.KindTradeShow:
			k, in = kTradeShow, lead.IntentInterest
		case lead.KindSeminar:
			k, in = kSeminar, lead.IntentInterest
		case lead.KindConference:
			k, in = kConference, lead.IntentInterest
		case lead.KindEmailClick:
			k, window = kClick, d30
		case lead.KindPageVisit:
			k, window = kVisit, d30
		case lead.KindUnsubscribe:
			k, window = kUnsub, d365
		}
		switch in {
		case lead.IntentNeed:
			if !a.At.Before(d30) {
				need++
			}
		case lead.IntentInterest:
			if !a.At.Before(d90) {
				interest++
			}
		}
		if k >= 0 && !a.At.Before(window) {
			counts[k]++
		}
	}

	o := Outcome{Matched: make([]string, 0, len(Rules))}
	match := func(name string) { o.Matched = append(o.Matched, name) }
	fit := func(name string, pts float64) { match(name); o.Fit += pts }
	eng := func(name string, pts float64) { match(name); o.Engagement += pts }
	dnc, _ := l.Fields["do_not_contact"].(bool)
	if l.LostReason == lead.ReasonDoNotContact || dnc {
		match("do-not-contact")
	}
	if l.LostReason == lead.ReasonNotAFit {
		match("not-a-fit")
	}
	if l.LostReason == lead.ReasonPreferredSupplier || l.LostReason == lead.ReasonOffshored {
		match("lost-to-competition")
	}
	if need > 0 {
		match("need")
	}
	if interest > 0 {
		match("interest")
	}
	if !demo.IsZero() && now.Sub(demo) < 7*day {
		eng("demo-this-week", 20)
	}
	switch l.Contact.Role {
	case lead.RoleDecisionMaker:
		fit("decision-maker", 25)
	case lead.RoleInfluencer, lead.RoleUser:
		fit("influencer-or-user", 5)
	}
	if l.Company.Employees >= 50 {
		fit("company-size", 15)
	}
	if l.Budget.Known() && l.Budget.Currency == "GBP" && l.Budget.Amount.GreaterThanOrEqual(tenThousand) {
		fit("big-budget", 20)
	}
	switch l.Company.Country {
	case "GB", "IE", "DE", "FR", "NL":
		fit("target-country", 5)
	}
	if c := counts[kWhitePaper] + counts[kEbook] + counts[kReport]; c > 0 {
		eng("content", float64(min(30, 10*c)))
	}
	if webinar {
		eng("webinar", 15)
	}
	if c := counts[kTradeShow] + counts[kSeminar] + counts[kConference]; c > 0 {
		eng("events", float64(min(20, 10*c)))
	}
	if c := counts[kClick]; c > 0 {
		eng("clicks", float64(min(20, 5*c)))
	}
	if c := counts[kVisit]; c > 0 {
		eng("visits", float64(min(10, c)))
	}
	if recent >= 10 {
		eng("busy", 10)
	}
	if counts[kUnsub] > 0 {
		eng("unsubscribed", -20)
	}
	if plan, _ := l.Fields["plan"].(string); plan == "pro" || plan == "enterprise" {
		fit("plan", 10)
	}
	if !l.ExpectedPurchase.IsZero() && l.ExpectedPurchase.Before(now.Add(90*day)) {
		fit("buying-soon", 10)
	}
	return o
}
