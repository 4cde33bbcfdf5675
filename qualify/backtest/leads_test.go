package backtest_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/qualify/backtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// collect runs a backtest with a sink that keeps a copy of every result.
func collect(t *testing.T, p *qualify.Policy, recs []backtest.Record, workers int) ([]backtest.LeadResult, *backtest.Report) {
	t.Helper()
	var out []backtest.LeadResult
	r, err := backtest.Run(context.Background(), p, seq(recs), backtest.Config{Workers: workers,
		Leads: func(res *backtest.LeadResult) error {
			c := *res
			c.Matched = append([]string(nil), res.Matched...)
			out = append(out, c)
			return nil
		}})
	require.NoError(t, err)
	return out, r
}

// Every record gets a result, in history order whatever the number of
// workers, carrying the decision that the report counted.
func TestLeadResults(t *testing.T) {
	recs := synthetic(3000, 31)
	recs[5].At = recs[5].At.AddDate(-1, 0, 0) // before the lead was created: errored
	p := noisyPolicy()
	one, rep := collect(t, p, recs, 1)
	require.Len(t, one, len(recs))
	for _, w := range []int{2, 4} {
		many, _ := collect(t, p, recs, w)
		assert.Equal(t, jsonOf(t, one), jsonOf(t, many), "workers %d: the same results in the same order", w)
	}
	routes := map[qualify.Route]int{}
	conv := 0
	for i, res := range one {
		assert.Equal(t, i, res.Index)
		assert.Equal(t, recs[i].Lead.ID, res.Lead)
		assert.Equal(t, recs[i].Converted, res.Converted)
		assert.Equal(t, "leadqual-default", res.Policy)
		assert.Empty(t, res.Split)
		assert.False(t, res.Probability.Defined(), "no model, no probability")
		if i == 5 {
			assert.Contains(t, res.Error, "lead.created_at")
			continue
		}
		require.Empty(t, res.Error)
		routes[res.Route]++
		if res.Route == qualify.RouteSales && res.Converted {
			conv++
		}
		assert.Equal(t, res.Fit+res.Engagement, res.Total)
		// The same decision as evaluating the rewound lead directly.
		l, _, err := backtest.AsOf(recs[i].Lead, recs[i].At)
		require.NoError(t, err)
		d, err := qualify.EvaluateAt(context.Background(), p, &l, recs[i].At)
		require.NoError(t, err)
		assert.Equal(t, d.Verdict, res.Verdict)
		assert.Equal(t, d.Route, res.Route)
		assert.Equal(t, len(d.Matched), len(res.Matched))
	}
	for x := range 4 {
		assert.Equal(t, rep.Route(qualify.Route(x)).Leads, routes[qualify.Route(x)])
	}
	// A host's own metric from the rows: the sales route's recall.
	assert.InDelta(t, float64(rep.Route(qualify.RouteSales).Recall), float64(conv)/float64(rep.Conversions), 1e-12)
}

// Compare gives A's result then B's for each record.
func TestLeadResultsCompare(t *testing.T) {
	recs := synthetic(600, 32)
	var policies []string
	_, err := backtest.Compare(context.Background(), noisyPolicy(), defaultPolicy(t), seq(recs), backtest.Config{Workers: 3,
		Leads: func(res *backtest.LeadResult) error {
			policies = append(policies, res.Policy+"/"+strconv.Itoa(res.Index))
			return nil
		}})
	require.NoError(t, err)
	require.Len(t, policies, 1200)
	for i := range recs {
		assert.Equal(t, "leadqual-default/"+strconv.Itoa(i), policies[2*i])
	}
}

// A sink that fails, or panics, stops the backtest with its error.
func TestLeadResultsSinkFails(t *testing.T) {
	boom := errors.New("disk full")
	for _, w := range []int{1, 4} {
		n := 0
		_, err := backtest.Run(context.Background(), noisyPolicy(), seq(synthetic(3000, 33)), backtest.Config{Workers: w,
			Leads: func(res *backtest.LeadResult) error {
				if n++; n == 700 {
					return boom
				}
				return nil
			}})
		require.ErrorIs(t, err, boom, "workers %d", w)
		assert.Contains(t, err.Error(), "record 699")
		assert.Equal(t, 700, n, "nothing after the failure")

		_, err = backtest.Run(context.Background(), noisyPolicy(), seq(synthetic(500, 33)), backtest.Config{Workers: w,
			Leads: func(*backtest.LeadResult) error { panic("sink bug") }})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "sink bug")
	}
}

