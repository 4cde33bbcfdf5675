package nurture_test

import (
	"cmp"
	"context"
	"iter"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/nurture"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// benchLead is a realistic nurturing lead: a dozen activities, two nurture
// emails already sent, opted in to email, in London.
func benchLead() *lead.Lead {
	l := interestLead()
	l.Contact.TimeZone = "Europe/London"
	base := t0.Add(-20 * day)
	l.Activities = []lead.Activity{
		{Kind: lead.KindPageVisit, At: base, Asset: "/fleet"},
		{Kind: lead.KindWhitePaper, At: base.Add(time.Hour), Asset: "Fleet costs explained"},
		{Kind: lead.KindEmailOpen, At: base.Add(2 * time.Hour)},
		{Kind: lead.KindNurtureEmail, At: base.Add(day), Channel: lead.ChannelEmail},
		{Kind: lead.KindEmailOpen, At: base.Add(day + time.Hour)},
		{Kind: lead.KindEmailClick, At: base.Add(day + 2*time.Hour)},
		{Kind: lead.KindPageVisit, At: base.Add(2 * day), Asset: "/pricing"},
		{Kind: lead.KindWebinarRegistered, At: base.Add(3 * day)},
		{Kind: lead.KindWebinarAttended, At: base.Add(5 * day)},
		{Kind: lead.KindNurtureEmail, At: t0.Add(-2 * day), Channel: lead.ChannelEmail},
		{Kind: lead.KindEmailOpen, At: t0.Add(-2*day + time.Hour)},
		{Kind: lead.KindPageVisit, At: t0.Add(-day), Asset: "/blog/routes"},
	}
	return l
}

// BenchmarkPlannerNext measures one next-touch decision for benchLead:
// the activities are scanned for need, for withdrawals and for the cap,
// and the touch, due at 22:00 London time, moves out of quiet hours.
// BenchmarkPlannerNextYardstick does the same work in plain Go, written
// for this one case.
func BenchmarkPlannerNext(b *testing.B) {
	p := newPlanner(b, nurture.Config{})
	l := benchLead()
	in := nurture.Input{Lead: l, Track: track3(b), Progress: nurture.Progress{Next: 1, Enrolled: t0.Add(-20 * day), Last: t0.Add(-2 * day)}}
	now := time.Date(2026, 3, 3, 22, 0, 0, 0, time.UTC) // the step is due at 10:00 tomorrow; planned from 22:00
	in.Progress.Last = now.Add(-3 * day)
	plan, err := p.Next(in, now)
	require.NoError(b, err)
	require.Equal(b, nurture.OutcomeTouch, plan.Outcome)
	require.NotZero(b, plan.Moved&nurture.MovedQuiet)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		plan, err = p.Next(in, now)
	}
	if err != nil || !plan.At.Equal(yardstickNext(l, in.Progress, now)) {
		b.Fatalf("plan %s, err %v", plan, err)
	}
}

