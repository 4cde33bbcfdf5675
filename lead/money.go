package lead

import (
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/leadqual/leadqual/internal/enum"
	"github.com/shopspring/decimal"
)

// Currency is an ISO 4217 alphabetic currency code such as "GBP".
type Currency string

// iso4217 lists the active ISO 4217 codes (funds and precious metals
// included; XTS and XXX, the codes for testing and "no currency", are not).
const iso4217 = "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL " +
	"BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP " +
	"DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR " +
	"IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD " +
	"MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB " +
	"PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP " +
	"STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED " +
	"VES VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XUA YER ZAR " +
	"ZMW ZWG"

// Valid reports whether c is an active ISO 4217 code. Codes are upper case:
// "gbp" is not valid.
func (c Currency) Valid() bool { return inCodeTable(iso4217, 3, string(c)) }

// inCodeTable reports whether code is one of the codes of table, a sorted
// list of upper-case codes of n letters separated by single spaces, so that
// the i-th code starts at byte i*(n+1).
func inCodeTable(table string, n int, code string) bool {
	if len(code) != n {
		return false
	}
	for i := 0; i < n; i++ {
		if code[i] < 'A' || code[i] > 'Z' {
			return false
		}
	}
	lo, hi := 0, (len(table)+1)/(n+1)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch c := table[m*(n+1) : m*(n+1)+n]; {
		case c == code:
			return true
		case c < code:
			lo = m + 1
		default:
			hi = m
		}
	}
	return false
}

// Scan implements sql.Scanner. On error c is left unchanged.
func (c *Currency) Scan(src any) error { return scanInto(c, scanString[Currency]("currency"), src) }

// Value implements driver.Valuer.
func (c Currency) Value() (driver.Value, error) { return string(c), nil }

// Money is an exact decimal amount in a currency.
//
// The zero value is an unknown amount: no currency and no amount, as when a
// prospect has not said what their budget is. [Money.Known] tells it from a
// stated amount, which always has a currency (0 GBP is known). Amounts in
// different currencies are never compared or added: [Money.Cmp] and
// [Money.Add] return ErrCurrencyMismatch instead of guessing a rate.
//
// The JSON form keeps the amount as a string so that no precision is lost
// and the scale is kept: {"amount":"50000.00","currency":"GBP"}.
type Money struct {
	Amount   decimal.Decimal
	Currency Currency
}

// Errors returned by Money's arithmetic.
var (
	// ErrCurrencyMismatch: the two amounts are in different currencies.
	ErrCurrencyMismatch = errors.New("currency mismatch")
	// ErrUnknownAmount: one of the amounts is the zero Money.
	ErrUnknownAmount = errors.New("amount unknown")
)

// NewMoney returns amount in currency c. It panics only if c is not a valid
// code; use [ParseMoney] for input.
func NewMoney(amount decimal.Decimal, c Currency) Money {
	if !c.Valid() {
		panic(fmt.Sprintf("lead.NewMoney: %q is not an ISO 4217 code", string(c)))
	}
	return Money{Amount: amount, Currency: c}
}

// ParseMoney returns the amount written in decimal notation ("50000.00")
// in currency c, keeping the scale as written.
func ParseMoney(amount string, c Currency) (Money, error) {
	if !c.Valid() {
		return Money{}, fmt.Errorf("lead: currency %q is not an ISO 4217 code", string(c))
	}
	d, problem := parseAmount(amount)
	if problem != "" {
		return Money{}, errors.New("lead: amount " + problem)
	}
	return Money{Amount: d, Currency: c}, nil
}

// MustParseMoney is ParseMoney for constants in programs and tests; it
// panics on bad input.
func MustParseMoney(amount string, c Currency) Money {
	m, err := ParseMoney(amount, c)
	if err != nil {
		panic(err)
	}
	return m
}

// maxAmountDigits bounds the digits of an amount so that a hostile input
// cannot make decimal arithmetic slow.
const maxAmountDigits = 40

// parseAmount reads an amount, or returns a phrase that says what is wrong
// with it.
func parseAmount(s string) (decimal.Decimal, string) {
	if len(s) > maxAmountDigits+2 {
		return decimal.Decimal{}, fmt.Sprintf("has more than %d digits", maxAmountDigits)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c == '.' || (c == '-' || c == '+') && i == 0) {
			return decimal.Decimal{}, fmt.Sprintf("%q is not a decimal number", s)
		}
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, fmt.Sprintf("%q is not a decimal number", s)
	}
	return d, ""
}

// Known reports whether m is a stated amount rather than the zero Money.
func (m Money) Known() bool { return m.Currency != "" }

// IsZero reports whether m is the zero Money, the unknown amount. It is what
// the JSON option omitzero consults; 0 GBP is not zero in this sense.
func (m Money) IsZero() bool { return m.Currency == "" && m.Amount.IsZero() }

// IsNegative reports whether the amount is below zero.
func (m Money) IsNegative() bool { return m.Amount.IsNegative() }

func (m Money) check(o Money) error {
	if !m.Known() || !o.Known() {
		return fmt.Errorf("%w: cannot compare %s with %s", ErrUnknownAmount, m, o)
	}
	if m.Currency != o.Currency {
		return fmt.Errorf("%w: %s and %s", ErrCurrencyMismatch, m, o)
	}
	return nil
}

// Cmp compares m and o exactly, whatever their scale (25000.00 GBP equals
// 25000 GBP): -1 if m < o, 0 if equal, +1 if m > o. Different currencies, or
// an unknown amount, are an error.
func (m Money) Cmp(o Money) (int, error) {
	if err := m.check(o); err != nil {
		return 0, err
	}
	return m.Amount.Cmp(o.Amount), nil
}

