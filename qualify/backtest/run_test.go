package backtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/qualify/backtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func run(t *testing.T, p *qualify.Policy, recs []backtest.Record, cfg backtest.Config) *backtest.Report {
	t.Helper()
	r, err := backtest.Run(context.Background(), p, seq(recs), cfg)
	require.NoError(t, err)
	return r
}

// The backtest finds the signal planted in the synthetic history: the
// need rules show high lift, significant; the noise rule shows none.
func TestPlantedSignal(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			r := run(t, noisyPolicy(), synthetic(20000, seed), backtest.Config{})
			require.Equal(t, 20000, r.Leads)
			for _, name := range []string{"pricing-request", "demo-request"} {
				s, ok := r.Rule(name)
				require.True(t, ok)
				assert.Greater(t, float64(s.Lift), 2.5, name)
				assert.Greater(t, float64(s.RateFired), 0.4, name)
				assert.True(t, s.Significant(), name)
			}
			coin, _ := r.Rule("coin")
			assert.InDelta(t, 1, float64(coin.Lift), 0.08, "the noise rule has no lift")
			assert.InDelta(t, 1, float64(coin.Scored.Lift), 0.12, "not even among the leads the scores decide")
			assert.InDelta(t, 0.5, float64(coin.Fired)/float64(r.Leads), 0.02)
			assert.Greater(t, float64(r.NeedOverInterest), 4.0)
			need := r.Verdict(qualify.VerdictNeed)
			assert.InDelta(t, 0.5, float64(need.Rate), 0.05)
			interest := r.Verdict(qualify.VerdictInterest)
			assert.InDelta(t, 0.09, float64(interest.Rate), 0.02)
			// Nothing from the future: the calls after the decision, the
			// later "not a fit", the stage of won.
			for _, name := range []string{"phone-conversation", "meeting-booked", "not-a-fit"} {
				s, _ := r.Rule(name)
				assert.Zero(t, s.Fired, name)
			}
			assert.Zero(t, r.Route(qualify.RouteDrop).Leads)
			assert.Positive(t, r.Rewind.Stages)
			assert.Positive(t, r.Rewind.LostReasons)
			assert.Positive(t, r.Rewind.Activities)
		})
	}
}

// Without the rewind, the planted future would leak: the same leads,
// evaluated as they are today (at a time after everything), route every
// lead that converted to sales.
func TestWithoutRewindTheFutureLeaks(t *testing.T) {
	recs := synthetic(3000, 1)
	leaky := make([]backtest.Record, len(recs))
	for i, r := range recs {
		r.At = r.At.Add(60 * day)
		leaky[i] = r
	}
	r := run(t, noisyPolicy(), leaky, backtest.Config{})
	honest := run(t, noisyPolicy(), recs, backtest.Config{})
	assert.Greater(t, float64(r.Route(qualify.RouteSales).Rate), 0.95, "won leads stay with sales")
	assert.Less(t, float64(honest.Route(qualify.RouteSales).Rate), 0.6)
}

// The report is the same whatever the number of workers and the order of
// the history (errors aside, which are listed in history order).
func TestReportIndependentOfWorkersAndOrder(t *testing.T) {
	recs := synthetic(5000, 4)
	for i := range recs[:50] {
		recs[i*7].Lead.Fields["seats"] = "many" // a rule below fails on these
	}
	spec := noisyPolicy().Spec()
	spec.Rules = append(spec.Rules, qualify.Rule{Name: "seats", When: "fields.seats != nil && fields.seats > 10",
		Dimension: qualify.DimensionFit, Points: "5", Reason: "many seats"})
	p, err := qualify.Compile(spec)
	require.NoError(t, err)
	want := jsonOf(t, run(t, p, recs, backtest.Config{Workers: 1}))
	for _, w := range []int{2, 3, 8} {
		assert.JSONEq(t, want, jsonOf(t, run(t, p, recs, backtest.Config{Workers: w})), "workers %d", w)
	}
	rev := make([]backtest.Record, len(recs))
	for i, r := range recs {
		rev[len(recs)-1-i] = r
	}
	var a, b backtest.Report
	require.NoError(t, json.Unmarshal([]byte(want), &a))
	require.NoError(t, json.Unmarshal([]byte(jsonOf(t, run(t, p, rev, backtest.Config{Workers: 3}))), &b))
	assert.Equal(t, 50, a.Errored)
	assert.Len(t, a.Errors, backtest.DefaultMaxErrors)
	a.Errors, b.Errors = nil, nil
	assert.JSONEq(t, jsonOf(t, a), jsonOf(t, b))
}

