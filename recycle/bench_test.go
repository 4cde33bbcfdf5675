package recycle

import (
	"container/heap"
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// The benchmarks run on 1,000,000 scheduled leads. Each compares the
// in-memory store (and the Scheduler over it) with a yardstick: a bare
// map plus container/heap of structs doing the same bookkeeping without
// leases, versions, validation or locking. Run them with
//
//	go test -run '^$' -bench . -benchmem ./recycle/
const benchLeads = 1_000_000

func benchIDs(prefix string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s%07d", prefix, i)
	}
	return ids
}

// heapBytes returns the live heap after a collection.
func heapBytes() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// fullStore returns a MemStore of benchLeads entries due over 30 days
// from t0, and its bytes per entry beyond the lead IDs.
func fullStore(b *testing.B) (*MemStore, []string, float64) {
	b.Helper()
	ids := benchIDs("lead-", benchLeads)
	r := rand.New(rand.NewPCG(1, 2))
	before := heapBytes()
	m := NewMemStore()
	for _, id := range ids {
		e := Entry{LeadID: id, Due: t0.Add(time.Duration(r.IntN(30*86400)) * time.Second), Reason: lead.ReasonNotNow,
			Task: "Call back", Rank: int64(r.IntN(100000)), Since: t0}
		if _, err := m.Put(context.Background(), e, 0); err != nil {
			b.Fatal(err)
		}
	}
	after := heapBytes()
	idBytes := 0
	for _, id := range ids {
		idBytes += len(id)
	}
	return m, ids, float64(after-before-uint64(idBytes)) / benchLeads
}

