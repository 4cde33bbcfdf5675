package lead_test

import (
	"encoding/json"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leadqual/leadqual/lead"
)

func TestRatesConvert(t *testing.T) {
	r := lead.Rates{Base: "GBP", Rates: map[lead.Currency]decimal.Decimal{
		"EUR": decimal.RequireFromString("0.85"), "USD": decimal.RequireFromString("0.79"),
	}}
	require.NoError(t, r.Validate())
	tests := []struct {
		in   lead.Money
		want string
		err  error
	}{
		{lead.MustParseMoney("100", "EUR"), "85.00 GBP", nil},
		{lead.MustParseMoney("95000", "USD"), "75050.00 GBP", nil},
		{lead.MustParseMoney("50000.00", "GBP"), "50000.00 GBP", nil},
		{lead.MustParseMoney("150000", "NOK"), "", lead.ErrNoRate},
		{lead.MustParseMoney("1", "NOK"), "", lead.ErrCurrencyMismatch},
		{lead.Money{}, "", lead.ErrUnknownAmount},
	}
	for _, tc := range tests {
		got, err := r.Convert(tc.in)
		if tc.err != nil {
			assert.ErrorIs(t, err, tc.err, "%s", tc.in)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tc.want, got.String())
	}
	// The zero Rates converts nothing, not even an amount without a base.
	_, err := lead.Rates{}.Convert(lead.MustParseMoney("1", "GBP"))
	assert.ErrorIs(t, err, lead.ErrNoRate)
}

func TestRatesValidate(t *testing.T) {
	bad := lead.Rates{Base: "gbp", Rates: map[lead.Currency]decimal.Decimal{
		"EUR": decimal.Zero, "USD": decimal.RequireFromString("-1"), "XYZ": decimal.NewFromInt(1),
	}}
	err := bad.Validate()
	for _, want := range []string{`base: "gbp" is not an ISO 4217 code`, "rates.EUR: rate 0 is not positive",
		"rates.USD: rate -1 is not positive", `rates.XYZ: "XYZ" is not an ISO 4217 code`} {
		assert.ErrorContains(t, err, want)
	}
	var r lead.Rates
	require.NoError(t, json.Unmarshal([]byte(`{"base":"GBP","rates":{"EUR":"0.85","USD":0.79}}`), &r))
	require.NoError(t, r.Validate())
	got, err := r.Convert(lead.MustParseMoney("200", "USD"))
	require.NoError(t, err)
	assert.Equal(t, "158.00 GBP", got.String())
}
