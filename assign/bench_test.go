package assign_test

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leadqual/leadqual/assign"
	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// The benchmark's world: 50 owners in 5 territories of 10, a fleet team
// and a German-speaking team drawn from them, and 10,000 leads from 8
// countries, some about the fleet product, some in German.
const (
	benchLeads  = 10_000
	benchOwners = 50
)

var territories = [5][]string{{"GB", "IE"}, {"DE", "AT", "CH"}, {"FR", "BE"}, {"ES", "PT"}, {"NL"}}

func benchRules() assign.Rules {
	r := assign.Rules{Name: "bench", Capacity: 400, Escalation: []assign.Step{{To: assign.RoleOwner}}}
	owner := func(i int) string { return "owner-" + strconv.Itoa(i) }
	for i := range benchOwners {
		r.People = append(r.People, assign.Person{ID: owner(i)})
	}
	var fleet, german, all []string
	for i := range benchOwners {
		all = append(all, owner(i))
		if i%5 == 0 {
			fleet = append(fleet, owner(i))
		}
		if i/10 == 1 {
			german = append(german, owner(i))
		}
	}
	r.Rules = append(r.Rules, assign.Rule{Name: "fleet", Products: []string{"FleetInsight"}, Pool: assign.Pool{People: fleet, Choose: assign.ChooseRoundRobin}})
	r.Rules = append(r.Rules, assign.Rule{Name: "german", Languages: []string{"de"}, Pool: assign.Pool{People: german}})
	for t, countries := range territories {
		var people []string
		for i := range 10 {
			people = append(people, owner(t*10+i))
		}
		r.Rules = append(r.Rules, assign.Rule{Name: "territory-" + strconv.Itoa(t), Countries: countries, Pool: assign.Pool{People: people}})
	}
	r.Rules = append(r.Rules, assign.Rule{Name: "everyone", Pool: assign.Pool{People: all}})
	return r
}

// benchLeadsOf returns the benchmark's leads.
func benchLeadsOf(n int) []*lead.Lead {
	countries := []string{"GB", "DE", "FR", "ES", "NL", "US", "AT", "JP"}
	out := make([]*lead.Lead, n)
	for i := range n {
		l := &lead.Lead{ID: fmt.Sprintf("L-%05d", i), Company: lead.Company{Country: countries[(i*7)%len(countries)]},
			Activities: []lead.Activity{{Kind: lead.KindPricingRequest, At: t0}}}
		if i%9 == 0 {
			l.Activities[0].Product = "FleetInsight"
		}
		if i%11 == 0 {
			l.Fields = map[string]any{"language": "de-CH"}
		}
		out[i] = l
	}
	return out
}

func BenchmarkAssign10kLeads50Owners(b *testing.B) {
	leads := benchLeadsOf(benchLeads)
	rules := benchRules()
	b.ReportAllocs()
	for b.Loop() {
		a, err := assign.New(assign.NewMemState(), assign.Config{Rules: rules, Vocabulary: qualify.DefaultVocabulary()})
		if err != nil {
			b.Fatal(err)
		}
		for _, l := range leads {
			if _, err := a.Assign(ctx, assign.Request{Lead: l}, t0); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchLeads), "ns/lead")
}

func BenchmarkAssignYardstick(b *testing.B) {
	leads := benchLeadsOf(benchLeads)
	b.ReportAllocs()
	for b.Loop() {
		if owners, reasons := yardstickAssign(leads); len(owners) != len(reasons) {
			b.Fatal("a lead without a reason")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchLeads), "ns/lead")
}

// BenchmarkAssignParallel assigns distinct leads from every core over one
// shared MemState.
func BenchmarkAssignParallel(b *testing.B) {
	leads := benchLeadsOf(benchLeads)
	rules := benchRules()
	rules.Capacity = 0
	a, err := assign.New(assign.NewMemState(), assign.Config{Rules: rules, Vocabulary: qualify.DefaultVocabulary()})
	if err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			l := *leads[i%benchLeads]
			l.ID = "P-" + strconv.FormatInt(i, 10)
			if _, err := a.Assign(ctx, assign.Request{Lead: &l}, t0); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// yardstickAssign is the benchmark's assignment written by hand for this
// one world: the same rules as plain Go (a switch on the country, product
// and language), least loaded or in turn over slices of counters, a map
// of lead to owner as the state, and a reason string per lead. It returns
// each lead's owner, and the reasons.
func yardstickAssign(leads []*lead.Lead) (map[string]string, []string) {
	const capacity = 400
	var open, last [benchOwners]int
	seq := 0
	byLead := make(map[string]string, len(leads))
	reasons := make([]string, 0, len(leads))
	names := [benchOwners]string{}
	for i := range names {
		names[i] = "owner-" + strconv.Itoa(i)
	}
	var fleet, german [10]int
	for i := range 10 {
		fleet[i], german[i] = i*5, 10+i
	}
	territory := map[string]int{}
	for t, cs := range territories {
		for _, c := range cs {
			territory[c] = t
		}
	}
	var pool [benchOwners]int
	for _, l := range leads {
		if _, ok := byLead[l.ID]; ok {
			continue
		}
		var people []int
		rule, roundRobin := "", false
		lang, _ := l.Fields["language"].(string)
		t, inTerritory := territory[l.Company.Country]
		switch {
		case l.Activities[0].Product == "FleetInsight":
			people, rule, roundRobin = fleet[:], "fleet", true
		case lang == "de" || len(lang) > 3 && lang[:3] == "de-":
			people, rule = german[:], "german"
		case inTerritory:
			for i := range 10 {
				pool[i] = t*10 + i
			}
			people, rule = pool[:10], "territory-"+strconv.Itoa(t)
		default:
			for i := range benchOwners {
				pool[i] = i
			}
			people, rule = pool[:], "everyone"
		}
		best := -1
		for _, p := range people {
			if open[p] >= capacity {
				continue
			}
			switch {
			case best < 0:
				best = p
			case roundRobin && last[p] < last[best]:
				best = p
			case !roundRobin && (open[p] < open[best] || open[p] == open[best] && last[p] < last[best]):
				best = p
			}
		}
		seq++
		open[best]++
		last[best] = seq
		byLead[l.ID] = names[best]
		reasons = append(reasons, "rule "+rule+": "+names[best]+" "+strconv.Itoa(open[best]-1)+" open")
	}
	return byLead, reasons
}

// TestYardstickAgrees keeps the benchmark honest: the yardstick gives
// every lead the owner the Assigner gives it.
func TestYardstickAgrees(t *testing.T) {
	leads := benchLeadsOf(2000)
	a := newAssigner(t, assign.NewMemState(), benchRules(), nil)
	want, reasons := yardstickAssign(leads)
	require.Len(t, reasons, len(leads))
	for _, l := range leads {
		res, err := a.Assign(ctx, assign.Request{Lead: l}, t0)
		require.NoError(t, err)
		assert.Equal(t, want[l.ID], res.Owner, l.ID)
	}
}
