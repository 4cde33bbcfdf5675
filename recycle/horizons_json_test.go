package recycle_test

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/recycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseHorizons(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "horizons.json"))
	require.NoError(t, err)
	h, err := recycle.ParseHorizons(data)
	require.NoError(t, err)
	want := recycle.Horizons{
		Reasons: map[lead.Reason]recycle.Horizon{
			lead.ReasonNotNow:          {After: days(60), Longest: days(120), Ahead: days(14)},
			lead.ReasonNoDecisionMaker: {Longest: days(60)},
			lead.ReasonUnresponsive:    {Attempts: 4, Retry: 36 * time.Hour},
			lead.ReasonStonewalled:     {After: days(90)},
			"evaluating_in_house":      {After: days(120), Longest: days(240), Task: "Ask how the in-house build went"},
			lead.ReasonOffshored:       {Anchor: recycle.AnchorOff},
		},
		Fallback: recycle.Horizon{Longest: days(180), Task: "Ring them"},
		Backoff:  1.5,
		Cap:      4,
		Longest:  days(540),
		Jitter:   24 * time.Hour,
		Hours: &recycle.WorkingHours{
			Start: 9 * time.Hour, End: 17*time.Hour + 30*time.Minute,
			Days:     []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
			Holidays: []string{"2026-12-25", "2026-12-28"},
			Zone:     "Europe/London",
		},
	}
	assert.Equal(t, want, h)

	// It round-trips.
	out, err := json.Marshal(h)
	require.NoError(t, err)
	back, err := recycle.ParseHorizons(out)
	require.NoError(t, err)
	assert.Equal(t, h, back)

	// And it plans as configured, each reason within its own maximum.
	p := mustPlanner(t, h)
	got, err := p.Plan(&lead.Lead{ID: "L-1", ExpectedPurchase: t0.Add(days(30))}, lead.ReasonNotNow, recycle.Prior{}, t0)
	require.NoError(t, err)
	assert.Equal(t, recycle.BasisAnchor, got.Basis)
	for _, tc := range []struct {
		reason  lead.Reason
		longest time.Duration
	}{
		{lead.ReasonNotNow, days(120)},
		{lead.ReasonNoDecisionMaker, days(60)},
		{lead.ReasonStonewalled, days(365)}, // the default maximum
		{"evaluating_in_house", days(240)},
		{"anything_else", days(180)}, // the fallback's
	} {
		got, err := p.Plan(&lead.Lead{ID: "L-1"}, tc.reason, recycle.Prior{Recycles: 9}, t0)
		require.NoError(t, err)
		assert.Equal(t, tc.longest, got.Wait, "%s", tc.reason)
		assert.Equal(t, recycle.BasisCap, got.Basis, "%s", tc.reason)
	}
}

func TestHorizonsJSONZeroAndOff(t *testing.T) {
	h, err := recycle.ParseHorizons([]byte(`{}`))
	require.NoError(t, err)
	assert.Equal(t, recycle.Horizons{}, h, "an empty object is the defaults")
	out, err := json.Marshal(recycle.Horizons{})
	require.NoError(t, err)
	assert.JSONEq(t, `{}`, string(out))

	h, err = recycle.ParseHorizons([]byte(`{"jitter":"off","hours":{}}`))
	require.NoError(t, err)
	assert.Negative(t, h.Jitter)
	require.NotNil(t, h.Hours)
	out, err = json.Marshal(h)
	require.NoError(t, err)
	assert.JSONEq(t, `{"jitter":"off","hours":{}}`, string(out))

	// The defaults, written out in full, read back the same.
	full := mustPlanner(t, recycle.Horizons{Hours: &recycle.WorkingHours{}}).Horizons()
	out, err = json.Marshal(full)
	require.NoError(t, err)
	back, err := recycle.ParseHorizons(out)
	require.NoError(t, err)
	assert.Equal(t, full, back)
}

