package qualify

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A host kind declared need in the policy's JSON alone reaches sales with
// a deadline, through the default policy's vocabulary rules, with a reason
// that names the kind.
func TestHostKindFromSettingsAlone(t *testing.T) {
	var raw map[string]any
	require.NoError(t, jsonUnmarshal(DefaultJSON(), &raw))
	settings := raw["settings"].(map[string]any)
	settings["intents"] = map[string]any{"callback_request": "need", "booth_scan": "interest", lead.KindPricingRequest.String(): "interest"}
	settings["descriptions"] = map[string]any{"callback_request": "asked to be called back"}
	p, err := CompileJSON(jsonMarshal(t, raw))
	require.NoError(t, err)

	d := evalAt(t, p, newLead("L", act("callback_request", ago(time.Hour))))
	assert.Equal(t, VerdictNeed, d.Verdict)
	assert.Equal(t, RouteSales, d.Route)
	assert.Equal(t, ago(time.Hour).Add(DefaultResponseDeadline), d.Deadline)
	assert.Equal(t, lead.Kind("callback_request"), d.NeedKind)
	assert.Contains(t, d.Reasons(), "asked to be called back", "the reason names the host's kind")

	d = evalAt(t, p, newLead("L", act("booth_scan", ago(time.Hour))))
	assert.Equal(t, VerdictInterest, d.Verdict)
	assert.Equal(t, RouteNurture, d.Route)
	assert.Contains(t, d.Reasons(), "booth_scan", "a kind without a description reads as itself")

	// Re-classed: a pricing request is interest under this policy.
	d = evalAt(t, p, newLead("L", act(lead.KindPricingRequest, ago(time.Hour))))
	assert.Equal(t, VerdictInterest, d.Verdict)
	assert.True(t, d.Deadline.IsZero())

	v := p.Vocabulary()
	assert.Equal(t, lead.IntentNeed, v.Intent("callback_request"))
	assert.Contains(t, v.Kinds(lead.IntentNeed), lead.Kind("callback_request"))
	assert.NotContains(t, v.Kinds(lead.IntentNeed), lead.KindPricingRequest)
	assert.Equal(t, DefaultResponseDeadline, v.ResponseDeadline())
	assert.Equal(t, DefaultNeedFresh, v.Freshness(lead.IntentNeed))
	assert.Equal(t, DefaultInterestFresh, v.Freshness(lead.IntentInterest))
}

