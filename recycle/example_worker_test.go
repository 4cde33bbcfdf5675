package recycle_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/recycle"
)

// A worker loop: claim the leads that are due (earliest first, and among
// leads due together the most valuable first), do each task, and
// acknowledge it, or recycle the lead again when the prospect is still not
// ready. A worker that crashes before acknowledging loses nothing: its
// claims run out on the store's clock and the leads are handed to the next
// worker.
func ExampleScheduler_Claim() {
	ctx := context.Background()
	// The store's clock decides when leases end; here it is a test's, moved
	// by hand. (A MemStore's zero Clock is the wall clock.)
	storeNow := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	store := &recycle.MemStore{Clock: func() time.Time { return storeNow }}
	s, err := recycle.NewScheduler(store, recycle.Config{
		Vocabulary: qualify.DefaultVocabulary(), // the policy's, in a real worker
		Currency:   "GBP",
		Lease:      15 * time.Minute,
		Horizons:   recycle.Horizons{Jitter: -1},
	})
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	leads := map[string]*lead.Lead{
		"L-1": {ID: "L-1", Value: lead.MustParseMoney("5000", "GBP")},
		"L-2": {ID: "L-2", Value: lead.MustParseMoney("80000", "GBP")},
		"L-3": {ID: "L-3", Value: lead.MustParseMoney("20000", "GBP")},
	}
	for _, id := range []string{"L-1", "L-2", "L-3"} {
		if _, err := s.Recycle(ctx, leads[id], lead.ReasonNoDecisionMaker, now); err != nil {
			panic(err)
		}
	}

	// Two weeks later, a worker crashes holding the first lead.
	now = now.Add(2 * recycle.Week)
	lost, _ := s.Claim(ctx, now, 1)
	fmt.Println("crashed holding", lost[0].LeadID)

	// Twenty minutes on, its lease has run out: the next worker gets all three.
	now = now.Add(20 * time.Minute)
	storeNow = storeNow.Add(20 * time.Minute)
	for {
		claims, err := s.Claim(ctx, now, 10)
		if err != nil {
			panic(err)
		}
		if len(claims) == 0 {
			break
		}
		for _, c := range claims {
			fmt.Printf("%s: %s (claim %d)\n", c.LeadID, c.Task, c.Claims)
			if c.LeadID == "L-3" { // reached the finance director: not now (recycled before, so 2 × 90 days)
				e, err := s.RecycleClaimed(ctx, c, leads[c.LeadID], lead.ReasonNotNow, now)
				if err != nil {
					panic(err)
				}
				fmt.Printf("  recycled again, due %s\n", e.Due.Format("2006-01-02"))
				continue
			}
			switch err := s.Ack(ctx, c); {
			case errors.Is(err, recycle.ErrLeaseLost), errors.Is(err, recycle.ErrNotFound):
				fmt.Println("  someone else has it now")
			case err != nil:
				panic(err)
			default:
				fmt.Println("  done")
			}
		}
	}
	// Output:
	// crashed holding L-2
	// L-2: Reach the sales, finance or managing director (claim 2)
	//   done
	// L-3: Reach the sales, finance or managing director (claim 1)
	//   recycled again, due 2027-06-05
	// L-1: Reach the sales, finance or managing director (claim 1)
	//   done
}
