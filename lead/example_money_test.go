package lead_test

import (
	"errors"
	"fmt"

	"github.com/leadqual/leadqual/lead"
)

// Money compares exactly whatever the scale, and never across currencies.
func ExampleMoney_Cmp() {
	budget := lead.MustParseMoney("25000.00", "GBP")
	threshold := lead.MustParseMoney("25000", "GBP")

	c, err := budget.Cmp(threshold)
	fmt.Println(c, err, budget.Equal(threshold))

	_, err = budget.Cmp(lead.MustParseMoney("25000", "EUR"))
	fmt.Println(err)
	fmt.Println(errors.Is(err, lead.ErrCurrencyMismatch))

	var unknown lead.Money // the prospect did not say
	_, err = unknown.Cmp(threshold)
	fmt.Println(errors.Is(err, lead.ErrUnknownAmount))
	// Output:
	// 0 <nil> true
	// currency mismatch: 25000.00 GBP and 25000 EUR
	// true
	// true
}

func ExampleMoney_Add() {
	a := lead.MustParseMoney("0.10", "GBP")
	b := lead.MustParseMoney("0.2", "GBP")
	sum, _ := a.Add(b)
	fmt.Println(sum) // no float rounding, and the larger scale is kept

	_, err := sum.Add(lead.MustParseMoney("1", "USD"))
	fmt.Println(err)
	// Output:
	// 0.30 GBP
	// currency mismatch: 0.30 GBP and 1 USD
}

func ExampleParseMoney() {
	for _, in := range []struct {
		amount   string
		currency lead.Currency
	}{{"50000.00", "GBP"}, {"50,000", "GBP"}, {"50000", "GPB"}} {
		m, err := lead.ParseMoney(in.amount, in.currency)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(m)
	}
	// Output:
	// 50000.00 GBP
	// lead: amount "50,000" is not a decimal number
	// lead: currency "GPB" is not an ISO 4217 code
}
