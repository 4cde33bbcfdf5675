package ingest

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/leadqual/leadqual/lead"
)

// defaultMissing are the cell texts that mean "no value", whatever the
// column: what spreadsheets, databases and report tools write for an empty
// field. Matched ignoring case and surrounding spaces; the mapping's
// missing: setting replaces them.
var defaultMissing = []string{"", "n/a", "#n/a", "null", "(null)", "nil", "none", "-", "--", "—"}

// isMissing reports whether cell (trimmed) is one of the markers. longest
// is missingBound(markers): a longer cell, the common case, is answered
// without comparing.
func isMissing(cell string, markers []string, longest int) bool {
	if cell == "" {
		return true
	}
	if len(cell) > longest {
		return false
	}
	for _, m := range markers {
		if strings.EqualFold(cell, m) {
			return true
		}
	}
	return false
}

// missingBound is the most bytes a cell can have and still equal one of
// markers ignoring case: each rune counted at the longest of the runes it
// folds to ("k" may be written as the Kelvin sign, in three bytes).
func missingBound(markers []string) int {
	n := 0
	for _, m := range markers {
		l := 0
		for _, r := range m {
			w := utf8.RuneLen(r)
			for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
				w = max(w, utf8.RuneLen(f))
			}
			l += max(w, 1)
		}
		n = max(n, l)
	}
	return n
}

// parseBool reads true/false, yes/no, y/n, t/f, 1/0, on/off, and x or ✓
// for a ticked box, ignoring case.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true", "t", "yes", "y", "1", "on", "x", "✓", "✔", "checked":
		return true, nil
	case "false", "f", "no", "n", "0", "off", "unchecked":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false (true/false, yes/no, 1/0)", s)
}

// numberFormat is how a column writes numbers: its thousands separator (0
// for none; ' ' also matches a no-break space and an apostrophe matches
// the Swiss ’) and its decimal mark.
type numberFormat struct {
	thousands, decimal rune
}

var defaultNumbers = numberFormat{thousands: ',', decimal: '.'}

func (nf numberFormat) isThousands(r rune) bool {
	switch nf.thousands {
	case 0:
		return false
	case ' ':
		return r == ' ' || r == '\u00A0' || r == '\u202F'
	case '\'':
		return r == '\'' || r == '’'
	}
	return r == nf.thousands
}

// canonical returns the number s, written with nf's separators, as plain
// decimal text ("-1098.5"): a sign, digits grouped by three when grouped
// at all, a decimal mark and digits. "1,5" with a thousands comma is an
// error, not 15.
func (nf numberFormat) canonical(s string) (string, error) {
	if nf.decimal == '.' && plainNumber(s) {
		return s, nil // the common case, without a copy
	}
	var b strings.Builder
	b.Grow(len(s))
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		if s[i] == '-' {
			b.WriteByte('-')
		}
		i++
	}
	group, groups, intDigits, grouped := 0, 0, 0, false
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r >= '0' && r <= '9':
			b.WriteByte(byte(r))
			group++
			intDigits++
		case nf.isThousands(r):
			if intDigits == 0 || (groups == 0 && group > 3) || (groups > 0 && group != 3) {
				return "", nf.notNumber(s)
			}
			grouped = true
			groups++
			group = 0
		case r == nf.decimal:
			goto frac
		default:
			return "", nf.notNumber(s)
		}
		i += size
	}
	if intDigits == 0 || grouped && group != 3 {
		return "", nf.notNumber(s)
	}
	return b.String(), nil
frac:
	if intDigits == 0 || grouped && group != 3 {
		return "", nf.notNumber(s)
	}
	i += utf8.RuneLen(nf.decimal)
	b.WriteByte('.')
	fracDigits := 0
	for ; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", nf.notNumber(s)
		}
		b.WriteByte(s[i])
		fracDigits++
	}
	if fracDigits == 0 {
		return "", nf.notNumber(s)
	}
	return b.String(), nil
}

// plainNumber reports whether s is digits with at most one '.' between
// digits: already canonical.
func plainNumber(s string) bool {
	dot := -1
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
		case c == '.' && dot < 0 && i > 0 && i < len(s)-1:
			dot = i
		default:
			return false
		}
	}
	return len(s) > 0
}

func (nf numberFormat) notNumber(s string) error {
	example := "1098.50"
	switch {
	case nf.thousands != 0:
		example = fmt.Sprintf("1%c098%c50", nf.thousands, nf.decimal)
	case nf.decimal != '.':
		example = fmt.Sprintf("1098%c50", nf.decimal)
	}
	return fmt.Errorf("%q is not a number (written like %s)", s, example)
}

// symbols are the currency signs that name one currency. The dollar and
// the yen sign name several, and are accepted only where the currency is
// known otherwise.
var symbols = map[string]lead.Currency{"£": "GBP", "€": "EUR", "₹": "INR", "₩": "KRW", "₪": "ILS", "₺": "TRY", "₫": "VND", "₱": "PHP", "₴": "UAH"}

// splitMoney separates an amount from a currency written before or after
// it ("50000.00 GBP", "GBP 50000", "£50,000", "1.098,50 €"). cur is the
// ISO code when one was written or a sign names one; sign is a sign that
// names none ($, ¥).
func splitMoney(s string) (amount string, cur lead.Currency, sign string) {
	s = strings.TrimSpace(s)
	// An ISO code before or after.
	if len(s) > 4 && s[3] == ' ' && isUpper3(s[:3]) {
		return strings.TrimSpace(s[4:]), lead.Currency(s[:3]), ""
	}
	if n := len(s); n > 4 && s[n-4] == ' ' && isUpper3(s[n-3:]) {
		return strings.TrimSpace(s[:n-4]), lead.Currency(s[n-3:]), ""
	}
	// A sign before or after (after a minus, too: -£50).
	neg := ""
	if strings.HasPrefix(s, "-") {
		neg, s = "-", s[1:]
	}
	r, size := utf8.DecodeRuneInString(s)
	rest := s[size:]
	if !isSign(r) {
		r, size = utf8.DecodeLastRuneInString(s)
		rest = s[:len(s)-size]
	}
	if c, ok := symbols[string(r)]; ok {
		return neg + strings.TrimSpace(rest), c, ""
	}
	if r == '$' || r == '¥' {
		return neg + strings.TrimSpace(rest), "", string(r)
	}
	return neg + s, "", ""
}

func isSign(r rune) bool {
	_, ok := symbols[string(r)]
	return ok || r == '$' || r == '¥'
}

func isUpper3(s string) bool {
	return len(s) == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' && s[2] >= 'A' && s[2] <= 'Z'
}
