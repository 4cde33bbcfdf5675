package recycle_test

import (
	"strings"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/recycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// linesVocabulary is the vocabulary of a policy of two product lines,
// whose products are the catalogue's.
func linesVocabulary(t *testing.T) *qualify.Vocabulary {
	t.Helper()
	s := qualify.DefaultSpec()
	s.Settings.ProductLines = []qualify.ProductLine{
		{Name: "routeplanner", Products: []string{"RoutePlanner"}},
		{Name: "telematics", Products: []string{"FleetInsight"}},
	}
	p, err := qualify.Compile(s)
	require.NoError(t, err)
	return p.Vocabulary()
}

var linesCatalogue = recycle.Catalogue{Products: []recycle.Product{
	{Name: "RoutePlanner", Topics: []string{"route optimisation"}},
	{Name: "FleetInsight", Topics: []string{"fuel analytics"}},
	{Name: "DepotSync"},
}}

func TestEntryKey(t *testing.T) {
	for _, tc := range []struct{ id, line, key string }{
		{"L-1", "", "L-1"},
		{"L-1", "routeplanner", "L-1\x1frouteplanner"},
		{"L-1/2#3", "Route Planner", "L-1/2#3\x1fRoute Planner"},
	} {
		assert.Equal(t, tc.key, recycle.EntryKey(tc.id, tc.line))
		id, line := recycle.SplitKey(tc.key)
		assert.Equal(t, tc.id, id)
		assert.Equal(t, tc.line, line)
		id, line = recycle.Entry{LeadID: tc.key}.Lead()
		assert.Equal(t, tc.id, id)
		assert.Equal(t, tc.line, line)
	}
	for key, problem := range map[string]string{
		"L-1\x1f\x1fx":  "a lead ID may not hold it",
		"\x1fx":         "a lead ID may not hold it",
		"L-1\x1f":       "after U+001F comes a product line",
		"L-1\x1f x":     "after U+001F comes a product line",
		"L-1\x1fok":     "",
		"plain-lead-id": "",
	} {
		e := recycle.Entry{LeadID: key, Due: t0, Reason: lead.ReasonNotNow, Task: "t", Since: t0}
		err := e.Validate()
		if problem == "" {
			assert.NoError(t, err, "%q", key)
			continue
		}
		require.ErrorIs(t, err, recycle.ErrInvalid, "%q", key)
		assert.ErrorContains(t, err, problem)
	}
}

func TestRecycleLine(t *testing.T) {
	s := newScheduler(t, recycle.NewMemStore(), recycle.Config{Vocabulary: linesVocabulary(t), Catalogue: linesCatalogue,
		Horizons: recycle.Horizons{Jitter: -1}})
	l := &lead.Lead{ID: "L-1", Value: gbp("1000")}
	l.SetFunnel("routeplanner", lead.Funnel{Stage: lead.StageLost, LostReason: lead.ReasonNoBudget})
	l.SetFunnel("telematics", lead.Funnel{Stage: lead.StageLost, LostReason: lead.ReasonPreferredSupplier})

	rp, err := s.RecycleLine(ctx, l, "routeplanner", "", t0)
	require.NoError(t, err)
	assert.Equal(t, "L-1\x1frouteplanner", rp.LeadID)
	assert.Equal(t, lead.ReasonNoBudget, rp.Reason, "the line's own lost reason")
	assert.Equal(t, t0.Add(days(180)), rp.Due.UTC())
	tm, err := s.RecycleLine(ctx, l, "telematics", "", t0)
	require.NoError(t, err)
	assert.Equal(t, lead.ReasonPreferredSupplier, tm.Reason)
	whole, err := s.RecycleLine(ctx, l, "", lead.ReasonNotNow, t0)
	require.NoError(t, err)
	assert.Equal(t, "L-1", whole.LeadID, "the implicit line is the lead's own entry")

	// Recycled again on one line: only that line backs off.
	rp2, err := s.RecycleLine(ctx, l, "routeplanner", "", t0.Add(days(1)))
	require.NoError(t, err)
	assert.Equal(t, 2, rp2.Recycles)
	got, err := s.Get(ctx, recycle.EntryKey("L-1", "telematics"))
	require.NoError(t, err)
	assert.Equal(t, 1, got.Recycles)

	_, err = s.RecycleLine(ctx, l, "fuelcards", "", t0)
	require.ErrorIs(t, err, recycle.ErrInvalid)
	assert.ErrorContains(t, err, `"fuelcards" is not a product line of the policy (routeplanner, telematics)`)
	_, err = s.RecycleLine(ctx, &lead.Lead{ID: "odd\x1fid"}, "telematics", lead.ReasonNotNow, t0)
	require.ErrorIs(t, err, recycle.ErrInvalid)
	_, err = s.Recycle(ctx, &lead.Lead{ID: "odd\x1f\x1fid"}, lead.ReasonNotNow, t0)
	require.ErrorIs(t, err, recycle.ErrInvalid, "a lead ID with U+001F is refused")
}

// A cross-sell: interest in one line wakes that line's entry only.
func TestObserveWakesTheLine(t *testing.T) {
	s := newScheduler(t, recycle.NewMemStore(), recycle.Config{Vocabulary: linesVocabulary(t), Catalogue: linesCatalogue,
		Horizons: recycle.Horizons{Jitter: -1}})
	l := &lead.Lead{ID: "L-1"}
	l.SetFunnel("routeplanner", lead.Funnel{Stage: lead.StageLost, LostReason: lead.ReasonNoBudget})
	l.SetFunnel("telematics", lead.Funnel{Stage: lead.StageLost, LostReason: lead.ReasonNotNow})
	for _, line := range []string{"routeplanner", "telematics"} {
		_, err := s.RecycleLine(ctx, l, line, "", t0)
		require.NoError(t, err)
	}
	_, err := s.Recycle(ctx, l, lead.ReasonStonewalled, t0)
	require.NoError(t, err)
	due := func(key string) time.Time {
		e, err := s.Get(ctx, key)
		require.NoError(t, err)
		return e.Due.UTC()
	}
	now := t0.Add(days(3))

	obs, err := s.Observe(ctx, "L-1", lead.Activity{Kind: lead.KindWhitePaper, At: now, Asset: "Fuel analytics for fleets"}, now)
	require.NoError(t, err)
	assert.True(t, obs.Woken)
	assert.Equal(t, "telematics", obs.Line, "the catalogue's product FleetInsight belongs to the line")
	assert.Equal(t, "new interest in FleetInsight", obs.Entry.Task)
	assert.Equal(t, now, due(recycle.EntryKey("L-1", "telematics")))
	assert.True(t, due(recycle.EntryKey("L-1", "routeplanner")).After(now), "the other line sleeps on")
	assert.True(t, due("L-1").After(now), "and so does the lead's own entry")

	// An interest in something we sell that no line of the lead's holds
	// wakes the lead's own entry.
	obs, err = s.Observe(ctx, "L-1", lead.Activity{Kind: lead.KindEbook, At: now, Product: "DepotSync"}, now)
	require.NoError(t, err)
	assert.Equal(t, "", obs.Line)
	assert.Equal(t, "L-1", obs.Entry.LeadID)
	assert.Equal(t, now, due("L-1"))
	assert.True(t, due(recycle.EntryKey("L-1", "routeplanner")).After(now))

	// A line the lead has no entry on: its own entry, as without lines.
	l2 := &lead.Lead{ID: "L-2"}
	_, err = s.Recycle(ctx, l2, lead.ReasonNotNow, t0)
	require.NoError(t, err)
	obs, err = s.Observe(ctx, "L-2", lead.Activity{Kind: lead.KindPricingRequest, At: now, Product: "RoutePlanner"}, now)
	require.NoError(t, err)
	assert.True(t, obs.Woken)
	assert.Equal(t, "", obs.Line)
	assert.Equal(t, now, due("L-2"))
}

// A worker claims a line's entry, splits its key, and reports the line
// still not ready.
func TestClaimedLine(t *testing.T) {
	s := newScheduler(t, recycle.NewMemStore(), recycle.Config{Vocabulary: linesVocabulary(t), Horizons: recycle.Horizons{Jitter: -1}})
	l := &lead.Lead{ID: "L-1"}
	l.SetFunnel("routeplanner", lead.Funnel{Stage: lead.StageLost, LostReason: lead.ReasonNoDecisionMaker})
	_, err := s.RecycleLine(ctx, l, "routeplanner", "", t0)
	require.NoError(t, err)
	claims, err := s.Claim(ctx, t0.Add(days(15)), 10)
	require.NoError(t, err)
	require.Len(t, claims, 1)
	id, line := claims[0].Lead()
	assert.Equal(t, "L-1", id)
	assert.Equal(t, "routeplanner", line)

	e, err := s.RecycleClaimed(ctx, claims[0], l, "", t0.Add(days(15)))
	require.NoError(t, err)
	assert.Equal(t, claims[0].LeadID, e.LeadID)
	assert.Equal(t, lead.ReasonNoDecisionMaker, e.Reason)
	assert.Equal(t, 2, e.Recycles)

	_, err = s.RecycleClaimed(ctx, e, &lead.Lead{ID: "L-2"}, "", t0)
	assert.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "is not the claimed lead") || strings.Contains(err.Error(), "not a claim"), err.Error())
}
