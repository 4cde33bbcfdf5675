package qualify

import (
	"context"
	"fmt"
	"iter"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
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
// hand-written yardstick's on the same lead, the two timed in alternating
// blocks of iterations so that both see the same load on the machine (see
// against).
func BenchmarkEvaluate(b *testing.B) {
	p := defaultPolicy(b)
	ctx := context.Background()
	for _, n := range []int{5, 50, 500} {
		l := benchLead(n, uint64(n))
		b.Run(fmt.Sprintf("activities=%d", n), func(b *testing.B) {
			against(b, func() {
				if _, err := EvaluateAt(ctx, p, l, t0); err != nil {
					b.Fatal(err)
				}
			}, func() { yardstick(l, t0, "v") })
		})
	}
}

// BenchmarkEvaluateInto is BenchmarkEvaluate judging into one reused
// Decision, as a loop that is done with each decision before the next.
func BenchmarkEvaluateInto(b *testing.B) {
	p := defaultPolicy(b)
	ctx := context.Background()
	for _, n := range []int{5, 50, 500} {
		l := benchLead(n, uint64(n))
		var d Decision
		b.Run(fmt.Sprintf("activities=%d", n), func(b *testing.B) {
			against(b, func() {
				if err := EvaluateInto(ctx, p, l, t0, &d); err != nil {
					b.Fatal(err)
				}
			}, func() { yardstick(l, t0, "v") })
		})
	}
}

// against times f and g for b.N iterations each, alternating blocks of a
// few iterations so that both see the same load on the machine (on a busy
// machine it changes from one millisecond to the next), and reports f's
// time per iteration (ns/eval), g's (yardstick-ns), their ratio
// (x-yardstick) and f's allocations (allocs/eval). The benchmark's own
// ns/op and allocs/op count both.
func against(b *testing.B, f, g func()) { againstNamed(b, "yardstick", f, g) }

// againstNamed is against, g's metrics named after what it is.
func againstNamed(b *testing.B, name string, f, g func()) {
	b.Helper()
	allocs := testing.AllocsPerRun(100, f)
	const block = 8
	var tf, tg time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += block {
		t1 := time.Now()
		for range block {
			f()
		}
		t2 := time.Now()
		for range block {
			g()
		}
		tf, tg = tf+t2.Sub(t1), tg+time.Since(t2)
	}
	n := float64((b.N + block - 1) / block * block)
	b.ReportMetric(float64(tf.Nanoseconds())/n, "ns/eval")
	b.ReportMetric(float64(tg.Nanoseconds())/n, name+"-ns")
	b.ReportMetric(float64(tf)/float64(tg), "x-"+name)
	b.ReportMetric(allocs, "allocs/eval")
}

// BenchmarkEvaluateOneRule is the floor of an evaluation: a one-rule
// policy on a lead of 5 activities, against a hand-written Go function
// doing that rule's work and building the same Decision.
func BenchmarkEvaluateOneRule(b *testing.B) {
	s := spec(points("decision-maker", `contact.role == "decision_maker"`, DimensionFit, "25"))
	p, err := Compile(s)
	require.NoError(b, err)
	l := benchLead(5, 5)
	l.Contact.Role = lead.RoleDecisionMaker
	version := p.Version()
	hand := func() Decision {
		d := Decision{Lead: l.ID, Stage: l.Stage, Policy: s.Name, Version: version, At: t0}
		n := 0
		var m [1]Match
		if l.Contact.Role == lead.RoleDecisionMaker {
			d.Fit += 25
			m[0] = Match{Rule: "decision-maker", Reason: "r", Dimension: DimensionFit, Points: 25}
			n++
		}
		d.Matched = make([]Match, n)
		copy(d.Matched, m[:n])
		d.Route, d.NextStage = RouteNurture, lead.StageNurturing
		if !lead.CanMove(l.Stage, d.NextStage) {
			d.NextStage = l.Stage
		}
		return d
	}
	ctx := context.Background()
	against(b, func() {
		if _, err := EvaluateAt(ctx, p, l, t0); err != nil {
			b.Fatal(err)
		}
	}, func() { hand() })
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

// batchLeads is a stream of n distinct leads of 6 to 14 activities. They
// are made as they are read, from 1024 templates, into a ring of 8192
// leads reused in turn: a million leads are never held at once, and the
// stream costs its reader about what decoding them would. A lead may be
// overwritten 8192 leads after it was read, far beyond what EvaluateAll
// or the yardstick pool keep in flight.
func batchLeads(n int) iter.Seq[*lead.Lead] {
	const templates, ring = 1024, 8192
	tpl := make([]*lead.Lead, templates)
	for i := range tpl {
		tpl[i] = benchLead(6+i%9, uint64(i))
	}
	slots := make([]lead.Lead, ring)
	acts := make([][]lead.Activity, ring)
	return func(yield func(*lead.Lead) bool) {
		var id []byte
		for i := range n {
			t, k := tpl[i%templates], i%ring
			l := &slots[k]
			*l = *t
			id = strconv.AppendInt(append(id[:0], "B-"...), int64(i), 10)
			l.ID = string(id)
			shift := time.Duration(i%97) * time.Minute
			acts[k] = append(acts[k][:0], t.Activities...)
			for j := range acts[k] {
				acts[k][j].At = acts[k][j].At.Add(-shift)
			}
			l.Activities = acts[k]
			if !yield(l) {
				return
			}
		}
	}
}

// BenchmarkEvaluateAll streams a million distinct leads of about 10
// activities through the batch form on every core, in input order, and
// reports leads/s; BenchmarkYardstickPool runs the hand-written yardstick
// on the same stream with a plain pool of as many workers (chunks handed
// out on a channel, results taken back unordered): what EvaluateAll is
// held to.
func BenchmarkEvaluateAll(b *testing.B) {
	p := defaultPolicy(b)
	const n = 1_000_000
	leads := batchLeads(n)
	b.ReportAllocs()
	for b.Loop() {
		count := 0
		for r := range EvaluateAll(context.Background(), p, leads, BatchOptions{Now: t0}) {
			if r.Err != nil || r.Index != count {
				b.Fatal(r.Index, r.Err)
			}
			count++
		}
		if count != n {
			b.Fatalf("%d results, want %d", count, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "leads/s")
}

func BenchmarkYardstickPool(b *testing.B) {
	p := defaultPolicy(b)
	const n = 1_000_000
	leads := batchLeads(n)
	b.ReportAllocs()
	for b.Loop() {
		if count := yardstickPool(leads, runtime.GOMAXPROCS(0), p.Version()); count != n {
			b.Fatalf("%d results, want %d", count, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "leads/s")
}

// yardstickPool is the plain pool a careful engineer would write for a
// batch: the reader hands chunks of 64 leads to the workers on a channel,
// at most 4 chunks per worker in flight, and takes the decisions back as
// they come. It returns how many it took.
func yardstickPool(leads iter.Seq[*lead.Lead], workers int, version string) int {
	type chunk struct {
		leads []*lead.Lead
		out   []Decision
	}
	jobs, done := make(chan *chunk, 4*workers), make(chan *chunk, 4*workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range jobs {
				c.out = c.out[:0]
				for _, l := range c.leads {
					c.out = append(c.out, yardstick(l, t0, version))
				}
				done <- c
			}
		}()
	}
	count, inFlight := 0, 0
	take := func(c *chunk) *chunk {
		count += len(c.out)
		inFlight--
		c.leads = c.leads[:0]
		return c
	}
	cur := &chunk{}
	for l := range leads {
		cur.leads = append(cur.leads, l)
		if len(cur.leads) < 64 {
			continue
		}
		next := &chunk{}
		if inFlight == 4*workers {
			next = take(<-done)
		}
		jobs <- cur
		inFlight++
		cur = next
	}
	if len(cur.leads) > 0 {
		jobs <- cur
		inFlight++
	}
	for inFlight > 0 {
		take(<-done)
	}
	close(jobs)
	wg.Wait()
	return count
}

// TestEvaluateAllocatesOnce: an evaluation of the default policy
// allocates its Decision's list of matched rules, and nothing else, on
// leads of every kind the benchmarks use.
func TestEvaluateAllocatesOnce(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts mean nothing under the race detector")
	}
	p := defaultPolicy(t)
	ctx := context.Background()
	for seed := range uint64(200) {
		l := benchLead([]int{5, 50, 500}[seed%3], seed)
		allocs := testing.AllocsPerRun(5, func() {
			if _, err := EvaluateAt(ctx, p, l, t0); err != nil {
				t.Fatal(err)
			}
		})
		require.LessOrEqual(t, allocs, 1.0, "lead %d", seed)
	}
}

// BenchmarkRuleShapes times a policy of five rules of each shape of the
// language beyond the helpers (counting every activity, `in` lists, money,
// times, custom fields) against five rules of an equivalent the fast path
// has always had (a count, == joined by ||, an int comparison, since(), a
// string variable), on a lead of 50 activities that states all they read,
// alternating as BenchmarkEvaluate does: x-equivalent is what the shape
// costs over its equivalent.
func BenchmarkRuleShapes(b *testing.B) {
	l := benchLead(50, 50)
	l.Fields = map[string]any{"plan": "pro", "seats": 12.0}
	l.Budget = lead.MustParseMoney("25000.00", "GBP")
	l.ExpectedPurchase = t0.Add(40 * day)
	l.Source = "pro"
	shapes := []struct{ name, shape, equivalent string }{
		{"len(activities)", `len(activities) > 20`, `count("page_visit", "3650d") >= 1`},
		{"count(*)", `count("*", "30d") >= 1`, `count("page_visit", "3650d") >= 1`},
		{"in list", `contact.role in ["user", "influencer"]`, `contact.role == "user" || contact.role == "influencer"`},
		{"in long list", `company.country in ["GB", "IE", "FR", "DE", "ES", "IT", "NL", "BE", "SE", "DK"]`, `company.country == "GB" || company.country == "IE"`},
		{"money", `budget >= money("10000", "GBP")`, `company.employees >= 0`},
		{"time", `known(expected_purchase) && expected_purchase < now + days(90)`, `known(budget) && since("demo_request") >= days(0)`},
		{"custom field ==", `fields.plan == "pro"`, `source == "pro"`},
		{"custom field >=", `fields.seats >= 10`, `company.employees >= 0`},
		{"custom field in", `fields.plan in ["pro", "enterprise"]`, `source == "pro" || source == "enterprise"`},
	}
	ctx := context.Background()
	five := func(when string) *Policy {
		var rules []Rule
		for i := range 5 {
			rules = append(rules, points(fmt.Sprintf("r%d", i), when, DimensionFit, "1"))
		}
		p, err := Compile(spec(rules...))
		require.NoError(b, err)
		return p
	}
	for _, sh := range shapes {
		p, q := five(sh.shape), five(sh.equivalent)
		dp, err := EvaluateAt(ctx, p, l, t0)
		require.NoError(b, err)
		dq, err := EvaluateAt(ctx, q, l, t0)
		require.NoError(b, err)
		require.Equal(b, len(dq.Matched), len(dp.Matched), "%s: the shape and its equivalent match alike", sh.name)
		b.Run(sh.name, func(b *testing.B) {
			againstNamed(b, "equivalent", func() {
				if _, err := EvaluateAt(ctx, p, l, t0); err != nil {
					b.Fatal(err)
				}
			}, func() {
				if _, err := EvaluateAt(ctx, q, l, t0); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
