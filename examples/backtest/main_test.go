package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/qualify/backtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// columns is the mapping of testdata/history.csv.
const columns = "id=Lead ID,decided_at=Decided,converted=Outcome,won=Won,won.currency=Currency,contact.role=Role,company.employees=Employees,stage=Stage,created_at=Created,activity=Activity,activity.at=Activity time,activity.product=Product,fields.plan=Plan"

type result struct {
	code           int
	stdout, stderr string
}

func runMain(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return result{code, out.String(), errb.String()}
}

// synthFile writes a synthetic history of n leads to a temporary file.
func synthFile(t *testing.T, n int, seed uint64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "history.jsonl")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, writeSynthetic(f, n, seed))
	require.NoError(t, f.Close())
	return path
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create it")
	assert.Equal(t, string(want), got)
}

// The CSV export, read with its column mapping, and the same history as
// JSON lines give the same report; its text is the golden one.
func TestReportCSVAndJSONLines(t *testing.T) {
	dir := t.TempDir()
	// policy_a.json is the default policy when this test was written, so
	// that the golden text does not move when the default does.
	fromCSV := runMain(t, "", "-history", "testdata/history.csv", "-map", columns, "-policy", "testdata/policy_a.json", "-json", filepath.Join(dir, "csv.json"))
	require.Equal(t, exitOK, fromCSV.code, fromCSV.stderr)
	fromJSON := runMain(t, "", "-history", "testdata/history.jsonl", "-policy", "testdata/policy_a.json", "-json", filepath.Join(dir, "jsonl.json"))
	require.Equal(t, exitOK, fromJSON.code, fromJSON.stderr)
	// The same, but for the line the errored record is on.
	assert.Equal(t, fromCSV.stdout, strings.Replace(fromJSON.stdout, "history line 8 ", "history line 14 ", 1))
	a, err := os.ReadFile(filepath.Join(dir, "csv.json"))
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(dir, "jsonl.json"))
	require.NoError(t, err)
	var ra, rb backtest.Report
	require.NoError(t, json.Unmarshal(a, &ra))
	require.NoError(t, json.Unmarshal(b, &rb))
	require.Len(t, ra.Errors, 1)
	require.Len(t, rb.Errors, 1)
	assert.Equal(t, []int{14, 8}, []int{ra.Errors[0].Line, rb.Errors[0].Line})
	ra.Errors[0].Line, rb.Errors[0].Line = 0, 0
	ja, err := json.Marshal(ra)
	require.NoError(t, err)
	jb, err := json.Marshal(rb)
	require.NoError(t, err)
	assert.JSONEq(t, string(ja), string(jb))
	golden(t, "report.txt", fromCSV.stdout)
	// The planted leak: C-08 was created after its decision, C-01 is won
	// today, C-10 unsubscribed the next day.
	assert.Contains(t, fromCSV.stdout, `lead "C-08": lead.created_at`)
	assert.Contains(t, fromCSV.stdout, "stages unknown, taken as new")
}

// The HTML page holds, in its charts' data, exactly the numbers of the
// report: the funnel by route, the deciles of each score with its AUC,
// and the lift of each rule. It is well-formed, and needs nothing from a
// network.
func TestHTMLPageCharts(t *testing.T) {
	history := synthFile(t, 3000, 5)
	dir := t.TempDir()
	page, reportJSON := filepath.Join(dir, "report.html"), filepath.Join(dir, "report.json")
	res := runMain(t, "", "-history", history, "-html", page, "-json", reportJSON, "-workers", "2")
	require.Equal(t, exitOK, res.code, res.stderr)
	var r backtest.Report
	data, err := os.ReadFile(reportJSON)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &r))
	els := chartElements(t, page)
	checkReportCharts(t, els, "report", &r)
	checkSelfContained(t, page)
}

// element is an element of the page with data- attributes.
type element struct {
	name string
	attr map[string]string
}

// chartElements parses the page as XML and returns its elements that
// carry a data-chart attribute.
func chartElements(t *testing.T, path string) []element {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	dec := xml.NewDecoder(f)
	dec.Strict = true
	var out []element
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err, "the page is well-formed")
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		e := element{name: se.Name.Local, attr: map[string]string{}}
		for _, a := range se.Attr {
			e.attr[a.Name.Local] = a.Value
		}
		if e.attr["data-chart"] != "" {
			out = append(out, e)
		}
	}
	return out
}

