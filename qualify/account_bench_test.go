package qualify

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/stretchr/testify/require"
)

// benchAccount returns an account of n contacts, each a benchLead of
// acts activities with a role, some with a dated loss of the account.
func benchAccount(n, acts int, seed uint64) *lead.Account {
	r := rand.New(rand.NewPCG(seed, 11))
	a := &lead.Account{ID: fmt.Sprintf("A-%d", seed), Company: lead.Company{Name: "Northwind", Domain: "northwind.example", Employees: 400}}
	for i := range n {
		l := benchLead(acts, seed*1000+uint64(i))
		l.ID = fmt.Sprintf("L-%d-%d", seed, i)
		l.Contact.Name = fmt.Sprintf("Contact %d", i)
		a.Leads = append(a.Leads, *l)
	}
	if r.IntN(4) == 0 {
		at := t0.Add(-time.Duration(r.Int64N(int64(40 * day))))
		a.History = []lead.Transition{{From: lead.StageOpportunity, To: lead.StageLost, At: at}}
		a.Stage, a.LostReason = lead.StageLost, []lead.Reason{lead.ReasonNotNow, lead.ReasonPreferredSupplier, lead.ReasonNotAFit}[r.IntN(3)]
	}
	return a
}

// yardstickAccount is EvaluateAccount with the default policy written by
// hand: each contact by the yardstick, then the roll-up (fit the highest,
// engagement the sum), the contact whose need is due first, the buying
// group and its summary, and the account's precedence, as a careful Go
// engineer would write them for this one policy.
func yardstickAccount(a *lead.Account, now time.Time, version string) AccountDecision {
	var lost time.Time
	for _, t := range a.History {
		if (t.To == lead.StageLost || t.To == lead.StageRecycled || t.To == lead.StageDisqualified) && t.At.After(lost) && !t.At.After(now) {
			lost = t.At
		}
	}
	ad := AccountDecision{Account: a.ID, Stage: a.Stage, Policy: "leadqual-default", Version: version, At: now, Matched: []Match{}}
	ad.Contacts = make([]Decision, len(a.Leads))
	var reached [4]bool
	need, interest, rolled := -1, false, false
	for i := range a.Leads {
		l := &a.Leads[i]
		d, engaged := yardstickAfter(l, now, version, lost)
		ad.Contacts[i] = d
		if d.Route == RouteDrop || d.Route == RouteReview {
			continue
		}
		ad.Group.Contacts++
		if engaged {
			ad.Group.Engaged = append(ad.Group.Engaged, l.ID)
			if l.Contact.Role != lead.RoleUnknown {
				reached[l.Contact.Role] = true
			}
		}
		if !rolled || d.Fit > ad.Fit {
			ad.Fit = d.Fit
		}
		rolled = true
		ad.Engagement += d.Engagement
		if d.Verdict == VerdictNeed && d.Route == RouteSales && (need < 0 || d.Deadline.Before(ad.Contacts[need].Deadline)) {
			need = i
		}
		interest = interest || d.Verdict == VerdictInterest || d.Verdict == VerdictNeed
	}
	for r := lead.RoleDecisionMaker; r <= lead.RoleUser; r++ {
		if reached[r] {
			ad.Group.Reached = append(ad.Group.Reached, r)
		}
	}
	if !reached[lead.RoleDecisionMaker] {
		ad.Group.Missing = []lead.Role{lead.RoleDecisionMaker}
	}

	next := a.Stage
	if need >= 0 {
		ad.Verdict, ad.NeedKind, ad.NeedAt = VerdictNeed, ad.Contacts[need].NeedKind, ad.Contacts[need].NeedAt
	} else if interest {
		ad.Verdict = VerdictInterest
	}
	ad.Qualified = need < 0 && ad.Fit >= 30 && ad.Engagement >= 40
	name := func(l *lead.Lead) string {
		if l.Contact.Role == lead.RoleUnknown {
			return l.Contact.Name
		}
		return l.Contact.Name + " (" + strings.ReplaceAll(l.Contact.Role.String(), "_", " ") + ")"
	}
	switch {
	case a.LostReason == lead.ReasonDoNotContact:
		ad.Verdict, ad.Reason, ad.Qualified = VerdictOutOfScope, lead.ReasonDoNotContact, false
		ad.Route, next = RouteDrop, lead.StageDisqualified
	case need >= 0 && (a.Stage == lead.StageDisqualified || a.LostReason == lead.ReasonNotAFit):
		ad.Reason = a.LostReason
		if ad.Reason == "" {
			ad.Reason = lead.ReasonNotAFit
		}
		ad.Route = RouteReview
		ad.Note = ad.NeedKind.Describe() + " after being " + ad.Reason.Describe() + ": a person must decide whether to reopen it"
	case need >= 0 && (a.Stage == lead.StageLost || a.Stage == lead.StageRecycled):
		ad.Reopened = a.LostReason
		ad.Route, next = RouteSales, lead.StageSalesAccepted
		ad.Deadline = ad.NeedAt.Add(5 * time.Minute)
		ad.Note = ad.NeedKind.Describe() + " after being " + ad.Reopened.Describe()
	case a.LostReason == lead.ReasonNotAFit:
		ad.Verdict, ad.Reason, ad.Qualified = VerdictOutOfScope, lead.ReasonNotAFit, false
		ad.Route, next = RouteDrop, lead.StageDisqualified
	case a.Stage == lead.StageDisqualified:
		ad.Route = RouteDrop
	case need >= 0:
		ad.Route, next = RouteSales, lead.StageSalesAccepted
		ad.Deadline = ad.NeedAt.Add(5 * time.Minute)
	case ad.Qualified:
		ad.Route, next = RouteSales, lead.StageMarketingQualified
	case a.Stage >= lead.StageSalesAccepted && a.Stage <= lead.StageWon:
		ad.Route = RouteSales
	case interest:
		ad.Route, next = RouteNurture, lead.StageNurturing
	case a.Stage == lead.StageLost || a.Stage == lead.StageRecycled:
		ad.Route, next = RouteRecycle, lead.StageRecycled
	default:
		ad.Route, next = RouteNurture, lead.StageNurturing
	}
	ad.NextStage = a.Stage
	if lead.CanMove(a.Stage, next) {
		ad.NextStage = next
	}
	if need >= 0 && ad.Verdict == VerdictNeed {
		ad.Contact = a.Leads[need].ID
		if ad.Note != "" {
			ad.Note = name(&a.Leads[need]) + " " + ad.Note
		} else {
			ad.Summary = append(ad.Summary, name(&a.Leads[need])+" "+ad.NeedKind.Describe())
		}
	}
	if n := len(ad.Group.Engaged); n == 0 {
		ad.Summary = append(ad.Summary, fmt.Sprintf("no contact engaged of %d", ad.Group.Contacts))
	} else {
		var b strings.Builder
		fmt.Fprintf(&b, "%d of %d contacts engaged: ", n, ad.Group.Contacts)
		for j, id := range ad.Group.Engaged[:min(n, 5)] {
			if j > 0 {
				b.WriteString(", ")
			}
			for k := range a.Leads {
				if a.Leads[k].ID == id {
					b.WriteString(a.Leads[k].Contact.Name)
					break
				}
			}
		}
		if n > 5 {
			fmt.Fprintf(&b, " and %d more", n-5)
		}
		ad.Summary = append(ad.Summary, b.String())
	}
	if reached[lead.RoleDecisionMaker] {
		var b strings.Builder
		b.WriteString("decision maker reached: ")
		first := true
		for k := range a.Leads {
			l := &a.Leads[k]
			if l.Contact.Role == lead.RoleDecisionMaker && containsID(ad.Group.Engaged, l.ID) {
				if !first {
					b.WriteString(", ")
				}
				b.WriteString(l.Contact.Name)
				first = false
			}
		}
		ad.Summary = append(ad.Summary, b.String())
	} else {
		msg := "no decision maker reached: reach the sales, finance or managing director"
		var others []string
		for _, r := range ad.Group.Reached {
			others = append(others, strings.ReplaceAll(r.String(), "_", " "))
		}
		if len(others) > 0 {
			msg += " (reached: " + strings.Join(others, ", ") + ")"
		}
		ad.Summary = append(ad.Summary, msg)
	}
	return ad
}

