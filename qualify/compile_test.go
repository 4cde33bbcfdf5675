package qualify

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCompileDefault(t *testing.T) {
	p, err := Compile(DefaultSpec())
	require.NoError(t, err)
	assert.Equal(t, "leadqual-default", p.Name())
	assert.True(t, strings.HasPrefix(p.Version(), "sha256:"), p.Version())
	assert.Len(t, p.Rules(), len(DefaultSpec().Rules))
	assert.Equal(t, DefaultSpec(), p.Spec())

	// The default policy runs entirely on the fast path except the rule
	// that reads a custom field.
	var vm []string
	for _, r := range p.rules {
		if r.when != nil || r.points != nil {
			vm = append(vm, r.name)
		}
	}
	assert.Equal(t, []string{"do-not-contact"}, vm)
}

func TestVersionIsAContentHash(t *testing.T) {
	a, err := Compile(DefaultSpec())
	require.NoError(t, err)

	// Same content through JSON with other whitespace: same version.
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "\t")
	require.NoError(t, enc.Encode(DefaultSpec()))
	b, err := CompileJSON([]byte(buf.String()))
	require.NoError(t, err)
	assert.Equal(t, a.Version(), b.Version())

	// One point changed: another version.
	s := DefaultSpec()
	s.Rules[15].Points = "26"
	c, err := Compile(s)
	require.NoError(t, err)
	assert.NotEqual(t, a.Version(), c.Version())

	s = DefaultSpec()
	s.Settings.ResponseDeadline = 10 * 60e9
	d, err := Compile(s)
	require.NoError(t, err)
	assert.NotEqual(t, a.Version(), d.Version())
}

func TestSpecJSONRoundTrip(t *testing.T) {
	s := DefaultSpec()
	s.Settings.Intents = map[lead.Kind]lead.Intent{"rfp_submitted": lead.IntentNeed}
	s.Settings.Final = []lead.Reason{"competitor"}
	s.Settings.OnError = OnErrorSkip
	b, err := json.Marshal(s)
	require.NoError(t, err)
	back, err := ParseSpec(b)
	require.NoError(t, err)
	assert.Equal(t, s, back)
	// Numbers stay numbers, expressions stay strings.
	assert.Contains(t, string(b), `"points":25`)
	assert.Contains(t, string(b), `"points":"min(30,`)
}

func TestPolicyAccessorsReturnCopies(t *testing.T) {
	s := spec(need("n", `fresh("pricing_request")`))
	s.Settings.Intents = map[lead.Kind]lead.Intent{"x": lead.IntentNeed}
	p, err := Compile(s)
	require.NoError(t, err)
	s.Rules[0].When = "false"
	s.Settings.Intents["y"] = lead.IntentNeed
	got := p.Spec()
	got.Rules[0].Name = "changed"
	got.Settings.Intents["z"] = lead.IntentNeed
	assert.Equal(t, `fresh("pricing_request")`, p.Spec().Rules[0].When)
	assert.Equal(t, map[lead.Kind]lead.Intent{"x": lead.IntentNeed}, p.Settings().Intents)
	assert.Equal(t, DefaultNeedFresh, p.Settings().NeedFresh)
}

// problem is what a refused policy must report.
type problem struct {
	rule, field, contains string
	line, col             int
}