func pick(els []element, name string, kv ...string) []element {
	var out []element
outer:
	for _, e := range els {
		if e.name != name {
			continue
		}
		for i := 0; i < len(kv); i += 2 {
			if e.attr[kv[i]] != kv[i+1] {
				continue outer
			}
		}
		out = append(out, e)
	}
	return out
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	require.NoError(t, err, s)
	return n
}

func atof(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	require.NoError(t, err, s)
	return f
}

// checkReportCharts holds the charts of one section to its report.
func checkReportCharts(t *testing.T, els []element, section string, r *backtest.Report) {
	t.Helper()
	// The funnel: one bar per route, and the marketing-qualified leads.
	bars := pick(els, "rect", "data-chart", "funnel", "data-section", section)
	groups := append(append([]backtest.Group{}, r.Routes...), r.Qualified)
	require.Len(t, bars, len(groups))
	for i, g := range groups {
		b := bars[i].attr
		assert.Equal(t, g.Name, b["data-group"])
		assert.Equal(t, g.Leads, atoi(t, b["data-leads"]), g.Name)
		assert.Equal(t, g.Conversions, atoi(t, b["data-conversions"]), g.Name)
		if g.Rate.Defined() {
			assert.Equal(t, float64(g.Rate), atof(t, b["data-rate"]), g.Name)
		} else {
			assert.Empty(t, b["data-rate"])
		}
	}
	assert.Positive(t, atoi(t, pick(bars, "rect", "data-group", "sales")[0].attr["data-leads"]))

	// Need against interest: one bar per verdict.
	vbars := pick(els, "rect", "data-chart", "verdicts", "data-section", section)
	require.Len(t, vbars, len(r.Verdicts))
	for i, g := range r.Verdicts {
		assert.Equal(t, g.Name, vbars[i].attr["data-verdict"])
		assert.Equal(t, g.Leads, atoi(t, vbars[i].attr["data-leads"]))
	}
	vsvg := pick(els, "svg", "data-chart", "verdicts", "data-section", section)
	require.Len(t, vsvg, 1)
	if r.NeedOverInterest.Defined() {
		assert.Equal(t, float64(r.NeedOverInterest), atof(t, vsvg[0].attr["data-need-over-interest"]))
	}

	// The deciles and the AUC of each score; a constant score is said so,
	// not drawn.
	require.Len(t, r.Scores, 4)
	for _, sc := range r.Scores {
		if sc.Constant() {
			note := pick(els, "p", "data-chart", "deciles", "data-section", section, "data-score", sc.Name)
			require.Len(t, note, 1, sc.Name)
			assert.Equal(t, "true", note[0].attr["data-constant"])
			assert.Empty(t, pick(els, "svg", "data-chart", "deciles", "data-section", section, "data-score", sc.Name))
			continue
		}
		svg := pick(els, "svg", "data-chart", "deciles", "data-section", section, "data-score", sc.Name)
		require.Len(t, svg, 1, sc.Name)
		assert.Equal(t, float64(sc.AUC), atof(t, svg[0].attr["data-auc"]), sc.Name)
		assert.Equal(t, float64(sc.AUCLow), atof(t, svg[0].attr["data-auc-low"]), sc.Name)
		assert.Equal(t, float64(sc.AUCHigh), atof(t, svg[0].attr["data-auc-high"]), sc.Name)
		rects := pick(els, "rect", "data-chart", "deciles", "data-section", section, "data-score", sc.Name)
		require.Len(t, rects, len(sc.Deciles), sc.Name)
		total := 0
		for i, d := range sc.Deciles {
			a := rects[i].attr
			assert.Equal(t, d.Decile, atoi(t, a["data-decile"]))
			assert.Equal(t, d.Leads, atoi(t, a["data-leads"]))
			assert.Equal(t, d.Conversions, atof(t, a["data-conversions"]))
			assert.Equal(t, float64(d.Rate), atof(t, a["data-rate"]))
			assert.Equal(t, d.Lo, atof(t, a["data-lo"]))
			assert.Equal(t, d.Hi, atof(t, a["data-hi"]))
			assert.Equal(t, strconv.FormatBool(d.Shared), a["data-shared"])
			total += d.Leads
		}
		assert.Equal(t, r.Leads, total, "every lead is in a band")
		if r.Leads >= 10 {
			for _, d := range sc.Deciles {
				assert.InDelta(t, float64(r.Leads)/10, d.Leads, 1, "equal-count bands")
			}
		}
		base := pick(els, "line", "data-chart", "deciles", "data-section", section, "data-score", sc.Name)
		require.Len(t, base, 1)
		assert.Equal(t, float64(r.BaseRate), atof(t, base[0].attr["data-base-rate"]))
	}

	// The lift of every rule that fired.
	lifts := pick(els, "rect", "data-chart", "lift", "data-section", section)
	var fired []backtest.RuleStats
	for _, s := range r.Rules {
		if l, _, _ := liftOf(s); s.Fired > 0 && l.Defined() && l > 0 {
			fired = append(fired, s)
		}
	}
	require.Len(t, lifts, len(fired))

	// A recycle curve per reason, with its horizon.
	curves := pick(els, "svg", "data-chart", "recycled", "data-section", section)
	require.Len(t, curves, len(r.Recycled))
	for i, c := range r.Recycled {
		a := curves[i].attr
		assert.Equal(t, string(c.Reason), a["data-reason"])
		assert.Equal(t, c.Leads, atoi(t, a["data-leads"]))
		assert.Equal(t, strconv.Itoa(int(c.Horizon/(24*time.Hour))), a["data-horizon-days"])
	}
	findings := map[string]string{}
	for _, f := range r.Findings {
		findings[f.Rule] = f.Kind.String()
	}
	for i, s := range fired {
		a := lifts[i].attr
		l, n, m := liftOf(s)
		assert.Equal(t, s.Rule, a["data-rule"])
		assert.Equal(t, float64(l), atof(t, a["data-lift"]), s.Rule)
		assert.Equal(t, n, atoi(t, a["data-fired"]), s.Rule)
		assert.Equal(t, m, a["data-measure"], s.Rule)
		assert.Equal(t, findings[s.Rule], a["data-finding"], s.Rule)
	}
}

