package nurture_test

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/nurture"
	"github.com/leadqual/leadqual/qualify"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func items(its ...nurture.Item) iter.Seq[nurture.Item] { return slices.Values(its) }

func act(k lead.Kind, at time.Time) lead.Activity { return lead.Activity{Kind: k, At: at} }

// needLead is a new lead that asked for pricing at `at`.
func needLead(id string, value string, at time.Time) *lead.Lead {
	l := &lead.Lead{ID: id, Owner: "ann", Stage: lead.StageSalesAccepted, CreatedAt: at,
		Activities: []lead.Activity{act(lead.KindPricingRequest, at)}}
	if value != "" {
		l.Value = lead.MustParseMoney(value, "GBP")
	}
	return l
}

func newAuditor(t testing.TB, cfg nurture.AuditConfig) *nurture.Auditor {
	t.Helper()
	if cfg.Vocabulary == nil {
		cfg.Vocabulary = qualify.DefaultVocabulary()
	}
	a, err := nurture.NewAuditor(cfg)
	require.NoError(t, err)
	return a
}

func run(t testing.TB, a *nurture.Auditor, now time.Time, its ...nurture.Item) *nurture.Report {
	t.Helper()
	r, err := a.Run(context.Background(), items(its...), now)
	require.NoError(t, err)
	return r
}

func kinds(r *nurture.Report, k nurture.FindingKind) []nurture.Finding {
	var out []nurture.Finding
	for _, f := range r.Findings {
		if f.Kind == k {
			out = append(out, f)
		}
	}
	return out
}

