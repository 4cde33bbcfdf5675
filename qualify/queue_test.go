package qualify

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leadqual/leadqual/lead"
)

var gbp = lead.Rates{Base: "GBP", Rates: map[lead.Currency]decimal.Decimal{
	"EUR": decimal.RequireFromString("0.85"), "USD": decimal.RequireFromString("0.79"),
}}

func money(s string, c lead.Currency) lead.Money { return lead.MustParseMoney(s, c) }

// sales returns a need decision with a deadline at t0 + left.
func salesNeed(id string, left time.Duration, v lead.Money) Decision {
	return Decision{Lead: id, Verdict: VerdictNeed, Route: RouteSales, Priority: PriorityNeed, Value: v,
		NeedAt: t0.Add(left - 5*time.Minute), Deadline: t0.Add(left), At: t0}
}

func ids(ds []Decision) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Lead
	}
	return out
}

func TestPriorityOfEvaluate(t *testing.T) {
	p := mustCompile(t, DefaultSpec())
	mql := newLead("mql", act(lead.KindWebinarAttended, ago(day)), act(lead.KindWhitePaper, ago(2*day)),
		act(lead.KindEbook, ago(3*day)), act(lead.KindResearchReport, ago(4*day)))
	mql.Contact.Role = lead.RoleDecisionMaker
	mql.Company.Employees = 500
	mql.Budget = money("40000", "GBP")
	held := newLead("held")
	held.Stage = lead.StageOpportunity
	closed := newLead("closed", act(lead.KindPricingRequest, ago(time.Minute)))
	closed.Stage = lead.StageDisqualified
	tests := []struct {
		l    *lead.Lead
		want Priority
	}{
		{newLead("need", act(lead.KindPricingRequest, ago(time.Minute))), PriorityNeed},
		{closed, PriorityReview},
		{mql, PriorityQualified},
		{held, PriorityPipeline},
		{newLead("interest", act(lead.KindWhitePaper, ago(day))), PriorityNone},
	}
	for _, tc := range tests {
		tc.l.Value = money("1000", "EUR")
		d, err := EvaluateAt(context.Background(), p, tc.l, t0)
		require.NoError(t, err)
		assert.Equal(t, tc.want, d.Priority, "%s: route %s", tc.l.ID, d.Route)
		assert.True(t, tc.l.Value.Equal(d.Value), "the decision carries the lead's value")
	}
}

func TestSortQueueDefault(t *testing.T) {
	p := mustCompile(t, DefaultSpec())
	ds := []Decision{
		{Lead: "nurture", Route: RouteNurture, Value: money("900000", "GBP"), At: t0},
		salesNeed("late-small", -time.Hour, money("12000", "USD")),
		salesNeed("late-big", -25*time.Hour, money("95000", "USD")),
		salesNeed("in-time-small", 3*time.Minute, money("10000", "GBP")),
		{Lead: "qualified", Route: RouteSales, Priority: PriorityQualified, Qualified: true, Value: money("500000", "GBP"), At: t0},
		salesNeed("in-time-big", 2*time.Minute, money("60000", "EUR")),
		salesNeed("late-no-rate", -2*time.Hour, money("150000", "NOK")),
		salesNeed("late-unknown", -3*time.Hour, lead.Money{}),
		{Lead: "review", Route: RouteReview, Priority: PriorityReview, At: t0},
		salesNeed("late-big-recent", -30*time.Minute, money("95000", "USD")),
	}
	require.NoError(t, p.SortQueue(ds, gbp, t0))
	assert.Equal(t, []string{
		"in-time-big", "in-time-small", // still in time: the highest value first
		"late-big-recent", "late-big", // late: by value, then the nearest deadline
		"late-small",
		"late-no-rate", "late-unknown", // no comparable value: by the nearest deadline
		"review", "qualified", "nurture",
	}, ids(ds))
}