// checkSelfContained: nothing on the page is fetched from anywhere.
func checkSelfContained(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	page := strings.ToLower(string(data))
	for _, bad := range []string{"http:", "https:", "<script", "<link", "<img", "<iframe", "@import", "url(", "src=", "href="} {
		assert.NotContains(t, page, bad)
	}
	assert.Contains(t, page, "<svg")
}

// The planted signal of the synthetic history shows on the page: the
// need rules' bars are long and green, the coin-free default policy has
// no noise rule, and the page of a comparison holds both policies.
func TestHTMLComparison(t *testing.T) {
	history := synthFile(t, 2000, 6)
	dir := t.TempDir()
	page, out := filepath.Join(dir, "compare.html"), filepath.Join(dir, "compare.json")
	res := runMain(t, "", "-history", history, "-compare", "testdata/policy_b.json", "-html", page, "-json", out)
	require.Equal(t, exitOK, res.code, res.stderr)
	assert.Contains(t, res.stdout, "B: need-only")
	var c backtest.Comparison
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &c))
	els := chartElements(t, page)
	checkReportCharts(t, els, "A", c.A)
	checkReportCharts(t, els, "B", c.B)
	checkSelfContained(t, page)
	// The default policy's need rule reads the vocabulary: one rule for
	// every kind of need, and its bar is long.
	bar := pick(els, "rect", "data-chart", "lift", "data-section", "A", "data-rule", "need")
	require.Len(t, bar, 1)
	assert.Greater(t, atof(t, bar[0].attr["data-lift"]), 2.5, "need")
	html, err := os.ReadFile(page)
	require.NoError(t, err)
	assert.Contains(t, string(html), "Routes, from A to B")
}

