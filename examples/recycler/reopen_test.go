package main

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/leadqual/leadqual/examples/sqlstore"
	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/recycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A lead lost to a preferred supplier that asks for a quote 30 days later
// is woken, and goes to sales with a deadline: fresh need after a loss
// outranks the loss's reason. It is not put back to sleep for two years.
func TestNeedAfterLossGoesToSales(t *testing.T) {
	ctx := context.Background()
	store, err := sqlstore.OpenSQLite(ctx, ":memory:", sqlstore.SQLiteConfig{})
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	policy, err := qualify.Compile(qualify.DefaultSpec())
	require.NoError(t, err)
	sched, err := recycle.NewScheduler(store, recycle.Config{Vocabulary: policy.Vocabulary(), Currency: "GBP", Lease: lease,
		Catalogue: recycle.Catalogue{Products: []recycle.Product{{Name: "RoutePlanner", Aliases: []string{"route-planner"}}}}})
	require.NoError(t, err)

	lost := t1.Add(-30 * 24 * time.Hour)
	l := &lead.Lead{
		ID: "L-back", Contact: lead.Contact{Name: "Tom Berg", Email: "tom@cargo.example", Role: lead.RoleDecisionMaker},
		Company: lead.Company{Name: "Cargo AB", Employees: 300, Country: "SE"}, Stage: lead.StageLost,
		Value: lead.MustParseMoney("90000", "GBP"), LostReason: lead.ReasonPreferredSupplier,
		History: []lead.Transition{{From: lead.StageOpportunity, To: lead.StageLost, At: lost, Reason: "chose Acme"}},
	}
	e, err := sched.Recycle(ctx, l, l.LostReason, lost)
	require.NoError(t, err)
	require.True(t, e.Due.After(t1.Add(300*24*time.Hour)), "out of scope: a long horizon")

	quote := lead.Activity{Kind: lead.KindQuoteRequest, At: t1.Add(-time.Hour), Product: "route-planner"}
	l.Activities = append(l.Activities, quote)
	obs, err := sched.Observe(ctx, l.ID, quote, quote.At)
	require.NoError(t, err)
	require.True(t, obs.Woken, "new need in ours wakes the lead")

	actions := &fakeActions{}
	w, err := NewWorker(Config{Scheduler: sched, Policy: policy, Leads: JSONLines{l.ID: l}, Actions: actions,
		Once: true, Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return t1 }})
	require.NoError(t, err)
	require.NoError(t, w.Run(ctx))
	assert.Equal(t, "sales", actions.handed[l.ID])
	_, err = store.Get(ctx, l.ID)
	assert.ErrorIs(t, err, recycle.ErrNotFound, "acknowledged: off the recycle schedule")

	d, err := qualify.EvaluateAt(ctx, policy, l, t1)
	require.NoError(t, err)
	assert.Equal(t, qualify.RouteSales, d.Route)
	assert.Equal(t, quote.At.Add(5*time.Minute), d.Deadline)
	assert.Equal(t, "asked for a quote after being lost to a preferred supplier", d.Note)
}

// A lead lost on one product line and woken by need on it: the worker
// reads the lead behind the line's entry key, acts on the line's
// decision, and leaves the lead's other lines alone.
func TestLineEntryActsOnTheLinesDecision(t *testing.T) {
	ctx := context.Background()
	store, err := sqlstore.OpenSQLite(ctx, ":memory:", sqlstore.SQLiteConfig{})
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	spec := qualify.DefaultSpec()
	spec.Settings.ProductLines = []qualify.ProductLine{
		{Name: "routeplanner", Products: []string{"RoutePlanner"}},
		{Name: "fleetinsight", Products: []string{"FleetInsight"}},
	}
	policy, err := qualify.Compile(spec)
	require.NoError(t, err)
	sched, err := recycle.NewScheduler(store, recycle.Config{Vocabulary: policy.Vocabulary(), Currency: "GBP", Lease: lease,
		Catalogue: recycle.Catalogue{Products: []recycle.Product{{Name: "RoutePlanner"}, {Name: "FleetInsight"}}}})
	require.NoError(t, err)

	lost := t1.Add(-60 * 24 * time.Hour)
	l := &lead.Lead{
		ID: "L-lines", Contact: lead.Contact{Name: "Ann Lee", Email: "ann@haulage.example", Role: lead.RoleDecisionMaker},
		Company: lead.Company{Name: "Example Haulage", Employees: 250, Country: "GB"},
		Value:   lead.MustParseMoney("50000", "GBP"),
		Lines: map[string]lead.Funnel{
			"routeplanner": {Stage: lead.StageLost, LostReason: lead.ReasonNoBudget,
				History: []lead.Transition{{From: lead.StageOpportunity, To: lead.StageLost, At: lost}}},
			"fleetinsight": {Stage: lead.StageWon},
		},
	}
	_, err = sched.RecycleLine(ctx, l, "routeplanner", lead.ReasonNoBudget, lost)
	require.NoError(t, err)
	demo := lead.Activity{Kind: lead.KindDemoRequest, At: t1.Add(-time.Hour), Product: "RoutePlanner"}
	l.Activities = append(l.Activities, demo)
	obs, err := sched.Observe(ctx, l.ID, demo, demo.At)
	require.NoError(t, err)
	require.True(t, obs.Woken)

	actions := &fakeActions{}
	w, err := NewWorker(Config{Scheduler: sched, Policy: policy, Leads: JSONLines{l.ID: l}, Actions: actions,
		Once: true, Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return t1 }})
	require.NoError(t, err)
	require.NoError(t, w.Run(ctx))
	assert.Equal(t, "sales", actions.handed[l.ID], "the line's need goes to sales; the lead is not 'gone'")
	assert.Equal(t, int64(0), w.Stats().Gone.Load())
	_, err = store.Get(ctx, recycle.EntryKey(l.ID, "routeplanner"))
	assert.ErrorIs(t, err, recycle.ErrNotFound, "the line's entry is acknowledged")
}
