package assign_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leadqual/leadqual/assign"
	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

var ctx = context.Background()

func TestAssignRules(t *testing.T) {
	withField := func(l *lead.Lead, k string, v any) *lead.Lead {
		l.Fields = map[string]any{k: v}
		return l
	}
	withProduct := func(l *lead.Lead, product string) *lead.Lead {
		l.Activities[0].Product = product
		return l
	}
	tests := []struct {
		name   string
		req    assign.Request
		owner  string
		basis  assign.Basis
		rule   string
		reason string
	}{
		{
			name: "territory: jan is away, lena takes it", req: assign.Request{Lead: prospect("L-1", "DE")},
			owner: "lena", rule: "dach",
			reason: `rule "dach" (country DE): least loaded: lena 0 open; passed over jan away until 30 Nov 2026 00:00 UTC`,
		},
		{
			name: "territory, case ignored", req: assign.Request{Lead: prospect("L-1", "at")},
			owner: "lena", rule: "dach",
		},
		{
			name: "language: a regional tag matches its language", req: assign.Request{Lead: withField(prospect("L-2", "GB"), "language", "de-AT")},
			owner: "lena", rule: "german speakers",
			reason: `rule "german speakers" (language de-at): least loaded of 2: lena 0 open, sam 0 open`,
		},
		{
			name: "product of the need, round robin", req: assign.Request{Lead: withProduct(prospect("L-3", "GB"), "fleetinsight")},
			owner: "sam", rule: "fleet",
			reason: `rule "fleet" (product fleetinsight): round robin of 2: sam 0 open, priya 0 open`,
		},
		{
			name: "catch-all", req: assign.Request{Lead: prospect("L-4", "FR")},
			owner: "sam", rule: "everyone else",
			reason: `rule "everyone else": least loaded of 3: sam 0 open, priya 0 open, lena 0 open`,
		},
		{
			name: "account owner first", req: assign.Request{Lead: prospect("L-5", "DE"), AccountOwner: "priya"},
			owner: "priya", basis: assign.BasisAccount, reason: "account owner priya (0 open)",
		},
		{
			name: "the lead's own owner kept", req: assign.Request{Lead: func() *lead.Lead { l := prospect("L-6", "DE"); l.Owner = "sam"; return l }()},
			owner: "sam", basis: assign.BasisOwner, reason: "kept by its owner sam (0 open)",
		},
		{
			name:  "an account owner away, and one not in the rules, are passed over",
			req:   assign.Request{Lead: func() *lead.Lead { l := prospect("L-7", "FR"); l.Owner = "jan"; return l }(), AccountOwner: "olga"},
			owner: "sam", rule: "everyone else",
			reason: `rule "everyone else": least loaded of 3: sam 0 open, priya 0 open, lena 0 open (before it: account owner olga is not among the people; owner jan away until 30 Nov 2026 00:00 UTC)`,
		},
		{
			name: "by the kind of work", req: assign.Request{Lead: prospect("L-8", "FR"), Decision: &qualify.Decision{Priority: qualify.PriorityReview}},
			owner: "max", rule: "reviews",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := newAssigner(t, assign.NewMemState(), sampleRules(t), nil)
			res, err := a.Assign(ctx, tc.req, t0)
			require.NoError(t, err)
			assert.False(t, res.Existing)
			assert.Equal(t, tc.owner, res.Owner)
			assert.Equal(t, tc.basis, res.Basis)
			assert.Equal(t, tc.rule, res.Rule)
			if tc.reason != "" {
				assert.Equal(t, tc.reason, res.Reason)
			}
			assert.True(t, t0.Equal(res.At))
			assert.NotZero(t, res.Version)
		})
	}
}

func TestAssignSpreadsTheLoad(t *testing.T) {
	a := newAssigner(t, assign.NewMemState(), sampleRules(t), nil)
	count := map[string]int{}
	for i := range 9 {
		res, err := a.Assign(ctx, assign.Request{Lead: prospect(fmt.Sprint("L-", i), "FR")}, t0)
		require.NoError(t, err)
		count[res.Owner]++
	}
	// lena's capacity is 2: the rest go to sam and priya in turn.
	assert.Equal(t, map[string]int{"sam": 4, "priya": 3, "lena": 2}, count)

	// Round robin turns whatever the loads: sam has 4 and priya 3, yet
	// priya, whose last lead is older, has the next turn.
	fleet := prospect("F-1", "GB")
	fleet.Activities[0].Product = "FleetInsight"
	res, err := a.Assign(ctx, assign.Request{Lead: fleet}, t0)
	require.NoError(t, err)
	assert.Equal(t, "priya", res.Owner)
	assert.Equal(t, `rule "fleet" (product fleetinsight): round robin of 2: priya 3 open, sam 4 open`, res.Reason)
}