func TestCalibrate(t *testing.T) {
	history := synthFile(t, 4000, 7)
	dir := t.TempDir()
	proposed, page := filepath.Join(dir, "proposed.json"), filepath.Join(dir, "calibration.html")
	res := runMain(t, "", "-history", history, "-calibrate", "-mql-precision", "0.1", "-out", proposed, "-html", page)
	require.Equal(t, exitOK, res.code, res.stderr)
	assert.Contains(t, res.stdout, "Calibration: fitted on")
	data, err := os.ReadFile(proposed)
	require.NoError(t, err)
	p, err := qualify.CompileJSON(data)
	require.NoError(t, err)
	assert.Equal(t, "leadqual-default-calibrated", p.Name())
	def, err := qualify.Compile(qualify.DefaultSpec())
	require.NoError(t, err)
	assert.Equal(t, def.Rules(), p.Rules(), "every rule keeps its name")
	els := chartElements(t, page)
	assert.NotEmpty(t, pick(els, "rect", "data-chart", "funnel", "data-section", "A"))
	assert.NotEmpty(t, pick(els, "rect", "data-chart", "funnel", "data-section", "B"))
	checkSelfContained(t, page)

	// A target no thresholds reach: none proposed, said so, none printed.
	res = runMain(t, "", "-history", history, "-calibrate", "-mql-precision", "0.95", "-html", page)
	require.Equal(t, exitOK, res.code, res.stderr)
	assert.Contains(t, res.stdout, "Marketing-qualified thresholds: NONE proposed")
	assert.NotContains(t, res.stdout, "thresholds: fit ")
	data, err = os.ReadFile(page)
	require.NoError(t, err)
	assert.Contains(t, string(data), "Marketing-qualified thresholds: none proposed")

	res = runMain(t, "", "-history", "-", "-calibrate")
	assert.Equal(t, exitUsage, res.code)
	assert.Contains(t, res.stderr, "give a file, not stdin")
}

func TestStdinAndSynth(t *testing.T) {
	synth := runMain(t, "", "-synth", "50", "-seed", "9")
	require.Equal(t, exitOK, synth.code)
	assert.Equal(t, 50, strings.Count(synth.stdout, "\n"))
	again := runMain(t, "", "-synth", "50", "-seed", "9")
	assert.Equal(t, synth.stdout, again.stdout, "the same seed, the same history")
	res := runMain(t, synth.stdout, "-history", "-")
	require.Equal(t, exitOK, res.code, res.stderr)
	assert.Contains(t, res.stdout, "50 records, 50 judged")
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	good, err := os.ReadFile("testdata/history.jsonl")
	require.NoError(t, err)
	lines := strings.SplitAfter(string(good), "\n")
	require.NoError(t, os.WriteFile(bad, []byte(lines[0]+"{oops\n"+lines[1]+"\"x\"\n"+lines[2]), 0o644))

	res := runMain(t, "", "-history", bad)
	assert.Equal(t, exitFatal, res.code)
	assert.Contains(t, res.stderr, "history line 2, column 2: invalid character 'o'")

	res = runMain(t, "", "-history", bad, "-max-bad", "2")
	assert.Equal(t, exitOK, res.code, res.stderr)
	assert.Contains(t, res.stderr, "skipped: history line 2")
	assert.Contains(t, res.stderr, "skipped: history line 4")
	assert.Contains(t, res.stdout, "3 records, 3 judged")

	res = runMain(t, "", "-history", "testdata/history.csv", "-map", "id=Nope")
	assert.Equal(t, exitFatal, res.code)
	assert.Contains(t, res.stderr, `history line 1: mapping -map line 1, column 1: "id=Nope": the header has no column "Nope"`)

	res = runMain(t, "", "-history", filepath.Join(dir, "missing.jsonl"))
	assert.Equal(t, exitFatal, res.code)
	assert.Contains(t, res.stderr, "no such file")

	res = runMain(t, "", "-history", "testdata/history.jsonl", "-policy", "testdata/history.csv")
	assert.Equal(t, exitFatal, res.code)
	assert.Contains(t, res.stderr, "testdata/history.csv: qualify: policy")
}

