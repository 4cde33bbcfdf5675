package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/stretchr/testify/require"
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

// BenchmarkSideBySide serves the same need lead with the webhook and with
// a bare net/http JSON echo (read the body, decode it into a lead with
// encoding/json, encode it back), over loopback, with the same keep-alive
// clients (GOMAXPROCS × 4), alternating every 50 ms so that both see the
// same load on a busy machine, in 8 rounds of 250 ms each: the echo is the
// floor of any JSON endpoint on this machine, and what the webhook is held
// to. It reports each one's median requests per second and the ratio of
// the webhook's to the echo's in its worst round and at the median:
//
//	go test -run '^$' -bench SideBySide -benchtime 1x ./examples/webhook
func BenchmarkSideBySide(b *testing.B) {
	hook := startLive(b, Config{Notifier: LogNotifier{Logger: slog.New(slog.DiscardHandler), Now: clock}}, Timeouts{})
	echo := startEcho(b)
	const rounds, turns, turn = 8, 5, 50 * time.Millisecond
	var hookRates, echoRates, ratios []float64
	b.ResetTimer()
	for range b.N {
		for range rounds {
			var h, e float64
			for range turns {
				h += drive(b, hook.client, hook.url+"/v1/leads", turn)
				e += drive(b, echo.client, echo.url, turn)
			}
			hookRates, echoRates, ratios = append(hookRates, h/turns), append(echoRates, e/turns), append(ratios, h/e)
		}
	}
	b.StopTimer()
	median := func(xs []float64) float64 { s := slices.Clone(xs); slices.Sort(s); return s[len(s)/2] }
	b.ReportMetric(median(hookRates), "webhook-req/s")
	b.ReportMetric(median(echoRates), "echo-req/s")
	b.ReportMetric(median(ratios), "ratio-median")
	b.ReportMetric(slices.Min(ratios), "ratio-worst")
}

// drive posts needLead to url from GOMAXPROCS × 4 clients for d, and
// returns the requests per second.
func drive(b *testing.B, client *http.Client, url string, d time.Duration) float64 {
	workers := 4 * runtime.GOMAXPROCS(0)
	var done atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(d)
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				resp, err := client.Post(url, "application/json", strings.NewReader(needLead))
				if err != nil {
					b.Error(err)
					return
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Errorf("status %d, %v", resp.StatusCode, err)
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	return float64(done.Load()) / time.Since(start).Seconds()
}

// startEcho serves the bare JSON echo over loopback.
func startEcho(t testing.TB) *live {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var l lead.Lead
		if err := json.Unmarshal(body, &l); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(&l)
	})}
	go func() { _ = srv.Serve(ln) }()
	l := &live{url: "http://" + ln.Addr().String(), addr: ln.Addr().String(),
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	t.Cleanup(func() {
		_ = srv.Close()
		l.client.CloseIdleConnections()
	})
	return l
}
