package backtest_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/leadqual/leadqual/ingest"
	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify/backtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recycledLead is a lead set aside for reason at `at`, as an export
// without dates has it (no history, no updated_at).
func recycledLead(id string, reason lead.Reason) *lead.Lead {
	return &lead.Lead{ID: id, Stage: lead.StageRecycled, LostReason: reason}
}

// Four leads of one reason, worked by hand (Kaplan–Meier): A converts on
// day 10, B is followed 20 days without converting, C converts on day 30,
// D is followed 100 days. After day 10, 3 of 4 remain (0.75); B leaves
// the following on day 20, so on day 30 one of the two left converts:
// 0.75 × 1/2 remain, 62.5% converted. Nothing is known beyond day 100.
func TestRecycleCurveByHand(t *testing.T) {
	until := t0.Add(400 * day)
	recs := []backtest.Record{
		{Lead: recycledLead("A", lead.ReasonNoBudget), At: t0, Converted: true, ConvertedAt: t0.Add(10*day + time.Hour)},
		{Lead: recycledLead("B", lead.ReasonNoBudget), At: until.Add(-20 * day)},
		{Lead: recycledLead("C", lead.ReasonNoBudget), At: t0, Converted: true, ConvertedAt: t0.Add(30 * day)},
		{Lead: recycledLead("D", lead.ReasonNoBudget), At: until.Add(-100 * day)},
	}
	horizon := func(r lead.Reason) (time.Duration, bool) {
		if r == lead.ReasonNoBudget {
			return 25 * day, true
		}
		return 0, false
	}
	rep, err := backtest.Run(context.Background(), noisyPolicy(), seq(recs), backtest.Config{Until: until, Horizon: horizon})
	require.NoError(t, err)
	require.Len(t, rep.Recycled, 1)
	c := rep.Recycled[0]
	assert.Equal(t, lead.ReasonNoBudget, c.Reason)
	assert.False(t, c.Final)
	assert.Equal(t, 4, c.Leads)
	assert.Equal(t, 2, c.Conversions)
	assert.Equal(t, 25*day, c.Horizon)
	assert.InDelta(t, 0.25, float64(c.AtHorizon), 1e-12, "by day 25, only A")
	assert.Equal(t, []backtest.RecycleStep{{Days: 10, Converted: 0.25}, {Days: 30, Converted: 0.625}}, c.Steps)
	assert.Equal(t, 100, c.Followed)
	want := map[int]struct {
		conv   float64
		atRisk int
		since  int
	}{7: {0, 4, 0}, 14: {0.25, 3, 1}, 30: {0.625, 1, 1}, 60: {0.625, 1, 0}, 90: {0.625, 1, 0}}
	require.Len(t, c.Points, len(backtest.RecycleDays))
	for _, p := range c.Points {
		w, ok := want[p.Days]
		if !ok {
			assert.False(t, p.Converted.Defined(), "day %d: beyond the longest following", p.Days)
			continue
		}
		assert.InDelta(t, w.conv, float64(p.Converted), 1e-12, "day %d", p.Days)
		assert.Equal(t, w.atRisk, p.AtRisk, "day %d", p.Days)
		assert.Equal(t, w.since, p.Conversions, "day %d", p.Days)
	}
	var sb strings.Builder
	require.NoError(t, rep.WriteText(&sb))
	assert.Contains(t, sb.String(), "Conversion by time since the recycle")
	assert.Regexp(t, `no_budget\s+4\s+2\s+25d\s+25\.0%\s+0\.0%\s+25\.0%\s+62\.5%`, sb.String())
}