func TestUsage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		msg  string
	}{
		{nil, "-history is required"},
		{[]string{"-history", "h.jsonl", "extra"}, `unexpected argument "extra"`},
		{[]string{"-history", "h.jsonl", "-compare", "b.json", "-calibrate"}, "do not go together"},
		{[]string{"-history", "h.jsonl", "-out", "p.json"}, "-out does nothing in a backtest (no -compare, -calibrate, -validate or -synth): it is for -calibrate"},
		{[]string{"-history", "h.jsonl", "-holdout", "0.3"}, "-holdout does nothing in a backtest"},
		{[]string{"-history", "h.jsonl", "-salt", "x"}, "-salt does nothing in a backtest"},
		{[]string{"-history", "h.jsonl", "-mql-precision", "0.2"}, "-mql-precision does nothing in a backtest"},
		{[]string{"-history", "h.jsonl", "-need-precision", "0.5"}, "-need-precision does nothing in a backtest"},
		{[]string{"-history", "h.jsonl", "-compare", "b.json", "-holdout", "0.3"}, "-holdout does nothing in -compare: it is for -calibrate"},
		{[]string{"-history", "h.jsonl", "-compare", "b.json", "-model", "m.json"}, "-model does nothing in -compare"},
		{[]string{"-history", "h.jsonl", "-calibrate", "-model", "m.json"}, "-model does nothing in -calibrate"},
		{[]string{"-history", "h.jsonl", "-model-out", "m.json"}, "-model-out does nothing in a backtest"},
		{[]string{"-history", "h.jsonl", "-seed", "3"}, "-seed does nothing in a backtest"},
		{[]string{"-synth", "10", "-history", "h.jsonl"}, "-history does nothing in -synth"},
		{[]string{"-synth", "10", "-html", "x.html"}, "-html does nothing in -synth"},
		{[]string{"-synth", "10", "-calibrate"}, "-calibrate and -synth do not go together"},
		{[]string{"-history", "h.jsonl", "-validate", "-compare", "b.json"}, "-compare and -validate (a dry run) do not go together"},
		{[]string{"-history", "h.jsonl", "-validate", "-leads", "l.csv"}, "-leads does nothing in -validate (a dry run)"},
		{[]string{"-history", "h.jsonl", "-validate", "-max-bad", "3"}, "-max-bad does nothing in -validate (a dry run)"},
		{[]string{"-history", "h.jsonl", "-calibrate", "-holdout", "1.5"}, "-holdout 1.5: want a share above 0 and below 1"},
		{[]string{"-history", "h.jsonl", "-leads", "-"}, "-leads writes to a file"},
		{[]string{"-history", "h.txt", "-format", "xml"}, `-format "xml"`},
		{[]string{"-history", "h.jsonl", "-format", "jsonl", "-map", "id=x"}, "-map do nothing for JSON lines"},
		{[]string{"-history", "h.jsonl", "-validate", "-html", "x.html"}, "-html does nothing in -validate (a dry run): it is for a backtest"},
		{[]string{"-synth", "-3"}, "-synth must be positive"},
		{[]string{"-nope"}, "flag provided but not defined"},
	} {
		res := runMain(t, "", tt.args...)
		assert.Equal(t, exitUsage, res.code, tt.args)
		assert.Contains(t, res.stderr, tt.msg, tt.args)
	}
	res := runMain(t, "", "-h")
	assert.Equal(t, exitOK, res.code)
	assert.Contains(t, res.stderr, "usage: backtest")
	res = runMain(t, "", "-history", "testdata/history.csv", "-map", "idd=x")
	assert.Equal(t, exitUsage, res.code)
	assert.Contains(t, res.stderr, `unknown target "idd"`)
	res = runMain(t, "", "-history", "testdata/history.csv", "-time-zone", "Mars/Olympus")
	assert.Equal(t, exitUsage, res.code)
	assert.Contains(t, res.stderr, "not an IANA time zone")
}

