package lead_test

import (
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leadqual/leadqual/lead"
)

func gbp(s string) lead.Money { return lead.MustParseMoney(s, "GBP") }

// Money implements the interfaces a host relies on.
var (
	_ json.Marshaler   = lead.Money{}
	_ json.Unmarshaler = (*lead.Money)(nil)
	_ driver.Valuer    = lead.Money{}
	_ sql.Scanner      = (*lead.Money)(nil)
)

func TestMoneyCmp(t *testing.T) {
	tests := []struct {
		name string
		a, b lead.Money
		want int
	}{
		{"equal, different scales", gbp("25000.00"), gbp("25000"), 0},
		{"equal, different scales reversed", gbp("25000"), gbp("25000.000"), 0},
		{"equal zeros", gbp("0.00"), gbp("-0"), 0},
		{"less by a penny", gbp("24999.99"), gbp("25000"), -1},
		{"more by a tiny fraction", gbp("25000.0000000001"), gbp("25000"), 1},
		{"negative", gbp("-1"), gbp("0"), -1},
		{"beyond float64 precision", gbp("12345678901234567890.01"), gbp("12345678901234567890.02"), -1},
		{"zero GBP is an amount", gbp("0"), gbp("0.01"), -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.a.Cmp(tt.b)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			back, err := tt.b.Cmp(tt.a)
			require.NoError(t, err)
			assert.Equal(t, -tt.want, back, "Cmp is antisymmetric")
			assert.Equal(t, tt.want == 0, tt.a.Equal(tt.b), "Equal agrees with Cmp")
		})
	}
}

func TestMoneyRefusesToGuess(t *testing.T) {
	eur := lead.MustParseMoney("100", "EUR")
	tests := []struct {
		name    string
		a, b    lead.Money
		wantIs  error
		wantMsg string
	}{
		{"different currencies", gbp("100"), eur, lead.ErrCurrencyMismatch, "currency mismatch: 100 GBP and 100 EUR"},
		{"unknown on the left", lead.Money{}, gbp("1"), lead.ErrUnknownAmount, "amount unknown: cannot compare unknown with 1 GBP"},
		{"unknown on the right", gbp("1"), lead.Money{}, lead.ErrUnknownAmount, "amount unknown: cannot compare 1 GBP with unknown"},
		{"both unknown", lead.Money{}, lead.Money{}, lead.ErrUnknownAmount, "amount unknown: cannot compare unknown with unknown"},
		{"an amount without currency", lead.Money{Amount: decimal.New(5, 0)}, gbp("5"), lead.ErrUnknownAmount,
			"amount unknown: cannot compare 5 (no currency) with 5 GBP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.a.Cmp(tt.b)
			assert.ErrorIs(t, err, tt.wantIs)
			assert.EqualError(t, err, tt.wantMsg)
			assert.Zero(t, c)

			sum, err := tt.a.Add(tt.b)
			assert.ErrorIs(t, err, tt.wantIs)
			assert.True(t, sum.IsZero(), "a failed Add returns the zero Money")

			diff, err := tt.a.Sub(tt.b)
			assert.ErrorIs(t, err, tt.wantIs)
			assert.True(t, diff.IsZero(), "a failed Sub returns the zero Money")
		})
	}
	// The identities are distinct.
	_, err := gbp("1").Cmp(eur)
	assert.NotErrorIs(t, err, lead.ErrUnknownAmount)
	_, err = gbp("1").Cmp(lead.Money{})
	assert.NotErrorIs(t, err, lead.ErrCurrencyMismatch)
}

func TestMoneyAddSub(t *testing.T) {
	sum, err := gbp("25000.00").Add(gbp("0.5"))
	require.NoError(t, err)
	assert.Equal(t, "25000.50 GBP", sum.String())
	assert.Equal(t, lead.Currency("GBP"), sum.Currency)

	diff, err := gbp("100").Sub(gbp("100.01"))
	require.NoError(t, err)
	assert.Equal(t, "-0.01 GBP", diff.String())
	assert.True(t, diff.IsNegative())

	// No float rounding: 0.1 + 0.2 is 0.3.
	sum, err = gbp("0.1").Add(gbp("0.2"))
	require.NoError(t, err)
	assert.True(t, sum.Equal(gbp("0.3")))
}

func TestMoneyEqual(t *testing.T) {
	tests := []struct {
		name string
		a, b lead.Money
		want bool
	}{
		{"same amount, different scale", gbp("25000.00"), gbp("25000"), true},
		{"different amounts", gbp("1"), gbp("2"), false},
		{"different currencies", gbp("1"), lead.MustParseMoney("1", "EUR"), false},
		{"two unknowns", lead.Money{}, lead.Money{}, true},
		{"unknown and zero", lead.Money{}, gbp("0"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.a.Equal(tt.b))
			assert.Equal(t, tt.want, tt.b.Equal(tt.a))
		})
	}
}

