package sqlstore_test

import (
	"context"
	"testing"

	"github.com/leadqual/leadqual/examples/sqlstore"
	"github.com/leadqual/leadqual/recycle"
	"github.com/leadqual/leadqual/recycle/recycletest"
	"github.com/stretchr/testify/require"
)

// TestConformance runs the recycle.Store conformance suite against every
// backend: a SQLite file, SQLite in memory and PostgreSQL, each with the
// host's transactions of database/sql.
func TestConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			recycletest.Run(t, func(t *testing.T) recycletest.Harness { return harness(t, b.open(t)) })
		})
	}
}

// harness returns the conformance suite's harness of s: its clock moved by
// AdvanceClock, its transactions begun on its own pool.
func harness(t *testing.T, s *sqlstore.Store) recycletest.Harness {
	return recycletest.Harness{
		Store:   s,
		Advance: s.AdvanceClock,
		Begin: func(t *testing.T) (recycle.Store, func() error, func() error) {
			tx, err := s.DB().BeginTx(context.Background(), nil)
			require.NoError(t, err)
			t.Cleanup(func() { _ = tx.Rollback() })
			return s.Tx(tx), tx.Commit, tx.Rollback
		},
	}
}