func TestSortQueueSettings(t *testing.T) {
	ds := func() []Decision {
		return []Decision{
			salesNeed("a", -50*time.Minute, money("1000", "GBP")),
			salesNeed("b", -10*time.Minute, money("90000", "GBP")),
			salesNeed("c", 4*time.Minute, money("5000", "GBP")),
			salesNeed("d", -70*time.Minute, money("50000", "GBP")),
		}
	}
	tests := []struct {
		queue string
		want  []string
	}{
		{`["deadline"]`, []string{"c", "b", "a", "d"}},
		{`["deadline:1h", "value"]`, []string{"c", "b", "a", "d"}},
		{`["in_time", "deadline:1h", "value"]`, []string{"c", "b", "a", "d"}},
		{`["priority", "deadline:2h", "value"]`, []string{"c", "b", "d", "a"}}, // in time first, then late by value within the band
		{`["value"]`, []string{"b", "d", "c", "a"}},
		{`["fresh"]`, []string{"c", "b", "a", "d"}},
		{`["fit"]`, []string{"a", "b", "c", "d"}}, // equal fit: by lead ID
	}
	for _, tc := range tests {
		t.Run(tc.queue, func(t *testing.T) {
			s := DefaultSpec()
			require.NoError(t, json.Unmarshal([]byte(`{"queue":`+tc.queue+`}`), &s.Settings))
			p := mustCompile(t, s)
			got := ds()
			require.NoError(t, p.SortQueue(got, gbp, t0))
			assert.Equal(t, tc.want, ids(got))
		})
	}
}

// Property: the queue is a function of the set of decisions, whatever
// their order, and every decision of sales' work comes before every other.
func TestSortQueueIsAnOrder(t *testing.T) {
	p := mustCompile(t, DefaultSpec())
	r := rand.New(rand.NewPCG(3, 4))
	curs := []lead.Currency{"GBP", "EUR", "USD", "NOK", ""}
	for range 50 {
		var ds []Decision
		for i := range 40 {
			d := salesNeed(string(rune('A'+i%26))+string(rune('a'+i/26)), time.Duration(r.IntN(7200)-3600)*time.Second, lead.Money{})
			if c := curs[r.IntN(len(curs))]; c != "" {
				d.Value = money(decimal.NewFromInt(int64(r.IntN(5)*1000)).String(), c)
			}
			d.Priority = Priority(r.IntN(5))
			d.Fit = float64(r.IntN(3) * 10)
			if r.IntN(4) == 0 {
				d.Deadline, d.NeedAt = time.Time{}, time.Time{}
			}
			ds = append(ds, d)
		}
		want := slices.Clone(ds)
		require.NoError(t, p.SortQueue(want, gbp, t0))
		shuffled := slices.Clone(ds)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		require.NoError(t, p.SortQueue(shuffled, gbp, t0))
		assert.Equal(t, ids(want), ids(shuffled))
		last := 0
		for _, d := range want {
			assert.GreaterOrEqual(t, d.Priority.queueRank(), last)
			last = d.Priority.queueRank()
		}
	}
}

func TestSortQueueRates(t *testing.T) {
	p := mustCompile(t, DefaultSpec())
	ds := []Decision{salesNeed("eur", time.Minute, money("100", "EUR")), salesNeed("gbp", time.Minute, money("90", "GBP"))}
	// Without rates, value orders nothing: the rest of the queue decides.
	require.NoError(t, p.SortQueue(ds, lead.Rates{}, t0))
	assert.Equal(t, []string{"eur", "gbp"}, ids(ds))
	require.NoError(t, p.SortQueue(ds, lead.Rates{Base: "GBP"}, t0))
	assert.Equal(t, []string{"gbp", "eur"}, ids(ds), "only pounds are known")
	require.NoError(t, p.SortQueue(ds, gbp, t0))
	assert.Equal(t, []string{"gbp", "eur"}, ids(ds), "100 EUR is 85 GBP")

	bad := lead.Rates{Base: "GBP", Rates: map[lead.Currency]decimal.Decimal{"EUR": decimal.Zero}}
	before := slices.Clone(ds)
	err := p.SortQueue(ds, bad, t0)
	require.ErrorContains(t, err, "rates.EUR: rate 0 is not positive")
	assert.Equal(t, before, ds, "unchanged on error")
}

