package lead_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leadqual/leadqual/lead"
)

func TestMoveLine(t *testing.T) {
	tests := []struct {
		name    string
		start   lead.Lead
		line    string
		to      lead.Stage
		wantErr error
		want    lead.Funnel
	}{
		{name: "a line the lead never entered starts new", start: lead.Lead{ID: "L"}, line: "fleet",
			to: lead.StageSalesAccepted,
			want: lead.Funnel{Stage: lead.StageSalesAccepted, History: []lead.Transition{
				{From: lead.StageNew, To: lead.StageSalesAccepted, At: t3, Reason: "why"}}}},
		{name: "won on the implicit line, another line stays open",
			start: lead.Lead{ID: "L", Stage: lead.StageWon}, line: "fleet", to: lead.StageNurturing,
			want: lead.Funnel{Stage: lead.StageNurturing, History: []lead.Transition{
				{From: lead.StageNew, To: lead.StageNurturing, At: t3, Reason: "why"}}}},
		{name: "won on a line is final for that line",
			start: lead.Lead{ID: "L", Lines: map[string]lead.Funnel{"fleet": {Stage: lead.StageWon}}},
			line:  "fleet", to: lead.StageSalesAccepted, wantErr: lead.ErrIllegalTransition,
			want: lead.Funnel{Stage: lead.StageWon}},
		{name: "the implicit line is MoveTo", start: lead.Lead{ID: "L"}, line: "", to: lead.StageNurturing,
			want: lead.Funnel{Stage: lead.StageNurturing, History: []lead.Transition{
				{From: lead.StageNew, To: lead.StageNurturing, At: t3, Reason: "why"}}}},
		{name: "a bad line name", start: lead.Lead{ID: "L"}, line: " fleet", to: lead.StageNurturing,
			wantErr: errors.New("leading or trailing spaces")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := tt.start
			err := l.MoveLine(tt.line, tt.to, t3, "why")
			switch {
			case tt.wantErr == nil:
				require.NoError(t, err)
				assert.Equal(t, t3, l.UpdatedAt)
			case errors.Is(tt.wantErr, lead.ErrIllegalTransition):
				require.ErrorIs(t, err, lead.ErrIllegalTransition)
				assert.Contains(t, err.Error(), `on product line "fleet"`)
				assert.True(t, l.UpdatedAt.IsZero(), "a refused move changes nothing")
			default:
				require.ErrorContains(t, err, tt.wantErr.Error())
				assert.Nil(t, l.Lines)
				return
			}
			assert.Equal(t, tt.want, l.Funnel(tt.line))
			if tt.line != "" {
				assert.Equal(t, tt.start.Stage, l.Stage, "a line's move leaves the implicit line alone")
			}
		})
	}
}

// Appending to a funnel's history never writes into the array of a copy
// the host kept.
func TestMoveLineDoesNotShareHistory(t *testing.T) {
	h := make([]lead.Transition, 1, 8)
	h[0] = lead.Transition{From: lead.StageNew, To: lead.StageNurturing, At: t1}
	l := lead.Lead{ID: "L", Lines: map[string]lead.Funnel{"fleet": {Stage: lead.StageNurturing, History: h}}}
	kept := l.Funnel("fleet")
	require.NoError(t, l.MoveLine("fleet", lead.StageSalesAccepted, t2, "asked for a quote"))
	require.NoError(t, kept.MoveTo(lead.StageRecycled, t3, "host's own copy"))
	assert.Equal(t, lead.StageSalesAccepted, l.Lines["fleet"].History[1].To)
	assert.Equal(t, lead.StageRecycled, kept.History[1].To)
}

func TestFunnelLostAt(t *testing.T) {
	f := lead.Funnel{}
	require.NoError(t, f.MoveTo(lead.StageSalesAccepted, t1, ""))
	require.NoError(t, f.MoveTo(lead.StageLost, t2, ""))
	require.NoError(t, f.MoveTo(lead.StageRecycled, t4, ""))
	assert.Equal(t, t4, f.LostAt(now))
	assert.Equal(t, t2, f.LostAt(t3), "a move after now is not seen")
	assert.True(t, (&lead.Funnel{}).LostAt(now).IsZero())
}

func TestCheckLineName(t *testing.T) {
	for name, ok := range map[string]bool{
		"routeplanner": true, "Route Planner": true, "flottes-é": true,
		"": false, " x": false, "x ": false, "a\tb": false, strings.Repeat("x", lead.MaxLineName): true,
		strings.Repeat("x", lead.MaxLineName+1): false, "\xff": false,
	} {
		err := lead.CheckLineName(name)
		assert.Equal(t, ok, err == nil, "%q: %v", name, err)
	}
}

func TestValidateLines(t *testing.T) {
	l := lead.Lead{ID: "L", Lines: map[string]lead.Funnel{
		"fleet": {Stage: lead.StageNurturing, History: []lead.Transition{
			{From: lead.StageNew, To: lead.StageWon, At: t1}}},
		"": {Stage: lead.StageNew},
	}, Merged: []lead.MergedLead{{ID: " ", Funnel: &lead.Funnel{Stage: 42}}}}
	assert.Equal(t, []string{
		"lines: empty product line name",
		"lines.fleet.history[0]: illegal move new -> won",
		"lines.fleet.history[0].to: won, but the stage is nurturing",
		"merged[0].id: empty",
		"merged[0].funnel.stage: unknown stage 42",
	}, problems(t, l.Validate(now)))
}

func TestAccountValidate(t *testing.T) {
	a := lead.Account{
		ID:      "A-1",
		Company: lead.Company{Name: "Acme", Domain: "acme example"},
		Stage:   lead.StageLost,
		History: []lead.Transition{{From: lead.StageNew, To: lead.StageSalesAccepted, At: t1}},
		Leads: []lead.Lead{
			{ID: "L-1", Contact: lead.Contact{Email: "ann@acme.example"}},
			{ID: "L-2", Contact: lead.Contact{Email: "not an address"}},
			{ID: "L-1"},
		},
	}
	err := a.Validate(now)
	assert.Equal(t, []string{
		"company.domain: \"acme example\" is not a domain name",
		"history[0].to: sales_accepted, but the stage is lost",
		"leads[1].contact.email: \"not an address\" is not an email address",
		"leads[2].id: \"L-1\" is also the ID of leads[0]",
	}, problems(t, err))
	assert.ErrorContains(t, err, `invalid account "A-1"`)

	good := lead.Account{ID: "A-2", Leads: []lead.Lead{{ID: "L-1"}, {ID: "L-2"}}}
	assert.NoError(t, good.Validate(now))
	var v lead.Validator
	assert.NoError(t, v.ValidateAccount(&good, now))
}

func TestAccountMoves(t *testing.T) {
	a := lead.Account{ID: "A"}
	require.NoError(t, a.MoveTo(lead.StageSalesAccepted, t1, "asked for a quote"))
	require.NoError(t, a.MoveLine("fleet", lead.StageNurturing, t2, "read a white paper"))
	require.ErrorIs(t, a.MoveLine("fleet", lead.StageWon, t3, ""), lead.ErrIllegalTransition)
	require.NoError(t, a.MoveTo(lead.StageLost, t4, "no budget"))
	assert.Equal(t, lead.StageLost, a.Funnel("").Stage)
	assert.Equal(t, lead.StageNurturing, a.Funnel("fleet").Stage)
	assert.Equal(t, t4, a.LostAt(now))
	assert.Equal(t, t4, a.UpdatedAt)
	assert.NoError(t, a.Validate(now))

	b, err := json.Marshal(a)
	require.NoError(t, err)
	var back lead.Account
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, a, back)
}
