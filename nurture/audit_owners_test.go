package nurture_test

import (
	"context"
	"fmt"
	"iter"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/nurture"
	"github.com/leadqual/leadqual/qualify"
)

func TestAuditCoveragePerOwner(t *testing.T) {
	owned := func(id, owner string, stage lead.Stage) *lead.Lead {
		return &lead.Lead{ID: id, Owner: owner, Stage: stage, CreatedAt: t0.Add(-time.Hour)}
	}
	unowned := needLead("need-nobody", "5000", t0.Add(-time.Minute))
	unowned.Owner = ""
	lateNobody := needLead("late-nobody", "7000", t0.Add(-time.Hour))
	lateNobody.Owner = ""
	ignored := owned("ignored", "bob", lead.StageOpportunity)
	ignored.CreatedAt = t0.Add(-30 * day)
	rep := run(t, newAuditor(t, nurture.AuditConfig{Team: []string{"ann", "bob", "cat"}}), t0,
		nurture.Item{Lead: needLead("ann-1", "1000", t0.Add(-2*time.Hour))},
		nurture.Item{Lead: owned("ann-2", "ann", lead.StageNew)},
		nurture.Item{Lead: owned("ann-3", "ann", lead.StageNurturing)},
		nurture.Item{Lead: owned("ann-won", "ann", lead.StageWon)},
		nurture.Item{Lead: ignored},
		nurture.Item{Lead: owned("dan-1", "dan", lead.StageNew)},
		nurture.Item{Lead: unowned},
		nurture.Item{Lead: lateNobody},
	)
	assert.Equal(t, []nurture.OwnerLoad{
		{Owner: "ann", Leads: 4, Open: 3, Need: 1, Breaches: 1},
		{Owner: "bob", Leads: 1, Open: 1, Ignored: 1},
		{Owner: "cat"}, // on the team, owns nothing: counts in the imbalance
		{Owner: "dan", Leads: 1, Open: 1},
		{Owner: "", Leads: 2, Open: 2, Need: 2, Breaches: 1},
	}, rep.Owners)
	// ann holds 3 of the 5 open leads of 4 owners: 3 / 1.25.
	assert.InDelta(t, 2.4, rep.Imbalance, 1e-9)

	got := kinds(rep, nurture.FindingUnowned)
	require.Len(t, got, 2)
	assert.Equal(t, "late-nobody", got[0].Lead, "the higher value first")
	assert.Equal(t, 55*time.Minute, got[0].Overdue)
	assert.Equal(t, "assign an owner: asked for pricing 1h ago and nobody owns the lead; the deadline passed 55m ago", got[0].Action)
	assert.Equal(t, "need-nobody", got[1].Lead)
	assert.Zero(t, got[1].Overdue)
	assert.Equal(t, "assign an owner: asked for pricing 1m ago and nobody owns the lead; respond within 4m", got[1].Action)
	assert.Equal(t, nurture.Total{Kind: nurture.FindingUnowned, Found: 2, Kept: 2}, rep.Totals[nurture.FindingUnowned])
}

func TestAuditTeamErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		team []string
		err  string
	}{
		"empty name": {[]string{"ann", ""}, "Team[1]: is empty"},
		"twice":      {[]string{"ann", "bob", "ann"}, `Team[2]: "ann" listed twice`},
		"too many":   {make([]string, nurture.MaxOwners+1), "Team: 10001 people, more than 10000"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := nurture.NewAuditor(nurture.AuditConfig{Vocabulary: qualify.DefaultVocabulary(), Team: tc.team})
			require.ErrorContains(t, err, tc.err)
		})
	}
}

func TestAuditOwnersAreBounded(t *testing.T) {
	const n = nurture.MaxOwners + 50
	seq := func(yield func(nurture.Item) bool) {
		var l lead.Lead
		for i := range n {
			l = lead.Lead{ID: fmt.Sprint("L", i), Owner: fmt.Sprint("owner-", i), Stage: lead.StageNew, CreatedAt: t0}
			if !yield(nurture.Item{Lead: &l}) {
				return
			}
		}
		l = lead.Lead{ID: "nobody's", Stage: lead.StageNew, CreatedAt: t0}
		yield(nurture.Item{Lead: &l})
	}
	rep, err := newAuditor(t, nurture.AuditConfig{}).Run(context.Background(), iter.Seq[nurture.Item](seq), t0)
	require.NoError(t, err)
	assert.Len(t, rep.Owners, nurture.MaxOwners+1, "every owner up to the bound, and the leads nobody owns")
	assert.Equal(t, "", rep.Owners[len(rep.Owners)-1].Owner)
	assert.Equal(t, 50, rep.OtherOwners)
	assert.InDelta(t, 1, rep.Imbalance, 1e-9)
}

