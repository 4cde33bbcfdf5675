package backtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/qualify/backtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func calibrate(t *testing.T, p *qualify.Policy, recs []backtest.Record, cfg backtest.CalibrationConfig) *backtest.Calibration {
	t.Helper()
	c, err := backtest.Calibrate(context.Background(), p, seq(recs), cfg)
	require.NoError(t, err)
	return c
}

func TestCalibrateProposal(t *testing.T) {
	p := noisyPolicy()
	spec := p.Spec()
	before := jsonOf(t, spec)
	recs := synthetic(20000, 11)
	c := calibrate(t, p, recs, backtest.CalibrationConfig{MQLPrecision: 0.1})

	// The policy is never changed.
	assert.Equal(t, before, jsonOf(t, p.Spec()))
	assert.Equal(t, before, jsonOf(t, spec))

	// Every rule keeps its name, when and reason, in order: every point
	// traces to a named rule.
	require.Len(t, c.Spec.Rules, len(spec.Rules))
	for i, r := range c.Spec.Rules {
		o := spec.Rules[i]
		assert.Equal(t, o.Name, r.Name)
		assert.Equal(t, o.When, r.When)
		assert.Equal(t, o.Reason, r.Reason)
		assert.Equal(t, o.Dimension, r.Dimension)
		assert.Equal(t, o.Disqualify, r.Disqualify)
		assert.Equal(t, o.Intent, r.Intent, "no NeedPrecision: intents unchanged")
		assert.Equal(t, o.Points == "", r.Points == "", r.Name)
	}
	assert.Equal(t, "leadqual-default-calibrated", c.Spec.Name)
	assert.Contains(t, c.Spec.Description, "Calibrated from policy \"leadqual-default\"")

	// The proposal round-trips through its JSON form and compiles.
	data, err := json.Marshal(c.Spec)
	require.NoError(t, err)
	parsed, err := qualify.ParseSpec(data)
	require.NoError(t, err)
	proposed, err := qualify.Compile(parsed)
	require.NoError(t, err)
	assert.Equal(t, c.Held.B.Version, proposed.Version())

	// The weights find the planted signal and ignore the noise.
	w := map[string]float64{}
	for _, pc := range c.Points {
		w[pc.Rule] = float64(pc.Weight)
	}
	assert.Greater(t, w["content-downloads"], 0.5, "interest converts above the other leads the scores decide")
	assert.Greater(t, w["decision-maker"], 0.15)
	assert.Less(t, w["no-decision-maker"], -0.05)
	assert.InDelta(t, 0, w["coin"], 0.12, "noise")
	assert.InDelta(t, 0, w["page-visits"], 0.15, "noise")
	assert.Zero(t, w["stated-budget"], "never fired")

	// The split: every record on one side, the held-out part about 30%.
	assert.Equal(t, 20000, c.Fitting+c.HeldOut)
	assert.InDelta(t, 0.3, float64(c.HeldOut)/20000, 0.02)
	assert.Equal(t, c.Fitting, c.Fitted.Records)

	// The thresholds reach the target on the fitting part.
	th := c.Thresholds
	require.True(t, th.Reached)
	assert.Equal(t, "config", th.TargetFrom)
	assert.GreaterOrEqual(t, float64(th.Precision), 0.1)
	assert.GreaterOrEqual(t, th.Leads, backtest.DefaultMinSupport)
	assert.NotZero(t, th.Fit)
	assert.NotZero(t, th.Engagement)
	assert.Equal(t, float64(th.Fit), c.Spec.Settings.MQLFit)
	assert.Equal(t, float64(th.Engagement), c.Spec.Settings.MQLEngagement)
	assert.Positive(t, c.Held.B.Qualified.Leads)
	assert.InDelta(t, 0.1, float64(c.Held.B.Qualified.Rate), 0.03, "and about so on the held-out part")
	assert.Equal(t, c.Held.B.Qualified.Leads, th.HeldOutLeads)
	assert.Equal(t, c.Held.B.Qualified.Rate, th.HeldOutPrecision)
	assert.InDelta(t, float64(c.Held.B.Qualified.Conversions)/float64(c.Held.B.Scored.Conversions), float64(th.HeldOutRecall), 1e-12)
	assert.True(t, th.Recall > 0 && th.Recall <= 1)

	// The fit, the model and the yardstick.
	assert.True(t, c.Fit.Converged)
	assert.Equal(t, "cross-validation", c.Fit.PenaltyFrom)
	assert.Positive(t, c.Fit.Patterns)
	assert.InDelta(t, math.Ln2/backtest.DefaultPointsPerDoubling, c.Model.PerPoint, 1e-15)
	assert.Greater(t, c.Model.Need, 1.0, "need converts far above the rest")
	require.NotNil(t, c.Held.B.Reliability)
	assert.InDelta(t, float64(c.Held.B.BaseRate), float64(c.Held.B.Reliability.Predicted), 0.02, "the model's probabilities hold on the held-out part")
	require.Len(t, c.Logistic.Weights, len(spec.Rules))
	dec, _ := c.Held.B.Score("decision")
	assert.InDelta(t, float64(c.Logistic.AUC), float64(dec.AUC), 0.01, "the proposal ranks about as well as the yardstick")
	assert.Less(t, float64(c.Logistic.AUCLow), float64(c.Logistic.AUC))

	var sb strings.Builder
	require.NoError(t, c.WriteText(&sb))
	for _, want := range []string{"Calibration: fitted on", "content-downloads", "expression scaled by", "never fired on the fitting part",
		"Marketing-qualified thresholds:", "reached on the fitting part", "Held out: ", "a logistic regression on all 28 rules", "On the held-out part"} {
		assert.Contains(t, sb.String(), want)
	}
}