func TestAuditResponseBreaches(t *testing.T) {
	now := t0
	rows := []struct {
		name     string
		lead     func() *lead.Lead
		need     nurture.Need
		cfg      nurture.AuditConfig
		overdue  time.Duration // 0: no breach
		answered time.Time
		kind     lead.Kind
		action   string
	}{
		{name: "unanswered pricing request", lead: func() *lead.Lead { return needLead("L", "1000", now.Add(-2*time.Hour)) },
			overdue: 115 * time.Minute, kind: lead.KindPricingRequest,
			action: "respond now: asked for pricing 2h ago and no one from sales has answered; the deadline passed 1h55m ago (owner ann)"},
		{name: "answered in time", lead: func() *lead.Lead {
			l := needLead("L", "1000", now.Add(-2*time.Hour))
			l.Activities = append(l.Activities, act(lead.KindCallAttempted, now.Add(-2*time.Hour+3*time.Minute)))
			return l
		}},
		{name: "answered exactly at the deadline", lead: func() *lead.Lead {
			l := needLead("L", "1000", now.Add(-2*time.Hour))
			l.Activities = append(l.Activities, act(lead.KindSalesEmail, now.Add(-2*time.Hour+5*time.Minute)))
			return l
		}},
		{name: "answered late", lead: func() *lead.Lead {
			l := needLead("L", "1000", now.Add(-2*time.Hour))
			l.Activities = append(l.Activities, act(lead.KindSalesEmail, now.Add(-time.Hour)))
			return l
		}, overdue: 55 * time.Minute, answered: now.Add(-time.Hour), kind: lead.KindPricingRequest,
			action: "review how leads are answered: asked for pricing and sales answered 1h later, 55m past the deadline (owner ann)"},
		{name: "answered late, before the lookback", lead: func() *lead.Lead {
			l := needLead("L", "1000", now.Add(-40*day))
			l.Activities = append(l.Activities, act(lead.KindSalesEmail, now.Add(-39*day)))
			return l
		}},
		{name: "answered late, lookback widened", cfg: nurture.AuditConfig{Lookback: 60 * day}, lead: func() *lead.Lead {
			l := needLead("L", "1000", now.Add(-40*day))
			l.Activities = append(l.Activities, act(lead.KindSalesEmail, now.Add(-39*day)))
			return l
		}, overdue: day - 5*time.Minute, answered: now.Add(-39 * day), kind: lead.KindPricingRequest},
		{name: "unanswered however old", lead: func() *lead.Lead { return needLead("L", "1000", now.Add(-90*day)) },
			overdue: 90*day - 5*time.Minute, kind: lead.KindPricingRequest},
		{name: "not yet due", lead: func() *lead.Lead { return needLead("L", "1000", now.Add(-2*time.Minute)) }},
		{name: "a loss answers the need before it", lead: func() *lead.Lead {
			l := needLead("L", "1000", now.Add(-90*day))
			l.Stage = lead.StageLost
			l.History = []lead.Transition{{From: lead.StageSalesAccepted, To: lead.StageLost, At: now.Add(-30 * day)}}
			return l
		}},
		{name: "need after the loss is unanswered", lead: func() *lead.Lead {
			l := needLead("L", "1000", now.Add(-90*day))
			l.Stage = lead.StageLost
			l.History = []lead.Transition{{From: lead.StageSalesAccepted, To: lead.StageLost, At: now.Add(-30 * day)}}
			l.Activities = append(l.Activities, act(lead.KindQuoteRequest, now.Add(-time.Hour)))
			return l
		}, overdue: 55 * time.Minute, kind: lead.KindQuoteRequest},
		{name: "a connected call answers itself", lead: func() *lead.Lead {
			return &lead.Lead{ID: "L", Stage: lead.StageSalesQualified, Activities: []lead.Activity{act(lead.KindCallConnected, now.Add(-time.Hour))}}
		}},
		{name: "marketing touches do not answer need", lead: func() *lead.Lead {
			l := needLead("L", "1000", now.Add(-2*time.Hour))
			l.Activities = append(l.Activities, act(lead.KindNurtureEmail, now.Add(-2*time.Hour+time.Minute)))
			return l
		}, overdue: 115 * time.Minute, kind: lead.KindPricingRequest},
		{name: "a new need after an answered one", lead: func() *lead.Lead {
			l := needLead("L", "1000", now.Add(-10*day))
			l.Activities = append(l.Activities,
				act(lead.KindCallAttempted, now.Add(-10*day+time.Minute)),
				act(lead.KindDemoRequest, now.Add(-time.Hour)),
				act(lead.KindQuoteRequest, now.Add(-30*time.Minute)))
			return l
		}, overdue: 55 * time.Minute, kind: lead.KindDemoRequest},
		{name: "the earliest need of an episode answered late", lead: func() *lead.Lead {
			return &lead.Lead{ID: "L", Stage: lead.StageSalesAccepted, Activities: []lead.Activity{
				act(lead.KindSalesEmail, now.Add(-5*day)),
				act(lead.KindQuoteRequest, now.Add(-3*time.Hour)),
				act(lead.KindDemoRequest, now.Add(-4*time.Hour)),
				act(lead.KindSalesEmail, now.Add(-2*time.Hour)),
			}}
		}, overdue: 2*time.Hour - 5*time.Minute, answered: now.Add(-2 * time.Hour), kind: lead.KindDemoRequest},
		{name: "host need with a deadline", lead: func() *lead.Lead {
			return &lead.Lead{ID: "L", Stage: lead.StageNew, CreatedAt: now.Add(-time.Hour)}
		}, need: nurture.Need{At: now.Add(-time.Hour), Deadline: now.Add(-30 * time.Minute)}, overdue: 30 * time.Minute,
			action: "respond now: showed need 1h ago and no one from sales has answered; the deadline passed 30m ago"},
		{name: "host need already answered", lead: func() *lead.Lead {
			return &lead.Lead{ID: "L", Stage: lead.StageNew, Activities: []lead.Activity{act(lead.KindCallAttempted, now.Add(-time.Minute))}}
		}, need: nurture.Need{At: now.Add(-time.Hour)}},
		{name: "wider response window", cfg: nurture.AuditConfig{Vocabulary: vocab(t, func(s *qualify.Settings) { s.ResponseDeadline = 4 * time.Hour })},
			lead: func() *lead.Lead { return needLead("L", "1000", now.Add(-2*time.Hour)) }},
		{name: "intent override", cfg: nurture.AuditConfig{Vocabulary: vocab(t, intents(map[lead.Kind]lead.Intent{"callback_form": lead.IntentNeed}))},
			lead: func() *lead.Lead {
				return &lead.Lead{ID: "L", Stage: lead.StageNew, Activities: []lead.Activity{act("callback_form", now.Add(-time.Hour))}}
			}, overdue: 55 * time.Minute, kind: "callback_form"},
		{name: "touch override", cfg: nurture.AuditConfig{Vocabulary: vocab(t, func(s *qualify.Settings) { s.Touches = map[lead.Kind]lead.Touch{"linkedin_message": lead.TouchSales} })},
			lead: func() *lead.Lead {
				l := needLead("L", "1000", now.Add(-2*time.Hour))
				l.Activities = append(l.Activities, act("linkedin_message", now.Add(-2*time.Hour+time.Minute)))
				return l
			}},
		{name: "disqualified leads are not audited", lead: func() *lead.Lead {
			l := needLead("L", "1000", now.Add(-2*time.Hour))
			l.Stage = lead.StageDisqualified
			return l
		}},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			rep := run(t, newAuditor(t, r.cfg), now, nurture.Item{Lead: r.lead(), Need: r.need})
			got := kinds(rep, nurture.FindingResponseBreach)
			if r.overdue == 0 {
				assert.Empty(t, got)
				return
			}
			require.Len(t, got, 1)
			f := got[0]
			assert.Equal(t, r.overdue, f.Overdue)
			assert.True(t, r.answered.Equal(f.Answered), "answered: want %s, got %s", r.answered, f.Answered)
			assert.Equal(t, r.kind, f.Need)
			assert.Equal(t, "L", f.Lead)
			if r.action != "" {
				assert.Equal(t, r.action, f.Action)
			}
		})
	}
}