func TestErrors(t *testing.T) {
	spec := qualify.DefaultSpec()
	spec.Rules = append(spec.Rules, qualify.Rule{Name: "seats", When: "fields.seats > 10",
		Dimension: qualify.DimensionFit, Points: "5", Reason: "many seats"})
	p, err := qualify.Compile(spec, qualify.WithLimits(qualify.Limits{MaxActivities: 3}))
	require.NoError(t, err)
	ok := func(id string) *lead.Lead { return &lead.Lead{ID: id, Fields: map[string]any{"seats": 20.0}} }
	many := ok("many")
	for range 4 {
		many.Activities = append(many.Activities, lead.Activity{Kind: lead.KindPageVisit, At: t1})
	}
	recs := []backtest.Record{
		{Lead: ok("fine"), At: t5, Converted: true, Line: 1},
		{Lead: &lead.Lead{ID: "no-seats", Fields: map[string]any{"seats": "many"}}, At: t5, Converted: true, Line: 2},
		{Lead: many, At: t5, Line: 3},
		{Lead: nil, At: t5, Line: 4},
		{Lead: ok("no-time"), Line: 5},
		{Lead: ok("won-not-converted"), At: t5, Won: lead.MustParseMoney("5", "GBP"), Line: 6},
		{Lead: &lead.Lead{ID: "later", CreatedAt: t6}, At: t5, Line: 7},
		{Lead: ok(""), At: t5, Line: 8},
		{Lead: ok("bad-currency"), At: t5, Converted: true, Won: lead.Money{Currency: "XYZ"}, Line: 9},
		{Lead: ok("negative"), At: t5, Converted: true, Won: lead.MustParseMoney("-5", "GBP"), Line: 10},
		{Lead: &lead.Lead{ID: "no-seats-2", Fields: map[string]any{"seats": "many"}}, At: t5, Line: 11},
	}
	r := run(t, p, recs, backtest.Config{MaxErrors: 3})
	assert.Equal(t, 11, r.Records)
	assert.Equal(t, 1, r.Leads)
	assert.Equal(t, 10, r.Errored)
	assert.Equal(t, 3, r.ErroredConversions)
	require.Len(t, r.Errors, 3, "the first MaxErrors, in history order")
	e := r.Errors[0]
	assert.Equal(t, 1, e.Index)
	assert.Equal(t, 2, e.Line)
	assert.Equal(t, "no-seats", e.Lead)
	assert.Equal(t, "seats", e.Rule)
	assert.Equal(t, "when", e.Field)
	assert.ErrorIs(t, &e, qualify.ErrRule)
	assert.Contains(t, e.Error(), `history line 2 lead "no-seats": rule "seats" (when): `)
	assert.ErrorIs(t, &r.Errors[1], qualify.ErrLimit)
	assert.ErrorIs(t, &r.Errors[2], backtest.ErrRecord)
	assert.Equal(t, []backtest.ErrorCount{
		{Cause: "record: won", Count: 3},
		{Cause: `rule "seats" (when)`, Count: 2},
		{Cause: "limit MaxActivities", Count: 1},
		{Cause: "record: at", Count: 1},
		{Cause: "record: lead", Count: 1},
		{Cause: "record: lead.created_at", Count: 1},
		{Cause: "record: lead.id", Count: 1},
	}, r.ErrorsByCause)
	var sb strings.Builder
	require.NoError(t, r.WriteText(&sb))
	assert.Contains(t, sb.String(), "Errors: 10")
	assert.Contains(t, sb.String(), "... and 7 more")
}

