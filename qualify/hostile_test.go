package qualify

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostileCase is one file of testdata/hostile: a rule that tries to hurt
// the host, and what must happen to it.
type hostileCase struct {
	Description string `json:"description"`
	// When is the expression; Parts, when set, builds it from repeated
	// pieces ([text, times]), for cases too large to keep in a file.
	When  string   `json:"when"`
	Parts [][2]any `json:"parts"`
	Field string   `json:"field"` // "when" (default) or "points"
	Rules int      `json:"rules"` // a policy of this many copies of the rule
	Lims  Limits   `json:"limits"`
	Lead  string   `json:"lead"`   // the lead it runs on: see hostileLeads
	Exp   string   `json:"expect"` // refused (at Compile), bounded (an error at Evaluate), runs (within its estimate)
	Limit string   `json:"limit"`  // the LimitError expected, if any
	Is    string   `json:"is"`     // "arithmetic": the error is an arithmetic fault
	Has   string   `json:"contains"`
}

func (h hostileCase) expression() string {
	if len(h.Parts) == 0 {
		return h.When
	}
	var b strings.Builder
	for _, p := range h.Parts {
		b.WriteString(strings.Repeat(p[0].(string), int(p[1].(float64))))
	}
	return b.String()
}

func (h hostileCase) policy() Spec {
	rule := need("hostile", h.expression())
	if h.Field == "points" {
		rule = points("hostile", "true", DimensionFit, h.expression())
	}
	rules := []Rule{rule}
	for i := 1; i < h.Rules; i++ {
		r := rule
		r.Name = fmt.Sprintf("hostile-%d", i)
		rules = append(rules, r)
	}
	return spec(rules...)
}

func readHostile(t testing.TB) map[string]hostileCase {
	files, err := filepath.Glob("testdata/hostile/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	out := map[string]hostileCase{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		var h hostileCase
		require.NoError(t, json.Unmarshal(b, &h), f)
		require.NotEmpty(t, h.Description, f)
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = h
	}
	return out
}

// hostileLead is a lead at the edge of every default limit: 10000
// activities with 4 kB texts, 4 kB names, 60 kB of custom fields.
func hostileLead() *lead.Lead {
	text := strings.Repeat("x", DefaultMaxTextBytes)
	l := newLead("L-hostile")
	l.Contact.Name, l.Contact.Title = text, text
	l.Fields = map[string]any{"notes": strings.Repeat("n", 60_000), "plan": "p"}
	l.Activities = make([]lead.Activity, DefaultMaxActivities)
	for i := range l.Activities {
		l.Activities[i] = lead.Activity{Kind: lead.KindPageVisit, At: ago(time.Duration(i) * time.Minute), Asset: text, Product: text, Channel: "web"}
	}
	return l
}

// hostileLeads are the leads the cases run on, by name: "" is hostileLead;
// "tags" has 5,000 distinct custom tags instead of the notes; "unicode"
// has assets of non-ASCII text, the slowest to case-map.
var hostileLeads = map[string]func() *lead.Lead{
	"": hostileLead,
	"tags": func() *lead.Lead {
		l := hostileLead()
		tags := make([]any, 5000)
		for i := range tags {
			tags[i] = fmt.Sprintf("t%03x", i)
		}
		l.Fields = map[string]any{"tags": tags}
		return l
	},
	"unicode": func() *lead.Lead {
		l := hostileLead()
		text := strings.Repeat("ǅß", DefaultMaxTextBytes/4)
		for i := range l.Activities {
			l.Activities[i].Asset = text
		}
		return l
	},
}

// TestHostilePolicies runs the corpus: each rule is refused at Compile by
// a documented limit or check, or bounded at run time: a rule error that
// names the fault, or a run that the guard held within its estimate and
// the policy's budget. How long each took is logged; BenchmarkHostile
// keeps the times.
func TestHostilePolicies(t *testing.T) {
	leads := map[string]*lead.Lead{}
	for name, h := range readHostile(t) {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			p, err := Compile(h.policy(), WithLimits(h.Lims))
			compileTime := time.Since(start)
			switch h.Exp {
			case "refused":
				require.Error(t, err)
				assert.ErrorIs(t, err, ErrInvalidPolicy)
				t.Logf("refused at Compile in %s: %.300s", compileTime, err)
				check(t, err, h)
				return
			case "bounded", "runs":
				require.NoError(t, err, "compile")
			default:
				t.Fatalf("unknown expectation %q", h.Exp)
			}
			build, ok := hostileLeads[h.Lead]
			require.True(t, ok, "unknown lead %q", h.Lead)
			l := leads[h.Lead]
			if l == nil {
				l = build()
				leads[h.Lead] = l
			}
			st := p.pool.Get().(*state)
			defer p.release(st)
			start = time.Now()
			_, err = p.evaluate(context.Background(), st, l, t0)
			took := time.Since(start)
			if h.Exp == "runs" {
				require.NoError(t, err)
				assert.LessOrEqual(t, float64(st.meter.charged), p.cost+float64(2*len(p.rules)), "charged within the estimate (rounded up per expression)")
				assert.LessOrEqual(t, p.cost, float64(DefaultMaxPolicyCost))
				t.Logf("ran in %s on a lead of %d activities: charged %s of an estimate of %s",
					took, len(l.Activities), units(float64(st.meter.charged)), units(p.cost))
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrRule)
			var re *RuleError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, "hostile", re.Rule)
			t.Logf("bounded at Evaluate in %s: %.300s", took, err)
			check(t, err, h)
		})
	}
}

