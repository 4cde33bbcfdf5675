package qualify

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/expr-lang/expr"

	"github.com/leadqual/leadqual/lead"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestViews: rules that iterate in the VM read the lead's own activities
// and interests through its views, members and all, and see no activity
// after now.
func TestViews(t *testing.T) {
	l := newLead("L",
		lead.Activity{Kind: lead.KindWhitePaper, At: ago(day), Asset: "/fleet.pdf", Channel: "web", Attrs: map[string]string{"campaign": "spring"}},
		lead.Activity{Kind: lead.KindPricingRequest, At: ago(2 * day), Product: "RoutePlanner"},
		lead.Activity{Kind: lead.KindDemoRequest, At: t0.Add(time.Hour), Channel: "phone", Attrs: map[string]string{"campaign": "future"}},
	)
	l.Interests = []lead.Interest{{Topic: "RoutePlanner", FirstSeen: ago(30 * day), LastSeen: ago(day)}}
	tests := []struct {
		when string
		want bool
	}{
		{`any(activities, #.kind == "white_paper" && #.attrs.campaign == "spring")`, true},
		{`any(activities, #.attrs.campaign == "future")`, false}, // after now
		{`len(filter(activities, #.intent == "need")) == 1`, true},
		{`find(activities, #.kind == "demo_request") == nil`, true},
		{`find(activities, #.kind == "demo_request")?.at == nil`, true},
		{`find(activities, #.product != "")?.product == "RoutePlanner"`, true},
		{`find(activities, #.kind == "white_paper")?.attrs?.campaign == "spring"`, true},
		{`first(activities).asset == "/fleet.pdf" && last(activities).kind == "pricing_request"`, true},
		{`activities[0].channel == "web" && activities[-1].intent == "need"`, true},
		{`map(activities, #.at)[1] < now - days(1)`, true},
		// What expr's type() says of an Activity record (TestTypeOfAnElement).
		{`type(first(activities)) == "github.com/leadqual/leadqual/qualify.Activity" && type(find(activities, #.kind == "x")) == "nil"`, true},
		{`all(activities[0:1], "campaign" in #.attrs)`, true},
		{`any(interests, #.topic == "RoutePlanner" && #.last_seen > #.first_seen)`, true},
		{`len(activities) == 2 && len(interests) == 1 && count("*", "36h") == 1`, true},
	}
	for _, tt := range tests {
		for _, mode := range []struct {
			name string
			opts []Option
		}{{"fast", nil}, {"vm", []Option{vmOnly()}}} {
			t.Run(mode.name+": "+tt.when, func(t *testing.T) {
				p, err := Compile(spec(need("r", tt.when)), mode.opts...)
				require.NoError(t, err)
				d := evalAt(t, p, l)
				assert.Equal(t, tt.want, len(d.Matched) == 1)
			})
		}
	}

	// A member of nothing fails as it did when activities were records.
	p, err := Compile(spec(need("r", `find(activities, #.kind == "x").kind == "x"`)))
	require.NoError(t, err)
	_, err = EvaluateAt(context.Background(), p, l, t0)
	require.ErrorIs(t, err, ErrRule)
	assert.Contains(t, err.Error(), "cannot get kind from <nil>")
}

// TestTypeOfAnElement: type() of an activity or an interest says what
// expr's type() says of the record the rules are checked against (a
// *Activity or *Interest, which expr's builtin dereferences), as it did
// when the VM held such records; nil for no element. The representation
// of the views is not observable.
func TestTypeOfAnElement(t *testing.T) {
	typeOf := func(v any) string {
		out, err := expr.Eval(`type(v)`, map[string]any{"v": v})
		require.NoError(t, err)
		return out.(string)
	}
	l := newLead("L", act(lead.KindWhitePaper, ago(day)))
	l.Interests = []lead.Interest{{Topic: "RoutePlanner"}}
	for _, tc := range []struct{ expr, want string }{
		{`type(first(activities))`, typeOf(&Activity{})},
		{`type(activities[0])`, typeOf(&Activity{})},
		{`type(first(interests))`, typeOf(&Interest{})},
		{`type(find(activities, #.kind == "never"))`, "nil"},
		{`type(findLast(interests, #.topic == "never"))`, "nil"},
	} {
		require.NotEqual(t, "unknown", tc.want)
		when := fmt.Sprintf("%s == %q", tc.expr, tc.want)
		for _, opts := range [][]Option{nil, {vmOnly()}} {
			p, err := Compile(spec(need("r", when)), opts...)
			require.NoError(t, err, when)
			assert.Len(t, evalAt(t, p, l).Matched, 1, when)
		}
	}
}

