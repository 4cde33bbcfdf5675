package backtest_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/qualify/backtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A planted-truth history: leads whose chance of converting is known,
// because it is planted. The leads have correlated traits (time on site
// and page visits go together, content downloads go with time on site,
// referrals with need), and testdata/planted/policy.json has rules that
// overlap (nested thresholds, a role that contains another, a duplicate)
// and rules that only go with what matters. A truth
// (testdata/planted/truth_*.json) gives each rule of the policy a weight,
// and the need and out-of-scope verdicts theirs: a lead's log-odds of
// converting are the intercept plus the weights of the rules that match
// it (an expression rule's weight times its points) and of its verdict.
// Since the truth is written in the rules, a logistic regression on them
// can reach it: its AUC on the held-out leads, with the true
// probabilities, is the ceiling any policy of these rules can approach.

// truth is a planted truth.
type truth struct {
	Description string             `json:"description"`
	Intercept   float64            `json:"intercept"`
	Weights     map[string]float64 `json:"weights"`
	Need        float64            `json:"need"`
	OutOfScope  float64            `json:"out_of_scope"`
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, v))
}

func plantedPolicy(t testing.TB) *qualify.Policy {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "planted", "policy.json"))
	require.NoError(t, err)
	p, err := qualify.CompileJSON(data)
	require.NoError(t, err)
	return p
}

// logOdds are the true log-odds of a lead the policy decided so.
func (tr *truth) logOdds(d *qualify.Decision) float64 {
	e := tr.Intercept
	for _, m := range d.Matched {
		w := tr.Weights[m.Rule]
		if m.Rule == "content" {
			w *= m.Points // the expression rule: per point
		}
		e += w
	}
	switch d.Verdict {
	case qualify.VerdictNeed:
		e += tr.Need
	case qualify.VerdictOutOfScope:
		e += tr.OutOfScope
	}
	return e
}

// plantedHistory returns n leads drawn from the planted traits, each
// converting with its true probability, and those probabilities by lead
// ID.
func plantedHistory(t testing.TB, p *qualify.Policy, tr *truth, n int, seed uint64) ([]backtest.Record, map[string]float64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 16))
	ago := func(at time.Time, maxDays int) time.Time {
		return at.Add(-time.Duration(1 + r.Int64N(int64(maxDays)*int64(day)-1))).Truncate(time.Second)
	}
	roles := []lead.Role{lead.RoleDecisionMaker, lead.RoleInfluencer, lead.RoleUser, lead.RoleUnknown}
	recs := make([]backtest.Record, 0, n)
	probs := make(map[string]float64, n)
	for i := range n {
		at := t0.Add(time.Duration(i) * 23 * time.Minute)
		seconds := math.Exp(6 + 0.9*r.NormFloat64())
		source := []string{"referral", "ads", "ads", "organic", "organic", "organic"}[r.IntN(6)]
		l := &lead.Lead{
			ID:        fmt.Sprintf("P-%06d", i),
			Contact:   lead.Contact{Role: roles[min(r.IntN(20)/4, 3)]},
			Company:   lead.Company{Employees: int(math.Exp(3.9 + 1.3*r.NormFloat64()))},
			CreatedAt: ago(at, 90),
			UpdatedAt: at,
			Fields: map[string]any{"seconds": math.Round(seconds), "source": source, "coin": r.IntN(2) == 0,
				"competitor": r.IntN(25) == 0},
		}
		// Page visits go with time on site.
		for range min(poissonDraw(r, seconds/180), 25) {
			l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindPageVisit, At: ago(at, 30)})
		}
		// Content goes with time on site; need with referrals.
		if r.Float64() < 0.2+0.25*b2f(seconds > 500) {
			for range 1 + r.IntN(3) {
				k := []lead.Kind{lead.KindWhitePaper, lead.KindEbook}[r.IntN(2)]
				l.Activities = append(l.Activities, lead.Activity{Kind: k, At: ago(at, 80)})
			}
		}
		if r.Float64() < 0.08+0.12*b2f(source == "referral") {
			k := []lead.Kind{lead.KindPricingRequest, lead.KindDemoRequest}[r.IntN(2)]
			l.Activities = append(l.Activities, lead.Activity{Kind: k, At: ago(at, 7)})
		}
		d, err := qualify.EvaluateAt(context.Background(), p, l, at)
		require.NoError(t, err)
		prob := 1 / (1 + math.Exp(-tr.logOdds(&d)))
		probs[l.ID] = prob
		recs = append(recs, backtest.Record{Lead: l, At: at, Converted: r.Float64() < prob})
	}
	return recs, probs
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func poissonDraw(r *rand.Rand, lambda float64) int {
	l, k, p := math.Exp(-lambda), 0, r.Float64()
	for p > l {
		k++
		p *= r.Float64()
	}
	return k
}