// BenchmarkPlannerNextParallel is BenchmarkPlannerNext on every core at
// once: one Planner, its zone cache shared.
func BenchmarkPlannerNextParallel(b *testing.B) {
	p := newPlanner(b, nurture.Config{})
	tr := track3(b)
	now := time.Date(2026, 3, 3, 22, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		l := benchLead()
		in := nurture.Input{Lead: l, Track: tr, Progress: nurture.Progress{Next: 1, Enrolled: t0.Add(-20 * day), Last: now.Add(-3 * day)}}
		for pb.Next() {
			if _, err := p.Next(in, now); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkPlannerNextYardstick(b *testing.B) {
	l := benchLead()
	pr := nurture.Progress{Next: 1, Enrolled: t0.Add(-20 * day)}
	now := time.Date(2026, 3, 3, 22, 0, 0, 0, time.UTC)
	pr.Last = now.Add(-3 * day)
	var at time.Time
	b.ReportAllocs()
	for b.Loop() {
		at = yardstickNext(l, pr, now)
	}
	_ = at
}

var yardstickLondon, _ = time.LoadLocation("Europe/London")

// yardstickNext is the plain Go a host might write for the same decision,
// with the track, the zone, the cap and quiet hours built in: need since
// enrolment, email consent and withdrawals, the step's due time, the cap
// (3 in 7 days) and quiet hours (21:00 to 08:00, London).
func yardstickNext(l *lead.Lead, pr nurture.Progress, now time.Time) time.Time {
	if l.Stage == lead.StageDisqualified || l.LostReason == lead.ReasonNotAFit || l.LostReason == lead.ReasonDoNotContact {
		return time.Time{}
	}
	for _, a := range l.Activities {
		switch a.Kind {
		case lead.KindPricingRequest, lead.KindProductInfoRequest, lead.KindQuoteRequest, lead.KindDemoRequest,
			lead.KindContactRequest, lead.KindTrialStarted, lead.KindMeetingBooked, lead.KindCallConnected:
			if !a.At.Before(pr.Enrolled) {
				return time.Time{}
			}
		}
	}
	c := l.Consent[lead.ChannelEmail]
	if c.State != lead.ConsentOptedIn {
		return time.Time{}
	}
	for _, a := range l.Activities {
		switch a.Kind {
		case lead.KindUnsubscribe, lead.KindBounce, lead.KindSpamComplaint:
			if !a.At.Before(c.At) {
				return time.Time{}
			}
		}
	}
	at := pr.Last.Add(3 * day)
	if at.Before(now) {
		at = now
	}
	for {
		var touches []time.Time
		for _, a := range l.Activities {
			if a.Kind == lead.KindNurtureEmail && a.At.After(at.Add(-7*day)) && !a.At.After(at) {
				touches = append(touches, a.At)
			}
		}
		if len(touches) >= 3 {
			slices.SortFunc(touches, time.Time.Compare)
			at = touches[len(touches)-3].Add(7 * day)
			continue
		}
		lt := at.In(yardstickLondon)
		if h := lt.Hour(); h >= 21 || h < 8 {
			y, m, d := lt.Date()
			if h >= 21 {
				d++
			}
			at = time.Date(y, m, d, 8, 0, 0, 0, yardstickLondon)
			continue
		}
		return at
	}
}

// genLeads yields n leads built from a seed, reusing one Lead and one
// activity slice as a database cursor would, so that the stream itself
// holds no memory. The mix: every stage, values in GBP, EUR and USD (and
// some unknown), need leads answered, late and unanswered, interest leads
// on a track and on none.
func genLeads(n int, sample func(i int)) iter.Seq[nurture.Item] {
	ids := make([]string, 4096)
	for i := range ids {
		ids[i] = "L-" + strconv.Itoa(i)
	}
	curs := []lead.Currency{"GBP", "EUR", "USD"}
	values := make([]lead.Money, 1000)
	for i := range values {
		if i%17 == 0 {
			continue // unknown value
		}
		values[i] = lead.Money{Amount: decimal.New(int64(1000+i*997%100000), -2+int32(i%3)), Currency: curs[i%3]}
	}
	stages := lead.Stages()
	kinds := []lead.Kind{lead.KindPageVisit, lead.KindWhitePaper, lead.KindNurtureEmail, lead.KindEmailOpen,
		lead.KindPricingRequest, lead.KindCallAttempted, lead.KindSalesEmail, lead.KindWebinarAttended}
	optIn := map[lead.Channel]lead.Consent{lead.ChannelEmail: {State: lead.ConsentOptedIn, At: t0.Add(-400 * day)}}
	return func(yield func(nurture.Item) bool) {
		var l lead.Lead
		acts := make([]lead.Activity, 0, 8)
		x := uint64(88172645463325252)
		for i := range n {
			if sample != nil && i%10_000 == 0 {
				sample(i)
			}
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			acts = acts[:0]
			for j := range int(x % 7) {
				acts = append(acts, lead.Activity{Kind: kinds[(x>>(8+3*j))%uint64(len(kinds))], At: t0.Add(-time.Duration((x>>(20+4*j))%(60*24)) * time.Hour)})
			}
			l = lead.Lead{
				ID: ids[i%len(ids)], Owner: "owner", Stage: stages[(x>>40)%uint64(len(stages))],
				Value: values[(x>>44)%uint64(len(values))], Activities: acts, CreatedAt: t0.Add(-90 * day),
			}
			if x%3 == 0 {
				l.Consent = optIn
			}
			track := ""
			if x%5 == 0 {
				track = "ops-101"
			}
			if !yield(nurture.Item{Lead: &l, Track: track}) {
				return
			}
		}
	}
}

// peak samples the heap while a benchmark streams, and reports its peak.
type peak struct {
	base, max uint64
}

func (p *peak) start() {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	p.base, p.max = ms.HeapInuse, ms.HeapInuse
}

func (p *peak) sample(int) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	p.max = max(p.max, ms.HeapInuse)
}

func (p *peak) report(b *testing.B, leads int) {
	p.sample(0)
	b.ReportMetric(float64(p.max)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(p.max-p.base)/(1<<20), "peak-growth-MB")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(leads), "ns/lead")
}

const million = 1_000_000

// BenchmarkAudit1M audits a million generated leads per iteration and
// reports the time per lead and the peak heap while streaming. Run it with
// -benchtime=1x. BenchmarkAudit1MGenerateOnly is the cost of the stream
// alone; BenchmarkAudit1MYardstick does the same work in plain Go that
// keeps every finding and sorts at the end.
func BenchmarkAudit1M(b *testing.B) {
	a := newAuditor(b, nurture.AuditConfig{Targets: []nurture.Target{{Stage: lead.StageOpportunity, Leads: 200_000}}})
	var p peak
	p.start()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rep, err := a.Run(context.Background(), genLeads(million, p.sample), t0)
		if err != nil || rep.Leads != million {
			b.Fatal(err)
		}
	}
	p.report(b, million)
}

