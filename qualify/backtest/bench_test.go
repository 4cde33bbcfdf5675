package backtest_test

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/qualify/backtest"
)

// yardstick is the hot path of Run written by hand in plain Go, as a
// careful engineer would for one policy: drop the activities and stage
// moves after the decision time into reused buffers, rewind the stage,
// evaluate, and count verdicts, routes, rules and score values in arrays
// and maps. It does less than Run (no interests, consents, lost reasons,
// won values, deciles or findings), so the ratio is an upper bound on
// Run's overhead.
type yardstick struct {
	p        *qualify.Policy
	l        lead.Lead // the rewound copy, reused
	rules    map[string]int
	acts     []lead.Activity
	moves    []lead.Transition
	verdicts [4][2]int
	routes   [5][2]int
	fired    [][2]int
	scores   [3]map[float64][2]int
	errors   int
}

func newYardstick(p *qualify.Policy) *yardstick {
	y := &yardstick{p: p, rules: map[string]int{}}
	for i, r := range p.Rules() {
		y.rules[r] = i
	}
	y.fired = make([][2]int, len(y.rules))
	for i := range y.scores {
		y.scores[i] = map[float64][2]int{}
	}
	return y
}

func (y *yardstick) run(ctx context.Context, history []backtest.Record) {
	for i := range history {
		r := &history[i]
		y.l = *r.Lead
		l := &y.l
		y.acts = y.acts[:0]
		for _, a := range r.Lead.Activities {
			if !a.At.After(r.At) {
				y.acts = append(y.acts, a)
			}
		}
		l.Activities = y.acts
		y.moves = y.moves[:0]
		for _, m := range r.Lead.History {
			if !m.At.After(r.At) {
				y.moves = append(y.moves, m)
			} else if len(y.moves) == 0 {
				l.Stage = m.From
			}
		}
		if n := len(y.moves); n > 0 {
			l.Stage = y.moves[n-1].To
		}
		l.History = y.moves
		d, err := qualify.EvaluateAt(ctx, y.p, l, r.At)
		if err != nil {
			y.errors++
			continue
		}
		c := 0
		if r.Converted {
			c = 1
		}
		y.verdicts[d.Verdict][0]++
		y.verdicts[d.Verdict][1] += c
		y.routes[d.Route][0]++
		y.routes[d.Route][1] += c
		for _, m := range d.Matched {
			f := &y.fired[y.rules[m.Rule]]
			f[0]++
			f[1] += c
		}
		for k, v := range [3]float64{d.Engagement, d.Fit, d.Fit + d.Engagement} {
			x := y.scores[k][v]
			y.scores[k][v] = [2]int{x[0] + 1, x[1] + c}
		}
	}
}

// BenchmarkRun times Run over 100,000 synthetic leads on one worker, and
// reports ns/lead and x-yardstick: its time over the hand-written
// yardstick's on the same history, timed right after it.
func BenchmarkRun(b *testing.B) {
	const n = 100_000
	history := synthetic(n, 1)
	p := noisyPolicy()
	ctx := context.Background()
	b.Run(fmt.Sprintf("leads=%d", n), func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := backtest.Run(ctx, p, seq(history), backtest.Config{Workers: 1}); err != nil {
				b.Fatal(err)
			}
		}
		run := b.Elapsed()
		start := time.Now()
		for range b.N {
			newYardstick(p).run(ctx, history)
		}
		b.ReportMetric(float64(run.Nanoseconds())/float64(b.N*n), "ns/lead")
		b.ReportMetric(float64(run)/float64(time.Since(start)), "x-yardstick")
	})
}

// BenchmarkYardstick times the yardstick alone.
func BenchmarkYardstick(b *testing.B) {
	const n = 100_000
	history := synthetic(n, 1)
	p := noisyPolicy()
	ctx := context.Background()
	b.Run(fmt.Sprintf("leads=%d", n), func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			newYardstick(p).run(ctx, history)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/lead")
	})
}

// BenchmarkEvaluate times qualify.EvaluateAt alone over the same leads,
// as they are (no rewind, no counting): the floor under both.
func BenchmarkEvaluate(b *testing.B) {
	const n = 100_000
	history := synthetic(n, 1)
	p := noisyPolicy()
	ctx := context.Background()
	b.Run(fmt.Sprintf("leads=%d", n), func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for i := range history {
				if _, err := qualify.EvaluateAt(ctx, p, history[i].Lead, history[i].At); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/lead")
	})
}

// BenchmarkRunLeads times Run writing every lead as CSV (to io.Discard),
// and reports x-run: its time over Run's without the results, timed right
// after it.
func BenchmarkRunLeads(b *testing.B) {
	const n = 100_000
	history := synthetic(n, 1)
	p := noisyPolicy()
	ctx := context.Background()
	b.Run(fmt.Sprintf("leads=%d", n), func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			w := backtest.NewCSVLeadWriter(io.Discard)
			if _, err := backtest.Run(ctx, p, seq(history), backtest.Config{Workers: 1, Leads: w.Write}); err != nil {
				b.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				b.Fatal(err)
			}
		}
		with := b.Elapsed()
		start := time.Now()
		for range b.N {
			if _, err := backtest.Run(ctx, p, seq(history), backtest.Config{Workers: 1}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(with.Nanoseconds())/float64(b.N*n), "ns/lead")
		b.ReportMetric(float64(with)/float64(time.Since(start)), "x-run")
	})
}

// BenchmarkCalibrate times a calibration (three passes, the fits with
// their cross-validation) over 100,000 synthetic leads on one worker, and
// reports x-run: its time over one Run's on the same history, timed right
// after it. Three passes cost about 2.1 runs (two of them judge 70% of
// the leads, one 30% with two policies); the rest is the fitting.
func BenchmarkCalibrate(b *testing.B) {
	const n = 100_000
	history := synthetic(n, 1)
	p := noisyPolicy()
	ctx := context.Background()
	b.Run(fmt.Sprintf("leads=%d", n), func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := backtest.Calibrate(ctx, p, seq(history), backtest.CalibrationConfig{Config: backtest.Config{Workers: 1}}); err != nil {
				b.Fatal(err)
			}
		}
		cal := b.Elapsed()
		start := time.Now()
		for range b.N {
			if _, err := backtest.Run(ctx, p, seq(history), backtest.Config{Workers: 1}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(cal.Nanoseconds())/float64(b.N*n), "ns/lead")
		b.ReportMetric(float64(cal)/float64(time.Since(start)), "x-run")
	})
}
