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
//     of it;
//   - one lead in eight had been lost before its decision time, for a
//     reason (the move to lost records it): a quarter of them convert
//     later, after a wait that depends on the reason (not now: 2 to 4
//     months; no decision maker: 1 to 4 weeks; no budget: 5 to 8 months;
//     unresponsive: 1 to 3 months; a preferred supplier: 10 to 13
//     months), which the recycle curves find.
func writeSynthetic(w io.Writer, n int, seed uint64) error {
	bw := bufio.NewWriter(w)
	r := rand.New(rand.NewPCG(seed, 2025))
	const day = 24 * time.Hour
	ago := func(at time.Time, days int) time.Time {
		return at.Add(-time.Duration(1 + r.Int64N(int64(days)*int64(day)-1))).Truncate(time.Second)
	}
	currencies := []lead.Currency{"GBP", "GBP", "GBP", "EUR"}
	waits := []struct {
		reason   lead.Reason
		min, max int // days
	}{
		{lead.ReasonNotNow, 60, 120}, {lead.ReasonNoDecisionMaker, 7, 28}, {lead.ReasonNoBudget, 150, 240},
		{lead.ReasonUnresponsive, 30, 90}, {lead.ReasonPreferredSupplier, 300, 400},
	}
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
		if r.IntN(8) == 0 {
			// Lost before the decision time, for a reason; perhaps won later.
			w := waits[r.IntN(len(waits))]
			lost := at.Add(-time.Duration(1+r.IntN(5)) * day)
			l.Stage = lead.StageOpportunity
			if err := l.MoveTo(lead.StageLost, lost, string(w.reason)); err != nil {
				return err
			}
			l.LostReason = w.reason
			l.UpdatedAt = at
			rec := backtest.Record{Lead: l, At: at}
			if r.IntN(4) == 0 {
				won := lost.Add(time.Duration(w.min+r.IntN(w.max-w.min)) * day)
				rec.Converted, rec.ConvertedAt = true, won
				rec.Won = lead.NewMoney(decimal.NewFromInt(int64(1000*(1+r.IntN(50)))), currencies[r.IntN(len(currencies))])
				for _, m := range []struct {
					to    lead.Stage
					after time.Duration
				}{{lead.StageRecycled, 0}, {lead.StageSalesAccepted, time.Hour}, {lead.StageSalesQualified, 2 * time.Hour}, {lead.StageOpportunity, 3 * time.Hour}, {lead.StageWon, 4 * time.Hour}} {
					if err := l.MoveTo(m.to, won.Add(-4*time.Hour+m.after), ""); err != nil {
						return err
					}
				}
			}
			if err := writeRecord(bw, &rec); err != nil {
				return err
			}
			continue
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
			rec.ConvertedAt = at.Add(30 * day)
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
		if err := writeRecord(bw, &rec); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func writeRecord(bw *bufio.Writer, rec *backtest.Record) error {
	line, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	bw.Write(line)
	return bw.WriteByte('\n')
}
