package qualify

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func contact(id, name string, role lead.Role, acts ...lead.Activity) lead.Lead {
	return lead.Lead{ID: id, Contact: lead.Contact{Name: name, Role: role},
		Company: lead.Company{Name: "Northwind", Domain: "northwind.example", Employees: 120}, Activities: acts}
}

// northwind: five people, one asking for pricing, one asked not to be
// contacted, no decision maker engaged.
func northwind() *lead.Account {
	eve := contact("L-5", "Eve Kim", lead.RoleDecisionMaker, act(lead.KindQuoteRequest, ago(2*time.Hour)))
	eve.LostReason = lead.ReasonDoNotContact
	return &lead.Account{ID: "A-1", Company: lead.Company{Name: "Northwind", Domain: "northwind.example", Employees: 120},
		Leads: []lead.Lead{
			contact("L-1", "Ann Lee", lead.RoleInfluencer, act(lead.KindWhitePaper, ago(3*day))),
			contact("L-2", "Bob Ray", lead.RoleUser, act(lead.KindWebinarAttended, ago(2*day))),
			contact("L-3", "Cy Oz", lead.RoleDecisionMaker),
			contact("L-4", "Dee Fox", lead.RoleUser, act(lead.KindPricingRequest, ago(time.Hour)), act(lead.KindEmailClick, ago(day))),
			eve,
		}}
}

func evalAccount(t testing.TB, p *Policy, a *lead.Account) AccountDecision {
	t.Helper()
	d, err := EvaluateAccount(context.Background(), p, a, t0)
	require.NoError(t, err)
	return d
}

func TestEvaluateAccount(t *testing.T) {
	p := defaultPolicy(t)
	a := northwind()
	before := *a
	before.Leads = nil
	for _, l := range a.Leads {
		before.Leads = append(before.Leads, l.Clone())
	}
	d := evalAccount(t, p, a)

	assert.Equal(t, "A-1", d.Account)
	assert.Equal(t, VerdictNeed, d.Verdict, "need anywhere in the group")
	assert.Equal(t, RouteSales, d.Route)
	assert.Equal(t, "L-4", d.Contact, "the contact who showed it; not the one who asked not to be contacted")
	assert.Equal(t, ago(time.Hour).Add(5*time.Minute), d.Deadline)
	assert.Equal(t, lead.KindPricingRequest, d.NeedKind)
	assert.Equal(t, lead.StageSalesAccepted, d.NextStage)
	assert.Equal(t, BuyingGroup{Contacts: 4, Engaged: []string{"L-1", "L-2", "L-4"},
		Reached: []lead.Role{lead.RoleInfluencer, lead.RoleUser}, Missing: []lead.Role{lead.RoleDecisionMaker}}, d.Group)
	assert.Equal(t, []string{
		"Dee Fox (user) asked for pricing",
		"3 of 4 contacts engaged: Ann Lee, Bob Ray, Dee Fox",
		"no decision maker reached: reach the sales, finance or managing director (reached: influencer, user)",
	}, d.Reasons())

	require.Len(t, d.Contacts, 5)
	var fitMax, engSum float64
	for i, c := range d.Contacts {
		assert.Equal(t, a.Leads[i].ID, c.Lead)
		solo := evalAt(t, p, &a.Leads[i])
		assert.Equal(t, solo, c, "without account rules a contact is judged as alone")
		if active(&c) {
			fitMax = max(fitMax, c.Fit)
			engSum += c.Engagement
		}
	}
	assert.Equal(t, RouteDrop, d.Contacts[4].Route)
	assert.Equal(t, fitMax, d.Fit, "fit: the highest contact's")
	assert.Equal(t, engSum, d.Engagement, "engagement: the sum")
	assert.Equal(t, 10.0+15+5, d.Engagement)
	assert.Empty(t, d.Matched)
	assert.Nil(t, d.Lines)
	assert.Equal(t, before, *a, "EvaluateAccount never modifies the account")

	b, err := json.Marshal(d)
	require.NoError(t, err)
	var back AccountDecision
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, d.Group, back.Group)
	assert.Equal(t, d.Summary, back.Summary)
}

