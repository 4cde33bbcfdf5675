package qualify

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func defaultPolicy(t testing.TB, opts ...Option) *Policy {
	t.Helper()
	p, err := Compile(DefaultSpec(), opts...)
	require.NoError(t, err)
	return p
}

func evalAt(t testing.TB, p *Policy, l *lead.Lead) Decision {
	t.Helper()
	d, err := EvaluateAt(context.Background(), p, l, t0)
	require.NoError(t, err)
	return d
}

func matchedRules(d Decision) []string {
	out := make([]string, len(d.Matched))
	for i, m := range d.Matched {
		out[i] = m.Rule
	}
	return out
}

func TestDefaultPolicyVerdicts(t *testing.T) {
	// Each row is a lead built from a base and a change.
	base := func() *lead.Lead { return newLead("L") }
	tests := []struct {
		name    string
		build   func(l *lead.Lead)
		verdict Verdict
		route   Route
		next    lead.Stage
		rules   []string // must be among the matched rules
	}{
		{"nothing known", func(l *lead.Lead) {}, VerdictNone, RouteNurture, lead.StageNurturing, nil},
		{"pricing request", func(l *lead.Lead) { l.Activities = []lead.Activity{act(lead.KindPricingRequest, ago(time.Hour))} },
			VerdictNeed, RouteSales, lead.StageSalesAccepted, []string{"need"}},
		{"product information", func(l *lead.Lead) { l.Activities = []lead.Activity{act(lead.KindProductInfoRequest, ago(time.Hour))} },
			VerdictNeed, RouteSales, lead.StageSalesAccepted, []string{"need"}},
		{"quote", func(l *lead.Lead) { l.Activities = []lead.Activity{act(lead.KindQuoteRequest, ago(time.Hour))} },
			VerdictNeed, RouteSales, lead.StageSalesAccepted, []string{"need"}},
		{"demo", func(l *lead.Lead) { l.Activities = []lead.Activity{act(lead.KindDemoRequest, ago(time.Hour))} },
			VerdictNeed, RouteSales, lead.StageSalesAccepted, []string{"need"}},
		{"contact me", func(l *lead.Lead) { l.Activities = []lead.Activity{act(lead.KindContactRequest, ago(time.Hour))} },
			VerdictNeed, RouteSales, lead.StageSalesAccepted, []string{"need"}},
		{"phone conversation", func(l *lead.Lead) { l.Activities = []lead.Activity{act(lead.KindCallConnected, ago(time.Hour))} },
			VerdictNeed, RouteSales, lead.StageSalesAccepted, []string{"need"}},
		{"white paper", func(l *lead.Lead) { l.Activities = []lead.Activity{act(lead.KindWhitePaper, ago(day))} },
			VerdictInterest, RouteNurture, lead.StageNurturing, []string{"interest", "content-downloads"}},
		{"e-book", func(l *lead.Lead) { l.Activities = []lead.Activity{act(lead.KindEbook, ago(day))} },
			VerdictInterest, RouteNurture, lead.StageNurturing, []string{"interest"}},
		{"research report", func(l *lead.Lead) { l.Activities = []lead.Activity{act(lead.KindResearchReport, ago(day))} },
			VerdictInterest, RouteNurture, lead.StageNurturing, []string{"interest"}},
		{"webinar", func(l *lead.Lead) { l.Activities = []lead.Activity{act(lead.KindWebinarAttended, ago(day))} },
			VerdictInterest, RouteNurture, lead.StageNurturing, []string{"interest", "webinar-attended"}},
		{"newsletter", func(l *lead.Lead) { l.Activities = []lead.Activity{act(lead.KindNewsletterSignup, ago(day))} },
			VerdictInterest, RouteNurture, lead.StageNurturing, []string{"interest"}},
		{"preferred supplier", func(l *lead.Lead) { l.Stage, l.LostReason = lead.StageLost, lead.ReasonPreferredSupplier },
			VerdictOutOfScope, RouteRecycle, lead.StageRecycled, []string{"preferred-supplier"}},
		{"offshored", func(l *lead.Lead) { l.Stage, l.LostReason = lead.StageLost, lead.ReasonOffshored },
			VerdictOutOfScope, RouteRecycle, lead.StageRecycled, []string{"offshored"}},
		{"not a fit", func(l *lead.Lead) { l.Stage, l.LostReason = lead.StageLost, lead.ReasonNotAFit },
			VerdictOutOfScope, RouteDrop, lead.StageDisqualified, []string{"not-a-fit"}},
		{"do not contact", func(l *lead.Lead) { l.LostReason = lead.ReasonDoNotContact },
			VerdictOutOfScope, RouteDrop, lead.StageDisqualified, []string{"do-not-contact"}},
		{"do not contact as a custom field", func(l *lead.Lead) { l.Fields = map[string]any{"do_not_contact": true} },
			VerdictOutOfScope, RouteDrop, lead.StageDisqualified, []string{"do-not-contact"}},
		{"lost, no new signal", func(l *lead.Lead) { l.Stage, l.LostReason = lead.StageLost, lead.ReasonNotNow },
			VerdictNone, RouteRecycle, lead.StageRecycled, nil},
		{"recycled, new interest", func(l *lead.Lead) {
			l.Stage = lead.StageRecycled
			l.Activities = []lead.Activity{act(lead.KindWhitePaper, ago(day))}
		}, VerdictInterest, RouteNurture, lead.StageNurturing, []string{"interest"}},
		{"opportunity keeps its owner", func(l *lead.Lead) { l.Stage = lead.StageOpportunity },
			VerdictNone, RouteSales, lead.StageOpportunity, nil},
		{"already disqualified stays dropped", func(l *lead.Lead) {
			l.Stage = lead.StageDisqualified
			l.Activities = []lead.Activity{act(lead.KindWhitePaper, ago(time.Hour))}
		}, VerdictInterest, RouteDrop, lead.StageDisqualified, []string{"interest"}},
		{"disqualified, asks again: a person reviews it", func(l *lead.Lead) {
			l.Stage = lead.StageDisqualified
			l.Activities = []lead.Activity{act(lead.KindPricingRequest, ago(time.Hour))}
		}, VerdictNeed, RouteReview, lead.StageDisqualified, []string{"need"}},
		{"trade show", func(l *lead.Lead) { l.Activities = []lead.Activity{act(lead.KindTradeShow, ago(day))} },
			VerdictInterest, RouteNurture, lead.StageNurturing, []string{"interest", "events"}},
		{"seminar", func(l *lead.Lead) { l.Activities = []lead.Activity{act(lead.KindSeminar, ago(day))} },
			VerdictInterest, RouteNurture, lead.StageNurturing, []string{"interest", "events"}},
		{"conference", func(l *lead.Lead) { l.Activities = []lead.Activity{act(lead.KindConference, ago(day))} },
			VerdictInterest, RouteNurture, lead.StageNurturing, []string{"interest", "events"}},
		{"marketing-qualified", func(l *lead.Lead) {
			l.Contact.Role, l.Company.Employees = lead.RoleDecisionMaker, 500
			l.Activities = []lead.Activity{
				act(lead.KindWhitePaper, ago(2*day)), act(lead.KindEbook, ago(3*day)),
				act(lead.KindWebinarAttended, ago(day)), act(lead.KindEmailClick, ago(day)),
			}
		}, VerdictInterest, RouteSales, lead.StageMarketingQualified, []string{"decision-maker", "company-size", "webinar-attended"}},
	}
	p := defaultPolicy(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := base()
			tt.build(l)
			require.NoError(t, l.Validate(t0))
			d := evalAt(t, p, l)
			assert.Equal(t, tt.verdict, d.Verdict)
			assert.Equal(t, tt.route, d.Route)
			assert.Equal(t, tt.next, d.NextStage)
			assert.Equal(t, l.Stage, d.Stage)
			assert.Subset(t, matchedRules(d), tt.rules)
			assert.Equal(t, d.Verdict == VerdictNeed && d.Route == RouteSales, !d.Deadline.IsZero(), "deadline only for need")
			if d.Verdict == VerdictOutOfScope {
				assert.Equal(t, l.LostReason != "" || l.Fields != nil, d.Reason != "")
			}
			assert.True(t, d.NextStage == l.Stage || lead.CanMove(l.Stage, d.NextStage))
		})
	}
}

