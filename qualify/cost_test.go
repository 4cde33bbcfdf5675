package qualify

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/expr-lang/expr/builtin"
	"github.com/leadqual/leadqual/lead"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLanguageIsDocumented holds the allow-list and the package
// documentation together: every function and operator of the language is
// documented, and every builtin of expr that is not in it is refused.
func TestLanguageIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	for name, b := range builtins {
		assert.Contains(t, string(doc), b.usage, "builtin %s", name)
	}
	for name, h := range helpers {
		assert.Contains(t, string(doc), h.usage, "helper %s", name)
	}
	_, ops, _ := strings.Cut(string(doc), "// Operators:")
	ops, _, _ = strings.Cut(ops, "// Arithmetic never")
	tokens := map[string]bool{}
	for _, line := range strings.Split(ops, "\n") {
		line, _, _ = strings.Cut(strings.TrimPrefix(line, "//\t"), "   ") // the operators, before their explanation
		for _, tok := range strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == ',' }) {
			tokens[tok] = true
		}
	}
	for op := range operators {
		assert.True(t, tokens[op], "operator %s is not documented", op)
	}
	for _, b := range builtin.Builtins {
		if _, ok := builtins[b.Name]; ok {
			continue
		}
		_, err := Compile(spec(need("r", b.Name+"(activities) != nil")))
		assert.ErrorIs(t, err, ErrInvalidPolicy, "builtin %s must be refused", b.Name)
		if err != nil && b.Name != "count" {
			assert.Contains(t, err.Error(), b.Name, "builtin %s: %v", b.Name, err)
		}
	}
}

func TestCostRefusals(t *testing.T) {
	t.Run("a rule", func(t *testing.T) {
		s := spec(need("cheap", `fresh("demo_request")`), need("heavy", `contact.role == "user" && any(activities, upper(.asset) == "X")`))
		_, err := Compile(s)
		require.Error(t, err)
		var ce *CompileError
		require.ErrorAs(t, err, &ce)
		require.Len(t, ce.Problems, 2, "the rule, and the policy it puts over budget: %v", err)
		p := ce.Problems[0]
		assert.Equal(t, "heavy", p.Rule)
		assert.Equal(t, "when", p.Field)
		assert.Equal(t, 1, p.Line)
		assert.Equal(t, 43, p.Column, "at the largest term: upper")
		assert.Contains(t, p.Message, "estimated cost")
		assert.Contains(t, p.Message, "largest term: upper (up to 4,096 bytes), for each of up to 10,000 elements of activities")
		var le *LimitError
		require.ErrorAs(t, p, &le)
		assert.Equal(t, "MaxRuleCost", le.Limit)
		assert.Equal(t, DefaultMaxRuleCost, le.Max)
		assert.Greater(t, le.Got, 10*DefaultMaxRuleCost)
		assert.Equal(t, "rules", ce.Problems[1].Field)
		assert.Contains(t, ce.Problems[1].Message, `the most expensive rules: "heavy"`)
	})
	t.Run("points", func(t *testing.T) {
		_, err := Compile(spec(points("p", "true", DimensionFit, `len(filter(activities, .asset matches "[a-z]+@[a-z]+")) * 2`)))
		var ce *CompileError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, "points", ce.Problems[0].Field)
		assert.Contains(t, ce.Problems[0].Message, "largest term: matches (a program of")
	})
	t.Run("a policy of cheap rules", func(t *testing.T) {
		var rules []Rule
		for i := range 300 {
			rules = append(rules, need(fmt.Sprintf("r%d", i), `any(interests, .topic == "x")`))
		}
		_, err := Compile(spec(rules...))
		var le *LimitError
		require.ErrorAs(t, err, &le)
		assert.Equal(t, "MaxPolicyCost", le.Limit)
		assert.Equal(t, "policy test", le.Where)
		_, err = Compile(spec(rules[:20]...))
		assert.NoError(t, err)
	})
	t.Run("configurable", func(t *testing.T) {
		heavy := spec(need("heavy", `any(activities, upper(.asset) == "X")`))
		_, err := Compile(heavy, WithLimits(Limits{MaxRuleCost: 1e12, MaxPolicyCost: 1e12}))
		assert.NoError(t, err, "a host may grant more")
		_, err = Compile(heavy, WithLimits(Limits{MaxActivities: 50, MaxTextBytes: 100}))
		assert.NoError(t, err, "or bound its leads more tightly")
		_, err = Compile(spec(need("r", `any(interests, .topic == "x")`)), WithLimits(Limits{MaxRuleCost: 1000}))
		var le *LimitError
		require.ErrorAs(t, err, &le)
		assert.Equal(t, "MaxRuleCost", le.Limit)
		assert.Equal(t, 1000, le.Max)
	})
	t.Run("regex", func(t *testing.T) {
		_, err := Compile(spec(need("r", `contact.title matches "(ceo|cfo){30}"`)), WithLimits(Limits{MaxRegexProgram: 50}))
		var le *LimitError
		require.ErrorAs(t, err, &le)
		assert.Equal(t, "MaxRegexProgram", le.Limit)
		_, err = Compile(spec(need("r", `contact.title matches "(ceo|cfo"`)))
		assert.ErrorContains(t, err, "invalid pattern")
	})
}

