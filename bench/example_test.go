package bench_test

import (
	"fmt"
	"log"
	"reflect"

	"github.com/leadqual/leadqual/bench"
)

// Every implementation of the benchmark's policy decides the same: here
// leadqual and cel-go on one random lead.
func Example() {
	l := bench.RandomLead(20, 7)
	lq, err := bench.NewLeadqual(false)
	if err != nil {
		log.Fatal(err)
	}
	ce, err := bench.NewCEL()
	if err != nil {
		log.Fatal(err)
	}
	a, err := lq.Eval(l, bench.Now)
	if err != nil {
		log.Fatal(err)
	}
	b, err := ce.Eval(l, bench.Now)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(reflect.DeepEqual(a, b), reflect.DeepEqual(a, bench.Handwritten(l, bench.Now)))
	fmt.Println(a)
	// Output:
	// true true
	// fit 35, engagement -20: company-size, big-budget, unsubscribed
}
