package lead_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leadqual/leadqual/lead"
)

const week = 7 * day

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"30d", 30 * day},
		{"2w", 2 * week},
		{"1d12h", 36 * time.Hour},
		{"90m", 90 * time.Minute},
		{"36h", 36 * time.Hour},
		{"45s", 45 * time.Second},
		{"1w2d3h4m5s", week + 2*day + 3*time.Hour + 4*time.Minute + 5*time.Second},
		{"1d0h", day},
		{"007d", 7 * day},
		{"36500d", lead.MaxDuration},
		{"5214w2d", lead.MaxDuration},
		{"3153600000s", lead.MaxDuration},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := lead.ParseDuration(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseDurationRefuses(t *testing.T) {
	tests := []struct {
		name, in, msg string
	}{
		{"empty", "", `lead: duration "" is empty`},
		{"bare number", "1", `lead: duration "1" has the number 1 without a unit`},
		{"trailing number", "1d2", `has the number 2 without a unit`},
		{"zero", "0", `is zero; durations are positive`},
		{"zero days", "0d", `is zero; durations are positive`},
		{"zero parts", "0d0h0s", `is zero`},
		{"negative", "-3d", `is negative`},
		{"plus sign", "+3d", `does not start with a number`},
		{"dot after a unit", "1d.5h", `has the unknown unit "d."`},
		{"fraction", "1.5h", `has a fraction`},
		{"comma fraction", "1,5h", `has a fraction`},
		{"repeated unit", "1h1h", `has the unit h twice`},
		{"out of order", "1h1d", `has d after h; units go from the largest to the smallest`},
		{"unit only", "d", `does not start with a number`},
		{"unknown unit", "1y", `has the unknown unit "y"`},
		{"milliseconds", "90ms", `has the unknown unit "ms"`},
		{"Go form", "1h30m0.5s", `has a fraction`},
		{"word", "3days", `has the unknown unit "days"`},
		{"space", "1d 2h", `has the unknown unit "d "`},
		{"leading space", " 1d", `does not start with a number`},
		{"upper case", "1D", `has the unknown unit "D"`},
		{"over the maximum", "36500d1s", `is longer than the maximum, 36500d (100 years)`},
		{"huge number", "99999999999999999999999d", `is longer than the maximum`},
		{"huge weeks", "999999999w", `is longer than the maximum`},
		{"too long", "1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d", `is longer than 64 bytes`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := lead.ParseDuration(tt.in)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.msg)
			assert.Regexp(t, `^lead: duration "`, err.Error())
		})
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{30 * day, "30d"},
		{2 * week, "14d"},
		{36 * time.Hour, "1d12h"},
		{90 * time.Minute, "1h30m"},
		{week + time.Second, "7d1s"},
		{lead.MaxDuration, "36500d"},
		{lead.MaxDuration + time.Hour, "36500d1h"},
		{time.Second + 500*time.Millisecond, "1s"},
		{999 * time.Millisecond, ""},
		{0, ""},
		{-day, ""},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, lead.FormatDuration(tt.in))
			if tt.in >= time.Second && tt.in <= lead.MaxDuration {
				back, err := lead.ParseDuration(tt.want)
				require.NoError(t, err)
				assert.Equal(t, tt.in.Truncate(time.Second), back)
			}
		})
	}
}

func TestDurationJSON(t *testing.T) {
	type config struct {
		Window lead.Duration `json:"window,omitempty"`
	}
	b, err := json.Marshal(config{Window: lead.Duration(36 * time.Hour)})
	require.NoError(t, err)
	assert.JSONEq(t, `{"window":"1d12h"}`, string(b))

	b, err = json.Marshal(config{})
	require.NoError(t, err)
	assert.JSONEq(t, `{}`, string(b), "an unset duration is left out")

	var c config
	require.NoError(t, json.Unmarshal([]byte(`{"window":"2w"}`), &c))
	assert.Equal(t, lead.Duration(2*week), c.Window)
	assert.Equal(t, "14d", c.Window.String())

	for _, bad := range []string{`{"window":""}`, `{"window":"1h1h"}`, `{"window":-5}`, `{"window":"0d"}`} {
		c := config{Window: lead.Duration(time.Hour)}
		assert.Error(t, json.Unmarshal([]byte(bad), &c), bad)
		assert.Equal(t, lead.Duration(time.Hour), c.Window, "unchanged on error: %s", bad)
	}

	for _, bad := range []time.Duration{-time.Hour, lead.MaxDuration + time.Second, time.Hour + time.Millisecond} {
		_, err := lead.Duration(bad).MarshalText()
		assert.Error(t, err, bad)
	}
	_, err = json.Marshal(struct{ D lead.Duration }{})
	assert.ErrorContains(t, err, "leave an unset duration out")
}

// FuzzParseDuration: nothing panics; a duration that parses is in range and
// formats to a text that parses back to it.
//
// The seed corpus is testdata/fuzz/FuzzParseDuration; to fuzz:
// go test -run '^$' -fuzz FuzzParseDuration ./lead
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30d", "2w", "1d12h", "90m", "1w2d3h4m5s", "36500d", "0", "1h1h", "1.5h", "-3d", "", "1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := lead.ParseDuration(s)
		if err != nil {
			if d != 0 {
				t.Fatalf("ParseDuration(%q) = %v with error %v", s, d, err)
			}
			return
		}
		if d <= 0 || d > lead.MaxDuration || d%time.Second != 0 {
			t.Fatalf("ParseDuration(%q) = %v, out of range", s, d)
		}
		text := lead.FormatDuration(d)
		back, err := lead.ParseDuration(text)
		if err != nil || back != d {
			t.Fatalf("ParseDuration(%q) = %v; formatted %q, read back as %v, %v", s, d, text, back, err)
		}
		if again := lead.FormatDuration(back); again != text {
			t.Fatalf("FormatDuration is not canonical: %q then %q", text, again)
		}
		var ld lead.Duration
		if b, err := lead.Duration(d).MarshalText(); err != nil || ld.UnmarshalText(b) != nil || ld != lead.Duration(d) {
			t.Fatalf("Duration(%v) does not round-trip through its text form %q: %v", d, b, err)
		}
	})
}