func TestAccountYardstickAgrees(t *testing.T) {
	p := defaultPolicy(t)
	for seed := range uint64(300) {
		a := benchAccount(int(seed%25), int(seed%40), seed)
		want := yardstickAccount(a, t0, p.Version())
		got := evalAccount(t, p, a)
		require.Equal(t, want, got, "account %d", seed)
	}
}

// BenchmarkEvaluateAccount times EvaluateAccount of the default policy on
// an account of 20 contacts of 20 activities each, and reports
// x-yardstick: its time over the hand-written account yardstick's, timed
// right after it.
func BenchmarkEvaluateAccount(b *testing.B) {
	p := defaultPolicy(b)
	ctx := context.Background()
	a := benchAccount(20, 20, 20)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EvaluateAccount(ctx, p, a, t0); err != nil {
			b.Fatal(err)
		}
	}
	evaluate := b.Elapsed()
	start := time.Now()
	for range b.N {
		yardstickAccount(a, t0, "v")
	}
	b.ReportMetric(float64(evaluate)/float64(time.Since(start)), "x-yardstick")
}

// BenchmarkAccountYardstick times the hand-written account yardstick alone.
func BenchmarkAccountYardstick(b *testing.B) {
	a := benchAccount(20, 20, 20)
	b.ReportAllocs()
	for b.Loop() {
		yardstickAccount(a, t0, "v")
	}
}

// BenchmarkEvaluateLines times Evaluate of a policy of three product
// lines on a lead of 50 activities spread over them: the lead, and each
// line it is in.
func BenchmarkEvaluateLines(b *testing.B) {
	p := linesPolicy(b)
	l := benchLead(50, 50)
	for i := range l.Activities {
		l.Activities[i].Product = []string{"", "RoutePlanner", "telematics", "fuelcards"}[i%4]
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EvaluateAt(context.Background(), p, l, t0); err != nil {
			b.Fatal(err)
		}
	}
}
