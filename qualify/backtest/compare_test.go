package backtest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/qualify/backtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func compare(t *testing.T, a, b *qualify.Policy, recs []backtest.Record, cfg backtest.Config) *backtest.Comparison {
	t.Helper()
	c, err := backtest.Compare(context.Background(), a, b, seq(recs), cfg)
	require.NoError(t, err)
	return c
}

func TestCompareSamePolicy(t *testing.T) {
	p := noisyPolicy()
	recs := synthetic(3000, 5)
	c := compare(t, p, p, recs, backtest.Config{})
	assert.Equal(t, 3000, c.Leads)
	assert.Zero(t, c.Changed)
	assert.Zero(t, c.ScoresChanged)
	assert.Empty(t, c.Changes)
	assert.JSONEq(t, jsonOf(t, c.A), jsonOf(t, c.B))
	assert.JSONEq(t, jsonOf(t, run(t, p, recs, backtest.Config{})), jsonOf(t, c.A), "each side is what Run reports")
	for _, s := range c.Routes {
		assert.Equal(t, s.From, s.To)
	}
}

// B drops the demo-request need rule and raises the MQL bar: the
// transition tables add up to both reports, and the sample is bounded,
// deterministic and explained.
func TestCompareChanges(t *testing.T) {
	a := noisyPolicy()
	spec := a.Spec()
	spec.Name = "b"
	kept := spec.Rules[:0]
	for _, r := range spec.Rules {
		if r.Name != "demo-request" {
			kept = append(kept, r)
		}
	}
	spec.Rules = append(kept, qualify.Rule{Name: "heads-up", When: "fields.coin == true",
		Dimension: qualify.DimensionEngagement, Points: "50", Reason: "coin as engagement"})
	spec.Settings.MQLFit = 10
	b, err := qualify.Compile(spec)
	require.NoError(t, err)
	recs := synthetic(6000, 5)
	c := compare(t, a, b, recs, backtest.Config{MaxChanges: 3})
	assert.Positive(t, c.Changed)
	// The route table adds up to each side's routes.
	for r := range 4 {
		var fromA, toB, convA, convB int
		for _, s := range c.Routes {
			if s.From == qualify.Route(r).String() {
				fromA += s.Leads
				convA += s.Conversions
			}
			if s.To == qualify.Route(r).String() {
				toB += s.Leads
				convB += s.Conversions
			}
		}
		assert.Equal(t, c.A.Routes[r].Leads, fromA)
		assert.Equal(t, c.B.Routes[r].Leads, toB)
		assert.Equal(t, c.A.Routes[r].Conversions, convA)
		assert.Equal(t, c.B.Routes[r].Conversions, convB)
	}
	changedVerdicts := 0
	for _, s := range c.Verdicts {
		if s.From != s.To {
			changedVerdicts += s.Leads
		}
	}
	assert.LessOrEqual(t, changedVerdicts, c.Changed)
	// At most MaxChanges per pair of routes, in history order, each a real change.
	perPair := map[[2]qualify.Route]int{}
	for i, ch := range c.Changes {
		perPair[[2]qualify.Route{ch.A.Route, ch.B.Route}]++
		if i > 0 {
			assert.Greater(t, ch.Index, c.Changes[i-1].Index)
		}
		assert.True(t, ch.A.Route != ch.B.Route || ch.A.Verdict != ch.B.Verdict || ch.A.Qualified != ch.B.Qualified)
		assert.Equal(t, recs[ch.Index].Lead.ID, ch.Lead)
		assert.NotEmpty(t, append(append(ch.Added, ch.Removed...), ch.Changed...), "a change names its rules: %+v", ch)
	}
	for pair, n := range perPair {
		assert.LessOrEqual(t, n, 3, "%v", pair)
	}
	// The sample does not depend on the order of the history or the workers.
	rev := make([]backtest.Record, len(recs))
	for i, r := range recs {
		rev[len(recs)-1-i] = r
	}
	c2 := compare(t, a, b, rev, backtest.Config{MaxChanges: 3, Workers: 3})
	ids := func(cs []backtest.Change) map[string]bool {
		m := map[string]bool{}
		for _, ch := range cs {
			m[ch.Lead] = true
		}
		return m
	}
	assert.Equal(t, ids(c.Changes), ids(c2.Changes))
	assert.Equal(t, c.Changed, c2.Changed)

	var sb strings.Builder
	require.NoError(t, c.WriteText(&sb))
	for _, want := range []string{"A: leadqual-default", "B: b", "route A -> B", "A sample of the changed leads:", "demo-request"} {
		assert.Contains(t, sb.String(), want)
	}
}

func TestCompareErrorsOnOneSide(t *testing.T) {
	a := noisyPolicy()
	spec := a.Spec()
	spec.Name = "fails"
	spec.Rules = append(spec.Rules, qualify.Rule{Name: "seats", When: "fields.seats > 10",
		Dimension: qualify.DimensionFit, Points: "5", Reason: "many seats"})
	b, err := qualify.Compile(spec)
	require.NoError(t, err)
	recs := []backtest.Record{
		{Lead: &lead.Lead{ID: "a", Fields: map[string]any{"seats": 20.0}}, At: t5},
		{Lead: &lead.Lead{ID: "b", Fields: map[string]any{"seats": "many"}}, At: t5}, // a string where a number is compared
		{Lead: &lead.Lead{ID: "c"}},
	}
	c := compare(t, a, b, recs, backtest.Config{})
	assert.Equal(t, 1, c.Leads)
	assert.Equal(t, 0, c.OnlyAErrored)
	assert.Equal(t, 1, c.OnlyBErrored)
	assert.Equal(t, 1, c.A.Errored)
	assert.Equal(t, 2, c.B.Errored)
	assert.Equal(t, 1, c.ScoresChanged)
}