// With on_error "skip", a failing rule counts as not matched, and the
// report counts its failures on the rule.
func TestSkippedFailures(t *testing.T) {
	spec := qualify.DefaultSpec()
	spec.Settings.OnError = qualify.OnErrorSkip
	spec.Rules = append(spec.Rules, qualify.Rule{Name: "seats", When: "fields.seats > 10",
		Dimension: qualify.DimensionFit, Points: "5", Reason: "many seats"})
	p, err := qualify.Compile(spec)
	require.NoError(t, err)
	r := run(t, p, []backtest.Record{
		{Lead: &lead.Lead{ID: "a", Fields: map[string]any{"seats": "many"}}, At: t5},
		{Lead: &lead.Lead{ID: "b", Fields: map[string]any{"seats": 20.0}}, At: t5, Converted: true},
		{Lead: &lead.Lead{ID: "c"}, At: t5},
		{Lead: &lead.Lead{ID: "d"}, At: t5},
	}, backtest.Config{})
	assert.Zero(t, r.Errored)
	s, _ := r.Rule("seats")
	assert.Equal(t, 1, s.Failed, "a string where a number is compared")
	assert.Equal(t, 2, s.Unjudged, "no seats field: sparse data, not a failure")
	assert.Equal(t, 1, s.Fired)
}

// Won values in different currencies are kept apart, never added.
func TestWonByCurrency(t *testing.T) {
	l := func(id string) *lead.Lead {
		return &lead.Lead{ID: id, Activities: []lead.Activity{{Kind: lead.KindPricingRequest, At: t4}}}
	}
	r := run(t, noisyPolicy(), []backtest.Record{
		{Lead: l("a"), At: t5, Converted: true, Won: lead.MustParseMoney("1000.50", "GBP")},
		{Lead: l("b"), At: t5, Converted: true, Won: lead.MustParseMoney("200", "EUR")},
		{Lead: l("c"), At: t5, Converted: true, Won: lead.MustParseMoney("999.5", "GBP")},
		{Lead: l("d"), At: t5, Converted: true},
		{Lead: l("e"), At: t5},
	}, backtest.Config{})
	assert.Equal(t, "200 EUR + 2000.00 GBP", r.Won.String())
	assert.True(t, r.Won.In("GBP").Equal(lead.MustParseMoney("2000", "GBP")))
	assert.False(t, r.Won.In("USD").Known())
	assert.Equal(t, 1, r.WonUnknown)
	sales := r.Route(qualify.RouteSales)
	assert.Equal(t, 5, sales.Leads)
	assert.Equal(t, 4, sales.Conversions)
	assert.Equal(t, r.Won, sales.Won)
	assert.InDelta(t, 0.8, float64(r.BaseRate), 1e-12)
	assert.InDelta(t, 1, float64(sales.Lift), 1e-12)
	assert.False(t, r.Verdict(qualify.VerdictInterest).Rate.Defined())
	assert.False(t, r.NeedOverInterest.Defined())
}

func TestFindings(t *testing.T) {
	spec := qualify.Spec{Name: "findings", Rules: []qualify.Rule{
		{Name: "asks", When: `fresh("pricing_request")`, Intent: lead.IntentNeed, Reason: "asked"},
		{Name: "chats", When: `fresh("chat")`, Intent: lead.IntentNeed, Reason: "chats are need?"},
		{Name: "never", When: `fresh("quote_request")`, Intent: lead.IntentNeed, Reason: "never"},
		{Name: "always", When: `true`, Dimension: qualify.DimensionFit, Points: "1", Reason: "everyone"},
		{Name: "penalty", When: `fresh("pricing_request")`, Dimension: qualify.DimensionEngagement, Points: "-5", Reason: "wrong way"},
		{Name: "read", When: `fresh("white_paper")`, Intent: lead.IntentInterest, Reason: "read"},
	}}
	p, err := qualify.Compile(spec)
	require.NoError(t, err)
	var recs []backtest.Record
	for i := range 400 {
		l := &lead.Lead{ID: fmt.Sprint(i)}
		conv := false
		switch i % 4 {
		case 0:
			l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindPricingRequest, At: t4})
			conv = i%8 == 0
		case 1:
			l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindChat, At: t4})
		case 2:
			l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindWhitePaper, At: t4})
		}
		recs = append(recs, backtest.Record{Lead: l, At: t5, Converted: conv || i%40 == 3})
	}
	r := run(t, p, recs, backtest.Config{})
	kinds := map[string]backtest.FindingKind{}
	for _, f := range r.Findings {
		kinds[f.Rule] = f.Kind
	}
	assert.Equal(t, map[string]backtest.FindingKind{
		"chats":   backtest.Hurts,
		"never":   backtest.NeverFires,
		"always":  backtest.AlwaysFires,
		"penalty": backtest.Backwards,
	}, kinds, "the interest rule is neutral: interest may convert below the base rate")
	for _, f := range r.Findings {
		if f.Rule == "chats" {
			assert.True(t, f.Significant)
			assert.Contains(t, f.Message, "raises leads that convert less")
		}
	}
	asks, _ := r.Rule("asks")
	assert.Equal(t, backtest.Raises, asks.Direction)
	read, _ := r.Rule("read")
	assert.Equal(t, backtest.Neutral, read.Direction)
	penalty, _ := r.Rule("penalty")
	assert.Equal(t, backtest.Lowers, penalty.Direction)
	assert.Equal(t, -5.0, float64(penalty.MeanPoints))
}

