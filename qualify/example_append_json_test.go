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

// A loop that is done with each decision before the next judges every
// lead into one Decision and one buffer: nothing is allocated per lead.
func ExampleEvaluateInto() {
	policy, _ := qualify.Compile(qualify.DefaultSpec())
	leads := []*lead.Lead{
		{ID: "L-1", Activities: []lead.Activity{{Kind: lead.KindPricingRequest, At: now.Add(-time.Minute)}}},
		{ID: "L-2", Activities: []lead.Activity{{Kind: lead.KindWhitePaper, At: now.Add(-48 * time.Hour)}}},
	}
	var d qualify.Decision
	var line []byte
	for _, l := range leads {
		if err := qualify.EvaluateInto(context.Background(), policy, l, now, &d); err != nil {
			fmt.Println(err)
			continue
		}
		line, _ = d.AppendJSON(line[:0])
		fmt.Println(d.Lead, d.Route, len(line) > 0) // or: write line to the output
	}
	// Output:
	// L-1 sales true
	// L-2 nurture true
}