func TestMoneyZeroAndKnown(t *testing.T) {
	var zero lead.Money
	assert.True(t, zero.IsZero())
	assert.False(t, zero.Known())
	assert.False(t, zero.IsNegative())
	assert.Equal(t, "unknown", zero.String())

	nothing := gbp("0.00")
	assert.False(t, nothing.IsZero(), "0 GBP is a stated amount")
	assert.True(t, nothing.Known())
	assert.Equal(t, "0.00 GBP", nothing.String())

	orphan := lead.Money{Amount: decimal.RequireFromString("12.50")}
	assert.False(t, orphan.IsZero())
	assert.False(t, orphan.Known())
	assert.Equal(t, "12.50 (no currency)", orphan.String())
}

func TestParseMoney(t *testing.T) {
	tests := []struct {
		amount   string
		currency lead.Currency
		want     string
		wantErr  string
	}{
		{amount: "50000.00", currency: "GBP", want: "50000.00 GBP"},
		{amount: "50000", currency: "GBP", want: "50000 GBP"},
		{amount: "0.10", currency: "EUR", want: "0.10 EUR"},
		{amount: "-3.5", currency: "USD", want: "-3.5 USD"},
		{amount: "+7", currency: "JPY", want: "7 JPY"},
		{amount: ".5", currency: "CHF", want: "0.5 CHF"},
		{amount: "007.50", currency: "GBP", want: "7.50 GBP"},
		{amount: "1234567890123456789012345678901234567890", currency: "GBP", want: "1234567890123456789012345678901234567890 GBP"},
		{amount: "50000.00", currency: "GPB", wantErr: `lead: currency "GPB" is not an ISO 4217 code`},
		{amount: "50000.00", currency: "gbp", wantErr: `lead: currency "gbp" is not an ISO 4217 code`},
		{amount: "50000.00", currency: "", wantErr: `lead: currency "" is not an ISO 4217 code`},
		{amount: "", currency: "GBP", wantErr: `lead: amount "" is not a decimal number`},
		{amount: "abc", currency: "GBP", wantErr: `lead: amount "abc" is not a decimal number`},
		{amount: "5e4", currency: "GBP", wantErr: `lead: amount "5e4" is not a decimal number`},
		{amount: "1,000", currency: "GBP", wantErr: `lead: amount "1,000" is not a decimal number`},
		{amount: "1_000", currency: "GBP", wantErr: `lead: amount "1_000" is not a decimal number`},
		{amount: " 5", currency: "GBP", wantErr: `lead: amount " 5" is not a decimal number`},
		{amount: "5 ", currency: "GBP", wantErr: `lead: amount "5 " is not a decimal number`},
		{amount: "--5", currency: "GBP", wantErr: `lead: amount "--5" is not a decimal number`},
		{amount: "5-", currency: "GBP", wantErr: `lead: amount "5-" is not a decimal number`},
		{amount: "1.2.3", currency: "GBP", wantErr: `lead: amount "1.2.3" is not a decimal number`},
		{amount: ".", currency: "GBP", wantErr: `lead: amount "." is not a decimal number`},
		{amount: "-", currency: "GBP", wantErr: `lead: amount "-" is not a decimal number`},
		{amount: "NaN", currency: "GBP", wantErr: `lead: amount "NaN" is not a decimal number`},
		{amount: "Infinity", currency: "GBP", wantErr: `lead: amount "Infinity" is not a decimal number`},
		{amount: "0x10", currency: "GBP", wantErr: `lead: amount "0x10" is not a decimal number`},
		{amount: "£5", currency: "GBP", wantErr: `lead: amount "£5" is not a decimal number`},
		{amount: strings.Repeat("9", 43), currency: "GBP", wantErr: "lead: amount has more than 40 digits"},
	}
	for _, tt := range tests {
		t.Run(tt.amount+" "+string(tt.currency), func(t *testing.T) {
			m, err := lead.ParseMoney(tt.amount, tt.currency)
			if tt.wantErr != "" {
				assert.EqualError(t, err, tt.wantErr)
				assert.True(t, m.IsZero())
				assert.Panics(t, func() { lead.MustParseMoney(tt.amount, tt.currency) })
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, m.String())
			assert.Equal(t, m, lead.MustParseMoney(tt.amount, tt.currency))
		})
	}
}

func TestNewMoney(t *testing.T) {
	m := lead.NewMoney(decimal.New(250, -2), "GBP")
	assert.Equal(t, "2.50 GBP", m.String())
	assert.PanicsWithValue(t, `lead.NewMoney: "GPB" is not an ISO 4217 code`, func() {
		lead.NewMoney(decimal.New(1, 0), "GPB")
	})
}