// exprGenVM writes random expressions of the rule language that run in the
// VM: iterations, string functions, in, matches, arithmetic on custom
// fields.
type exprGenVM struct{ r *rand.Rand }

func (g *exprGenVM) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

func (g *exprGenVM) str(elem bool) string {
	if elem && g.r.IntN(2) == 0 {
		return g.pick("#.kind", "#.asset", "#.product", "#.channel", "#.intent", `#.attrs.k`)
	}
	switch g.r.IntN(5) {
	case 0:
		return g.pick(`upper(`, `lower(`, `trim(`) + g.str(elem) + ")"
	case 1:
		return "(" + g.str(elem) + " + " + g.str(elem) + ")"
	case 2:
		return `trimPrefix(` + g.str(elem) + `, "a")`
	}
	return g.pick("contact.name", "company.industry", `fields.s`, `"abc"`, `fields.s ?? ""`)
}

func (g *exprGenVM) boolean(elem bool) string {
	switch g.r.IntN(9) {
	case 0:
		return g.str(elem) + " " + g.pick("contains", "startsWith", "endsWith", "==", "<") + " " + g.str(elem)
	case 1:
		return g.str(elem) + ` matches "` + g.pick("^a", "[a-z]+x", "(?i)ceo|cfo", "a.*b.*c") + `"`
	case 2:
		return g.str(elem) + " in " + g.pick("fields.list", `["a", "b"]`, "fields.m", "fields")
	case 3:
		return fmt.Sprintf("indexOf(%s, %q) %s %d", g.str(elem), g.pick("a", "xy"), g.pick(">", "=="), g.r.IntN(3)-1)
	case 4:
		return g.number(elem) + " " + g.pick(">", "<", "!=") + " " + g.number(elem)
	case 5:
		if !elem {
			return g.pick("any", "all", "none", "one") + "(" + g.pick("activities", "interests", "fields.list") + ", " + g.boolean(true) + ")"
		}
	case 6:
		if !elem {
			return "len(" + g.pick("filter", "map") + "(activities, " + g.boolean(true) + ")) " + g.pick(">", "==") + " 2"
		}
	}
	return g.pick("true", "false", `fresh("page_visit")`)
}

func (g *exprGenVM) number(elem bool) string {
	switch g.r.IntN(6) {
	case 0:
		return "len(" + g.str(elem) + ")"
	case 1:
		return "(" + g.number(elem) + " " + g.pick("+", "-", "*", "/", "%") + " " + g.number(elem) + ")"
	case 2:
		return g.pick("abs(", "int(", "float(") + g.number(elem) + ")"
	case 3:
		return g.pick("fields.x", "company.employees", "#index", "9223372036854775000")
	}
	return fmt.Sprint(g.r.IntN(20) - 5)
}

