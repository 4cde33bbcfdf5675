package qualify

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"regexp/syntax"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
)

// FuzzCompileJSON: any bytes as a policy. CompileJSON never panics; it
// compiles, or refuses with a *CompileError; a compiled policy evaluates a
// lead without panicking.
func FuzzCompileJSON(f *testing.F) {
	f.Add(DefaultJSON())
	f.Add([]byte(`{"name":"p","rules":[{"name":"a","when":"fresh(\"x\")","reason":"r","intent":"need"}]}`))
	f.Add([]byte(`{"name":"p","settings":{"need_fresh":"1d"},"rules":[{"name":"a","when":"count(\"x\",\"2d\") > 1","reason":"r","points":"5 * count(\"x\", \"2d\")","dimension":"engagement"}]}`))
	f.Add([]byte(`{"name":"p","rules":[{"name":"a","when":"budget > money(\"1\", \"GBP\")","reason":"r","disqualify":"x"}]}`))
	f.Add([]byte(`{"name":"p","rules":[{"name":"a","when":"((((((","reason":"r","intent":"need"}]}`))
	f.Add([]byte(`[1,2`))
	f.Add([]byte(`{"name":"p","settings":{"dimensions":["urgency"],"product_lines":[{"name":"rp","products":["RoutePlanner"]}],` +
		`"account":{"rollup":{"fit":"sum","urgency":"max"},"roles":["decision_maker","user"]}},"rules":[` +
		`{"name":"a","when":"engaged() >= 2 && reached(\"user\")","reason":"r","points":"roles()","dimension":"urgency"},` +
		`{"name":"b","when":"people(\"need\") > 0","reason":"r","intent":"need"}]}`))
	l := richLead(30)
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := CompileJSON(data)
		if err != nil {
			var ce *CompileError
			if !errors.As(err, &ce) && !errors.Is(err, ErrLimit) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		_, _ = EvaluateAt(context.Background(), p, l, t0)
	})
}

// FuzzCompileExpr: any text as a `when` and as points. Compile never
// panics; what compiles evaluates without panicking, on both paths.
func FuzzCompileExpr(f *testing.F) {
	for _, s := range []string{
		`fresh("pricing_request")`, `count("email_click", "30d") * 5 > 10`, `contact.role in ["decision_maker"]`,
		`any(activities, .kind == "x" && .at > now - days(3))`, `fields.x ?? 1 > 0`, `budget >= money("10", "GBP")`,
		`since("x") < hours(2)`, `interested("a") || known(value)`, `company.employees / 0 > 1`, `"a" + contact.name`,
		`map(activities, .asset)[0] == ""`, `toJSON(fields) != ""`, `min(1, 2.5, -3)`, `1 ? 2 : 3`,
		`any(activities, #.asset in fields.list)`, `upper(fields.s) contains "X"`, `budget.Amount.Shift(2)`,
		`now.Local().Hour() > 1`, `fields.x * 9223372036854775807 > 0`, `1 / (len(activities) - len(activities)) > 0`,
		`contact.name matches "([a-z]|x){1000}y"`, `abs(-9223372036854775807 - 1 + company.employees) > 0`,
		`trim(fields.s, "ab") == indexOf(contact.name, "x") + ""`, `$env["now"]`, `activities[0:2][1].attrs.k == nil`,
	} {
		f.Add(s)
	}
	l := richLead(20)
	l.Fields = map[string]any{"x": 1.5, "s": "text", "list": []any{1.0, "a"}, "m": map[string]any{"k": true}}
	f.Fuzz(func(t *testing.T, src string) {
		for _, s := range []Spec{spec(need("r", src)), spec(points("r", "true", DimensionFit, src))} {
			for _, opts := range [][]Option{nil, {vmOnly()}} {
				s.Settings.OnError = OnErrorSkip
				p, err := Compile(s, opts...)
				if err != nil {
					if !errors.Is(err, ErrInvalidPolicy) {
						t.Fatalf("error of type %T: %v", err, err)
					}
					continue
				}
				if _, err := EvaluateAt(context.Background(), p, l, t0); err != nil && !errors.Is(err, ErrRule) {
					t.Fatalf("evaluate: %v", err)
				}
			}
		}
	})
}

