package assign_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leadqual/leadqual/assign"
	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/nurture"
	"github.com/leadqual/leadqual/qualify"
)

func notices(e assign.Escalated) []string {
	var out []string
	for _, n := range e.Notices {
		out = append(out, n.String())
	}
	return out
}

func TestEscalateClimbsOnce(t *testing.T) {
	a := newAssigner(t, assign.NewMemState(), sampleRules(t), nil)
	_, err := a.Assign(ctx, assign.Request{Lead: prospect("L-1", "FR")}, t0) // sam, team uk
	require.NoError(t, err)
	due := t0.Add(5 * time.Minute)

	steps := []struct {
		at   time.Duration // after the deadline
		want []string
		step int
	}{
		{-time.Minute, nil, 0},
		{0, []string{"L-1: need unanswered at its deadline: tell sam (the owner)"}, 1},
		{10 * time.Minute, nil, 1},
		{10 * time.Minute, nil, 1}, // again: nothing new
		{30 * time.Minute, []string{"L-1: need unanswered 30m past its deadline: tell priya (team_lead of sam's team)"}, 2},
		{2 * time.Hour, []string{"L-1: need unanswered 2h past its deadline: tell ada (manager of sam's team)"}, 3},
		{5 * time.Hour, nil, 3}, // the top of the ladder
	}
	for _, s := range steps {
		e, err := a.Escalate(ctx, "L-1", due, due.Add(s.at))
		require.NoError(t, err)
		assert.Equal(t, s.want, notices(e), "at %s", s.at)
		assert.Equal(t, s.step, e.Assignment.Escalation.Step)
	}

	// New need, a new deadline: the ladder starts again.
	later := due.Add(24 * time.Hour)
	e, err := a.Escalate(ctx, "L-1", later, later.Add(45*time.Minute))
	require.NoError(t, err)
	assert.Equal(t, []string{
		"L-1: need unanswered 45m past its deadline: tell sam (the owner)",
		"L-1: need unanswered 45m past its deadline: tell priya (team_lead of sam's team)",
	}, notices(e), "steps missed while no one called are all taken, in order")
	assert.Equal(t, 2, e.Assignment.Escalation.Step)
	assert.True(t, later.Equal(e.Assignment.Escalation.Due))
}

// Many schedulers calling at once take each step once.
func TestEscalateConcurrently(t *testing.T) {
	a := newAssigner(t, assign.NewMemState(), sampleRules(t), nil)
	_, err := a.Assign(ctx, assign.Request{Lead: prospect("L-1", "FR")}, t0)
	require.NoError(t, err)
	due := t0.Add(5 * time.Minute)
	var mu sync.Mutex
	var all []assign.Notice
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, at := range []time.Duration{0, 31 * time.Minute, 3 * time.Hour} {
				e, err := a.Escalate(ctx, "L-1", due, due.Add(at+time.Duration(g)*time.Second))
				assert.NoError(t, err)
				mu.Lock()
				all = append(all, e.Notices...)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	steps := make([]int, 0, len(all))
	for _, n := range all {
		steps = append(steps, n.Step)
	}
	slices.Sort(steps)
	assert.Equal(t, []int{1, 2, 3}, steps, "each step once")
}

func TestEscalateErrors(t *testing.T) {
	a := newAssigner(t, assign.NewMemState(), sampleRules(t), nil)
	_, err := a.Escalate(ctx, "nobody", t0, t0)
	assert.ErrorIs(t, err, assign.ErrNotFound)
	_, err = a.Escalate(ctx, "", time.Time{}, time.Time{})
	require.ErrorIs(t, err, assign.ErrInvalid)
	assert.EqualError(t, err, "assign: invalid input: lead: empty; due: zero: pass the response deadline of the need; now: zero: pass the time of the call")
	done, cancel := context.WithCancel(ctx)
	cancel()
	_, err = a.Escalate(done, "L-1", t0, t0)
	assert.ErrorIs(t, err, context.Canceled)
}

// The audit's breaches drive the ladder: unanswered breaches of assigned
// leads escalate, answered ones and unassigned leads do not.
func TestEscalateBreaches(t *testing.T) {
	a := newAssigner(t, assign.NewMemState(), sampleRules(t), nil)
	for _, id := range []string{"L-1", "L-2"} {
		_, err := a.Assign(ctx, assign.Request{Lead: prospect(id, "FR")}, t0)
		require.NoError(t, err)
	}
	asked := t0.Add(-time.Hour)
	need := func(id, owner string) *lead.Lead {
		return &lead.Lead{ID: id, Owner: owner, Stage: lead.StageSalesAccepted, CreatedAt: asked,
			Activities: []lead.Activity{{Kind: lead.KindDemoRequest, At: asked}}}
	}
	answered := need("L-2", "priya")
	answered.Activities = append(answered.Activities, lead.Activity{Kind: lead.KindCallAttempted, At: asked.Add(20 * time.Minute)})
	auditor, err := nurture.NewAuditor(nurture.AuditConfig{Vocabulary: qualify.DefaultVocabulary()})
	require.NoError(t, err)
	rep, err := auditor.Run(context.Background(), slices.Values([]nurture.Item{
		{Lead: need("L-1", "sam")}, {Lead: answered}, {Lead: need("L-9", "")},
	}), t0)
	require.NoError(t, err)
	got, err := a.EscalateBreaches(ctx, slices.Values(rep.Findings), t0)
	require.NoError(t, err)
	var out []string
	for _, n := range got {
		out = append(out, n.String())
	}
	assert.Equal(t, []string{
		"L-1: need unanswered 55m past its deadline: tell sam (the owner)",
		"L-1: need unanswered 55m past its deadline: tell priya (team_lead of sam's team)",
	}, out)
	again, err := a.EscalateBreaches(ctx, slices.Values(rep.Findings), t0.Add(time.Minute))
	require.NoError(t, err)
	assert.Empty(t, again, "taken once")
}