// TestRunTimeCostWithinEstimate: on random rules of the VM and leads up to
// their limits, the run-time charge of every expression stays within its
// estimate (the guard would stop it otherwise, with a LimitError this test
// looks for), and the charge of the whole evaluation within the policy's.
func TestRunTimeCostWithinEstimate(t *testing.T) {
	lims := Limits{MaxActivities: 300, MaxInterests: 20, MaxTextBytes: 300, MaxFieldsBytes: 2000}
	r := rand.New(rand.NewPCG(7, 7))
	leads := []*lead.Lead{newLead("L"), richLead(40), limitLead(lims, r)}
	compiled := 0
	for i := range 400 {
		g := &exprGenVM{r: r}
		s := spec(need("w", g.boolean(false)), points("p", g.boolean(false), DimensionFit, g.number(false)))
		s.Settings.OnError = OnErrorSkip
		p, err := Compile(s, WithLimits(lims))
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidPolicy)
			continue
		}
		compiled++
		for _, l := range leads {
			st := p.pool.Get().(*state)
			var d Decision
			err := p.evaluate(context.Background(), st, l, t0, &d)
			require.NoError(t, err)
			for _, f := range d.Failures {
				require.NotContains(t, f.Error, "beyond the rule's estimate", "rule %d %s: %s / %s", i, f.Rule, s.Rules[0].When, s.Rules[1].Points)
			}
			var estimate int64
			for _, r := range p.rules {
				estimate += r.whenCost.total + r.pointsCost.total
			}
			assert.LessOrEqual(t, st.meter.charged, estimate)
			p.release(st)
		}
	}
	assert.Greater(t, compiled, 100, "the generator writes mostly rules that compile")
}

// limitLead is a lead at the given limits, with random text.
func limitLead(lims Limits, r *rand.Rand) *lead.Lead {
	text := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "abcxyz "[r.IntN(7)]
		}
		return string(b)
	}
	l := newLead("L-limits")
	l.Contact.Name = text(lims.MaxTextBytes)
	l.Company.Industry = text(lims.MaxTextBytes)
	for i := range lims.MaxActivities {
		l.Activities = append(l.Activities, lead.Activity{Kind: lead.Kind(text(8)), At: ago(time.Duration(i) * time.Hour),
			Asset: text(lims.MaxTextBytes), Product: text(lims.MaxTextBytes / 2), Attrs: map[string]string{"k": text(lims.MaxTextBytes)}})
	}
	for range lims.MaxInterests {
		l.Interests = append(l.Interests, lead.Interest{Topic: text(lims.MaxTextBytes), LastSeen: ago(day)})
	}
	list := []any{}
	for range 40 {
		list = append(list, text(10))
	}
	l.Fields = map[string]any{"s": text(lims.MaxFieldsBytes / 3), "x": 12.5, "list": list, "m": map[string]any{"abc": true}}
	return l
}

// TestGuardStopsInsideIteration: a rule iterating over the largest lead
// stops within checkEvery units of work once its context is done, in the
// middle of the iteration, and the evaluation returns the context's error
// whatever OnError says.
func TestGuardStopsInsideIteration(t *testing.T) {
	s := spec(need("scan", `any(activities, #.asset == "never" || #.kind startsWith "never")`))
	s.Settings.OnError = OnErrorSkip
	p, err := Compile(s)
	require.NoError(t, err)
	l := hostileLead()
	r := &p.rules[0]

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	st := p.pool.Get().(*state)
	require.NoError(t, p.prepare(context.Background(), st, l, t0))
	p.fillEnv(st)
	st.meter.reset(ctx, ctx.Done())
	_, err = st.testVM(r)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, st.meter.stop, context.Canceled)
	assert.LessOrEqual(t, st.meter.spent, r.whenCost.outer+checkEvery+2*r.whenCost.total/int64(len(l.Activities)),
		"stopped within one look at the context")
	assert.Less(t, st.meter.spent, r.whenCost.total/10, "long before the end of the iteration")
	p.release(st)

	// Through Evaluate: a context cancelled while the rule runs.
	ctx, cancel = context.WithCancel(context.Background())
	go func() { time.Sleep(time.Millisecond); cancel() }()
	for {
		_, err := EvaluateAt(ctx, p, l, t0)
		if err != nil {
			assert.ErrorIs(t, err, context.Canceled)
			assert.False(t, errors.Is(err, ErrRule), "a cancelled evaluation is not a rule failure: %v", err)
			break
		}
	}
}

