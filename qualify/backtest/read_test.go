package backtest_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadqual/leadqual/ingest"
	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify/backtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// csvMapping is the mapping of testdata/history.csv.
var csvMapping = ingest.MustParseMapping("history.map", `
	id = Lead ID, decided_at = Decided, converted = Won?, won = Amount, won.currency = Currency
	contact.role = Role, company.name = Company, company.industry = Industry, company.employees = Employees
	company.country = Country, stage = Stage, budget = Budget, contact.email = Email, created_at = Created
	activity = Activity, activity.at = Activity time, activity.product = Product, activity.asset = Asset, activity.channel = Channel
	fields.plan = Plan, fields.seats = Seats`)

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
	fromCSV := readFile(t, "history.csv", backtest.CSV(csvMapping))
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
	header := "id,decided_at,converted,won,stage,activity,activity.at,plan\n"
	tests := []struct {
		name    string
		mapping string
		input   string
		line    int
		column  int
		field   string
		msg     string
	}{
		{"empty file", "", "", 1, 0, "", "it is empty: want a header line"},
		{"decision time missing", "", "id,converted\n", 1, 0, "", `a history needs the decision time: map decided_at = <header> (it has: "id", "converted")`},
		{"outcome missing", "", "id,decided_at\n", 1, 0, "", `a history needs its outcome: map converted = <header>`},
		{"named column missing", "contact.role = Role", header, 1, 0, "", `the header has no column "Role"`},
		{"custom field missing", "fields.seats = Seats", header, 1, 0, "", `the header has no column "Seats"`},
		{"duplicate header", "", "id,id,decided_at,converted\n", 1, 0, "", `the header has 2 columns named "id"`},
		{"an outcome as a signal", "converted = Won, fields.won = Won", "id,decided_at,Won\n", 1, 0, "", `column "Won" is an outcome (converted = Won) and must not feed fields.won`},
		{"bad stage", "", header + "a,2025-03-08,no,,wonn,,,\n", 2, 5, "stage", `unknown stage "wonn"`},
		{"bad bool", "", header + "a,2025-03-08,maybe,,,,,\n", 2, 3, "converted", `"maybe" is not true or false`},
		{"money without currency", "", header + "a,2025-03-08,yes,100,,,,\n", 2, 4, "won", "has no currency"},
		{"ambiguous date", "", header + "a,08/03/2025,yes,,,,,\n", 2, 2, "decided_at", `"08/03/2025" is ambiguous: 8 March 2025 or 3 August 2025`},
		{"conflicting rows", "", header + "a,2025-03-08,no,,new,chat,2025-03-07,\na,2025-03-08,no,,won,chat,2025-03-07,\n", 3, 5, "stage", `"won", but line 2 gave "new" for lead "a"`},
		{"activity details without a kind", "", header + "a,2025-03-08,no,,,,2025-03-07,\n", 2, 7, "activities", `an activity's at on a row without its kind (column "activity")`},
		{"field count", "", header + "a,2025-03-08\n", 2, 0, "", "2 fields, but the header has 8"},
		{"bare quote", "", header + "a,2025-03-08,no,\"x\"y,,,,\n", 2, 19, "", "extraneous or missing \" in quoted-field"},
		{"empty id", "", header + ",2025-03-08,no,,,,,\n", 2, 1, "id", "empty"},
		{"a conversion time on a lead that did not convert", "", "id,decided_at,converted,converted_at\nb,2025-03-08,no,2025-03-09\n", 2, 4, "converted_at",
			`"2025-03-09" is a conversion time, but the lead did not convert (column "converted" on line 2 says so)`},
		{"a conversion before the decision", "", "id,decided_at,converted_at\na,2025-03-08T09:00:00Z,2025-03-07\n", 2, 3, "converted_at",
			`"2025-03-07": the lead converted on 7 March 2025, before its decision time 2025-03-08T09:00:00Z`},
		{"an ambiguous conversion date", "decided_at = Created, converted_at = Converted Date", "id,Created,Converted Date\na,2025-03-08,04/05/2025\n", 2, 3, "converted_at",
			`"04/05/2025" is ambiguous: 4 May 2025 or 5 April 2025`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ingest.ParseMapping("test", tt.mapping)
			require.NoError(t, err)
			if tt.mapping == "" {
				m = nil
			}
			r := backtest.NewReader(strings.NewReader(tt.input), backtest.CSV(m), backtest.ReadOptions{})
			recs := readAll(t, r)
			assert.Empty(t, recs)
			err = r.Err()
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
	input := "\uFEFF ID , Decided_At,CONVERTED,won,activity,activity.at,plan,extra\n" +
		"a,2025-03-08,Y,100 GBP,chat,2025-03-07,true,kept\n" +
		"a,2025-03-08,Y,,email_click,2025-03-07 10:00,,\n" +
		"b,2025-03-08,f,,,,3.5,\n" +
		"b,2025-03-09,f,,,,text,\n" +
		"bad,2025-03-08,nope,,,,,\n" +
		"bad,2025-03-08,no,,,,,\n" +
		"c,2025-03-10,no,,,,,\n"
	r := backtest.NewReader(strings.NewReader(input), backtest.CSV(ingest.MustParseMapping("test", "fields.plan = plan")), backtest.ReadOptions{MaxBad: 1, Location: time.FixedZone("X", 3600)})
	recs := readAll(t, r)
	require.NoError(t, r.Err())
	require.Len(t, recs, 4, "a, b (twice: two decision times), c; bad is skipped")
	assert.Equal(t, "a", recs[0].Lead.ID)
	assert.True(t, recs[0].Converted)
	assert.Len(t, recs[0].Lead.Activities, 2)
	assert.Equal(t, map[string]any{"plan": true, "extra": "kept"}, recs[0].Lead.Fields, "a column the mapping does not name is a custom field")
	assert.Equal(t, time.Date(2025, 3, 7, 10, 0, 0, 0, time.FixedZone("X", 3600)).Unix(), recs[0].Lead.Activities[1].At.Unix())
	assert.Equal(t, 3.5, recs[1].Lead.Fields["plan"])
	assert.Equal(t, "text", recs[2].Lead.Fields["plan"])
	assert.Equal(t, "c", recs[3].Lead.ID)
	require.Len(t, r.Skipped(), 1)
	assert.Equal(t, 6, r.Skipped()[0].Line)

	// Money with the mapping's currency, and a currency column that disagrees.
	r = backtest.NewReader(strings.NewReader("id,decided_at,converted,won\na,2025-03-08,yes,100\n"),
		backtest.CSV(ingest.MustParseMapping("test", "currency: EUR")), backtest.ReadOptions{})
	recs = readAll(t, r)
	require.NoError(t, r.Err())
	assert.Equal(t, "100 EUR", recs[0].Won.String())
	r = backtest.NewReader(strings.NewReader("id,decided_at,converted,won,won.currency\na,2025-03-08,yes,100 GBP,EUR\n"),
		backtest.CSV(nil), backtest.ReadOptions{})
	readAll(t, r)
	assert.ErrorContains(t, r.Err(), "its currency column says EUR")
}

func TestReadByteOrderMarkAndLongCSVRow(t *testing.T) {
	r := backtest.NewReader(strings.NewReader("\uFEFF"+`{"lead": {"id": "a"}, "at": "2025-03-08T09:05:00Z"}`), backtest.JSONLines(), backtest.ReadOptions{})
	assert.Len(t, readAll(t, r), 1)
	require.NoError(t, r.Err())

	long := "id,decided_at,converted,activity.asset\n" +
		"a,2025-03-08,no,\n" +
		"b,2025-03-08,no,\"" + strings.Repeat("x\n", 20000) + "\"\n"
	r = backtest.NewReader(strings.NewReader(long), backtest.CSV(nil), backtest.ReadOptions{MaxLineBytes: 1000, MaxBad: 5})
	recs := readAll(t, r)
	assert.Empty(t, recs, "the row after a's is too long: reading stops however many bad rows are allowed, and a, which that row might have belonged to, is not yielded half read")
	var le *backtest.LineError
	require.ErrorAs(t, r.Err(), &le)
	assert.Contains(t, le.Error(), "a row longer than 1000 bytes")
}