// TestViewsCopyNothing: an iterating rule costs no allocation per
// activity: the VM iterates over the lead's own list, and the kinds,
// intents and empty texts it reads are boxed once, by the policy. (Other
// texts and times are boxed as they are read, as expr's VM holds values.)
func TestViewsCopyNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts mean nothing under the race detector")
	}
	p, err := Compile(spec(need("r", `any(activities, #.kind == "never" || #.intent == "never" || #.asset == "never")`),
		need("s", `none(interests, #.topic == "never")`)))
	require.NoError(t, err)
	allocs := map[int]float64{}
	for _, n := range []int{10, 1000} {
		l := benchLead(n, 1)
		for range min(n, 200) {
			l.Interests = append(l.Interests, lead.Interest{})
		}
		allocs[n] = testing.AllocsPerRun(20, func() {
			if _, err := EvaluateAt(context.Background(), p, l, t0); err != nil {
				t.Fatal(err)
			}
		})
	}
	assert.Equal(t, allocs[10], allocs[1000], "allocations do not grow with the activities")
	assert.LessOrEqual(t, allocs[1000], 4.0, "a few for the VM runs")
}

// TestElementsAreReadThroughMembers: an activity or an interest is read
// through its fields; as a whole it cannot be compared, collected or
// passed on.
func TestElementsAreReadThroughMembers(t *testing.T) {
	for _, when := range []string{
		`first(activities) == last(activities)`,
		`len([first(activities)]) == 1`,
		`{"a": first(interests)}.a == nil`,
		`any(activities, # in activities)`,
		`activities == activities`,
		`(true ? first(activities) : "x") != nil`,
		`len(fields.x ?? activities) > 0`,
	} {
		_, err := Compile(spec(need("r", when)))
		require.Error(t, err, when)
		assert.ErrorIs(t, err, ErrInvalidPolicy)
	}
	_, err := Compile(spec(need("r", `first(activities) == last(activities)`)))
	assert.ErrorContains(t, err, "an activity is read through its fields")
}

func TestKindStarIsNotAKind(t *testing.T) {
	for _, when := range []string{`fresh("*")`, `since("*") < days(1)`} {
		_, err := Compile(spec(need("r", when)))
		assert.ErrorContains(t, err, `"*" means every kind`)
	}
	s := spec(need("r", "true"))
	s.Settings.Intents = map[lead.Kind]lead.Intent{"*": lead.IntentNeed}
	_, err := Compile(s)
	assert.ErrorContains(t, err, `"*" is not a kind`)
}

// TestKindIndexIsPerfect: the kind index of the default policy, and of the
// vocabulary, has a slot for each kind, found without probing.
func TestKindIndexIsPerfect(t *testing.T) {
	p, err := Compile(DefaultSpec())
	require.NoError(t, err)
	for name, x := range map[string]*kindIndex{"policy": &p.agg.index, "vocabulary": &p.vocab.index} {
		assert.True(t, x.perfect, name)
	}
	for _, k := range lead.Kinds() {
		i := p.vocab.index.lookup(k)
		require.GreaterOrEqual(t, i, 0, "kind %s", k)
		assert.Equal(t, k, p.vocab.entries[i].kind)
	}
	for _, k := range []lead.Kind{"", "x", "white_pape", "white_paper_", "a very long kind that no vocabulary has"} {
		assert.Equal(t, -1, p.vocab.index.lookup(k), "kind %q", k)
	}
}
