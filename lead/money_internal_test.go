package lead

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkCodeTable checks what inCodeTable's binary search relies on: the
// table is sorted, has no duplicates, and has one code of width letters
// every width+1 bytes, separated by single spaces.
func checkCodeTable(t *testing.T, table string, width int) []string {
	t.Helper()
	require.Zero(t, (len(table)+1)%(width+1), "the table's length is a whole number of codes")
	codes := strings.Split(table, " ")
	require.Len(t, codes, (len(table)+1)/(width+1))
	for i, c := range codes {
		require.Len(t, c, width, "code %d, %q", i, c)
		assert.Equal(t, c, table[i*(width+1):i*(width+1)+width], "code %d is not at byte %d", i, i*(width+1))
		for _, r := range c {
			require.True(t, r >= 'A' && r <= 'Z', "code %q has %q", c, r)
		}
		if i > 0 {
			require.Less(t, codes[i-1], c, "the table is not sorted, or has a duplicate, at %q", c)
		}
	}
	return codes
}

func TestISO4217Table(t *testing.T) {
	codes := checkCodeTable(t, iso4217, 3)
	for _, c := range codes {
		assert.True(t, Currency(c).Valid(), c)
		assert.False(t, Currency(strings.ToLower(c)).Valid(), "lower case %s", c)
		assert.False(t, Currency(c[:2]).Valid(), "a prefix of %s", c)
		assert.False(t, Currency(c+"X").Valid(), "%s and a letter more", c)
	}
	// Codes between, before and after the table's codes are refused.
	valid := map[string]bool{}
	for _, c := range codes {
		valid[c] = true
	}
	var n int
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			for c := 'A'; c <= 'Z'; c++ {
				code := string([]rune{a, b, c})
				assert.Equal(t, valid[code], Currency(code).Valid(), code)
				if Currency(code).Valid() {
					n++
				}
			}
		}
	}
	assert.Equal(t, len(codes), n)
	// The codes the table means to leave out, and some it must not hold.
	for _, c := range []Currency{"XTS", "XXX", "GPB", "UKP", "EUR ", " EUR", "Eur", "", "€", "HRK", "ZWL"} {
		assert.False(t, c.Valid(), "%q", string(c))
	}
	for _, c := range []Currency{"AED", "ZWG", "GBP", "EUR", "USD", "JPY", "CHF", "XAU"} {
		assert.True(t, c.Valid(), "%q", string(c))
	}
}

func TestISO3166Table(t *testing.T) {
	codes := checkCodeTable(t, iso3166, 2)
	assert.Len(t, codes, 249, "ISO 3166-1 assigns 249 alpha-2 codes")
	for _, c := range codes {
		assert.True(t, inCodeTable(iso3166, 2, c), c)
		assert.False(t, inCodeTable(iso3166, 2, strings.ToLower(c)), c)
	}
	for _, c := range []string{"UK", "EU", "XK", "ZZ", "AA", "", "G", "GBR", "gb", "Gb"} {
		assert.False(t, inCodeTable(iso3166, 2, c), "%q", c)
	}
}

func TestInCodeTable(t *testing.T) {
	tests := []struct {
		table string
		n     int
		code  string
		want  bool
	}{
		{"AAA", 3, "AAA", true},
		{"AAA", 3, "AAB", false},
		{"AAA BBB", 3, "BBB", true},
		{"AAA BBB", 3, "AAA", true},
		{"AAA BBB", 3, "ABB", false},
		{"AAA BBB CCC", 3, "CCC", true},
		{"AAA BBB CCC", 3, "DDD", false},
		{"AAA BBB CCC", 3, "000", false},
		{"AAA BBB CCC", 3, "A", false},
		{"AAA BBB CCC", 3, "", false},
		{"AAA BBB CCC", 3, "AAA BBB", false},
		{"AAA BBB CCC", 3, "AAAA", false},
		{"", 3, "AAA", false},
		{"AB CD", 2, "CD", true},
		{"AB CD", 2, "AB C", false},
		{"AB CD", 2, "A", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, inCodeTable(tt.table, tt.n, tt.code), "%q in %q", tt.code, tt.table)
	}
	// Codes of any other length are refused without a look at the table,
	// whose bytes at other strides are not sorted.
	for _, c := range []string{"A", "D", "Z", "AE", "AED ", "AEDA"} {
		assert.False(t, Currency(c).Valid(), "%q", c)
	}
	for _, c := range []string{"A", "D", "Z", "ADA", "AD ", "ADAE"} {
		assert.False(t, inCodeTable(iso3166, 2, c), "%q", c)
	}
	for a := 'A'; a <= 'Z'; a++ {
		assert.False(t, Currency(string(a)).Valid(), "%c", a)
		assert.False(t, inCodeTable(iso3166, 2, string(a)), "%c", a)
	}
}