// A history of recycled leads with the future recorded as a CRM has it: the
// recycle is a move in the lead's history, the conversion a later move to
// won. The curves find the planted times: not_now leads come back around
// day 90, no_decision_maker leads within two weeks, and not a fit is
// final. Leads followed only a short while count only that long.
func TestRecycleCurvesPlanted(t *testing.T) {
	until := t0.Add(500 * day)
	var recs []backtest.Record
	add := func(i int, reason lead.Reason, convertAfter time.Duration) {
		at := t0.Add(time.Duration(i) * time.Hour)
		l := &lead.Lead{ID: fmt.Sprintf("%s-%d", reason, i), CreatedAt: at.Add(-30 * day), UpdatedAt: at, Stage: lead.StageOpportunity}
		set := at.Add(-2 * day)
		require.NoError(t, l.MoveTo(lead.StageLost, set, string(reason)))
		l.LostReason = reason
		r := backtest.Record{Lead: l, At: at}
		if convertAfter > 0 {
			require.NoError(t, l.MoveTo(lead.StageRecycled, set.Add(convertAfter-time.Hour), ""))
			require.NoError(t, l.MoveTo(lead.StageSalesAccepted, set.Add(convertAfter-time.Minute), ""))
			require.NoError(t, l.MoveTo(lead.StageSalesQualified, set.Add(convertAfter-time.Second), ""))
			require.NoError(t, l.MoveTo(lead.StageOpportunity, set.Add(convertAfter-time.Millisecond), ""))
			require.NoError(t, l.MoveTo(lead.StageWon, set.Add(convertAfter), ""))
			r.Converted = true
		}
		recs = append(recs, r)
	}
	for i := range 200 {
		var after time.Duration
		if i%4 == 0 {
			after = time.Duration(80+i%20) * day // a quarter, between day 80 and 100
		}
		add(i, lead.ReasonNotNow, after)
	}
	for i := range 100 {
		var after time.Duration
		if i%2 == 0 {
			after = time.Duration(3+i%10) * day // half, within two weeks
		}
		add(1000+i, lead.ReasonNoDecisionMaker, after)
	}
	for i := range 30 {
		add(2000+i, lead.ReasonNotAFit, 0)
	}
	// Converted, but nothing says when.
	l := recycledLead("mystery", lead.ReasonNotNow)
	recs = append(recs, backtest.Record{Lead: l, At: t0, Converted: true})

	rep, err := backtest.Run(context.Background(), noisyPolicy(), seq(recs), backtest.Config{Until: until})
	require.NoError(t, err)
	byReason := map[lead.Reason]backtest.RecycleCurve{}
	for _, c := range rep.Recycled {
		byReason[c.Reason] = c
	}
	require.Len(t, byReason, 3)
	assert.Equal(t, lead.ReasonNotNow, rep.Recycled[0].Reason, "the most leads first")
	at := func(c backtest.RecycleCurve, d int) float64 {
		for _, p := range c.Points {
			if p.Days == d {
				return float64(p.Converted)
			}
		}
		t.Fatalf("no point at %d days", d)
		return 0
	}
	notNow := byReason[lead.ReasonNotNow]
	assert.Equal(t, 201, notNow.Leads)
	assert.Equal(t, 1, notNow.UnknownTime)
	assert.Equal(t, 50, notNow.Conversions)
	assert.Zero(t, at(notNow, 60))
	assert.InDelta(t, 0.25, at(notNow, 180), 1e-12)
	assert.False(t, notNow.AtHorizon.Defined(), "no horizon given")
	ndm := byReason[lead.ReasonNoDecisionMaker]
	assert.InDelta(t, 0.5, at(ndm, 14), 1e-12)
	assert.InDelta(t, 0.3, at(ndm, 7), 1e-12, "days 3, 5 and 7 of 3 to 11")
	fit := byReason[lead.ReasonNotAFit]
	assert.True(t, fit.Final)
	assert.Zero(t, at(fit, 365), "final: never came back")
	assert.False(t, fit.Points[len(fit.Points)-1].Converted.Defined(), "followed 500 days at most: nothing known at 730")
}

