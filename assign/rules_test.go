package assign_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leadqual/leadqual/assign"
	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

func TestParseRulesRoundTrip(t *testing.T) {
	r := sampleRules(t)
	assert.Equal(t, "emea-sales", r.Name)
	assert.Len(t, r.People, 6)
	assert.Equal(t, assign.ChooseRoundRobin, r.Rules[2].Choose)
	assert.Equal(t, []qualify.Priority{qualify.PriorityReview}, r.Rules[3].Priorities)
	assert.Equal(t, []assign.Step{{To: assign.RoleOwner}, {To: assign.RoleTeamLead, After: 30 * time.Minute}, {To: assign.RoleManager, After: 2 * time.Hour}}, r.Escalation)
	out, err := json.Marshal(r)
	require.NoError(t, err)
	back, err := assign.ParseRules(out)
	require.NoError(t, err)
	assert.Equal(t, r, back)
	a := newAssigner(t, assign.NewMemState(), r, nil)
	assert.Equal(t, r, a.Rules())
}

func TestParseRulesErrors(t *testing.T) {
	base := func(edit string) string {
		data, err := os.ReadFile(filepath.Join("testdata", "rules.json"))
		if err != nil {
			panic(err)
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			panic(err)
		}
		var e map[string]any
		if err := json.Unmarshal([]byte(edit), &e); err != nil {
			panic(err)
		}
		for k, v := range e {
			m[k] = v
		}
		out, _ := json.Marshal(m)
		return string(out)
	}
	tests := []struct {
		name string
		json string
		want []string
	}{
		{"not JSON", `{"people": [`, []string{"people[0] at line 1, column 13: the JSON ends too early"}},
		{"unknown field", `{"peeple": []}`, []string{"peeple at line 1, column 2: unknown field (the fields are name, people"}},
		{"trailing data", `{} {}`, []string{"line 1, column 4: unexpected data after the JSON value"}},
		{"a bad step", `{"escalation": [{"to": "owner"}, {"to": "manager", "after": "soon"}]}`, []string{"escalation[1]", `"soon"`}},
		{"wrong type", `{"capacity": "lots"}`, []string{"line 1, column", "capacity"}},
		{"no people, no rules", `{}`, []string{"people: none", "rules: none"}},
		{"a person twice and unknown people", base(`{"people": [{"id": "sam"}, {"id": "sam", "team": "mars"}], "teams": [], "on_call": {"people": ["zed"]},
			"escalation": [{"to": "owner"}]}`),
			[]string{`people[1].id: person "sam" declared twice`, `people[1].team: unknown team "mars"`,
				`rules[0].people[0]: unknown person "lena"`, `on_call.people[0]: unknown person "zed"`}},
		{"bad rule conditions", base(`{"rules": [{"name": "r", "countries": ["UK", ""], "priorities": ["none"], "people": ["sam", "sam"]},
			{"name": "r", "people": []}]}`),
			[]string{`rules[0].countries[0]: "UK" is not an ISO 3166-1 alpha-2 code`, "rules[0].countries[1]: empty",
				`rules[0].priorities[0]: "none" is not a priority of sales work`, `rules[0].people[1]: "sam" listed twice`,
				`rules[1].name: rule "r" declared twice`, "rules[1].people: none"}},
		{"bad away and capacity", base(`{"capacity": -1, "people": [{"id": "sam", "team": "uk", "capacity": -2,
			"away": [{"from": "2026-11-30T00:00:00Z", "until": "2026-11-20T00:00:00Z"}, {"from": "2026-11-30T00:00:00Z"}]}],
			"teams": [{"id": "uk", "lead": "sam", "manager": "sam"}], "rules": [{"name": "all", "people": ["sam"]}], "on_call": {}}`),
			[]string{"capacity: negative (-1)", "people[0].capacity: negative (-2)", "people[0].away[0]: from 2026-11-30T00:00:00Z is not before until",
				"people[0].away[1]: from and until are both required"}},
		{"a ladder that cannot be climbed", base(`{"people": [{"id": "sam"}], "teams": [{"id": "uk"}], "rules": [{"name": "all", "people": ["sam"]}], "on_call": {},
			"escalation": [{"to": "manager", "after": "1h"}, {"to": "team_lead", "after": "30m"}]}`),
			[]string{"escalation[1].after: 30m0s comes before the step above it", "people[0].team: required",
				"teams[0].lead: required", "teams[0].manager: required"}},
		{"a bad ladder step", base(`{"escalation": [{"to": "ceo"}]}`), []string{`"ceo"`}},
		{"an empty ladder", base(`{"escalation": []}`), []string{"escalation: empty"}},
		{"an unknown choice", base(`{"on_call": {"people": ["sam"], "choose": "random"}}`), []string{`"random"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := assign.ParseRules([]byte(tc.json))
			require.ErrorIs(t, err, assign.ErrInvalid)
			var fe *lead.FieldError
			assert.True(t, errors.As(err, &fe), "a *lead.FieldError")
			for _, w := range tc.want {
				assert.ErrorContains(t, err, w)
			}
		})
	}
	_, err := assign.ParseRules([]byte(`{"name": "` + strings.Repeat("x", assign.MaxRulesBytes) + `"}`))
	assert.ErrorContains(t, err, "more than 4194304")
}

// FuzzParseRules reads arbitrary bytes as rules: nothing panics; rules
// that parse encode and parse back to the same rules, and an Assigner
// built on them assigns a lead or says why not.
func FuzzParseRules(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := assign.ParseRules(data)
		if err != nil {
			require.ErrorIs(t, err, assign.ErrInvalid)
			return
		}
		out, err := json.Marshal(r)
		require.NoError(t, err)
		back, err := assign.ParseRules(out)
		require.NoError(t, err)
		require.Equal(t, r, back)
		a, err := assign.New(assign.NewMemState(), assign.Config{Rules: r, Vocabulary: qualify.DefaultVocabulary()})
		require.NoError(t, err)
		res, err := a.Assign(ctx, assign.Request{Lead: prospect("L-1", "DE")}, t0)
		if err != nil {
			require.ErrorIs(t, err, assign.ErrNoOwner)
			return
		}
		require.NotEmpty(t, res.Reason)
		_, err = a.Escalate(ctx, "L-1", t0, t0.Add(time.Hour))
		require.NoError(t, err)
	})
}
