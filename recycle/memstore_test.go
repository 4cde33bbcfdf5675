package recycle_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/recycle"
	"github.com/leadqual/leadqual/recycle/recycletest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMemStoreConformance(t *testing.T) {
	recycletest.Run(t, recycletest.MemHarness)
}

// TestZeroMemStore checks that the zero value is a store ready to use, on
// the wall clock.
func TestZeroMemStore(t *testing.T) {
	var m recycle.MemStore
	e, err := m.Put(ctx, recycle.Entry{LeadID: "L-1", Due: t0, Reason: lead.ReasonNotNow, Task: "Call back", Since: t0}, 0)
	require.NoError(t, err)
	before := time.Now()
	cs, err := m.Claim(ctx, t0, 10, time.Minute)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	assert.WithinRange(t, cs[0].LeaseUntil, before.Add(time.Minute), time.Now().Add(time.Minute), "a lease on the wall clock")
	cs2, err := m.Claim(ctx, t0.Add(24*time.Hour), 10, time.Minute)
	require.NoError(t, err)
	assert.Empty(t, cs2, "held, whatever the caller's clock says")
	require.NoError(t, m.Delete(ctx, "L-1", cs[0].Version))
	assert.Equal(t, e.Schedule, cs[0].Schedule)
	assert.Zero(t, m.Len())
}

func TestMemStoreSnapshot(t *testing.T) {
	m := recycle.NewMemStore()
	src := newScheduler(t, m, recycle.Config{})
	for i := range 20 {
		_, err := src.Recycle(ctx, &lead.Lead{ID: fmt.Sprintf("L-%02d", i), Value: gbp(fmt.Sprint(i * 100))}, lead.ReasonNoDecisionMaker, t0)
		require.NoError(t, err)
	}
	snapshot, err := json.Marshal(m.Entries())
	require.NoError(t, err)

	// Restored into a new store, after a restart.
	var entries []recycle.Entry
	require.NoError(t, json.Unmarshal(snapshot, &entries))
	restored := recycle.NewMemStore()
	for _, e := range entries {
		_, err := restored.Put(ctx, e, 0)
		require.NoError(t, err)
	}
	require.Equal(t, m.Len(), restored.Len())
	want, got := m.Entries(), restored.Entries()
	for i := range want {
		assert.Equal(t, want[i].LeadID, got[i].LeadID)
		assert.True(t, want[i].Due.Equal(got[i].Due))
		assert.Equal(t, want[i].Task, got[i].Task)
		assert.Equal(t, want[i].Rank, got[i].Rank)
		assert.Equal(t, want[i].Recycles, got[i].Recycles)
	}
	for i := 1; i < len(got); i++ {
		assert.False(t, got[i].Due.Before(got[i-1].Due), "Entries are in claim order")
	}
}

func TestMemStoreRefusesBadEntries(t *testing.T) {
	m := recycle.NewMemStore()
	_, err := m.Put(ctx, recycle.Entry{LeadID: "L-1"}, 0)
	require.ErrorIs(t, err, recycle.ErrInvalid)
	for _, field := range []string{"entry.due: missing", "entry.reason: empty", "entry.task: empty", "entry.since: missing"} {
		assert.ErrorContains(t, err, field)
	}
	_, err = m.Put(ctx, recycle.Entry{LeadID: "L-1", Due: t0, Reason: lead.ReasonDoNotContact, Task: "x", Since: t0, Recycles: 70000}, 0)
	assert.ErrorContains(t, err, "entry.reason: do_not_contact is final")
	assert.ErrorContains(t, err, "entry.recycles: 70000 is outside 0 to 65535")
	_, err = m.Claim(ctx, t0, 0, 0)
	assert.ErrorContains(t, err, "limit: 0 is not positive")
	assert.ErrorContains(t, err, "lease: 0s is not positive")
	assert.Zero(t, m.Len())
}