func TestAuditIgnoredProspects(t *testing.T) {
	now := t0
	rows := []struct {
		name    string
		cfg     nurture.AuditConfig
		lead    *lead.Lead
		overdue time.Duration
		action  string
	}{
		{name: "opportunity without a sales touch", lead: &lead.Lead{ID: "L", Owner: "bob", Stage: lead.StageOpportunity,
			History:    []lead.Transition{{From: lead.StageSalesQualified, To: lead.StageOpportunity, At: now.Add(-30 * day)}},
			Activities: []lead.Activity{act(lead.KindSalesEmail, now.Add(-20*day)), act(lead.KindNurtureEmail, now.Add(-day))}},
			overdue: 6 * day,
			action:  "touch the lead: no touch by sales for 20d in opportunity, which allows 14d (owner bob)"},
		{name: "nurturing with no touch for a month", lead: &lead.Lead{ID: "L", Stage: lead.StageNurturing,
			Activities: []lead.Activity{act(lead.KindNurtureEmail, now.Add(-31*day))}},
			overdue: day, action: "touch the lead: no touch by anyone for 31d in nurturing, which allows 30d"},
		{name: "a stage move restarts the clock", lead: &lead.Lead{ID: "L", Stage: lead.StageOpportunity,
			History:    []lead.Transition{{From: lead.StageSalesQualified, To: lead.StageOpportunity, At: now.Add(-2 * day)}},
			Activities: []lead.Activity{act(lead.KindSalesEmail, now.Add(-30*day))}}},
		{name: "a new lead never judged", lead: &lead.Lead{ID: "L", Stage: lead.StageNew, CreatedAt: now.Add(-3 * day)},
			overdue: 2 * day},
		{name: "a lost lead left in lost", lead: &lead.Lead{ID: "L", Stage: lead.StageLost, LostReason: lead.ReasonNoBudget,
			History: []lead.Transition{{From: lead.StageOpportunity, To: lead.StageLost, At: now.Add(-15 * day)}}},
			overdue: day},
		{name: "a customer", lead: &lead.Lead{ID: "L", Stage: lead.StageWon, Activities: []lead.Activity{act(lead.KindCallConnected, now.Add(-100*day))}},
			overdue: 10 * day},
		{name: "recycled is not checked by default", lead: &lead.Lead{ID: "L", Stage: lead.StageRecycled, CreatedAt: now.Add(-300 * day)}},
		{name: "recycled checked when configured", cfg: nurture.AuditConfig{StageLimits: map[lead.Stage]time.Duration{lead.StageRecycled: 180 * day}},
			lead: &lead.Lead{ID: "L", Stage: lead.StageRecycled, CreatedAt: now.Add(-300 * day)}, overdue: 120 * day},
		{name: "a check turned off", cfg: nurture.AuditConfig{StageLimits: map[lead.Stage]time.Duration{lead.StageNew: -1}},
			lead: &lead.Lead{ID: "L", Stage: lead.StageNew, CreatedAt: now.Add(-3 * day)}},
		{name: "a limit tightened", cfg: nurture.AuditConfig{StageLimits: map[lead.Stage]time.Duration{lead.StageNew: time.Hour}},
			lead: &lead.Lead{ID: "L", Stage: lead.StageNew, CreatedAt: now.Add(-3 * time.Hour)}, overdue: 2 * time.Hour},
		{name: "within the limit", lead: &lead.Lead{ID: "L", Stage: lead.StageSalesQualified,
			Activities: []lead.Activity{act(lead.KindCallAttempted, now.Add(-6*day))}}},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			rep := run(t, newAuditor(t, r.cfg), now, nurture.Item{Lead: r.lead, Track: "some-track"})
			got := kinds(rep, nurture.FindingIgnored)
			if r.overdue == 0 {
				assert.Empty(t, got)
				return
			}
			require.Len(t, got, 1)
			assert.Equal(t, r.overdue, got[0].Overdue)
			assert.True(t, got[0].Due.Add(r.overdue).Equal(now))
			if r.action != "" {
				assert.Equal(t, r.action, got[0].Action)
			}
		})
	}
}