func TestAccountPrecedence(t *testing.T) {
	p := defaultPolicy(t)
	tests := []struct {
		name    string
		build   func(a *lead.Account)
		route   Route
		verdict Verdict
		check   func(t *testing.T, d AccountDecision)
	}{
		{"interest only: nurture", func(a *lead.Account) { a.Leads = a.Leads[:3] }, RouteNurture, VerdictInterest, nil},
		{"nobody engaged", func(a *lead.Account) { a.Leads = a.Leads[2:3] }, RouteNurture, VerdictNone, func(t *testing.T, d AccountDecision) {
			assert.Equal(t, []string{"no contact engaged of 1", "no decision maker reached: reach the sales, finance or managing director"}, d.Summary)
		}},
		{"the decision maker reached", func(a *lead.Account) {
			a.Leads[2].Activities = []lead.Activity{act(lead.KindCallConnected, ago(day))}
		}, RouteSales, VerdictNeed, func(t *testing.T, d AccountDecision) {
			assert.Empty(t, d.Group.Missing)
			assert.Contains(t, d.Summary, "decision maker reached: Cy Oz")
			assert.Equal(t, "L-3", d.Contact, "the earliest deadline: the call a day ago before the pricing request an hour ago")
		}},
		{"the account's loss answers the requests before it", func(a *lead.Account) {
			require.NoError(t, a.MoveTo(lead.StageSalesAccepted, ago(3*day), ""))
			require.NoError(t, a.MoveTo(lead.StageLost, ago(30*time.Minute), "not now"))
			a.LostReason = lead.ReasonNotNow
		}, RouteNurture, VerdictInterest, func(t *testing.T, d AccountDecision) {
			assert.Equal(t, "", d.Contact)
			assert.Equal(t, VerdictNone, d.Contacts[3].Verdict, "Dee's pricing request came before the account's loss")
			assert.Equal(t, lead.StageNurturing, d.NextStage, "the others' interest is nurtured")
		}},
		{"need after the account's loss reopens it", func(a *lead.Account) {
			require.NoError(t, a.MoveTo(lead.StageSalesAccepted, ago(3*day), ""))
			require.NoError(t, a.MoveTo(lead.StageLost, ago(2*time.Hour), "preferred supplier"))
			a.LostReason = lead.ReasonPreferredSupplier
		}, RouteSales, VerdictNeed, func(t *testing.T, d AccountDecision) {
			assert.Equal(t, lead.ReasonPreferredSupplier, d.Reopened)
			assert.Equal(t, "Dee Fox (user) asked for pricing after being lost to a preferred supplier", d.Note)
			assert.Equal(t, "L-4", d.Contact)
			assert.Equal(t, lead.StageSalesAccepted, d.NextStage)
		}},
		{"the account asked not to be contacted", func(a *lead.Account) { a.LostReason = lead.ReasonDoNotContact },
			RouteDrop, VerdictOutOfScope, nil},
		{"an empty account", func(a *lead.Account) { a.Leads = nil }, RouteNurture, VerdictNone, func(t *testing.T, d AccountDecision) {
			assert.Equal(t, 0, d.Group.Contacts)
			assert.Empty(t, d.Contacts)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := northwind()
			tt.build(a)
			d := evalAccount(t, p, a)
			assert.Equal(t, tt.route, d.Route)
			assert.Equal(t, tt.verdict, d.Verdict)
			assert.True(t, d.NextStage == d.Stage || lead.CanMove(d.Stage, d.NextStage))
			if tt.check != nil {
				tt.check(t, d)
			}
		})
	}
}

// accountSpec is the default policy with account rules and a rolled-up
// named score.
func accountSpec() Spec {
	s := DefaultSpec()
	s.Name = "buying-groups"
	s.Settings.Dimensions = []Dimension{"urgency"}
	s.Settings.Account = AccountSettings{Rollup: map[Dimension]Rollup{"urgency": RollupMax},
		Roles: []lead.Role{lead.RoleDecisionMaker, lead.RoleInfluencer}}
	s.Rules = append(s.Rules,
		Rule{Name: "urgent", When: `fresh("pricing_request")`, Dimension: "urgency", Points: "30", Reason: "asked for pricing"},
		Rule{Name: "buying-group", When: `engaged() >= 3`, Dimension: "engagement", Points: "10 * engaged()",
			Reason: "a buying group in motion: three or more people engaged"},
		Rule{Name: "need-twice", When: `people("need") >= 2 && company.employees >= 100`, Intent: lead.IntentNeed,
			Reason: "two people of a large company asked"},
		Rule{Name: "no-decision-maker-yet", When: `!reached("decision_maker") && roles() >= 2`, Dimension: "fit", Points: "-5",
			Reason: "several roles engaged, but no decision maker"},
	)
	return s
}

