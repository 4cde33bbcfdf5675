package assign

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/leadqual/leadqual/internal/human"
	"github.com/leadqual/leadqual/nurture"
)

// Notice is one step of the escalation ladder taken: who to tell about an
// unanswered need, and why.
type Notice struct {
	// Lead is the lead's ID and Owner its owner.
	Lead  string `json:"lead"`
	Owner string `json:"owner"`
	// Step is the rung of the ladder, from 1, and Role who it reaches.
	Step int  `json:"step"`
	Role Role `json:"role"`
	// To is the person to tell: the owner, their team lead or manager.
	To string `json:"to"`
	// Due is the response deadline the ladder climbs from, and At when
	// this step fell due (Due + the step's After).
	Due time.Time `json:"due"`
	At  time.Time `json:"at"`
	// Late is how long past its deadline the need was when the step was
	// taken (now - Due).
	Late time.Duration `json:"late_ns"`
}

// String says the notice in a sentence: "L-1: need unanswered 32m past
// its deadline: tell priya (team_lead of sam's team)".
func (n Notice) String() string {
	who := n.To
	switch n.Role {
	case RoleOwner:
		who += " (the owner)"
	default:
		who += fmt.Sprintf(" (%s of %s's team)", n.Role, n.Owner)
	}
	late := "at its deadline"
	if n.Late > 0 {
		late = human.Duration(n.Late) + " past its deadline"
	}
	return fmt.Sprintf("%s: need unanswered %s: tell %s", n.Lead, late, who)
}

// Escalated is the outcome of [Assigner.Escalate].
type Escalated struct {
	// Assignment is the lead's record after the call.
	Assignment Assignment `json:"assignment"`
	// Notices are the steps this call took, in ladder order: every step
	// that fell due since the last one recorded (after an outage, several
	// at once). Empty when no new step is due.
	Notices []Notice `json:"notices,omitempty"`
}

// Escalate climbs the escalation ladder of the lead's unanswered need,
// whose response deadline is due, as of now: each step of the ladder
// (Rules.Escalation) whose time (due + its After) has come and that the
// lead's record does not show as taken is taken now: recorded in the
// State with the assignment, and returned as a Notice for the host to
// send. Each step is taken once: calling Escalate again, from the same
// scheduler or another process, returns no notice until the next step
// falls due; a concurrent call that records a step first wins, and this
// one reads it and returns only what is left.
//
// A deadline other than the one recorded (new need, after the last was
// answered) starts the ladder again. The host calls Escalate from its
// scheduler for each lead with unanswered need past its deadline (the
// decision's Deadline), or with the neglect audit's breaches
// ([Assigner.EscalateBreaches]); it stops calling once the need is
// answered. A lead without an assignment is ErrNotFound.
func (a *Assigner) Escalate(ctx context.Context, leadID string, due, now time.Time) (Escalated, error) {
	var p problems
	if leadID == "" {
		p.add("lead", "empty")
	}
	if due.IsZero() {
		p.add("due", "zero: pass the response deadline of the need")
	}
	if now.IsZero() {
		p.add("now", "zero: pass the time of the call")
	}
	if err := p.err(); err != nil {
		return Escalated{}, err
	}
	for range a.retries {
		rec, err := a.state.Get(ctx, leadID)
		if err != nil {
			return Escalated{}, fmt.Errorf("assign: escalate lead %q: %w", leadID, err)
		}
		esc := rec.Escalation
		if !esc.Due.Equal(due) {
			esc = Escalation{Due: due}
		}
		reached := 0
		for i, s := range a.c.ladder {
			if !now.Before(due.Add(s.After)) {
				reached = i + 1
			}
		}
		if reached <= esc.Step {
			return Escalated{Assignment: rec}, nil
		}
		var notices []Notice
		for i := esc.Step; i < reached; i++ {
			s := a.c.ladder[i]
			notices = append(notices, Notice{Lead: leadID, Owner: rec.Owner, Step: i + 1, Role: s.To,
				To: a.resolve(rec.Owner, s.To), Due: due, At: due.Add(s.After), Late: now.Sub(due)})
		}
		rec.Escalation = Escalation{Due: due, Step: reached, At: now}
		stored, err := a.state.Put(ctx, rec, rec.Version, 0)
		switch {
		case err == nil:
			return Escalated{Assignment: stored, Notices: notices}, nil
		case errors.Is(err, ErrStale):
			continue // another call recorded a step, or the lead moved: read again
		default:
			return Escalated{}, fmt.Errorf("assign: escalate lead %q: %w", leadID, err)
		}
	}
	return Escalated{}, fmt.Errorf("assign: escalate lead %q: %d attempts: %w", leadID, a.retries, ErrContention)
}

// resolve returns who holds role for owner: the owner, or their team's
// lead or manager. Rules validation guarantees they exist for a person
// of the rules; an owner the rules do not know (a record written under
// other rules) reaches only themselves.
func (a *Assigner) resolve(owner string, r Role) string {
	if r == RoleOwner {
		return owner
	}
	pe := a.c.people[owner]
	if pe == nil {
		return owner
	}
	t := a.c.teams[pe.Team]
	if t == nil {
		return owner
	}
	if r == RoleTeamLead {
		return t.Lead
	}
	return t.Manager
}

// EscalateBreaches escalates the unanswered response breaches among
// findings (a nurture audit's Report.Findings): Escalate for each, with
// the finding's deadline. Breaches answered late, other findings and
// leads without an assignment (the audit reports them as unowned) are
// passed over. It returns the notices of every step taken, in the
// findings' order; an error of the State stops it, with the notices
// taken so far. The audit keeps only its best-ranked findings: a host
// that must escalate every lead calls Escalate from its scheduler.
func (a *Assigner) EscalateBreaches(ctx context.Context, findings iter.Seq[nurture.Finding], now time.Time) ([]Notice, error) {
	var out []Notice
	for f := range findings {
		if f.Kind != nurture.FindingResponseBreach || !f.Answered.IsZero() || f.Lead == "" || f.Due.IsZero() {
			continue
		}
		e, err := a.Escalate(ctx, f.Lead, f.Due, now)
		switch {
		case errors.Is(err, ErrNotFound):
			continue
		case err != nil:
			return out, err
		}
		out = append(out, e.Notices...)
	}
	return out, nil
}