func TestAuditUndated(t *testing.T) {
	rep := run(t, newAuditor(t, nurture.AuditConfig{}), t0, nurture.Item{Lead: &lead.Lead{ID: "L", Stage: lead.StageOpportunity}})
	assert.Equal(t, 1, rep.Undated)
	assert.Empty(t, kinds(rep, nurture.FindingIgnored))
}

func TestAuditUnnurturedInterest(t *testing.T) {
	now := t0
	optedIn := map[lead.Channel]lead.Consent{lead.ChannelEmail: {State: lead.ConsentOptedIn, At: now.Add(-10 * day)}}
	interested := func(stage lead.Stage, consent map[lead.Channel]lead.Consent, extra ...lead.Activity) *lead.Lead {
		return &lead.Lead{ID: "L", Stage: stage, Company: lead.Company{Industry: "logistics", Country: "GB"},
			Activities: append([]lead.Activity{act(lead.KindWhitePaper, now.Add(-10*day))}, extra...), Consent: consent,
			History: []lead.Transition{{From: lead.StageNew, To: stage, At: now.Add(-time.Hour)}}}
	}
	enroller, err := nurture.ParseEnroller([]byte(enrolJSON),
		oneStep(t, "routes-101"), oneStep(t, "ops-101"), oneStep(t, "events-101"), oneStep(t, "general-101"))
	require.NoError(t, err)
	rows := []struct {
		name    string
		cfg     nurture.AuditConfig
		item    nurture.Item
		want    bool
		action  string
		overdue time.Duration
	}{
		{name: "interest on no track", item: nurture.Item{Lead: interested(lead.StageNew, optedIn)}, want: true,
			action: "enrol on a nurture track: interested 10d ago and on no track", overdue: 10 * day},
		{name: "on a track", item: nurture.Item{Lead: interested(lead.StageNew, optedIn), Track: "ops-101"}},
		{name: "no consent yet", item: nurture.Item{Lead: interested(lead.StageNurturing, nil)}, want: true,
			action: "ask for consent to nurture, then enrol on a nurture track: interested 10d ago and on no track"},
		{name: "consent withdrawn: permission respected", item: nurture.Item{Lead: interested(lead.StageNew, optedIn, act(lead.KindUnsubscribe, now.Add(-day)))}},
		{name: "opted out", item: nurture.Item{Lead: interested(lead.StageNew,
			map[lead.Channel]lead.Consent{lead.ChannelEmail: {State: lead.ConsentOptedOut, At: now}})}},
		{name: "interest topics count", item: nurture.Item{Lead: &lead.Lead{ID: "L", Stage: lead.StageMarketingQualified,
			Interests: []lead.Interest{{Topic: "fleet", FirstSeen: now.Add(-3 * day)}}, Consent: optedIn}}, want: true, overdue: 3 * day},
		{name: "nurturing without interest activity", item: nurture.Item{Lead: &lead.Lead{ID: "L", Stage: lead.StageNurturing, Consent: optedIn,
			History: []lead.Transition{{From: lead.StageNew, To: lead.StageNurturing, At: now.Add(-2 * day)}}}}, want: true, overdue: 2 * day},
		{name: "a new lead without interest", item: nurture.Item{Lead: &lead.Lead{ID: "L", Stage: lead.StageNew, Consent: optedIn}}},
		{name: "with sales", item: nurture.Item{Lead: interested(lead.StageOpportunity, optedIn)}},
		{name: "an unanswered need is not interest", item: nurture.Item{Lead: interested(lead.StageNew, optedIn, act(lead.KindPricingRequest, now.Add(-time.Minute)))}},
		{name: "an answered need is history", item: nurture.Item{Lead: interested(lead.StageNurturing, optedIn,
			act(lead.KindPricingRequest, now.Add(-5*day)), act(lead.KindCallConnected, now.Add(-5*day)))}, want: true},
		{name: "the enroller names the track", cfg: nurture.AuditConfig{Enroller: enroller},
			item: nurture.Item{Lead: interested(lead.StageNew, optedIn)}, want: true,
			action: `enrol on track "ops-101": interested 10d ago and on no track`},
		{name: "the enroller's track needs consent", cfg: nurture.AuditConfig{Enroller: enroller},
			item: nurture.Item{Lead: interested(lead.StageNew, map[lead.Channel]lead.Consent{lead.ChannelPhone: {State: lead.ConsentOptedIn, At: now}})}, want: true,
			action: `ask for consent on email, then enrol on track "ops-101": interested 10d ago and on no track`},
		{name: "the enroller's channel withdrawn", cfg: nurture.AuditConfig{Enroller: enroller},
			item: nurture.Item{Lead: interested(lead.StageNew, optedIn, act(lead.KindBounce, now.Add(-day)))}},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			rep := run(t, newAuditor(t, r.cfg), now, r.item)
			got := kinds(rep, nurture.FindingUnnurtured)
			if !r.want {
				assert.Empty(t, got)
				return
			}
			require.Len(t, got, 1)
			if r.action != "" {
				assert.Equal(t, r.action, got[0].Action)
			}
			if r.overdue != 0 {
				assert.Equal(t, r.overdue, got[0].Overdue)
			}
		})
	}
}

