package qualify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// A server that answers many decisions appends each to a buffer it reuses:
// the bytes encoding/json writes, without its allocations.
func ExampleDecision_AppendJSON() {
	policy, _ := qualify.Compile(qualify.DefaultSpec())
	l := &lead.Lead{
		ID:         "L-1001",
		Activities: []lead.Activity{{Kind: lead.KindPricingRequest, At: now.Add(-2 * time.Minute)}},
	}
	d, err := qualify.EvaluateAt(context.Background(), policy, l, now)
	if err != nil {
		fmt.Println(err)
		return
	}
	buf := make([]byte, 0, 1024) // kept between requests
	buf, err = d.AppendJSON(buf[:0])
	if err != nil {
		fmt.Println(err)
		return
	}
	same, _ := json.Marshal(&d)
	fmt.Println(bytes.Equal(buf, same))
	var back qualify.Decision
	_ = json.Unmarshal(buf, &back)
	fmt.Println(back.Lead, back.Verdict, back.Route)
	// Output:
	// true
	// L-1001 need sales
}