func BenchmarkMemStore(b *testing.B) {
	ctx := context.Background()
	m, ids, perEntry := fullStore(b)
	r := rand.New(rand.NewPCG(3, 4))

	b.Run("schedule", func(b *testing.B) {
		fresh := benchIDs("new-", 1<<20)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if i == len(fresh) { // keep the store near 1M
				b.StopTimer()
				for _, id := range fresh {
					_ = m.Delete(ctx, id, 0)
				}
				i = 0
				b.StartTimer()
			}
			e := Entry{LeadID: fresh[i], Due: t0.Add(time.Duration(i%(30*86400)) * time.Second), Reason: lead.ReasonNotNow,
				Task: "Call back", Rank: int64(i), Since: t0}
			if _, err := m.Put(ctx, e, 0); err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(perEntry, "bytes/entry")
		b.StopTimer()
		for _, id := range fresh[:i] {
			_ = m.Delete(ctx, id, 0)
		}
	})

	b.Run("wake", func(b *testing.B) {
		b.ReportAllocs()
		now := t0
		for b.Loop() {
			id := ids[r.IntN(len(ids))]
			cur, err := m.Get(ctx, id)
			if err != nil {
				b.Fatal(err)
			}
			now = now.Add(time.Microsecond)
			cur.Due, cur.Task = now, "new interest in RoutePlanner"
			if _, err := m.Put(ctx, cur, cur.Version); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("claim-1000+ack", func(b *testing.B) {
		b.ReportAllocs()
		now := t0.Add(31 * Day) // everything is due
		for b.Loop() {
			cs, err := m.Claim(ctx, now, 1000, 10*time.Minute)
			if err != nil || len(cs) != 1000 {
				b.Fatal(len(cs), err)
			}
			for _, c := range cs {
				if err := m.Delete(ctx, c.LeadID, c.Version); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer() // put them back, due again
			for _, c := range cs {
				c.Due = t0.Add(time.Duration(r.IntN(30*86400)) * time.Second)
				if _, err := m.Put(ctx, c, 0); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
		}
	})
}

func BenchmarkScheduler(b *testing.B) {
	ctx := context.Background()
	m, ids, _ := fullStore(b)
	s, err := NewScheduler(m, Config{Vocabulary: qualify.DefaultVocabulary(), Currency: "GBP", Horizons: Horizons{Hours: &WorkingHours{}}})
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 6))

	b.Run("recycle", func(b *testing.B) {
		b.ReportAllocs()
		l := &lead.Lead{Value: lead.MustParseMoney("25000.00", "GBP"), Contact: lead.Contact{TimeZone: "Europe/London"}}
		now := t0
		for b.Loop() {
			l.ID = ids[r.IntN(len(ids))]
			now = now.Add(time.Second)
			if _, err := s.Recycle(ctx, l, lead.ReasonNoDecisionMaker, now); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("wake", func(b *testing.B) {
		b.ReportAllocs()
		now := t0
		for b.Loop() {
			now = now.Add(time.Second)
			if _, err := s.Wake(ctx, ids[r.IntN(len(ids))], "new interest in RoutePlanner", now); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("claim-1000+ack", func(b *testing.B) {
		b.ReportAllocs()
		now := t0.Add(3 * 365 * Day) // everything is due
		for b.Loop() {
			cs, err := s.Claim(ctx, now, 1000)
			if err != nil || len(cs) != 1000 {
				b.Fatal(len(cs), err)
			}
			for _, c := range cs {
				if err := s.Ack(ctx, c); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			for _, c := range cs {
				c.Due = t0.Add(time.Duration(r.IntN(30*86400)) * time.Second)
				if _, err := m.Put(ctx, c, 0); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
		}
	})
}

func BenchmarkPlan(b *testing.B) {
	p, err := NewPlanner(Horizons{Hours: &WorkingHours{}})
	if err != nil {
		b.Fatal(err)
	}
	l := &lead.Lead{ID: "lead-0000001", Contact: lead.Contact{TimeZone: "Europe/London"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Plan(l, lead.ReasonNoDecisionMaker, Prior{Recycles: 1}, t0); err != nil {
			b.Fatal(err)
		}
	}
}

// The yardstick: what a hand-written schedule of structs costs.

type yItem struct {
	id    string
	due   int64
	rank  int64
	index int
}

type yHeap []*yItem

func (h yHeap) Len() int { return len(h) }
func (h yHeap) Less(i, j int) bool {
	if h[i].due != h[j].due {
		return h[i].due < h[j].due
	}
	if h[i].rank != h[j].rank {
		return h[i].rank > h[j].rank
	}
	return h[i].id < h[j].id
}
func (h yHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *yHeap) Push(x any) { it := x.(*yItem); it.index = len(*h); *h = append(*h, it) }
func (h *yHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

type yardstick struct {
	byID map[string]*yItem
	h    yHeap
}

func (y *yardstick) schedule(id string, due, rank int64) {
	it := &yItem{id: id, due: due, rank: rank}
	y.byID[id] = it
	heap.Push(&y.h, it)
}

func BenchmarkYardstick(b *testing.B) {
	ids := benchIDs("lead-", benchLeads)
	r := rand.New(rand.NewPCG(1, 2))
	before := heapBytes()
	y := &yardstick{byID: make(map[string]*yItem)}
	for _, id := range ids {
		y.schedule(id, t0.Add(time.Duration(r.IntN(30*86400))*time.Second).UnixNano(), int64(r.IntN(100000)))
	}
	after := heapBytes()
	idBytes := 0
	for _, id := range ids {
		idBytes += len(id)
	}
	perEntry := float64(after-before-uint64(idBytes)) / benchLeads

	b.Run("schedule", func(b *testing.B) {
		fresh := benchIDs("new-", 1<<20)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if i == len(fresh) {
				b.StopTimer()
				for _, id := range fresh {
					heap.Remove(&y.h, y.byID[id].index)
					delete(y.byID, id)
				}
				i = 0
				b.StartTimer()
			}
			y.schedule(fresh[i], t0.Add(time.Duration(i%(30*86400))*time.Second).UnixNano(), int64(i))
			i++
		}
		b.ReportMetric(perEntry, "bytes/entry")
		b.StopTimer()
		for _, id := range fresh[:i] {
			heap.Remove(&y.h, y.byID[id].index)
			delete(y.byID, id)
		}
	})

	b.Run("wake", func(b *testing.B) {
		b.ReportAllocs()
		now := t0.UnixNano()
		for b.Loop() {
			it := y.byID[ids[r.IntN(len(ids))]]
			now += 1000
			it.due = now
			heap.Fix(&y.h, it.index)
		}
	})

	b.Run("claim-1000+ack", func(b *testing.B) {
		b.ReportAllocs()
		now := t0.Add(31 * Day).UnixNano()
		out := make([]*yItem, 0, 1000)
		for b.Loop() {
			out = out[:0]
			for len(out) < 1000 && y.h[0].due <= now {
				it := heap.Pop(&y.h).(*yItem)
				delete(y.byID, it.id)
				out = append(out, it)
			}
			b.StopTimer()
			for _, it := range out {
				y.schedule(it.id, t0.Add(time.Duration(r.IntN(30*86400))*time.Second).UnixNano(), it.rank)
			}
			b.StartTimer()
		}
	})
}