func TestAuditCoverage(t *testing.T) {
	gbp := func(s string) lead.Money { return lead.MustParseMoney(s, "GBP") }
	eur := func(s string) lead.Money { return lead.MustParseMoney(s, "EUR") }
	opp := func(id string, v lead.Money) nurture.Item {
		return nurture.Item{Lead: &lead.Lead{ID: id, Stage: lead.StageOpportunity, Value: v,
			Activities: []lead.Activity{act(lead.KindCallConnected, t0.Add(-time.Hour))}}}
	}
	a := newAuditor(t, nurture.AuditConfig{Targets: []nurture.Target{
		{Stage: lead.StageOpportunity, Leads: 10, Values: []lead.Money{gbp("100000"), eur("1000")}},
		{Stage: lead.StageSalesQualified, Leads: 2},
		{Stage: lead.StageWon, Values: []lead.Money{gbp("1")}},
	}})
	rep := run(t, a, t0,
		opp("a", gbp("25000.00")), opp("b", gbp("25000")), opp("c", gbp("0.10")), opp("d", gbp("0.2")),
		opp("e", eur("5000.00")), opp("f", lead.Money{}), opp("g", lead.Money{Currency: "XXX"}),
		nurture.Item{Lead: &lead.Lead{ID: "h", Stage: lead.StageDisqualified, Value: gbp("7")}},
	)
	require.Len(t, rep.Coverage, 4)
	c := rep.Coverage[0]
	assert.Equal(t, lead.StageSalesQualified, c.Stage)
	assert.Equal(t, 0, c.Leads)
	assert.True(t, c.Short)

	c = rep.Coverage[1]
	assert.Equal(t, lead.StageOpportunity, c.Stage)
	assert.Equal(t, 7, c.Leads)
	assert.Equal(t, 2, c.Unvalued, "no value, and a currency that is not ISO 4217")
	require.Len(t, c.Values, 2, "one total per currency, never added together")
	assert.Equal(t, "5000.00 EUR", c.Values[0].String())
	assert.Equal(t, "50000.30 GBP", c.Values[1].String(), "exact decimal sums, whatever the scale")
	assert.True(t, c.Short)

	c = rep.Coverage[2]
	assert.Equal(t, lead.StageWon, c.Stage)
	assert.True(t, c.Short)
	c = rep.Coverage[3]
	assert.Equal(t, lead.StageDisqualified, c.Stage)
	assert.Equal(t, 1, c.Leads)
	assert.False(t, c.Short)

	var actions []string
	for _, f := range kinds(rep, nurture.FindingCoverage) {
		actions = append(actions, f.Action)
	}
	assert.Equal(t, []string{
		"refill sales_qualified: it holds 0 leads of the 2 targeted",
		"refill opportunity: it holds 7 leads of the 10 targeted",
		"refill opportunity: it holds 50000.30 GBP of the 100000 GBP targeted",
		"refill won: it holds 0 GBP of the 1 GBP targeted",
	}, actions, "EUR is over target; findings in funnel order")
}

