package lead_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leadqual/leadqual/lead"
)

// randomLead draws a valid lead from small pools, so that two draws often
// share an ID, a creation time, activities, interests and product lines:
// the cases a merge must get right.
func randomLead(r *rand.Rand) lead.Lead {
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	times := []time.Time{{}, t0, t1, t2, t3}
	l := lead.Lead{
		ID: pick("L-1", "L-2", "L-3"),
		Contact: lead.Contact{
			Name:  pick("", "Ann Lee", "A. Lee"),
			Email: pick("", "ann@acme.example", "a.lee@acme.example"),
			Phone: pick("", "+44 20 7946 0958", "020 7946 0958"),
			Role:  lead.Role(r.IntN(4)),
		},
		Company:   lead.Company{Name: pick("", "Acme"), Employees: r.IntN(3) * 50},
		Owner:     pick("", "rep-1", "rep-2"),
		CreatedAt: times[r.IntN(len(times))],
	}
	if r.IntN(2) == 0 {
		l.Value = lead.MustParseMoney(pick("1000", "2000.00", "500"), "GBP")
	}
	kinds := []lead.Kind{lead.KindWhitePaper, lead.KindPricingRequest, lead.KindPageVisit, lead.KindUnsubscribe}
	for range r.IntN(5) {
		l.Activities = append(l.Activities, lead.Activity{Kind: kinds[r.IntN(len(kinds))], At: times[1+r.IntN(4)],
			Product: pick("", "routeplanner")})
	}
	for range r.IntN(3) {
		l.Interests = append(l.Interests, lead.Interest{Topic: pick("fleet", "Fleet", "telematics"), FirstSeen: times[1+r.IntN(2)], LastSeen: t3})
	}
	for _, ch := range []lead.Channel{lead.ChannelEmail, lead.ChannelPhone} {
		if st := lead.ConsentState(r.IntN(3)); st != lead.ConsentUnknown {
			if l.Consent == nil {
				l.Consent = map[lead.Channel]lead.Consent{}
			}
			l.Consent[ch] = lead.Consent{State: st, At: times[1+r.IntN(4)], How: pick("form", "call")}
		}
	}
	l.SetFunnel("", randomFunnel(r))
	if r.IntN(4) == 0 {
		l.LostReason = lead.ReasonDoNotContact
	}
	for _, line := range []string{"fleet", "telematics"} {
		if r.IntN(2) == 0 {
			l.SetFunnel(line, randomFunnel(r))
		}
	}
	if r.IntN(4) == 0 {
		l.Fields = map[string]any{pick("plan", "seats"): pick("gold", "silver")}
	}
	l.UpdatedAt = l.CreatedAt
	for _, h := range l.History {
		if h.At.After(l.UpdatedAt) {
			l.UpdatedAt = h.At
		}
	}
	return l
}

// randomFunnel walks the transition table from new, a few moves a day
// apart.
func randomFunnel(r *rand.Rand) lead.Funnel {
	var f lead.Funnel
	at := t0.Add(time.Duration(r.IntN(24)) * time.Hour)
	for range r.IntN(4) {
		next := f.Stage.Transitions()
		if len(next) == 0 {
			break
		}
		at = at.Add(time.Duration(1+r.IntN(48)) * time.Hour)
		if err := f.MoveTo(next[r.IntN(len(next))], at, "step"); err != nil {
			panic(err)
		}
	}
	return f
}

// transitions lists every move a lead records anywhere: its funnels and
// its merged records.
func transitions(l *lead.Lead) []string {
	var out []string
	add := func(where string, h []lead.Transition) {
		for _, t := range h {
			out = append(out, fmt.Sprintf("%s %s->%s %s", where, t.From, t.To, t.At.Format(time.RFC3339)))
		}
	}
	add("", l.History)
	for name, f := range l.Lines {
		add(name, f.History)
	}
	for _, m := range l.Merged {
		if m.Funnel != nil {
			add("", m.Funnel.History)
		}
		for name, f := range m.Lines {
			add(name, f.History)
		}
	}
	return out
}

func ids(l *lead.Lead) []string {
	out := []string{l.ID}
	for _, m := range l.Merged {
		out = append(out, m.ID)
	}
	return out
}

func countActivities(acts []lead.Activity, a lead.Activity) int {
	n := 0
	for _, b := range acts {
		if a.Kind == b.Kind && a.At.Equal(b.At) && a.Product == b.Product {
			n++
		}
	}
	return n
}

func TestMergeProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 2025))
	for i := range 3000 {
		a, b, c := randomLead(r), randomLead(r), randomLead(r)
		require.NoError(t, a.Validate(now), "draw %d", i)
		require.NoError(t, b.Validate(now), "draw %d", i)
		ab, ba := lead.Merge(a, b), lead.Merge(b, a)

		// Commutative, idempotent, and absorbing a lead again changes nothing.
		require.Equal(t, ab, ba, "draw %d: Merge is commutative", i)
		require.Equal(t, a, lead.Merge(a, a), "draw %d: Merge(a, a) is a", i)
		require.Equal(t, ab, lead.Merge(ab, b), "draw %d: merging b again changes nothing", i)
		require.Equal(t, ab, lead.Merge(ab, a), "draw %d: merging a again changes nothing", i)
		require.Equal(t, ab, lead.Merge(ab, ab), "draw %d", i)

		require.NoError(t, ab.Validate(now), "draw %d: the merge of valid leads is valid", i)

		// An opt-out anywhere wins; otherwise the strongest consent.
		for _, ch := range []lead.Channel{lead.ChannelEmail, lead.ChannelPhone} {
			sa, sb := a.ConsentFor(ch).State, b.ConsentFor(ch).State
			switch got := ab.ConsentFor(ch).State; {
			case sa == lead.ConsentOptedOut || sb == lead.ConsentOptedOut:
				require.Equal(t, lead.ConsentOptedOut, got, "draw %d: %s", i, ch)
			case sa == lead.ConsentOptedIn || sb == lead.ConsentOptedIn:
				require.Equal(t, lead.ConsentOptedIn, got, "draw %d: %s", i, ch)
			default:
				require.Equal(t, lead.ConsentUnknown, got, "draw %d: %s", i, ch)
			}
		}
		if a.LostReason == lead.ReasonDoNotContact || b.LostReason == lead.ReasonDoNotContact {
			require.Equal(t, lead.ReasonDoNotContact, ab.LostReason, "draw %d: do not contact is kept live", i)
		}

		// The earliest creation, the latest update.
		switch {
		case a.CreatedAt.IsZero():
			require.Equal(t, b.CreatedAt, ab.CreatedAt)
		case b.CreatedAt.IsZero() || a.CreatedAt.Before(b.CreatedAt):
			require.Equal(t, a.CreatedAt, ab.CreatedAt)
		default:
			require.Equal(t, b.CreatedAt, ab.CreatedAt)
		}
		require.False(t, ab.UpdatedAt.Before(a.UpdatedAt) || ab.UpdatedAt.Before(b.UpdatedAt))

		// No history lost: every move, every ID, every activity.
		all := transitions(&ab)
		for _, in := range []*lead.Lead{&a, &b} {
			for _, tr := range transitions(in) {
				require.Contains(t, all, tr, "draw %d: a move of %s is lost", i, in.ID)
			}
			for _, id := range ids(in) {
				require.Contains(t, ids(&ab), id, "draw %d", i)
			}
			for _, act := range in.Activities {
				require.GreaterOrEqual(t, countActivities(ab.Activities, act), countActivities(in.Activities, act), "draw %d", i)
			}
			for _, in := range in.Interests {
				require.True(t, slices.ContainsFunc(ab.Interests, func(x lead.Interest) bool {
					return x.Topic == in.Topic || len(x.Topic) == len(in.Topic)
				}), "draw %d: interest %q is lost", i, in.Topic)
			}
		}

		// Merging three leads in any grouping keeps every move too.
		abc := lead.Merge(ab, c)
		all = transitions(&abc)
		for _, tr := range transitions(&c) {
			require.Contains(t, all, tr, "draw %d", i)
		}
		require.Equal(t, abc, lead.Merge(c, lead.Merge(b, a)), "draw %d: the order of three merges does not matter", i)
	}
}

func TestMergeSharesNothing(t *testing.T) {
	a := *fullLead()
	b := *fullLead()
	b.ID, b.CreatedAt = "lead-0002", t1
	m := lead.Merge(a, b)
	m.Activities[0].Attrs["utm_source"] = "changed"
	m.Fields["object"].(map[string]any)["tier"] = "changed"
	m.History[0].Reason = "changed"
	assert.Equal(t, *fullLead(), a)
	assert.Equal(t, "linkedin", b.Activities[0].Attrs["utm_source"])
}

func TestMergeTable(t *testing.T) {
	older := lead.Lead{ID: "L-2", CreatedAt: t1, Contact: lead.Contact{Email: "ann@acme.example", Role: lead.RoleUnknown},
		Consent: map[lead.Channel]lead.Consent{lead.ChannelEmail: {State: lead.ConsentOptedOut, At: t1, How: "unsubscribed"}},
		Stage:   lead.StageNurturing,
		History: []lead.Transition{{From: lead.StageNew, To: lead.StageNurturing, At: t1}}}
	newer := lead.Lead{ID: "L-1", CreatedAt: t3, Contact: lead.Contact{Name: "Ann Lee", Email: "a.lee@acme.example", Role: lead.RoleDecisionMaker},
		Consent:    map[lead.Channel]lead.Consent{lead.ChannelEmail: {State: lead.ConsentOptedIn, At: t3, How: "web form"}},
		Stage:      lead.StageSalesAccepted,
		History:    []lead.Transition{{From: lead.StageNew, To: lead.StageSalesAccepted, At: t3, Reason: "asked for a quote"}},
		Activities: []lead.Activity{{Kind: lead.KindQuoteRequest, At: t3}}}
	m := lead.Merge(newer, older)

	assert.Equal(t, "L-2", m.ID, "the lead created first survives")
	assert.Equal(t, t1, m.CreatedAt)
	assert.Equal(t, "ann@acme.example", m.Contact.Email, "the survivor's address")
	assert.Equal(t, "Ann Lee", m.Contact.Name, "completed from the other")
	assert.Equal(t, lead.RoleDecisionMaker, m.Contact.Role)
	assert.Equal(t, lead.ConsentOptedOut, m.ConsentFor(lead.ChannelEmail).State, "an opt-out anywhere wins")
	assert.Equal(t, lead.StageSalesAccepted, m.Stage, "the latest move is live")
	assert.Equal(t, newer.History, m.History)
	require.Len(t, m.Merged, 2)
	assert.Equal(t, lead.MergedLead{ID: "L-2", CreatedAt: t1, Funnel: &lead.Funnel{Stage: lead.StageNurturing, History: older.History}}, m.Merged[0],
		"the survivor's own funnel, set aside")
	assert.Equal(t, lead.MergedLead{ID: "L-1", CreatedAt: t3, Email: "a.lee@acme.example"}, m.Merged[1],
		"the merged lead's ID and address")
	assert.Len(t, m.Activities, 1)
	assert.NoError(t, m.Validate(now))
}