func TestPrecedence(t *testing.T) {
	p := defaultPolicy(t)
	// Out of scope beats need from before the loss: the loss answered it.
	l := newLead("L", act(lead.KindPricingRequest, ago(3*day)))
	l.Stage, l.LostReason = lead.StageLost, lead.ReasonPreferredSupplier
	l.History = []lead.Transition{{From: lead.StageOpportunity, To: lead.StageLost, At: ago(2 * day)}}
	d := evalAt(t, p, l)
	assert.Equal(t, VerdictOutOfScope, d.Verdict)
	assert.Equal(t, RouteRecycle, d.Route)
	assert.Equal(t, lead.ReasonPreferredSupplier, d.Reason)
	assert.True(t, d.Deadline.IsZero())
	assert.Contains(t, matchedRules(d), "preferred-supplier")
	assert.NotContains(t, matchedRules(d), "need", "need before the loss is not fresh")

	// Fresh need after the loss beats out of scope.
	l.Activities = append(l.Activities, act(lead.KindQuoteRequest, ago(time.Minute)))
	d = evalAt(t, p, l)
	assert.Equal(t, VerdictNeed, d.Verdict)
	assert.Equal(t, RouteSales, d.Route)
	assert.Equal(t, lead.ReasonPreferredSupplier, d.Reopened)
	assert.Equal(t, "asked for a quote after being lost to a preferred supplier", d.Note)
	assert.Equal(t, ago(time.Minute).Add(DefaultResponseDeadline), d.Deadline)
	assert.Subset(t, matchedRules(d), []string{"preferred-supplier", "need"}, "every matched rule is still listed")

	// Need beats interest, and need beats marketing qualification.
	l = newLead("L", act(lead.KindWhitePaper, ago(day)), act(lead.KindEbook, ago(day)), act(lead.KindResearchReport, ago(day)),
		act(lead.KindWebinarAttended, ago(day)), act(lead.KindDemoRequest, ago(time.Minute)))
	l.Contact.Role, l.Company.Employees = lead.RoleDecisionMaker, 500
	d = evalAt(t, p, l)
	assert.Equal(t, VerdictNeed, d.Verdict)
	assert.False(t, d.Qualified)
	assert.Equal(t, RouteSales, d.Route)
	assert.Equal(t, lead.StageSalesAccepted, d.NextStage)

	// The first matching disqualify rule gives the reason.
	s := spec(disqualify("a", "true", "first"), disqualify("b", "true", "second"))
	p2, err := Compile(s)
	require.NoError(t, err)
	d = evalAt(t, p2, newLead("L"))
	assert.Equal(t, lead.Reason("first"), d.Reason)
	assert.Equal(t, RouteRecycle, d.Route, "a host's own code recycles unless declared final")

	s.Settings.Final = []lead.Reason{"first"}
	p3, err := Compile(s)
	require.NoError(t, err)
	assert.Equal(t, RouteDrop, evalAt(t, p3, newLead("L")).Route)
}