func TestCompileRefuses(t *testing.T) {
	tests := []struct {
		name  string
		spec  Spec
		want  []problem
		limit string // the LimitError expected, if any
	}{
		{"empty policy", Spec{Name: "p"}, []problem{{"", "rules", "no rules", 0, 0}}, ""},
		{"no name", Spec{Rules: []Rule{need("a", "true")}}, []problem{{"", "name", "no name", 0, 0}}, ""},
		{"empty rule name", spec(Rule{When: "true", Reason: "r", Intent: lead.IntentNeed}), []problem{{"rules[0]", "name", "empty", 0, 0}}, ""},
		{"duplicate names", spec(need("a", "true"), interest("a", "true")),
			[]problem{{"rules[1]", "name", "rules[0] and rules[1]", 0, 0}}, ""},
		{"no effect", spec(Rule{Name: "a", When: "true", Reason: "r"}), []problem{{"a", "effect", "no effect", 0, 0}}, ""},
		{"several effects", spec(Rule{Name: "a", When: "true", Reason: "r", Intent: lead.IntentNeed, Disqualify: "x"}),
			[]problem{{"a", "effect", "several effects", 0, 0}}, ""},
		{"negative intent", spec(Rule{Name: "a", When: "true", Reason: "r", Intent: lead.IntentNegative}),
			[]problem{{"a", "intent", "need or interest", 0, 0}}, ""},
		{"points without dimension", spec(Rule{Name: "a", When: "true", Reason: "r", Points: "5"}),
			[]problem{{"a", "dimension", "need a dimension", 0, 0}}, ""},
		{"dimension without points", spec(Rule{Name: "a", When: "true", Reason: "r", Intent: lead.IntentNeed, Dimension: DimensionFit}),
			[]problem{{"a", "dimension", "without points", 0, 0}}, ""},
		{"empty when", spec(need("a", " ")), []problem{{"a", "when", "empty", 0, 0}}, ""},
		{"empty reason", spec(Rule{Name: "a", When: "true", Intent: lead.IntentNeed}), []problem{{"a", "reason", "empty", 0, 0}}, ""},
		{"syntax error", spec(need("a", "fresh(\"x\") &&\n  (")), []problem{{"a", "when", "unexpected", 2, 0}}, ""},
		{"unknown name", spec(need("a", `fresh("x") || bogus > 1`)), []problem{{"a", "when", "unknown name bogus", 1, 15}}, ""},
		{"unknown field", spec(need("a", `contact.rol == "x"`)), []problem{{"a", "when", "unknown field contact.rol", 1, 9}}, ""},
		{"bare root", spec(need("a", `contact == nil`)), []problem{{"a", "when", "contact is not a value", 1, 1}}, ""},
		{"when not boolean", spec(need("a", `1 + 2`)), []problem{{"a", "when", "must be a boolean", 1, 0}}, ""},
		{"points not numeric", spec(points("a", "true", DimensionFit, `contact.name`)),
			[]problem{{"a", "points", "must be a number", 1, 0}}, ""},
		{"points not finite", spec(points("a", "true", DimensionFit, `1e400`)),
			[]problem{{"a", "points", "", 0, 0}}, ""},
		{"nested iteration", spec(need("a", `any(activities, any(activities, .kind == "x"))`)),
			[]problem{{"a", "when", "nested iteration", 1, 17}}, ""},
		{"collection inside iteration", spec(need("a", `any(activities, len(interests) > 0)`)),
			[]problem{{"a", "when", "interests inside an iteration", 1, 21}}, ""},
		{"let", spec(need("a", `let x = 1; x > 0`)), []problem{{"a", "when", "let is not available", 1, 0}}, ""},
		{"range", spec(need("a", `len(1..10) > 0`)), []problem{{"a", "when", "ranges", 1, 0}}, ""},
		{"reduce", spec(need("a", `reduce(activities, #acc + 1, 0) > 0`)), []problem{{"a", "when", "reduce is not available", 1, 1}}, ""},
		{"repeat", spec(need("a", `len(repeat("x", 1000)) > 0`)), []problem{{"a", "when", "repeat is not available", 1, 0}}, ""},
		{"wall clock", spec(need("a", `now() > now`)), []problem{{"a", "when", "time comes from the caller", 1, 1}}, ""},
		{"$env", spec(need("a", `$env != nil`)), []problem{{"a", "when", "$env is not available", 1, 1}}, ""},
		{"non-constant kind", spec(need("a", `count(contact.name, "30d") > 0`)),
			[]problem{{"a", "when", "string literal", 1, 15}}, ""},
		{"bad window", spec(need("a", `count("x", "30 days") > 0`)), []problem{{"a", "when", "window", 1, 12}}, ""},
		{"wrong arity", spec(need("a", `fresh("a", "b")`)), []problem{{"a", "when", "takes 1 argument", 1, 1}}, ""},
		{"signals of none", spec(need("a", `signals("none") > 0`)), []problem{{"a", "when", "signals takes", 1, 9}}, ""},
		{"known of a string", spec(need("a", `known(contact.name)`)), []problem{{"a", "when", "known takes", 1, 15}}, ""},
		{"money from a float", spec(need("a", `budget > money(1.5, "GBP")`)), []problem{{"a", "when", "string literal", 1, 16}}, ""},
		{"money in a made-up currency", spec(need("a", `budget > money("1", "GPB")`)), []problem{{"a", "when", "ISO 4217", 1, 10}}, ""},
		{"money against a number", spec(need("a", `budget > 10`)), []problem{{"a", "when", "", 1, 0}}, ""},
		{"bad consent channel", spec(need("a", `consent.Email == "x"`)), []problem{{"a", "when", "not a channel name", 1, 9}}, ""},
		{"bad settings", Spec{Name: "p", Rules: []Rule{need("a", "true")}, Settings: Settings{NeedFresh: -1, Final: []lead.Reason{""}}},
			[]problem{{"", "settings.need_fresh", "negative", 0, 0}, {"", "settings.final[0]", "empty", 0, 0}}, ""},
		{"expression too long", spec(need("a", "true || "+strings.Repeat("true || ", 600)+"true")),
			[]problem{{"a", "when", "MaxExprBytes", 0, 0}}, "MaxExprBytes"},
		{"brackets too deep", spec(need("a", strings.Repeat("(", 40)+"true"+strings.Repeat(")", 40))),
			[]problem{{"a", "when", "MaxDepth", 1, 33}}, "MaxDepth"},
		{"tree too deep", spec(need("a", strings.Repeat("!", 100)+"true")),
			[]problem{{"a", "when", "MaxDepth", 1, 0}}, "MaxDepth"},
		{"every bad rule at once", spec(need("a", "1"), need("b", "fresh(\"x\")"), need("c", "nope"), interest("a", "true")),
			[]problem{{"rules[3]", "name", "duplicate", 0, 0}, {"a", "when", "must be a boolean", 1, 0}, {"c", "when", "unknown name nope", 1, 1}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Compile(tt.spec)
			require.Error(t, err)
			assert.Nil(t, p)
			assert.ErrorIs(t, err, ErrInvalidPolicy)
			var ce *CompileError
			require.ErrorAs(t, err, &ce)
			require.Len(t, ce.Problems, len(tt.want), "problems: %v", err)
			for i, w := range tt.want {
				got := ce.Problems[i]
				assert.Equal(t, w.rule, got.Rule, "rule of %v", got)
				assert.Equal(t, w.field, got.Field, "field of %v", got)
				assert.Contains(t, got.Error(), w.contains)
				if w.line > 0 {
					assert.Equal(t, w.line, got.Line, "line of %v", got)
				}
				if w.col > 0 {
					assert.Equal(t, w.col, got.Column, "column of %v", got)
				}
				// Its field error names the rule by position and the field.
				fe := got.FieldError()
				assert.Equal(t, got.Message, fe.Problem)
				assert.Equal(t, [2]int{got.Line, got.Column}, [2]int{fe.Line, fe.Column})
				switch {
				case got.Rule == "":
					assert.Equal(t, got.Field, fe.Path)
				case got.Field == "effect": // not a field: the rule as a whole
					assert.Regexp(t, `^rules\[\d+\]$`, fe.Path)
				default:
					assert.Regexp(t, `^rules\[\d+\]\.`+regexp.QuoteMeta(got.Field)+`$`, fe.Path)
				}
			}
			if tt.limit != "" {
				assert.ErrorIs(t, err, ErrLimit)
				var le *LimitError
				require.ErrorAs(t, err, &le)
				assert.Equal(t, tt.limit, le.Limit)
			} else {
				assert.False(t, errors.Is(err, ErrLimit), "unexpected limit: %v", err)
			}
		})
	}
}

