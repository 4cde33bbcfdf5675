package qualify

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// linesSpec is the default policy for a business of three product lines,
// with an urgency score.
func linesSpec() Spec {
	s := DefaultSpec()
	s.Name = "three-lines"
	s.Settings.ProductLines = []ProductLine{
		{Name: "routeplanner", Products: []string{"RoutePlanner", "route planner", "RP-100"}},
		{Name: "telematics", Products: []string{"Telematics", "fleet tracking"}},
		{Name: "fuelcards"},
	}
	s.Settings.Dimensions = []Dimension{"urgency"}
	s.Rules = append(s.Rules, Rule{Name: "urgent", When: `count("demo_request", "7d") > 0`, Dimension: "urgency", Points: "50",
		Reason: "asked for a demo this week"})
	return s
}

func linesPolicy(t testing.TB) *Policy {
	t.Helper()
	p, err := Compile(linesSpec())
	require.NoError(t, err)
	return p
}

func on(a lead.Activity, product string) lead.Activity { a.Product = product; return a }

func lineOf(t *testing.T, d Decision, name string) Decision {
	t.Helper()
	for _, ld := range d.Lines {
		if ld.Line == name {
			return ld
		}
	}
	t.Fatalf("no decision on line %q in %v", name, d.Lines)
	return Decision{}
}

func lineNames(d Decision) []string {
	var out []string
	for _, ld := range d.Lines {
		out = append(out, ld.Line)
	}
	return out
}

