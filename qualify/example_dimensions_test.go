package qualify_test

import (
	"context"
	"fmt"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// A score beyond fit and engagement is declared in the policy's settings;
// a rule that names an undeclared one is refused at Compile.
func ExampleSettings_dimensions() {
	_, err := qualify.CompileJSON([]byte(`{"name": "p", "rules": [
		{"name": "hot", "when": "fresh(\"demo_request\")", "dimension": "urgency", "points": 50, "reason": "asked for a demo"}]}`))
	fmt.Println(err)

	policy, err := qualify.CompileJSON([]byte(`{"name": "p", "settings": {"dimensions": ["urgency"]}, "rules": [
		{"name": "hot", "when": "fresh(\"demo_request\")", "dimension": "urgency", "points": 50, "reason": "asked for a demo"}]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	l := &lead.Lead{ID: "L-1", Activities: []lead.Activity{{Kind: lead.KindDemoRequest, At: now.Add(-time.Hour)}}}
	d, _ := qualify.EvaluateAt(context.Background(), policy, l, now)
	fmt.Println(d.Scores)
	// Output:
	// qualify: policy "p": rule "hot": dimension: unknown dimension "urgency": declare it in settings.dimensions (the policy has: fit, engagement)
	// map[urgency:50]
}