// BenchmarkAudit100k is BenchmarkAudit1M on a tenth of the leads: the
// same peak heap shows that memory does not grow with the stream.
func BenchmarkAudit100k(b *testing.B) {
	a := newAuditor(b, nurture.AuditConfig{Targets: []nurture.Target{{Stage: lead.StageOpportunity, Leads: 20_000}}})
	var p peak
	p.start()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := a.Run(context.Background(), genLeads(million/10, p.sample), t0); err != nil {
			b.Fatal(err)
		}
	}
	p.report(b, million/10)
}

func BenchmarkAudit1MGenerateOnly(b *testing.B) {
	var p peak
	p.start()
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for it := range genLeads(million, p.sample) {
			n += len(it.Lead.Activities)
		}
	}
	p.report(b, million)
}

func BenchmarkAudit1MYardstick(b *testing.B) {
	var p peak
	p.start()
	b.ReportAllocs()
	for b.Loop() {
		yardstickAudit(genLeads(million, p.sample), t0, 100)
	}
	p.report(b, million)
}

// yardFinding is a yardstick finding.
type yardFinding struct {
	kind    int
	id      string
	value   lead.Money
	overdue time.Duration
}

// yardstickAudit is the audit in plain Go, with the default limits built
// in: it keeps every finding and sorts them at the end, and sums values
// with decimal.Add per currency. It returns the count of each kind and
// the kept findings.
func yardstickAudit(leads iter.Seq[nurture.Item], now time.Time, keep int) ([4]int, []yardFinding) {
	limits := nurture.DefaultStageLimits()
	var all []yardFinding
	sums := map[lead.Stage]map[lead.Currency]decimal.Decimal{}
	counts := map[lead.Stage]int{}
	type ownerCounts struct{ leads, open, need, breaches, ignored int }
	owners := map[string]*ownerCounts{}
	for it := range leads {
		l := it.Lead
		counts[l.Stage]++
		o := owners[l.Owner]
		if o == nil {
			o = &ownerCounts{}
			owners[l.Owner] = o
		}
		o.leads++
		switch l.Stage {
		case lead.StageWon, lead.StageLost, lead.StageRecycled, lead.StageDisqualified:
		default:
			o.open++
		}
		if l.Value.Known() && l.Value.Currency.Valid() {
			m := sums[l.Stage]
			if m == nil {
				m = map[lead.Currency]decimal.Decimal{}
				sums[l.Stage] = m
			}
			m[l.Value.Currency] = m[l.Value.Currency].Add(l.Value.Amount)
		}
		if l.Stage == lead.StageDisqualified || l.LostReason.Final() {
			continue
		}
		var lastTouch, lastSales, prevSales, pend, answ time.Time
		interest := len(l.Interests) > 0
		for _, a := range l.Activities {
			if a.Kind.Touch() != lead.TouchNone && a.At.After(lastTouch) {
				lastTouch = a.At
			}
			if a.Kind.Touch() == lead.TouchSales {
				if a.At.After(lastSales) {
					prevSales, lastSales = lastSales, a.At
				} else if a.At.Before(lastSales) && a.At.After(prevSales) {
					prevSales = a.At
				}
			}
			if a.Kind.Intent() == lead.IntentInterest {
				interest = true
			}
		}
		for _, a := range l.Activities {
			if a.Kind.Intent() != lead.IntentNeed {
				continue
			}
			if a.At.After(lastSales) && (pend.IsZero() || a.At.Before(pend)) {
				pend = a.At
			} else if !a.At.After(lastSales) && a.At.After(prevSales) && (answ.IsZero() || a.At.Before(answ)) {
				answ = a.At
			}
		}
		const window = 5 * time.Minute
		if !pend.IsZero() {
			o.need++
		}
		if !pend.IsZero() && now.After(pend.Add(window)) {
			all = append(all, yardFinding{0, l.ID, l.Value, now.Sub(pend.Add(window))})
			o.breaches++
		} else if !answ.IsZero() && !answ.Before(now.Add(-30*day)) && lastSales.After(answ.Add(window)) {
			all = append(all, yardFinding{0, l.ID, l.Value, lastSales.Sub(answ.Add(window))})
			o.breaches++
		}
		if limit := limits[l.Stage]; limit > 0 {
			ref := lastTouch
			switch l.Stage {
			case lead.StageSalesAccepted, lead.StageSalesQualified, lead.StageOpportunity, lead.StageWon:
				ref = lastSales
			}
			entered := l.CreatedAt
			for _, h := range l.History {
				if h.To == l.Stage && h.At.After(entered) {
					entered = h.At
				}
			}
			if entered.After(ref) {
				ref = entered
			}
			if !ref.IsZero() && now.After(ref.Add(limit)) {
				all = append(all, yardFinding{1, l.ID, l.Value, now.Sub(ref.Add(limit))})
				o.ignored++
			}
		}
		if pend.IsZero() && it.Track == "" && (l.Stage == lead.StageNurturing ||
			(interest && (l.Stage == lead.StageNew || l.Stage == lead.StageMarketingQualified))) {
			withdrawn := false
			c := l.Consent[lead.ChannelEmail]
			for _, a := range l.Activities {
				if (a.Kind == lead.KindUnsubscribe || a.Kind == lead.KindBounce || a.Kind == lead.KindSpamComplaint) && !a.At.Before(c.At) {
					withdrawn = true
				}
			}
			if !(withdrawn && c.State == lead.ConsentOptedIn) && c.State != lead.ConsentOptedOut {
				all = append(all, yardFinding{2, l.ID, l.Value, 0})
			}
		}
	}
	var n [4]int
	for _, f := range all {
		n[f.kind]++
	}
	slices.SortFunc(all, func(x, y yardFinding) int {
		if c := cmp.Compare(x.kind, y.kind); c != 0 {
			return c
		}
		if c := cmp.Compare(x.value.Currency, y.value.Currency); c != 0 {
			return c
		}
		if c := y.value.Amount.Cmp(x.value.Amount); c != 0 {
			return c
		}
		return cmp.Compare(y.overdue, x.overdue)
	})
	var kept []yardFinding
	run := 0
	for i, f := range all {
		if i > 0 && (all[i-1].kind != f.kind || all[i-1].value.Currency != f.value.Currency) {
			run = 0
		}
		if run++; run <= keep {
			kept = append(kept, f)
		}
	}
	return n, kept
}

