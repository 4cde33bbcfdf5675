package backtest_test

import (
	"context"
	"fmt"
	"io"
	"iter"
	"runtime"
	"testing"

	"github.com/leadqual/leadqual/qualify/backtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// measured wraps a history and records the live heap after the first and
// the last of its records, so that the growth between them can be held to
// a bound: what Run keeps must not grow with the number of leads.
func measured(h iter.Seq[backtest.Record], first, last int, heap *[2]uint64) iter.Seq[backtest.Record] {
	return func(yield func(backtest.Record) bool) {
		i := 0
		for r := range h {
			if !yield(r) {
				return
			}
			i++
			if i == first || i == last {
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				heap[min(i/last, 1)] = ms.HeapAlloc
			}
		}
	}
}

func TestMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 60,000 leads")
	}
	const first, last = 15_000, 60_000
	// Kept in memory, the 45,000 leads between the two measures would take
	// some 60 MiB. On one worker nothing is in flight; on four, up to nine
	// batches of 256 leads (being judged, queued, being filled) are, some
	// 4 MiB, however long the history.
	for _, tt := range []struct {
		workers int
		bound   int64
	}{{1, 1 << 20}, {4, 8 << 20}} {
		workers := tt.workers
		t.Run(fmt.Sprint("workers ", workers), func(t *testing.T) {
			var heap [2]uint64
			h := measured(synthStream(last, 21), first, last, &heap)
			r, err := backtest.Run(context.Background(), noisyPolicy(), h, backtest.Config{Workers: workers})
			require.NoError(t, err)
			require.Equal(t, last, r.Records)
			growth := int64(heap[1]) - int64(heap[0])
			t.Logf("heap after %d leads: %d KiB, after %d: %d KiB", first, heap[0]>>10, last, heap[1]>>10)
			assert.Less(t, growth, tt.bound, "45,000 more leads must cost nothing but what is in flight")
		})
	}
	t.Run("lead results, workers 4", func(t *testing.T) {
		// Results wait for the batches before them; what waits is bounded
		// like what is in flight.
		var heap [2]uint64
		h := measured(synthStream(last, 23), first, last, &heap)
		lw := backtest.NewCSVLeadWriter(io.Discard)
		r, err := backtest.Run(context.Background(), noisyPolicy(), h, backtest.Config{Workers: 4, Leads: lw.Write})
		require.NoError(t, err)
		require.NoError(t, lw.Flush())
		require.Equal(t, last, r.Records)
		assert.Less(t, int64(heap[1])-int64(heap[0]), int64(10<<20))
	})
	t.Run("compare", func(t *testing.T) {
		var heap [2]uint64
		h := measured(synthStream(last, 22), first, last, &heap)
		p := noisyPolicy()
		c, err := backtest.Compare(context.Background(), p, defaultPolicy(t), h, backtest.Config{Workers: 2})
		require.NoError(t, err)
		require.Equal(t, last, c.A.Records)
		assert.Less(t, int64(heap[1])-int64(heap[0]), int64(6<<20))
	})
}
