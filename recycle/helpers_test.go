package recycle_test

import (
	"testing"
	"time"

	"github.com/leadqual/leadqual/recycle"
	"github.com/stretchr/testify/require"
)

// t0 is the start of the tests' fixed timeline: Monday 23 November 2026,
// 09:00 UTC.
var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func days(n int) time.Duration { return time.Duration(n) * recycle.Day }

func mustPlanner(t *testing.T, h recycle.Horizons) *recycle.Planner {
	t.Helper()
	p, err := recycle.NewPlanner(h)
	require.NoError(t, err)
	return p
}

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}
