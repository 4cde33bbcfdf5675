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
	d, _ := yardstickAfter(l, now, version, time.Time{})
	return d
}

// yardstickAfter is yardstick for a contact of an account lost at
// accountLost (zero: never), whose loss answers the need before it; it
// also reports whether the lead shows fresh need or interest.
func yardstickAfter(l *lead.Lead, now time.Time, version string, accountLost time.Time) (Decision, bool) {
	const (
		kWhitePaper = iota
		kEbook
		kReport
		kTradeShow
		kSeminar
		kConference
		kWebinarAtt
		kClick
		kVisit
		kUnsub
		kBounce
		kSpam
		nKinds
	)
	lost := accountLost // the latest move into lost, recycled or disqualified
	for _, t := range l.History {
		if (t.To == lead.StageLost || t.To == lead.StageRecycled || t.To == lead.StageDisqualified) && t.At.After(lost) && !t.At.After(now) {
			lost = t.At
		}
	}
	var lastWebinar time.Time
	var counts [nKinds]int
	need, interest := -1, -1 // the newest fresh need and interest activities
	d30, d90 := now.Add(-30*24*time.Hour), now.Add(-90*24*time.Hour)
	d365, d3650 := now.Add(-365*24*time.Hour), now.Add(-3650*24*time.Hour)
	needCut := d30
	if lost.After(needCut) {
		needCut = lost.Add(1)
	}
	for i := range l.Activities {
		a := &l.Activities[i]
		if a.At.After(now) {
			continue
		}
		k, window, isInterest := -1, d90, false
		switch a.Kind {
		case lead.KindPricingRequest, lead.KindProductInfoRequest, lead.KindQuoteRequest, lead.KindDemoRequest,
			lead.KindContactRequest, lead.KindCallConnected, lead.KindMeetingBooked, lead.KindTrialStarted:
			if !a.At.Before(needCut) && (need < 0 || a.At.After(l.Activities[need].At)) {
				need = i
			}
			continue
		case lead.KindWebinarRegistered, lead.KindNewsletterSignup:
			isInterest = true
		case lead.KindWebinarAttended:
			k, isInterest = kWebinarAtt, true
			if a.At.After(lastWebinar) {
				lastWebinar = a.At
			}
		case lead.KindWhitePaper:
			k, isInterest = kWhitePaper, true
		case lead.KindEbook:
			k, isInterest = kEbook, true
		case lead.KindResearchReport:
			k, isInterest = kReport, true
		case lead.KindTradeShow:
			k, isInterest = kTradeShow, true
		case lead.KindSeminar:
			k, isInterest = kSeminar, true
		case lead.KindConference:
			k, isInterest = kConference, true
		case lead.KindEmailClick:
			k, window = kClick, d30
		case lead.KindPageVisit:
			k, window = kVisit, d30
		case lead.KindUnsubscribe:
			k, window = kUnsub, d365
		case lead.KindBounce:
			k, window = kBounce, d365
		case lead.KindSpamComplaint:
			k, window = kSpam, d3650
		default:
			continue
		}
		if isInterest && !a.At.Before(d90) && (interest < 0 || a.At.After(l.Activities[interest].At)) {
			interest = i
		}
		if k >= 0 && !a.At.Before(window) {
			counts[k]++
		}
	}

	d := Decision{Lead: l.ID, Stage: l.Stage, Value: l.Value, Policy: "leadqual-default", Version: version, At: now}
	var matched [19]Match
	n := 0
	match := func(m Match) { matched[n] = m; n++ }
	var disq lead.Reason
	dq := func(name string, r lead.Reason, reason string) {
		if disq == "" {
			disq = r
		}
		match(Match{Rule: name, Reason: reason, Disqualify: r})
	}
	dnc, _ := l.Fields["do_not_contact"].(bool)
	dnc = dnc || l.LostReason == lead.ReasonDoNotContact
	if dnc {
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
	if need >= 0 {
		match(Match{Rule: "need", Reason: l.Activities[need].Kind.Describe(), Intent: lead.IntentNeed})
	}
	if interest >= 0 {
		match(Match{Rule: "interest", Reason: l.Activities[interest].Kind.Describe(), Intent: lead.IntentInterest})
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
	case lead.RoleUser:
		fit("no-decision-maker", "talking to a user, not a decision maker: reach the sales, finance or managing director", -10)
	}
	if l.Company.Employees >= 50 {
		fit("company-size", "a company of 50 or more people", 15)
	}
	if l.Budget.Known() {
		fit("stated-budget", "stated a budget", 10)
	}
	if c := counts[kWhitePaper] + counts[kEbook] + counts[kReport]; c > 0 {
		eng("content-downloads", "consumed educational content (10 points each, at most 30)", float64(min(30, 10*c)))
	}
	if !lastWebinar.IsZero() && !lastWebinar.Before(d90) {
		eng("webinar-attended", "attended a webinar", 15)
	}
	if c := counts[kTradeShow] + counts[kSeminar] + counts[kConference]; c > 0 {
		eng("events", "met us at trade shows, seminars or conferences (10 points each, at most 20)", float64(min(20, 10*c)))
	}
	if c := counts[kClick]; c > 0 {
		eng("email-clicks", "clicked our emails (5 points each, at most 20)", float64(min(20, 5*c)))
	}
	if c := counts[kVisit]; c > 0 {
		eng("page-visits", "visited our pages (1 point each, at most 10)", float64(min(10, c)))
	}
	if counts[kUnsub] > 0 {
		eng("unsubscribed", "unsubscribed from email", -20)
	}
	if counts[kBounce] > 0 {
		eng("bounced", "an email to them bounced", -10)
	}
	if counts[kSpam] > 0 {
		eng("spam-complaint", "complained of spam", -40)
	}
	d.Matched = make([]Match, n)
	copy(d.Matched, matched[:n])

	next := l.Stage
	if need >= 0 {
		d.Verdict = VerdictNeed
		d.NeedKind, d.NeedAt = l.Activities[need].Kind, l.Activities[need].At
	} else if interest >= 0 {
		d.Verdict = VerdictInterest
	}
	d.Qualified = need < 0 && d.Fit >= 30 && d.Engagement >= 40
	closed := disq.Final() || l.Stage == lead.StageDisqualified
	setAside := disq != "" || l.Stage == lead.StageLost || l.Stage == lead.StageRecycled
	what := func() string {
		if need >= 0 {
			return l.Activities[need].Kind.Describe()
		}
		return "asked to be helped"
	}
	switch {
	case dnc:
		d.Verdict, d.Reason, d.Qualified = VerdictOutOfScope, lead.ReasonDoNotContact, false
		d.Route, next = RouteDrop, lead.StageDisqualified
	case need >= 0 && closed:
		d.Reason = disq
		if d.Reason == "" {
			d.Reason = l.LostReason
		}
		if d.Reason == "" {
			d.Reason = lead.ReasonNotAFit
		}
		d.Route, d.Priority = RouteReview, PriorityReview
		d.Note = what() + " after being " + d.Reason.Describe() + ": a person must decide whether to reopen it"
	case need >= 0 && setAside:
		d.Reopened = disq
		if d.Reopened == "" {
			d.Reopened = l.LostReason
		}
		d.Route, next, d.Priority = RouteSales, lead.StageSalesAccepted, PriorityNeed
		d.Deadline = d.NeedAt.Add(5 * time.Minute)
		d.Note = what() + " after being " + d.Reopened.Describe()
	case disq != "":
		d.Verdict, d.Reason, d.Qualified = VerdictOutOfScope, disq, false
		if disq.Final() {
			d.Route, next = RouteDrop, lead.StageDisqualified
		} else {
			d.Route, next = RouteRecycle, lead.StageRecycled
		}
	case l.Stage == lead.StageDisqualified:
		d.Route = RouteDrop
	case need >= 0:
		d.Route, next, d.Priority = RouteSales, lead.StageSalesAccepted, PriorityNeed
		d.Deadline = d.NeedAt.Add(5 * time.Minute)
	case d.Qualified:
		d.Route, next, d.Priority = RouteSales, lead.StageMarketingQualified, PriorityQualified
	case l.Stage >= lead.StageSalesAccepted && l.Stage <= lead.StageWon:
		d.Route, d.Priority = RouteSales, PriorityPipeline
	case interest >= 0:
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
	return d, need >= 0 || interest >= 0
}