func TestQueueSettingsJSON(t *testing.T) {
	var s Settings
	require.NoError(t, json.Unmarshal([]byte(`{"queue":["priority","deadline:30m","value"],"off_hours":"on_call",
		"response_hours":{"start":"08:00","end":"18:00","zone":"Europe/London"}}`), &s))
	assert.Equal(t, []QueueKey{{By: QueueByPriority}, {By: QueueByDeadline, Band: 30 * time.Minute}, {By: QueueByValue}}, s.Queue)
	assert.Equal(t, OffHoursOnCall, s.OffHours)
	require.NotNil(t, s.ResponseHours)
	assert.Equal(t, 8*time.Hour, s.ResponseHours.Start)
	out, err := json.Marshal(s)
	require.NoError(t, err)
	assert.JSONEq(t, `{"queue":["priority","deadline:30m","value"],"off_hours":"on_call",
		"response_hours":{"start":"08:00","end":"18:00","zone":"Europe/London"}}`, string(out))

	for name, tc := range map[string]struct{ json, err string }{
		"unknown key":       {`{"queue":["priority","urgency"]}`, `queue[1]: unknown queue key "urgency" (accepted: priority, in_time, value, deadline, fresh, fit)`},
		"band on value":     {`{"queue":["value:1h"]}`, "queue[0]: queue key value takes no band"},
		"bad band":          {`{"queue":["deadline:soon"]}`, "queue[0]: queue key deadline: band: lead: duration \"soon\" does not start with a number"},
		"bad hours":         {`{"response_hours":{"start":"9am","end":"17:00"}}`, `response_hours.start: "9am" is not a clock time`},
		"unknown off_hours": {`{"off_hours":"pager"}`, `"pager"`},
	} {
		t.Run(name, func(t *testing.T) {
			assert.ErrorContains(t, json.Unmarshal([]byte(tc.json), &s), tc.err)
		})
	}
}

func TestQueueAndHoursCompileErrors(t *testing.T) {
	tests := []struct {
		name     string
		settings Settings
		want     []string
	}{
		{"a key twice", Settings{Queue: []QueueKey{{By: QueueByValue}, {By: QueueByValue}}}, []string{"settings.queue[1]: value listed twice"}},
		{"an unknown key", Settings{Queue: []QueueKey{{By: 42}}}, []string{"settings.queue[0]: unknown queue key 42"}},
		{"a band on fit", Settings{Queue: []QueueKey{{By: QueueByFit, Band: time.Hour}}}, []string{"settings.queue[0]: fit takes no band"}},
		{"an empty queue", Settings{Queue: []QueueKey{}}, []string{"settings.queue: empty"}},
		{"on call without hours", Settings{OffHours: OffHoursOnCall}, []string{"settings.off_hours: on_call needs settings.response_hours"}},
		{"bad hours", Settings{ResponseHours: &lead.WorkingHours{Start: 18 * time.Hour, End: 8 * time.Hour, Zone: "Nowhere"}},
			[]string{"settings.response_hours.start: working day 18:00 to 08:00", `settings.response_hours.zone: unknown time zone "Nowhere"`}},
		{"a deadline beyond a working week", Settings{ResponseHours: &lead.WorkingHours{Days: []time.Weekday{time.Monday}}, ResponseDeadline: 9 * time.Hour},
			[]string{"settings.response_deadline: 9h is more than a week of the response hours' working time (8h)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := DefaultSpec()
			s.Settings = tc.settings
			_, err := Compile(s)
			require.ErrorIs(t, err, ErrInvalidPolicy)
			for _, w := range tc.want {
				assert.ErrorContains(t, err, w)
			}
		})
	}
}

