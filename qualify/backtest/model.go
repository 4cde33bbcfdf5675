package backtest

import (
	"fmt"
	"math"

	"github.com/leadqual/leadqual/qualify"
)

// Model reads a calibrated policy's decision as a probability of
// conversion. Calibrate fits the policy's points on the log-odds scale, so
// that a lead's chance follows from its total score and its verdict:
//
//	log(p / (1-p)) = Intercept + PerPoint·(fit + engagement) + Need·[need] + OutOfScope·[out of scope]
//
// Calibration.Model is the model of the proposed policy, fitted on the
// fitting part of its history; give it to Run (Config.Model) with that
// policy on later history to see whether its probabilities still hold
// (Report.Reliability). It is plain data; the zero Model gives every lead
// one half.
type Model struct {
	// Intercept is the log-odds of a lead the scores decide, with a total
	// of 0.
	Intercept float64 `json:"intercept"`
	// PerPoint is the log-odds of one point: ln 2 / PointsPerDoubling.
	PerPoint float64 `json:"per_point"`
	// Need and OutOfScope are the log-odds added for a need verdict and an
	// out-of-scope verdict.
	Need       float64 `json:"need"`
	OutOfScope float64 `json:"out_of_scope"`
}

// LogOdds returns the log-odds of conversion of a lead so decided.
func (m *Model) LogOdds(d *qualify.Decision) float64 {
	e := m.Intercept + m.PerPoint*(d.Fit+d.Engagement)
	switch d.Verdict {
	case qualify.VerdictNeed:
		e += m.Need
	case qualify.VerdictOutOfScope:
		e += m.OutOfScope
	}
	return e
}

// Probability returns the probability of conversion of a lead so
// decided, between 0 and 1.
func (m *Model) Probability(d *qualify.Decision) float64 { return sigmoid(m.LogOdds(d)) }

func (m *Model) validate(field string) error {
	for _, f := range []struct {
		name string
		v    float64
	}{{"Intercept", m.Intercept}, {"PerPoint", m.PerPoint}, {"Need", m.Need}, {"OutOfScope", m.OutOfScope}} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) || math.Abs(f.v) > 1e6 {
			return fmt.Errorf("%w: backtest: %s.%s is %v, want a finite log-odds", ErrConfig, field, f.name, f.v)
		}
	}
	return nil
}

// Reliability is how well a model's probabilities held: the leads in ten
// bands of equal count by predicted probability, each with the mean
// probability predicted (Band.Mean) beside the rate observed (Band.Rate).
// On a reliable model the two agree in every band.
type Reliability struct {
	// Bands are the leads by predicted probability, lowest first; Mean is
	// the average prediction of a band, Rate what its leads did.
	Bands []Band `json:"bands"`
	// Predicted is the average probability over every lead; the report's
	// BaseRate is what they did.
	Predicted Stat `json:"predicted"`
	// Brier is the mean squared difference between the probability and
	// the outcome (1 converted, 0 not): 0 is perfect; always predicting
	// the base rate b scores b(1-b).
	Brier Stat `json:"brier"`
}

// reliability describes the bins of predicted probabilities. A bin of
// the histogram that holds an interval of probabilities (beyond
// Config.Bins distinct ones) counts at its midpoint.
func reliability(bins []bin, base Stat) *Reliability {
	r := &Reliability{Bands: deciles(bins, base), Predicted: undefined, Brier: undefined}
	if r.Bands == nil {
		r.Bands = []Band{}
	}
	var n, sum, sq float64
	for _, b := range bins {
		p := (b.lo + b.hi) / 2
		c := float64(b.conv)
		n += float64(b.n)
		sum += float64(b.n) * p
		sq += c*(1-p)*(1-p) + (float64(b.n)-c)*p*p
	}
	if n > 0 {
		r.Predicted, r.Brier = Stat(sum/n), Stat(sq/n)
	}
	return r
}