// -leads writes every lead as judged, as CSV or JSON lines, one row per
// record and policy, with the split in a calibration; the rows add up to
// the report.
func TestLeadsOutput(t *testing.T) {
	history := synthFile(t, 1500, 8)
	dir := t.TempDir()
	csvPath, reportJSON := filepath.Join(dir, "leads.csv"), filepath.Join(dir, "report.json")
	res := runMain(t, "", "-history", history, "-leads", csvPath, "-json", reportJSON, "-workers", "3")
	require.Equal(t, exitOK, res.code, res.stderr)
	var r backtest.Report
	data, err := os.ReadFile(reportJSON)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &r))
	f, err := os.Open(csvPath)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 1+r.Records)
	assert.Equal(t, backtest.LeadColumns, rows[0])
	sales, salesConv := 0, 0
	for i, row := range rows[1:] {
		assert.Equal(t, strconv.Itoa(i), row[0], "history order")
		assert.Equal(t, fmt.Sprintf("S-%06d", i), row[2])
		if row[7] == "sales" {
			sales++
			if row[15] == "true" {
				salesConv++
			}
		}
	}
	s := r.Route(qualify.RouteSales)
	assert.Equal(t, s.Leads, sales)
	assert.Equal(t, s.Conversions, salesConv)

	// JSON lines; two rows per record with -compare.
	jsonl := filepath.Join(dir, "leads.jsonl")
	res = runMain(t, "", "-history", history, "-compare", "testdata/policy_b.json", "-leads", jsonl)
	require.Equal(t, exitOK, res.code, res.stderr)
	lines := readLines(t, jsonl)
	require.Len(t, lines, 3000)
	var a, b backtest.LeadResult
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &a))
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &b))
	assert.Equal(t, a.Lead, b.Lead)
	assert.NotEqual(t, a.Policy, b.Policy)

	// A calibration: every record of each pass, with its split.
	res = runMain(t, "", "-history", history, "-calibrate", "-leads", jsonl)
	require.Equal(t, exitOK, res.code, res.stderr)
	splits := map[string]int{}
	for _, l := range readLines(t, jsonl) {
		var x backtest.LeadResult
		require.NoError(t, json.Unmarshal([]byte(l), &x))
		splits[x.Split+"/"+x.Policy]++
	}
	assert.Equal(t, 1500*2, splits["fitting/leadqual-default"]+splits["fitting/leadqual-default-calibrated"]+
		splits["held_out/leadqual-default"]+splits["held_out/leadqual-default-calibrated"])
	assert.Equal(t, splits["fitting/leadqual-default"], splits["fitting/leadqual-default-calibrated"])
	assert.Equal(t, splits["held_out/leadqual-default"], splits["held_out/leadqual-default-calibrated"])

	// A failed run leaves no half-written file.
	bad := filepath.Join(dir, "bad.jsonl")
	require.NoError(t, os.WriteFile(bad, []byte("{oops\n"), 0o644))
	gone := filepath.Join(dir, "gone.csv")
	res = runMain(t, "", "-history", bad, "-leads", gone)
	assert.Equal(t, exitFatal, res.code)
	assert.NoFileExists(t, gone)
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

// A calibration's model, written with -model-out, gives a later backtest
// of the proposed policy its probabilities and reliability curve; the
// calibration's page shows the held-out AUCs beside the yardstick's.
func TestModelRoundTrip(t *testing.T) {
	history := synthFile(t, 4000, 9)
	dir := t.TempDir()
	proposed, model, page := filepath.Join(dir, "p.json"), filepath.Join(dir, "m.json"), filepath.Join(dir, "c.html")
	res := runMain(t, "", "-history", history, "-calibrate", "-out", proposed, "-model-out", model, "-html", page)
	require.Equal(t, exitOK, res.code, res.stderr)
	els := chartElements(t, page)
	bars := pick(els, "rect", "data-chart", "aucs")
	require.Len(t, bars, 3)
	for i, name := range []string{"current", "proposed", "logistic"} {
		assert.Equal(t, name, bars[i].attr["data-model"])
		assert.Greater(t, atof(t, bars[i].attr["data-auc"]), 0.5)
	}
	assert.NotEmpty(t, pick(els, "circle", "data-chart", "reliability", "data-section", "B"), "the proposal's held-out reliability")
	assert.Empty(t, pick(els, "circle", "data-chart", "reliability", "data-section", "A"), "the current policy has no model")

	later := synthFile(t, 2000, 10)
	leads, check := filepath.Join(dir, "leads.csv"), filepath.Join(dir, "check.html")
	res = runMain(t, "", "-history", later, "-policy", proposed, "-model", model, "-leads", leads, "-html", check)
	require.Equal(t, exitOK, res.code, res.stderr)
	assert.Contains(t, res.stdout, "Reliability (predicted/observed by decile of probability)")
	dots := pick(chartElements(t, check), "circle", "data-chart", "reliability", "data-section", "report")
	require.Len(t, dots, 10)
	for _, d := range dots {
		assert.InDelta(t, atof(t, d.attr["data-predicted"]), atof(t, d.attr["data-observed"]), 0.15)
	}
	f, err := os.Open(leads)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	p, err := strconv.ParseFloat(rows[1][12], 64)
	require.NoError(t, err, "a probability per lead")
	assert.True(t, p > 0 && p < 1)

	res = runMain(t, "", "-history", later, "-model", history)
	assert.Equal(t, exitFatal, res.code)
	assert.Contains(t, res.stderr, "not a model written by -model-out")
}

