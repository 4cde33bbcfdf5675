package qualify

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestFillReason: the one-pass fill answers what strings.NewReplacer does,
// a description holding a placeholder included.
func TestFillReason(t *testing.T) {
	for _, tc := range []struct{ reason, need, interest string }{
		{"{need}", "asked for a price", "read a white paper"},
		{"flagged hot: {need}", "asked for a price", ""},
		{"{interest} then {need} then {interest}", "N", "I"},
		{"no placeholder", "N", "I"},
		{"{", "N", "I"},
		{"{{need}}", "N", "I"},
		{"{nee{need}", "N", "I"},
		{"{need", "N", "I"},
		{"{need}", "says {interest}", "I"},
		{"", "N", "I"},
		{"héllo {interest} ünïcode", "N", "ïnterest"},
	} {
		want := strings.NewReplacer(placeholderNeed, tc.need, placeholderInterest, tc.interest).Replace(tc.reason)
		assert.Equal(t, want, fillReason(tc.reason, tc.need, tc.interest), "%q", tc.reason)
	}
}

func FuzzFillReason(f *testing.F) {
	f.Add("{need} and {interest}", "N", "I")
	f.Add("{{need}", "{interest}", "{need}")
	f.Fuzz(func(t *testing.T, reason, need, interest string) {
		want := strings.NewReplacer(placeholderNeed, need, placeholderInterest, interest).Replace(reason)
		if got := fillReason(reason, need, interest); got != want {
			t.Fatalf("fillReason(%q, %q, %q) = %q, want %q", reason, need, interest, got, want)
		}
	})
}
