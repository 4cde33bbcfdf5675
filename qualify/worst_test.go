package qualify

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/leadqual/leadqual/lead"
	"github.com/stretchr/testify/require"
)

// The worst case.
//
// BenchmarkWorstCase builds, for each kind of work a rule can do, the most
// expensive policy the default budget admits (as many copies of the most
// expensive rule of that kind as MaxPolicyCost allows, each within
// MaxRuleCost), and evaluates it on the largest lead the default limits
// admit, filled with the text that is slowest for that work. Its ms/lead
// is the bound SECURITY.md states; its ns/unit, the time of a unit of
// charged work, is what the prices of cost.go are calibrated against: at
// most about 1.

// worstLead is a lead at every default limit: 10,000 activities and 1,000
// interests whose texts are all MaxTextBytes long, contact and company
// fields of MaxTextBytes, and custom fields filling MaxFieldsBytes. text
// fills the texts; fields are the custom fields.
func worstLead(text string, fields map[string]any) *lead.Lead {
	t := fill(text, DefaultMaxTextBytes)
	l := &lead.Lead{ID: "L-worst", Source: t, Owner: t,
		Contact: lead.Contact{Name: t, Email: t, Phone: t, Title: t, TimeZone: t},
		Company: lead.Company{Name: t, Domain: t, Industry: t, Country: t, Employees: 7},
		Fields:  fields,
	}
	l.Activities = make([]lead.Activity, DefaultMaxActivities)
	for i := range l.Activities {
		l.Activities[i] = lead.Activity{Kind: lead.Kind(t), At: ago(time.Duration(i) * time.Minute), Asset: t, Product: t,
			Channel: lead.Channel(t), Attrs: map[string]string{"k": t}}
	}
	l.Interests = make([]lead.Interest, DefaultMaxInterests)
	for i := range l.Interests {
		l.Interests[i] = lead.Interest{Topic: t, FirstSeen: ago(day), LastSeen: ago(time.Hour)}
	}
	return l
}

// fill repeats s to exactly n bytes, on a rune boundary.
func fill(s string, n int) string {
	out := strings.Repeat(s, n/len(s)+1)[:n]
	for !utf8.ValidString(out) {
		out = out[:len(out)-1]
	}
	return out
}

// bigText is a custom field as long as MaxFieldsBytes allows with one other
// short field.
func bigText(s string) string { return fill(s, DefaultMaxFieldsBytes-64) }

type worstCase struct {
	name   string
	rule   string // a when (a points rule when it starts with "points:")
	text   string // the lead's texts
	fields map[string]any
}

var worstCases = []worstCase{
	{name: "fast-path", rule: `count("page_visit", "30d") > 3 && contact.role == "user" || company.employees * 2 > 10`, text: "x"},
	{name: "iterate", rule: `any(activities, #.channel == "never")`, text: "x"},
	{name: "iterate-members", rule: `any(activities, #.asset == "n" || #.product == "n" || #.kind == "n" || #.intent == "n" || #.attrs.k == "n")`, text: "x"},
	{name: "iterate-interests", rule: `any(interests, #.topic == "never" || #.last_seen < #.first_seen)`, text: "x"},
	{name: "compare-equal-text", rule: `any(activities, #.asset == #.product && #.asset != #.channel)`, text: "x"},
	{name: "map-filter", rule: `len(map(filter(activities, #.kind != ""), #.asset)) < 0`, text: "x"},
	{name: "arithmetic", rule: `any(activities, company.employees * 3 + 1 < 0)`, text: "x"},
	{name: "upper-unicode", rule: `upper(fields.s) == ""`, text: "x", fields: map[string]any{"s": bigText("ǆßΐ")}},
	{name: "lower-unicode", rule: `lower(fields.s) == ""`, text: "x", fields: map[string]any{"s": bigText("ǅẞΪ")}},
	{name: "contains-periodic", rule: `fields.s contains "` + strings.Repeat("ab", 40) + `c"`, text: "x", fields: map[string]any{"s": bigText("ab")}},
	{name: "contains-long-needle", rule: `fields.s contains fields.t`, text: "x",
		fields: map[string]any{"s": fill("a", DefaultMaxFieldsBytes*3/4), "t": fill("a", DefaultMaxFieldsBytes/8) + "b"}},
	{name: "index-of", rule: `indexOf(contact.title, "` + strings.Repeat("a", 100) + `b") > 0`, text: "a"},
	{name: "last-index-of", rule: `lastIndexOf(contact.title, "b` + strings.Repeat("a", 100) + `") > 0`, text: "a"},
	{name: "regex-nfa", rule: `contact.title matches "([a-z]|x){60}y"`, text: "x"},
	{name: "regex-nfa-activities", rule: `any(activities[0:30], #.asset matches "(x+x+)+y")`, text: "x"},
	{name: "in-custom-list", rule: `contact.name in fields.tags`, text: "x", fields: map[string]any{"tags": tags(DefaultMaxFieldsBytes/8 - 16)}},
	{name: "concat", rule: `len(fields.s + fields.s + fields.s + fields.s) < 0`, text: "x", fields: map[string]any{"s": bigText("x")}},
	{name: "trim-cutset", rule: `trim(fields.s, "ǅẞΪǆßΐ") == "x"`, text: "x", fields: map[string]any{"s": bigText("ǆΐ")}},
	{name: "parse", rule: `float(fields.s) > 0`, text: "x", fields: map[string]any{"s": bigText("0")}},
	{name: "money", rule: `known(budget) && budget + money("1", "GBP") > money("2.5", "GBP") && value >= budget`, text: "x"},
}