// TestArithmeticFaults: faults fail the rule on both paths, with an
// *ArithmeticError; OnErrorSkip lists them.
func TestArithmeticFaults(t *testing.T) {
	l := newLead("L")
	l.Company.Employees = 20
	l.Fields = map[string]any{"zero": 0.0, "big": 1e308}
	tests := []struct{ field, expr, fault string }{
		{"when", `company.employees * 9223372036854775807 > 0`, "integer overflow"},
		{"when", `company.employees - 9223372036854775807 - 100 < 0`, "integer overflow"},
		{"when", `-(company.employees - 20 - 9223372036854775807 - 1) > 0`, "integer overflow"},
		{"when", `abs(company.employees - 20 - 9223372036854775807 - 1) > 0`, "integer overflow"},
		{"when", `company.employees * 1e307 * 100 > 0`, "not a finite number"},
		{"when", `company.employees / fields.zero > 1`, "division by zero"},
		{"when", `fields.big * 10 > 1`, "not a finite number"},
		{"when", `company.employees % int(fields.zero) == 0`, "division by zero"},
		{"when", `int(fields.big) > 0`, "integer overflow"},
		{"points", `company.employees * 9223372036854775807`, "integer overflow"},
		{"points", `float(company.employees) ** 400`, "not a finite number"},
	}
	for _, tt := range tests {
		for _, mode := range []struct {
			name string
			opts []Option
		}{{"fast", nil}, {"vm", []Option{vmOnly()}}} {
			t.Run(mode.name+": "+tt.expr, func(t *testing.T) {
				r := need("r", tt.expr)
				if tt.field == "points" {
					r = points("r", "true", DimensionFit, tt.expr)
				}
				p, err := Compile(spec(r), mode.opts...)
				require.NoError(t, err)
				_, err = EvaluateAt(context.Background(), p, l, t0)
				require.ErrorIs(t, err, ErrRule)
				require.ErrorIs(t, err, ErrArithmetic)
				var ae *ArithmeticError
				require.ErrorAs(t, err, &ae)
				assert.Equal(t, tt.fault, ae.Fault)
				var re *RuleError
				require.ErrorAs(t, err, &re)
				assert.Equal(t, tt.field, re.Field)

				s := spec(r)
				s.Settings.OnError = OnErrorSkip
				p, err = Compile(s, mode.opts...)
				require.NoError(t, err)
				d, err := EvaluateAt(context.Background(), p, l, t0)
				require.NoError(t, err)
				require.Len(t, d.Failures, 1)
				assert.Contains(t, d.Failures[0].Error, tt.fault)
				assert.Zero(t, d.Fit, "no points from a fault")
			})
		}
	}
	// Constants are folded with the same checks, at Compile.
	for _, c := range []string{`1 / 0 > 0`, `0.0 / 0.0 > 0`, `9223372036854775807 * 2 > 0`, `-(-9223372036854775807 - 1) > 0`, `2.0 ** 2000 > 0`, `1e400 > 0`} {
		_, err := Compile(spec(need("r", c)))
		assert.ErrorIs(t, err, ErrInvalidPolicy, c)
	}
}

