package main

import (
	"encoding/csv"
	"strconv"
	"strings"
	"time"

	"github.com/leadqual/leadqual/ingest"
	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// decisionColumns is the header of the decisions CSV (a table, never
// modified), one row per decided
// lead, in the order of the export:
//
//	line         the line of the lead's row in the export
//	id           the lead's ID
//	verdict      need, interest, none or out_of_scope
//	route        sales, nurture, recycle or drop
//	qualified    true when fit and engagement crossed the marketing-qualified thresholds
//	fit, engagement   the scores
//	deadline     when sales must have responded (need only), RFC 3339 in UTC
//	reason       the disqualification code (out of scope only)
//	stage, next_stage the stage in the export and the stage the decision suggests
//	value, currency   the lead's potential value, as exported
//	reasons      the reasons of the matched rules, "; "-separated: what a person reads
//	rules        the names of the matched rules, ";"-separated
//	failed_rules the rules that failed and were skipped (a policy with on_error skip)
//	policy, version   the policy that decided, for audit
var decisionColumns = []string{
	"line", "id", "verdict", "route", "qualified", "fit", "engagement", "deadline", "reason",
	"stage", "next_stage", "value", "currency", "reasons", "rules", "failed_rules", "policy", "version",
}

// decisionWriter writes decisions as CSV, reusing one record.
type decisionWriter struct {
	w   *csv.Writer
	rec []string
	buf strings.Builder
}

func newDecisionWriter(w *csv.Writer) *decisionWriter {
	return &decisionWriter{w: w, rec: make([]string, len(decisionColumns))}
}

func (dw *decisionWriter) header() error { return dw.w.Write(decisionColumns) }

func (dw *decisionWriter) write(line int, l *lead.Lead, d *qualify.Decision) error {
	r := dw.rec
	r[0] = strconv.Itoa(line)
	r[1] = l.ID
	r[2] = d.Verdict.String()
	r[3] = d.Route.String()
	r[4] = strconv.FormatBool(d.Qualified)
	r[5] = strconv.FormatFloat(d.Fit, 'f', -1, 64)
	r[6] = strconv.FormatFloat(d.Engagement, 'f', -1, 64)
	r[7] = ""
	if !d.Deadline.IsZero() {
		r[7] = d.Deadline.UTC().Format(time.RFC3339)
	}
	r[8] = string(d.Reason)
	r[9] = d.Stage.String()
	r[10] = d.NextStage.String()
	r[11], r[12] = amount(l.Value), string(l.Value.Currency)
	r[13] = dw.join(len(d.Matched), "; ", func(i int) string { return d.Matched[i].Reason })
	r[14] = dw.join(len(d.Matched), ";", func(i int) string { return d.Matched[i].Rule })
	r[15] = dw.join(len(d.Failures), ";", func(i int) string { return d.Failures[i].Rule })
	r[16] = d.Policy
	r[17] = d.Version
	return dw.w.Write(r)
}

func (dw *decisionWriter) join(n int, sep string, item func(int) string) string {
	if n == 0 {
		return ""
	}
	dw.buf.Reset()
	for i := range n {
		if i > 0 {
			dw.buf.WriteString(sep)
		}
		dw.buf.WriteString(item(i))
	}
	return dw.buf.String()
}

// amount writes m's amount with the scale it was given ("50000.00"), or
// "" for an unknown amount.
func amount(m lead.Money) string {
	if !m.Known() {
		return ""
	}
	if e := m.Amount.Exponent(); e < 0 {
		return m.Amount.StringFixed(-e)
	}
	return m.Amount.String()
}

// rejectWriter writes the rows that were not decided, as they were read,
// after two columns: the line and the problems. Fixed, the file is an
// export the batch reads again (it reads the two extra columns as custom
// fields, unless the mapping says ignore = line; problems).
type rejectWriter struct {
	w       *csv.Writer
	rec     []string
	started bool
}

// rejectColumns (a table, never modified) is the first part of the
// rejects CSV's header; the export's own header follows (for JSON lines,
// one column: the lead).
var rejectColumns = []string{"line", "problems"}

func newRejectWriter(w *csv.Writer) *rejectWriter { return &rejectWriter{w: w} }

func (rw *rejectWriter) header(rep *ingest.Report) error {
	rw.started = true
	export := rep.Header
	if rep.Format == "jsonl" {
		export = []string{"lead"}
	}
	return rw.w.Write(append(append([]string(nil), rejectColumns...), export...))
}

// write writes the rows of a record that was not decided; a row that did
// not parse as CSV is written as its line and problems alone.
func (rw *rejectWriter) write(rec *ingest.Record) error {
	rows := rec.Rows
	if len(rows) == 0 {
		rows = [][]string{nil}
	}
	for _, r := range rows {
		rw.rec = append(rw.rec[:0], strconv.Itoa(rec.Line), rec.Err.Describe())
		rw.rec = append(rw.rec, r...)
		if err := rw.w.Write(rw.rec); err != nil {
			return err
		}
	}
	return nil
}
