package qualify

import "slices"

// linear is k0 + Σ k·ints[pos]: an int expression over slots (counts,
// bounded by the lead's collections, below 2^32) and small constants, so
// that no sum of its terms can overflow and it runs unchecked, in one
// closure, whatever the number of counts it adds up.
type linear struct {
	k0    int
	terms []linTerm
}

type linTerm struct{ pos, k int }

// The bounds of a linear form: with at most maxTerms terms, coefficients
// within maxLinearCoef and a constant within maxLinearConst, its value
// stays below 2^58 in magnitude.
const (
	maxTerms       = 32
	maxLinearCoef  = 1 << 20
	maxLinearConst = 1 << 40
)

// combine returns a op b for op +, - or * (by a constant), or nil when it
// is not linear within the bounds.
func combine(op string, a, b *linear) *linear {
	if a == nil || b == nil {
		return nil
	}
	scale := func(x *linear, k int) *linear {
		out := &linear{k0: x.k0 * k}
		for _, t := range x.terms {
			out.terms = append(out.terms, linTerm{t.pos, t.k * k})
		}
		return out
	}
	var out *linear
	switch op {
	case "+", "-":
		sign := 1
		if op == "-" {
			sign = -1
		}
		out = &linear{k0: a.k0 + sign*b.k0, terms: slices.Clone(a.terms)}
		for _, t := range b.terms {
			out.terms = append(out.terms, linTerm{t.pos, sign * t.k})
		}
	case "*":
		switch {
		case len(a.terms) == 0 && abs(a.k0) <= maxLinearCoef:
			out = scale(b, a.k0)
		case len(b.terms) == 0 && abs(b.k0) <= maxLinearCoef:
			out = scale(a, b.k0)
		default:
			return nil
		}
	default:
		return nil
	}
	if len(out.terms) > maxTerms || abs(out.k0) > maxLinearConst {
		return nil
	}
	for _, t := range out.terms {
		if abs(t.k) > maxLinearCoef {
			return nil
		}
	}
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// eval returns the form as one closure.
func (x *linear) eval() func(*state) int {
	k0, terms := x.k0, x.terms
	if len(terms) == 0 {
		return func(*state) int { return k0 }
	}
	return func(st *state) int {
		v := k0
		for _, t := range terms {
			v += t.k * st.ints[t.pos]
		}
		return v
	}
}

// compare compares the form with a constant in one closure. The form is
// summed from k0 (it stays within its bounds) rather than c moved across
// by k0: c - k0 overflows for a c near the ends of the int range.
func (x *linear) compare(op string, c int) func(*state) bool {
	k0, terms := x.k0, x.terms
	var code int
	switch op {
	case "==":
		code = 0
	case "!=":
		code = 1
	case "<":
		code = 2
	case "<=":
		code = 3
	case ">":
		code = 4
	case ">=":
		code = 5
	}
	return func(st *state) bool {
		v := k0
		for _, t := range terms {
			v += t.k * st.ints[t.pos]
		}
		switch code {
		case 0:
			return v == c
		case 1:
			return v != c
		case 2:
			return v < c
		case 3:
			return v <= c
		case 4:
			return v > c
		}
		return v >= c
	}
}