// TestYardstickDoesTheSameWork keeps the benchmark honest: on a sample of
// the benchmark's leads the yardstick finds what the auditor finds.
func TestYardstickDoesTheSameWork(t *testing.T) {
	const n = 20_000
	rep, err := newAuditor(t, nurture.AuditConfig{}).Run(context.Background(), genLeads(n, nil), t0)
	require.NoError(t, err)
	counts, _ := yardstickAudit(genLeads(n, nil), t0, 100)
	for k, kind := range []nurture.FindingKind{nurture.FindingResponseBreach, nurture.FindingIgnored, nurture.FindingUnnurtured} {
		assert.Equal(t, counts[k], rep.Totals[kind].Found, "kind %s", kind)
		assert.NotZero(t, counts[k], "the sample exercises kind %s", kind)
	}

	l := benchLead()
	p := newPlanner(t, nurture.Config{})
	for _, now := range []time.Time{t0, time.Date(2026, 3, 3, 22, 0, 0, 0, time.UTC), time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC)} {
		pr := nurture.Progress{Next: 1, Enrolled: t0.Add(-20 * day), Last: now.Add(-3 * day)}
		plan, err := p.Next(nurture.Input{Lead: l, Track: track3(t), Progress: pr}, now)
		require.NoError(t, err)
		assert.True(t, yardstickNext(l, pr, now).Equal(plan.At), "now %s: planner %s, yardstick %s", now, plan.At, yardstickNext(l, pr, now))
	}
}
