package recycle_test

import (
	"testing"

	"github.com/leadqual/leadqual/recycle"
	"github.com/leadqual/leadqual/recycle/recycletest"
)

func TestMemStoreConformance(t *testing.T) {
	recycletest.Run(t, func(*testing.T) recycle.Store { return recycle.NewMemStore() })
}

func TestZeroMemStoreConformance(t *testing.T) {
	recycletest.Run(t, func(*testing.T) recycle.Store { return new(recycle.MemStore) })
}
