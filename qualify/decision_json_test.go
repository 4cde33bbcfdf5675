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
		switch r.IntN(8) {
		case 0:
			v.Set(reflect.ValueOf(time.Time{}))
		case 1:
			v.Set(reflect.ValueOf(time.Date(10001, 1, 1, 0, 0, 0, 0, time.UTC)))
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
				m.Currency = "<&>" // not a code, but the decision holds what the lead said
			}
		}
		v.Set(reflect.ValueOf(m))
		return
	}
	switch v.Kind() {
	case reflect.String:
		pieces := []string{"", "a", "need", "\"", "\\", "\n\t\r\b\f", "\x01\x1f", "<script>&", "é", "\u2028\u2029", "\xff\xfe", "日本", "\x7f"}
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
		fs := []float64{0, math.Copysign(0, -1), 1, -1, 25, 0.5, 1e-7, 1e-6, 123456789.125, 1e20, 1e21, 1.5e300, -3e-9, r.NormFloat64() * 1e3}
		f := fs[r.IntN(len(fs))]
		if r.IntN(60) == 0 {
			f = math.Inf(1)
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