func tags(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = ""
	}
	return out
}

// worstPolicy is the most expensive policy of the case that the limits
// admit, and its estimated cost.
func worstPolicy(tb testing.TB, c worstCase, lims Limits) (*Policy, int) {
	rule := need("w", c.rule)
	one, err := Compile(spec(rule), WithLimits(lims))
	require.NoError(tb, err, c.name)
	lims = lims.withDefaults()
	n := min(int(float64(lims.MaxPolicyCost)/one.cost), lims.MaxRules)
	rules := make([]Rule, n)
	for i := range rules {
		rules[i] = rule
		rules[i].Name = fmt.Sprintf("w%d", i)
	}
	p, err := Compile(spec(rules...), WithLimits(lims))
	require.NoError(tb, err, c.name)
	return p, n
}

func BenchmarkWorstCase(b *testing.B) {
	for _, c := range worstCases {
		p, n := worstPolicy(b, c, Limits{})
		l := worstLead(c.text, c.fields)
		l.Budget = lead.MustParseMoney("99999999999999999999.99", "GBP")
		l.Value = lead.MustParseMoney("99999999999999999999.99", "GBP")
		b.Run(c.name, func(b *testing.B) {
			st := p.pool.Get().(*state)
			defer p.release(st)
			var charged int64
			cpu0, cpuOK := cpuTime()
			for b.Loop() {
				if _, err := p.evaluate(context.Background(), st, l, t0); err != nil {
					b.Fatal(err)
				}
				charged = st.meter.charged
			}
			cpu1, _ := cpuTime()
			perLead := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(perLead/1e6, "ms/lead")
			b.ReportMetric(float64(n), "rules")
			b.ReportMetric(p.cost/1e6, "Munits")
			if cpuOK {
				// With -cpu 1, the CPU time of the process is the time of
				// the work on one core, whatever else the machine runs.
				cpu := float64((cpu1 - cpu0).Nanoseconds()) / float64(b.N)
				b.ReportMetric(cpu/1e6, "cpu-ms/lead")
				if charged > 0 {
					b.ReportMetric(cpu/float64(charged), "cpu-ns/unit")
				}
			}
		})
	}
}

// TestWorstCasesAreAdmitted: every case of the worst-case benchmark
// compiles under the default limits and fills the default budget with at
// least one rule.
func TestWorstCasesAreAdmitted(t *testing.T) {
	for _, c := range worstCases {
		t.Run(c.name, func(t *testing.T) {
			p, n := worstPolicy(t, c, Limits{})
			require.Greater(t, n, 0)
			require.LessOrEqual(t, p.cost, float64(DefaultMaxPolicyCost))
		})
	}
}

// BenchmarkCancelLatency measures how long an evaluation runs on after its
// context is cancelled in the middle of its rules: the most expensive
// policy the budget admits, on the largest lead, is cancelled after 2 ms.
// Run it with -cpu 2 or more: with one, the timer that cancels waits for
// the scheduler to preempt the evaluation.
func BenchmarkCancelLatency(b *testing.B) {
	if runtime.GOMAXPROCS(0) < 2 {
		b.Skip("needs a second core for the timer that cancels")
	}
	for _, name := range []string{"iterate-members", "regex-nfa-activities", "upper-unicode"} {
		var c worstCase
		for _, w := range worstCases {
			if w.name == name {
				c = w
			}
		}
		p, _ := worstPolicy(b, c, Limits{})
		l := worstLead(c.text, c.fields)
		b.Run(name, func(b *testing.B) {
			var late time.Duration
			for b.Loop() {
				ctx, cancel := context.WithCancel(context.Background())
				cancelled := make(chan time.Time, 1)
				timer := time.AfterFunc(2*time.Millisecond, func() { cancelled <- time.Now(); cancel() })
				_, err := EvaluateAt(ctx, p, l, t0)
				end := time.Now()
				timer.Stop()
				cancel()
				if err == nil {
					b.Fatal("the evaluation ended before it was cancelled")
				}
				late += end.Sub(<-cancelled)
			}
			b.ReportMetric(float64(late.Microseconds())/float64(b.N), "µs-after-cancel")
		})
	}
}
