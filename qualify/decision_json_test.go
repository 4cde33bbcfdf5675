package qualify

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// fillRandom sets every field of v, reached by reflection (so that a field added
// to Decision is filled too), to a random value: strings with quotes,
// control characters, HTML, invalid UTF-8 and line separators; floats from
// tiny to huge; times from zero to beyond the year 9999; enumerations
// sometimes out of range.
func fillRandom(r *rand.Rand, v reflect.Value, depth int) {
	switch v.Type() {
	case reflect.TypeFor[time.Time]():
		switch r.IntN(14) {
		case 0:
			v.Set(reflect.ValueOf(time.Time{}))
		case 1:
			v.Set(reflect.ValueOf(time.Date(10001, 1, 1, 0, 0, 0, 0, time.UTC)))
		case 2: // before the year 0: Marshal fails
			v.Set(reflect.ValueOf(time.Date(-1, 12, 31, 23, 59, 59, 0, time.UTC)))
		case 3: // the zero instant in another zone: still zero for omitzero
			v.Set(reflect.ValueOf(time.Time{}.In(time.FixedZone("x", 3600))))
		case 4: // a monotonic reading, which the encoding drops
			v.Set(reflect.ValueOf(time.Now()))
		case 5: // an offset with seconds (a zone's local mean time), or of a day or more: Marshal fails
			v.Set(reflect.ValueOf(time.Unix(r.Int64N(4e9), 0).In(time.FixedZone("LMT", []int{-17762, 1172, 24 * 3600, -25 * 3600}[r.IntN(4)]))))
		case 6: // the last instant of the year 9999, the first of the year 0
			v.Set(reflect.ValueOf([]time.Time{time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
				time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)}[r.IntN(2)]))
		default:
			zone := time.FixedZone("x", (r.IntN(25)-12)*3600)
			v.Set(reflect.ValueOf(time.Unix(r.Int64N(4e9), r.Int64N(1e9)).In(zone)))
		}
		return
	case reflect.TypeFor[lead.Money]():
		m := lead.Money{}
		if r.IntN(2) == 0 {
			m = lead.MustParseMoney([]string{"0", "25000.00", "-1.5", "99999999999999999999.99"}[r.IntN(4)],
				lead.Currency([]string{"GBP", "EUR"}[r.IntN(2)]))
			if r.IntN(4) == 0 {
				// Not a code, but the decision holds what the lead said.
				m.Currency = lead.Currency([]string{"<&>", "", "\xff\u2028", "G\"B"}[r.IntN(4)])
			}
			if r.IntN(6) == 0 { // an amount a program made: exponents of both signs
				m.Amount = decimal.New(r.Int64N(2000)-1000, int32(r.IntN(60)-30))
			}
		}
		v.Set(reflect.ValueOf(m))
		return
	}
	switch v.Kind() {
	case reflect.String:
		pieces := []string{"", "a", "need", "\"", "\\", "\n\t\r\b\f", "\x01\x1f", "<script>&", "é", "\u2028\u2029", "\xff\xfe", "日本", "\x7f",
			"\xe2\x80", "\xed\xa0\x80", "\U0001F600", "\x00", "\ufffd", "\xc0\xaf", "\u2027\u202a", "'"}
		s := ""
		for range r.IntN(4) {
			s += pieces[r.IntN(len(pieces))]
		}
		v.SetString(s)
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Uint8:
		n := r.IntN(5)
		if r.IntN(40) == 0 {
			n = 200 // out of range: Marshal fails, and so must AppendJSON
		}
		v.SetUint(uint64(n))
	case reflect.Float64:
		fs := []float64{0, math.Copysign(0, -1), 1, -1, 25, 0.5, 1e-7, 1e-6, 123456789.125, 1e20, 1e21, 1.5e300, -3e-9, r.NormFloat64() * 1e3,
			math.SmallestNonzeroFloat64, -math.MaxFloat64, 9.999999999999999e-7, 999999999999999999999.0, 1e-100, -1e100, 0.1 + 0.2,
			math.Float64frombits(r.Uint64())}
		f := fs[r.IntN(len(fs))]
		if r.IntN(60) == 0 {
			f = []float64{math.Inf(1), math.Inf(-1), math.NaN()}[r.IntN(3)] // Marshal fails, and so must AppendJSON
		}
		v.SetFloat(f)
	case reflect.Map:
		if r.IntN(3) == 0 {
			return
		}
		m := reflect.MakeMap(v.Type())
		for range r.IntN(4) {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fillRandom(r, k, depth+1)
			fillRandom(r, e, depth+1)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Slice:
		if r.IntN(4) == 0 || depth > 1 && v.Type().Elem() == reflect.TypeFor[Decision]() {
			return // nil
		}
		s := reflect.MakeSlice(v.Type(), r.IntN(3), r.IntN(3)+3)
		for i := range s.Len() {
			fillRandom(r, s.Index(i), depth+1)
		}
		v.Set(s)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillRandom(r, v.Field(i), depth+1)
			}
		}
	default:
		panic("fill: " + v.Type().String())
	}
}