func TestAuditOrderAndTopK(t *testing.T) {
	now := t0
	breach := func(id, amount string, cur lead.Currency, ago time.Duration) nurture.Item {
		l := &lead.Lead{ID: id, Stage: lead.StageSalesAccepted, Activities: []lead.Activity{act(lead.KindPricingRequest, now.Add(-ago))}}
		if amount != "" {
			l.Value = lead.MustParseMoney(amount, cur)
		}
		return nurture.Item{Lead: l}
	}
	its := []nurture.Item{
		breach("g-small-old", "100", "GBP", 10*time.Hour),
		breach("g-big", "90000", "GBP", time.Hour),
		breach("g-mid-new", "5000.00", "GBP", time.Hour),
		breach("g-mid-old", "5000", "GBP", 3*time.Hour),
		breach("e-huge", "1000000", "EUR", time.Hour),
		breach("none-old", "", "", 20*time.Hour),
		breach("none-new", "", "", 2*time.Hour),
		breach("u-1", "10", "USD", time.Hour),
	}
	rep := run(t, newAuditor(t, nurture.AuditConfig{}), now, its...)
	var ids []string
	for _, f := range kinds(rep, nurture.FindingResponseBreach) {
		ids = append(ids, f.Lead)
	}
	assert.Equal(t, []string{"e-huge", "g-big", "g-mid-old", "g-mid-new", "g-small-old", "u-1", "none-old", "none-new"}, ids,
		"by currency, then value, then overdue; equal amounts of different scale tie on value")

	// Keep the top 2 of each currency, but count them all.
	rep = run(t, newAuditor(t, nurture.AuditConfig{MaxFindings: 2}), now, its...)
	ids = ids[:0]
	for _, f := range kinds(rep, nurture.FindingResponseBreach) {
		ids = append(ids, f.Lead)
	}
	assert.Equal(t, []string{"e-huge", "g-big", "g-mid-old", "u-1", "none-old", "none-new"}, ids)
	assert.Equal(t, nurture.Total{Kind: nurture.FindingResponseBreach, Found: 8, Kept: 6}, rep.Totals[0])

	// Streams in any order give the same report.
	rev := slices.Clone(its)
	slices.Reverse(rev)
	again := run(t, newAuditor(t, nurture.AuditConfig{MaxFindings: 2}), now, rev...)
	assert.Equal(t, rep.Findings, again.Findings)
}

