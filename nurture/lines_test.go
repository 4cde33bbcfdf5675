package nurture_test

import (
	"context"
	"iter"
	"slices"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/nurture"
	"github.com/leadqual/leadqual/qualify"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// linesVocabulary is the vocabulary of a policy of two product lines
// whose buying group must reach a decision maker and an influencer.
func linesVocabulary(t testing.TB) *qualify.Vocabulary {
	t.Helper()
	s := qualify.DefaultSpec()
	s.Settings.ProductLines = []qualify.ProductLine{
		{Name: "routeplanner", Products: []string{"RoutePlanner"}},
		{Name: "telematics", Products: []string{"Telematics"}},
	}
	s.Settings.Account.Roles = []lead.Role{lead.RoleInfluencer, lead.RoleDecisionMaker}
	p, err := qualify.Compile(s)
	require.NoError(t, err)
	return p.Vocabulary()
}

func TestPlannerPerLine(t *testing.T) {
	p := newPlanner(t, nurture.Config{Vocabulary: linesVocabulary(t)})
	enrolled := nurture.Progress{Enrolled: t0.Add(-day)}
	tests := []struct {
		name  string
		line  string
		build func(l *lead.Lead)
		want  nurture.Outcome
	}{
		{"need on another line: the track goes on", "telematics", func(l *lead.Lead) {
			l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindQuoteRequest, At: t0.Add(-time.Hour), Product: "RoutePlanner"})
		}, nurture.OutcomeTouch},
		{"need on the line: hand-off", "telematics", func(l *lead.Lead) {
			l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindQuoteRequest, At: t0.Add(-time.Hour), Product: "telematics"})
		}, nurture.OutcomeHandOff},
		{"need naming no line: hand-off", "telematics", func(l *lead.Lead) {
			l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindContactRequest, At: t0.Add(-time.Hour)})
		}, nurture.OutcomeHandOff},
		{"the lead as a whole: any need hands off", "", func(l *lead.Lead) {
			l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindQuoteRequest, At: t0.Add(-time.Hour), Product: "RoutePlanner"})
		}, nurture.OutcomeHandOff},
		{"won on another line: nurtured on this one", "telematics", func(l *lead.Lead) {
			l.Stage = lead.StageWon
			l.SetFunnel("routeplanner", lead.Funnel{Stage: lead.StageWon})
		}, nurture.OutcomeTouch},
		{"the line with sales", "telematics", func(l *lead.Lead) {
			l.SetFunnel("telematics", lead.Funnel{Stage: lead.StageOpportunity})
		}, nurture.OutcomeWithSales},
		{"the line closed", "telematics", func(l *lead.Lead) {
			l.SetFunnel("telematics", lead.Funnel{Stage: lead.StageLost, LostReason: lead.ReasonNotAFit})
		}, nurture.OutcomeDisqualified},
		{"not a fit for the lead as a whole stays there", "telematics", func(l *lead.Lead) {
			l.LostReason = lead.ReasonNotAFit
		}, nurture.OutcomeTouch},
		{"do not contact closes every line", "telematics", func(l *lead.Lead) {
			l.LostReason = lead.ReasonDoNotContact
		}, nurture.OutcomeDisqualified},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := interestLead()
			tt.build(l)
			plan, err := p.Next(nurture.Input{Lead: l, Track: track3(t), Progress: enrolled, Line: tt.line}, t0)
			require.NoError(t, err)
			assert.Equal(t, tt.want, plan.Outcome, "%s", plan)
			assert.Equal(t, tt.line, plan.Line)
		})
	}

	_, err := p.Next(nurture.Input{Lead: interestLead(), Track: track3(t), Progress: enrolled, Line: "fuelcards"}, t0)
	require.ErrorIs(t, err, nurture.ErrInvalidInput)
	assert.ErrorContains(t, err, `line: "fuelcards" is not a product line of the policy (routeplanner, telematics)`)
}

func accounts(as ...nurture.AccountItem) iter.Seq[nurture.AccountItem] { return slices.Values(as) }

