package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// heapSampler is an output that measures the live heap (after a GC) every
// `every` bytes written: a point in the run, not a moment in time, so the
// measure does not depend on the machine's speed.
type heapSampler struct {
	every, since int
	samples      []uint64
}

func (h *heapSampler) Write(p []byte) (int, error) {
	h.since += len(p)
	if h.since >= h.every {
		h.since = 0
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		h.samples = append(h.samples, ms.HeapAlloc)
	}
	return len(p), nil
}

// TestFlatMemory decides a generated export and checks that the live heap
// does not grow with the rows read: the heap at the end of the run is
// that of its first tenth. The benchmark below shows the same on a
// million rows.
func TestFlatMemory(t *testing.T) {
	const rows = 20_000
	p, err := loadPolicy("")
	require.NoError(t, err)
	out := &heapSampler{every: 128 << 10}
	j := &Job{Policy: p, Now: t0, Rejects: io.Discard}
	sum, err := j.Run(context.Background(), genExport(rows, t0), out)
	require.NoError(t, err)
	require.Equal(t, rows, sum.Rows)
	assert.Equal(t, rows/500, sum.Skipped, "one row in 500 does not validate")
	require.GreaterOrEqual(t, len(out.samples), 20)

	tenth := len(out.samples) / 10
	early := maxOf(out.samples[:tenth])
	late := maxOf(out.samples[len(out.samples)-tenth:])
	t.Logf("live heap: %.1f MiB in the first tenth of the run, %.1f MiB in the last (%d samples)",
		mib(early), mib(late), len(out.samples))
	// Rows held would grow the heap by rows × ~1 KiB; allow 2 MiB of noise.
	assert.Less(t, late, early+2<<20, "the live heap grew with the rows read")
}

func maxOf(xs []uint64) uint64 {
	var m uint64
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// BenchmarkRequalify decides generated exports of growing size and reports
// the rows decided per second and the peak heap: flat memory shows as a
// peak that does not grow with the rows.
//
//	go test -run '^$' -bench Requalify -benchtime 1x ./examples/batch
func BenchmarkRequalify(b *testing.B) {
	p, err := loadPolicy("")
	if err != nil {
		b.Fatal(err)
	}
	for _, rows := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			runtime.GC()
			stop := sampleHeap()
			b.ResetTimer()
			for range b.N {
				j := &Job{Policy: p, Now: t0, Rejects: io.Discard}
				sum, err := j.Run(context.Background(), genExport(rows, t0), io.Discard)
				if err != nil || sum.Rows != rows {
					b.Fatalf("%d rows: %v", sum.Rows, err)
				}
			}
			b.StopTimer()
			peak, sys := stop()
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(mib(peak), "peak-heap-MiB")
			b.ReportMetric(mib(sys), "sys-MiB")
		})
	}
}

// sampleHeap samples the heap in use every millisecond until the
// returned function is called, which returns the peak and the memory
// obtained from the OS.
func sampleHeap() (stop func() (peak, sys uint64)) {
	var (
		mu   sync.Mutex
		peak uint64
	)
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			mu.Lock()
			peak = max(peak, ms.HeapInuse)
			mu.Unlock()
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() (uint64, uint64) {
		close(done)
		<-finished
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		mu.Lock()
		defer mu.Unlock()
		return peak, ms.Sys
	}
}
