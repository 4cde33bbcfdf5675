package stress

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/recycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func testLead(i int) *lead.Lead {
	kinds := []lead.Kind{lead.KindPricingRequest, lead.KindWhitePaper, lead.KindPageVisit, lead.KindEmailClick, lead.KindWebinarAttended}
	l := &lead.Lead{
		ID:      fmt.Sprintf("L-%04d", i),
		Contact: lead.Contact{Role: lead.Role(i % 4)},
		Company: lead.Company{Employees: i % 700},
		Value:   lead.MustParseMoney(fmt.Sprint(1000+i), "GBP"),
		Stage:   lead.StageLost, LostReason: lead.ReasonNotNow,
	}
	for j := range i % 60 {
		l.Activities = append(l.Activities, lead.Activity{Kind: kinds[(i+j)%len(kinds)], At: t0.Add(-time.Duration(j*7+1) * time.Hour)})
	}
	return l
}

// TestConcurrentLoad: 64 goroutines evaluate leads against whichever policy
// is current while another goroutine swaps policies, and workers schedule,
// claim, acknowledge and wake leads on one recycle scheduler. Every decision
// must be the one its policy version gives alone; every scheduled lead must
// be acknowledged exactly once.
func TestConcurrentLoad(t *testing.T) {
	ctx := context.Background()

	// Two policies, and the decisions each makes on each lead when alone.
	a, err := qualify.Compile(qualify.DefaultSpec())
	require.NoError(t, err)
	spec := qualify.DefaultSpec()
	spec.Name = "stricter"
	spec.Settings.NeedFresh = 24 * time.Hour
	b, err := qualify.Compile(spec)
	require.NoError(t, err)
	policies := map[string]*qualify.Policy{a.Version(): a, b.Version(): b}

	const nLeads = 400
	leads := make([]*lead.Lead, nLeads)
	want := map[string][]qualify.Decision{}
	for i := range leads {
		leads[i] = testLead(i)
	}
	for v, p := range policies {
		for _, l := range leads {
			d, err := qualify.EvaluateAt(ctx, p, l, t0)
			require.NoError(t, err)
			want[v] = append(want[v], d)
		}
	}

	var current atomic.Pointer[qualify.Policy]
	current.Store(a)
	stop := make(chan struct{})
	var wg sync.WaitGroup

	// The host swaps policies as fast as it can.
	var swaps atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if i%2 == 0 {
				current.Store(b)
			} else {
				current.Store(a)
			}
			swaps.Add(1)
		}
	}()

	// 64 evaluators.
	errs := make(chan error, 64)
	var evaluated atomic.Int64
	for g := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 200 {
				i := (g*37 + k) % nLeads
				p := current.Load()
				d, err := qualify.EvaluateAt(ctx, p, leads[i], t0)
				if err != nil {
					errs <- err
					return
				}
				if !assert.ObjectsAreEqual(want[p.Version()][i], d) {
					errs <- fmt.Errorf("lead %d under policy %s: decision differs from the same policy alone", i, p.Name())
					return
				}
				evaluated.Add(1)
			}
		}()
	}

	// The recycle scheduler: producers schedule and wake, workers claim and
	// acknowledge, on one store.
	sched, err := recycle.NewScheduler(recycle.NewMemStore(), recycle.Config{Vocabulary: qualify.DefaultVocabulary(), Currency: "GBP"})
	require.NoError(t, err)
	now := t0.Add(5 * 365 * 24 * time.Hour) // every schedule is due by then
	var acked sync.Map
	var dupes atomic.Int64
	var producers sync.WaitGroup
	for g := range 4 {
		producers.Add(1)
		go func() {
			defer producers.Done()
			for i := g; i < nLeads; i += 4 {
				if _, err := sched.Recycle(ctx, leads[i], lead.ReasonNotNow, t0); err != nil {
					errs <- err
					return
				}
				if i%5 == 0 {
					_, err := sched.Wake(ctx, leads[i].ID, "woken in the stress test", t0)
					if err != nil && !errors.Is(err, recycle.ErrNotFound) { // a worker may have acknowledged it already
						errs <- err
						return
					}
				}
			}
		}()
	}
	var workers sync.WaitGroup
	producing := make(chan struct{})
	for range 8 {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for {
				claims, err := sched.Claim(ctx, now, 7)
				if err != nil {
					errs <- err
					return
				}
				if len(claims) == 0 {
					select {
					case <-producing:
						return
					default:
						time.Sleep(time.Millisecond)
						continue
					}
				}
				for _, c := range claims {
					err := sched.Ack(ctx, c)
					if errors.Is(err, recycle.ErrLeaseLost) || errors.Is(err, recycle.ErrNotFound) {
						continue // woken since the claim: handed out again, and maybe acknowledged already
					}
					if err != nil {
						errs <- err
						return
					}
					if _, loaded := acked.LoadOrStore(c.LeadID, true); loaded {
						dupes.Add(1)
					}
				}
			}
		}()
	}
	producers.Wait()
	close(producing)
	workers.Wait()
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	assert.Equal(t, int64(64*200), evaluated.Load())
	assert.Positive(t, swaps.Load())
	n := 0
	acked.Range(func(any, any) bool { n++; return true })
	assert.Equal(t, nLeads, n, "every scheduled lead acknowledged")
	assert.Zero(t, dupes.Load(), "no lead acknowledged twice")
	claims, err := sched.Claim(ctx, now, 1000)
	require.NoError(t, err)
	assert.Empty(t, claims, "nothing left behind")
}