// aucOf is the AUC of scores by definition, ties counting one half.
func aucOf(scores []float64, converted []bool) float64 {
	type sc struct {
		v float64
		c bool
	}
	xs := make([]sc, len(scores))
	for i := range scores {
		xs[i] = sc{scores[i], converted[i]}
	}
	slices.SortFunc(xs, func(a, b sc) int { return cmp.Compare(a.v, b.v) })
	var pos, neg, area float64
	for i := 0; i < len(xs); {
		j := i
		var p, n float64
		for ; j < len(xs) && xs[j].v == xs[i].v; j++ {
			if xs[j].c {
				p++
			} else {
				n++
			}
		}
		area += p * (neg + n/2)
		pos += p
		neg += n
		i = j
	}
	return area / (pos * neg)
}

// On planted-truth histories with overlapping and correlated rules, the
// calibrated policy ranks the held-out leads within 0.01 of a logistic
// regression on the same rules (the yardstick), and within 0.02 of the
// planted truth's ceiling; its thresholds and its model hold on the
// held-out part too.
func TestCalibratePlantedTruth(t *testing.T) {
	if testing.Short() {
		t.Skip("calibrates 2 histories of 30,000 leads")
	}
	p := plantedPolicy(t)
	for _, name := range []string{"additive", "saturating"} {
		t.Run(name, func(t *testing.T) {
			var tr truth
			readJSON(t, filepath.Join("testdata", "planted", "truth_"+name+".json"), &tr)
			recs, probs := plantedHistory(t, p, &tr, 30000, 41)
			c, err := backtest.Calibrate(context.Background(), p, seq(recs), backtest.CalibrationConfig{})
			require.NoError(t, err)

			var heldProbs []float64
			var heldConv []bool
			for i := range recs {
				if backtest.HeldOut(recs[i].Lead.ID, "", backtest.DefaultHoldout) {
					heldProbs = append(heldProbs, probs[recs[i].Lead.ID])
					heldConv = append(heldConv, recs[i].Converted)
				}
			}
			ceiling := aucOf(heldProbs, heldConv)
			before, _ := c.Held.A.Score("decision")
			after, _ := c.Held.B.Score("decision")
			yard := float64(c.Logistic.AUC)
			t.Logf("%s: held-out AUC: current %.4f, calibrated %.4f, logistic regression %.4f, truth %.4f (penalty %g)",
				name, before.AUC, after.AUC, yard, ceiling, c.Fit.Penalty)
			assert.GreaterOrEqual(t, float64(after.AUC), yard-0.01, "within 0.01 of the logistic regression on the same rules")
			assert.GreaterOrEqual(t, float64(after.AUC), ceiling-0.02, "within 0.02 of the truth's ceiling")
			assert.Greater(t, float64(after.AUC), float64(before.AUC), "better than the policy's own points")

			// The weights find the truth: overlapping rules share the
			// credit instead of both taking it.
			w := map[string]float64{}
			for _, pc := range c.Points {
				w[pc.Rule] = float64(pc.Weight)
			}
			for rule, want := range tr.Weights {
				if rule == "content" {
					continue // per point: checked below
				}
				assert.InDelta(t, want, w[rule]+w[rule+"-again"], 0.3, "%s: the duplicate and the rule share its weight", rule)
			}
			assert.InDelta(t, 0, w["coin"], 0.15, "noise")
			if name == "saturating" {
				var alone float64
				for _, pc := range c.Points {
					if pc.Rule == "visits-5" {
						alone = float64(pc.Alone)
						assert.Contains(t, pc.Note, "overlapping rules")
					}
				}
				assert.Greater(t, alone, 0.5, "alone, page visits look strong: they go with time on site")
			}

			// The probabilities hold on the held-out part, band by band.
			rel := c.Held.B.Reliability
			require.NotNil(t, rel)
			for _, b := range rel.Bands {
				se := math.Sqrt(b.Mean*(1-b.Mean)/float64(b.Leads)) + 0.01
				assert.InDelta(t, b.Mean, float64(b.Rate), 4*se, "decile %d: predicted %.3f, observed %.3f", b.Decile, b.Mean, b.Rate)
			}
			th := c.Thresholds
			if th.Reached {
				assert.InDelta(t, float64(th.Precision), float64(th.HeldOutPrecision), 0.08, "the thresholds' precision holds out")
			}
		})
	}
}