func TestThresholds(t *testing.T) {
	s := spec(points("fit", "true", DimensionFit, "30"), points("eng", `count("email_click", "30d") > 0`, DimensionEngagement, `10 * count("email_click", "30d")`))
	p, err := Compile(s)
	require.NoError(t, err)
	for clicks, qualified := range map[int]bool{3: false, 4: true, 5: true} {
		l := newLead("L")
		for i := range clicks {
			l.Activities = append(l.Activities, act(lead.KindEmailClick, ago(time.Duration(i+1)*time.Hour)))
		}
		d := evalAt(t, p, l)
		assert.Equal(t, float64(30), d.Fit)
		assert.Equal(t, float64(10*clicks), d.Engagement)
		assert.Equal(t, qualified, d.Qualified, "%d clicks", clicks)
		if qualified {
			assert.Equal(t, RouteSales, d.Route)
			assert.Equal(t, lead.StageMarketingQualified, d.NextStage)
		} else {
			assert.Equal(t, RouteNurture, d.Route)
		}
	}

	s.Settings.MQLFit, s.Settings.MQLEngagement = 31, 10
	p, err = Compile(s)
	require.NoError(t, err)
	d := evalAt(t, p, newLead("L", act(lead.KindEmailClick, ago(time.Hour))))
	assert.False(t, d.Qualified, "fit 30 is below 31")
}

