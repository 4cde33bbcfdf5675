package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// northwind is an account of three people: one read a white paper, one
// attended a webinar, one asked for pricing two minutes before t0.
const northwind = `{
  "id": "northwind.example",
  "company": {"name": "Northwind", "domain": "northwind.example", "employees": 120},
  "leads": [
    {"id": "L-1", "contact": {"name": "Ann Lee", "role": "influencer"},
     "activities": [{"kind": "white_paper", "at": "2026-02-27T09:00:00Z"}]},
    {"id": "L-2", "contact": {"name": "Bob Ray", "role": "user"},
     "activities": [{"kind": "webinar_attended", "at": "2026-02-28T09:00:00Z"}]},
    {"id": "L-3", "contact": {"name": "Dee Fox", "role": "user"},
     "activities": [{"kind": "pricing_request", "at": "2026-03-02T08:58:00Z"}]}
  ]
}`

func TestPostAccountDecides(t *testing.T) {
	s, n := newTestServer(t, Config{})
	resp := do(t, s, request{method: http.MethodPost, path: "/v1/accounts", body: northwind})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	got := decode[AccountResponse](t, resp)
	d := got.Decision
	assert.Equal(t, "northwind.example", d.Account)
	assert.Equal(t, qualify.VerdictNeed, d.Verdict)
	assert.Equal(t, qualify.RouteSales, d.Route)
	assert.Equal(t, "L-3", d.Contact, "the contact who showed the need")
	assert.True(t, time.Date(2026, time.March, 2, 9, 3, 0, 0, time.UTC).Equal(d.Deadline))
	assert.Equal(t, []string{"L-1", "L-2", "L-3"}, d.Group.Engaged)
	assert.Equal(t, []lead.Role{lead.RoleDecisionMaker}, d.Group.Missing)
	assert.Contains(t, d.Summary, "no decision maker reached: reach the sales, finance or managing director (reached: influencer, user)")
	require.Len(t, d.Contacts, 3)
	assert.Equal(t, qualify.RouteNurture, d.Contacts[0].Route)
	assert.Equal(t, "sent", got.Notification)
	assert.Equal(t, []alert{{lead: "L-3", deadline: d.Deadline.UTC(), policy: "leadqual-default"}}, normalise(n.all()),
		"sales is told about the contact who asked")

	resp = do(t, s, request{method: http.MethodPost, path: "/v1/accounts", body: `{"id": "A-2", "leads": [{"id": "L-9"}]}`})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	got = decode[AccountResponse](t, resp)
	assert.Equal(t, qualify.RouteNurture, got.Decision.Route)
	assert.Empty(t, got.Notification)
	assert.Len(t, n.all(), 1, "no need, no alert")
}

func TestPostAccountRefuses(t *testing.T) {
	tests := []struct {
		name     string
		cfg      Config
		body     string
		status   int
		code     string
		problems []Problem
		message  string
	}{
		{name: "an unknown field in a lead, named with its path",
			body:   `{"id": "A", "leads": [{"id": "L-1"}, {"id": "L-2", "contact": {"emial": "x@y.example"}}]}`,
			status: http.StatusBadRequest, code: CodeInvalidJSON,
			problems: []Problem{{Field: "leads[1].contact.emial", Line: 1, Column: 64,
				Message: "unknown field (the fields are name, email, phone, title, role, time_zone)"}}},
		{name: "an empty body", body: " ", status: http.StatusBadRequest, code: CodeMalformedJSON, message: "send an account as a JSON object"},
		{name: "an invalid account and lead, every problem",
			body:   `{"id": "", "leads": [{"id": "L-1", "contact": {"email": "nope"}}, {"id": "L-1"}]}`,
			status: http.StatusUnprocessableEntity, code: CodeInvalidAccount,
			problems: []Problem{{Field: "id", Message: "empty"}, {Field: "leads[0].contact.email", Message: `"nope" is not an email address`},
				{Field: "leads[1].id", Message: `"L-1" is also the ID of leads[0]`}}},
		{name: "too many contacts for the policy",
			cfg:    Config{Policy: compile(t, alphaJSON, qualify.WithLimits(qualify.Limits{MaxContacts: 2}))},
			body:   northwind,
			status: http.StatusUnprocessableEntity, code: CodeLeadLimit,
			problems: []Problem{{Field: "leads", Message: "limit MaxContacts exceeded: 3 > 2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, n := newTestServer(t, tt.cfg)
			resp := do(t, s, request{method: http.MethodPost, path: "/v1/accounts", body: tt.body,
				header: map[string]string{"Content-Type": "application/json"}})
			require.Equal(t, tt.status, resp.StatusCode)
			body := decode[ErrorBody](t, resp)
			assert.Equal(t, tt.code, body.Error.Code)
			if tt.problems != nil {
				assert.Equal(t, tt.problems, body.Error.Problems)
			}
			assert.True(t, strings.Contains(body.Error.Message, tt.message), body.Error.Message)
			assert.Empty(t, n.all())
		})
	}
}

// With a team, the contact whose need sends the account to sales gets an
// owner: the account's owner first, else the host's rules.
func TestPostAccountAssigns(t *testing.T) {
	s, _ := newTestServer(t, Config{Team: team(t)})
	withCountry := strings.Replace(northwind, `"employees": 120}`, `"employees": 120, "country": "GB"}`, 1)
	resp := do(t, s, request{method: http.MethodPost, path: "/v1/accounts", body: withCountry})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	got := decode[AccountResponse](t, resp)
	require.NotNil(t, got.Assignment, got.Unassigned)
	assert.Equal(t, "L-3", got.Assignment.Lead)
	assert.Equal(t, "sam", got.Assignment.Owner)

	owned := strings.Replace(withCountry, `"id": "northwind.example",`, `"id": "northwind.example", "owner": "priya",`, 1)
	resp = do(t, s, request{method: http.MethodPost, path: "/v1/accounts", body: strings.Replace(owned, `"L-3"`, `"L-4"`, 1)})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	got = decode[AccountResponse](t, resp)
	// priya owns the account but is away: the rules decide, and sam is
	// at capacity: nobody, and the account still goes to sales.
	assert.Nil(t, got.Assignment)
	assert.NotEmpty(t, got.Unassigned)
	assert.Equal(t, qualify.RouteSales, got.Decision.Route)
}