func TestAuditAccounts(t *testing.T) {
	a := newAuditor(t, nurture.AuditConfig{Vocabulary: linesVocabulary(t)})
	person := func(id string, role lead.Role, acts ...lead.Activity) lead.Lead {
		return lead.Lead{ID: id, Contact: lead.Contact{Role: role}, Stage: lead.StageNew, CreatedAt: t0.Add(-10 * day),
			Activities: acts, Owner: "rep-" + id}
	}
	// Northwind: need unanswered for two hours, no owner, no decision
	// maker and no influencer engaged.
	northwind := &lead.Account{ID: "northwind.example", Value: lead.MustParseMoney("90000", "GBP"), Leads: []lead.Lead{
		person("N-1", lead.RoleUser, act(lead.KindWhitePaper, t0.Add(-5*day))),
		person("N-2", lead.RoleUser, act(lead.KindPricingRequest, t0.Add(-2*time.Hour))),
		person("N-3", lead.RoleDecisionMaker),
	}}
	// Acme: owned, the decision maker and an influencer engaged.
	acme := &lead.Account{ID: "acme.example", Owner: "rep-9", Leads: []lead.Lead{
		person("A-1", lead.RoleDecisionMaker, act(lead.KindWebinarAttended, t0.Add(-3*day))),
		person("A-2", lead.RoleInfluencer, act(lead.KindDemoRequest, t0.Add(-time.Hour))),
	}}
	acme.Leads[0].Value = lead.MustParseMoney("20000", "GBP")
	// Beta: lost to a preferred supplier after its contact asked; nobody
	// engaged since.
	beta := &lead.Account{ID: "beta.example", Stage: lead.StageLost, LostReason: lead.ReasonPreferredSupplier,
		History: []lead.Transition{{From: lead.StageNew, To: lead.StageLost, At: t0.Add(-day)}},
		Leads:   []lead.Lead{person("B-1", lead.RoleUser, act(lead.KindQuoteRequest, t0.Add(-3*day)))}}
	// Gamma: closed for good; not judged as an account.
	gamma := &lead.Account{ID: "gamma.example", Stage: lead.StageDisqualified, Leads: []lead.Lead{
		person("G-1", lead.RoleUser, act(lead.KindQuoteRequest, t0.Add(-3*day)))}}

	rep, err := a.RunAccounts(context.Background(), accounts(
		nurture.AccountItem{Account: northwind, Tracks: map[string]string{"N-1": "ops-101"}},
		nurture.AccountItem{Account: acme},
		nurture.AccountItem{Account: beta},
		nurture.AccountItem{Account: gamma},
		nurture.AccountItem{},
	), t0)
	require.NoError(t, err)
	assert.Equal(t, 4, rep.Accounts)
	assert.Equal(t, 7, rep.Leads)
	assert.Equal(t, 1, rep.Skipped)

	unowned := kinds(rep, nurture.FindingUnownedAccount)
	require.Len(t, unowned, 1)
	assert.Equal(t, "northwind.example", unowned[0].Account)
	assert.Equal(t, "N-2", unowned[0].Lead)
	assert.Equal(t, "rep-N-2", unowned[0].Owner)
	assert.Equal(t, lead.KindPricingRequest, unowned[0].Need)
	assert.Equal(t, "90000 GBP", unowned[0].Value.String(), "the account's value")
	assert.Equal(t, "give the account an owner: lead N-2 asked for pricing 2h ago and nobody answers for the account; "+
		"the response deadline passed 1h55m ago (the lead's owner rep-N-2)", unowned[0].Action)

	groups := kinds(rep, nurture.FindingBuyingGroup)
	require.Len(t, groups, 1, "acme reached both roles; beta's request is answered by its loss; gamma is closed")
	assert.Equal(t, "northwind.example", groups[0].Account)
	assert.Equal(t, 2, groups[0].Engaged)
	assert.Equal(t, []lead.Role{lead.RoleDecisionMaker, lead.RoleInfluencer}, groups[0].Missing)
	assert.Equal(t, "reach the decision maker and the influencer: 2 contacts engaged for 5d without one "+
		"(a sales, finance or managing director)", groups[0].Action)

	// The leads are audited as leads: N-2's need and A-2's demo are late,
	// and G-1's, whose account is closed but whose request is unanswered
	// all the same; beta's quote came before the account's loss.
	var late []string
	for _, f := range kinds(rep, nurture.FindingResponseBreach) {
		late = append(late, f.Lead)
	}
	assert.ElementsMatch(t, []string{"N-2", "A-2", "G-1"}, late)

	text := rep.String()
	assert.Contains(t, text, "4 accounts, 7 leads")
	assert.Contains(t, text, "Accounts with need and no owner: 1\n  - account northwind.example (new, 90000 GBP): give the account an owner")
	assert.Contains(t, text, "Buying groups without the roles that decide: 1")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = a.RunAccounts(ctx, accounts(nurture.AccountItem{Account: acme}), t0)
	assert.ErrorIs(t, err, context.Canceled)
}