func TestProductLines(t *testing.T) {
	p := linesPolicy(t)
	tests := []struct {
		name  string
		build func(l *lead.Lead)
		lines []string
		check func(t *testing.T, d Decision)
	}{
		{"no product: no line judged", func(l *lead.Lead) {
			l.Activities = []lead.Activity{act(lead.KindPricingRequest, ago(time.Hour))}
		}, nil, func(t *testing.T, d Decision) {
			assert.Equal(t, RouteSales, d.Route, "need without a product goes to sales as before")
		}},
		{"each line judged on its own activities", func(l *lead.Lead) {
			l.Activities = []lead.Activity{
				on(act(lead.KindQuoteRequest, ago(time.Hour)), "RoutePlanner"),
				on(act(lead.KindWhitePaper, ago(2*day)), "Fleet Tracking"),
			}
		}, []string{"routeplanner", "telematics"}, func(t *testing.T, d Decision) {
			rp, tm := lineOf(t, d, "routeplanner"), lineOf(t, d, "telematics")
			assert.Equal(t, VerdictNeed, rp.Verdict)
			assert.Equal(t, RouteSales, rp.Route)
			assert.Equal(t, ago(time.Hour).Add(5*time.Minute), rp.Deadline)
			assert.Equal(t, lead.KindQuoteRequest, rp.NeedKind)
			assert.Equal(t, VerdictInterest, tm.Verdict)
			assert.Equal(t, RouteNurture, tm.Route)
			assert.Equal(t, 10.0, tm.Engagement, "the line's own engagement: one white paper")
			assert.Equal(t, lead.StageNurturing, tm.NextStage)
			assert.Equal(t, []string{"downloaded a white paper"}, lineReasons(tm, "interest"))
			assert.Equal(t, VerdictNeed, d.Verdict, "the lead as a whole sees every activity")
			assert.Equal(t, 10.0, d.Engagement)
		}},
		{"won on one line, a cross-sell on another", func(l *lead.Lead) {
			l.SetFunnel("routeplanner", lead.Funnel{Stage: lead.StageWon})
			l.Activities = []lead.Activity{on(act(lead.KindDemoRequest, ago(time.Hour)), "telematics")}
		}, []string{"routeplanner", "telematics"}, func(t *testing.T, d Decision) {
			rp, tm := lineOf(t, d, "routeplanner"), lineOf(t, d, "telematics")
			assert.Equal(t, lead.StageWon, rp.Stage)
			assert.Equal(t, lead.StageWon, rp.NextStage, "won stays won")
			assert.Equal(t, VerdictNone, rp.Verdict)
			assert.Equal(t, RouteSales, rp.Route, "a customer stays with sales")
			assert.Equal(t, RouteSales, tm.Route)
			assert.Equal(t, lead.StageNew, tm.Stage)
			assert.Equal(t, lead.StageSalesAccepted, tm.NextStage, "the other line enters the funnel")
			assert.Equal(t, map[Dimension]float64{"urgency": 50}, tm.Scores)
			assert.Equal(t, map[Dimension]float64{"urgency": 0}, rp.Scores)
		}},
		{"a line's loss answers the need before it", func(l *lead.Lead) {
			f := lead.Funnel{}
			require.NoError(t, f.MoveTo(lead.StageSalesAccepted, ago(20*day), "asked for a quote"))
			require.NoError(t, f.MoveTo(lead.StageLost, ago(10*day), "no budget"))
			f.LostReason = lead.ReasonNoBudget
			l.SetFunnel("routeplanner", f)
			l.Activities = []lead.Activity{
				on(act(lead.KindQuoteRequest, ago(20*day)), "RP-100"),
				on(act(lead.KindWhitePaper, ago(2*day)), "RP-100"),
			}
		}, []string{"routeplanner"}, func(t *testing.T, d Decision) {
			rp := lineOf(t, d, "routeplanner")
			assert.Equal(t, VerdictInterest, rp.Verdict, "the quote before the loss is answered")
			assert.Equal(t, RouteNurture, rp.Route)
			assert.Equal(t, VerdictInterest, d.Verdict, "the line's loss answers its request for the lead as a whole too")
		}},
		{"a line's loss answers that line's requests only", func(l *lead.Lead) {
			f := lead.Funnel{}
			require.NoError(t, f.MoveTo(lead.StageSalesAccepted, ago(20*day), ""))
			require.NoError(t, f.MoveTo(lead.StageLost, ago(10*day), ""))
			l.SetFunnel("routeplanner", f)
			l.Activities = []lead.Activity{
				on(act(lead.KindQuoteRequest, ago(15*day)), "RP-100"),
				on(act(lead.KindDemoRequest, ago(15*day)), "telematics"),
				act(lead.KindContactRequest, ago(14*day)),
			}
		}, []string{"routeplanner", "telematics"}, func(t *testing.T, d Decision) {
			assert.Equal(t, VerdictNone, lineOf(t, d, "routeplanner").Verdict)
			assert.Equal(t, VerdictNeed, lineOf(t, d, "telematics").Verdict)
			assert.Equal(t, VerdictNeed, d.Verdict)
			assert.Equal(t, lead.KindContactRequest, d.NeedKind, "the newest request not answered: the one of no line")
		}},
		{"fresh need after a line's loss reopens the line", func(l *lead.Lead) {
			f := lead.Funnel{LostReason: lead.ReasonPreferredSupplier}
			require.NoError(t, f.MoveTo(lead.StageSalesAccepted, ago(20*day), ""))
			require.NoError(t, f.MoveTo(lead.StageLost, ago(10*day), ""))
			l.SetFunnel("telematics", f)
			l.Activities = []lead.Activity{on(act(lead.KindPricingRequest, ago(time.Hour)), "telematics")}
		}, []string{"telematics"}, func(t *testing.T, d Decision) {
			tm := lineOf(t, d, "telematics")
			assert.Equal(t, RouteSales, tm.Route)
			assert.Equal(t, lead.ReasonPreferredSupplier, tm.Reopened)
			assert.Equal(t, "asked for pricing after being lost to a preferred supplier", tm.Note)
			assert.Equal(t, lead.StageSalesAccepted, tm.NextStage)
		}},
		{"do not contact closes every line", func(l *lead.Lead) {
			l.LostReason = lead.ReasonDoNotContact
			l.Activities = []lead.Activity{on(act(lead.KindPricingRequest, ago(time.Hour)), "telematics")}
		}, []string{"telematics"}, func(t *testing.T, d Decision) {
			assert.Equal(t, RouteDrop, lineOf(t, d, "telematics").Route)
			assert.Equal(t, RouteDrop, d.Route)
		}},
		{"an old activity alone puts the lead on no line", func(l *lead.Lead) {
			l.Activities = []lead.Activity{on(act(lead.KindPricingRequest, ago(91*day)), "telematics")}
			l.Interests = []lead.Interest{{Topic: "fuelcards", LastSeen: ago(91 * day)}, {Topic: "Telematics", LastSeen: t0.Add(day)}}
		}, nil, func(t *testing.T, d Decision) {}},
		{"a funnel alone puts a lead on a line; an undeclared one is not judged", func(l *lead.Lead) {
			l.SetFunnel("fuelcards", lead.Funnel{Stage: lead.StageNurturing})
			l.SetFunnel("retired-line", lead.Funnel{Stage: lead.StageNurturing})
			l.Interests = []lead.Interest{{Topic: "Route Planner", LastSeen: ago(day)}}
		}, []string{"routeplanner", "fuelcards"}, func(t *testing.T, d Decision) {
			assert.Equal(t, RouteNurture, lineOf(t, d, "fuelcards").Route)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLead("L")
			tt.build(l)
			before := l.Clone()
			d := evalAt(t, p, l)
			assert.Equal(t, tt.lines, lineNames(d))
			for _, ld := range d.Lines {
				assert.Equal(t, "L", ld.Lead)
				assert.Empty(t, ld.Lines)
				assert.True(t, ld.NextStage == ld.Stage || lead.CanMove(ld.Stage, ld.NextStage), "%s: %s -> %s", ld.Line, ld.Stage, ld.NextStage)
			}
			tt.check(t, d)
			assert.Equal(t, before, *l, "Evaluate never modifies the lead")
		})
	}
}