func TestAssignIsIdempotent(t *testing.T) {
	a := newAssigner(t, assign.NewMemState(), sampleRules(t), nil)
	first, err := a.Assign(ctx, assign.Request{Lead: prospect("L-1", "FR")}, t0)
	require.NoError(t, err)
	again, err := a.Assign(ctx, assign.Request{Lead: prospect("L-1", "FR"), AccountOwner: "priya"}, t0.Add(time.Hour))
	require.NoError(t, err)
	assert.True(t, again.Existing)
	assert.Equal(t, first.Assignment, again.Assignment)

	require.NoError(t, a.Release(ctx, "L-1"))
	assert.ErrorIs(t, a.Release(ctx, "L-1"), assign.ErrNotFound)
	third, err := a.Assign(ctx, assign.Request{Lead: prospect("L-1", "FR"), AccountOwner: "priya"}, t0.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, "priya", third.Owner, "released, it is assigned anew")
}

// Property: the same rules, the same state and the same lead give the same
// owner and reason, on separate states replaying the same requests.
func TestAssignIsDeterministic(t *testing.T) {
	countries := []string{"DE", "GB", "FR", "AT", "ES"}
	run := func() []string {
		a := newAssigner(t, assign.NewMemState(), sampleRules(t), nil)
		var out []string
		for i := range 60 {
			l := prospect(fmt.Sprint("L-", i), countries[i%len(countries)])
			if i%7 == 0 {
				l.Activities[0].Product = "FleetInsight"
			}
			res, err := a.Assign(ctx, assign.Request{Lead: l}, t0.Add(time.Duration(i)*time.Minute))
			if err != nil {
				out = append(out, err.Error())
				continue
			}
			out = append(out, res.Owner+": "+res.Reason)
		}
		return out
	}
	assert.Equal(t, run(), run())
}

