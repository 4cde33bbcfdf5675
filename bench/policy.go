package bench

import (
	"fmt"
	"strings"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// Rule is one rule of the benchmark's policy, as each language writes it.
// Exactly one effect: an intent, points on a dimension, or a
// disqualification.
type Rule struct {
	Name       string
	Intent     lead.Intent
	Dimension  qualify.Dimension
	Disqualify lead.Reason
	// Leadqual, Expr and CEL are the rule's condition in each language;
	// the points likewise, empty when the rule has none ("" points with a
	// dimension are never used: every points rule states them).
	Leadqual, Expr, CEL                   string
	LeadqualPoints, ExprPoints, CELPoints string
}

// Rules is the benchmark's policy: 20 rules of the shapes a CRM's policy is
// made of. Helpers' windows: count(kind, days); signals, fresh and since as
// in qualify's language (need fresh for 30 days, interest for 90).
var Rules = []Rule{
	{Name: "do-not-contact", Disqualify: lead.ReasonDoNotContact,
		Leadqual: `lost_reason == "do_not_contact" || fields.do_not_contact == true`,
		Expr:     `LostReason == "do_not_contact" || Fields.do_not_contact == true`,
		CEL:      `lost_reason == "do_not_contact" || (has(fields.do_not_contact) && fields.do_not_contact == true)`},
	{Name: "not-a-fit", Disqualify: lead.ReasonNotAFit,
		Leadqual: `lost_reason == "not_a_fit"`,
		Expr:     `LostReason == "not_a_fit"`,
		CEL:      `lost_reason == "not_a_fit"`},
	{Name: "lost-to-competition", Disqualify: lead.ReasonPreferredSupplier,
		Leadqual: `lost_reason in ["preferred_supplier", "offshored"]`,
		Expr:     `LostReason in ["preferred_supplier", "offshored"]`,
		CEL:      `lost_reason in ["preferred_supplier", "offshored"]`},
	{Name: "need", Intent: lead.IntentNeed,
		Leadqual: `signals("need") > 0`,
		Expr:     `Signals("need") > 0`,
		CEL:      `lead.signals("need") > 0`},
	{Name: "interest", Intent: lead.IntentInterest,
		Leadqual: `signals("interest") > 0`,
		Expr:     `Signals("interest") > 0`,
		CEL:      `lead.signals("interest") > 0`},
	{Name: "demo-this-week", Dimension: qualify.DimensionEngagement,
		Leadqual: `since("demo_request") < days(7)`, LeadqualPoints: "20",
		Expr: `Since("demo_request") < duration("168h")`, ExprPoints: "20",
		CEL: `lead.since("demo_request") < duration("168h")`, CELPoints: "20"},
	{Name: "decision-maker", Dimension: qualify.DimensionFit,
		Leadqual: `contact.role == "decision_maker"`, LeadqualPoints: "25",
		Expr: `Role == "decision_maker"`, ExprPoints: "25",
		CEL: `role == "decision_maker"`, CELPoints: "25"},
	{Name: "influencer-or-user", Dimension: qualify.DimensionFit,
		Leadqual: `contact.role in ["influencer", "user"]`, LeadqualPoints: "5",
		Expr: `Role in ["influencer", "user"]`, ExprPoints: "5",
		CEL: `role in ["influencer", "user"]`, CELPoints: "5"},
	{Name: "company-size", Dimension: qualify.DimensionFit,
		Leadqual: `company.employees >= 50`, LeadqualPoints: "15",
		Expr: `Employees >= 50`, ExprPoints: "15",
		CEL: `employees >= 50`, CELPoints: "15"},
	{Name: "big-budget", Dimension: qualify.DimensionFit,
		Leadqual: `budget >= money("10000", "GBP")`, LeadqualPoints: "20",
		Expr: `BudgetKnown && Budget >= 10000.0`, ExprPoints: "20",
		CEL: `budget_known && budget >= 10000.0`, CELPoints: "20"},
	{Name: "target-country", Dimension: qualify.DimensionFit,
		Leadqual: `company.country in ["GB", "IE", "DE", "FR", "NL"]`, LeadqualPoints: "5",
		Expr: `Country in ["GB", "IE", "DE", "FR", "NL"]`, ExprPoints: "5",
		CEL: `country in ["GB", "IE", "DE", "FR", "NL"]`, CELPoints: "5"},
	{Name: "content", Dimension: qualify.DimensionEngagement,
		Leadqual:       `count("white_paper", "90d") + count("ebook", "90d") + count("research_report", "90d") > 0`,
		LeadqualPoints: `min(30, 10 * (count("white_paper", "90d") + count("ebook", "90d") + count("research_report", "90d")))`,
		Expr:           `Count("white_paper", 90) + Count("ebook", 90) + Count("research_report", 90) > 0`,
		ExprPoints:     `min(30, 10 * (Count("white_paper", 90) + Count("ebook", 90) + Count("research_report", 90)))`,
		CEL:            `lead.count("white_paper", 90) + lead.count("ebook", 90) + lead.count("research_report", 90) > 0`,
		CELPoints:      `math.least(30, 10 * (lead.count("white_paper", 90) + lead.count("ebook", 90) + lead.count("research_report", 90)))`},
	{Name: "webinar", Dimension: qualify.DimensionEngagement,
		Leadqual: `fresh("webinar_attended")`, LeadqualPoints: "15",
		Expr: `Fresh("webinar_attended")`, ExprPoints: "15",
		CEL: `lead.fresh("webinar_attended")`, CELPoints: "15"},
	{Name: "events", Dimension: qualify.DimensionEngagement,
		Leadqual:       `count("trade_show", "90d") + count("seminar", "90d") + count("conference", "90d") > 0`,
		LeadqualPoints: `min(20, 10 * (count("trade_show", "90d") + count("seminar", "90d") + count("conference", "90d")))`,
		Expr:           `Count("trade_show", 90) + Count("seminar", 90) + Count("conference", 90) > 0`,
		ExprPoints:     `min(20, 10 * (Count("trade_show", 90) + Count("seminar", 90) + Count("conference", 90)))`,
		CEL:            `lead.count("trade_show", 90) + lead.count("seminar", 90) + lead.count("conference", 90) > 0`,
		CELPoints:      `math.least(20, 10 * (lead.count("trade_show", 90) + lead.count("seminar", 90) + lead.count("conference", 90)))`},
	{Name: "clicks", Dimension: qualify.DimensionEngagement,
		Leadqual: `count("email_click", "30d") > 0`, LeadqualPoints: `min(20, 5 * count("email_click", "30d"))`,
		Expr: `Count("email_click", 30) > 0`, ExprPoints: `min(20, 5 * Count("email_click", 30))`,
		CEL: `lead.count("email_click", 30) > 0`, CELPoints: `math.least(20, 5 * lead.count("email_click", 30))`},
	{Name: "visits", Dimension: qualify.DimensionEngagement,
		Leadqual: `count("page_visit", "30d") > 0`, LeadqualPoints: `min(10, count("page_visit", "30d"))`,
		Expr: `Count("page_visit", 30) > 0`, ExprPoints: `min(10, Count("page_visit", 30))`,
		CEL: `lead.count("page_visit", 30) > 0`, CELPoints: `math.least(10, lead.count("page_visit", 30))`},
	{Name: "busy", Dimension: qualify.DimensionEngagement,
		Leadqual: `count("*", "30d") >= 10`, LeadqualPoints: "10",
		Expr: `CountAll(30) >= 10`, ExprPoints: "10",
		CEL: `lead.count_all(30) >= 10`, CELPoints: "10"},
	{Name: "unsubscribed", Dimension: qualify.DimensionEngagement,
		Leadqual: `count("unsubscribe", "365d") > 0`, LeadqualPoints: "-20",
		Expr: `Count("unsubscribe", 365) > 0`, ExprPoints: "-20",
		CEL: `lead.count("unsubscribe", 365) > 0`, CELPoints: "-20"},
	{Name: "plan", Dimension: qualify.DimensionFit,
		Leadqual: `fields.plan in ["pro", "enterprise"]`, LeadqualPoints: "10",
		Expr: `Fields.plan in ["pro", "enterprise"]`, ExprPoints: "10",
		CEL: `has(fields.plan) && fields.plan in ["pro", "enterprise"]`, CELPoints: "10"},
	{Name: "buying-soon", Dimension: qualify.DimensionFit,
		Leadqual: `known(expected_purchase) && expected_purchase < now + days(90)`, LeadqualPoints: "10",
		Expr: `ExpectedKnown && ExpectedPurchase < Now + duration("2160h")`, ExprPoints: "10",
		CEL: `expected_known && expected_purchase < now + duration("2160h")`, CELPoints: "10"},
}

// Spec returns the policy for leadqual. With everyActivity, every rule's
// condition also names all the lead's activities (len(activities) >= 0
// && ...), the shape that once copied them on every evaluation.
func Spec(everyActivity bool) qualify.Spec {
	s := qualify.Spec{Name: "bench-20"}
	for _, r := range Rules {
		when := r.Leadqual
		if everyActivity {
			when = "len(activities) >= 0 && (" + when + ")"
		}
		s.Rules = append(s.Rules, qualify.Rule{Name: r.Name, When: when, Reason: r.Name, Intent: r.Intent,
			Dimension: r.Dimension, Points: qualify.Points(r.LeadqualPoints), Disqualify: r.Disqualify})
	}
	return s
}

// Outcome is what every implementation decides about a lead: the rules
// that matched, in policy order, and the fit and engagement they add up to.
type Outcome struct {
	Matched         []string
	Fit, Engagement float64
}

func (o Outcome) String() string {
	return fmt.Sprintf("fit %v, engagement %v: %s", o.Fit, o.Engagement, strings.Join(o.Matched, ", "))
}

// outcomeOf returns the Outcome of a leadqual decision.
func outcomeOf(d qualify.Decision) Outcome {
	o := Outcome{Fit: d.Fit, Engagement: d.Engagement, Matched: make([]string, len(d.Matched))}
	for i, m := range d.Matched {
		o.Matched[i] = m.Rule
	}
	return o
}

// tally adds a matched rule's effect to o.
func (o *Outcome) tally(r *Rule, pts float64) {
	o.Matched = append(o.Matched, r.Name)
	switch r.Dimension {
	case qualify.DimensionFit:
		o.Fit += pts
	case qualify.DimensionEngagement:
		o.Engagement += pts
	}
}