// TestNothingDependsOnTheMachine: the same lead at the same instant gets
// the same decision whatever the machine's time zone and whatever zone the
// caller's now is in.
func TestNothingDependsOnTheMachine(t *testing.T) {
	s := spec(
		need("recent", `any(activities, .at > now - hours(20)) && now - created_at < days(400)`),
		points("late", `since("webinar_attended") < hours(30)`, DimensionEngagement, `10`),
		interest("soon", `known(expected_purchase) && expected_purchase - now < days(61)`),
	)
	l := richLead(30)
	l.CreatedAt = ago(100 * day)
	l.ExpectedPurchase = t0.Add(60 * day)
	var want Decision
	saved := time.Local
	defer func() { time.Local = saved }()
	for i, zone := range []string{"UTC", "Asia/Tokyo", "America/Los_Angeles", "Pacific/Chatham"} {
		loc, err := time.LoadLocation(zone)
		require.NoError(t, err)
		time.Local = loc
		p, err := Compile(s)
		require.NoError(t, err)
		d, err := EvaluateAt(context.Background(), p, l, t0.In(loc))
		require.NoError(t, err)
		d.At = d.At.UTC()
		d.Deadline = d.Deadline.UTC()
		if i == 0 {
			want = d
			continue
		}
		assert.Equal(t, want, d, zone)
	}
	assert.Equal(t, VerdictNeed, want.Verdict)
}

// TestMembersAreAllowListed: rules read only the documented members.
func TestMembersAreAllowListed(t *testing.T) {
	for _, ok := range []string{
		`any(activities, .kind == "x" && .attrs.k == "v" && .attrs["k"] == "v" && .at < now)`,
		`any(interests, .topic == "x" && .first_seen < .last_seen)`,
		`fields.a.b == 1 || fields["a"]["b"] == 1 || fields.list[0] == 1 || fields?.a?.b == 1`,
		`activities[0].kind == "x" && first(activities).asset == "" && last(interests).topic == ""`,
		`contact.name[0:2] == "Ad" && len(activities[1:3]) == 2`,
	} {
		_, err := Compile(spec(need("r", ok)))
		assert.NoError(t, err, ok)
	}
	for _, bad := range []string{
		`any(activities, .At == now)`, `any(activities, .kind.Len == 1)`, `any(interests, .Topic == "")`,
		`budget.Amount == nil`, `value["Currency"] == "GBP"`, `now.wall == 0`, `since("x").Hours() > 1`,
		`contact.name.Len == 0`, `company.employees.x == 0`,
	} {
		_, err := Compile(spec(need("r", bad)))
		assert.ErrorIs(t, err, ErrInvalidPolicy, bad)
	}
}

// BenchmarkHostile times every case of the hostile corpus that Compile
// admits, on its lead: the times the attackers measured in seconds
// are now bounded by the cost model.
func BenchmarkHostile(b *testing.B) {
	leads := map[string]*lead.Lead{}
	for name, h := range readHostile(b) {
		if h.Exp == "refused" {
			continue
		}
		p, err := Compile(h.policy(), WithLimits(h.Lims))
		require.NoError(b, err)
		l := leads[h.Lead]
		if l == nil {
			l = hostileLeads[h.Lead]()
			leads[h.Lead] = l
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				_, _ = EvaluateAt(context.Background(), p, l, t0)
			}
			b.ReportMetric(p.cost, "estimate")
		})
	}
}

func TestCostUnits(t *testing.T) {
	assert.Equal(t, "1,234,567 units", units(1234567))
	assert.Equal(t, "12 units", units(11.2))
	assert.Equal(t, "-1,000", thousands(-1000))
	assert.True(t, strings.HasPrefix(units(1e30), "more than"))
}

// TestIntentOfAgreesWithTheVocabulary: the kind index answers what the
// vocabulary does, for every kind it knows and for kinds it does not.
func TestIntentOfAgreesWithTheVocabulary(t *testing.T) {
	s := spec(need("r", `any(activities, .intent == "need")`), need("c", `count("rfp", "30d") > 0 && count("page_visit", "1d") > 0`))
	s.Settings.Intents = map[lead.Kind]lead.Intent{"rfp": lead.IntentNeed, lead.KindWebinarAttended: lead.IntentNone, "ping": lead.IntentNegative}
	p, err := Compile(s)
	require.NoError(t, err)
	kinds := append(lead.Kinds(), "rfp", "ping", "nothing", "", lead.Kind(strings.Repeat("k", 5000)))
	for _, k := range kinds {
		assert.Equal(t, p.vocab.Intent(k), p.intentOf(k), "kind %.20q", k)
	}
}