func TestMoneyJSON(t *testing.T) {
	tests := []struct {
		name string
		m    lead.Money
		want string
	}{
		{"keeps the scale", gbp("50000.00"), `{"amount":"50000.00","currency":"GBP"}`},
		{"whole", gbp("50000"), `{"amount":"50000","currency":"GBP"}`},
		{"negative", lead.MustParseMoney("-0.5", "EUR"), `{"amount":"-0.5","currency":"EUR"}`},
		{"zero GBP", gbp("0.00"), `{"amount":"0.00","currency":"GBP"}`},
		{"beyond float64", gbp("12345678901234567890.12"), `{"amount":"12345678901234567890.12","currency":"GBP"}`},
		{"made in Go with a positive exponent", lead.NewMoney(decimal.New(5, 3), "USD"), `{"amount":"5000","currency":"USD"}`},
		{"unknown", lead.Money{}, `null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.m)
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(b))

			var back lead.Money
			require.NoError(t, json.Unmarshal(b, &back))
			assert.True(t, tt.m.Equal(back), "%s != %s", tt.m, back)
			assert.Equal(t, tt.m.String(), back.String(), "the scale survives the round trip")
		})
	}
}

func TestMoneyUnmarshalJSON(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr string
	}{
		{name: "string amount", in: `{"amount":"50000.00","currency":"GBP"}`, want: "50000.00 GBP"},
		{name: "number amount keeps its scale", in: `{"amount":1250.50,"currency":"EUR"}`, want: "1250.50 EUR"},
		{name: "whole number amount", in: `{"amount":7,"currency":"USD"}`, want: "7 USD"},
		{name: "negative number amount", in: `{"amount":-7.25,"currency":"USD"}`, want: "-7.25 USD"},
		{name: "fields in any order, with spaces", in: ` { "currency" : "GBP" , "amount" : "1.0" } `, want: "1.0 GBP"},
		{name: "unknown currency is for Validate", in: `{"amount":"1","currency":"GPB"}`, want: "1 GPB"},
		{name: "null", in: `null`, want: "unknown"},
		{name: "garbage amount", in: `{"amount":"lots","currency":"GBP"}`, wantErr: `amount: "lots" is not a decimal number`},
		{name: "amount with exponent", in: `{"amount":5e4,"currency":"GBP"}`, wantErr: `amount: "5e4" is not a decimal number`},
		{name: "amount with exponent in a string", in: `{"amount":"5E4","currency":"GBP"}`, wantErr: `amount: "5E4" is not a decimal number`},
		{name: "boolean amount", in: `{"amount":true,"currency":"GBP"}`, wantErr: `amount: want a decimal number or a string, got a boolean`},
		{name: "object amount", in: `{"amount":{},"currency":"GBP"}`, wantErr: `amount: want a decimal number or a string, got an object`},
		{name: "too many digits", in: `{"amount":"` + strings.Repeat("1", 50) + `","currency":"GBP"}`, wantErr: "amount: has more than 40 digits"},
		{name: "missing amount", in: `{"currency":"GBP"}`, wantErr: "amount: missing"},
		{name: "null amount", in: `{"amount":null,"currency":"GBP"}`, wantErr: "amount: missing"},
		{name: "missing currency", in: `{"amount":"5"}`, wantErr: "currency: missing"},
		{name: "empty currency", in: `{"amount":"5","currency":""}`, wantErr: "currency: missing"},
		{name: "unknown field", in: `{"amount":"5","currency":"GBP","rate":1.2}`, wantErr: `rate: unknown field`},
		{name: "a string", in: `"50000.00 GBP"`, wantErr: `want an object such as {"amount": "50000.00", "currency": "GBP"}`},
		{name: "a number", in: `50000`, wantErr: `want an object such as`},
		{name: "currency not a string", in: `{"amount":"5","currency":826}`, wantErr: "currency: want a string, got a number"},
		{name: "field names ignore case", in: `{"Amount":"5","CURRENCY":"GBP"}`, want: "5 GBP"},
		{name: "bad string escape in amount", in: `{"amount":"\u0035","currency":"GBP"}`, want: "5 GBP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := gbp("99") // Unmarshal must replace it, or leave it on error.
			err := m.UnmarshalJSON([]byte(tt.in))
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.True(t, strings.HasPrefix(err.Error(), tt.wantErr), "got %q", err)
				var fe *lead.FieldError
				assert.ErrorAs(t, err, &fe, "a problem of the money is a *lead.FieldError")
				assert.Equal(t, "99 GBP", m.String(), "a failed Unmarshal leaves the Money unchanged")
				var viaJSON lead.Money
				assert.Error(t, json.Unmarshal([]byte(tt.in), &viaJSON))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, m.String())
		})
	}
}

func TestMoneyOmitZero(t *testing.T) {
	type doc struct {
		M lead.Money `json:"m,omitzero"`
	}
	b, err := json.Marshal(doc{})
	require.NoError(t, err)
	assert.Equal(t, `{}`, string(b), "the unknown amount is left out")

	b, err = json.Marshal(doc{M: gbp("0")})
	require.NoError(t, err)
	assert.Equal(t, `{"m":{"amount":"0","currency":"GBP"}}`, string(b), "0 GBP is an amount")

	b, err = json.Marshal(lead.Lead{ID: "x"})
	require.NoError(t, err)
	assert.NotContains(t, string(b), "budget")
	assert.NotContains(t, string(b), `"value"`)

	var l lead.Lead
	require.NoError(t, json.Unmarshal([]byte(`{"id":"x","budget":null}`), &l))
	assert.True(t, l.Budget.IsZero())
}

// TestMoneyJSONIgnoresDecimalGlobals: shopspring/decimal has a package
// variable that changes how a decimal.Decimal encodes itself. A host (or
// another library in it) may set it; our JSON form must not change. The
// test sets a global of another package, so it must not run in parallel.
func TestMoneyJSONIgnoresDecimalGlobals(t *testing.T) {
	m := gbp("50000.00")
	l := lead.Lead{ID: "x", Budget: m}
	before, err := json.Marshal(l)
	require.NoError(t, err)

	saved := decimal.MarshalJSONWithoutQuotes
	t.Cleanup(func() { decimal.MarshalJSONWithoutQuotes = saved })
	decimal.MarshalJSONWithoutQuotes = true

	// The switch works on bare decimals...
	raw, err := json.Marshal(m.Amount)
	require.NoError(t, err)
	require.Equal(t, `50000`, string(raw), "decimal.MarshalJSONWithoutQuotes had no effect: the test proves nothing")

	// ...and changes nothing of ours.
	b, err := json.Marshal(m)
	require.NoError(t, err)
	assert.Equal(t, `{"amount":"50000.00","currency":"GBP"}`, string(b))
	after, err := json.Marshal(l)
	require.NoError(t, err)
	assert.Equal(t, string(before), string(after))

	var back lead.Money
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, "50000.00 GBP", back.String())
	v, err := m.Value()
	require.NoError(t, err)
	assert.Equal(t, "50000.00 GBP", v)
}

func TestMoneySQL(t *testing.T) {
	for _, m := range []lead.Money{gbp("50000.00"), gbp("0"), lead.MustParseMoney("-12.345", "BHD"), {}} {
		t.Run(m.String(), func(t *testing.T) {
			v, err := m.Value()
			require.NoError(t, err)
			if m.IsZero() {
				assert.Nil(t, v, "the unknown amount is NULL")
			} else {
				assert.Equal(t, m.String(), v)
			}
			back := gbp("1")
			require.NoError(t, back.Scan(v))
			assert.True(t, m.Equal(back), "%s != %s", m, back)
			assert.Equal(t, m.String(), back.String())

			if s, ok := v.(string); ok {
				fromBytes := gbp("1")
				require.NoError(t, fromBytes.Scan([]byte(s)))
				assert.Equal(t, m.String(), fromBytes.String())
			}
		})
	}
}

func TestMoneyValueRefusesWhatScanCannotRead(t *testing.T) {
	for _, m := range []lead.Money{{Amount: decimal.New(1, 0), Currency: "GPB"}, {Amount: decimal.New(1, 0)}} {
		v, err := m.Value()
		assert.Error(t, err, "%s", m)
		assert.Nil(t, v)
	}
}

func TestMoneyScanErrors(t *testing.T) {
	tests := []struct {
		name    string
		src     any
		wantErr string
	}{
		{"no currency", "50000.00", `lead: money "50000.00" is not of the form "50000.00 GBP"`},
		{"bad currency", "5 GPB", `lead: currency "GPB" is not an ISO 4217 code`},
		{"lower-case currency", "5 gbp", `lead: currency "gbp" is not an ISO 4217 code`},
		{"two spaces", "5  GBP", `lead: currency " GBP" is not an ISO 4217 code`},
		{"currency first", "GBP 5", `lead: currency "5" is not an ISO 4217 code`},
		{"garbage amount", "lots GBP", `lead: amount "lots" is not a decimal number`},
		{"a number", int64(5), "cannot scan int64 into a money"},
		{"a float", 5.0, "cannot scan float64 into a money"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := gbp("99")
			assert.EqualError(t, m.Scan(tt.src), tt.wantErr)
			assert.Equal(t, "99 GBP", m.String(), "a failed Scan leaves the Money unchanged")
		})
	}
}
