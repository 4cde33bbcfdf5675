package qualify

import (
	"time"

	"github.com/leadqual/leadqual/lead"
)

// yardstick is the default policy written by hand in plain Go, as a careful
// engineer would: one pass over the activities into fixed slots per kind,
// then the rules as if statements. It does the same work as Evaluate with
// the default policy, Decision and all (TestYardstickAgrees holds it to
// that), and is what the benchmarks compare Evaluate with.
func yardstick(l *lead.Lead, now time.Time, version string) Decision {
	const (
		kPricing = iota
		kProductInfo
		kQuote
		kDemo
		kContact
		kCall
		kMeeting
		kTrial
		kWhitePaper
		kEbook
		kReport
		kWebinarReg
		kWebinarAtt
		kNewsletter
		kClick
		kVisit
		kUnsub
		kBounce
		kSpam
		nKinds
	)
	var last [nKinds]time.Time
	var seen [nKinds]bool
	var wp90, eb90, rr90, click30, visit30, unsub365, bounce365, spam3650, interest90 int
	var needAt time.Time
	d30, d90 := now.Add(-30*24*time.Hour), now.Add(-90*24*time.Hour)
	d365, d3650 := now.Add(-365*24*time.Hour), now.Add(-3650*24*time.Hour)
	for i := range l.Activities {
		a := &l.Activities[i]
		if a.At.After(now) {
			continue
		}
		k := -1
		switch a.Kind {
		case lead.KindPricingRequest:
			k = kPricing
		case lead.KindProductInfoRequest:
			k = kProductInfo
		case lead.KindQuoteRequest:
			k = kQuote
		case lead.KindDemoRequest:
			k = kDemo
		case lead.KindContactRequest:
			k = kContact
		case lead.KindCallConnected:
			k = kCall
		case lead.KindMeetingBooked:
			k = kMeeting
		case lead.KindTrialStarted:
			k = kTrial
		case lead.KindWhitePaper:
			k = kWhitePaper
		case lead.KindEbook:
			k = kEbook
		case lead.KindResearchReport:
			k = kReport
		case lead.KindWebinarRegistered:
			k = kWebinarReg
		case lead.KindWebinarAttended:
			k = kWebinarAtt
		case lead.KindNewsletterSignup:
			k = kNewsletter
		case lead.KindEmailClick:
			k = kClick
		case lead.KindPageVisit:
			k = kVisit
		case lead.KindUnsubscribe:
			k = kUnsub
		case lead.KindBounce:
			k = kBounce
		case lead.KindSpamComplaint:
			k = kSpam
		default:
			continue
		}
		if !seen[k] || a.At.After(last[k]) {
			seen[k], last[k] = true, a.At
		}
		switch {
		case k <= kTrial:
			if !a.At.Before(d30) && (needAt.IsZero() || a.At.After(needAt)) {
				needAt = a.At
			}
		case k <= kNewsletter:
			if !a.At.Before(d90) {
				interest90++
				switch k {
				case kWhitePaper:
					wp90++
				case kEbook:
					eb90++
				case kReport:
					rr90++
				}
			}
		case k == kClick:
			if !a.At.Before(d30) {
				click30++
			}
		case k == kVisit:
			if !a.At.Before(d30) {
				visit30++
			}
		case k == kUnsub:
			if !a.At.Before(d365) {
				unsub365++
			}
		case k == kBounce:
			if !a.At.Before(d365) {
				bounce365++
			}
		case k == kSpam:
			if !a.At.Before(d3650) {
				spam3650++
			}
		}
	}
	fresh := func(k int, cut time.Time) bool { return seen[k] && !last[k].Before(cut) }

	d := Decision{Lead: l.ID, Stage: l.Stage, Policy: "leadqual-default", Version: version, At: now}
	var matched [27]Match
	n := 0
	match := func(m Match) { matched[n] = m; n++ }
	var need, interest bool
	var disq lead.Reason
	dq := func(name string, r lead.Reason, reason string) {
		if disq == "" {
			disq = r
		}
		match(Match{Rule: name, Reason: reason, Disqualify: r})
	}
	if dnc, _ := l.Fields["do_not_contact"].(bool); l.LostReason == lead.ReasonDoNotContact || dnc {
		dq("do-not-contact", lead.ReasonDoNotContact, "asked not to be contacted: final")
	}
	switch l.LostReason {
	case lead.ReasonNotAFit:
		dq("not-a-fit", lead.ReasonNotAFit, "a true non-fit: final")
	case lead.ReasonPreferredSupplier:
		dq("preferred-supplier", lead.ReasonPreferredSupplier, "chose another preferred supplier: out of scope for now, revisit at the renewal")
	case lead.ReasonOffshored:
		dq("offshored", lead.ReasonOffshored, "moved the work to a cheaper partner abroad: out of scope for now, revisit later")
	}
	for _, r := range [...]struct {
		k            int
		name, reason string
	}{
		{kPricing, "pricing-request", "asked for pricing"},
		{kProductInfo, "product-info-request", "asked for product information"},
		{kQuote, "quote-request", "asked for a quote"},
		{kDemo, "demo-request", "asked for a demo"},
		{kContact, "contact-request", "asked to be contacted"},
		{kCall, "phone-conversation", "had a phone conversation with us"},
		{kMeeting, "meeting-booked", "booked a meeting"},
		{kTrial, "trial-started", "started a trial"},
	} {
		if fresh(r.k, d30) {
			need = true
			match(Match{Rule: r.name, Reason: r.reason, Intent: lead.IntentNeed})
		}
	}
	if fresh(kWhitePaper, d90) || fresh(kEbook, d90) || fresh(kReport, d90) {
		interest = true
		match(Match{Rule: "education-content", Reason: "downloaded educational content", Intent: lead.IntentInterest})
	}
	if fresh(kWebinarReg, d90) || fresh(kWebinarAtt, d90) {
		interest = true
		match(Match{Rule: "webinar", Reason: "registered for or attended a webinar", Intent: lead.IntentInterest})
	}
	if fresh(kNewsletter, d90) {
		interest = true
		match(Match{Rule: "newsletter", Reason: "signed up for the newsletter", Intent: lead.IntentInterest})
	}
	fit := func(name, reason string, pts float64) {
		d.Fit += pts
		match(Match{Rule: name, Reason: reason, Dimension: DimensionFit, Points: pts})
	}
	eng := func(name, reason string, pts float64) {
		d.Engagement += pts
		match(Match{Rule: name, Reason: reason, Dimension: DimensionEngagement, Points: pts})
	}
	switch l.Contact.Role {
	case lead.RoleDecisionMaker:
		fit("decision-maker", "talking to a decision maker", 25)
	case lead.RoleInfluencer:
		fit("influencer", "talking to an influencer", 10)
	case lead.RoleUser, lead.RoleUnknown:
		fit("no-decision-maker", "no decision maker reachable yet: reach the sales, finance or managing director", -10)
	}
	if l.Company.Employees >= 50 {
		fit("company-size", "a company of 50 or more people", 15)
	}
	if l.Budget.Known() {
		fit("stated-budget", "stated a budget", 10)
	}
	if interest90 > 0 {
		eng("content-downloads", "consumed educational content (10 points each, at most 30)", float64(min(30, 10*(wp90+eb90+rr90))))
	}
	if fresh(kWebinarAtt, d90) {
		eng("webinar-attended", "attended a webinar", 15)
	}
	if click30 > 0 {
		eng("email-clicks", "clicked our emails (5 points each, at most 20)", float64(min(20, 5*click30)))
	}
	if visit30 > 0 {
		eng("page-visits", "visited our pages (1 point each, at most 10)", float64(min(10, visit30)))
	}
	if unsub365 > 0 {
		eng("unsubscribed", "unsubscribed from email", -20)
	}
	if bounce365 > 0 {
		eng("bounced", "an email to them bounced", -10)
	}
	if spam3650 > 0 {
		eng("spam-complaint", "complained of spam", -40)
	}
	d.Matched = make([]Match, n)
	copy(d.Matched, matched[:n])

	next := l.Stage
	if need {
		d.Verdict = VerdictNeed
	} else if interest {
		d.Verdict = VerdictInterest
	}
	d.Qualified = !need && d.Fit >= 30 && d.Engagement >= 40
	switch {
	case disq != "":
		d.Verdict, d.Reason, d.Qualified = VerdictOutOfScope, disq, false
		if disq.Final() {
			d.Route, next = RouteDrop, lead.StageDisqualified
		} else {
			d.Route, next = RouteRecycle, lead.StageRecycled
		}
	case l.Stage == lead.StageDisqualified:
		d.Route = RouteDrop
	case need:
		d.Route, next = RouteSales, lead.StageSalesAccepted
		if needAt.IsZero() {
			needAt = now
		}
		d.Deadline = needAt.Add(5 * time.Minute)
	case d.Qualified:
		d.Route, next = RouteSales, lead.StageMarketingQualified
	case l.Stage >= lead.StageSalesAccepted && l.Stage <= lead.StageWon:
		d.Route = RouteSales
	case interest:
		d.Route, next = RouteNurture, lead.StageNurturing
	case l.Stage == lead.StageLost || l.Stage == lead.StageRecycled:
		d.Route, next = RouteRecycle, lead.StageRecycled
	default:
		d.Route, next = RouteNurture, lead.StageNurturing
	}
	d.NextStage = l.Stage
	if lead.CanMove(l.Stage, next) {
		d.NextStage = next
	}
	return d
}