// Reruns agree, whatever the number of workers; a different salt is a
// different split.
func TestCalibrateDeterministic(t *testing.T) {
	p := noisyPolicy()
	recs := synthetic(6000, 12)
	a := calibrate(t, p, recs, backtest.CalibrationConfig{Config: backtest.Config{Workers: 1}})
	b := calibrate(t, p, recs, backtest.CalibrationConfig{Config: backtest.Config{Workers: 4}})
	assert.JSONEq(t, jsonOf(t, a), jsonOf(t, b))
	c := calibrate(t, p, recs, backtest.CalibrationConfig{Salt: "another"})
	assert.NotEqual(t, a.HeldOut, c.HeldOut)
	for i := range recs {
		id := recs[i].Lead.ID
		assert.Equal(t, backtest.HeldOut(id, "", backtest.DefaultHoldout), backtest.HeldOut(id, "", 0.3))
	}
}

// A rule that fires on three leads, all of which converted, cannot
// dominate: the penalty keeps its weight within what three leads support,
// where an unpenalised fit would give it an enormous one.
func TestCalibratePenalty(t *testing.T) {
	spec := noisyPolicy().Spec()
	spec.Rules = append(spec.Rules, qualify.Rule{Name: "rare", When: `fields.rare == true`,
		Dimension: qualify.DimensionFit, Points: "1", Reason: "rare"})
	p, err := qualify.Compile(spec)
	require.NoError(t, err)
	recs := synthetic(10000, 13)
	n := 0
	for i := range recs {
		if recs[i].Converted && n < 3 && !backtest.HeldOut(recs[i].Lead.ID, "", 0.3) &&
			!hasNeed(&recs[i]) {
			recs[i].Lead.Fields["rare"] = true
			n++
		}
	}
	require.Equal(t, 3, n)
	weight := func(penalty float64) (float64, float64) {
		c := calibrate(t, p, recs, backtest.CalibrationConfig{Penalty: penalty})
		var rare, dm float64
		for _, pc := range c.Points {
			switch pc.Rule {
			case "rare":
				assert.Equal(t, 3, pc.Fired)
				assert.Equal(t, 3, pc.FiredConversions)
				rare = float64(pc.Weight)
			case "decision-maker":
				dm = float64(pc.Weight)
			}
		}
		return rare, dm
	}
	rare, dm := weight(0)
	assert.Less(t, rare, 3.0, "cross-validated: 3 leads move it within reason")
	loose, dmLoose := weight(1e-6)
	assert.Greater(t, loose, 5.0, "hardly penalised, it would dominate")
	assert.InDelta(t, dmLoose, dm, 0.02, "a rule seen on thousands of leads hardly feels the penalty")
	strong, _ := weight(1000)
	assert.Less(t, strong, 0.05, "a strong penalty pulls every weight to 0")
}