func lineReasons(d Decision, rule string) []string {
	var out []string
	for _, m := range d.Matched {
		if m.Rule == rule {
			out = append(out, m.Reason)
		}
	}
	return out
}

// A policy without product lines decides and serialises exactly as before.
func TestNoLinesNoChange(t *testing.T) {
	p := defaultPolicy(t)
	l := newLead("L", on(act(lead.KindQuoteRequest, ago(time.Hour)), "RoutePlanner"))
	l.SetFunnel("routeplanner", lead.Funnel{Stage: lead.StageWon})
	d := evalAt(t, p, l)
	assert.Nil(t, d.Lines)
	assert.Nil(t, d.Scores)
	b, err := json.Marshal(d)
	require.NoError(t, err)
	assert.NotContains(t, string(b), `"lines"`)
	assert.NotContains(t, string(b), `"scores"`)
	assert.NotContains(t, string(b), `"line"`)
	assert.Empty(t, p.Vocabulary().Lines())
}

func TestVocabularyLines(t *testing.T) {
	v := linesPolicy(t).Vocabulary()
	assert.Equal(t, []string{"routeplanner", "telematics", "fuelcards"}, v.Lines())
	for product, want := range map[string]string{
		"RoutePlanner": "routeplanner", "ROUTE PLANNER": "routeplanner", "rp-100": "routeplanner",
		"fuelcards": "fuelcards", "Fleet Tracking": "telematics", "FLÖTTE": "", "": "", "spreadsheets": "",
	} {
		got, ok := v.Line(product)
		assert.Equal(t, want, got, product)
		assert.Equal(t, want != "", ok, product)
	}
	assert.Equal(t, "telematics", v.ActivityLine(&lead.Activity{Product: "telematics"}))
	assert.Equal(t, "", v.ActivityLine(&lead.Activity{}))
}

