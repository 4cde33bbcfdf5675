package backtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify/backtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// csvColumns is the mapping of testdata/history.csv.
var csvColumns = backtest.Columns{
	ID: "Lead ID", At: "Decided", Converted: "Won?", Won: "Amount", WonCurrency: "Currency",
	Role: "Role", Company: "Company", Industry: "Industry", Employees: "Employees", Country: "Country",
	Stage: "Stage", Budget: "Budget", Email: "Email", CreatedAt: "Created",
	ActivityKind: "Activity", ActivityAt: "Activity time", ActivityProduct: "Product", ActivityAsset: "Asset", ActivityChannel: "Channel",
	Fields: map[string]string{"plan": "Plan", "seats": "Seats"},
}

func readAll(t *testing.T, r *backtest.Reader) []backtest.Record {
	t.Helper()
	var out []backtest.Record
	for rec := range r.All() {
		out = append(out, rec)
	}
	return out
}

func readFile(t *testing.T, name string, f backtest.Format) []backtest.Record {
	t.Helper()
	file, err := os.Open(filepath.Join("testdata", name))
	require.NoError(t, err)
	defer file.Close()
	r := backtest.NewReader(file, f, backtest.ReadOptions{})
	recs := readAll(t, r)
	require.NoError(t, r.Err())
	return recs
}

// The same history, as JSON lines and as a CRM's CSV export with its own
// headers, reads to the same records.
func TestReadJSONLinesAndCSVAgree(t *testing.T) {
	fromJSON := readFile(t, "history.jsonl", backtest.JSONLines())
	fromCSV := readFile(t, "history.csv", backtest.CSV(csvColumns))
	require.Len(t, fromJSON, 4)
	require.Len(t, fromCSV, 4)
	assert.Equal(t, []int{1, 3, 4, 5}, []int{fromJSON[0].Line, fromJSON[1].Line, fromJSON[2].Line, fromJSON[3].Line}, "blank lines skipped, lines counted")
	assert.Equal(t, []int{2, 5, 7, 8}, []int{fromCSV[0].Line, fromCSV[1].Line, fromCSV[2].Line, fromCSV[3].Line})
	for i := range fromJSON {
		a, b := fromJSON[i], fromCSV[i]
		a.Line, b.Line = 0, 0
		assert.JSONEq(t, jsonOf(t, a), jsonOf(t, b), "record %d", i)
	}
	l := fromCSV[0].Lead
	assert.Equal(t, lead.StageWon, l.Stage)
	assert.Equal(t, map[string]any{"plan": "gold", "seats": 40.0}, l.Fields)
	assert.Len(t, l.Activities, 3)
	assert.True(t, fromCSV[0].Won.Equal(lead.MustParseMoney("12000.00", "GBP")))
	assert.Equal(t, time.Date(2025, 3, 6, 12, 1, 0, 0, time.UTC), fromCSV[3].At, "a time without a zone is in ReadOptions.Location")

	// And the backtest of both is the same.
	p := noisyPolicy()
	a, err := backtest.Run(context.Background(), p, seq(fromJSON), backtest.Config{})
	require.NoError(t, err)
	b, err := backtest.Run(context.Background(), p, seq(fromCSV), backtest.Config{})
	require.NoError(t, err)
	assert.JSONEq(t, jsonOf(t, a), jsonOf(t, b))
	assert.Equal(t, "800 EUR + 12000.00 GBP", a.Won.String())
}

