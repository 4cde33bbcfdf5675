package main

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadqual/leadqual/qualify"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHotSwapUnderLoad posts leads from many goroutines while another
// swaps the policy back and forth, and checks that every answer was made
// by one whole policy: its name, version, verdict, deadline, scores and
// matched rules all belong to the same one. Run it with -race.
func TestHotSwapUnderLoad(t *testing.T) {
	alpha, beta := compile(t, alphaJSON), compile(t, betaJSON)
	s, n := newTestServer(t, Config{Policy: alpha})

	// What each policy says about needLead.
	type expect struct {
		version  string
		verdict  qualify.Verdict
		deadline time.Time
		fit      float64
		prefix   string
	}
	want := map[string]expect{
		"alpha": {alpha.Version(), qualify.VerdictNeed, time.Date(2026, time.March, 2, 9, 3, 0, 0, time.UTC), 25, "alpha-"},
		"beta":  {beta.Version(), qualify.VerdictInterest, time.Time{}, 12, "beta-"},
	}

	const clients, minRequests = 8, 50
	var (
		stop      atomic.Bool
		swaps     atomic.Int64
		decisions sync.Map // policy name -> *atomic.Int64
		wg        sync.WaitGroup
	)
	for _, name := range []string{"alpha", "beta"} {
		decisions.Store(name, new(atomic.Int64))
	}

	// The swapper alternates the two policies until every client is done.
	swapDone := make(chan struct{})
	go func() {
		defer close(swapDone)
		for i := 0; !stop.Load(); i++ {
			body := alphaJSON
			if i%2 == 0 {
				body = betaJSON
			}
			resp := do(t, s, request{method: http.MethodPut, path: "/v1/policy", body: body, header: admin()})
			if !assert.Equal(t, http.StatusOK, resp.StatusCode) {
				return
			}
			resp.Body.Close()
			swaps.Add(1)
		}
	}()

	// Each client posts until it has been answered by both policies, and
	// at least minRequests times.
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seen := map[string]bool{}
			for i := 0; i < minRequests || len(seen) < 2; i++ {
				resp := do(t, s, request{method: http.MethodPost, path: "/v1/leads", body: needLead})
				if !assert.Equal(t, http.StatusOK, resp.StatusCode) {
					return
				}
				got, err := decodeBody[LeadResponse](resp)
				if !assert.NoError(t, err) {
					return
				}
				d := got.Decision
				w, ok := want[d.Policy]
				if !assert.True(t, ok, "unknown policy %q", d.Policy) {
					return
				}
				seen[d.Policy] = true
				c, _ := decisions.Load(d.Policy)
				c.(*atomic.Int64).Add(1)
				assert.Equal(t, w.version, d.Version, "%s decided with another version", d.Policy)
				assert.Equal(t, w.verdict, d.Verdict, "%s: verdict", d.Policy)
				assert.True(t, w.deadline.Equal(d.Deadline), "%s: deadline %s", d.Policy, d.Deadline)
				assert.Equal(t, w.fit, d.Fit, "%s: fit", d.Policy)
				for _, m := range d.Matched {
					assert.True(t, strings.HasPrefix(m.Rule, w.prefix), "%s decided with rule %s", d.Policy, m.Rule)
				}
				if d.Verdict == qualify.VerdictNeed {
					assert.Equal(t, "sent", got.Notification)
				} else {
					assert.Empty(t, got.Notification)
				}
			}
		}()
	}
	wg.Wait()
	stop.Store(true)
	<-swapDone

	alphas, _ := decisions.Load("alpha")
	betas, _ := decisions.Load("beta")
	na, nb := alphas.(*atomic.Int64).Load(), betas.(*atomic.Int64).Load()
	t.Logf("%d swaps; %d decisions by alpha, %d by beta", swaps.Load(), na, nb)
	require.Positive(t, swaps.Load())
	assert.GreaterOrEqual(t, na+nb, int64(clients*minRequests))

	// Exactly the need decisions alerted sales, each from alpha.
	alerts := n.all()
	assert.Len(t, alerts, int(na))
	for _, a := range alerts {
		assert.Equal(t, "alpha", a.policy)
	}
}
