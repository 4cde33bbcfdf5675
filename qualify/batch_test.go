package qualify

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func seqOf(leads []*lead.Lead) func(func(*lead.Lead) bool) {
	return func(yield func(*lead.Lead) bool) {
		for _, l := range leads {
			if !yield(l) {
				return
			}
		}
	}
}

func TestEvaluateAllInOrder(t *testing.T) {
	p := defaultPolicy(t)
	leads := make([]*lead.Lead, 1000)
	for i := range leads {
		leads[i] = benchLead(i%80, uint64(i))
	}
	leads[17].Activities = make([]lead.Activity, DefaultMaxActivities+1) // its own error
	leads[18] = nil                                                      // input the host could not parse
	for _, opts := range []BatchOptions{{Now: t0}, {Now: t0, Workers: 1}, {Now: t0, Workers: 7, Ahead: 3}, {Now: t0, Workers: 64}} {
		t.Run(fmt.Sprintf("workers=%d ahead=%d", opts.Workers, opts.Ahead), func(t *testing.T) {
			i := 0
			for r := range EvaluateAll(context.Background(), p, seqOf(leads), opts) {
				require.Equal(t, i, r.Index)
				require.Same(t, leads[i], r.Lead)
				switch i {
				case 17:
					assert.ErrorIs(t, r.Err, ErrLimit)
				case 18:
					assert.ErrorIs(t, r.Err, ErrNilLead)
				default:
					require.NoError(t, r.Err)
					require.Equal(t, evalAt(t, p, leads[i]), r.Decision)
				}
				i++
			}
			assert.Equal(t, len(leads), i)
		})
	}
}

func TestEvaluateAllStops(t *testing.T) {
	p := defaultPolicy(t)
	before := runtime.NumGoroutine()

	// The consumer breaks out early: the stream is not read further and no
	// goroutine is left behind.
	read := 0
	infinite := func(yield func(*lead.Lead) bool) {
		for i := 0; ; i++ {
			read++
			if !yield(benchLead(10, uint64(i))) {
				return
			}
		}
	}
	n := 0
	for r := range EvaluateAll(context.Background(), p, infinite, BatchOptions{Now: t0, Workers: 4, Ahead: 8}) {
		require.NoError(t, r.Err)
		if n++; n == 100 {
			break
		}
	}
	assert.LessOrEqual(t, read, 100+8, "reads at most Ahead leads beyond the consumer")

	// The context ends: the sequence ends with its error.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var last Result
	n = 0
	for r := range EvaluateAll(ctx, p, infinite, BatchOptions{Now: t0, Workers: 2}) {
		if n++; n == 50 {
			cancel()
		}
		last = r
	}
	assert.ErrorIs(t, last.Err, context.Canceled)
	assert.Nil(t, last.Lead)

	// Poll by hand: assert.Eventually runs its condition on goroutines of
	// its own.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	assert.LessOrEqual(t, runtime.NumGoroutine(), before, "goroutines left running")

	// A nil policy is reported, not a panic.
	for r := range EvaluateAll(context.Background(), nil, seqOf(nil), BatchOptions{}) {
		assert.ErrorIs(t, r.Err, ErrNilPolicy)
	}
}