// Every recycle reason the doctrine knows, and a host's own: fresh need
// after the loss reopens the lead for sales with a deadline and a note; need
// from before the loss does not; do not contact never reopens; a final
// non-fit goes to a person.
func TestFreshNeedAfterLoss(t *testing.T) {
	p := defaultPolicy(t)
	lostAt := ago(10 * day)
	reasons := []lead.Reason{
		lead.ReasonNotNow, lead.ReasonNoBudget, lead.ReasonNoDecisionMaker, lead.ReasonUnresponsive,
		lead.ReasonStonewalled, lead.ReasonPreferredSupplier, lead.ReasonOffshored, "budget_freeze",
	}
	for _, reason := range reasons {
		for _, stage := range []lead.Stage{lead.StageLost, lead.StageRecycled} {
			t.Run(string(reason)+"/"+stage.String(), func(t *testing.T) {
				l := newLead("L", act(lead.KindDemoRequest, ago(20*day)))
				l.Stage, l.LostReason = stage, reason
				l.History = []lead.Transition{{From: lead.StageOpportunity, To: lead.StageLost, At: lostAt}}
				if stage == lead.StageRecycled {
					l.History = append(l.History, lead.Transition{From: lead.StageLost, To: lead.StageRecycled, At: lostAt.Add(time.Hour)})
				}
				d := evalAt(t, p, l)
				assert.Equal(t, RouteRecycle, d.Route, "the demo request was answered by the loss")
				assert.NotEqual(t, VerdictNeed, d.Verdict)
				assert.True(t, d.Deadline.IsZero())

				l.Activities = append(l.Activities, act(lead.KindQuoteRequest, ago(2*time.Hour)))
				d = evalAt(t, p, l)
				assert.Equal(t, VerdictNeed, d.Verdict)
				assert.Equal(t, RouteSales, d.Route)
				assert.Equal(t, lead.StageSalesAccepted, d.NextStage)
				assert.Equal(t, ago(2*time.Hour).Add(DefaultResponseDeadline), d.Deadline)
				assert.Equal(t, reason, d.Reopened)
				assert.Equal(t, "asked for a quote after being "+reason.Describe(), d.Note)
				assert.Equal(t, d.Note, d.Reasons()[0])
				assert.True(t, lead.CanMove(l.Stage, d.NextStage))
			})
		}
	}

	t.Run("an undated loss", func(t *testing.T) {
		// Nothing dates the loss: the library cannot tell the request is
		// older, and an unanswered request costs more than a wasted call.
		l := newLead("L", act(lead.KindQuoteRequest, ago(2*time.Hour)))
		l.Stage, l.LostReason = lead.StageRecycled, lead.ReasonPreferredSupplier
		d := evalAt(t, p, l)
		assert.Equal(t, RouteSales, d.Route)
		assert.Equal(t, lead.ReasonPreferredSupplier, d.Reopened)
	})

	t.Run("do not contact wins over everything", func(t *testing.T) {
		for _, l := range []*lead.Lead{
			{ID: "by reason", LostReason: lead.ReasonDoNotContact, Stage: lead.StageLost},
			{ID: "by field", Fields: map[string]any{"do_not_contact": true}},
			{ID: "by stage and reason", LostReason: lead.ReasonDoNotContact, Stage: lead.StageDisqualified},
		} {
			l.Activities = []lead.Activity{act(lead.KindPricingRequest, ago(time.Minute))}
			l.History = []lead.Transition{{From: lead.StageNew, To: lead.StageLost, At: ago(day)}}
			d := evalAt(t, p, l)
			assert.Equal(t, RouteDrop, d.Route, l.ID)
			assert.Equal(t, VerdictOutOfScope, d.Verdict, l.ID)
			assert.Equal(t, lead.ReasonDoNotContact, d.Reason, l.ID)
			assert.True(t, d.Deadline.IsZero(), l.ID)
			assert.Empty(t, d.Reopened, l.ID)
		}
	})

	t.Run("a final non-fit that asks again goes to a person", func(t *testing.T) {
		l := newLead("L", act(lead.KindPricingRequest, ago(time.Minute)))
		l.Stage, l.LostReason = lead.StageDisqualified, lead.ReasonNotAFit
		l.History = []lead.Transition{{From: lead.StageNew, To: lead.StageDisqualified, At: ago(30 * day)}}
		d := evalAt(t, p, l)
		assert.Equal(t, RouteReview, d.Route)
		assert.Equal(t, VerdictNeed, d.Verdict)
		assert.Equal(t, lead.ReasonNotAFit, d.Reason)
		assert.Equal(t, lead.StageDisqualified, d.NextStage, "a person reopens it, not the library")
		assert.True(t, d.Deadline.IsZero())
		assert.Equal(t, "asked for pricing after being disqualified as not a fit: a person must decide whether to reopen it", d.Note)

		// Without new need it stays dropped.
		l.Activities = []lead.Activity{act(lead.KindPricingRequest, ago(40*day))}
		d = evalAt(t, p, l)
		assert.Equal(t, RouteDrop, d.Route)
	})

	t.Run("a host's final reason", func(t *testing.T) {
		s := DefaultSpec()
		s.Settings.Final = []lead.Reason{"fraud"}
		s.Rules = append(s.Rules, Rule{Name: "fraud", When: `lost_reason == "fraud"`, Disqualify: "fraud", Reason: "fraud: final"})
		p, err := Compile(s)
		require.NoError(t, err)
		l := newLead("L", act(lead.KindDemoRequest, ago(time.Minute)))
		l.Stage, l.LostReason = lead.StageLost, "fraud"
		d := evalAt(t, p, l)
		assert.Equal(t, RouteReview, d.Route)
		assert.Equal(t, lead.Reason("fraud"), d.Reason)
	})
}

