package backtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/qualify/backtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A fixed timeline for the rewind: the decision is at t5.
var (
	t1 = t0.Add(1 * day)
	t2 = t0.Add(2 * day)
	t3 = t0.Add(3 * day)
	t4 = t0.Add(4 * day)
	t5 = t0.Add(5 * day)
	t6 = t0.Add(6 * day)
	t7 = t0.Add(7 * day)
)

func TestAsOf(t *testing.T) {
	tests := []struct {
		name  string
		lead  lead.Lead
		want  lead.Lead
		stats backtest.RewindStats
	}{
		{
			name:  "nothing after the decision: unchanged",
			lead:  lead.Lead{ID: "a", Stage: lead.StageNurturing, LostReason: "", Activities: []lead.Activity{{Kind: lead.KindWhitePaper, At: t1}, {Kind: lead.KindPricingRequest, At: t5}}, CreatedAt: t0, UpdatedAt: t5},
			want:  lead.Lead{ID: "a", Stage: lead.StageNurturing, Activities: []lead.Activity{{Kind: lead.KindWhitePaper, At: t1}, {Kind: lead.KindPricingRequest, At: t5}}, CreatedAt: t0, UpdatedAt: t5},
			stats: backtest.RewindStats{},
		},
		{
			name:  "later and undated activities dropped, update time moved back",
			lead:  lead.Lead{ID: "b", Activities: []lead.Activity{{Kind: lead.KindPricingRequest, At: t6}, {Kind: lead.KindWhitePaper, At: t2}, {Kind: lead.KindChat}}, CreatedAt: t0, UpdatedAt: t7},
			want:  lead.Lead{ID: "b", Activities: []lead.Activity{{Kind: lead.KindWhitePaper, At: t2}}, CreatedAt: t0, UpdatedAt: t2},
			stats: backtest.RewindStats{Leads: 1, Activities: 1, UndatedActivities: 1, Updated: 1}, // new today, updated since: nothing to rewind but the time

		},
		{
			name: "stage rewound along the history, later lost reason cleared",
			lead: lead.Lead{ID: "c", Stage: lead.StageDisqualified, LostReason: lead.ReasonNotAFit,
				History: []lead.Transition{
					{From: lead.StageNew, To: lead.StageNurturing, At: t1},
					{From: lead.StageNurturing, To: lead.StageSalesAccepted, At: t4},
					{From: lead.StageSalesAccepted, To: lead.StageDisqualified, At: t6},
				}, UpdatedAt: t6},
			want: lead.Lead{ID: "c", Stage: lead.StageSalesAccepted,
				History: []lead.Transition{
					{From: lead.StageNew, To: lead.StageNurturing, At: t1},
					{From: lead.StageNurturing, To: lead.StageSalesAccepted, At: t4},
				}, UpdatedAt: t4},
			stats: backtest.RewindStats{Leads: 1, Moves: 1, Stages: 1, LostReasons: 1, Updated: 1},
		},
		{
			name: "the move that set the stage records the lost reason: kept",
			lead: lead.Lead{ID: "c2", Stage: lead.StageRecycled, LostReason: lead.ReasonNoBudget,
				History: []lead.Transition{
					{From: lead.StageOpportunity, To: lead.StageLost, At: t3, Reason: "no_budget"},
					{From: lead.StageLost, To: lead.StageRecycled, At: t6},
				}, UpdatedAt: t6},
			want: lead.Lead{ID: "c2", Stage: lead.StageLost, LostReason: lead.ReasonNoBudget,
				History: []lead.Transition{{From: lead.StageOpportunity, To: lead.StageLost, At: t3, Reason: "no_budget"}}, UpdatedAt: t3},
			stats: backtest.RewindStats{Leads: 1, Moves: 1, Stages: 1, Updated: 1},
		},
		{
			name: "every move later: the stage before the first",
			lead: lead.Lead{ID: "d", Stage: lead.StageWon,
				History: []lead.Transition{
					{From: lead.StageOpportunity, To: lead.StageWon, At: t7},
					{From: lead.StageRecycled, To: lead.StageOpportunity, At: t6},
				}},
			want:  lead.Lead{ID: "d", Stage: lead.StageRecycled, History: []lead.Transition{}},
			stats: backtest.RewindStats{Leads: 1, Moves: 2, Stages: 1},
		},
		{
			name:  "no history, not updated since: stage and lost reason kept",
			lead:  lead.Lead{ID: "e", Stage: lead.StageLost, LostReason: lead.ReasonNotNow, UpdatedAt: t4},
			want:  lead.Lead{ID: "e", Stage: lead.StageLost, LostReason: lead.ReasonNotNow, UpdatedAt: t4},
			stats: backtest.RewindStats{},
		},
		{
			name:  "no history, updated since: stage unknown, taken as new",
			lead:  lead.Lead{ID: "f", Stage: lead.StageOpportunity, LostReason: lead.ReasonNotNow, CreatedAt: t1, UpdatedAt: t6},
			want:  lead.Lead{ID: "f", Stage: lead.StageNew, CreatedAt: t1, UpdatedAt: t1},
			stats: backtest.RewindStats{Leads: 1, Stages: 1, StagesAssumed: 1, LostReasons: 1, Updated: 1},
		},
		{
			name:  "no history, no update time, won: the outcome must not decide, taken as new",
			lead:  lead.Lead{ID: "g0", Stage: lead.StageWon},
			want:  lead.Lead{ID: "g0", Stage: lead.StageNew},
			stats: backtest.RewindStats{Leads: 1, Stages: 1, StagesAssumed: 1},
		},
		{
			name:  "no history, no update time: stage and lost reason kept, and counted",
			lead:  lead.Lead{ID: "g", Stage: lead.StageRecycled, LostReason: lead.ReasonNoBudget},
			want:  lead.Lead{ID: "g", Stage: lead.StageRecycled, LostReason: lead.ReasonNoBudget},
			stats: backtest.RewindStats{Leads: 1, StagesUndated: 1},
		},
		{
			name:  "no history, no update time, new: nothing to say",
			lead:  lead.Lead{ID: "g2", LostReason: lead.ReasonNotNow},
			want:  lead.Lead{ID: "g2", LostReason: lead.ReasonNotNow},
			stats: backtest.RewindStats{},
		},
		{
			name: "interests: later dropped, straddling moved back to evidence, undated dropped",
			lead: lead.Lead{ID: "h",
				Interests: []lead.Interest{
					{Topic: "later", FirstSeen: t6, LastSeen: t7},
					{Topic: "Routes", FirstSeen: t1, LastSeen: t7},
					{Topic: "fleet", FirstSeen: t2, LastSeen: t6},
					{Topic: "undated"},
					{Topic: "kept", FirstSeen: t1, LastSeen: t3},
					{Topic: "no-first", LastSeen: t6},
				},
				Activities: []lead.Activity{{Kind: lead.KindPageVisit, At: t3, Product: "routes"}, {Kind: lead.KindPageVisit, At: t6, Product: "routes"}},
			},
			want: lead.Lead{ID: "h",
				Interests: []lead.Interest{
					{Topic: "Routes", FirstSeen: t1, LastSeen: t3},
					{Topic: "fleet", FirstSeen: t2, LastSeen: t2},
					{Topic: "kept", FirstSeen: t1, LastSeen: t3},
				},
				Activities: []lead.Activity{{Kind: lead.KindPageVisit, At: t3, Product: "routes"}},
			},
			stats: backtest.RewindStats{Leads: 1, Activities: 1, Interests: 2, InterestsMovedBack: 2, UndatedInterests: 1},
		},
		{
			name: "consent given later is unknown then",
			lead: lead.Lead{ID: "i", Consent: map[lead.Channel]lead.Consent{
				lead.ChannelEmail: {State: lead.ConsentOptedIn, At: t2, How: "form"},
				lead.ChannelPhone: {State: lead.ConsentOptedOut, At: t6, How: "call"},
			}},
			want: lead.Lead{ID: "i", Consent: map[lead.Channel]lead.Consent{
				lead.ChannelEmail: {State: lead.ConsentOptedIn, At: t2, How: "form"},
				lead.ChannelPhone: {},
			}},
			stats: backtest.RewindStats{Leads: 1, Consents: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, err := json.Marshal(tt.lead)
			require.NoError(t, err)
			got, stats, err := backtest.AsOf(&tt.lead, t5)
			require.NoError(t, err)
			assert.Equal(t, tt.stats, stats)
			if tt.want.History == nil {
				tt.want.History = got.History // nil or empty: both "none"
			}
			assert.Equal(t, jsonOf(t, tt.want), jsonOf(t, got))
			after, err := json.Marshal(tt.lead)
			require.NoError(t, err)
			assert.JSONEq(t, string(before), string(after), "the lead itself is never changed")
		})
	}
}