func TestDeadlineCountsResponseHours(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	require.NoError(t, err)
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, london) } // 23 November 2026 is a Monday
	hours := &lead.WorkingHours{Zone: "Europe/London", Holidays: []string{"2026-12-25"}}
	tests := []struct {
		name     string
		settings Settings
		need     time.Time
		want     time.Time
		outside  bool
	}{
		{"no hours: the clock", Settings{}, at(22, 2, 0), at(22, 2, 5), false},
		{"in hours", Settings{ResponseHours: hours}, at(23, 10, 0), at(23, 10, 5), false},
		{"Sunday night: at the opening", Settings{ResponseHours: hours}, at(22, 2, 0), at(23, 9, 5), true},
		{"across closing", Settings{ResponseHours: hours}, at(27, 16, 58), at(30, 9, 3), false},
		{"Sunday night, on call: the clock", Settings{ResponseHours: hours, OffHours: OffHoursOnCall}, at(22, 2, 0), at(22, 2, 5), true},
		{"in hours, on call: working time", Settings{ResponseHours: hours, OffHours: OffHoursOnCall}, at(27, 16, 58), at(30, 9, 3), false},
		{"a longer deadline in working time", Settings{ResponseHours: hours, ResponseDeadline: 4 * time.Hour}, at(23, 15, 0), at(24, 11, 0), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := DefaultSpec()
			s.Settings = tc.settings
			p := mustCompile(t, s)
			assert.True(t, tc.want.Equal(p.Vocabulary().Deadline(tc.need)), "vocabulary: %s", p.Vocabulary().Deadline(tc.need).In(london))
			assert.Equal(t, !tc.outside, p.Vocabulary().InHours(tc.need))

			// The decision's deadline is the vocabulary's.
			now := tc.need.Add(time.Minute)
			d, err := EvaluateAt(context.Background(), p, newLead("L-1", act(lead.KindPricingRequest, tc.need)), now)
			require.NoError(t, err)
			require.Equal(t, RouteSales, d.Route)
			assert.True(t, tc.want.Equal(d.Deadline), "decision: %s", d.Deadline.In(london))
			assert.Equal(t, tc.outside, d.OutsideHours)
		})
	}
}

func mustCompile(t testing.TB, s Spec) *Policy {
	t.Helper()
	p, err := Compile(s)
	require.NoError(t, err)
	return p
}

// FuzzParseQueueKey: any text as a queue key never panics, and a key that
// parses writes back to text that parses to the same key.
func FuzzParseQueueKey(f *testing.F) {
	for _, s := range []string{"priority", "deadline:30m", "fresh:1d12h", "value:1h", "deadline:", ":", "urgency", "deadline:0s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseQueueKey(s)
		if err != nil {
			return
		}
		back, err := ParseQueueKey(k.String())
		require.NoError(t, err)
		require.Equal(t, k, back)
	})
}

// Response hours cost Evaluate no allocation: the deadline in working time
// allocates exactly what the deadline on the clock does.
func TestResponseHoursAllocateNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items: allocations are counted without it")
	}
	clockPolicy := mustCompile(t, DefaultSpec())
	s := DefaultSpec()
	s.Settings.ResponseHours = &lead.WorkingHours{Zone: "Europe/London", Holidays: []string{"2026-12-25"}}
	hoursPolicy := mustCompile(t, s)
	l := newLead("L-1", act(lead.KindPricingRequest, ago(2*day+time.Hour)), act(lead.KindWhitePaper, ago(3*day)))
	l.Value = money("50000", "GBP")
	ctx := context.Background()
	allocs := func(p *Policy) float64 {
		return testing.AllocsPerRun(200, func() {
			if _, err := EvaluateAt(ctx, p, l, t0); err != nil {
				t.Fatal(err)
			}
		})
	}
	d, err := EvaluateAt(ctx, hoursPolicy, l, t0)
	require.NoError(t, err)
	require.True(t, d.OutsideHours, "Saturday: the calendar is exercised")
	assert.Equal(t, allocs(clockPolicy), allocs(hoursPolicy))
}