// Sparse data is normal data: unknown inputs are not judged, wrong ones
// still fail.
func TestUnknownInputs(t *testing.T) {
	l := newLead("L-sparse")
	l.Fields = map[string]any{"seats": "many", "address": map[string]any{"country": "GB"}, "plan": nil}
	rules := []Rule{
		need("ok", "true"),
		points("visits", `fields.pages_per_visit > 2`, DimensionEngagement, "10"),
		points("nested", `fields.address.region == "north" || fields.address.size > 3`, DimensionFit, "5"),
		points("null", `fields.plan > 1`, DimensionFit, "5"),
		points("budget", `budget >= money("10000", "GBP")`, DimensionFit, "10"),
		points("value-points", `known(value) || true`, DimensionFit, `amount(value)`),
		points("equality", `fields.vip == true`, DimensionFit, "100"),
		points("indexed", `fields["pages"] * 2 > 10`, DimensionFit, "1"),
	}
	p, err := Compile(spec(rules...))
	require.NoError(t, err)
	d := evalAt(t, p, l)
	assert.Equal(t, []string{"ok"}, matchedRules(d))
	assert.Equal(t, []Unjudged{
		{Rule: "visits", Field: "when", Input: "fields.pages_per_visit"},
		{Rule: "nested", Field: "when", Input: "fields.address.size"},
		{Rule: "null", Field: "when", Input: "fields.plan"},
		{Rule: "budget", Field: "when", Input: "budget"},
		{Rule: "value-points", Field: "points", Input: "value"},
		{Rule: "indexed", Field: "when", Input: "fields.pages"},
	}, d.Unjudged)
	assert.Empty(t, d.Failures)
	assert.Zero(t, d.Fit)

	// The same rules with the inputs present are judged.
	l.Fields["pages_per_visit"], l.Fields["plan"], l.Fields["pages"] = 3.0, 2.0, 6.0
	l.Fields["address"] = map[string]any{"country": "GB", "size": 5.0}
	l.Budget = lead.MustParseMoney("20000", "GBP")
	l.Value = lead.MustParseMoney("7", "GBP")
	d = evalAt(t, p, l)
	assert.Empty(t, d.Unjudged)
	assert.Equal(t, []string{"ok", "visits", "nested", "null", "budget", "value-points", "indexed"}, matchedRules(d))

	t.Run("type confusion is still a failure", func(t *testing.T) {
		p, err := Compile(spec(points("seats", `fields.seats > 10`, DimensionFit, "5")))
		require.NoError(t, err)
		_, err = EvaluateAt(context.Background(), p, l, t0)
		var re *RuleError
		require.ErrorAs(t, err, &re)
		assert.Equal(t, "seats", re.Rule)
		assert.NotErrorIs(t, err, ErrUnknownInput)
	})

	t.Run("strict hosts fail on unknown inputs", func(t *testing.T) {
		s := spec(points("visits", `fields.pages_per_visit > 2`, DimensionEngagement, "10"))
		s.Settings.OnUnknown = UnknownFail
		p, err := Compile(s)
		require.NoError(t, err)
		_, err = EvaluateAt(context.Background(), p, newLead("L"), t0)
		require.ErrorIs(t, err, ErrUnknownInput)
		require.ErrorIs(t, err, ErrRule)
		assert.Contains(t, err.Error(), "fields.pages_per_visit is unknown")
	})
}

// The default policy gives an unknown role, size or budget no penalty.
func TestUnknownIsNotNo(t *testing.T) {
	p := defaultPolicy(t)
	d := evalAt(t, p, &lead.Lead{ID: "L", Contact: lead.Contact{Email: "a@example.com"}})
	assert.Zero(t, d.Fit)
	assert.Empty(t, d.Matched)
	l := newLead("L")
	require.Equal(t, lead.RoleUser, l.Contact.Role)
	assert.Equal(t, -10.0, evalAt(t, p, l).Fit, "a known user is not a decision maker")
}

func TestReasonTemplates(t *testing.T) {
	s := spec(
		need("need", `signals("need") > 0`),
		Rule{Name: "hot", When: `fields.hot == true`, Intent: lead.IntentNeed, Reason: "flagged hot: {need}"},
		Rule{Name: "int", When: `signals("interest") > 0`, Intent: lead.IntentInterest, Reason: "interest: {interest}"},
	)
	s.Rules[0].Reason = "{need} (need)"
	p, err := Compile(s)
	require.NoError(t, err)
	l := newLead("L", act(lead.KindDemoRequest, ago(time.Hour)), act(lead.KindTrialStarted, ago(2*time.Hour)), act(lead.KindEbook, ago(day)))
	l.Fields = map[string]any{"hot": true}
	d := evalAt(t, p, l)
	assert.Equal(t, []string{"asked for a demo (need)", "flagged hot: asked for a demo", "interest: downloaded an e-book"}, d.Reasons())

	l = newLead("L")
	l.Fields = map[string]any{"hot": true}
	d = evalAt(t, p, l)
	assert.Equal(t, []string{"flagged hot: asked to be helped"}, d.Reasons())

	_, err = Compile(spec(Rule{Name: "both", When: "true", Intent: lead.IntentNeed, Reason: "{need} and {interest}"}))
	require.ErrorIs(t, err, ErrInvalidPolicy)
	assert.Contains(t, err.Error(), "names both")
}

