package bench

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/leadqual/leadqual/lead"
)

// Now is the benchmark's fixed `now`.
var Now = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// RandomLead returns a lead with n activities over the last year (and a
// few after now, which every implementation ignores), a mix of need,
// interest, engagement and negative kinds, and every input the policy
// reads sometimes set and sometimes not: custom fields of several types, a
// budget in pounds or none, an expected purchase, lost reasons.
func RandomLead(n int, seed uint64) *lead.Lead {
	r := rand.New(rand.NewPCG(seed, 20))
	pick := func(vs ...string) string { return vs[r.IntN(len(vs))] }
	l := &lead.Lead{
		ID:      fmt.Sprintf("B-%d", seed),
		Contact: lead.Contact{Name: "Ada Byrne", Email: "ada@example.co.uk", Role: lead.Role(r.IntN(4))},
		Company: lead.Company{Name: "Byrne Logistics", Industry: "logistics", Employees: r.IntN(200),
			Country: pick("GB", "IE", "US", "DE", "ES", "")},
		Stage: []lead.Stage{lead.StageNew, lead.StageNurturing, lead.StageLost, lead.StageOpportunity}[r.IntN(4)],
	}
	if r.IntN(8) == 0 {
		l.LostReason = lead.Reason(pick("do_not_contact", "not_a_fit", "preferred_supplier", "offshored", "not_now"))
	}
	if r.IntN(2) == 0 {
		l.Budget = lead.MustParseMoney(pick("25000.00", "10000", "9999.99", "500"), "GBP")
	}
	if r.IntN(3) == 0 {
		l.ExpectedPurchase = Now.Add(time.Duration(r.IntN(240)-40) * day)
	}
	l.Fields = map[string]any{}
	if r.IntN(5) == 0 {
		l.Fields["do_not_contact"] = []any{true, false, "yes"}[r.IntN(3)]
	}
	if r.IntN(2) == 0 {
		l.Fields["plan"] = pick("pro", "enterprise", "free", "")
	}
	kinds := lead.Kinds()
	for range n {
		k := kinds[r.IntN(len(kinds))]
		if r.IntN(3) > 0 { // engagement dominates real streams
			k = []lead.Kind{lead.KindPageVisit, lead.KindEmailOpen, lead.KindEmailClick, lead.KindWhitePaper}[r.IntN(4)]
		}
		at := Now.Add(-time.Duration(r.Int64N(int64(365 * day))))
		if r.IntN(40) == 0 {
			at = Now.Add(time.Duration(1+r.IntN(48)) * time.Hour)
		}
		l.Activities = append(l.Activities, lead.Activity{Kind: k, At: at, Channel: "web"})
	}
	return l
}
