package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify/backtest"
	"github.com/shopspring/decimal"
)

// synthStart is the first decision time of a synthetic history.
var synthStart = time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)

// writeSynthetic writes n records of a synthetic history with a known
// signal, as JSON lines, the same for the same seed:
//
//   - a fifth of the leads ask for pricing or a demo in the week before
//     their decision (need) and convert at 45%; two fifths download a white
//     paper or an e-book (interest) and convert at 8%; the rest at 3%; a
//     decision maker converts half as often again;
//   - fields.coin is a fair coin, unrelated to anything: the noise a rule
//     might read;
//   - the future is recorded too, as a CRM has it today: a lead that
//     converted has a call and a meeting after its decision time and a
//     stage history that ends in won; one in three of the others was
//     disqualified as not a fit afterwards. The backtest must not see any
//     of it.
func writeSynthetic(w io.Writer, n int, seed uint64) error {
	bw := bufio.NewWriter(w)
	r := rand.New(rand.NewPCG(seed, 2025))
	const day = 24 * time.Hour
	ago := func(at time.Time, days int) time.Time {
		return at.Add(-time.Duration(1 + r.Int64N(int64(days)*int64(day)-1))).Truncate(time.Second)
	}
	currencies := []lead.Currency{"GBP", "GBP", "GBP", "EUR"}
	for i := range n {
		at := synthStart.Add(time.Duration(i) * 37 * time.Minute)
		l := &lead.Lead{
			ID:        fmt.Sprintf("S-%06d", i),
			Contact:   lead.Contact{Role: lead.Role(r.IntN(4))},
			Company:   lead.Company{Employees: 5 + r.IntN(500)},
			Stage:     lead.StageNew,
			CreatedAt: ago(at, 60),
			Fields:    map[string]any{"coin": r.IntN(2) == 0},
		}
		for range r.IntN(6) {
			l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindPageVisit, At: ago(at, 30)})
		}
		p := 0.03
		switch u := r.Float64(); {
		case u < 0.2:
			k := []lead.Kind{lead.KindPricingRequest, lead.KindDemoRequest}[r.IntN(2)]
			l.Activities = append(l.Activities, lead.Activity{Kind: k, At: ago(at, 7)})
			p = 0.45
		case u < 0.6:
			k := []lead.Kind{lead.KindWhitePaper, lead.KindEbook}[r.IntN(2)]
			l.Activities = append(l.Activities, lead.Activity{Kind: k, At: ago(at, 60)})
			p = 0.08
		}
		if l.Contact.Role == lead.RoleDecisionMaker {
			p *= 1.5
		}
		rec := backtest.Record{Lead: l, At: at, Converted: r.Float64() < p}
		l.UpdatedAt = at
		if rec.Converted {
			rec.Won = lead.NewMoney(decimal.NewFromInt(int64(1000*(1+r.IntN(50)))), currencies[r.IntN(len(currencies))])
			l.Activities = append(l.Activities,
				lead.Activity{Kind: lead.KindCallConnected, At: at.Add(2 * day)},
				lead.Activity{Kind: lead.KindMeetingBooked, At: at.Add(5 * day)})
			for _, m := range []struct {
				to    lead.Stage
				after time.Duration
			}{{lead.StageSalesAccepted, time.Hour}, {lead.StageSalesQualified, 3 * day}, {lead.StageOpportunity, 10 * day}, {lead.StageWon, 30 * day}} {
				if err := l.MoveTo(m.to, at.Add(m.after), ""); err != nil {
					return err
				}
			}
		} else if r.IntN(3) == 0 {
			if err := l.MoveTo(lead.StageDisqualified, at.Add(20*day), "not a fit"); err != nil {
				return err
			}
			l.LostReason = lead.ReasonNotAFit
		}
		line, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		bw.Write(line)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}