func TestConfigAndArguments(t *testing.T) {
	ctx := context.Background()
	p := noisyPolicy()
	for _, tt := range []struct {
		cfg   backtest.Config
		field string
	}{
		{backtest.Config{Workers: -1}, "Workers"},
		{backtest.Config{Bins: -1}, "Bins"},
		{backtest.Config{Bins: 1}, "Bins"},
		{backtest.Config{Bins: 1<<20 + 1}, "Bins"},
		{backtest.Config{MaxErrors: -2}, "MaxErrors"},
		{backtest.Config{MaxChanges: -3}, "MaxChanges"},
	} {
		_, err := backtest.Run(ctx, p, nil, tt.cfg)
		require.ErrorIs(t, err, backtest.ErrConfig)
		assert.Contains(t, err.Error(), "Config."+tt.field)
	}
	_, err := backtest.Run(ctx, nil, nil, backtest.Config{})
	assert.ErrorIs(t, err, backtest.ErrNilPolicy)
	_, err = backtest.Compare(ctx, p, nil, nil, backtest.Config{})
	assert.ErrorIs(t, err, backtest.ErrNilPolicy)
	r, err := backtest.Run(ctx, p, nil, backtest.Config{})
	require.NoError(t, err, "a nil history is an empty one")
	assert.Zero(t, r.Records)
	assert.False(t, r.BaseRate.Defined())
	assert.Equal(t, "null", jsonOf(t, r.BaseRate))
}

func TestContextEnds(t *testing.T) {
	for _, workers := range []int{1, 4} {
		ctx, cancel := context.WithCancelCause(context.Background())
		stop := errors.New("the user left")
		n := 0
		history := func(yield func(backtest.Record) bool) {
			for _, r := range synthetic(5000, 1) {
				if n++; n == 1000 {
					cancel(stop)
				}
				if !yield(r) {
					return
				}
			}
		}
		_, err := backtest.Run(ctx, noisyPolicy(), history, backtest.Config{Workers: workers})
		require.ErrorIs(t, err, stop, "workers %d", workers)
		assert.Less(t, n, 2000, "reading stopped soon after")
	}
}

func TestAsOfHook(t *testing.T) {
	// The host knows from its audit log that the role was only confirmed
	// after the decision.
	recs := []backtest.Record{
		{Lead: &lead.Lead{ID: "a", Contact: lead.Contact{Role: lead.RoleDecisionMaker}}, At: t5},
		{Lead: &lead.Lead{ID: "b", Contact: lead.Contact{Role: lead.RoleDecisionMaker}}, At: t5},
		{Lead: &lead.Lead{ID: "c"}, At: t5},
		{Lead: &lead.Lead{ID: "d"}, At: t5},
	}
	cfg := backtest.Config{AsOf: func(l *lead.Lead, at time.Time) error {
		switch l.ID {
		case "a":
			l.Contact.Role = lead.RoleUnknown
		case "c":
			return errors.New("audit log unavailable")
		case "d":
			panic("host bug")
		}
		return nil
	}}
	for _, workers := range []int{1, 2} {
		cfg.Workers = workers
		r := run(t, noisyPolicy(), recs, cfg)
		dm, _ := r.Rule("decision-maker")
		assert.Equal(t, 1, dm.Fired)
		require.Equal(t, 2, r.Errored)
		assert.Equal(t, []backtest.ErrorCount{{Cause: "record: lead.as_of", Count: 2}}, r.ErrorsByCause)
		assert.Contains(t, r.Errors[0].Reason, "audit log unavailable")
		assert.Contains(t, r.Errors[1].Reason, "panic: host bug")
		assert.Equal(t, lead.RoleDecisionMaker, recs[0].Lead.Contact.Role, "the history's lead is not changed")
	}
}

