package main

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leadqual/leadqual/assign"
	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

const teamJSON = `{
  "people": [{"id": "sam", "capacity": 1}, {"id": "priya", "away": [{"from": "2026-03-01T00:00:00Z", "until": "2026-03-09T00:00:00Z"}]}],
  "rules": [{"name": "uk", "countries": ["GB"], "people": ["sam", "priya"]}],
  "escalation": [{"to": "owner"}]
}`

func team(t testing.TB) *Team {
	t.Helper()
	r, err := assign.ParseRules([]byte(teamJSON))
	require.NoError(t, err)
	return &Team{Rules: r}
}

func TestPostLeadAssigns(t *testing.T) {
	s, n := newTestServer(t, Config{Team: team(t)})
	resp := do(t, s, request{method: http.MethodPost, path: "/v1/leads", body: needLead})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	got := decode[LeadResponse](t, resp)
	require.NotNil(t, got.Assignment)
	assert.Equal(t, "sam", got.Assignment.Owner)
	assert.Equal(t, `rule "uk" (country GB): least loaded: sam 0 open; passed over priya away until 9 Mar 2026 00:00 UTC`, got.Assignment.Reason)
	assert.False(t, got.Assignment.Existing)
	assert.Empty(t, got.Unassigned)
	assert.Equal(t, "sent", got.Notification)
	require.Len(t, n.all(), 1)

	// The same lead again: the same owner, already assigned.
	resp = do(t, s, request{method: http.MethodPost, path: "/v1/leads", body: needLead})
	again := decode[LeadResponse](t, resp)
	require.NotNil(t, again.Assignment)
	assert.True(t, again.Assignment.Existing)
	assert.Equal(t, "sam", again.Assignment.Owner)

	// Another lead: sam is at capacity and priya away: no owner, and the
	// decision stands.
	other := `{"id": "L-2", "company": {"country": "GB"}, "activities": [{"kind": "demo_request", "at": "2026-03-02T08:59:00Z"}]}`
	resp = do(t, s, request{method: http.MethodPost, path: "/v1/leads", body: other})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	third := decode[LeadResponse](t, resp)
	assert.Nil(t, third.Assignment)
	assert.Contains(t, third.Unassigned, "sam at capacity (1 of 1), priya away until 9 Mar 2026")
	assert.Equal(t, "sent", third.Notification, "sales is still told")

	// Interest is not sales' work: no owner.
	resp = do(t, s, request{method: http.MethodPost, path: "/v1/leads", body: interestLead})
	assert.Nil(t, decode[LeadResponse](t, resp).Assignment)
}

// The notifier sees the owner the lead was given.
func TestNotifierSeesTheOwner(t *testing.T) {
	var owner string
	s, _ := newTestServer(t, Config{Team: team(t), Notifier: NotifierFunc(func(_ context.Context, l *lead.Lead, _ qualify.Decision) error {
		owner = l.Owner
		return nil
	})})
	resp := do(t, s, request{method: http.MethodPost, path: "/v1/leads", body: needLead})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "sam", owner)
}

// A failing state leaves the lead unassigned with a general reason (the
// detail goes to the log), and the decision stands.
func TestAssignmentStateFailure(t *testing.T) {
	tm := team(t)
	tm.State = brokenState{assign.NewMemState()}
	s, _ := newTestServer(t, Config{Team: tm})
	resp := do(t, s, request{method: http.MethodPost, path: "/v1/leads", body: needLead})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	got := decode[LeadResponse](t, resp)
	assert.Nil(t, got.Assignment)
	assert.Equal(t, "the assignment failed; the server's log has the reason", got.Unassigned)
}

func TestNewServerRefusesBadTeam(t *testing.T) {
	_, err := NewServer(Config{Policy: defaultPolicy(t), Team: &Team{}})
	require.ErrorIs(t, err, assign.ErrInvalid)
	assert.ErrorContains(t, err, "webhook: Config.Team")
}

type brokenState struct{ *assign.MemState }

func (brokenState) Get(context.Context, string) (assign.Assignment, error) {
	return assign.Assignment{}, errors.New("database unreachable")
}
