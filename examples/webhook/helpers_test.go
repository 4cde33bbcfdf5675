package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadqual/leadqual/ingest"
	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
	"github.com/stretchr/testify/require"
)

// t0 is the fixed `now` of every test: no test reads the wall clock.
var t0 = time.Date(2026, time.March, 2, 9, 0, 0, 0, time.UTC)

func clock() time.Time { return t0 }

const adminToken = "test-token"

// alphaJSON and betaJSON are two policies that disagree about a pricing
// request, so that a decision shows which one made it: alpha calls it
// need, beta interest. Every rule's name starts with its policy's name.
const alphaJSON = `{
  "name": "alpha",
  "rules": [
    {"name": "alpha-pricing", "when": "fresh(\"pricing_request\")", "intent": "need", "reason": "asked for pricing"},
    {"name": "alpha-decision-maker", "when": "contact.role == \"decision_maker\"", "dimension": "fit", "points": 25, "reason": "decision maker"}
  ]
}`

const betaJSON = `{
  "name": "beta",
  "settings": {"response_deadline": "1h"},
  "rules": [
    {"name": "beta-pricing", "when": "fresh(\"pricing_request\")", "intent": "interest", "reason": "pricing is only interest here"},
    {"name": "beta-decision-maker", "when": "contact.role == \"decision_maker\"", "dimension": "fit", "points": 5, "reason": "decision maker"},
    {"name": "beta-big", "when": "company.employees >= 100", "dimension": "fit", "points": 7, "reason": "big company"}
  ]
}`

func compile(t testing.TB, src string, opts ...qualify.Option) *qualify.Policy {
	t.Helper()
	p, err := qualify.CompileJSON([]byte(src), opts...)
	require.NoError(t, err)
	return p
}

func defaultPolicy(t testing.TB) *qualify.Policy {
	t.Helper()
	p, err := qualify.Compile(qualify.DefaultSpec())
	require.NoError(t, err)
	return p
}

// needLead is a decision maker who asked for pricing two minutes before t0.
const needLead = `{
  "id": "L-1001",
  "contact": {"name": "Ada Byrne", "email": "ada@byrne.example", "role": "decision_maker", "time_zone": "Europe/London"},
  "company": {"name": "Byrne Logistics", "domain": "byrne.example", "employees": 240, "country": "GB"},
  "value": {"amount": "50000.00", "currency": "GBP"},
  "activities": [
    {"kind": "white_paper", "at": "2026-02-27T09:00:00Z", "asset": "Fleet costs explained"},
    {"kind": "pricing_request", "at": "2026-03-02T08:58:00Z", "product": "RoutePlanner"}
  ]
}`

// interestLead read an e-book and attended a webinar.
const interestLead = `{
  "id": "L-1002",
  "contact": {"role": "influencer"},
  "company": {"employees": 120},
  "activities": [
    {"kind": "ebook", "at": "2026-02-25T09:00:00Z"},
    {"kind": "webinar_attended", "at": "2026-02-28T09:00:00Z"}
  ]
}`

// notified records the alerts of a Notifier.
type notified struct {
	mu     sync.Mutex
	alerts []alert
	err    error
}

type alert struct {
	lead     string
	deadline time.Time
	policy   string
}

func (n *notified) NotifySales(_ context.Context, l *lead.Lead, d qualify.Decision) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.alerts = append(n.alerts, alert{lead: l.ID, deadline: d.Deadline, policy: d.Policy})
	return n.err
}

func (n *notified) all() []alert {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]alert(nil), n.alerts...)
}

// newTestServer returns a Server on the default policy at the fixed
// clock, with the admin token, a recording notifier and cfg's non-zero
// fields on top.
func newTestServer(t testing.TB, cfg Config) (*Server, *notified) {
	t.Helper()
	n := &notified{}
	if cfg.Policy == nil {
		cfg.Policy = defaultPolicy(t)
	}
	if cfg.Notifier == nil {
		cfg.Notifier = n
	}
	if cfg.Clock == nil {
		cfg.Clock = clock
	}
	if cfg.AdminToken == "" {
		cfg.AdminToken = adminToken
	}
	s, err := NewServer(cfg)
	require.NoError(t, err)
	return s, n
}

// request is one request to a handler.
type request struct {
	method, path, body string
	header             map[string]string
}

// do serves req on h and returns the response. A JSON body gets the JSON
// content type unless header says otherwise.
func do(t testing.TB, h http.Handler, req request) *http.Response {
	t.Helper()
	r := httptest.NewRequest(req.method, req.path, strings.NewReader(req.body))
	if req.body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, v := range req.header {
		r.Header.Set(k, v)
	}
	if r.Header.Get("Transfer-Encoding") == "chunked" {
		// A body of unknown length: only MaxBytesReader can stop it.
		r.Header.Del("Transfer-Encoding")
		r.ContentLength = -1
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func admin(extra ...string) map[string]string {
	h := map[string]string{"Authorization": "Bearer " + adminToken}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	return h
}

// decode decodes the JSON body of resp into a new T, strictly. It calls
// t.FailNow: only for the test's own goroutine; see decodeBody.
func decode[T any](t testing.TB, resp *http.Response) T {
	t.Helper()
	v, err := decodeBody[T](resp)
	require.NoError(t, err)
	return v
}

// decodeBody decodes the JSON body of resp into a new T, strictly.
func decodeBody[T any](resp *http.Response) (T, error) {
	var v T
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return v, err
	}
	if err := ingest.DecodeJSON(body, &v); err != nil {
		return v, fmt.Errorf("%w; body: %s", err, body)
	}
	return v, nil
}

// leadWithActivities is a valid lead with n page visits.
func leadWithActivities(n int) string {
	var b strings.Builder
	b.WriteString(`{"id": "L-big", "activities": [`)
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"kind": "page_visit", "at": "2026-03-01T09:00:00Z", "asset": "/p/%d"}`, i)
	}
	b.WriteString("]}")
	return b.String()
}
