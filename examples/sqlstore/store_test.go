package sqlstore_test

import (
	"testing"

	"github.com/leadqual/leadqual/recycle"
	"github.com/leadqual/leadqual/recycle/recycletest"
)

// TestConformance runs the recycle.Store conformance suite against every
// backend: a SQLite file, SQLite in memory and PostgreSQL.
func TestConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			recycletest.Run(t, func(t *testing.T) recycle.Store { return b.open(t) })
		})
	}
}