func TestVocabularySettingsRefused(t *testing.T) {
	tests := []struct {
		name string
		set  func(s *Settings)
		want string
	}{
		{"empty kind", func(s *Settings) { s.Intents = map[lead.Kind]lead.Intent{"": lead.IntentNeed} }, "settings.intents: empty activity kind"},
		{"bad touch", func(s *Settings) { s.Touches = map[lead.Kind]lead.Touch{"x": 9} }, "settings.touches.x: unknown touch 9"},
		{"empty description", func(s *Settings) { s.Descriptions = map[lead.Kind]string{"x": " "} }, "settings.descriptions.x: empty"},
		{"long description", func(s *Settings) { s.Descriptions = map[lead.Kind]string{"x": strings.Repeat("a", 201)} }, "at most 200 bytes"},
		{"long kind", func(s *Settings) {
			s.Intents = map[lead.Kind]lead.Intent{lead.Kind(strings.Repeat("k", 300)): lead.IntentNeed}
		}, "at most 200 bytes"},
		{"bad on_unknown", func(s *Settings) { s.OnUnknown = 7 }, "settings.on_unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := DefaultSpec()
			tt.set(&s.Settings)
			_, err := Compile(s)
			require.ErrorIs(t, err, ErrInvalidPolicy)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestSettingsJSONRoundTrip(t *testing.T) {
	s := DefaultSpec()
	s.Settings.Intents = map[lead.Kind]lead.Intent{"callback_request": lead.IntentNeed}
	s.Settings.Touches = map[lead.Kind]lead.Touch{"telemarketing_call": lead.TouchMarketing}
	s.Settings.Descriptions = map[lead.Kind]string{"callback_request": "asked to be called back"}
	s.Settings.OnUnknown = UnknownFail
	b := jsonMarshal(t, s)
	assert.Contains(t, string(b), `"touches":{"telemarketing_call":"marketing"}`)
	assert.Contains(t, string(b), `"on_unknown":"fail"`)
	back, err := ParseSpec(b)
	require.NoError(t, err)
	assert.Equal(t, s.Settings, back.Settings)
	p, err := Compile(back)
	require.NoError(t, err)
	assert.Equal(t, lead.TouchMarketing, p.Vocabulary().Touch("telemarketing_call"))
	assert.Equal(t, lead.TouchSales, p.Vocabulary().Touch(lead.KindCallAttempted))
	assert.Equal(t, "asked to be called back", p.Vocabulary().Describe("callback_request"))
}

func TestDefaultVocabulary(t *testing.T) {
	v := DefaultVocabulary()
	require.Same(t, v, DefaultVocabulary())
	assert.Same(t, v, v) // immutable and shared
	p := defaultPolicy(t)
	for _, k := range append(lead.Kinds(), "unknown_kind") {
		assert.Equal(t, k.Intent(), v.Intent(k), k)
		assert.Equal(t, k.Touch(), v.Touch(k), k)
		assert.Equal(t, k.Describe(), v.Describe(k), k)
		assert.Equal(t, v.Intent(k), p.Vocabulary().Intent(k), "the default policy's vocabulary is the default")
	}
	for _, k := range []lead.Kind{lead.KindTradeShow, lead.KindSeminar, lead.KindConference} {
		assert.Equal(t, lead.IntentInterest, v.Intent(k), k)
	}
	l := newLead("L", act(lead.KindQuoteRequest, ago(40*day)), act(lead.KindDemoRequest, ago(2*day)),
		act(lead.KindPricingRequest, ago(3*day)), act(lead.KindEbook, ago(time.Hour)), act(lead.KindDemoRequest, t0.Add(time.Hour)))
	assert.Equal(t, 1, v.Newest(l, lead.IntentNeed, t0))
	assert.Equal(t, 3, v.Newest(l, lead.IntentInterest, t0))
	assert.Equal(t, -1, v.Newest(l, lead.IntentNegative, t0))
	assert.False(t, v.Fresh(&l.Activities[0], t0))
	assert.False(t, v.Fresh(&l.Activities[4], t0), "the future is not fresh")
	assert.Nil(t, v.Kinds(lead.Intent(9)))
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func jsonMarshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}