func TestAccountRules(t *testing.T) {
	p, err := Compile(accountSpec())
	require.NoError(t, err)
	d := evalAccount(t, p, northwind())

	assert.Equal(t, []string{"buying-group", "no-decision-maker-yet"}, ruleNames(d.Matched))
	assert.Equal(t, 30.0, d.Matched[0].Points, "10 points for each of three people")
	for _, c := range d.Contacts {
		for _, m := range c.Matched {
			assert.NotContains(t, []string{"buying-group", "need-twice", "no-decision-maker-yet"}, m.Rule, "account rules judge the account, not %s", c.Lead)
		}
	}
	assert.Equal(t, map[Dimension]float64{"urgency": 30}, d.Scores, "urgency: the highest contact's")
	assert.Equal(t, 10.0+15+5+30, d.Engagement)
	assert.Equal(t, []lead.Role{lead.RoleDecisionMaker}, d.Group.Missing, "the influencer is reached")
	assert.Contains(t, d.Reasons(), "a buying group in motion: three or more people engaged")
	assert.Contains(t, d.Summary, "influencer reached: Ann Lee")

	// A lead alone is an account of one: the account rules judge it so.
	solo := evalAt(t, p, &northwind().Leads[3])
	assert.Equal(t, []string{"need", "no-decision-maker", "company-size", "email-clicks", "urgent"}, ruleNames(solo.Matched))
	dm := northwind().Leads[2]
	dm.Activities = []lead.Activity{act(lead.KindWhitePaper, ago(day))}
	assert.NotContains(t, ruleNames(evalAt(t, p, &dm).Matched), "no-decision-maker-yet")

	// Two people of a large company asking is need by an account rule.
	a := northwind()
	a.Leads[0].Activities = append(a.Leads[0].Activities, act(lead.KindDemoRequest, ago(3*time.Hour)))
	d = evalAccount(t, p, a)
	assert.Contains(t, ruleNames(d.Matched), "need-twice")
	assert.Equal(t, "L-1", d.Contact, "the earlier request")
}

func ruleNames(ms []Match) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.Rule)
	}
	return out
}

func TestAccountRulesCompile(t *testing.T) {
	for _, tt := range []struct {
		name string
		rule Rule
		want []problem
	}{
		{"an account rule cannot read a contact", Rule{Name: "a", When: `engaged() >= 2 && contact.role == "user"`, Intent: lead.IntentNeed, Reason: "r"},
			[]problem{{"a", "when", "an account rule (it reads engaged()) judges the whole account and cannot read contact.role", 0, 0}}},
		{"nor a contact's activities", Rule{Name: "a", When: `reached("user")`, Points: `count("page_visit", "30d")`, Dimension: "fit", Reason: "r"},
			[]problem{{"a", "when", `cannot read count("page_visit", "30d")`, 0, 0}}},
		{"people takes an intent", Rule{Name: "a", When: `people("none") > 1`, Intent: lead.IntentNeed, Reason: "r"},
			[]problem{{"a", "when", `people takes "need", "interest" or "negative"`, 0, 0}}},
		{"reached takes a role", Rule{Name: "a", When: `reached("ceo")`, Intent: lead.IntentNeed, Reason: "r"},
			[]problem{{"a", "when", `reached takes "decision_maker", "influencer" or "user"`, 0, 0}}},
		{"engaged is a function", Rule{Name: "a", When: `engaged > 1`, Intent: lead.IntentNeed, Reason: "r"},
			[]problem{{"a", "when", "engaged is a function: call it, e.g. engaged() >= 3", 0, 0}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(spec(need("n", "true"), tt.rule))
			checkProblems(t, err, tt.want)
		})
	}
	// What an account rule may read.
	_, err := Compile(spec(Rule{Name: "a", When: `engaged() >= 2 && company.employees > 50 && stage == "new" && known(value) && now > created_at`,
		Intent: lead.IntentNeed, Reason: "r"}))
	require.NoError(t, err)
}

func TestAccountWithLines(t *testing.T) {
	p := linesPolicy(t)
	a := northwind()
	a.Leads[0].Activities = append(a.Leads[0].Activities, on(act(lead.KindQuoteRequest, ago(3*time.Hour)), "telematics"))
	a.Leads[1].Activities = []lead.Activity{on(act(lead.KindWebinarAttended, ago(2*day)), "RoutePlanner")}
	a.Leads[2].SetFunnel("routeplanner", lead.Funnel{Stage: lead.StageWon})
	a.SetFunnel("routeplanner", lead.Funnel{Stage: lead.StageWon})
	a.SetFunnel("fuelcards", lead.Funnel{Stage: lead.StageNurturing})
	d := evalAccount(t, p, a)

	require.Len(t, d.Lines, 3)
	rp, tm, fc := d.Lines[0], d.Lines[1], d.Lines[2]
	assert.Equal(t, "routeplanner", rp.Line)
	assert.Equal(t, lead.StageWon, rp.Stage)
	assert.Equal(t, RouteSales, rp.Route, "a won customer stays with sales")
	assert.Equal(t, []string{"L-2"}, rp.Group.Engaged)
	assert.Equal(t, "telematics", tm.Line)
	assert.Equal(t, RouteSales, tm.Route, "a cross-sell: need on another line of a customer")
	assert.Equal(t, lead.StageSalesAccepted, tm.NextStage)
	assert.Equal(t, "L-1", tm.Contact)
	assert.Equal(t, 4, tm.Group.Contacts)
	assert.Equal(t, "fuelcards", fc.Line)
	assert.Equal(t, RouteNurture, fc.Route)
	assert.Equal(t, []string{"no contact engaged of 4", "no decision maker reached: reach the sales, finance or managing director"}, fc.Summary)
	for _, ld := range d.Lines {
		assert.Empty(t, ld.Contacts)
		assert.Empty(t, ld.Lines)
	}
	assert.Equal(t, "L-1", d.Contact, "the account as a whole: Ann's quote request came first, so it is due first")
}