func TestCompileLinesAndDimensions(t *testing.T) {
	tests := []struct {
		name     string
		settings Settings
		rule     Rule
		want     []problem
	}{
		{"an undeclared dimension", Settings{}, Rule{Name: "a", When: "true", Reason: "r", Points: "5", Dimension: "routeplanner"},
			[]problem{{"a", "dimension", `unknown dimension "routeplanner": declare it in settings.dimensions (the policy has: fit, engagement)`, 0, 0}}},
		{"a line's name as a dimension", Settings{ProductLines: []ProductLine{{Name: "routeplanner"}}},
			Rule{Name: "a", When: "true", Reason: "r", Points: "5", Dimension: "routeplanner"},
			[]problem{{"a", "dimension", "a product line's own scores are its decision's", 0, 0}}},
		{"bad dimension names", Settings{Dimensions: []Dimension{"fit", "Urgency", "urgency", "urgency"}}, Rule{},
			[]problem{{"", "settings.dimensions[0]", "is built in", 0, 0}, {"", "settings.dimensions[1]", "not a dimension name", 0, 0},
				{"", "settings.dimensions[3]", "declared twice", 0, 0}}},
		{"bad product lines", Settings{ProductLines: []ProductLine{
			{Name: " x"}, {Name: "a", Products: []string{"RP", ""}}, {Name: "b", Products: []string{"rp"}}, {Name: "a"}}}, Rule{},
			[]problem{{"", "settings.product_lines[0].name", "leading or trailing spaces", 0, 0},
				{"", "settings.product_lines[1].products[1]", "empty product name", 0, 0},
				{"", "settings.product_lines[2].products[0]", `product "rp" belongs to product lines "a" and "b"`, 0, 0},
				{"", "settings.product_lines[3].name", "declared twice", 0, 0}}},
		{"bad account settings", Settings{Account: AccountSettings{
			Rollup: map[Dimension]Rollup{"engagement": RollupMax, "nope": RollupSum, "fit": 7},
			Roles:  []lead.Role{lead.RoleUnknown, lead.RoleUser, lead.RoleUser}}}, Rule{},
			[]problem{{"", "settings.account.rollup.fit", "unknown roll-up 7", 0, 0},
				{"", "settings.account.rollup.nope", `unknown dimension "nope"`, 0, 0},
				{"", "settings.account.roles[0]", "unknown is not a role", 0, 0},
				{"", "settings.account.roles[2]", "user is listed twice", 0, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := spec(need("n", "true"))
			s.Settings = tt.settings
			if tt.rule.Name != "" {
				s.Rules = append(s.Rules, tt.rule)
			}
			_, err := Compile(s)
			checkProblems(t, err, tt.want)
		})
	}
}

func TestLinesSettingsJSONRoundTrip(t *testing.T) {
	s := linesSpec()
	s.Settings.Account = AccountSettings{Rollup: map[Dimension]Rollup{"urgency": RollupMax}, Roles: []lead.Role{lead.RoleDecisionMaker, lead.RoleUser}}
	b, err := json.Marshal(s)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"product_lines":[{"name":"routeplanner","products":["RoutePlanner","route planner","RP-100"]}`)
	assert.Contains(t, string(b), `"account":{"rollup":{"urgency":"max"},"roles":["decision_maker","user"]}`)
	back, err := ParseSpec(b)
	require.NoError(t, err)
	assert.Equal(t, s, back)
	p, err := Compile(back)
	require.NoError(t, err)
	q, err := Compile(s)
	require.NoError(t, err)
	assert.Equal(t, q.Version(), p.Version())
	assert.NotEqual(t, defaultPolicy(t).Version(), p.Version())

	_, err = ParseSpec([]byte(`{"name":"x","settings":{"account":{"rollup":{"fit":"median"}}},"rules":[]}`))
	assert.ErrorContains(t, err, "median")
}

// The spec a policy returns is a copy: changing it changes nothing.
func TestSpecCopiesLines(t *testing.T) {
	p := linesPolicy(t)
	s := p.Spec()
	s.Settings.ProductLines[0].Products[0] = "changed"
	s.Settings.Dimensions[0] = "changed"
	assert.Equal(t, linesSpec().Settings.ProductLines, p.Spec().Settings.ProductLines)
	assert.Equal(t, []Dimension{"urgency"}, p.Spec().Settings.Dimensions)
}

func TestLinesConcurrent(t *testing.T) {
	p := linesPolicy(t)
	done := make(chan struct{})
	for g := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 200 {
				l := newLead("L", on(act(lead.KindDemoRequest, ago(time.Hour)), []string{"RoutePlanner", "telematics"}[(i+g)%2]),
					on(act(lead.KindWhitePaper, ago(day)), "fuelcards"))
				d, err := EvaluateAt(context.Background(), p, l, t0)
				if err != nil || len(d.Lines) != 2 || d.Lines[0].Verdict != VerdictNeed || d.Lines[1].Verdict != VerdictInterest {
					t.Errorf("%d: %v %+v", i, err, d.Lines)
					return
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
}

// checkProblems checks that err is a *CompileError with exactly the
// problems want, in order.
func checkProblems(t *testing.T, err error, want []problem) {
	t.Helper()
	require.ErrorIs(t, err, ErrInvalidPolicy)
	var ce *CompileError
	require.ErrorAs(t, err, &ce)
	require.Len(t, ce.Problems, len(want), "problems: %v", err)
	for i, w := range want {
		got := ce.Problems[i]
		assert.Equal(t, w.rule, got.Rule, "rule of %v", got)
		assert.Equal(t, w.field, got.Field, "field of %v", got)
		assert.Contains(t, got.Error(), w.contains)
	}
}