// Censoring: leads recycled near the end of the history have not had the
// time to convert. Ignoring that would halve the rate; the curve does not.
func TestRecycleCurveCensoring(t *testing.T) {
	until := t0.Add(200 * day)
	var recs []backtest.Record
	for i := range 400 {
		// Recycled evenly over 200 days; a third convert 50 days after,
		// when the history still follows them.
		at := t0.Add(time.Duration(i) * 12 * time.Hour)
		r := backtest.Record{Lead: recycledLead(fmt.Sprint("c", i), lead.ReasonUnresponsive), At: at}
		if i%3 == 0 && at.Add(50*day).Before(until) {
			r.Converted, r.ConvertedAt = true, at.Add(50*day)
		}
		recs = append(recs, r)
	}
	rep, err := backtest.Run(context.Background(), noisyPolicy(), seq(recs), backtest.Config{Until: until})
	require.NoError(t, err)
	c := rep.Recycled[0]
	naive := float64(c.Conversions) / float64(c.Leads)
	assert.Less(t, naive, 0.26)
	for _, p := range c.Points {
		if p.Days == 60 {
			assert.InDelta(t, 1.0/3, float64(p.Converted), 0.01, "a third, among the leads followed 60 days")
		}
	}
}

// The outcome's time is checked: after the decision, and only for a lead
// that converted.
func TestConvertedAtChecked(t *testing.T) {
	recs := []backtest.Record{
		{Lead: &lead.Lead{ID: "early"}, At: t5, Converted: true, ConvertedAt: t4},
		{Lead: &lead.Lead{ID: "no"}, At: t5, ConvertedAt: t6},
		{Lead: &lead.Lead{ID: "ok"}, At: t5, Converted: true, ConvertedAt: t6},
	}
	rep, err := backtest.Run(context.Background(), noisyPolicy(), seq(recs), backtest.Config{})
	require.NoError(t, err)
	assert.Equal(t, 2, rep.Errored)
	require.Len(t, rep.Errors, 2)
	assert.Contains(t, rep.Errors[0].Reason, "converted_at: the lead converted at")
	assert.Contains(t, rep.Errors[1].Reason, "converted_at: set, but the lead did not convert")
}

// Properties of the curves, on random recycled histories: the share
// converted never falls with time and stays within [0, 1]; at-risk counts
// never rise; every step goes up.
func TestRecycleCurveProperties(t *testing.T) {
	reasons := []lead.Reason{lead.ReasonNotNow, lead.ReasonNoBudget, lead.ReasonUnresponsive}
	for seed := range uint64(40) {
		r := rand.New(rand.NewPCG(seed, 3))
		until := t0.Add(time.Duration(100+r.IntN(700)) * day)
		var recs []backtest.Record
		for i := range 50 + r.IntN(200) {
			at := t0.Add(time.Duration(r.Int64N(int64(until.Sub(t0)))))
			rec := backtest.Record{Lead: recycledLead(fmt.Sprint(i), reasons[r.IntN(len(reasons))]), At: at}
			if r.IntN(3) == 0 {
				if conv := at.Add(time.Duration(r.Int64N(int64(800 * day)))); conv.Before(until) {
					rec.Converted, rec.ConvertedAt = true, conv
				}
			}
			recs = append(recs, rec)
		}
		rep, err := backtest.Run(context.Background(), noisyPolicy(), seq(recs), backtest.Config{Until: until, Workers: 1 + int(seed%3)})
		require.NoError(t, err)
		for _, c := range rep.Recycled {
			prev, risk := 0.0, c.Leads
			for _, p := range c.Points {
				if !p.Converted.Defined() {
					continue
				}
				assert.GreaterOrEqual(t, float64(p.Converted), prev-1e-12, "seed %d %s day %d", seed, c.Reason, p.Days)
				assert.LessOrEqual(t, float64(p.Converted), 1.0)
				assert.LessOrEqual(t, p.AtRisk, risk)
				prev, risk = float64(p.Converted), p.AtRisk
			}
			prev = 0
			for _, s := range c.Steps {
				assert.Greater(t, float64(s.Converted), prev, "seed %d: a step goes up", seed)
				prev = float64(s.Converted)
			}
		}
	}
}

