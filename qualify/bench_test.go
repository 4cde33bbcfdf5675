package qualify

import (
	"context"
	"fmt"
	"iter"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/stretchr/testify/require"
)

// benchLead returns a realistic lead with n activities over the last year,
// a mix of need, interest, engagement and negative kinds.
func benchLead(n int, seed uint64) *lead.Lead {
	r := rand.New(rand.NewPCG(seed, 7))
	l := newLead(fmt.Sprintf("L-%d", seed))
	l.Contact.Role = lead.Role(r.IntN(4))
	l.Company.Employees = r.IntN(2000)
	if r.IntN(2) == 0 {
		l.Budget = lead.MustParseMoney("25000.00", "GBP")
	}
	l.Stage = []lead.Stage{lead.StageNew, lead.StageNurturing, lead.StageLost, lead.StageRecycled, lead.StageOpportunity}[r.IntN(5)]
	if r.IntN(10) == 0 {
		l.LostReason = []lead.Reason{lead.ReasonPreferredSupplier, lead.ReasonOffshored, lead.ReasonNotAFit, lead.ReasonDoNotContact,
			lead.ReasonNoBudget, lead.ReasonNotNow}[r.IntN(6)]
	}
	if (l.Stage == lead.StageLost || l.Stage == lead.StageRecycled) && r.IntN(2) == 0 {
		// A dated loss, sometimes before and sometimes after the lead's need.
		l.History = []lead.Transition{{From: lead.StageOpportunity, To: l.Stage, At: t0.Add(-time.Duration(r.Int64N(int64(60 * day))))}}
	}
	if r.IntN(20) == 0 {
		l.Fields = map[string]any{"do_not_contact": r.IntN(2) == 0}
	}
	kinds := lead.Kinds()
	for range n {
		k := kinds[r.IntN(len(kinds))]
		if r.IntN(3) > 0 { // engagement dominates real streams
			k = []lead.Kind{lead.KindPageVisit, lead.KindEmailOpen, lead.KindEmailClick, lead.KindWhitePaper}[r.IntN(4)]
		}
		l.Activities = append(l.Activities, lead.Activity{Kind: k, At: t0.Add(-time.Duration(r.Int64N(int64(365 * day))))})
	}
	return l
}

func TestYardstickAgrees(t *testing.T) {
	p := defaultPolicy(t)
	for seed := range uint64(2000) {
		l := benchLead(int(seed%120), seed)
		want := yardstick(l, t0, p.Version())
		got := evalAt(t, p, l)
		require.Equal(t, want, got, "lead %d", seed)
	}
}

// BenchmarkEvaluate times Evaluate of the default policy on leads of 5, 50
// and 500 activities, and reports x-yardstick: its time over the
// hand-written yardstick's on the same lead, for the same number of
// iterations, timed right after it so that both see the same machine.
func BenchmarkEvaluate(b *testing.B) {
	p := defaultPolicy(b)
	ctx := context.Background()
	for _, n := range []int{5, 50, 500} {
		l := benchLead(n, uint64(n))
		b.Run(fmt.Sprintf("activities=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := EvaluateAt(ctx, p, l, t0); err != nil {
					b.Fatal(err)
				}
			}
			evaluate := b.Elapsed()
			start := time.Now()
			for range b.N {
				yardstick(l, t0, "v")
			}
			b.ReportMetric(float64(evaluate)/float64(time.Since(start)), "x-yardstick")
		})
	}
}

// BenchmarkYardstick times the hand-written yardstick alone.
func BenchmarkYardstick(b *testing.B) {
	for _, n := range []int{5, 50, 500} {
		l := benchLead(n, uint64(n))
		b.Run(fmt.Sprintf("activities=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				yardstick(l, t0, "v")
			}
		})
	}
}

// BenchmarkEvaluateVM is Evaluate with the fast path turned off: every rule
// in expr's VM. It shows what the fast path buys.
func BenchmarkEvaluateVM(b *testing.B) {
	p := defaultPolicy(b, vmOnly())
	l := benchLead(50, 50)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EvaluateAt(context.Background(), p, l, t0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompileDefault(b *testing.B) {
	s := DefaultSpec()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluateAll streams 100k leads of 20 activities each through the
// batch form on every core, and reports leads/s.
func BenchmarkEvaluateAll(b *testing.B) {
	p := defaultPolicy(b)
	const n = 100_000
	templates := make([]*lead.Lead, 64)
	for i := range templates {
		templates[i] = benchLead(20, uint64(i))
	}
	leads := func(yield func(*lead.Lead) bool) {
		for i := range n {
			if !yield(templates[i%len(templates)]) {
				return
			}
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		count := 0
		for r := range EvaluateAll(context.Background(), p, iter.Seq[*lead.Lead](leads), BatchOptions{Now: t0}) {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
			count++
		}
		if count != n {
			b.Fatalf("%d results, want %d", count, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "leads/s")
}