func TestReadJSONLinesErrors(t *testing.T) {
	good := `{"lead": {"id": "a"}, "at": "2025-03-08T09:05:00Z"}`
	tests := []struct {
		name   string
		input  string
		line   int
		column int
		field  string
		msg    string
	}{
		{"syntax", good + "\n{\"lead\": {\"id\": \"b\"},, \"at\": 1}\n", 2, 22, "", "invalid character ','"},
		{"unknown key", good + "\n" + `{"lead": {"id": "b", "activites": []}, "at": "2025-03-08T09:05:00Z"}`, 2, 22, "lead.activites", `unknown field`},
		{"wrong type", `{"lead": {"id": "b"}, "at": "2025-03-08T09:05:00Z", "converted": "yes"}`, 1, 66, "converted", `want true or false, got "yes"`},
		{"bad stage", `{"lead": {"id": "b", "stage": "wonn"}, "at": "2025-03-08T09:05:00Z"}`, 1, 31, "lead.stage", `unknown stage "wonn"`},
		{"bad money", `{"lead": {"id": "b"}, "at": "2025-03-08T09:05:00Z", "won": {"amount": "1e5", "currency": "GBP"}}`, 1, 71, "won.amount", "not a decimal number"},
		{"cut short", `{"lead": {"id": "b"}, "at": "2025-03`, 1, 37, "at", "the JSON ends too early"},
		{"two values", good + ` {}`, 1, 53, "", "unexpected data after the JSON value"},
		{"bad time", `{"lead": {"id": "b"}, "at": "yesterday"}`, 1, 29, "at", `cannot parse "yesterday"`},
		{"not an object", `[1, 2]`, 1, 1, "", "want an object, got an array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := backtest.NewReader(strings.NewReader(tt.input), backtest.JSONLines(), backtest.ReadOptions{})
			recs := readAll(t, r)
			err := r.Err()
			require.Error(t, err)
			assert.ErrorIs(t, err, backtest.ErrInput)
			var le *backtest.LineError
			require.ErrorAs(t, err, &le)
			assert.Equal(t, tt.line, le.Line, "%v", err)
			assert.Equal(t, tt.column, le.Column, "%v", err)
			assert.Equal(t, tt.field, le.Field)
			assert.Contains(t, err.Error(), tt.msg)
			assert.Len(t, recs, tt.line-1, "the records before the bad line are read")
		})
	}
}

func TestReadMaxBadAndLongLines(t *testing.T) {
	line := func(id string) string { return `{"lead": {"id": "` + id + `"}, "at": "2025-03-08T09:05:00Z"}` + "\n" }
	input := line("a") + "garbage\n" + line("b") + `{"lead": {"id": "` + strings.Repeat("x", 300) + `"}, "at": "2025-03-08T09:05:00Z"}` + "\n" + line("c") + "{\n" + line("d")
	r := backtest.NewReader(strings.NewReader(input), backtest.JSONLines(), backtest.ReadOptions{MaxBad: 2, MaxLineBytes: 200})
	recs := readAll(t, r)
	require.Len(t, recs, 3, "a, b, c; the third bad line stops reading")
	assert.Equal(t, []int{1, 3, 5}, []int{recs[0].Line, recs[1].Line, recs[2].Line})
	require.Len(t, r.Skipped(), 2)
	assert.Equal(t, 2, r.Skipped()[0].Line)
	assert.Equal(t, 4, r.Skipped()[1].Line)
	assert.Contains(t, r.Skipped()[1].Error(), "history line 4: longer than 200 bytes")
	var le *backtest.LineError
	require.ErrorAs(t, r.Err(), &le)
	assert.Equal(t, 6, le.Line)

	// A last line without a line break is read; \r\n line breaks too.
	r = backtest.NewReader(strings.NewReader(strings.ReplaceAll(line("a"), "\n", "\r\n")+strings.TrimSuffix(line("b"), "\n")), backtest.JSONLines(), backtest.ReadOptions{})
	assert.Len(t, readAll(t, r), 2)
	assert.NoError(t, r.Err())
}

func TestReaderReadsOnceOpenReadsAgain(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "history.jsonl"))
	require.NoError(t, err)
	r := backtest.NewReader(bytes.NewReader(data), backtest.JSONLines(), backtest.ReadOptions{})
	assert.Len(t, readAll(t, r), 4)
	assert.Empty(t, readAll(t, r))
	assert.ErrorIs(t, r.Err(), backtest.ErrConsumed)

	closed := 0
	o := backtest.Open(func() (io.ReadCloser, error) {
		return closer{bytes.NewReader(data), &closed}, nil
	}, backtest.JSONLines(), backtest.ReadOptions{})
	assert.Len(t, readAll(t, o), 4)
	n := 0
	for range o.All() {
		if n++; n == 2 {
			break // an early break is not an error, and still closes
		}
	}
	assert.NoError(t, o.Err())
	assert.Equal(t, 2, closed)

	failing := backtest.Open(func() (io.ReadCloser, error) { return nil, os.ErrNotExist }, backtest.JSONLines(), backtest.ReadOptions{})
	assert.Empty(t, readAll(t, failing))
	assert.ErrorIs(t, failing.Err(), os.ErrNotExist)

	bad := backtest.NewReader(bytes.NewReader(data), backtest.JSONLines(), backtest.ReadOptions{MaxBad: -1})
	assert.Empty(t, readAll(t, bad))
	assert.ErrorIs(t, bad.Err(), backtest.ErrConfig)

	broken := backtest.NewReader(io.MultiReader(bytes.NewReader(data[:100]), errReader{}), backtest.JSONLines(), backtest.ReadOptions{})
	assert.Empty(t, readAll(t, broken))
	assert.ErrorIs(t, broken.Err(), errRead)
}