func TestAssignNoOwner(t *testing.T) {
	r := sampleRules(t)
	r.Rules = r.Rules[:1] // dach only
	a := newAssigner(t, assign.NewMemState(), r, nil)
	_, err := a.Assign(ctx, assign.Request{Lead: prospect("L-1", "FR")}, t0)
	require.ErrorIs(t, err, assign.ErrNoOwner)
	assert.EqualError(t, err, `assign: lead "L-1": assign: no eligible owner: no rule matches the lead`)

	for i := range 2 { // lena's capacity
		_, err := a.Assign(ctx, assign.Request{Lead: prospect(fmt.Sprint("D-", i), "DE")}, t0)
		require.NoError(t, err)
	}
	_, err = a.Assign(ctx, assign.Request{Lead: prospect("D-3", "DE")}, t0)
	require.ErrorIs(t, err, assign.ErrNoOwner)
	assert.ErrorContains(t, err, `everyone eligible is away or at capacity: rule "dach" (country DE): lena at capacity (2 of 2), jan away until 30 Nov 2026 00:00 UTC`)

	// When jan is back, he takes it.
	res, err := a.Assign(ctx, assign.Request{Lead: prospect("D-3", "DE")}, time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	assert.Equal(t, "jan", res.Owner)
}

func TestAssignOnCall(t *testing.T) {
	onCall := func(s *qualify.Settings) {
		s.ResponseHours = &lead.WorkingHours{Zone: "Europe/London"}
		s.OffHours = qualify.OffHoursOnCall
	}
	spec := qualify.DefaultSpec()
	onCall(&spec.Settings)
	policy, err := qualify.Compile(spec)
	require.NoError(t, err)
	sunday := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
	l := prospect("L-1", "DE")
	l.Activities[0].At = sunday
	d, err := qualify.EvaluateAt(ctx, policy, l, sunday.Add(time.Minute))
	require.NoError(t, err)
	require.True(t, d.OutsideHours)

	a := newAssigner(t, assign.NewMemState(), sampleRules(t), policy.Vocabulary())
	res, err := a.Assign(ctx, assign.Request{Lead: l, Decision: &d}, sunday.Add(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, "priya", res.Owner)
	assert.Equal(t, assign.BasisOnCall, res.Basis)
	assert.Equal(t, "need outside the team's hours, on call: least loaded of 2: priya 0 open, sam 0 open", res.Reason)

	// Under a policy that answers such need when the team opens, the
	// rules decide.
	b := newAssigner(t, assign.NewMemState(), sampleRules(t), nil)
	res, err = b.Assign(ctx, assign.Request{Lead: l, Decision: &d}, sunday.Add(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, "lena", res.Owner)
}

// Concurrent assignments never take an owner beyond capacity, and never
// assign a lead twice.
func TestAssignConcurrently(t *testing.T) {
	r := sampleRules(t)
	r.Capacity = 5
	r.People[2].Capacity = 0 // lena: the rules' capacity too
	state := assign.NewMemState()
	a := newAssigner(t, state, r, nil)
	const goroutines, leads = 8, 20 // 20 leads, each asked for twice, 15 places
	var wg sync.WaitGroup
	var mu sync.Mutex
	owners := map[string]string{}
	noOwner := 0
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range leads {
				if (i+g)%2 == 0 {
					continue
				}
				id := fmt.Sprint("L-", i)
				res, err := a.Assign(ctx, assign.Request{Lead: prospect(id, "FR")}, t0)
				mu.Lock()
				switch {
				case err == nil:
					if prev, ok := owners[id]; ok {
						assert.Equal(t, prev, res.Owner, "a lead has one owner")
					}
					owners[id] = res.Owner
				default:
					assert.ErrorIs(t, err, assign.ErrNoOwner)
					noOwner++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	loads, err := state.Loads(ctx, []string{"sam", "priya", "lena"}, nil)
	require.NoError(t, err)
	total := 0
	for _, l := range loads {
		assert.LessOrEqual(t, l.Open, 5, l.Owner)
		total += l.Open
	}
	assert.Equal(t, 15, total, "every place taken")
	assert.Equal(t, 15, state.Len())
	assert.Len(t, owners, 15)
	assert.Positive(t, noOwner)
}

func TestAssignBadInput(t *testing.T) {
	a := newAssigner(t, assign.NewMemState(), sampleRules(t), nil)
	_, err := a.Assign(ctx, assign.Request{}, time.Time{})
	require.ErrorIs(t, err, assign.ErrInvalid)
	assert.EqualError(t, err, "assign: invalid input: lead: nil; now: zero: pass the time of the assignment")
	_, err = a.Assign(ctx, assign.Request{Lead: &lead.Lead{}}, t0)
	assert.ErrorContains(t, err, "lead.id: empty")

	_, err = assign.New(nil, assign.Config{Rules: sampleRules(t), Retries: 101})
	require.ErrorIs(t, err, assign.ErrInvalid)
	for _, want := range []string{"state: nil", "Vocabulary: required", "Retries: 101 is outside 1 to 100"} {
		assert.ErrorContains(t, err, want)
	}
}

// A State that fails is reported, wrapped, and nothing is half-done.
func TestAssignStateFailure(t *testing.T) {
	boom := fmt.Errorf("connection reset")
	a := newAssigner(t, failing{assign.NewMemState(), boom}, sampleRules(t), nil)
	_, err := a.Assign(ctx, assign.Request{Lead: prospect("L-1", "FR")}, t0)
	require.ErrorIs(t, err, boom)
	assert.ErrorContains(t, err, `assign: lead "L-1"`)

	done, cancel := context.WithCancel(ctx)
	cancel()
	b := newAssigner(t, assign.NewMemState(), sampleRules(t), nil)
	_, err = b.Assign(done, assign.Request{Lead: prospect("L-1", "FR")}, t0)
	assert.ErrorIs(t, err, context.Canceled)
}

// failing fails every Loads.
type failing struct {
	*assign.MemState
	err error
}

func (f failing) Loads(context.Context, []string, []assign.Load) ([]assign.Load, error) {
	return nil, f.err
}

// A rule's products may name the policy's product lines: a lead asking
// about any product of the line, or a decision on the line, matches it.
func TestAssignByProductLine(t *testing.T) {
	spec := qualify.DefaultSpec()
	spec.Settings.ProductLines = []qualify.ProductLine{{Name: "RoutePlanner", Products: []string{"RP-100", "route planner"}}}
	p, err := qualify.Compile(spec)
	require.NoError(t, err)
	rules, err := assign.ParseRules([]byte(`{
	  "people": [{"id": "ana", "team": "t"}, {"id": "bo", "team": "t"}],
	  "teams": [{"id": "t", "lead": "ana", "manager": "bo"}],
	  "rules": [
	    {"name": "routing team", "products": ["routeplanner"], "people": ["ana"]},
	    {"name": "everyone else", "people": ["bo"]}
	  ]
	}`))
	require.NoError(t, err)
	a := newAssigner(t, assign.NewMemState(), rules, p.Vocabulary())

	l := prospect("L-1", "GB")
	l.Activities[0].Product = "RP-100" // a product of the line, not the line's name
	d, err := qualify.EvaluateAt(context.Background(), p, l, t0)
	require.NoError(t, err)
	res, err := a.Assign(context.Background(), assign.Request{Lead: l, Decision: &d}, t0)
	require.NoError(t, err)
	assert.Equal(t, "ana", res.Owner)
	assert.Equal(t, "routing team", res.Rule)

	other := prospect("L-2", "GB")
	other.Activities[0].Product = "something else"
	res, err = a.Assign(context.Background(), assign.Request{Lead: other}, t0)
	require.NoError(t, err)
	assert.Equal(t, "bo", res.Owner)
}