func TestFreshness(t *testing.T) {
	p := defaultPolicy(t)
	for _, tt := range []struct {
		kind lead.Kind
		at   time.Duration
		want Verdict
	}{
		{lead.KindPricingRequest, 29 * day, VerdictNeed},
		{lead.KindPricingRequest, 30 * day, VerdictNeed}, // the window includes its start
		{lead.KindPricingRequest, 30*day + time.Second, VerdictNone},
		{lead.KindWhitePaper, 89 * day, VerdictInterest},
		{lead.KindWhitePaper, 91 * day, VerdictNone},
		{lead.KindPricingRequest, -time.Minute, VerdictNone}, // in the future: ignored
	} {
		d := evalAt(t, p, newLead("L", act(tt.kind, ago(tt.at))))
		assert.Equal(t, tt.want, d.Verdict, "%s %s ago", tt.kind, tt.at)
	}

	s := DefaultSpec()
	s.Settings.NeedFresh, s.Settings.InterestFresh = 7*day, 14*day
	p, err := Compile(s)
	require.NoError(t, err)
	assert.Equal(t, VerdictNone, evalAt(t, p, newLead("L", act(lead.KindPricingRequest, ago(8*day)))).Verdict)
	assert.Equal(t, VerdictNone, evalAt(t, p, newLead("L", act(lead.KindWhitePaper, ago(15*day)))).Verdict)
	assert.Equal(t, VerdictInterest, evalAt(t, p, newLead("L", act(lead.KindWhitePaper, ago(13*day)))).Verdict)
}

func TestDeadline(t *testing.T) {
	p := defaultPolicy(t)
	d := evalAt(t, p, newLead("L", act(lead.KindDemoRequest, ago(3*day)), act(lead.KindPricingRequest, ago(2*time.Minute)),
		act(lead.KindQuoteRequest, ago(time.Hour))))
	assert.Equal(t, ago(2*time.Minute).Add(5*time.Minute), d.Deadline, "newest need activity plus five minutes")

	// Need from other evidence: counted from now.
	p2, err := Compile(spec(need("asked", `fields.asked_for_call == true`)))
	require.NoError(t, err)
	l := newLead("L")
	l.Fields = map[string]any{"asked_for_call": true}
	assert.Equal(t, t0.Add(DefaultResponseDeadline), evalAt(t, p2, l).Deadline)

	s := DefaultSpec()
	s.Settings.ResponseDeadline = time.Hour
	p3, err := Compile(s)
	require.NoError(t, err)
	assert.Equal(t, ago(time.Minute).Add(time.Hour), evalAt(t, p3, newLead("L", act(lead.KindPricingRequest, ago(time.Minute)))).Deadline)
}

