package bench

import (
	"context"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// Leadqual is the policy compiled by leadqual. Safe for concurrent use.
type Leadqual struct{ p *qualify.Policy }

// NewLeadqual compiles the policy's JSON form (see Spec) with leadqual.
// With everyActivity, every rule also names all the lead's activities.
func NewLeadqual(everyActivity bool) (*Leadqual, error) {
	p, err := qualify.Compile(Spec(everyActivity))
	if err != nil {
		return nil, err
	}
	return &Leadqual{p}, nil
}

// Decide evaluates l at now: the whole Decision, route and all, which is
// more than the other implementations produce.
func (q *Leadqual) Decide(l *lead.Lead, now time.Time) (qualify.Decision, error) {
	return qualify.EvaluateAt(context.Background(), q.p, l, now)
}

// Eval decides l at now, as an Outcome.
func (q *Leadqual) Eval(l *lead.Lead, now time.Time) (Outcome, error) {
	d, err := q.Decide(l, now)
	if err != nil {
		return Outcome{}, err
	}
	return outcomeOf(d), nil
}

// Reusing is Leadqual deciding one lead at a time into one Decision with
// qualify.EvaluateInto, as a host's loop that is done with each decision
// before the next does. Not safe for concurrent use: one per goroutine.
type Reusing struct {
	q *Leadqual
	d qualify.Decision
}

// Reusing returns an evaluator of q that reuses its Decision.
func (q *Leadqual) Reusing() *Reusing { return &Reusing{q: q} }

// Eval decides l at now, as an Outcome.
func (r *Reusing) Eval(l *lead.Lead, now time.Time) (Outcome, error) {
	if err := qualify.EvaluateInto(context.Background(), r.q.p, l, now, &r.d); err != nil {
		return Outcome{}, err
	}
	return outcomeOf(r.d), nil
}