// hasNeed reports whether the record's lead showed need by its decision
// time.
func hasNeed(r *backtest.Record) bool {
	for _, a := range r.Lead.Activities {
		if a.Kind.Intent() == lead.IntentNeed && !a.At.After(r.At) {
			return true
		}
	}
	return false
}

func TestCalibrateNeedPrecision(t *testing.T) {
	spec := noisyPolicy().Spec()
	spec.Rules = append(spec.Rules, qualify.Rule{Name: "browses", When: `count("page_visit", "30d") >= 4`,
		Intent: lead.IntentNeed, Reason: "browses a lot: need?"})
	p, err := qualify.Compile(spec)
	require.NoError(t, err)
	c := calibrate(t, p, synthetic(10000, 14), backtest.CalibrationConfig{NeedPrecision: 0.3})
	demoted := map[string]bool{}
	for _, n := range c.Needs {
		demoted[n.Rule] = n.Demoted
		if n.Rule == "product-info-request" {
			assert.Zero(t, n.Fired)
			assert.Equal(t, 1.0, float64(n.Upper), "no evidence: cannot be shown below the target")
		}
	}
	assert.Equal(t, map[string]bool{"pricing-request": false, "demo-request": false, "browses": true,
		"product-info-request": false, "quote-request": false, "contact-request": false,
		"phone-conversation": false, "meeting-booked": false, "trial-started": false}, demoted)
	for _, r := range c.Spec.Rules {
		if r.Name == "browses" {
			assert.Equal(t, lead.IntentInterest, r.Intent)
		}
	}
	assert.Contains(t, c.Spec.Description, `Rule "browses" demoted from need to interest`)
	// Held out, need is more precise without it.
	assert.Greater(t, float64(c.Held.B.Verdict(1+1).Rate), float64(c.Held.A.Verdict(2).Rate))
}