func TestCompileLimits(t *testing.T) {
	rules := make([]Rule, 11)
	for i := range rules {
		rules[i] = need(strings.Repeat("r", i+1), "true")
	}
	_, err := Compile(spec(rules...), WithLimits(Limits{MaxRules: 10}))
	var le *LimitError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, LimitError{Limit: "MaxRules", Max: 10, Got: 11, Where: "rules"}, *le)

	_, err = CompileJSON(DefaultJSON(), WithLimits(Limits{MaxPolicyBytes: 100}))
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "MaxPolicyBytes", le.Limit)

	_, err = Compile(spec(need("a", "true")), WithLimits(Limits{MaxRules: -1}))
	assert.ErrorContains(t, err, "Limits.MaxRules is negative")

	// A million parentheses never reach the parser.
	_, err = Compile(spec(need("a", strings.Repeat("(", 1<<20))), WithLimits(Limits{MaxExprBytes: 2 << 20}))
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "MaxDepth", le.Limit)
}

func TestParseSpecErrors(t *testing.T) {
	tests := []struct {
		name, json, contains string
		path                 string
		line, col            int
	}{
		{"syntax", "{\n  \"name\": \"p\",\n  \"rules\": [,]\n}", "invalid character", "rules[0]", 3, 13},
		{"unknown key", `{"name":"p","rules":[{"name":"a","when":"true","reason":"r","intent":"need","dimention":"fit"}]}`,
			`json rules[0].dimention 1:77: unknown field (the fields are name, when, reason, intent, points, dimension, disqualify)`, "rules[0].dimention", 1, 77},
		{"unknown intent", `{"name":"p","rules":[{"name":"a","when":"true","reason":"r","intent":"needs"}]}`,
			`unknown intent "needs" (accepted: none, interest, need, negative)`, "rules[0].intent", 1, 70},
		{"wrong type", `{"name":"p","rules":[{"name":1}]}`, "want a string, got the number 1", "rules[0].name", 1, 30},
		{"bad window", "{\"name\":\"p\",\n\"settings\":{\"need_fresh\":\"a month\"},\"rules\":[]}",
			`json settings.need_fresh 2:26: lead: duration "a month" does not start with a number`, "settings.need_fresh", 2, 26},
		{"empty window", `{"name":"p","settings":{"response_deadline":""},"rules":[]}`, `lead: duration "" is empty`, "settings.response_deadline", 1, 45},
		{"points of a bad type", `{"name":"p","rules":[{"name":"a","when":"true","reason":"r","points":true,"dimension":"fit"}]}`,
			"want a number or an expression string", "rules[0].points", 1, 70},
		{"trailing data", `{"name":"p","rules":[]} {}`, `qualify: policy "p": json 1:25: unexpected data after the JSON value`, "", 1, 25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSpec([]byte(tt.json))
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalidPolicy)
			assert.ErrorContains(t, err, tt.contains)
			var ce *CompileError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "json", ce.Problems[0].Field)
			var fe *lead.FieldError
			require.ErrorAs(t, err, &fe, "errors.As reaches the field")
			assert.Equal(t, tt.path, fe.Path)
			assert.Equal(t, tt.line, fe.Line)
			assert.Equal(t, tt.col, fe.Column)
			_, err = CompileJSON([]byte(tt.json))
			assert.ErrorIs(t, err, ErrInvalidPolicy)
		})
	}
}