type closer struct {
	io.Reader
	n *int
}

func (c closer) Close() error { *c.n++; return nil }

var errRead = errors.New("connection reset")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errRead }

func TestReadCSVErrors(t *testing.T) {
	header := "id,decided_at,converted,won,stage,activity,activity_at,plan\n"
	tests := []struct {
		name   string
		cols   backtest.Columns
		input  string
		line   int
		column int
		field  string
		msg    string
	}{
		{"empty file", backtest.Columns{}, "", 1, 0, "", "no header line"},
		{"required column missing", backtest.Columns{}, "id,converted\n", 1, 0, "at", `no column "decided_at" in the header`},
		{"named column missing", backtest.Columns{Role: "Role"}, header, 1, 0, "role", `no column "Role"`},
		{"custom field missing", backtest.Columns{Fields: map[string]string{"seats": "Seats"}}, header, 1, 0, "fields.seats", `no column "Seats"`},
		{"duplicate header", backtest.Columns{}, "id,id,decided_at,converted\n", 1, 0, "id", "more than once"},
		{"bad stage", backtest.Columns{}, header + "a,2025-03-08,no,,wonn,,,\n", 2, 0, "stage", `unknown stage "wonn"`},
		{"bad bool", backtest.Columns{}, header + "a,2025-03-08,maybe,,,,,\n", 2, 0, "converted", `"maybe" is not true or false`},
		{"money without currency", backtest.Columns{}, header + "a,2025-03-08,yes,100,,,,\n", 2, 0, "won", "has no currency"},
		{"bad time", backtest.Columns{}, header + "a,08/03/2025,yes,,,,,\n", 2, 0, "at", "is not a time"},
		{"conflicting rows", backtest.Columns{}, header + "a,2025-03-08,no,,new,chat,2025-03-07,\na,2025-03-08,no,,won,chat,2025-03-07,\n", 3, 0, "stage", `"won", but line 2 gave "new" for lead "a"`},
		{"activity details without a kind", backtest.Columns{}, header + "a,2025-03-08,no,,,,2025-03-07,\n", 2, 0, "activity_at", "without an activity kind"},
		{"field count", backtest.Columns{}, header + "a,2025-03-08\n", 2, 0, "", "2 fields, the header has 8"},
		{"bare quote", backtest.Columns{}, header + "a,2025-03-08,no,\"x\"y,,,,\n", 2, 19, "", "extraneous or missing \" in quoted-field"},
		{"empty id", backtest.Columns{}, header + ",2025-03-08,no,,,,,\n", 2, 0, "id", "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := backtest.NewReader(strings.NewReader(tt.input), backtest.CSV(tt.cols), backtest.ReadOptions{})
			recs := readAll(t, r)
			assert.Empty(t, recs)
			err := r.Err()
			require.Error(t, err)
			assert.ErrorIs(t, err, backtest.ErrInput)
			var le *backtest.LineError
			require.ErrorAs(t, err, &le)
			assert.Equal(t, tt.line, le.Line, "%v", err)
			assert.Equal(t, tt.column, le.Column, "%v", err)
			assert.Equal(t, tt.field, le.Field, "%v", err)
			assert.Contains(t, err.Error(), tt.msg)
		})
	}
}