func TestAsOfCreatedLater(t *testing.T) {
	_, _, err := backtest.AsOf(&lead.Lead{ID: "x", CreatedAt: t6}, t5)
	require.ErrorIs(t, err, backtest.ErrRecord)
	var re *backtest.RecordError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "lead.created_at", re.Field)
}

// The copy AsOf returns shares nothing with the lead: changing it in
// place leaves the lead as it was.
func TestAsOfCopyIsIndependent(t *testing.T) {
	l := &lead.Lead{ID: "x",
		Activities: []lead.Activity{{Kind: lead.KindChat, At: t1, Attrs: map[string]string{"a": "1"}}},
		History:    []lead.Transition{{From: lead.StageNew, To: lead.StageNurturing, At: t1}},
		Interests:  []lead.Interest{{Topic: "x", FirstSeen: t1}},
		Consent:    map[lead.Channel]lead.Consent{lead.ChannelEmail: {State: lead.ConsentOptedIn, At: t1}},
		Fields:     map[string]any{"nested": map[string]any{"k": []any{"v"}}},
	}
	before := jsonOf(t, *l)
	c, _, err := backtest.AsOf(l, t5)
	require.NoError(t, err)
	c.Activities[0].Kind = "changed"
	c.Activities[0].Attrs["a"] = "2"
	c.History[0].Reason = "changed"
	c.Interests[0].Topic = "changed"
	c.Consent[lead.ChannelEmail] = lead.Consent{}
	c.Fields["nested"].(map[string]any)["k"].([]any)[0] = "changed"
	assert.Equal(t, before, jsonOf(t, *l))
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// An export that dates nothing (no stage history, no updated_at) keeps
// its recycled leads recycled, with their reasons: the recycle route is not
// emptied by the rewind, and the report says what it could not date.
func TestRunKeepsUndatedStages(t *testing.T) {
	var recs []backtest.Record
	for i, r := range []lead.Reason{lead.ReasonNotNow, lead.ReasonNoBudget, lead.ReasonNotAFit} {
		recs = append(recs, backtest.Record{At: t5, Lead: &lead.Lead{ID: fmt.Sprint("r", i), Stage: lead.StageRecycled, LostReason: r}})
	}
	rep, err := backtest.Run(context.Background(), noisyPolicy(), seq(recs), backtest.Config{})
	require.NoError(t, err)
	assert.Equal(t, 2, rep.Route(qualify.RouteRecycle).Leads, "not_now and no_budget recycle")
	assert.Equal(t, 1, rep.Route(qualify.RouteDrop).Leads, "not_a_fit drops")
	assert.Equal(t, 3, rep.Rewind.StagesUndated)
	assert.Zero(t, rep.Rewind.LostReasons)
	var sb strings.Builder
	require.NoError(t, rep.WriteText(&sb))
	assert.Contains(t, sb.String(), "3 leads have neither a stage history nor updated_at")
}