// A CRM's CSV export gives the recycle curves their conversion times as a
// JSON history does: its Converted Date column, mapped as converted_at
// (day-first, in the export's zone, a date alone standing for its day),
// makes the same curves as the same history in JSON lines with
// "converted_at". Withheld as a column known only after the fact, as it
// had to be before converted_at, it leaves every conversion's time
// unknown, and the curves without a conversion.
func TestRecycleCurvesFromCSVConversionTimes(t *testing.T) {
	const columns = "id = Lead ID, decided_at = Created, stage = Stage, lost_reason = Lost Reason, converted = Converted | bool, " +
		"date: DD/MM/YYYY, zone: Europe/London"
	fromCSV := readFile(t, "recycled.csv", backtest.CSV(ingest.MustParseMapping("recycled.map", columns+", converted_at = Converted Date")))
	fromJSON := readFile(t, "recycled.jsonl", backtest.JSONLines())
	require.Len(t, fromCSV, 8)
	require.Len(t, fromJSON, 8)
	for i := range fromJSON {
		assert.True(t, fromJSON[i].At.Equal(fromCSV[i].At), "record %d: decided at %v and %v", i, fromJSON[i].At, fromCSV[i].At)
		assert.Equal(t, fromJSON[i].Converted, fromCSV[i].Converted, "record %d", i)
		assert.True(t, fromJSON[i].ConvertedAt.Equal(fromCSV[i].ConvertedAt), "record %d: converted at %v and %v", i, fromJSON[i].ConvertedAt, fromCSV[i].ConvertedAt)
	}
	assert.True(t, fromCSV[2].ConvertedAt.Equal(fromCSV[2].At), "R-3 converted on the day of its decision: at its decision")

	until := time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)
	run := func(recs []backtest.Record) map[lead.Reason]backtest.RecycleCurve {
		t.Helper()
		rep, err := backtest.Run(context.Background(), noisyPolicy(), seq(recs), backtest.Config{Until: until})
		require.NoError(t, err)
		require.Zero(t, rep.Errored, "%v", rep.Errors)
		out := map[lead.Reason]backtest.RecycleCurve{}
		for _, c := range rep.Recycled {
			out[c.Reason] = c
		}
		return out
	}
	csv, jsonl := run(fromCSV), run(fromJSON)
	assert.JSONEq(t, jsonOf(t, jsonl), jsonOf(t, csv))
	require.Len(t, csv, 3)
	for reason, want := range map[lead.Reason]struct {
		leads, conversions int
		steps              []backtest.RecycleStep
	}{
		// R-1 on day 100 (14 April in London is 13 April, 23:00 UTC),
		// R-6 on day 118; R-2 never.
		lead.ReasonNotNow: {3, 2, []backtest.RecycleStep{{Days: 100, Converted: 1.0 / 3}, {Days: 118, Converted: 2.0 / 3}}},
		// R-3 on the day of its decision, R-8 on day 29; R-7 never.
		lead.ReasonNoBudget: {3, 2, []backtest.RecycleStep{{Days: 0, Converted: 1.0 / 3}, {Days: 29, Converted: 2.0 / 3}}},
		// R-4 on day 9; R-5 never.
		lead.ReasonNoDecisionMaker: {2, 1, []backtest.RecycleStep{{Days: 9, Converted: 0.5}}},
	} {
		c := csv[reason]
		assert.Equal(t, want.leads, c.Leads, reason)
		assert.Equal(t, want.conversions, c.Conversions, reason)
		assert.Zero(t, c.UnknownTime, reason)
		require.Len(t, c.Steps, len(want.steps), reason)
		for i, s := range want.steps {
			assert.Equal(t, s.Days, c.Steps[i].Days, reason)
			assert.InDelta(t, float64(s.Converted), float64(c.Steps[i].Converted), 1e-12, reason)
		}
	}

	withheld := run(readFile(t, "recycled.csv", backtest.CSV(ingest.MustParseMapping("recycled.map", columns+", after = Converted Date"))))
	for reason, c := range withheld {
		assert.Zero(t, c.Conversions, reason)
		assert.Equal(t, csv[reason].Conversions, c.UnknownTime, reason)
		assert.Empty(t, c.Steps, reason)
	}
}
