package qualify

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leadqual/leadqual/lead"
)

// TestEvaluateIntoAgrees: one Decision reused for lead after lead holds,
// after each call, what EvaluateAt returns for that lead, with the
// default policy and with product lines and a named score; an error
// leaves the zero Decision, and the next call is whole again.
func TestEvaluateIntoAgrees(t *testing.T) {
	ctx := context.Background()
	for name, p := range map[string]*Policy{"default": defaultPolicy(t), "lines": linesPolicy(t)} {
		t.Run(name, func(t *testing.T) {
			var d Decision
			products := []string{"", "RoutePlanner", "fleet tracking", "RP-100"}
			for seed := range uint64(400) {
				l := variedLead(int(seed%60), seed)
				r := rand.New(rand.NewPCG(seed, 3))
				for i := range l.Activities {
					l.Activities[i].Product = products[r.IntN(len(products))]
				}
				want, wantErr := EvaluateAt(ctx, p, l, t0)
				err := EvaluateInto(ctx, p, l, t0, &d)
				if wantErr != nil {
					require.EqualError(t, err, wantErr.Error(), "lead %d", seed)
					assert.Equal(t, Decision{}, d, "lead %d: the zero Decision on an error", seed)
					continue
				}
				require.NoError(t, err, "lead %d", seed)
				require.Equal(t, want, d, "lead %d", seed)
			}
		})
	}
}

func TestEvaluateIntoNil(t *testing.T) {
	p, l := defaultPolicy(t), benchLead(5, 1)
	assert.ErrorIs(t, EvaluateInto(context.Background(), p, l, t0, nil), ErrNilDecision)
	d := Decision{Lead: "old", Matched: []Match{{Rule: "old"}}}
	assert.ErrorIs(t, EvaluateInto(context.Background(), nil, l, t0, &d), ErrNilPolicy)
	assert.Equal(t, Decision{}, d)
	assert.ErrorIs(t, EvaluateInto(context.Background(), p, nil, t0, &d), ErrNilLead)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d = Decision{Lead: "old", Matched: []Match{{Rule: "old"}}}
	err := EvaluateInto(ctx, p, l, t0, &d)
	assert.True(t, errors.Is(err, context.Canceled), "%v", err)
	assert.Equal(t, Decision{}, d)
}

// TestEvaluateIntoReuses: the second decision is written into the first's
// memory, so that a loop allocates nothing; a Clone shares none of it.
func TestEvaluateIntoReuses(t *testing.T) {
	ctx := context.Background()
	p := linesPolicy(t)
	a := newLead("a", act(lead.KindPricingRequest, ago(day)), act(lead.KindDemoRequest, ago(day)))
	a.Contact.Role = lead.RoleDecisionMaker
	var d Decision
	require.NoError(t, EvaluateInto(ctx, p, a, t0, &d))
	require.NotEmpty(t, d.Matched)
	require.NotNil(t, d.Scores)
	kept := d.Clone()
	first := &d.Matched[0]
	scores := d.Scores
	b := newLead("b", act(lead.KindQuoteRequest, ago(day)))
	require.NoError(t, EvaluateInto(ctx, p, b, t0, &d))
	assert.Same(t, first, &d.Matched[0], "the list of matched rules is reused")
	d.Scores["urgency"] = 99
	assert.Equal(t, 99.0, scores["urgency"], "the map of scores is reused")
	want, err := EvaluateAt(ctx, p, a, t0)
	require.NoError(t, err)
	assert.Equal(t, want, kept, "the clone kept the first decision whole")

	// Unknown inputs: the list of unjudged rules is reused too.
	s := spec(points("score", `fields.score >= 5`, DimensionFit, "5"), points("seats", `fields.seats > 10`, DimensionFit, "5"))
	up, err := Compile(s)
	require.NoError(t, err)
	var u Decision
	require.NoError(t, EvaluateInto(ctx, up, newLead("u1"), t0, &u))
	require.Len(t, u.Unjudged, 2)
	firstU := &u.Unjudged[0]
	require.NoError(t, EvaluateInto(ctx, up, newLead("u2"), t0, &u))
	assert.Same(t, firstU, &u.Unjudged[0], "the list of unjudged rules is reused")
	wantU, err := EvaluateAt(ctx, up, newLead("u2"), t0)
	require.NoError(t, err)
	assert.Equal(t, wantU, u)

	if raceEnabled {
		return
	}
	unknown := newLead("u3", act(lead.KindPricingRequest, ago(day)))
	require.Zero(t, testing.AllocsPerRun(5, func() {
		if err := EvaluateInto(ctx, up, unknown, t0, &u); err != nil {
			t.Fatal(err)
		}
	}), "a lead with unknown inputs")
	dp := defaultPolicy(t)
	for seed := range uint64(60) {
		l := benchLead([]int{5, 50, 500}[seed%3], seed)
		allocs := testing.AllocsPerRun(5, func() {
			if err := EvaluateInto(ctx, dp, l, t0, &d); err != nil {
				t.Fatal(err)
			}
		})
		require.Zero(t, allocs, "lead %d", seed)
	}
}

