package bench

import (
	"fmt"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/stretchr/testify/require"
)

// peers returns the implementations, by name, each deciding a lead.
func peers(t testing.TB) map[string]func(*lead.Lead, time.Time) (Outcome, error) {
	t.Helper()
	lq, err := NewLeadqual(false)
	require.NoError(t, err)
	every, err := NewLeadqual(true)
	require.NoError(t, err)
	ex, err := NewExpr()
	require.NoError(t, err)
	ce, err := NewCEL()
	require.NoError(t, err)
	return map[string]func(*lead.Lead, time.Time) (Outcome, error){
		"handwritten":             func(l *lead.Lead, now time.Time) (Outcome, error) { return Handwritten(l, now), nil },
		"leadqual":                lq.Eval,
		"leadqual-every-activity": every.Eval,
		"expr":                    ex.Eval,
		"cel":                     ce.Eval,
		"leadqual-into":           lq.Reusing().Eval,
	}
}

// TestPeersAgree: every implementation decides the same on thousands of
// random leads.
func TestPeersAgree(t *testing.T) {
	impls := peers(t)
	matched := map[string]int{}
	for seed := range uint64(3000) {
		n := int(seed % 60)
		if seed%100 == 0 {
			n = 500
		}
		l := RandomLead(n, seed)
		want := Handwritten(l, Now)
		for name, eval := range impls {
			got, err := eval(l, Now)
			require.NoError(t, err, "%s, lead %d", name, seed)
			require.Equal(t, want, got, "%s, lead %d", name, seed)
		}
		for _, m := range want.Matched {
			matched[m]++
		}
	}
	for _, r := range Rules {
		require.Positive(t, matched[r.Name], "rule %s never matched: the leads do not exercise it", r.Name)
	}
}

// BenchmarkPeers times every implementation on leads of 5, 50 and 500
// activities, in alternating blocks of 8 evaluations so that all see the
// same load on a busy machine, and reports each one's time per lead and
// the ratios: leadqual over the handwritten limit, cel-go and expr over
// leadqual, and leadqual with every rule naming all activities over
// leadqual. (ns/op is the sum of them all.)
func BenchmarkPeers(b *testing.B) {
	impls := peers(b)
	names := []string{"handwritten", "leadqual", "leadqual-every-activity", "expr", "cel", "leadqual-into"}
	for _, n := range []int{5, 50, 500} {
		l := RandomLead(n, uint64(n))
		b.Run(fmt.Sprintf("activities=%d", n), func(b *testing.B) {
			ns := interleave(b, names, func(name string) {
				if _, err := impls[name](l, Now); err != nil {
					b.Fatal(err)
				}
			})
			for _, name := range names {
				b.ReportMetric(ns[name], name+"-ns")
			}
			b.ReportMetric(ns["leadqual"]/ns["handwritten"], "leadqual/handwritten")
			b.ReportMetric(ns["cel"]/ns["leadqual"], "cel/leadqual")
			b.ReportMetric(ns["expr"]/ns["leadqual"], "expr/leadqual")
			b.ReportMetric(ns["leadqual-every-activity"]/ns["leadqual"], "every-activity/leadqual")
			b.ReportMetric(ns["cel"]/ns["leadqual-into"], "cel/leadqual-into")
		})
	}
}

// interleave runs f for each name b.N times, in alternating blocks of 8
// (each name taking every place in the order in turn), and returns the
// time per run of each.
func interleave(b *testing.B, names []string, f func(name string)) map[string]float64 {
	const block = 8
	spent := make([]time.Duration, len(names))
	b.ReportAllocs()
	b.ResetTimer()
	runs := 0
	for ; runs < b.N; runs += block {
		for k := range names {
			i := (k + runs/block) % len(names) // every place in the order in turn
			name := names[i]
			start := time.Now()
			for range block {
				f(name)
			}
			spent[i] += time.Since(start)
		}
	}
	out := map[string]float64{}
	for i, name := range names {
		out[name] = float64(spent[i].Nanoseconds()) / float64(runs)
	}
	return out
}
