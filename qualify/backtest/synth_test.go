package backtest_test

import (
	"fmt"
	"iter"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/qualify/backtest"
	"github.com/shopspring/decimal"
)

// t0 is the start of the synthetic timeline; nothing reads the wall clock.
var t0 = time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// The planted conversion rates of the synthetic history.
const (
	rateNeed     = 0.45 // asked for pricing or a demo in the week before the decision
	rateInterest = 0.08 // downloaded a white paper or an e-book
	rateNone     = 0.03 // page visits only
)

// synthetic returns a history of n leads whose true signal is known:
//
//   - a fifth ask for pricing or a demo shortly before their decision
//     time (need), and convert at rateNeed; two fifths download education
//     (interest) and convert at rateInterest; the rest convert at rateNone;
//     a decision maker converts half as often again;
//   - fields.coin is a fair coin, independent of everything: noise;
//   - the future is planted too, to prove the rewind: a lead that converts
//     has a phone call and a booked meeting after its decision time, and a
//     stage history that ends in won; one in three that do not is
//     disqualified as not a fit after its decision time.
func synthetic(n int, seed uint64) []backtest.Record {
	return slices.Collect(synthStream(n, seed))
}

// synthStream yields the records of synthetic one by one, each with a new
// lead, holding none of them.
func synthStream(n int, seed uint64) iter.Seq[backtest.Record] {
	return func(yield func(backtest.Record) bool) {
		synthesize(n, seed, yield)
	}
}

func synthesize(n int, seed uint64, yield func(backtest.Record) bool) {
	r := rand.New(rand.NewPCG(seed, 2025))
	ago := func(at time.Time, maxDays int) time.Time {
		return at.Add(-time.Duration(1 + r.Int64N(int64(maxDays)*int64(day)-1)))
	}
	for i := range n {
		at := t0.Add(time.Duration(i) * 37 * time.Minute)
		l := &lead.Lead{
			ID:        fmt.Sprintf("L-%05d", i),
			Contact:   lead.Contact{Role: lead.Role(r.IntN(4))},
			Company:   lead.Company{Employees: 5 + r.IntN(500)},
			CreatedAt: ago(at, 60),
			Fields:    map[string]any{"coin": r.IntN(2) == 0},
		}
		for range r.IntN(6) {
			l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindPageVisit, At: ago(at, 30)})
		}
		p := rateNone
		switch u := r.Float64(); {
		case u < 0.2:
			k := []lead.Kind{lead.KindPricingRequest, lead.KindDemoRequest}[r.IntN(2)]
			l.Activities = append(l.Activities, lead.Activity{Kind: k, At: ago(at, 7)})
			p = rateNeed
		case u < 0.6:
			k := []lead.Kind{lead.KindWhitePaper, lead.KindEbook}[r.IntN(2)]
			l.Activities = append(l.Activities, lead.Activity{Kind: k, At: ago(at, 60)})
			p = rateInterest
		}
		if l.Contact.Role == lead.RoleDecisionMaker {
			p *= 1.5
		}
		rec := backtest.Record{Lead: l, At: at, Converted: r.Float64() < p}
		l.UpdatedAt = at
		if rec.Converted {
			rec.Won = lead.NewMoney(decimal.NewFromInt(int64(1000*(1+r.IntN(50)))), "GBP")
			l.Activities = append(l.Activities,
				lead.Activity{Kind: lead.KindCallConnected, At: at.Add(2 * day)},
				lead.Activity{Kind: lead.KindMeetingBooked, At: at.Add(5 * day)})
			for _, m := range []struct {
				to    lead.Stage
				after time.Duration
			}{{lead.StageSalesAccepted, time.Hour}, {lead.StageSalesQualified, 3 * day}, {lead.StageOpportunity, 10 * day}, {lead.StageWon, 30 * day}} {
				if err := l.MoveTo(m.to, at.Add(m.after), ""); err != nil {
					panic(err)
				}
			}
		} else if r.IntN(3) == 0 {
			if err := l.MoveTo(lead.StageDisqualified, at.Add(20*day), "not a fit"); err != nil {
				panic(err)
			}
			l.LostReason = lead.ReasonNotAFit
		}
		if !yield(rec) {
			return
		}
	}
}

// noisyPolicy is the default policy, as it was when these tests were
// written (testdata/noisy_policy.json, so that they do not move when the
// default does), with one more rule: fit points for a coin that came up
// heads, which has nothing to do with conversion.
func noisyPolicy() *qualify.Policy {
	data, err := os.ReadFile(filepath.Join("testdata", "noisy_policy.json"))
	if err != nil {
		panic(err)
	}
	p, err := qualify.CompileJSON(data)
	if err != nil {
		panic(err)
	}
	return p
}

// seq is the history as a sequence.
func seq(recs []backtest.Record) iter.Seq[backtest.Record] { return slices.Values(recs) }
