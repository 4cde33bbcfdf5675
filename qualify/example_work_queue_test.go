package qualify_test

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// A sales work queue: need first and fastest, every lead weighed by its
// potential value at the host's own rates. The two requests still within
// their five minutes come first, the larger first; then the late ones,
// the 95,000 USD request that waited a day ahead of smaller, fresher ones;
// a value in a currency the host gave no rate for is never guessed, and
// ranks after the known values; marketing-qualified work and nurture
// come last.
func ExamplePolicy_SortQueue() {
	policy, err := qualify.Compile(qualify.DefaultSpec())
	if err != nil {
		panic(err)
	}
	asked := func(id string, ago time.Duration, value lead.Money) *lead.Lead {
		return &lead.Lead{ID: id, Value: value, Activities: []lead.Activity{{Kind: lead.KindDemoRequest, At: now.Add(-ago)}}}
	}
	leads := []*lead.Lead{
		asked("L-1", 2*time.Minute, lead.MustParseMoney("10000", "GBP")),
		asked("L-2", 25*time.Hour, lead.MustParseMoney("95000", "USD")),
		asked("L-3", 3*time.Minute, lead.MustParseMoney("60000", "EUR")),
		asked("L-4", 40*time.Minute, lead.MustParseMoney("12000", "USD")),
		asked("L-5", 10*time.Minute, lead.MustParseMoney("150000", "NOK")),
		{ID: "L-6", Value: lead.MustParseMoney("500000", "GBP"), Activities: []lead.Activity{{Kind: lead.KindWhitePaper, At: now.Add(-time.Hour)}}},
	}
	var ds []qualify.Decision
	for _, l := range leads {
		d, err := qualify.EvaluateAt(context.Background(), policy, l, now)
		if err != nil {
			panic(err)
		}
		ds = append(ds, d)
	}
	rates := lead.Rates{Base: "GBP", Rates: map[lead.Currency]decimal.Decimal{
		"EUR": decimal.RequireFromString("0.85"), "USD": decimal.RequireFromString("0.79"),
	}}
	if err := policy.SortQueue(ds, rates, now); err != nil {
		panic(err)
	}
	for _, d := range ds {
		left := "-"
		if !d.Deadline.IsZero() {
			left = d.Deadline.Sub(now).String()
		}
		fmt.Printf("%s  %-9s %-12s %s\n", d.Lead, d.Priority, d.Value, left)
	}
	// Output:
	// L-3  need      60000 EUR    2m0s
	// L-1  need      10000 GBP    3m0s
	// L-2  need      95000 USD    -24h55m0s
	// L-4  need      12000 USD    -35m0s
	// L-5  need      150000 NOK   -5m0s
	// L-6  none      500000 GBP   -
}