// The writers: JSON lines read back into the same results; CSV has its
// header and one row per result, the matched rules a JSON array.
func TestLeadWriters(t *testing.T) {
	recs := synthetic(200, 34)
	recs[3].At = recs[3].At.AddDate(-1, 0, 0)
	want, _ := collect(t, noisyPolicy(), recs, 1)

	var jb, cb bytes.Buffer
	jw, cw := backtest.NewJSONLeadWriter(&jb), backtest.NewCSVLeadWriter(&cb)
	_, err := backtest.Run(context.Background(), noisyPolicy(), seq(recs), backtest.Config{Workers: 2,
		Leads: func(r *backtest.LeadResult) error {
			if err := jw.Write(r); err != nil {
				return err
			}
			return cw.Write(r)
		}})
	require.NoError(t, err)
	require.NoError(t, jw.Flush())
	require.NoError(t, cw.Flush())

	sc := bufio.NewScanner(&jb)
	i := 0
	for sc.Scan() {
		var got backtest.LeadResult
		require.NoError(t, json.Unmarshal(sc.Bytes(), &got))
		if len(want[i].Matched) == 0 {
			want[i].Matched = got.Matched // nil or empty
		}
		assert.Equal(t, jsonOf(t, want[i]), jsonOf(t, got))
		i++
	}
	assert.Equal(t, len(recs), i)

	rows, err := csv.NewReader(&cb).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, len(recs)+1)
	assert.Equal(t, backtest.LeadColumns, rows[0])
	col := func(name string) int {
		for i, c := range backtest.LeadColumns {
			if c == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return -1
	}
	for i, row := range rows[1:] {
		w := want[i]
		assert.Equal(t, w.Lead, row[col("lead")])
		var matched []string
		require.NoError(t, json.Unmarshal([]byte(row[col("matched")]), &matched))
		assert.Equal(t, len(w.Matched), len(matched))
		assert.Equal(t, strconv.FormatBool(w.Converted), row[col("converted")])
		assert.Empty(t, row[col("probability")])
		if i == 3 {
			assert.Contains(t, row[col("error")], "created")
			assert.Empty(t, row[col("verdict")])
			continue
		}
		assert.Equal(t, w.Route.String(), row[col("route")])
		total, err := strconv.ParseFloat(row[col("total")], 64)
		require.NoError(t, err)
		assert.Equal(t, w.Total, total)
		if w.Converted {
			assert.Equal(t, "GBP", row[col("won_currency")])
		}
	}

	// An empty backtest still writes the CSV header.
	var eb bytes.Buffer
	ew := backtest.NewCSVLeadWriter(&eb)
	require.NoError(t, ew.Flush())
	assert.Equal(t, strings.Join(backtest.LeadColumns, ",")+"\n", eb.String())
}

// With a Model, every result carries its probability, and the report its
// reliability curve.
func TestLeadResultsModel(t *testing.T) {
	recs := synthetic(2000, 35)
	m := &backtest.Model{Intercept: -3, PerPoint: 0.05, Need: 2.5, OutOfScope: -3}
	var probs []float64
	rep, err := backtest.Run(context.Background(), noisyPolicy(), seq(recs), backtest.Config{Model: m,
		Leads: func(r *backtest.LeadResult) error {
			require.True(t, r.Probability.Defined())
			probs = append(probs, float64(r.Probability))
			return nil
		}})
	require.NoError(t, err)
	require.Len(t, probs, len(recs))
	rel := rep.Reliability
	require.NotNil(t, rel)
	require.Len(t, rel.Bands, 10)
	sum := 0.0
	for _, p := range probs {
		sum += p
	}
	assert.InDelta(t, sum/float64(len(probs)), float64(rel.Predicted), 1e-9)
	for i := 1; i < len(rel.Bands); i++ {
		assert.GreaterOrEqual(t, rel.Bands[i].Mean, rel.Bands[i-1].Mean, "bands by predicted probability")
	}
	assert.Greater(t, float64(rel.Brier), 0.0)

	d := qualify.Decision{Verdict: qualify.VerdictNeed, Fit: 10, Engagement: 10}
	assert.InDelta(t, -3+0.05*20+2.5, m.LogOdds(&d), 1e-12)

	_, err = backtest.Compare(context.Background(), noisyPolicy(), noisyPolicy(), nil, backtest.Config{Model: m})
	assert.ErrorIs(t, err, backtest.ErrConfig)
	_, err = backtest.Run(context.Background(), noisyPolicy(), nil, backtest.Config{Model: &backtest.Model{PerPoint: 1e300}})
	assert.ErrorIs(t, err, backtest.ErrConfig)
}

// A rule that reads a field a lead does not have is listed as unjudged,
// in the result and in the CSV.
func TestLeadResultsUnjudged(t *testing.T) {
	spec := noisyPolicy().Spec()
	spec.Rules = append(spec.Rules, qualify.Rule{Name: "seats", When: "fields.seats > 10",
		Dimension: qualify.DimensionFit, Points: "5", Reason: "many seats"})
	p, err := qualify.Compile(spec)
	require.NoError(t, err)
	recs := synthetic(20, 36)
	recs[0].Lead.Fields["seats"] = 40.0
	res, rep := collect(t, p, recs, 1)
	assert.Contains(t, res[0].Matched, "seats")
	assert.Empty(t, res[0].Unjudged)
	assert.Equal(t, []string{"seats"}, res[1].Unjudged)
	st, _ := rep.Rule("seats")
	assert.Equal(t, 19, st.Unjudged)

	var b bytes.Buffer
	w := backtest.NewCSVLeadWriter(&b)
	require.NoError(t, w.Write(&res[1]))
	require.NoError(t, w.Flush())
	rows, err := csv.NewReader(&b).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, `["seats"]`, rows[1][14])
}