func TestAuditTopKKeepsTheBest(t *testing.T) {
	// 10,000 ignored leads of increasing value, shuffled: the report keeps
	// the 100 most valuable, in order.
	const n = 10_000
	order := rand10k()
	seq := func(yield func(nurture.Item) bool) {
		var l lead.Lead // one Lead reused for every item, as a database cursor might
		for _, i := range order {
			l = lead.Lead{ID: fmt.Sprintf("L%05d", i), Stage: lead.StageNew, CreatedAt: t0.Add(-10 * day),
				Value: lead.Money{Amount: decimalOf(int64(i)), Currency: "GBP"}}
			if !yield(nurture.Item{Lead: &l}) {
				return
			}
		}
	}
	rep, err := newAuditor(t, nurture.AuditConfig{}).Run(context.Background(), seq, t0)
	require.NoError(t, err)
	got := kinds(rep, nurture.FindingIgnored)
	require.Len(t, got, 100)
	for i, f := range got {
		assert.Equal(t, fmt.Sprintf("L%05d", n-1-i), f.Lead)
	}
	assert.Equal(t, n, rep.Leads)
	assert.Equal(t, nurture.Total{Kind: nurture.FindingIgnored, Found: n, Kept: 100}, rep.Totals[nurture.FindingIgnored])
}

func TestAuditSkipsAndCancels(t *testing.T) {
	rep := run(t, newAuditor(t, nurture.AuditConfig{}), t0, nurture.Item{}, nurture.Item{Lead: &lead.Lead{ID: "x", Stage: 77}})
	assert.Equal(t, 2, rep.Skipped)
	assert.Equal(t, 0, rep.Leads)
	assert.NotNil(t, rep.Findings)

	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	endless := func(yield func(nurture.Item) bool) {
		for {
			n++
			if n == 5000 {
				cancel()
			}
			if !yield(nurture.Item{Lead: &lead.Lead{ID: "x"}}) {
				return
			}
		}
	}
	_, err := newAuditor(t, nurture.AuditConfig{}).Run(ctx, endless, t0)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "nurture: audit stopped after")
	assert.Less(t, n, 5000+1025, "the stream is abandoned promptly")

	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	_, err = newAuditor(t, nurture.AuditConfig{}).Run(ctx, items(), t0)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestAuditConfigErrors(t *testing.T) {
	rows := []struct {
		name  string
		cfg   nurture.AuditConfig
		field string
	}{
		{"no vocabulary", nurture.AuditConfig{}, "Vocabulary"},
		{"negative lookback", nurture.AuditConfig{Lookback: -1}, "Lookback"},
		{"negative max", nurture.AuditConfig{MaxFindings: -1}, "MaxFindings"},
		{"huge max", nurture.AuditConfig{MaxFindings: 1_000_000}, "MaxFindings"},
		{"unknown stage limit", nurture.AuditConfig{StageLimits: map[lead.Stage]time.Duration{42: time.Hour}}, "StageLimits[stage(42)]"},
		{"target stage", nurture.AuditConfig{Targets: []nurture.Target{{Stage: 42, Leads: 1}}}, "Targets[0].Stage"},
		{"duplicate target", nurture.AuditConfig{Targets: []nurture.Target{{Stage: lead.StageWon, Leads: 1}, {Stage: lead.StageWon, Leads: 2}}}, "Targets[1].Stage"},
		{"negative leads", nurture.AuditConfig{Targets: []nurture.Target{{Stage: lead.StageWon, Leads: -1}}}, "Targets[0].Leads"},
		{"empty target", nurture.AuditConfig{Targets: []nurture.Target{{Stage: lead.StageWon}}}, "Targets[0]"},
		{"unknown money", nurture.AuditConfig{Targets: []nurture.Target{{Stage: lead.StageWon, Values: []lead.Money{{}}}}}, "Targets[0].Values[0]"},
		{"bad currency", nurture.AuditConfig{Targets: []nurture.Target{{Stage: lead.StageWon, Values: []lead.Money{{Currency: "ABC"}}}}}, "Targets[0].Values[0]"},
		{"negative money", nurture.AuditConfig{Targets: []nurture.Target{{Stage: lead.StageWon, Values: []lead.Money{lead.MustParseMoney("-1", "GBP")}}}}, "Targets[0].Values[0]"},
		{"two targets in a currency", nurture.AuditConfig{Targets: []nurture.Target{{Stage: lead.StageWon,
			Values: []lead.Money{lead.MustParseMoney("1", "GBP"), lead.MustParseMoney("2.00", "GBP")}}}}, "Targets[0].Values[1]"},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			if r.field != "Vocabulary" {
				r.cfg.Vocabulary = qualify.DefaultVocabulary()
			}
			_, err := nurture.NewAuditor(r.cfg)
			require.Error(t, err)
			assert.ErrorIs(t, err, nurture.ErrInvalidConfig)
			var fe *lead.FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, r.field, fe.Path)
		})
	}
}