func TestHelpers(t *testing.T) {
	l := newLead("L",
		act(lead.KindEmailClick, ago(time.Hour)), act(lead.KindEmailClick, ago(10*day)), act(lead.KindEmailClick, ago(40*day)),
		act(lead.KindWebinarAttended, ago(20*day)), act(lead.KindUnsubscribe, ago(2*day)),
		lead.Activity{Kind: lead.KindPageVisit, At: ago(time.Hour), Product: "RoutePlanner"},
		act("rfp_submitted", ago(3*day)), act(lead.KindPricingRequest, ago(time.Minute).Add(2*time.Hour)), // future
	)
	l.Contact.Email = "Ada@Example.CO.UK"
	l.Interests = []lead.Interest{{Topic: "Fleet Costs", FirstSeen: ago(200 * day), LastSeen: ago(5 * day)}, {Topic: "old", LastSeen: ago(400 * day)}}
	l.Consent = map[lead.Channel]lead.Consent{lead.ChannelEmail: {State: lead.ConsentOptedIn, At: ago(100 * day)}}
	l.Budget = lead.MustParseMoney("25000.00", "GBP")
	l.ExpectedPurchase = t0.Add(60 * day)

	tests := []struct{ when string }{
		{`count("email_click", "7d") == 1`},
		{`count("email_click", "30d") == 2`},
		{`count("email_click", days(60)) == 3`},
		{`count("email_click", "1d12h") == 1`},
		{`count("demo_request", "30d") == 0`},
		{`count("pricing_request", "3650d") == 0`}, // the future is not counted
		{`fresh("webinar_attended") && !fresh("demo_request")`},
		{`since("webinar_attended") == days(20)`},
		{`since("webinar_attended") > days(19) && since("webinar_attended") < weeks(3)`},
		{`since("demo_request") > days(36500)`},
		{`signals("interest") == 1 && signals("negative") == 1 && signals("need") == 0`},
		{`interested("fleet costs") && interested("routeplanner") && !interested("old") && !interested("nothing")`},
		{`known(budget) && !known(value) && known(expected_purchase) && !known(renewal)`},
		{`consent.email == "opted_in" && consent.phone == "unknown"`},
		{`contact.email_domain == "example.co.uk"`},
		{`company.employees == 20 && company.industry == "logistics" && company.country == "GB"`},
		{`budget >= money("25000", "GBP") && budget == money("25000.000", "GBP") && budget < money("25000.01", "GBP")`},
		{`budget + money("1", "GBP") > budget && budget - budget == money("0", "GBP")`},
		{`amount(budget) / 1000 == 25`},
		{`any(activities, .kind == "webinar_attended" && .intent == "interest")`},
		{`len(filter(activities, .kind == "email_click")) == 3`},
		{`len(activities) == 7`}, // the future activity is not among them
		{`any(interests, .topic == "Fleet Costs" && .last_seen < now)`},
		{`expected_purchase - now == days(60)`},
		{`now > created_at && stage == "new" && lost_reason == ""`},
		{`days(company.employees) == days(20)`},
		{`fields == nil`},
	}
	for _, tt := range tests {
		for _, mode := range []struct {
			name string
			opts []Option
		}{{"fast", nil}, {"vm", []Option{vmOnly()}}} {
			t.Run(mode.name+": "+tt.when, func(t *testing.T) {
				p, err := Compile(spec(need("r", tt.when)), mode.opts...)
				require.NoError(t, err)
				assert.Equal(t, VerdictNeed, evalAt(t, p, l).Verdict)
			})
		}
	}
}

func TestIntentOverrides(t *testing.T) {
	s := spec(need("any-need", `signals("need") > 0`), interest("webinar", `fresh("webinar_attended")`))
	s.Settings.Intents = map[lead.Kind]lead.Intent{"rfp_submitted": lead.IntentNeed, lead.KindWebinarAttended: lead.IntentNeed}
	s.Settings.NeedFresh, s.Settings.InterestFresh = 7*day, 90*day
	p, err := Compile(s)
	require.NoError(t, err)

	d := evalAt(t, p, newLead("L", act("rfp_submitted", ago(time.Hour))))
	assert.Equal(t, VerdictNeed, d.Verdict, "a host's kind mapped to need")
	assert.Equal(t, ago(time.Hour).Add(5*time.Minute), d.Deadline)

	// The webinar is now need: its freshness is the need window.
	d = evalAt(t, p, newLead("L", act(lead.KindWebinarAttended, ago(10*day))))
	assert.Equal(t, VerdictNone, d.Verdict)
	d = evalAt(t, p, newLead("L", act(lead.KindWebinarAttended, ago(6*day))))
	assert.Equal(t, VerdictNeed, d.Verdict)
}