// naiveQueue is SortQueue as its documentation reads: a stable sort that
// computes every key of both decisions at each comparison, converting
// values and comparing them with decimal's Cmp whatever their exponents.
func naiveQueue(keys []QueueKey, ds []Decision, rates lead.Rates, now time.Time) {
	value := func(d *Decision) (decimal.Decimal, bool) {
		if rates.Base == "" {
			return decimal.Decimal{}, false
		}
		v, err := rates.Convert(d.Value)
		return v.Amount, err == nil
	}
	slices.SortStableFunc(ds, func(a, b Decision) int {
		for _, k := range keys {
			var c int
			switch k.By {
			case QueueByPriority:
				c = cmp.Compare(a.Priority.queueRank(), b.Priority.queueRank())
			case QueueByInTime:
				c = cmp.Compare(deadlineClass(&a, now), deadlineClass(&b, now))
			case QueueByValue:
				va, oka := value(&a)
				vb, okb := value(&b)
				switch {
				case oka && okb:
					c = vb.Cmp(va)
				case oka:
					c = -1
				case okb:
					c = 1
				}
			case QueueByDeadline:
				ca, cb := deadlineClass(&a, now), deadlineClass(&b, now)
				c = cmp.Compare(ca, cb)
				if c == 0 && ca != noDeadline {
					c = cmp.Compare(banded(distance(a.Deadline, now), k.Band), banded(distance(b.Deadline, now), k.Band))
				}
			case QueueByFresh:
				switch {
				case a.NeedAt.IsZero() && b.NeedAt.IsZero():
				case a.NeedAt.IsZero():
					c = 1
				case b.NeedAt.IsZero():
					c = -1
				default:
					c = cmp.Compare(banded(distance(a.NeedAt, now), k.Band), banded(distance(b.NeedAt, now), k.Band))
				}
			case QueueByFit:
				c = cmp.Compare(b.Fit, a.Fit)
			}
			if c != 0 {
				return c
			}
		}
		return cmp.Or(strings.Compare(a.Lead, b.Lead), a.At.Compare(b.At))
	})
}

// TestSortQueueAgainstNaive: on random queues of keys (bands included)
// and random days of work with NaN and -Inf fits, values whose exponents
// lie up to 80 apart, duplicated decisions and the zero Rates, SortQueue
// orders as naiveQueue does.
func TestSortQueueAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	all := []QueueBy{QueueByPriority, QueueByInTime, QueueByValue, QueueByDeadline, QueueByFresh, QueueByFit}
	for round := range 400 {
		perm := r.Perm(len(all))
		var keys []QueueKey
		for _, i := range perm[:1+r.IntN(len(all))] {
			k := QueueKey{By: all[i]}
			if (k.By == QueueByDeadline || k.By == QueueByFresh) && r.IntN(2) == 0 {
				k.Band = time.Duration(1+r.IntN(90)) * time.Minute
			}
			keys = append(keys, k)
		}
		s := DefaultSpec()
		s.Settings.Queue = keys
		p := mustCompile(t, s)
		n := r.IntN(60)
		ds := queueDecisions(n, uint64(round))
		for i := range ds {
			switch r.IntN(8) {
			case 0:
				ds[i].Fit = math.NaN()
			case 1:
				ds[i].Fit = math.Inf(-1)
			case 2:
				ds[i].Value = lead.Money{Amount: decimal.New(r.Int64N(5), int32(r.IntN(80)-40)), Currency: "GBP"}
			case 3:
				if i > 0 {
					ds[i] = ds[r.IntN(i)] // a duplicate
				}
			}
		}
		rates := gbp
		if r.IntN(5) == 0 {
			rates = lead.Rates{}
		}
		want := slices.Clone(ds)
		naiveQueue(keys, want, rates, t0)
		got := slices.Clone(ds)
		require.NoError(t, p.SortQueue(got, rates, t0))
		if !slices.EqualFunc(want, got, func(a, b Decision) bool { return fmt.Sprint(a) == fmt.Sprint(b) }) {
			t.Fatalf("round %d keys %v\nwant %v\ngot  %v", round, keys, ids(want), ids(got))
		}
	}
}