func TestValidateOption(t *testing.T) {
	recs := []backtest.Record{
		{Lead: &lead.Lead{ID: "ok"}, At: t5},
		{Lead: &lead.Lead{ID: "bad", Contact: lead.Contact{Email: "not an email"}}, At: t5},
	}
	r := run(t, noisyPolicy(), recs, backtest.Config{Validate: true})
	assert.Equal(t, 1, r.Errored)
	assert.ErrorIs(t, &r.Errors[0], lead.ErrInvalid)
	assert.Equal(t, 0, run(t, noisyPolicy(), recs, backtest.Config{}).Errored)
}

// A history that stops early (the consumer breaks) or yields nothing is
// fine; Run ranges over it once.
func TestHistoryRangedOnce(t *testing.T) {
	ranges := 0
	var h iter.Seq[backtest.Record] = func(yield func(backtest.Record) bool) {
		ranges++
		for _, r := range synthetic(10, 1) {
			if !yield(r) {
				return
			}
		}
	}
	r := run(t, noisyPolicy(), nil, backtest.Config{})
	assert.Zero(t, r.Leads)
	_, err := backtest.Run(context.Background(), noisyPolicy(), h, backtest.Config{Workers: 3})
	require.NoError(t, err)
	assert.Equal(t, 1, ranges)
}

func TestReportText(t *testing.T) {
	r := run(t, noisyPolicy(), synthetic(2000, 1), backtest.Config{})
	var b strings.Builder
	require.NoError(t, r.WriteText(&b))
	out := b.String()
	for _, want := range []string{
		"Policy leadqual-default", "Conversions: ", "verdict", "need", "route", "marketing_qualified",
		"Need over interest: ", "engagement", "AUC", "pricing-request", "Findings:", "never_fires",
		"Rewound to the decision time: ",
	} {
		assert.Contains(t, out, want)
	}
	assert.ErrorIs(t, r.WriteText(failWriter{}), errWrite)
}

var errWrite = errors.New("disk full")

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errWrite }

// A history that panics takes its panic back to the caller, and leaves no
// worker behind.
func TestHistoryPanics(t *testing.T) {
	for _, workers := range []int{1, 3} {
		h := func(yield func(backtest.Record) bool) {
			for i, r := range synthetic(1000, 1) {
				if i == 700 {
					panic("cursor broke")
				}
				if !yield(r) {
					return
				}
			}
		}
		before := runtime.NumGoroutine()
		assert.PanicsWithValue(t, "cursor broke", func() {
			_, _ = backtest.Run(context.Background(), noisyPolicy(), h, backtest.Config{Workers: workers})
		})
		// The workers have returned; let them finish exiting, however
		// loaded the machine is.
		for deadline := time.Now().Add(10 * time.Second); runtime.NumGoroutine() > before && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		assert.LessOrEqual(t, runtime.NumGoroutine(), before, "workers %d", workers)
	}
}

// Every route is counted, review included: a lead closed as not a fit
// that asks for pricing afterwards goes to a person.
func TestReviewRoute(t *testing.T) {
	l := &lead.Lead{ID: "closed", Stage: lead.StageNurturing, CreatedAt: t1, UpdatedAt: t3}
	require.NoError(t, l.MoveTo(lead.StageDisqualified, t3, "not_a_fit"))
	l.LostReason = lead.ReasonNotAFit
	l.Activities = []lead.Activity{{Kind: lead.KindPricingRequest, At: t4}}
	recs := []backtest.Record{{Lead: l, At: t5, Converted: true}, {Lead: &lead.Lead{ID: "other"}, At: t5}}
	r := run(t, defaultPolicy(t), recs, backtest.Config{})
	require.Len(t, r.Routes, 5)
	review := r.Route(qualify.RouteReview)
	assert.Equal(t, "review", review.Name)
	assert.Equal(t, 1, review.Leads)
	assert.Equal(t, 1, review.Conversions)
	total := 0
	for _, g := range r.Routes {
		total += g.Leads
	}
	assert.Equal(t, r.Leads, total, "every lead has a route")

	c := compare(t, defaultPolicy(t), noisyPolicy(), recs, backtest.Config{})
	found := false
	for _, s := range c.Routes {
		found = found || s.From == "review"
	}
	assert.True(t, found, "review in the transition table")
}
