package lead_test

import (
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/leadqual/leadqual/lead"
)

// Potential values in several currencies are weighed against each other
// only through the host's own rates; a currency without one is an error,
// never a guess.
func ExampleRates_Convert() {
	rates := lead.Rates{Base: "GBP", Rates: map[lead.Currency]decimal.Decimal{
		"EUR": decimal.RequireFromString("0.85"),
		"USD": decimal.RequireFromString("0.79"),
	}}
	for _, v := range []lead.Money{
		lead.MustParseMoney("95000", "USD"),
		lead.MustParseMoney("120000", "EUR"),
		lead.MustParseMoney("150000", "NOK"),
	} {
		got, err := rates.Convert(v)
		switch {
		case errors.Is(err, lead.ErrNoRate):
			fmt.Printf("%-12s no rate: not compared\n", v)
		case err != nil:
			panic(err)
		default:
			fmt.Printf("%-12s = %s\n", v, got)
		}
	}
	// Output:
	// 95000 USD    = 75050.00 GBP
	// 120000 EUR   = 102000.00 GBP
	// 150000 NOK   no rate: not compared
}
