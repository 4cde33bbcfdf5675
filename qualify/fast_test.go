package qualify

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
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
		if g.r.IntN(3) == 0 {
			return g.shape()
		}
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

// shape returns a comparison of the shapes beyond the helpers: custom
// fields, money, times, in lists, counts of all activities, string tests,
// and iterations that the VM runs over its views of the lead.
func (g *exprGen) shape() string {
	op := g.pick([]string{"==", "!=", "<", "<=", ">", ">="})
	field := g.pick([]string{"fields.vip", "fields.plan", "fields.seats", "fields.score", "fields.tags", "fields.missing",
		"fields.nested.a", `fields["seats"]`})
	switch g.r.IntN(15) {
	case 0:
		return fmt.Sprintf("(%s %s %s)", field, g.pick([]string{"==", "!="}), g.pick([]string{"true", `"pro"`, "10", "10.0", "nil", `""`}))
	case 1:
		return fmt.Sprintf("(%s %s %s)", field, op, g.pick([]string{"10", "7.5", `"m"`, "0"}))
	case 2:
		return fmt.Sprintf("(%s in %s)", field, g.pick([]string{`["pro", "free"]`, `[1, 10, 25.0]`, `["", "x"]`, `[true, "pro", 10]`}))
	case 3:
		return g.pick([]string{`(contact.role in ["user", "influencer"])`, `(stage not in ["new", "lost"])`,
			`(company.employees in [20, 50])`, `(consent.email in ["opted_in"])`, `(company.country in ["GB", "IE", "FR", "DE", "ES", "IT", "NL", "BE", "SE"])`,
			`(company.employees in [20, 50.0, "x"])`, `(lost_reason in ["", "not_now"])`})
	case 4:
		return fmt.Sprintf("(%s %s money(%q, %q))", g.pick([]string{"budget", "value"}), op,
			g.pick([]string{"25000", "25000.00", "100.5", "99999999999999999999"}), g.pick([]string{"GBP", "GBP", "USD"}))
	case 5:
		return fmt.Sprintf("(%s %s now %s days(%d))", g.pick([]string{"created_at", "expected_purchase", "renewal", "updated_at"}), op,
			g.pick([]string{"-", "+"}), g.r.IntN(400))
	case 6:
		return fmt.Sprintf("(%s - now %s days(%d))", g.pick([]string{"expected_purchase", "renewal"}), op, g.r.IntN(200)-100)
	case 7:
		return fmt.Sprintf("(%s %s %d)", g.pick([]string{"len(activities)", `count("*", "30d")`, "len(interests)"}), op, g.r.IntN(40))
	case 8:
		return g.pick([]string{`(company.name startsWith "Byr")`, `(contact.email endsWith ".uk")`, `(fields.plan contains "ro")`,
			`(fields.seats startsWith "1")`, `(contact.title contains "")`})
	case 9:
		return fmt.Sprintf("(amount(%s) / %d %s %d)", g.pick([]string{"budget", "value"}), g.r.IntN(3)*500, op, g.r.IntN(100))
	case 10:
		return fmt.Sprintf("(fields.vip %s %s)", g.pick([]string{"&&", "||"}), g.boolean())
	case 11:
		// A sum of counts against a constant at an end of the int range.
		return fmt.Sprintf("(%d * count(%q, %q) %s %d %s %s)", g.r.IntN(5)-2, g.pick(genKinds), g.pick([]string{"1d", "30d"}),
			g.pick([]string{"+", "-"}), g.r.IntN(3), op, g.pick([]string{"9223372036854775807", "(-9223372036854775807 - 1)", "-9223372036854775807"}))
	default:
		// Only the VM runs these: iterations over its views.
		return g.pick([]string{
			`any(activities, #.kind == "white_paper" && #.at > now - days(30))`,
			`(find(activities, #.kind == "pricing_request")?.channel == "web")`,
			`(first(activities)?.attrs.campaign == "spring")`,
			`(type(first(activities)) == "unknown")`,
			`(last(activities).kind == "page_visit")`,
			`any(interests, #.topic == "routeplanner" && #.last_seen > now - days(90))`,
			`(len(filter(activities, #.intent == "need")) ` + op + ` 1)`,
			`(activities[0].asset != "")`,
			`(map(activities, #.at)[0] < now)`,
			`(findLast(activities, #.product != "")?.product == "RoutePlanner")`,
			`(find(activities, #.kind == "never") == nil)`,
			`all(activities[1:3], "campaign" in #.attrs)`,
			`(len(filter(activities, #.channel == "email")) > 1)`,
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
	// And where a failure or an unknown input is the evaluation's error.
	strict := s
	strict.Settings.OnError, strict.Settings.OnUnknown = OnErrorFail, UnknownFail
	fastStrict, err := Compile(strict)
	require.NoError(t, err)
	slowStrict, err := Compile(strict, vmOnly())
	require.NoError(t, err)
	for i := range uint64(12) {
		l := variedLead(int(i*9%60), seed*31+i)
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

		a, errA := EvaluateAt(context.Background(), fastStrict, l, t0)
		b, errB := EvaluateAt(context.Background(), slowStrict, l, t0)
		require.Equal(t, errB == nil, errA == nil, "seed %d lead %d: %v / %v\nrules:\n%s", seed, i, errA, errB, describe(rules))
		if errA != nil {
			require.Equal(t, position.ReplaceAllString(errB.Error(), ""), position.ReplaceAllString(errA.Error(), ""),
				"seed %d lead %d\nrules:\n%s", seed, i, describe(rules))
			continue
		}
		require.Equal(t, b, a, "seed %d lead %d\nrules:\n%s", seed, i, describe(rules))
	}
}

// variedLead is benchLead with what the shapes beyond the helpers read,
// each sometimes absent or of a surprising type: custom fields, amounts in
// two currencies and at several scales, dates, interests, attributes,
// channels and products, and activities after now.
func variedLead(n int, seed uint64) *lead.Lead {
	l := benchLead(n, seed)
	r := rand.New(rand.NewPCG(seed, 11))
	pick := func(vs ...any) any { return vs[r.IntN(len(vs))] }
	l.Fields = map[string]any{}
	for _, f := range []struct {
		name string
		vs   []any
	}{
		{"vip", []any{true, false, "yes", nil}},
		{"plan", []any{"pro", "free", 3.0, ""}},
		{"seats", []any{10, 10.0, 25.0, "10", []any{1.0}, int64(7)}},
		{"score", []any{7.5, 12.0, "high"}},
		{"tags", []any{[]any{"a"}, map[string]any{"a": true}}},
		{"nested", []any{map[string]any{"a": "x"}, map[string]any{}, "flat"}},
		{"do_not_contact", []any{false, true}},
	} {
		if r.IntN(4) > 0 {
			l.Fields[f.name] = pick(f.vs...)
		}
	}
	if r.IntN(6) == 0 {
		l.Fields = nil
	}
	money := func() lead.Money {
		switch r.IntN(4) {
		case 0:
			return lead.Money{}
		case 1:
			return lead.MustParseMoney(pick("25000", "100.50", "0.001").(string), "USD")
		}
		return lead.MustParseMoney(pick("25000.00", "25000", "9999.99", "99999999999999999999.5").(string), "GBP")
	}
	l.Budget, l.Value = money(), money()
	date := func() time.Time {
		if r.IntN(3) == 0 {
			return time.Time{}
		}
		return t0.Add(time.Duration(r.Int64N(int64(800*day))) - 400*day)
	}
	l.CreatedAt, l.UpdatedAt, l.ExpectedPurchase, l.Renewal = date(), date(), date(), date()
	l.Contact.Title = pick("", "Head of Fleet", "CFO").(string)
	for i := range r.IntN(4) {
		l.Interests = append(l.Interests, lead.Interest{Topic: pick("RoutePlanner", "routeplanner", "fleet costs").(string),
			FirstSeen: date(), LastSeen: ago(time.Duration(i) * 40 * day)})
	}
	for i := range l.Activities {
		a := &l.Activities[i]
		a.Channel = lead.Channel(pick("", "web", "email", "phone").(string))
		a.Product = pick("", "", "RoutePlanner").(string)
		a.Asset = pick("", "/pricing").(string)
		if r.IntN(3) == 0 {
			a.Attrs = map[string]string{"campaign": pick("spring", "autumn").(string)}
		}
		if r.IntN(10) == 0 {
			a.At = t0.Add(time.Duration(1+r.IntN(100)) * time.Hour) // after now: ignored
		}
	}
	return l
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
		// Beyond the helpers: custom fields, in lists, money, times, counts
		// of every activity, string tests.
		`fields.do_not_contact == true`, `fields.plan in ["pro", "enterprise"]`, `fields.seats >= 10`,
		`fields["seats"] >= 10 && fields.address.country == "GB"`, `fields.vip`,
		`contact.role in ["decision_maker", "influencer"]`, `stage not in ["lost", "recycled"]`,
		`company.employees in [50, 100]`, `budget >= money("10000", "GBP")`, `value != money("0.00", "EUR")`,
		`known(expected_purchase) && expected_purchase < now + days(90)`, `created_at > now - days(30)`,
		`renewal - now < weeks(8)`, `len(activities) > 20`, `count("*", "30d") >= 5`, `len(interests) == 0`,
		`contact.email endsWith "@example.com"`, `company.name startsWith "Acme"`, `amount(value) / 1000 > 5`,
		`company.employees % 2 == 0`,
	} {
		p, err := Compile(spec(need("r", when)))
		require.NoError(t, err)
		require.NotNil(t, p.rules[0].fastWhen, when)
		if !strings.Contains(when, "fields") && !strings.Contains(when, "money") {
			// Only what may meet a value the fast path does not model
			// (a custom field of a surprising type, another currency)
			// keeps a VM program to give up to.
			require.Nil(t, p.rules[0].when, when)
		}
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

// TestFastPathAgreesAtTheEdges: shapes at the ends of the ranges that the
// random expressions seldom reach: sums of counts compared with constants
// near the ends of the int range (the linear form must not move its
// constant across: c - k0 overflows), arithmetic that overflows, times
// moved by the longest durations, in lists with nil and mixed types.
func TestFastPathAgreesAtTheEdges(t *testing.T) {
	for _, when := range []string{
		`count("pricing_request", "30d") - 1 < 9223372036854775807`,
		`count("pricing_request", "30d") - 1 <= 9223372036854775807`,
		`count("pricing_request", "30d") - 1 != 9223372036854775807`,
		`count("pricing_request", "30d") + 1 > -9223372036854775807 - 1`,
		`count("pricing_request", "30d") + 1 >= -9223372036854775807 - 1`,
		`2 * count("*", "1d") - 5 == -9223372036854775807 - 1`,
		`9223372036854775807 > signals("need") - 3`,
		`-9223372036854775807 - 1 < 3 * count("email_click", "90d") + 7`,
		`count("*", "1d") * 1048576 * 1048576 * 1048576 > 0`,
		`-company.employees < 0`,
		// Faults name an int operand as an int, as the VM does.
		`(count("rfp", "1d") + 1000000) * 1e303 > 0`,
		`1e303 * (count("rfp", "1d") - 1000000) < 0`,
		`1e307 * 0.5 * (count("white_paper", "365d") - 9223372036854775807) > 0`,
		`(count("rfp", "1d") + 1000000) / 1e-310 > 0`,
		`(count("rfp", "1d") + 1000000) / (company.employees - company.employees) > 0`,
		`since("pricing_request") + days(1) > days(1)`,
		`since("rfp") - days(36500) > days(1)`,
		`now + days(36500) > renewal`,
		`now - days(36500) < created_at`,
		`renewal - now < days(-36500)`,
		`now + since("rfp") > now`,
		`now - since("pricing_request") < now`,
		`fields.plan in []`,
		`fields.missing in [nil, 1]`,
		`company.employees in [nil, 20]`,
		`stage in ["new", 1]`,
		`fields.seats in [true, "10", 10, 10.0]`,
	} {
		s := spec(need("w", when), points("p", when, DimensionFit, "1"))
		s.Settings.OnError = OnErrorSkip
		fast, err1 := Compile(s)
		slow, err2 := Compile(s, vmOnly())
		require.NoError(t, err1, when)
		require.NoError(t, err2, when)
		for seed := range uint64(30) {
			l := variedLead(int(seed%20), seed)
			a, errA := EvaluateAt(context.Background(), fast, l, t0)
			b, errB := EvaluateAt(context.Background(), slow, l, t0)
			require.NoError(t, errA, when)
			require.NoError(t, errB, when)
			for _, d := range []*Decision{&a, &b} {
				for i, f := range d.Failures {
					d.Failures[i].Error = position.ReplaceAllString(f.Error, "")
				}
			}
			require.Equal(t, b, a, "%s on lead %d", when, seed)
		}
	}
}

// TestFastArithmeticAllocatesNothing: the fast path's float arithmetic and
// division read their operands unboxed; only a fault names them.
func TestFastArithmeticAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not asserted under the race detector")
	}
	p, err := Compile(spec(need("r", `amount(value) / 1000 > 5`), points("q", `company.employees / 3 + 0.5 * company.employees > 1`, DimensionFit, "1")))
	require.NoError(t, err)
	require.NotNil(t, p.rules[0].fastWhen)
	require.NotNil(t, p.rules[1].fastWhen)
	l := newLead("a")
	l.Value = lead.MustParseMoney("25000", "GBP")
	l.Company.Employees = 5000
	var d Decision
	ctx := context.Background()
	require.NoError(t, EvaluateInto(ctx, p, l, t0, &d))
	require.Len(t, d.Matched, 2)
	require.Zero(t, testing.AllocsPerRun(50, func() {
		if err := EvaluateInto(ctx, p, l, t0, &d); err != nil {
			t.Fatal(err)
		}
	}))
}

// TestFastPathAgreesOnFieldTypes: custom fields holding every Go type a
// host may put there (not only JSON's), compared, tested, looked up in
// lists and read as booleans, decide on the fast path as in the VM.
func TestFastPathAgreesOnFieldTypes(t *testing.T) {
	values := []any{nil, true, "pro", "", 10, 10.0, int64(10), int32(10), uint64(10), uint8(200), float32(10), math.NaN(), math.Inf(1),
		lead.Kind("pro"), json.Number("10"), []any{"pro"}, map[string]any{"a": "pro"}, t0, time.Duration(10), []string{"pro"}, map[string]any{}, uint64(math.MaxUint64)}
	exprs := []string{
		`fields.x == "pro"`, `fields.x != 10`, `fields.x == nil`, `fields.x == fields.y`, `fields.x < fields.y`,
		`fields.x >= 10`, `fields.x < 10.5`, `fields.x > "a"`, `fields.x in ["pro", "free"]`, `fields.x in ["", "a"]`,
		`fields.x in [1, 10, 25.0]`, `fields.x in [10, 20]`, `fields.x in [true, "pro", 10]`, `fields.x in [nil]`,
		`fields.x startsWith "p"`, `fields.x contains fields.y`, `fields.x`, `!fields.x`, `fields.x && true`, `false || fields.x`,
		`fields.x ? true : false`, `fields.x.a == "pro"`, `fields.x.a in ["pro"]`, `fields.x == true`, `fields.x == 10.0`,
		`fields.x <= now`, `fields.x > days(1)`, `fields.x == now`,
	}
	for _, when := range exprs {
		s := spec(need("r", when))
		s.Settings.OnError = OnErrorSkip
		fast, err1 := Compile(s)
		slow, err2 := Compile(s, vmOnly())
		require.NoError(t, err1, when)
		require.NoError(t, err2, when)
		for _, x := range values {
			for _, y := range values[:6] {
				l := newLead("a")
				l.Fields = map[string]any{"x": x, "y": y}
				a, ea := EvaluateAt(context.Background(), fast, l, t0)
				b, eb := EvaluateAt(context.Background(), slow, l, t0)
				require.NoError(t, ea, when)
				require.NoError(t, eb, when)
				for _, d := range []*Decision{&a, &b} {
					for i, f := range d.Failures {
						d.Failures[i].Error = position.ReplaceAllString(f.Error, "")
					}
				}
				require.Equal(t, b, a, "%s with x=%#v y=%#v", when, x, y)
			}
		}
	}
}