func TestRunTimeErrors(t *testing.T) {
	l := newLead("L-err")
	l.Budget = lead.MustParseMoney("100", "EUR")
	l.Fields = map[string]any{"seats": "many"}
	tests := []struct {
		name, when string
		is         error
	}{
		{"cross-currency comparison", `budget > money("10", "GBP")`, lead.ErrCurrencyMismatch},
		{"custom field of another type", `fields.seats > 10`, nil},
		{"missing field inside a custom field of another type", `fields.seats.count > 10`, nil},
		{"when of unknown type that is not a boolean", `fields.seats`, errNotBool},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Compile(spec(need("ok", "true"), need("bad", tt.when)))
			require.NoError(t, err)
			_, err = EvaluateAt(context.Background(), p, l, t0)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrRule)
			var re *RuleError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, "bad", re.Rule)
			assert.Equal(t, "when", re.Field)
			assert.Equal(t, "L-err", re.Lead)
			assert.Contains(t, err.Error(), `rule "bad"`)
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}

			// With OnErrorSkip the rule does not match and the failure is listed.
			s := spec(need("ok", "true"), need("bad", tt.when))
			s.Settings.OnError = OnErrorSkip
			p, err = Compile(s)
			require.NoError(t, err)
			d, err := EvaluateAt(context.Background(), p, l, t0)
			require.NoError(t, err)
			assert.Equal(t, []string{"ok"}, matchedRules(d))
			require.Len(t, d.Failures, 1)
			assert.Equal(t, "bad", d.Failures[0].Rule)
			assert.Equal(t, "when", d.Failures[0].Field)
		})
	}

	// Points that fail.
	p, err := Compile(spec(points("p", "true", DimensionFit, `fields.seats * 2`)))
	require.NoError(t, err)
	_, err = EvaluateAt(context.Background(), p, l, t0)
	var re *RuleError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "points", re.Field)
}

func TestEvaluateRefuses(t *testing.T) {
	p := defaultPolicy(t)
	_, err := EvaluateAt(context.Background(), nil, newLead("L"), t0)
	assert.ErrorIs(t, err, ErrNilPolicy)
	_, err = EvaluateAt(context.Background(), p, nil, t0)
	assert.ErrorIs(t, err, ErrNilLead)
	_, err = Evaluate(context.Background(), nil, newLead("L"))
	assert.ErrorIs(t, err, ErrNilPolicy)

	small := defaultPolicy(t, WithLimits(Limits{MaxActivities: 3, MaxInterests: 1, MaxTextBytes: 100}))
	tests := []struct {
		name, limit, where string
		build              func(l *lead.Lead)
	}{
		{"too many activities", "MaxActivities", "activities", func(l *lead.Lead) {
			for range 4 {
				l.Activities = append(l.Activities, act(lead.KindPageVisit, ago(time.Hour)))
			}
		}},
		{"too many interests", "MaxInterests", "interests", func(l *lead.Lead) {
			l.Interests = []lead.Interest{{Topic: "a"}, {Topic: "b"}}
		}},
		{"enormous name", "MaxTextBytes", "contact.name", func(l *lead.Lead) { l.Contact.Name = strings.Repeat("x", 101) }},
		{"enormous asset", "MaxTextBytes", "activities[0].asset", func(l *lead.Lead) {
			l.Activities = []lead.Activity{{Kind: lead.KindWhitePaper, At: ago(time.Hour), Asset: strings.Repeat("x", 101)}}
		}},
		{"enormous ID", "MaxTextBytes", "id", func(l *lead.Lead) { l.ID = strings.Repeat("é", 100) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLead("L")
			tt.build(l)
			_, err := EvaluateAt(context.Background(), small, l, t0)
			assert.ErrorIs(t, err, ErrLimit)
			var le *LimitError
			require.ErrorAs(t, err, &le)
			assert.Equal(t, tt.limit, le.Limit)
			assert.Contains(t, le.Where, tt.where)
			assert.Equal(t, tt.where, le.Path)
			assert.Less(t, len(err.Error()), 300, "errors stay short whatever the input")
		})
	}
}