// Equal reports whether m and o are the same amount in the same currency.
// Unlike Cmp it never fails: different currencies are simply not equal,
// and two unknown amounts are equal.
func (m Money) Equal(o Money) bool {
	return m.Currency == o.Currency && m.Amount.Equal(o.Amount)
}

// Add returns m + o, in their common currency.
func (m Money) Add(o Money) (Money, error) {
	if err := m.check(o); err != nil {
		return Money{}, err
	}
	return Money{Amount: m.Amount.Add(o.Amount), Currency: m.Currency}, nil
}

// Sub returns m - o, in their common currency.
func (m Money) Sub(o Money) (Money, error) {
	if err := m.check(o); err != nil {
		return Money{}, err
	}
	return Money{Amount: m.Amount.Sub(o.Amount), Currency: m.Currency}, nil
}

// amountString writes the amount with the scale it was given.
func (m Money) amountString() string {
	if e := m.Amount.Exponent(); e < 0 {
		return m.Amount.StringFixed(-e)
	}
	return m.Amount.String()
}

// String returns "50000.00 GBP", or "unknown" for the zero Money. An
// amount without a currency, which only a program can make, is written as
// "50000.00 (no currency)".
func (m Money) String() string {
	switch {
	case m.IsZero():
		return "unknown"
	case m.Currency == "":
		return m.amountString() + " (no currency)"
	}
	return m.amountString() + " " + string(m.Currency)
}

type moneyJSON struct {
	Amount   string   `json:"amount"`
	Currency Currency `json:"currency"`
}

// MarshalJSON writes {"amount":"50000.00","currency":"GBP"}; the zero Money
// is null.
func (m Money) MarshalJSON() ([]byte, error) {
	if m.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(moneyJSON{Amount: m.amountString(), Currency: m.Currency})
}

// UnmarshalJSON reads the form MarshalJSON writes, and null as the zero
// Money. The amount must be a string or a JSON number in plain decimal
// notation (50000.00, not 5e4) of at most 40 digits; unknown fields and a
// missing amount or currency are errors. Whether the currency is an ISO 4217
// code is checked by [Lead.Validate], so that every problem of a lead is
// reported at once. An error is a *FieldError whose Path is relative to the
// money ("amount", "currency"): a decoder that knows where the money is
// puts it in front.
func (m *Money) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*m = Money{}
		return nil
	}
	// Two known keys, matched without regard to case as encoding/json
	// matches struct fields; anything else is refused.
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return &FieldError{Problem: `want an object such as {"amount": "50000.00", "currency": "GBP"}`, Err: err}
	}
	var amount, currency json.RawMessage
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		switch {
		case strings.EqualFold(k, "amount"):
			amount = fields[k]
		case strings.EqualFold(k, "currency"):
			currency = fields[k]
		default:
			return &FieldError{Path: k, Problem: "unknown field"}
		}
	}
	var text string
	switch {
	case len(amount) == 0 || bytes.Equal(amount, []byte("null")):
		return &FieldError{Path: "amount", Problem: "missing"}
	case amount[0] == '"':
		if err := json.Unmarshal(amount, &text); err != nil {
			return &FieldError{Path: "amount", Problem: err.Error(), Err: err}
		}
	case amount[0] == '-' || amount[0] >= '0' && amount[0] <= '9':
		text = string(amount)
	default:
		return &FieldError{Path: "amount", Problem: "want a decimal number or a string, got " + jsonKind(amount)}
	}
	d, problem := parseAmount(text)
	if problem != "" {
		return &FieldError{Path: "amount", Problem: problem}
	}
	var c Currency
	if len(currency) > 0 && !bytes.Equal(currency, []byte("null")) {
		if currency[0] != '"' {
			return &FieldError{Path: "currency", Problem: "want a string, got " + jsonKind(currency)}
		}
		if err := json.Unmarshal(currency, &c); err != nil {
			return &FieldError{Path: "currency", Problem: err.Error(), Err: err}
		}
	}
	if c == "" {
		return &FieldError{Path: "currency", Problem: "missing"}
	}
	*m = Money{Amount: d, Currency: c}
	return nil
}

// jsonKind names the kind of a JSON value for an error message.
func jsonKind(v json.RawMessage) string {
	switch v[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	}
	return "a number"
}

// Value implements driver.Valuer: "50000.00 GBP", or NULL for the zero Money.
// A Money whose currency is not an ISO 4217 code is an error, so that
// nothing is stored that Scan could not read back.
func (m Money) Value() (driver.Value, error) {
	if m.IsZero() {
		return nil, nil
	}
	if !m.Currency.Valid() {
		return nil, fmt.Errorf("lead: currency %q is not an ISO 4217 code", string(m.Currency))
	}
	return m.String(), nil
}

// Scan implements sql.Scanner for the form Value writes; NULL is the zero
// Money. On error m is left unchanged.
func (m *Money) Scan(src any) error {
	if src == nil {
		*m = Money{}
		return nil
	}
	s, err := enum.ScanString("money", src)
	if err != nil {
		return err
	}
	amount, cur, ok := strings.Cut(s, " ")
	if !ok {
		return fmt.Errorf("lead: money %q is not of the form \"50000.00 GBP\"", s)
	}
	v, err := ParseMoney(amount, Currency(cur))
	if err != nil {
		return err
	}
	*m = v
	return nil
}
