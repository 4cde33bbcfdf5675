// Command compare times leadqual against its peers on the benchmark's
// policy and prints the table of BENCHMARKS.md: per lead size, each
// implementation's median time per lead and its range over the rounds,
// and the ratios of the medians of the per-round ratios.
//
//	go run ./cmd/compare                 # 5 rounds of 300 ms per size
//	go run ./cmd/compare -rounds 9 -round 500ms
//
// Within a round the implementations run in alternating blocks of 8
// evaluations, each taking every place in the order in turn, so that all
// see the same load on a busy machine; ratios are taken within a round,
// then summarised.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/leadqual/leadqual/bench"
	"github.com/leadqual/leadqual/lead"
)

func main() {
	rounds := flag.Int("rounds", 5, "rounds per lead size")
	round := flag.Duration("round", 300*time.Millisecond, "length of a round")
	flag.Parse()
	if err := run(*rounds, *round); err != nil {
		log.Fatal(err)
	}
}

type impl struct {
	name string
	eval func(*lead.Lead, time.Time) (bench.Outcome, error)
}

func run(rounds int, round time.Duration) error {
	lq, err := bench.NewLeadqual(false)
	if err != nil {
		return err
	}
	every, err := bench.NewLeadqual(true)
	if err != nil {
		return err
	}
	ex, err := bench.NewExpr()
	if err != nil {
		return err
	}
	ce, err := bench.NewCEL()
	if err != nil {
		return err
	}
	impls := []impl{
		{"hand-written Go, fixed slots (limit)", func(l *lead.Lead, now time.Time) (bench.Outcome, error) { return bench.Handwritten(l, now), nil }},
		{"leadqual", lq.Eval},
		{"leadqual, every rule naming all activities", every.Eval},
		{"expr", ex.Eval},
		{"cel-go", ce.Eval},
		{"leadqual, one Decision reused (EvaluateInto)", lq.Reusing().Eval},
	}
	sizes := []int{5, 50, 500}
	// ns[size][impl][round]
	ns := make([][][]float64, len(sizes))
	for s, n := range sizes {
		l := bench.RandomLead(n, uint64(n))
		ns[s] = make([][]float64, len(impls))
		for range rounds {
			spent := make([]time.Duration, len(impls))
			runs := 0
			for start := time.Now(); time.Since(start) < round; runs += 8 {
				// Each takes every place in the order in turn: what runs
				// after what (caches, the collector's phase) favours none.
				for k := range impls {
					i := (k + runs/8) % len(impls)
					im := impls[i]
					t := time.Now()
					for range 8 {
						if _, err := im.eval(l, bench.Now); err != nil {
							return fmt.Errorf("%s: %w", im.name, err)
						}
					}
					spent[i] += time.Since(t)
				}
			}
			for i := range impls {
				ns[s][i] = append(ns[s][i], float64(spent[i].Nanoseconds())/float64(runs))
			}
		}
	}

	host, _ := os.Hostname()
	fmt.Printf("%s, %s/%s, GOMAXPROCS=%d, %d CPUs, host %s; %d rounds of %s per size, load average %s\n\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), runtime.NumCPU(), host, rounds, round, loadavg())
	fmt.Printf("| leads with |")
	for _, n := range sizes {
		fmt.Printf(" %d activities |", n)
	}
	fmt.Printf("\n|---|")
	for range sizes {
		fmt.Printf("---|")
	}
	fmt.Println()
	for i, im := range impls {
		fmt.Printf("| %s |", im.name)
		for s := range sizes {
			fmt.Printf(" %s |", cell(ns[s][i]))
		}
		fmt.Println()
	}
	fmt.Println()
	ratio := func(name string, a, b int) {
		fmt.Printf("| %s |", name)
		for s := range sizes {
			r := make([]float64, rounds)
			for k := range rounds {
				r[k] = ns[s][a][k] / ns[s][b][k]
			}
			lo, med, hi := summary(r)
			fmt.Printf(" %.2f (%.2f – %.2f) |", med, lo, hi)
		}
		fmt.Println()
	}
	fmt.Printf("| ratio, median (range) of the rounds |")
	for _, n := range sizes {
		fmt.Printf(" %d activities |", n)
	}
	fmt.Printf("\n|---|")
	for range sizes {
		fmt.Printf("---|")
	}
	fmt.Println()
	ratio("leadqual / hand-written", 1, 0)
	ratio("cel-go / leadqual", 4, 1)
	ratio("expr / leadqual", 3, 1)
	ratio("every rule naming all activities / leadqual", 2, 1)
	ratio("EvaluateInto / hand-written", 5, 0)
	ratio("cel-go / EvaluateInto", 4, 5)
	return nil
}

func summary(xs []float64) (lo, med, hi float64) {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[0], s[len(s)/2], s[len(s)-1]
}

// cell formats a median time and its range.
func cell(xs []float64) string {
	lo, med, hi := summary(xs)
	return fmt.Sprintf("%s ns (%s – %s)", thousands(med), thousands(lo), thousands(hi))
}

func thousands(f float64) string {
	s := fmt.Sprintf("%.0f", f)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