func TestDecisionCloneSharesNothing(t *testing.T) {
	d := Decision{Lead: "a", Matched: []Match{{Rule: "r"}}, Failures: []Failure{{Rule: "f"}},
		Unjudged: []Unjudged{{Rule: "u"}}, Scores: map[Dimension]float64{"urgency": 1},
		Lines: []Decision{{Line: "l", Matched: []Match{{Rule: "lr"}}, Scores: map[Dimension]float64{"x": 2}}}}
	c := d.Clone()
	require.Equal(t, d, c)
	c.Matched[0].Rule, c.Failures[0].Rule, c.Unjudged[0].Rule = "x", "x", "x"
	c.Scores["urgency"], c.Lines[0].Matched[0].Rule, c.Lines[0].Scores["x"] = 5, "x", 5
	assert.Equal(t, "r", d.Matched[0].Rule)
	assert.Equal(t, "f", d.Failures[0].Rule)
	assert.Equal(t, "u", d.Unjudged[0].Rule)
	assert.Equal(t, 1.0, d.Scores["urgency"])
	assert.Equal(t, "lr", d.Lines[0].Matched[0].Rule)
	assert.Equal(t, 2.0, d.Lines[0].Scores["x"])
	var zero Decision
	assert.Equal(t, zero, zero.Clone())
}

// TestEvaluateIntoAcrossPolicies: one Decision reused with policies of
// different shapes (named scores or none, product lines or none, unknown
// inputs or none) holds, after each call, exactly what EvaluateAt returns:
// nothing of the previous policy's decision survives (a policy without
// named scores leaves Scores nil, not an empty map).
func TestEvaluateIntoAcrossPolicies(t *testing.T) {
	ctx := context.Background()
	us := spec(points("score", `fields.score >= 5`, DimensionFit, "5"))
	us.Settings.OnError = OnErrorSkip // a score of "high" fails: listed in Failures
	unknown, err := Compile(us)
	require.NoError(t, err)
	policies := []*Policy{linesPolicy(t), defaultPolicy(t), unknown, linesPolicy(t), unknown, defaultPolicy(t)}
	var d Decision
	for round := range 3 {
		for i, p := range policies {
			l := variedLead(10+i, uint64(round*10+i))
			l.Activities = append(l.Activities, on(act(lead.KindDemoRequest, ago(day)), "RoutePlanner"))
			want, err := EvaluateAt(ctx, p, l, t0)
			require.NoError(t, err)
			require.NoError(t, EvaluateInto(ctx, p, l, t0, &d))
			require.Equal(t, want, d, "round %d policy %d", round, i)
		}
	}
}

// TestEvaluateIntoConcurrent: goroutines judging leads with one freshly
// compiled Policy, each into a Decision of its own, agree with EvaluateAt:
// the pooled states, the table of notes built by the first reopened lead,
// the product lines and the VM's programs share nothing between them.
// Run it with -race.
func TestEvaluateIntoConcurrent(t *testing.T) {
	ctx := context.Background()
	reasons := []lead.Reason{lead.ReasonNotNow, lead.ReasonNoBudget, lead.ReasonUnresponsive, lead.ReasonNotAFit, ""}
	leads := make([]*lead.Lead, 48)
	for i := range leads {
		l := variedLead(5+i%30, uint64(i))
		l.Activities = append(l.Activities, on(act(lead.KindQuoteRequest, ago(day)), []string{"", "RoutePlanner"}[i%2]))
		if i%3 > 0 { // lost before the request: need reopens it, with a note
			l.Stage, l.LostReason = lead.StageLost, reasons[i%len(reasons)]
			l.History = []lead.Transition{{From: lead.StageNew, To: lead.StageLost, At: ago(10 * day)}}
		}
		leads[i] = l
	}
	for name, compile := range map[string]func() *Policy{"default": func() *Policy { return defaultPolicy(t) }, "lines": func() *Policy { return linesPolicy(t) }} {
		t.Run(name, func(t *testing.T) {
			want := make([]Decision, len(leads))
			ref := compile()
			for i, l := range leads {
				d, err := EvaluateAt(ctx, ref, l, t0)
				require.NoError(t, err)
				want[i] = d
			}
			notes := 0
			for _, d := range want {
				if d.Note != "" {
					notes++
				}
			}
			require.Greater(t, notes, len(leads)/3, "leads reopened, with a note")
			p := compile() // its notes not built yet: the goroutines race to build them
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for g := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var d Decision
					for k := range 3 * len(leads) {
						i := (g*7 + k) % len(leads)
						if err := EvaluateInto(ctx, p, leads[i], t0, &d); err != nil {
							errs <- err
							return
						}
						if !assert.ObjectsAreEqual(want[i], d) {
							errs <- fmt.Errorf("goroutine %d, lead %d: the decision differs", g, i)
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}
