package recycle

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{in: "0", want: 0},
		{in: "90d", want: 90 * Day},
		{in: "2w", want: 2 * Week},
		{in: "36h", want: 36 * time.Hour},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "1w2d3h4m5s", want: Week + 2*Day + 3*time.Hour + 4*time.Minute + 5*time.Second},
		{in: "45m", want: 45 * time.Minute},
		{in: "0d", want: 0},
		{in: "", err: "empty duration"},
		{in: "d", err: "want a number"},
		{in: "90", err: "unknown or missing unit"},
		{in: "90x", err: "unknown or missing unit"},
		{in: "1h1d", err: "largest to the smallest"},
		{in: "1d1d", err: "largest to the smallest"},
		{in: "-1d", err: "want a number"},
		{in: "1.5d", err: "unknown or missing unit"},
		{in: "1234567890d", err: "1 to 9 digits"},
		{in: "999999999w", err: "more than 100 years"},
		{in: "36500d1h", err: "more than 100 years"},
		{in: "1d ", err: "want a number"},
		{in: "100000000000000000000000000000000000d", err: "too long"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseDuration(tc.in)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                            "0",
		time.Millisecond:             "0",
		90 * Day:                     "90d",
		36 * time.Hour:               "1d12h",
		Week + time.Second:           "7d1s",
		2*time.Hour + 30*time.Minute: "2h30m",
		maxDuration:                  "36500d",
	} {
		assert.Equal(t, want, formatDuration(d))
		back, err := parseDuration(want)
		require.NoError(t, err)
		assert.Equal(t, d.Truncate(time.Second), back)
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"0", "90d", "1w2d3h4m5s", "36h", "1d1d", "999999999w", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDuration(s)
		if err != nil {
			return
		}
		if d < 0 || d > maxDuration {
			t.Fatalf("parseDuration(%q) = %s, out of range", s, d)
		}
		back, err := parseDuration(formatDuration(d))
		if err != nil || back != d {
			t.Fatalf("parseDuration(%q) = %s; formatted %q reads back as %s, %v", s, d, formatDuration(d), back, err)
		}
	})
}