// TestGuardsKeepExprSemantics: the guarded functions answer what expr's
// own did, nil included, so that a missing custom field stays unknown
// where it was, and false where expr said false.
func TestGuardsKeepExprSemantics(t *testing.T) {
	l := newLead("L")
	l.Contact.Name = "Ada Byrne"
	l.Fields = map[string]any{"s": "Route Planner", "n": 3.0, "list": []any{"a", 1.0}, "m": map[string]any{"k": 1.0}}
	tests := []struct {
		when  string
		match bool
		fails bool // a failure or an unjudged rule, not false
	}{
		{`fields.missing contains "a"`, false, false},
		{`fields.missing startsWith "a" || fields.missing endsWith "a"`, false, false},
		{`fields.missing matches "a"`, false, false},
		{`"a" in fields.missing`, false, false},
		{`hasPrefix(fields.missing, "a")`, false, true},
		{`upper(fields.missing) == ""`, false, true},
		{`fields.missing * 2 > 1`, false, true},
		{`upper(fields.s) == "ROUTE PLANNER" && lower(contact.name) == "ada byrne" && trim("  x ") == "x"`, true, false},
		{`trimPrefix(fields.s, "Route ") == "Planner" && trimSuffix(fields.s, " Planner") == "Route" && trim("xxaxx", "x") == "a"`, true, false},
		{`hasPrefix(fields.s, "Route") && hasSuffix(fields.s, "Planner") && indexOf(fields.s, "P") == 6 && lastIndexOf(fields.s, "n") == 10`, true, false},
		{`fields.s contains "Plan" && fields.s startsWith "Ro" && fields.s endsWith "er" && fields.s matches "^R.*r$"`, true, false},
		{`"a" in fields.list && 1 in fields.list && !("b" in fields.list) && "k" in fields.m && !("x" in fields.m)`, true, false},
		{`fields.n * 2 == 6 && fields.n / 2 == 1.5 && fields.n + 1 == 4 && fields.n - 4 == -1 && -fields.n == -3 && abs(-fields.n) == 3`, true, false},
		{`int(fields.n) % 2 == 1 && int("42") == 42 && float("2.5") == 2.5 && fields.n ** 2 == 9`, true, false},
		{`days(2) * 3 == days(6) && days(2) + hours(1) > days(2) && since("x") - days(1) > days(1)`, true, false},
		{`"a" + "b" == "ab" && contact.name + "!" == "Ada Byrne!"`, true, false},
	}
	for _, tt := range tests {
		for _, mode := range []struct {
			name string
			opts []Option
		}{{"fast", nil}, {"vm", []Option{vmOnly()}}} {
			t.Run(mode.name+": "+tt.when, func(t *testing.T) {
				s := spec(need("r", tt.when))
				s.Settings.OnError = OnErrorSkip
				p, err := Compile(s, mode.opts...)
				require.NoError(t, err)
				d, err := EvaluateAt(context.Background(), p, l, t0)
				require.NoError(t, err)
				assert.Equal(t, tt.match, d.Verdict == VerdictNeed)
				assert.Equal(t, tt.fails, len(d.Failures)+len(d.Unjudged) > 0, "failures %v, unjudged %v", d.Failures, d.Unjudged)
			})
		}
	}
}

// A rule that reads the text of every activity is refused under the
// default limits (40 MB of text per lead) and admitted once the host
// lowers them: the cost is proven for the leads the limits admit
// (SECURITY.md, "What a host must configure").
func TestTextScanAdmittedByLowerLimits(t *testing.T) {
	s := spec(need("scan", `any(activities, #.asset contains "pricing")`))
	_, err := Compile(s)
	require.ErrorIs(t, err, ErrLimit)
	assert.Contains(t, err.Error(), "MaxRuleCost")
	p, err := Compile(s, WithLimits(Limits{MaxActivities: 1000}))
	require.NoError(t, err)
	l := newLead("L", lead.Activity{Kind: lead.KindPageVisit, At: ago(time.Hour), Asset: "/pricing"})
	assert.Equal(t, VerdictNeed, evalAt(t, p, l).Verdict)
}