// Run and RunAccounts judge a lead alike when its account adds nothing.
func TestAuditAccountsAgreeWithRun(t *testing.T) {
	a := newAuditor(t, nurture.AuditConfig{})
	l := needLead("L-1", "1000", t0.Add(-time.Hour))
	byLead := run(t, a, t0, nurture.Item{Lead: l})
	byAccount, err := a.RunAccounts(context.Background(), accounts(nurture.AccountItem{
		Account: &lead.Account{ID: "x", Owner: "o", Leads: []lead.Lead{*l}}}), t0)
	require.NoError(t, err)
	assert.Equal(t, kinds(byLead, nurture.FindingResponseBreach), kinds(byAccount, nurture.FindingResponseBreach))
	assert.Equal(t, byLead.Coverage, byAccount.Coverage)
}

// A line's loss answers the requests about that line, in the audit as in
// qualify.
func TestAuditLineLossAnswersItsNeed(t *testing.T) {
	a := newAuditor(t, nurture.AuditConfig{Vocabulary: linesVocabulary(t)})
	l := &lead.Lead{ID: "L-1", CreatedAt: t0.Add(-30 * day), Activities: []lead.Activity{
		{Kind: lead.KindQuoteRequest, At: t0.Add(-20 * day), Product: "RoutePlanner"},
		{Kind: lead.KindDemoRequest, At: t0.Add(-20 * day), Product: "Telematics"},
	}}
	l.SetFunnel("routeplanner", lead.Funnel{Stage: lead.StageLost, LostReason: lead.ReasonNotNow,
		History: []lead.Transition{{From: lead.StageNew, To: lead.StageLost, At: t0.Add(-10 * day)}}})
	rep := run(t, a, t0, nurture.Item{Lead: l})
	breaches := kinds(rep, nurture.FindingResponseBreach)
	require.Len(t, breaches, 1)
	assert.Equal(t, lead.KindDemoRequest, breaches[0].Need, "the quote was answered by its line's loss; the demo request was not")
}

// An account's loss on a line answers its contacts' requests about it.
func TestAuditAccountLineLoss(t *testing.T) {
	a := newAuditor(t, nurture.AuditConfig{Vocabulary: linesVocabulary(t)})
	acc := &lead.Account{ID: "acme.example", Owner: "rep-1", Leads: []lead.Lead{{ID: "L-1", CreatedAt: t0.Add(-30 * day),
		Activities: []lead.Activity{{Kind: lead.KindQuoteRequest, At: t0.Add(-20 * day), Product: "RoutePlanner"}}}}}
	rep, err := a.RunAccounts(context.Background(), accounts(nurture.AccountItem{Account: acc}), t0)
	require.NoError(t, err)
	require.Len(t, kinds(rep, nurture.FindingResponseBreach), 1, "unanswered")

	acc.SetFunnel("routeplanner", lead.Funnel{Stage: lead.StageLost,
		History: []lead.Transition{{From: lead.StageNew, To: lead.StageLost, At: t0.Add(-10 * day)}}})
	rep, err = a.RunAccounts(context.Background(), accounts(nurture.AccountItem{Account: acc}), t0)
	require.NoError(t, err)
	assert.Empty(t, kinds(rep, nurture.FindingResponseBreach), "answered by the account's loss on the line")
}