func TestParseHorizonsErrors(t *testing.T) {
	tests := []struct {
		name, json, err string
	}{
		{"not JSON", `{`, "recycle: horizons: line 1, column 2: the JSON ends too early"},
		{"unknown field", `{"backof": 2}`, `recycle: horizons: backof at line 1, column 2: unknown field (the fields are reasons, fallback, backoff, cap, longest, jitter, hours)`},
		{"unknown field in a reason", `{"reasons":{"not_now":{"afterr":"1d"}}}`, `reasons.not_now.afterr at line 1, column 24: unknown field`},
		{"trailing data", `{} {}`, "line 1, column 4: unexpected data after the JSON value"},
		{"wrong type", `{"cap":"five"}`, `cap at line 1, column 8: want a whole number, got "five"`},
		{"bad duration", `{"reasons":{"not_now":{"after":"ninety days"}}}`, `reasons.not_now.after: lead: duration "ninety days" does not start with a number`},
		{"bad longest", `{"longest":"2y"}`, `longest: lead: duration "2y" has the unknown unit "y"`},
		{"bad reason longest", `{"reasons":{"no_budget":{"longest":"a year"}}}`, `reasons.no_budget.longest: lead: duration "a year" does not start with a number`},
		{"reason longest below after", `{"reasons":{"no_decision_maker":{"after":"30d","longest":"20d"}}}`,
			"Horizons.Reasons[no_decision_maker].Longest: 480h0m0s is less than After (720h0m0s)"},
		{"reason after beyond its default longest", `{"reasons":{"not_now":{"after":"200d"}}}`,
			"Horizons.Reasons[not_now].Longest: 4320h0m0s is less than After (4800h0m0s)"},
		{"reason longest beyond the ceiling", `{"longest":"300d","reasons":{"no_budget":{"longest":"400d"}}}`,
			"Horizons.Reasons[no_budget].Longest: 9600h0m0s is more than Horizons.Longest (7200h0m0s)"},
		{"fallback longest below after", `{"fallback":{"after":"90d","longest":"30d"}}`, "Horizons.Fallback.Longest"},
		{"an omitted longest is the default", `{"reasons":{"stonewalled":{"after":"400d"}}}`,
			"Horizons.Reasons[stonewalled].Longest: 8760h0m0s is less than After (9600h0m0s)"},
		{"bad jitter", `{"jitter":"on"}`, `jitter: lead: duration "on"`},
		{"zero", `{"jitter":"0"}`, `jitter: lead: duration "0" is zero`},
		{"zero longest", `{"reasons":{"stonewalled":{"longest":"0"}}}`, `reasons.stonewalled.longest: lead: duration "0" is zero`},
		{"Go form", `{"longest":"1.5h"}`, `longest: lead: duration "1.5h" has a fraction`},
		{"repeated unit", `{"longest":"1h1h"}`, `longest: lead: duration "1h1h" has the unit h twice`},
		{"bad clock", `{"hours":{"start":"9am","end":"17:00"}}`, `hours.start: "9am" is not a clock time`},
		{"clock out of range", `{"hours":{"start":"09:00","end":"24:30"}}`, `hours.end: "24:30" is not a clock time between`},
		{"bad weekday", `{"hours":{"days":["monday","funday"]}}`, `hours.days[1]: "funday" is not a weekday`},
		{"invalid values", `{"backoff":0.5}`, "Horizons.Backoff"},
		{"final reason", `{"reasons":{"not_a_fit":{"after":"1d"}}}`, "not_a_fit is final"},
		{"too large", `{"fallback":{"task":"` + strings.Repeat("x", 1<<20) + `"}}`, "more than 1048576"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := recycle.ParseHorizons([]byte(tc.json))
			require.ErrorIs(t, err, recycle.ErrInvalid)
			assert.ErrorContains(t, err, tc.err)
			var fe *lead.FieldError
			require.ErrorAs(t, err, &fe, "errors.As reaches the field")
			assert.Contains(t, err.Error(), fe.Error())
		})
	}
}

// TestParseHorizonsReachesTheField: errors.As gives the first field at
// fault, with its JSON path and, for a decoding problem, its position.
func TestParseHorizonsReachesTheField(t *testing.T) {
	_, err := recycle.ParseHorizons([]byte("{\"cap\": 3,\n \"reasons\": {\"not_now\": {\"after\": 5}}}"))
	var fe *lead.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "reasons.not_now.after", fe.Path)
	assert.Equal(t, [2]int{2, 35}, [2]int{fe.Line, fe.Column})
	var ie *recycle.InvalidError
	require.ErrorAs(t, err, &ie)
	assert.Len(t, ie.Problems, 1)

	_, err = recycle.ParseHorizons([]byte(`{"reasons": {"not_now": {"after": "1h1h", "ahead": "-1d"}}}`))
	require.ErrorAs(t, err, &ie)
	require.Len(t, ie.Problems, 2)
	assert.Equal(t, "reasons.not_now.after", ie.Problems[0].Path)
	assert.Equal(t, "reasons.not_now.ahead", ie.Problems[1].Path)
}

func FuzzParseHorizons(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "horizons.json"))
	require.NoError(f, err)
	f.Add(data)
	for _, s := range []string{`{}`, `{"jitter":"off"}`, `{"hours":{}}`, `{"reasons":{"x":{"attempts":3,"retry":"1h","after":"1d"}}}`,
		`{"reasons":{"no_decision_maker":{"longest":"30d"},"y":{"after":"2d","longest":"9d","anchor":"renewal"}},"fallback":{"longest":"20d"}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(fuzzBody)
}

var fuzzLead = &lead.Lead{ID: "L-1", ExpectedPurchase: t0.Add(days(40)), Renewal: t0.Add(days(400)), Contact: lead.Contact{TimeZone: "Europe/London"}}

func fuzzBody(t *testing.T, data []byte) {
	l := fuzzLead
	h, err := recycle.ParseHorizons(data)
	if err != nil {
		return
	}
	out, err := json.Marshal(h)
	require.NoError(t, err)
	back, err := recycle.ParseHorizons(out)
	require.NoError(t, err, "%s", out)
	out2, err := json.Marshal(back)
	require.NoError(t, err)
	require.JSONEq(t, string(out), string(out2))
	// Whatever was accepted plans every reason without failing, within
	// the bounds a Plan promises.
	p := mustPlanner(t, h)
	cfg := p.Horizons()
	for _, r := range append(slices.Collect(maps.Keys(cfg.Reasons)), "fuzz_falls_back") {
		hz, err := p.Horizon(r)
		require.NoError(t, err)
		for _, prior := range []recycle.Prior{{}, {Recycles: 3, Attempt: 2}, {Recycles: 200}} {
			got, err := p.Plan(l, r, prior, t0)
			require.NoError(t, err)
			require.False(t, got.Due.Before(t0))
			checkWait(t, cfg, hz, l, r, prior, t0, got)
			limit := t0.Add(cfg.Longest + max(cfg.Jitter, 0) + recycle.Day)
			if cfg.Hours != nil { // a working moment within a week per holiday
				limit = limit.Add(time.Duration(7*(len(cfg.Hours.Holidays)+1)+1) * recycle.Day)
			}
			require.True(t, got.Due.Before(limit), "%s: %s", r, got.Due)
		}
	}
}
