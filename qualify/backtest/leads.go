package backtest

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// LeadResult is one record of history as a backtest judged it: the row a
// host joins back to its CRM by lead ID to compute metrics of its own. Set
// Config.Leads to receive one per record and policy, or write them with a
// LeadWriter.
type LeadResult struct {
	// Index is the record's position in the history, from 0; Line its line
	// in the source, when known.
	Index int `json:"index"`
	Line  int `json:"line,omitempty"`
	// Lead is the lead's ID, At the decision time.
	Lead string    `json:"lead"`
	At   time.Time `json:"at"`
	// Policy is the name of the policy that judged it (Compare and
	// Calibrate judge with two).
	Policy string `json:"policy"`
	// Split is the part of the history the record is in, in a calibration:
	// SplitFitting or SplitHeldOut; empty otherwise.
	Split string `json:"split,omitempty"`
	// Verdict, Route and Qualified are the decision's.
	Verdict   qualify.Verdict `json:"verdict"`
	Route     qualify.Route   `json:"route"`
	Qualified bool            `json:"qualified"`
	// Fit, Engagement and Total (their sum) are the scores.
	Fit        float64 `json:"fit"`
	Engagement float64 `json:"engagement"`
	Total      float64 `json:"total"`
	// Probability is the chance of conversion Config.Model gives the
	// decision (in a calibration, the proposal's model, for the proposal);
	// undefined without one.
	Probability Stat `json:"probability"`
	// Matched are the names of the rules that matched, in policy order;
	// Unjudged those that could not be judged, an input they read being
	// unknown (see qualify.Decision.Unjudged).
	Matched  []string `json:"matched"`
	Unjudged []string `json:"unjudged,omitempty"`
	// Converted and Won are what became of the lead.
	Converted bool       `json:"converted"`
	Won       lead.Money `json:"won,omitzero"`
	// Error says why the record could not be judged; the decision's fields
	// are then zero.
	Error string `json:"error,omitempty"`
}

// The splits of a calibration (LeadResult.Split).
const (
	SplitFitting = "fitting"  // the part the proposal was fitted on
	SplitHeldOut = "held_out" // the part it is reported on
)

// result fills res from a record and its decision (d nil: err).
func (res *LeadResult) fill(idx int, r *Record, policy, split string, d *qualify.Decision, err error, m *Model, names []string) []string {
	*res = LeadResult{Index: idx, Line: r.Line, At: r.At, Policy: policy, Split: split,
		Converted: r.Converted, Won: r.Won, Probability: undefined}
	if r.Lead != nil {
		res.Lead = r.Lead.ID
	}
	if err != nil {
		res.Error = err.Error()
		res.Matched = names[len(names):len(names):len(names)]
		return names
	}
	res.Verdict, res.Route, res.Qualified = d.Verdict, d.Route, d.Qualified
	res.Fit, res.Engagement, res.Total = d.Fit, d.Engagement, d.Fit+d.Engagement
	if m != nil {
		res.Probability = Stat(m.Probability(d))
	}
	start := len(names)
	for i := range d.Matched {
		names = append(names, d.Matched[i].Rule)
	}
	res.Matched = names[start:len(names):len(names)]
	if len(d.Unjudged) > 0 {
		start = len(names)
		for i := range d.Unjudged {
			names = append(names, d.Unjudged[i].Rule)
		}
		res.Unjudged = names[start:len(names):len(names)]
	}
	return names
}

// LeadWriter writes LeadResults as JSON lines or CSV, one per line. Give
// its Write to Config.Leads, and call Flush when the backtest is done:
//
//	lw := backtest.NewCSVLeadWriter(f)
//	report, err := backtest.Run(ctx, policy, history, backtest.Config{Leads: lw.Write})
//	if err == nil {
//		err = lw.Flush()
//	}
//
// A LeadWriter is not safe for concurrent use; a backtest calls it from
// one goroutine at a time.
type LeadWriter struct {
	bw   *bufio.Writer
	csv  *csv.Writer // nil: JSON lines
	head bool        // the CSV header is written
	row  []string
	err  error
}