func check(t *testing.T, err error, h hostileCase) {
	t.Helper()
	if h.Limit != "" {
		assert.ErrorIs(t, err, ErrLimit)
		var le *LimitError
		require.ErrorAs(t, err, &le)
		assert.Equal(t, h.Limit, le.Limit)
	}
	switch h.Is {
	case "":
	case "arithmetic":
		assert.ErrorIs(t, err, ErrArithmetic)
		var ae *ArithmeticError
		assert.ErrorAs(t, err, &ae)
	default:
		t.Fatalf("unknown error class %q", h.Is)
	}
	if h.Has != "" {
		assert.Contains(t, err.Error(), h.Has)
	}
}

// TestHostileLeads: leads that try to hurt the host are refused before any
// rule runs, with the limit and the field named, or evaluated as data.
func TestHostileLeads(t *testing.T) {
	p := defaultPolicy(t)
	for _, tt := range []struct {
		name  string
		build func(l *lead.Lead)
		limit string // "" when the lead must simply evaluate
	}{
		{"activities beyond the limit", func(l *lead.Lead) {
			l.Activities = make([]lead.Activity, DefaultMaxActivities+1)
		}, "MaxActivities"},
		{"interests beyond the limit", func(l *lead.Lead) { l.Interests = make([]lead.Interest, DefaultMaxInterests+1) }, "MaxInterests"},
		{"an enormous title", func(l *lead.Lead) { l.Contact.Title = strings.Repeat("t", 1<<20) }, "MaxTextBytes"},
		{"an enormous activity kind", func(l *lead.Lead) {
			l.Activities = []lead.Activity{{Kind: lead.Kind(strings.Repeat("k", 5000)), At: ago(time.Hour)}}
		}, "MaxTextBytes"},
		{"enormous custom fields", func(l *lead.Lead) { l.Fields = map[string]any{"notes": strings.Repeat("n", 1<<20)} }, "MaxFieldsBytes"},
		{"custom fields nested very deep", func(l *lead.Lead) {
			var v any = "leaf"
			for range 100 {
				v = []any{v}
			}
			l.Fields = map[string]any{"deep": v}
		}, "MaxFieldsBytes"},
		{"invalid UTF-8 everywhere", func(l *lead.Lead) {
			l.ID, l.Contact.Name = "\xff\xfe", "\xc3\x28"
			l.Activities = []lead.Activity{{Kind: "\xff", At: ago(time.Hour), Asset: "\xed\xa0\x80"}}
		}, ""},
		{"times at the ends of time", func(l *lead.Lead) {
			l.Activities = []lead.Activity{
				{Kind: lead.KindPricingRequest, At: time.Time{}},
				{Kind: lead.KindPricingRequest, At: time.Date(-50000, 1, 1, 0, 0, 0, 0, time.UTC)},
				{Kind: lead.KindWhitePaper, At: time.Date(99999, 1, 1, 0, 0, 0, 0, time.UTC)},
			}
		}, ""},
		{"custom fields of every JSON type", func(l *lead.Lead) {
			l.Fields = map[string]any{"do_not_contact": "yes", "n": 1e308, "neg": math.Copysign(0, -1), "list": []any{nil, true, "s", 1.5},
				"map": map[string]any{"k": []any{}}, "null": nil}
		}, ""},
		{"absurd numbers", func(l *lead.Lead) {
			l.Company.Employees = -1 << 62
			l.Budget = lead.MustParseMoney("-99999999999999999999999999999999999", "GBP")
		}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := newLead("L")
			tt.build(l)
			start := time.Now()
			d, err := EvaluateAt(context.Background(), p, l, t0)
			t.Logf("took %s", time.Since(start))
			if tt.limit == "" {
				require.NoError(t, err)
				assert.Equal(t, p.Version(), d.Version)
				return
			}
			var le *LimitError
			require.ErrorAs(t, err, &le)
			assert.Equal(t, tt.limit, le.Limit)
		})
	}
}