func TestCancellation(t *testing.T) {
	p := defaultPolicy(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := EvaluateAt(ctx, p, newLead("L"), t0)
	assert.ErrorIs(t, err, context.Canceled)

	ctx, cancel2 := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel2()
	_, err = EvaluateAt(ctx, p, newLead("L"), t0)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestClock(t *testing.T) {
	p := defaultPolicy(t, WithClock(func() time.Time { return t0 }))
	d, err := Evaluate(context.Background(), p, newLead("L", act(lead.KindPricingRequest, ago(time.Minute))))
	require.NoError(t, err)
	assert.Equal(t, t0, d.At)
	assert.Equal(t, ago(time.Minute).Add(5*time.Minute), d.Deadline)
}

func TestEvaluateDoesNotModifyTheLead(t *testing.T) {
	p := defaultPolicy(t)
	l := richLead(50)
	before, err := json.Marshal(l)
	require.NoError(t, err)
	evalAt(t, p, l)
	after, err := json.Marshal(l)
	require.NoError(t, err)
	assert.JSONEq(t, string(before), string(after))
}

func TestDeterminism(t *testing.T) {
	p := defaultPolicy(t)
	l := richLead(200)
	first := evalAt(t, p, l)
	b1, err := json.Marshal(first)
	require.NoError(t, err)
	for range 20 {
		d := evalAt(t, p, l)
		b2, err := json.Marshal(d)
		require.NoError(t, err)
		require.Equal(t, string(b1), string(b2))
		require.Equal(t, first, d)
	}
	// A policy compiled again decides the same, bit for bit.
	assert.Equal(t, first, evalAt(t, defaultPolicy(t), l))
}

func TestConcurrentEvaluation(t *testing.T) {
	p := defaultPolicy(t)
	leads := make([]*lead.Lead, 64)
	want := make([]Decision, len(leads))
	for i := range leads {
		leads[i] = richLead(i * 7 % 120)
		leads[i].ID = fmt.Sprintf("L-%d", i)
		want[i] = evalAt(t, p, leads[i])
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(leads))
	for g := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 50 {
				i := (g + k) % len(leads)
				d, err := EvaluateAt(context.Background(), p, leads[i], t0)
				if err != nil {
					errs <- err
					return
				}
				if !assert.ObjectsAreEqual(want[i], d) {
					errs <- fmt.Errorf("lead %d: decision differs under concurrency", i)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestDecisionJSON(t *testing.T) {
	d := evalAt(t, defaultPolicy(t), newLead("L", act(lead.KindPricingRequest, ago(time.Minute))))
	b, err := json.Marshal(d)
	require.NoError(t, err)
	s := string(b)
	assert.Contains(t, s, `"verdict":"need"`)
	assert.Contains(t, s, `"route":"sales"`)
	assert.Contains(t, s, `"next_stage":"sales_accepted"`)
	assert.Contains(t, s, `"deadline":"2026-11-23T09:04:00Z"`)
	var back Decision
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, d, back)
	assert.Equal(t, []string{"asked for pricing", "talking to a user, not a decision maker: reach the sales, finance or managing director"}, d.Reasons())
	assert.ErrorContains(t, back.Verdict.UnmarshalText([]byte("maybe")), "accepted: none, interest, need, out_of_scope")
	assert.ErrorContains(t, back.Route.UnmarshalText([]byte("x")), "accepted: nurture, sales, recycle, drop")
}

// richLead returns a lead with n activities of every kind, spread over a
// year, and every field the environment reads.
func richLead(n int) *lead.Lead {
	l := newLead("L-rich")
	l.Contact.Role = lead.RoleDecisionMaker
	l.Company.Employees = 240
	l.Budget = lead.MustParseMoney("50000.00", "GBP")
	l.Value = lead.MustParseMoney("120000", "GBP")
	l.Consent = map[lead.Channel]lead.Consent{lead.ChannelEmail: {State: lead.ConsentOptedIn, At: ago(300 * day)}}
	l.Interests = []lead.Interest{{Topic: "RoutePlanner", FirstSeen: ago(100 * day), LastSeen: ago(3 * day)}}
	kinds := lead.Kinds()
	for i := range n {
		l.Activities = append(l.Activities, lead.Activity{
			Kind: kinds[(i*7)%len(kinds)], At: ago(time.Duration(i*37%365)*day + time.Duration(i)*time.Minute),
			Product: "RoutePlanner", Asset: "Fleet costs explained",
		})
	}
	return l
}