func TestReadCSVDetails(t *testing.T) {
	input := "\uFEFF ID , Decided_At,CONVERTED,won,activity,activity_at,plan,extra\n" +
		"a,2025-03-08,Y,100 GBP,chat,2025-03-07,true,ignored\n" +
		"a,2025-03-08,Y,,email_click,2025-03-07 10:00,,\n" +
		"b,2025-03-08,f,,,,3.5,\n" +
		"b,2025-03-09,f,,,,text,\n" +
		"bad,2025-03-08,nope,,,,,\n" +
		"bad,2025-03-08,no,,,,,\n" +
		"c,2025-03-10,no,,,,,\n"
	r := backtest.NewReader(strings.NewReader(input), backtest.CSV(backtest.Columns{Fields: map[string]string{"plan": "plan"}}), backtest.ReadOptions{MaxBad: 1, Location: time.FixedZone("X", 3600)})
	recs := readAll(t, r)
	require.NoError(t, r.Err())
	require.Len(t, recs, 4, "a, b (twice: two decision times), c; bad is skipped")
	assert.Equal(t, "a", recs[0].Lead.ID)
	assert.True(t, recs[0].Converted)
	assert.Len(t, recs[0].Lead.Activities, 2)
	assert.Equal(t, true, recs[0].Lead.Fields["plan"])
	assert.Equal(t, time.Date(2025, 3, 7, 10, 0, 0, 0, time.FixedZone("X", 3600)).Unix(), recs[0].Lead.Activities[1].At.Unix())
	assert.Equal(t, 3.5, recs[1].Lead.Fields["plan"])
	assert.Equal(t, "text", recs[2].Lead.Fields["plan"])
	assert.Equal(t, "c", recs[3].Lead.ID)
	require.Len(t, r.Skipped(), 1)
	assert.Equal(t, 6, r.Skipped()[0].Line)

	// Money with the mapping's currency, and a currency column that disagrees.
	r = backtest.NewReader(strings.NewReader("id,decided_at,converted,won\na,2025-03-08,yes,100\n"),
		backtest.CSV(backtest.Columns{Currency: "EUR"}), backtest.ReadOptions{})
	recs = readAll(t, r)
	require.NoError(t, r.Err())
	assert.Equal(t, "100 EUR", recs[0].Won.String())
	r = backtest.NewReader(strings.NewReader("id,decided_at,converted,won,won_currency\na,2025-03-08,yes,100 GBP,EUR\n"),
		backtest.CSV(backtest.Columns{}), backtest.ReadOptions{})
	readAll(t, r)
	assert.ErrorContains(t, r.Err(), "its currency column says EUR")
}

func TestParseColumns(t *testing.T) {
	c, err := backtest.ParseColumns(`id=Lead ID, at = Decided ,converted=Won?, won="Amount, GBP", currency=GBP, fields.plan=Plan, activity="He said ""hi"""`)
	require.NoError(t, err)
	assert.Equal(t, backtest.Columns{ID: "Lead ID", At: "Decided", Converted: "Won?", Won: "Amount, GBP", Currency: "GBP",
		ActivityKind: `He said "hi"`, Fields: map[string]string{"plan": "Plan"}}, c)
	back, err := backtest.ParseColumns(c.String())
	require.NoError(t, err)
	assert.Equal(t, c, back)
	var fromJSON backtest.Columns
	require.NoError(t, json.Unmarshal([]byte(`{"id": "Lead ID", "at": "Decided", "converted": "Won?", "won": "Amount, GBP", "currency": "GBP", "activity": "He said \"hi\"", "fields": {"plan": "Plan"}}`), &fromJSON))
	assert.Equal(t, c, fromJSON)

	for _, tt := range []struct{ in, msg string }{
		{"idd=x", `pair 1 ("idd", byte 1): unknown key`},
		{"id=x, id=y", "key given twice"},
		{"id=", "empty header"},
		{"id", "want key=header"},
		{"id=x,", "empty pair"},
		{"id=x,,at=y", "want key=header"},
		{`id="x`, "unterminated quote"},
		{`id="x" y`, "text after the closing quote"},
		{`id=a"b`, "quote a header"},
		{"=x", "empty key"},
		{"currency=gbp", "not an ISO 4217 code"},
		{"fields.=x", "empty field name"},
	} {
		_, err := backtest.ParseColumns(tt.in)
		require.ErrorIs(t, err, backtest.ErrConfig, tt.in)
		assert.Contains(t, err.Error(), tt.msg, tt.in)
	}
	empty, err := backtest.ParseColumns("  ")
	require.NoError(t, err)
	assert.Equal(t, backtest.Columns{}, empty)
}

func TestReadByteOrderMarkAndLongCSVRow(t *testing.T) {
	r := backtest.NewReader(strings.NewReader("\uFEFF"+`{"lead": {"id": "a"}, "at": "2025-03-08T09:05:00Z"}`), backtest.JSONLines(), backtest.ReadOptions{})
	assert.Len(t, readAll(t, r), 1)
	require.NoError(t, r.Err())

	long := "id,decided_at,converted,activity_asset\n" +
		"a,2025-03-08,no,\n" +
		"b,2025-03-08,no,\"" + strings.Repeat("x\n", 20000) + "\"\n"
	r = backtest.NewReader(strings.NewReader(long), backtest.CSV(backtest.Columns{}), backtest.ReadOptions{MaxLineBytes: 1000, MaxBad: 5})
	recs := readAll(t, r)
	assert.Empty(t, recs, "the row after a's is too long: reading stops however many bad rows are allowed, and a, which that row might have belonged to, is not yielded half read")
	var le *backtest.LineError
	require.ErrorAs(t, r.Err(), &le)
	assert.Contains(t, le.Error(), "a row longer than 1000 bytes")
}
