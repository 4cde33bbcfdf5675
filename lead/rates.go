package lead

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/shopspring/decimal"
)

// ErrNoRate: a [Rates] has no rate for the currency of an amount.
var ErrNoRate = errors.New("no exchange rate")

// Rates converts amounts into one currency at rates the host supplies:
// the library never guesses a rate, and amounts in different currencies
// are only ever compared after a host's Rates converted them. The zero
// Rates converts nothing; Rates{Base: "GBP"} converts only amounts already
// in pounds.
//
// A Rates is plain data; it is safe for concurrent use as long as no one
// writes its map.
type Rates struct {
	// Base is the currency amounts are converted into.
	Base Currency `json:"base"`
	// Rates gives, per currency, the value of one unit of it in Base:
	// with Base "GBP", {"EUR": 0.85} converts 100 EUR to 85 GBP. Base
	// itself needs no rate. Every rate is positive.
	Rates map[Currency]decimal.Decimal `json:"rates,omitempty"`
}

// Validate reports every problem of r as *[FieldError] values joined with
// errors.Join, each naming the field ("base", "rates.EUR"); nil when r is
// valid.
func (r Rates) Validate() error {
	var c problemList
	if !r.Base.Valid() {
		c.add("base", "%q is not an ISO 4217 code", clipText(string(r.Base), 16))
	}
	for _, cur := range slices.Sorted(maps.Keys(r.Rates)) {
		path := "rates." + clipText(string(cur), 16)
		switch rate := r.Rates[cur]; {
		case !cur.Valid():
			c.add(path, "%q is not an ISO 4217 code", clipText(string(cur), 16))
		case !rate.IsPositive():
			c.add(path, "rate %s is not positive", rate)
		case rate.NumDigits() > maxAmountDigits:
			c.add(path, "rate has more than %d digits", maxAmountDigits)
		}
	}
	return c.err()
}

// Convert returns m in r.Base: m itself when it is in Base, else its
// amount times the rate of its currency, exactly. An unknown amount is
// ErrUnknownAmount, a currency without a rate ErrNoRate (the error also
// matches ErrCurrencyMismatch).
func (r Rates) Convert(m Money) (Money, error) {
	switch {
	case !m.Known():
		return Money{}, fmt.Errorf("%w: cannot convert %s", ErrUnknownAmount, m)
	case m.Currency == r.Base:
		return m, nil
	}
	rate, ok := r.Rates[m.Currency]
	if !ok || !rate.IsPositive() || r.Base == "" {
		return Money{}, fmt.Errorf("%w from %s to %s: %w", ErrNoRate, m.Currency, cmp.Or(string(r.Base), "no base currency"), ErrCurrencyMismatch)
	}
	return Money{Amount: m.Amount.Mul(rate), Currency: r.Base}, nil
}
