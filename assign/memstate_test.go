package assign_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leadqual/leadqual/assign"
	"github.com/leadqual/leadqual/assign/assigntest"
)

func TestMemStateConformance(t *testing.T) {
	assigntest.Run(t, func(t *testing.T) assign.State { return assign.NewMemState() })
}

func TestMemStateSnapshot(t *testing.T) {
	var m assign.MemState // the zero value is ready
	ctx := context.Background()
	for _, id := range []string{"L-2", "L-1", "L-3"} {
		_, err := m.Put(ctx, assign.Assignment{Lead: id, Owner: "ann", At: t0}, 0, 0)
		require.NoError(t, err)
	}
	got := m.Assignments()
	require.Len(t, got, 3)
	assert.Equal(t, "L-1", got[0].Lead)
	assert.Equal(t, 3, m.Len())

	// Restored into a new state, the loads follow.
	restored := assign.NewMemState()
	for _, a := range got {
		_, err := restored.Put(ctx, a, 0, 0)
		require.NoError(t, err)
	}
	loads, err := restored.Loads(ctx, []string{"ann"}, nil)
	require.NoError(t, err)
	assert.Equal(t, 3, loads[0].Open)

	_, err = m.Put(ctx, assign.Assignment{Lead: "L-9"}, 0, 0)
	assert.ErrorIs(t, err, assign.ErrInvalid, "no owner")
}