// TestAppendJSONIsMarshal: AppendJSON writes exactly what json.Marshal
// writes, and fails where it fails, on random decisions with every field
// set and on the decisions of the default policy.
func TestAppendJSONIsMarshal(t *testing.T) {
	check := func(d *Decision, what string) {
		want, werr := json.Marshal(d)
		got, gerr := d.AppendJSON(nil)
		require.Equal(t, werr == nil, gerr == nil, "%s: Marshal %v, AppendJSON %v", what, werr, gerr)
		if werr == nil {
			require.Equal(t, string(want), string(got), what)
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 5000 {
		var d Decision
		fillRandom(r, reflect.ValueOf(&d).Elem(), 0)
		check(&d, "random decision")
		_ = i
	}
	p := defaultPolicy(t)
	for seed := range uint64(300) {
		d, err := EvaluateAt(context.Background(), p, variedLead(int(seed%40), seed), t0)
		require.NoError(t, err)
		check(&d, "default policy")
	}
}

// FuzzAppendJSON holds AppendJSON to json.Marshal on decisions made of the
// fuzzer's strings, floats, times and enumeration values, nested in
// matches, failures, scores and product lines.
func FuzzAppendJSON(f *testing.F) {
	f.Add("L-1", "asked <for> a \u2028 price", 35.0, 1e21, int64(1795424400), int64(5), int32(3600), uint8(2), uint8(1), uint8(3))
	f.Add("\xff", "", math.SmallestNonzeroFloat64, math.Copysign(0, -1), int64(-62135596800), int64(0), int32(-17762), uint8(9), uint8(0), uint8(0))
	f.Add("", "\x00\x1f\"\\", 1e-7, 123456789.125, int64(253402300799), int64(999999999), int32(86399), uint8(0), uint8(4), uint8(5))
	f.Fuzz(func(t *testing.T, s1, s2 string, f1, f2 float64, sec, nsec int64, offset int32, e1, e2, e3 uint8) {
		at := time.Unix(sec, nsec).In(time.FixedZone(s2, int(offset)))
		d := Decision{Lead: s1, Line: s2, Verdict: Verdict(e1), Route: Route(e2), Fit: f1, Engagement: f2,
			Scores: map[Dimension]float64{Dimension(s1): f1, Dimension(s2): f2, "fit": 0}, Qualified: e3&1 == 1,
			Priority: Priority(e3), Reason: lead.Reason(s2), Deadline: at, OutsideHours: e1&1 == 1, NeedKind: lead.Kind(s1), NeedAt: at,
			Reopened: lead.Reason(s1), Note: s1 + s2, Stage: lead.Stage(e3), NextStage: lead.Stage(e1),
			Matched:  []Match{{Rule: s1, Reason: s2, Intent: lead.Intent(e2), Dimension: Dimension(s2), Points: f2, Disqualify: lead.Reason(s1)}, {}},
			Failures: []Failure{{Rule: s2, Field: "when", Error: s1}}, Unjudged: []Unjudged{{Rule: s1, Field: s2, Input: s1}},
			Policy: s2, Version: s1, At: at}
		if a, err := decimal.NewFromString(s1); err == nil && len(s1) < 40 {
			d.Value = lead.Money{Amount: a, Currency: lead.Currency(s2)}
		}
		if e1&2 == 0 {
			d.Matched, d.Failures, d.Unjudged, d.Scores = nil, []Failure{}, nil, map[Dimension]float64{}
		}
		if e2&2 == 0 {
			line := d
			d.Lines = []Decision{line, {Matched: []Match{}, At: at}}
		}
		want, werr := json.Marshal(&d)
		got, gerr := d.AppendJSON(nil)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("Marshal %v, AppendJSON %v", werr, gerr)
		}
		if werr == nil && string(want) != string(got) {
			t.Fatalf("Marshal:\n%s\nAppendJSON:\n%s", want, got)
		}
	})
}

func BenchmarkAppendJSON(b *testing.B) {
	d, err := EvaluateAt(context.Background(), defaultPolicy(b), benchLead(20, 3), t0)
	require.NoError(b, err)
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf, _ = d.AppendJSON(buf[:0])
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = json.Marshal(&d)
		}
	})
}