// The recycle curves sit beside the catalogue's horizons, or the host's
// (-horizons), and follow the leads until -until.
func TestRecycleHorizons(t *testing.T) {
	history := synthFile(t, 3000, 11)
	dir := t.TempDir()
	page := filepath.Join(dir, "r.html")
	res := runMain(t, "", "-history", history, "-html", page)
	require.Equal(t, exitOK, res.code, res.stderr)
	assert.Contains(t, res.stdout, "Conversion by time since the recycle")
	horizon := func(page, reason string) string {
		c := pick(chartElements(t, page), "svg", "data-chart", "recycled", "data-reason", reason)
		require.Len(t, c, 1, reason)
		return c[0].attr["data-horizon-days"]
	}
	assert.Equal(t, "90", horizon(page, "not_now"), "the doctrine's horizon")
	assert.Equal(t, "14", horizon(page, "no_decision_maker"))

	own := filepath.Join(dir, "horizons.json")
	require.NoError(t, os.WriteFile(own, []byte(`{"reasons": {"not_now": {"after": "45d"}}}`), 0o644))
	res = runMain(t, "", "-history", history, "-html", page, "-horizons", own, "-until", "2026-06-01T00:00:00Z")
	require.Equal(t, exitOK, res.code, res.stderr)
	assert.Equal(t, "45", horizon(page, "not_now"))

	res = runMain(t, "", "-history", history, "-until", "soon")
	assert.Equal(t, exitFatal, res.code)
	assert.Contains(t, res.stderr, "-until")
	require.NoError(t, os.WriteFile(own, []byte(`{"reasons": {"not_now": {"after": "-1d"}}}`), 0o644))
	res = runMain(t, "", "-history", history, "-horizons", own)
	assert.Equal(t, exitFatal, res.code)
	assert.Contains(t, res.stderr, "horizons.json")
}

// A Salesforce report export as delivered is a history with the preset
// and the organisation's statements: checked by a dry run, then judged.
func TestSalesforceExport(t *testing.T) {
	args := []string{"-history", "../../ingest/testdata/presets/salesforce.csv", "-preset", "salesforce", "-mapping", "../../ingest/testdata/presets/salesforce-acme.map"}
	res := runMain(t, "", append(args, "-validate")...)
	assert.Equal(t, exitOK, res.code, res.stderr)
	assert.Contains(t, res.stdout, "4 records good, 0 bad\n")
	assert.Contains(t, res.stdout, `withheld from the rules (outcome, after the fact, ignored): "Converted", "Converted Date"`)
	assert.Contains(t, res.stdout, `column "Converted Date" (converted_at): numeric dates: 0 day-first only, 0 month-first only, 1 either way, 0 ambiguous: read as DD/MM/YYYY`)

	res = runMain(t, "", args...)
	assert.Equal(t, exitOK, res.code, res.stderr)
	assert.Contains(t, res.stdout, "4 records, 4 judged, 0 errored")
	assert.Contains(t, res.stdout, "Conversions: 1 of 4")

	// Without the organisation's date order, its dates are ambiguous: the
	// dry run names every one, and fails.
	res = runMain(t, "", "-history", "../../ingest/testdata/presets/salesforce.csv", "-preset", "salesforce", "-validate")
	assert.Equal(t, exitFatal, res.code)
	assert.Contains(t, res.stderr, `"03/04/2026 16:45" is ambiguous: 3 April 2026 or 4 March 2026`)
	assert.Contains(t, res.stdout, "day-first, say date(DD/MM/YYYY)")
}

// A HubSpot contacts export is a history with the preset alone: Became a
// Customer Date is its whole outcome, a conversion and its time.
func TestHubSpotExport(t *testing.T) {
	args := []string{"-history", "../../ingest/testdata/presets/hubspot.csv", "-preset", "hubspot", "-time-zone", "Europe/London"}
	res := runMain(t, "", append(args, "-validate")...)
	assert.Equal(t, exitOK, res.code, res.stderr)
	assert.Contains(t, res.stdout, "4 records good, 0 bad\n")
	assert.Contains(t, res.stdout, `withheld from the rules (outcome, after the fact, ignored): "Became a Customer Date"`)

	res = runMain(t, "", args...)
	assert.Equal(t, exitOK, res.code, res.stderr)
	assert.Contains(t, res.stdout, "4 records, 4 judged, 0 errored")
	assert.Contains(t, res.stdout, "Conversions: 1 of 4")
}
