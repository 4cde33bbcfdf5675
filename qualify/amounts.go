package qualify

import (
	"cmp"
	"math"

	"github.com/leadqual/leadqual/lead"
)

// cmpAmounts compares two known amounts of one currency exactly, whatever
// their scale, as decimal.Decimal.Cmp does; for amounts of up to 18 digits
// (all the money a lead states) it compares integers and allocates
// nothing.
func cmpAmounts(x, y *lead.Money) int {
	a, b := x.Amount, y.Amount
	if a.NumDigits() <= 18 && b.NumDigits() <= 18 {
		ca, cb := a.CoefficientInt64(), b.CoefficientInt64()
		ea, eb := a.Exponent(), b.Exponent()
		ok := true
		switch {
		case ea > eb:
			ca, ok = scale10(ca, int64(ea)-int64(eb))
		case eb > ea:
			cb, ok = scale10(cb, int64(eb)-int64(ea))
		}
		if ok {
			return cmp.Compare(ca, cb)
		}
	}
	return a.Cmp(b)
}

// scale10 returns c × 10^n, or false when it does not fit in an int64.
func scale10(c, n int64) (int64, bool) {
	if c == 0 {
		return 0, true
	}
	if n > 18 {
		return 0, false
	}
	p := int64(1)
	for range n {
		p *= 10
	}
	if c > math.MaxInt64/p || c < math.MinInt64/p {
		return 0, false
	}
	return c * p, true
}