// FuzzEvaluateAccount: any bytes as an account's JSON. What decodes
// evaluates against a policy of product lines and account rules without
// panicking, and twice the same way.
func FuzzEvaluateAccount(f *testing.F) {
	a := northwind()
	a.Leads[0].Activities = append(a.Leads[0].Activities, on(act(lead.KindQuoteRequest, ago(time.Hour)), "telematics"))
	a.SetFunnel("routeplanner", lead.Funnel{Stage: lead.StageWon})
	b, _ := json.Marshal(a)
	f.Add(b)
	f.Add([]byte(`{"id":"a","stage":"lost","history":[{"from":"new","to":"lost","at":"2026-11-22T00:00:00Z"}],"leads":[{"id":"x"},{"id":"x"}]}`))
	f.Add([]byte(`{"id":"a","leads":[{"id":"x","lines":{"fuelcards":{"stage":"won"}},"activities":[{"kind":"demo_request","at":"2026-11-23T08:00:00Z","product":"FUELCARDS"}]}]}`))
	s := linesSpec()
	s.Rules = append(s.Rules, accountSpec().Rules[len(DefaultSpec().Rules)+1:]...)
	p, err := Compile(s)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var a lead.Account
		if json.Unmarshal(data, &a) != nil {
			return
		}
		x, err1 := EvaluateAccount(context.Background(), p, &a, t0)
		y, err2 := EvaluateAccount(context.Background(), p, &a, t0)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("not deterministic: %v / %v", err1, err2)
		}
		if err1 == nil {
			jx, _ := json.Marshal(x)
			jy, _ := json.Marshal(y)
			if string(jx) != string(jy) {
				t.Fatalf("not deterministic:\n%s\n%s", jx, jy)
			}
		}
	})
}

// FuzzEvaluate: any bytes as a lead's JSON. What decodes evaluates against
// the default policy without panicking, and twice the same way.
func FuzzEvaluate(f *testing.F) {
	for _, l := range []*lead.Lead{newLead("L"), richLead(10), benchLead(30, 3)} {
		b, _ := json.Marshal(l)
		f.Add(b)
	}
	f.Add([]byte(`{"id":"x","activities":[{"kind":"pricing_request","at":"0001-01-01T00:00:00Z"},{"kind":"","at":"9999-12-31T23:59:59Z"}]}`))
	f.Add([]byte(`{"id":"x","budget":{"amount":"-1e40","currency":"XXX"},"fields":{"do_not_contact":"yes"}}`))
	p, err := Compile(DefaultSpec())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var l lead.Lead
		if json.Unmarshal(data, &l) != nil {
			return
		}
		a, err1 := EvaluateAt(context.Background(), p, &l, t0)
		b, err2 := EvaluateAt(context.Background(), p, &l, t0)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("not deterministic: %v / %v", err1, err2)
		}
		if err1 == nil {
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			if string(ja) != string(jb) {
				t.Fatalf("not deterministic:\n%s\n%s", ja, jb)
			}
		}
	})
}

// FuzzRegexProgram: any pattern. regexProgram never panics and never
// compiles a monster; what it accepts compiles to a program within the
// limit, of the size it says.
func FuzzRegexProgram(f *testing.F) {
	for _, s := range []string{`pricing`, `(?i)^(ceo|cfo)`, `([a-z]|x){1000}y`, `((a{1,100}){1,100}){1,100}`, `(x+x+)+y`,
		`[\p{L}\p{N}]{0,50}`, `(a|b|c){20}`, `(`, `a**`, `\Q...\E{3}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		const limit = 200
		n, err := regexProgram(src, limit)
		if err != nil {
			return
		}
		if n > limit {
			t.Fatalf("%q: %d instructions accepted over %d", src, n, limit)
		}
		re, err := syntax.Parse(src, syntax.Perl)
		if err != nil {
			t.Fatalf("%q accepted but does not parse: %v", src, err)
		}
		prog, err := syntax.Compile(re.Simplify())
		if err != nil || len(prog.Inst) != n {
			t.Fatalf("%q: said %d instructions, compiles to %v (%v)", src, n, len(prog.Inst), err)
		}
		if _, err := regexp.Compile(src); err != nil {
			t.Fatalf("%q accepted but regexp refuses it: %v", src, err)
		}
	})
}