func TestAuditIsSafeForConcurrentUse(t *testing.T) {
	a := newAuditor(t, nurture.AuditConfig{Targets: []nurture.Target{{Stage: lead.StageNew, Leads: 1000}}})
	its := []nurture.Item{
		{Lead: needLead("a", "10", t0.Add(-time.Hour))},
		{Lead: &lead.Lead{ID: "b", Stage: lead.StageNew, CreatedAt: t0.Add(-5 * day), Activities: []lead.Activity{act(lead.KindEbook, t0.Add(-5*day))}}},
	}
	want := run(t, a, t0, its...)
	done := make(chan *nurture.Report)
	for range 4 {
		go func() {
			r, err := a.Run(context.Background(), items(its...), t0)
			if err != nil {
				t.Error(err)
			}
			done <- r
		}()
	}
	for range 4 {
		assert.Equal(t, want, <-done)
	}
}

func TestReportJSON(t *testing.T) {
	rep := run(t, newAuditor(t, nurture.AuditConfig{}), t0, nurture.Item{Lead: needLead("a", "10", t0.Add(-time.Hour))})
	b, err := json.Marshal(rep)
	require.NoError(t, err)
	var back map[string]any
	require.NoError(t, json.Unmarshal(b, &back))
	f := back["findings"].([]any)[0].(map[string]any)
	assert.Equal(t, "response_breach", f["kind"])
	assert.Equal(t, "sales_accepted", f["stage"])
	assert.Equal(t, map[string]any{"amount": "10", "currency": "GBP"}, f["value"])
	assert.NotEmpty(t, f["action"])
}

// rand10k returns 0..9999 in a fixed shuffled order.
func rand10k() []int {
	rng := rand.New(rand.NewPCG(7, 11))
	return rng.Perm(10_000)
}

func decimalOf(i int64) decimal.Decimal { return decimal.NewFromInt(i) }

func TestReportText(t *testing.T) {
	its := []nurture.Item{
		{}, // no lead
		{Lead: &lead.Lead{ID: "u", Stage: lead.StageOpportunity}}, // undated
	}
	for i := range 3 {
		its = append(its, nurture.Item{Lead: needLead(fmt.Sprintf("n%d", i), "", t0.Add(-time.Duration(i+1)*time.Hour))})
	}
	rep := run(t, newAuditor(t, nurture.AuditConfig{MaxFindings: 2, Targets: []nurture.Target{{Stage: lead.StageWon, Leads: 1}}}), t0, its...)
	assert.Equal(t, `Neglect audit at 2026-03-02 10:00 UTC: 4 leads, 4 findings
1 item skipped: no lead, or an unknown stage
1 lead undated: no touch, stage move, creation time or dated activity to judge neglect by

Response deadline breaches: 3 (the top 2 shown)
  - n2 (sales_accepted, no value): respond now: asked for pricing 3h ago and no one from sales has answered; the deadline passed 2h55m ago (owner ann)
  - n1 (sales_accepted, no value): respond now: asked for pricing 2h ago and no one from sales has answered; the deadline passed 1h55m ago (owner ann)

Pipeline coverage shortfalls: 1
  - refill won: it holds 0 leads of the 1 targeted

Pipeline:
  sales_accepted       3 leads     (3 with no value)
  opportunity          1 lead      (1 with no value)
  won                  0 leads     (target 1 lead: short)

Owners (imbalance 1.00: the busiest holds 1.00 times the average of open leads):
  OWNER       LEADS  OPEN  NEED  BREACHES  OUTSIDE HOURS  IGNORED
  ann         3      3     3     3         0              0
  (no owner)  1      1     0     0         0              0
`, rep.String())

	empty := run(t, newAuditor(t, nurture.AuditConfig{}), t0)
	assert.Equal(t, "Neglect audit at 2026-03-02 10:00 UTC: 0 leads, 0 findings\n", empty.String())
	assert.Empty(t, empty.Findings)
	assert.Len(t, empty.Totals, 7, "a total for every kind")
}
