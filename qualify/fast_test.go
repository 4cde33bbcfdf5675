package qualify

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// exprGen writes random well-typed expressions of the rule language, mostly
// within the fast path's reach, with some constructs only the VM runs.
type exprGen struct {
	r     *rand.Rand
	depth int
}

var (
	genKinds  = []string{"pricing_request", "white_paper", "email_click", "page_visit", "webinar_attended", "unsubscribe", "rfp"}
	genTopics = []string{"RoutePlanner", "fleet costs", "nothing"}
	genVars   = []string{"contact.role", "stage", "company.industry", "company.country", "lost_reason", "contact.email_domain", "consent.email"}
)

func (g *exprGen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

func (g *exprGen) leaf() bool { g.depth++; return g.depth > 12 || g.r.IntN(3) == 0 }

func (g *exprGen) boolean() string {
	if g.leaf() {
		switch g.r.IntN(6) {
		case 0:
			return fmt.Sprintf("fresh(%q)", g.pick(genKinds))
		case 1:
			return "known(" + g.pick([]string{"budget", "value", "expected_purchase", "renewal"}) + ")"
		case 2:
			return fmt.Sprintf("interested(%q)", g.pick(genTopics))
		case 3:
			return g.pick([]string{"true", "false"})
		default:
			return g.compare()
		}
	}
	switch g.r.IntN(6) {
	case 0:
		return "!" + g.boolean()
	case 1:
		return "(" + g.boolean() + " && " + g.boolean() + ")"
	case 2:
		return "(" + g.boolean() + " || " + g.boolean() + ")"
	case 3:
		return "(" + g.boolean() + " ? " + g.boolean() + " : " + g.boolean() + ")"
	case 4:
		return "(" + g.boolean() + " == " + g.boolean() + ")"
	default:
		return g.compare()
	}
}

func (g *exprGen) compare() string {
	op := g.pick([]string{"==", "!=", "<", "<=", ">", ">="})
	switch g.r.IntN(5) {
	case 0:
		return "(" + g.integer() + " " + op + " " + g.integer() + ")"
	case 1:
		return "(" + g.number() + " " + op + " " + g.integer() + ")"
	case 2:
		return "(" + g.str() + " " + op + " " + g.str() + ")"
	case 3:
		return fmt.Sprintf("(since(%q) %s %s(%d))", g.pick(genKinds), op, g.pick([]string{"days", "hours", "weeks"}), g.r.IntN(400))
	default:
		// Only the VM runs these: string functions and collections.
		return g.pick([]string{
			`(len(contact.name) > 3)`, `(company.industry contains "log")`, `any(activities, .kind == "white_paper")`,
			`(len(filter(activities, .intent == "need")) ` + op + ` 1)`, `(upper(stage) == "NEW")`,
		})
	}
}

func (g *exprGen) integer() string {
	if g.leaf() {
		switch g.r.IntN(4) {
		case 0:
			return fmt.Sprintf("count(%q, %q)", g.pick(genKinds), g.pick([]string{"1d", "30d", "90d", "365d"}))
		case 1:
			return fmt.Sprintf("signals(%q)", g.pick([]string{"need", "interest", "negative"}))
		case 2:
			if g.r.IntN(8) == 0 {
				return "9223372036854775807" // overflows: a fault on both paths
			}
			return "company.employees"
		default:
			return fmt.Sprint(g.r.IntN(600) - 100)
		}
	}
	switch g.r.IntN(6) {
	case 0, 1:
		return "(" + g.integer() + " " + g.pick([]string{"+", "-", "*"}) + " " + g.integer() + ")"
	case 2:
		return g.pick([]string{"min", "max"}) + "(" + g.integer() + ", " + g.integer() + ")"
	case 3:
		return "-" + g.integer()
	case 4:
		return "(" + g.boolean() + " ? " + g.integer() + " : " + g.integer() + ")"
	default:
		return "(" + g.integer() + " % 7)" // the VM's
	}
}

func (g *exprGen) number() string {
	if g.leaf() {
		if g.r.IntN(10) == 0 {
			return "1e307" // overflows when multiplied: a fault on both paths
		}
		return fmt.Sprintf("%.2f", g.r.Float64()*100-20)
	}
	switch g.r.IntN(4) {
	case 0:
		return "(" + g.number() + " " + g.pick([]string{"+", "-", "*"}) + " " + g.integer() + ")"
	case 1:
		return g.pick([]string{"min", "max"}) + "(" + g.number() + ", " + g.number() + ", " + g.number() + ")"
	case 2:
		return "(" + g.integer() + " / 3)" // the VM's
	default:
		return "(" + g.number() + " * 0.5)"
	}
}

func (g *exprGen) str() string {
	if g.leaf() {
		if g.r.IntN(2) == 0 {
			return g.pick(genVars)
		}
		return fmt.Sprintf("%q", g.pick([]string{"decision_maker", "new", "logistics", "GB", "", "opted_in", "a", "Z"}))
	}
	return "(" + g.boolean() + " ? " + g.str() + " : " + g.str() + ")"
}

// agree compiles the generated rules twice, with and without the fast
// path, and checks that both decide the same on a spread of leads.
func agree(t *testing.T, seed uint64) {
	g := &exprGen{r: rand.New(rand.NewPCG(seed, 1))}
	var rules []Rule
	for i := range 6 {
		g.depth = 0
		when := g.boolean()
		g.depth = 0
		pts := g.integer()
		if i%2 == 1 {
			g.depth = 0
			pts = g.number()
		}
		rules = append(rules, need(fmt.Sprintf("w%d", i), when), points(fmt.Sprintf("p%d", i), when, DimensionFit, pts))
	}
	s := spec(rules...)
	s.Settings.OnError = OnErrorSkip
	fast, err1 := Compile(s)
	slow, err2 := Compile(s, vmOnly())
	require.Equal(t, err1 == nil, err2 == nil, "compile: %v / %v", err1, err2)
	if err1 != nil {
		require.Equal(t, err1.Error(), err2.Error())
		return
	}
	for i := range uint64(12) {
		l := benchLead(int(i*9%60), seed*31+i)
		a, err := EvaluateAt(context.Background(), fast, l, t0)
		require.NoError(t, err)
		b, err := EvaluateAt(context.Background(), slow, l, t0)
		require.NoError(t, err)
		// The VM's errors carry the position; the fault is the same.
		for _, d := range []*Decision{&a, &b} {
			for i, f := range d.Failures {
				d.Failures[i].Error = position.ReplaceAllString(f.Error, "")
			}
		}
		require.Equal(t, b, a, "seed %d lead %d\nrules:\n%s", seed, i, describe(rules))
	}
}

// position is the location and snippet expr adds to a run-time error.
var position = regexp.MustCompile(`(?s) \(\d+:\d+\)\n.*$`)

func describe(rules []Rule) string {
	var b strings.Builder
	for _, r := range rules {
		fmt.Fprintf(&b, "  %s: when %s points %s\n", r.Name, r.When, r.Points)
	}
	return b.String()
}

func TestFastPathAgreesWithVM(t *testing.T) {
	for seed := range uint64(300) {
		agree(t, seed)
	}
}

func TestFastPathCoversTheSimpleShapes(t *testing.T) {
	// These must not fall back to the VM: they are what policies are made of.
	for _, when := range []string{
		`fresh("demo_request")`, `!known(budget) || count("email_click", "30d") >= 3`,
		`contact.role == "decision_maker" || contact.role == "influencer"`,
		`company.employees >= 50 && company.employees < 5000`, `since("demo_request") < days(7)`,
		`signals("need") > 0 ? true : interested("x")`, `consent.email != "opted_out"`,
	} {
		p, err := Compile(spec(need("r", when)))
		require.NoError(t, err)
		require.NotNil(t, p.rules[0].fastWhen, when)
		require.Nil(t, p.rules[0].when, when)
	}
	p, err := Compile(spec(points("r", "true", DimensionEngagement, `min(20, 5 * count("email_click", "30d")) + 0.5`)))
	require.NoError(t, err)
	require.NotNil(t, p.rules[0].fastPoints)
}

func FuzzFastPath(f *testing.F) {
	for _, s := range []uint64{0, 1, 2, 42, 1 << 40} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, seed uint64) { agree(t, seed) })
}