// TestCompileErrorReachesTheField: errors.As gives a *lead.FieldError whose
// Path names the rule and its field, with the position in the expression.
func TestCompileErrorReachesTheField(t *testing.T) {
	_, err := Compile(spec(need("ok", "true"), Rule{When: "true", Reason: "r", Intent: lead.IntentNeed}, Rule{Name: "hot", When: "true && nosuch > 1", Reason: "r", Intent: lead.IntentNeed}))
	require.ErrorIs(t, err, ErrInvalidPolicy)
	var fes []*lead.FieldError
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *lead.FieldError
		require.ErrorAs(t, e, &fe)
		fes = append(fes, fe)
	}
	require.Len(t, fes, 2)
	assert.Equal(t, "rules[1].name", fes[0].Path)
	assert.Equal(t, "empty", fes[0].Problem)
	assert.Equal(t, "rules[2].when", fes[1].Path)
	assert.Equal(t, [2]int{1, 9}, [2]int{fes[1].Line, fes[1].Column})
	var first *lead.FieldError
	require.ErrorAs(t, err, &first)
	assert.Equal(t, fes[0].Path, first.Path)

	_, err = Compile(Spec{Name: "p", Settings: Settings{NeedFresh: -time.Hour}, Rules: []Rule{need("a", "true")}})
	require.ErrorAs(t, err, &first)
	assert.Equal(t, "settings.need_fresh", first.Path)
	assert.EqualError(t, first, "settings.need_fresh: negative duration -1h0m0s")
}

// TestWindows: count()'s window is a constant in the duration syntax of
// lead.ParseDuration, refused at Compile when it is not.
func TestWindows(t *testing.T) {
	for _, ok := range []string{`"30d"`, `"2w"`, `"1d12h"`, `"90m"`, `"36500d"`, `days(30)`, `hours(36)`} {
		_, err := Compile(Spec{Name: "w", Rules: []Rule{{Name: "r", When: `count("email_click", ` + ok + `) > 0`, Reason: "r", Intent: lead.IntentInterest}}})
		assert.NoError(t, err, ok)
	}
	for _, bad := range []string{`""`, `"d"`, `"30"`, `"30x"`, `"0d"`, `"-1d"`, `"1.5d"`, `"1h1h"`, `"36501d"`, `"1d 2h"`, `days(0)`, `days(-1)`, `days(36501)`} {
		_, err := Compile(Spec{Name: "w", Rules: []Rule{{Name: "r", When: `count("email_click", ` + bad + `) > 0`, Reason: "r", Intent: lead.IntentInterest}}})
		var ce *CompileError
		require.ErrorAs(t, err, &ce, bad)
		assert.Equal(t, "when", ce.Problems[0].Field, bad)
	}
}