// A target no thresholds can reach proposes no thresholds, says so, and
// qualifies no lead on scores alone.
func TestCalibrateUnreachableTarget(t *testing.T) {
	c := calibrate(t, noisyPolicy(), synthetic(6000, 15), backtest.CalibrationConfig{MQLPrecision: 0.9})
	th := c.Thresholds
	assert.False(t, th.Reached)
	assert.False(t, th.Precision.Defined())
	assert.False(t, th.Fit.Defined(), "no invented threshold")
	assert.False(t, th.Engagement.Defined())
	assert.True(t, th.Best.Defined())
	assert.Less(t, float64(th.Best), 0.9)
	assert.GreaterOrEqual(t, th.BestLeads, backtest.DefaultMinSupport)
	assert.Zero(t, c.Held.B.Qualified.Leads)
	assert.Zero(t, th.Leads)
	var sb strings.Builder
	require.NoError(t, c.WriteText(&sb))
	assert.Contains(t, sb.String(), "Marketing-qualified thresholds: NONE proposed")
	assert.Contains(t, sb.String(), "the best with at least 30 leads: "+th.Best.Percent())
	assert.NotContains(t, sb.String(), "thresholds: fit ")
	assert.Contains(t, c.Spec.Description, "no marketing-qualified thresholds reach 90.0% precision")
	data, err := json.Marshal(th)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"fit":null,"engagement":null`)
}

// An expression whose scaled form no longer fits the policy's limits is
// replaced by a constant, with a note.
func TestCalibrateExpressionTooLongToScale(t *testing.T) {
	spec := noisyPolicy().Spec()
	long := `min(10, count("page_visit", "30d"))` + strings.Repeat(" ", qualify.DefaultMaxExprBytes-40)
	spec.Rules = append(spec.Rules, qualify.Rule{Name: "long", When: `count("page_visit", "30d") > 0`,
		Dimension: qualify.DimensionEngagement, Points: qualify.Points(long), Reason: "long"})
	p, err := qualify.Compile(spec)
	require.NoError(t, err)
	c := calibrate(t, p, synthetic(4000, 16), backtest.CalibrationConfig{})
	for _, pc := range c.Points {
		if pc.Rule == "long" {
			assert.Contains(t, pc.Note, "does not compile")
			_, err := fmt.Sscanf(string(pc.After), "%d", new(int))
			assert.NoError(t, err, "a constant: %q", pc.After)
		}
	}
}

func TestCalibrateErrors(t *testing.T) {
	ctx := context.Background()
	p := noisyPolicy()
	_, err := backtest.Calibrate(ctx, nil, nil, backtest.CalibrationConfig{})
	assert.ErrorIs(t, err, backtest.ErrNilPolicy)

	for _, tt := range []struct {
		cfg   backtest.CalibrationConfig
		field string
	}{
		{backtest.CalibrationConfig{Holdout: 1}, "Holdout"},
		{backtest.CalibrationConfig{Holdout: -0.1}, "Holdout"},
		{backtest.CalibrationConfig{Holdout: math.NaN()}, "Holdout"},
		{backtest.CalibrationConfig{Smoothing: -1}, "Smoothing"},
		{backtest.CalibrationConfig{Penalty: -1}, "Penalty"},
		{backtest.CalibrationConfig{Penalty: math.NaN()}, "Penalty"},
		{backtest.CalibrationConfig{MaxPatterns: -1}, "MaxPatterns"},
		{backtest.CalibrationConfig{Config: backtest.Config{Model: &backtest.Model{}}}, "Model"},
		{backtest.CalibrationConfig{PointsPerDoubling: math.Inf(1)}, "PointsPerDoubling"},
		{backtest.CalibrationConfig{NeedPrecision: 1}, "NeedPrecision"},
		{backtest.CalibrationConfig{MQLPrecision: -0.5}, "MQLPrecision"},
		{backtest.CalibrationConfig{MinSupport: -1}, "MinSupport"},
		{backtest.CalibrationConfig{Config: backtest.Config{Bins: -1}}, "Config.Bins"},
	} {
		_, err := backtest.Calibrate(ctx, p, nil, tt.cfg)
		require.ErrorIs(t, err, backtest.ErrConfig, tt.field)
		assert.Contains(t, err.Error(), tt.field)
	}

	// No conversions: nothing to fit.
	recs := synthetic(500, 17)
	for i := range recs {
		recs[i].Converted, recs[i].Won = false, lead.Money{}
	}
	_, err = backtest.Calibrate(ctx, p, seq(recs), backtest.CalibrationConfig{})
	assert.ErrorIs(t, err, backtest.ErrNoSignal)

	// More combinations of rule values than MaxPatterns.
	_, err = backtest.Calibrate(ctx, p, seq(synthetic(2000, 17)), backtest.CalibrationConfig{MaxPatterns: 5})
	assert.ErrorIs(t, err, backtest.ErrTooManyPatterns)

	// A reader reads once: the second pass sees nothing.
	var buf bytes.Buffer
	for _, r := range synthetic(300, 18) {
		line, err := json.Marshal(r)
		require.NoError(t, err)
		buf.Write(append(line, '\n'))
	}
	once := backtest.NewReader(&buf, backtest.JSONLines(), backtest.ReadOptions{})
	_, err = backtest.Calibrate(ctx, p, once.All(), backtest.CalibrationConfig{})
	assert.ErrorIs(t, err, backtest.ErrHistoryChanged)
	assert.ErrorIs(t, once.Err(), backtest.ErrConsumed)

}

func TestCalibrateWithOpen(t *testing.T) {
	var buf bytes.Buffer
	for _, r := range synthetic(3000, 19) {
		line, err := json.Marshal(r)
		require.NoError(t, err)
		buf.Write(append(line, '\n'))
	}
	data := buf.Bytes()
	opens := 0
	h := backtest.Open(func() (io.ReadCloser, error) {
		opens++
		return io.NopCloser(bytes.NewReader(data)), nil
	}, backtest.JSONLines(), backtest.ReadOptions{})
	c, err := backtest.Calibrate(context.Background(), noisyPolicy(), h.All(), backtest.CalibrationConfig{})
	require.NoError(t, err)
	require.NoError(t, h.Err())
	assert.Equal(t, 3, opens)
	assert.Equal(t, 3000, c.Fitting+c.HeldOut)
	direct := calibrate(t, noisyPolicy(), synthetic(3000, 19), backtest.CalibrationConfig{})
	assert.JSONEq(t, jsonOf(t, direct.Spec), jsonOf(t, c.Spec), "the same history, read from JSON lines")
}