// With response hours, a breach says whether the need arrived while the
// team was there: a team that missed need in its own hours is told from
// one that was asleep. Deadlines are the policy's.
func TestAuditBreachesInsideAndOutsideHours(t *testing.T) {
	london := mustZone(t, "Europe/London")
	monday := time.Date(2026, 3, 2, 0, 0, 0, 0, london)
	hours := func(off qualify.OffHours) func(s *qualify.Settings) {
		return func(s *qualify.Settings) {
			s.ResponseHours = &lead.WorkingHours{Zone: "Europe/London"}
			s.OffHours = off
		}
	}
	sunday := needLead("sunday-night", "1000", monday.Add(-22*time.Hour)) // Sunday 02:00
	morning := needLead("monday-morning", "2000", monday.Add(9*time.Hour+30*time.Minute))
	now := monday.Add(10 * time.Hour)
	tests := []struct {
		name    string
		off     qualify.OffHours
		want    map[string]time.Duration // lead: overdue
		outside map[string]bool
	}{
		// From the opening, the Sunday request was due at 09:05.
		{"opening", qualify.OffHoursOpening, map[string]time.Duration{"sunday-night": 55 * time.Minute, "monday-morning": 25 * time.Minute},
			map[string]bool{"sunday-night": true}},
		// On call, it was due at 02:05 on Sunday.
		{"on call", qualify.OffHoursOnCall, map[string]time.Duration{"sunday-night": 31*time.Hour + 55*time.Minute, "monday-morning": 25 * time.Minute},
			map[string]bool{"sunday-night": true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := run(t, newAuditor(t, nurture.AuditConfig{Vocabulary: vocab(t, hours(tc.off))}), now,
				nurture.Item{Lead: sunday}, nurture.Item{Lead: morning})
			got := map[string]time.Duration{}
			for _, f := range kinds(rep, nurture.FindingResponseBreach) {
				got[f.Lead] = f.Overdue
				assert.Equal(t, tc.outside[f.Lead], f.OutsideHours, f.Lead)
				if f.OutsideHours {
					assert.Contains(t, f.Action, "ago outside the team's hours and no one")
				}
			}
			assert.Equal(t, tc.want, got)
			assert.Equal(t, 2, rep.Owners[0].Breaches)
			assert.Equal(t, 1, rep.Owners[0].BreachesOutsideHours)
		})
	}
}

// The hand-off's deadline is the policy's: working time, and with need
// outside the hours on call, the earliest deadline of the needs since the
// enrolment, which need need not be the earliest.
func TestHandOffDeadlineCountsResponseHours(t *testing.T) {
	london := mustZone(t, "Europe/London")
	friday := time.Date(2026, 3, 6, 0, 0, 0, 0, london)
	for _, tc := range []struct {
		name string
		off  qualify.OffHours
		want time.Time
	}{
		{"opening", qualify.OffHoursOpening, time.Date(2026, 3, 9, 9, 3, 0, 0, london)},
		{"on call", qualify.OffHoursOnCall, friday.Add(17*time.Hour + 6*time.Minute)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := vocab(t, func(s *qualify.Settings) {
				s.ResponseHours = &lead.WorkingHours{Zone: "Europe/London"}
				s.OffHours = tc.off
			})
			p, err := nurture.NewPlanner(nurture.Config{Vocabulary: v})
			require.NoError(t, err)
			l := interestLead()
			l.Activities = append(l.Activities,
				act(lead.KindPricingRequest, friday.Add(16*time.Hour+58*time.Minute)), // in hours: due Monday 09:03
				act(lead.KindDemoRequest, friday.Add(17*time.Hour+time.Minute)))       // outside: opening Monday 09:05, on call 17:06
			plan, err := p.Next(nurture.Input{Lead: l, Track: track3(t), Progress: nurture.Progress{Enrolled: friday.Add(-30 * day)}}, friday.Add(18*time.Hour))
			require.NoError(t, err)
			require.Equal(t, nurture.OutcomeHandOff, plan.Outcome)
			assert.True(t, tc.want.Equal(plan.Deadline), "got %s", plan.Deadline.In(london))
		})
	}
}
