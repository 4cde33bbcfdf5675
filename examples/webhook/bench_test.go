package main

import (
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkLoopback drives a real server over loopback with concurrent
// keep-alive clients (GOMAXPROCS × 4) posting need leads, and reports the
// throughput and the latency seen by the clients:
//
//	go test -run '^$' -bench Loopback ./examples/webhook
//
// The server logs nothing (a discarding logger) so that the figure is the
// server's, not the terminal's; each need lead still goes through the
// LogNotifier.
func BenchmarkLoopback(b *testing.B) {
	l := startLive(b, Config{Notifier: LogNotifier{Logger: slog.New(slog.DiscardHandler), Now: clock}}, Timeouts{})
	url := l.url + "/v1/leads"

	post := func() error {
		resp, err := l.client.Post(url, "application/json", strings.NewReader(needLead))
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			b.Errorf("status %d", resp.StatusCode)
		}
		return err
	}
	// Warm the connections up.
	for range 8 {
		if err := post(); err != nil {
			b.Fatal(err)
		}
	}

	var (
		mu        sync.Mutex
		latencies []time.Duration
	)
	b.SetParallelism(4)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			start := time.Now()
			if err := post(); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(start))
		}
		mu.Lock()
		latencies = append(latencies, mine...)
		mu.Unlock()
	})
	b.StopTimer()

	if len(latencies) == 0 {
		return
	}
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		i := min(int(p*float64(len(latencies))), len(latencies)-1)
		return float64(latencies[i].Microseconds())
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}