// LeadColumns are the columns of a LeadWriter's CSV, in order: the
// fields of LeadResult, with Won split into its amount and currency and
// Matched and Unjudged written as JSON arrays of rule names (a rule's name
// may hold any character).
var LeadColumns = []string{"index", "line", "lead", "at", "policy", "split", "verdict", "route", "qualified",
	"fit", "engagement", "total", "probability", "matched", "unjudged", "converted", "won", "won_currency", "error"}

// NewJSONLeadWriter returns a LeadWriter of JSON lines: each result in
// its JSON form.
func NewJSONLeadWriter(w io.Writer) *LeadWriter {
	return &LeadWriter{bw: bufio.NewWriter(w)}
}

// NewCSVLeadWriter returns a LeadWriter of CSV with a header line (see
// LeadColumns); times are RFC 3339, numbers in full precision, an
// undefined probability and a line of 0 are empty.
func NewCSVLeadWriter(w io.Writer) *LeadWriter {
	bw := bufio.NewWriter(w)
	return &LeadWriter{bw: bw, csv: csv.NewWriter(bw), row: make([]string, len(LeadColumns))}
}

// Write writes one result. After an error, every call returns it.
func (lw *LeadWriter) Write(r *LeadResult) error {
	if lw.err != nil {
		return lw.err
	}
	if lw.csv == nil {
		data, err := json.Marshal(r)
		if err == nil {
			_, err = lw.bw.Write(append(data, '\n'))
		}
		lw.err = err
		return err
	}
	if !lw.head {
		lw.head = true
		if lw.err = lw.csv.Write(LeadColumns); lw.err != nil {
			return lw.err
		}
	}
	matched, err := json.Marshal(r.Matched)
	if err != nil {
		lw.err = err
		return err
	}
	unjudged := []byte("[]")
	if len(r.Unjudged) > 0 {
		if unjudged, err = json.Marshal(r.Unjudged); err != nil {
			lw.err = err
			return err
		}
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	row := lw.row
	row[0] = strconv.Itoa(r.Index)
	row[1] = ""
	if r.Line > 0 {
		row[1] = strconv.Itoa(r.Line)
	}
	row[2], row[3], row[4], row[5] = r.Lead, r.At.Format(time.RFC3339Nano), r.Policy, r.Split
	row[6], row[7], row[8] = r.Verdict.String(), r.Route.String(), strconv.FormatBool(r.Qualified)
	row[9], row[10], row[11] = f(r.Fit), f(r.Engagement), f(r.Total)
	row[12] = ""
	if r.Probability.Defined() {
		row[12] = f(float64(r.Probability))
	}
	row[13], row[14], row[15] = string(matched), string(unjudged), strconv.FormatBool(r.Converted)
	row[16], row[17] = "", ""
	if !r.Won.IsZero() {
		row[16], row[17] = r.Won.Amount.String(), string(r.Won.Currency)
	}
	row[18] = r.Error
	if r.Error != "" {
		row[6], row[7], row[8], row[9], row[10], row[11] = "", "", "", "", "", ""
	}
	if err := lw.csv.Write(row); err != nil {
		lw.err = err
	}
	return lw.err
}

// Flush writes what is buffered; the CSV header too when no result was
// written.
func (lw *LeadWriter) Flush() error {
	if lw.err != nil {
		return lw.err
	}
	if lw.csv != nil {
		if !lw.head {
			lw.head = true
			if lw.err = lw.csv.Write(LeadColumns); lw.err != nil {
				return lw.err
			}
		}
		lw.csv.Flush()
		if lw.err = lw.csv.Error(); lw.err != nil {
			return lw.err
		}
	}
	if err := lw.bw.Flush(); err != nil {
		lw.err = fmt.Errorf("backtest: writing lead results: %w", err)
	}
	return lw.err
}