func TestAccountLimits(t *testing.T) {
	p := defaultPolicy(t, WithLimits(Limits{MaxContacts: 3, MaxActivities: 2}))
	_, err := EvaluateAccount(context.Background(), p, northwind(), t0)
	var le *LimitError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "MaxContacts", le.Limit)
	assert.Equal(t, "leads", le.Path)

	a := northwind()
	a.Leads = a.Leads[2:4]
	a.Leads[1].Activities = append(a.Leads[1].Activities, act(lead.KindPageVisit, ago(day)))
	_, err = EvaluateAccount(context.Background(), p, a, t0)
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "MaxActivities", le.Limit)
	assert.Equal(t, "leads[1].activities", le.Path)
	assert.ErrorContains(t, err, `account "A-1" lead "L-4" activities`)

	a.ID = strings.Repeat("x", DefaultMaxTextBytes+1)
	_, err = EvaluateAccount(context.Background(), defaultPolicy(t), a, t0)
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "id", le.Path)

	_, err = EvaluateAccount(context.Background(), nil, a, t0)
	assert.ErrorIs(t, err, ErrNilPolicy)
	_, err = EvaluateAccount(context.Background(), p, nil, t0)
	assert.ErrorIs(t, err, ErrNilAccount)
}

func TestAccountRuleErrors(t *testing.T) {
	s := spec(Rule{Name: "valuable-group", When: `engaged() > 0 && amount(value) > 1000`, Intent: lead.IntentNeed, Reason: "r"})
	s.Settings.OnUnknown = UnknownFail
	p, err := Compile(s)
	require.NoError(t, err)
	_, err = EvaluateAccount(context.Background(), p, northwind(), t0)
	var re *RuleError
	require.True(t, errors.As(err, &re), "%v", err)
	assert.Equal(t, "A-1", re.Lead, "an account rule fails on the account")
	assert.Equal(t, "valuable-group", re.Rule)
	assert.ErrorIs(t, err, ErrUnknownInput)

	a := northwind()
	a.Value = lead.MustParseMoney("50000", "GBP")
	d := evalAccount(t, p, a)
	assert.Equal(t, []string{"valuable-group"}, ruleNames(d.Matched))

	s.Settings.OnUnknown = UnknownSkip
	p, err = Compile(s)
	require.NoError(t, err)
	d = evalAccount(t, p, northwind())
	assert.Equal(t, []Unjudged{{Rule: "valuable-group", Field: "when", Input: "value"}}, d.Unjudged)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = EvaluateAccount(ctx, defaultPolicy(t), northwind(), t0)
	assert.ErrorIs(t, err, context.Canceled)
}

// An account's loss on a line answers its contacts' requests about the
// line, in the account's decision on the line and as a whole.
func TestAccountLineLoss(t *testing.T) {
	p := linesPolicy(t)
	a := northwind()
	a.Leads = a.Leads[:2]
	a.Leads[1].Activities = append(a.Leads[1].Activities, on(act(lead.KindDemoRequest, ago(5*day)), "telematics"))
	f := lead.Funnel{LostReason: lead.ReasonNoBudget}
	require.NoError(t, f.MoveTo(lead.StageSalesAccepted, ago(5*day), "asked for a demo"))
	require.NoError(t, f.MoveTo(lead.StageLost, ago(2*day), "no budget"))
	a.SetFunnel("telematics", f)

	d := evalAccount(t, p, a)
	assert.Equal(t, VerdictInterest, d.Verdict, "the demo request was answered by the account's loss on the line")
	require.Len(t, d.Lines, 1)
	assert.Equal(t, "telematics", d.Lines[0].Line)
	assert.Equal(t, RouteRecycle, d.Lines[0].Route)
	assert.Equal(t, VerdictInterest, d.Contacts[1].Verdict, "the contact's own decision within the account")

	// The same contact alone still asked.
	assert.Equal(t, VerdictNeed, evalAt(t, p, &a.Leads[1]).Verdict)

	// A new request after the loss reopens the line.
	a.Leads[1].Activities = append(a.Leads[1].Activities, on(act(lead.KindQuoteRequest, ago(time.Hour)), "telematics"))
	d = evalAccount(t, p, a)
	assert.Equal(t, RouteSales, d.Lines[0].Route)
	assert.Equal(t, lead.ReasonNoBudget, d.Lines[0].Reopened)
	assert.Equal(t, "L-2", d.Lines[0].Contact)
}
