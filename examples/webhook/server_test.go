package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/leadqual/leadqual/assign"
	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPostLeadDecides(t *testing.T) {
	tests := []struct {
		name         string
		body         string
		verdict      qualify.Verdict
		route        qualify.Route
		deadline     time.Time
		notification string
		alerts       []alert
	}{
		{
			name: "need goes to sales with a deadline, and sales is told", body: needLead,
			verdict: qualify.VerdictNeed, route: qualify.RouteSales,
			deadline:     time.Date(2026, time.March, 2, 9, 3, 0, 0, time.UTC),
			notification: "sent",
			alerts:       []alert{{lead: "L-1001", deadline: time.Date(2026, time.March, 2, 9, 3, 0, 0, time.UTC), policy: "leadqual-default"}},
		},
		{
			name: "interest is nurtured, and sales is not disturbed", body: interestLead,
			verdict: qualify.VerdictInterest, route: qualify.RouteNurture,
		},
		{
			name: "a lead with nothing but an ID is nurtured", body: `{"id": "L-3"}`,
			verdict: qualify.VerdictNone, route: qualify.RouteNurture,
		},
		{
			name: "field names match case-insensitively, as encoding/json does", body: `{"ID": "L-4", "Contact": {"Role": "user"}}`,
			verdict: qualify.VerdictNone, route: qualify.RouteNurture,
		},
		{
			name: "a do-not-contact lead is dropped", body: `{"id": "L-5", "lost_reason": "do_not_contact"}`,
			verdict: qualify.VerdictOutOfScope, route: qualify.RouteDrop,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, n := newTestServer(t, Config{})
			resp := do(t, s, request{method: http.MethodPost, path: "/v1/leads", body: tt.body})
			require.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"))
			assert.NotEmpty(t, resp.Header.Get("X-Request-Id"))
			got := decode[LeadResponse](t, resp)
			d := got.Decision
			assert.Equal(t, tt.verdict, d.Verdict)
			assert.Equal(t, tt.route, d.Route)
			assert.True(t, tt.deadline.Equal(d.Deadline), "deadline %s, want %s", d.Deadline, tt.deadline)
			assert.Equal(t, "leadqual-default", d.Policy)
			assert.Equal(t, s.Policy().Version(), d.Version)
			assert.True(t, t0.Equal(d.At), "decided at the server's clock")
			assert.Equal(t, tt.notification, got.Notification)
			assert.Equal(t, tt.alerts, normalise(n.all()))
		})
	}
}

// normalise makes alerts comparable: times in UTC, nil for none.
func normalise(as []alert) []alert {
	if len(as) == 0 {
		return nil
	}
	for i := range as {
		as[i].deadline = as[i].deadline.UTC()
	}
	return as
}

func TestPostLeadRefuses(t *testing.T) {
	tests := []struct {
		name     string
		cfg      Config
		req      request
		status   int
		code     string
		problems []Problem // exactly these, in order; nil: not checked
		allow    string
		message  string // a part of the message
	}{
		{
			name:   "malformed JSON, located",
			req:    request{body: "{\"id\": \"L-1\",\n \"contact\": {\"email\": \"a@b.example\",}}"},
			status: http.StatusBadRequest, code: CodeMalformedJSON,
			problems: []Problem{{Field: "contact", Line: 2, Column: 37, Message: "invalid character '}' looking for beginning of object key string"}},
		},
		{
			name:   "JSON cut short",
			req:    request{body: `{"id": "L-1", "contact": {`},
			status: http.StatusBadRequest, code: CodeMalformedJSON, message: "ends too early",
		},
		{
			name:   "an empty body",
			req:    request{body: "", header: map[string]string{"Content-Type": "application/json"}},
			status: http.StatusBadRequest, code: CodeMalformedJSON, message: "empty",
		},
		{
			name:   "two objects",
			req:    request{body: `{"id": "L-1"} {"id": "L-2"}`},
			status: http.StatusBadRequest, code: CodeMalformedJSON, message: "line 1, column 15: unexpected data after the JSON value",
		},
		{
			name:   "not an object",
			req:    request{body: `["L-1"]`},
			status: http.StatusBadRequest, code: CodeInvalidJSON,
			problems: []Problem{{Line: 1, Column: 1, Message: `want an object, got an array`}},
		},
		{
			name:   "an unknown field, named with its path",
			req:    request{body: `{"id": "L-1", "contact": {"emial": "ada@byrne.example"}}`},
			status: http.StatusBadRequest, code: CodeInvalidJSON,
			problems: []Problem{{Field: "contact.emial", Line: 1, Column: 27, Message: "unknown field (the fields are name, email, phone, title, role, time_zone)"}},
		},
		{
			name: "every decoding problem at once",
			req: request{body: `{"id": "L-1", "colour": "red", "contact": {"role": "boss"}, "company": {"employees": "many"},
				"stage": 3, "activities": [{"kind": "demo_request", "at": "yesterday"}, {"kind": "ebook", "at": "2026-03-01T09:00:00Z", "pages": 3}],
				"consent": {"email": {"state": "maybe"}}, "budget": {"amount": "5e4", "currency": "GBP"}}`},
			status: http.StatusBadRequest, code: CodeInvalidJSON,
			problems: []Problem{
				{Field: "colour", Line: 1, Column: 15, Message: "unknown field"},
				{Field: "contact.role", Line: 1, Column: 52, Message: `unknown role "boss" (accepted: unknown, decision_maker, influencer, user)`},
				{Field: "company.employees", Line: 1, Column: 86, Message: `want a whole number, got "many"`},
				{Field: "stage", Line: 2, Column: 14, Message: "want a string, got the number 3"},
				{Field: "activities[0].at", Line: 2, Column: 63, Message: `parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"`},
				{Field: "activities[1].pages", Line: 2, Column: 125, Message: "unknown field (the fields are kind, at, asset, product, channel, attrs)"},
				{Field: "consent.email.state", Line: 3, Column: 36, Message: `unknown consent state "maybe" (accepted: unknown, opted_in, opted_out)`},
				{Field: "budget.amount", Line: 3, Column: 68, Message: `"5e4" is not a decimal number`},
			},
		},
		{
			name: "every validation problem at once, with its field path",
			req: request{body: `{"id": " ", "contact": {"email": "Ada <ada@byrne.example>", "time_zone": "Europe/Londres"},
				"company": {"country": "UK", "employees": -5}, "value": {"amount": "-1", "currency": "GPB"},
				"activities": [{"kind": "pricing_request", "at": "2026-03-02T08:58:00Z"}, {"kind": "demo_request", "at": "2026-03-09T09:00:00Z"}]}`},
			status: http.StatusUnprocessableEntity, code: CodeInvalidLead,
			problems: []Problem{
				{Field: "id", Message: "empty"},
				{Field: "contact.email", Message: `"Ada <ada@byrne.example>" is not an email address`},
				{Field: "contact.time_zone", Message: `unknown time zone "Europe/Londres"`},
				{Field: "company.employees", Message: "negative (-5)"},
				{Field: "company.country", Message: `"UK" is not an ISO 3166-1 alpha-2 code`},
				{Field: "value.currency", Message: `"GPB" is not an ISO 4217 code`},
				{Field: "value.amount", Message: "negative (-1)"},
				{Field: "activities[1].at", Message: "in the future (2026-03-09T09:00:00Z, now is 2026-03-02T09:00:00Z)"},
			},
		},
		{
			name:   "a body over the limit",
			cfg:    Config{MaxLeadBytes: 64},
			req:    request{body: needLead},
			status: http.StatusRequestEntityTooLarge, code: CodeTooLarge, message: "64 bytes",
		},
		{
			name:   "a body over the limit, without a Content-Length",
			cfg:    Config{MaxLeadBytes: 64},
			req:    request{body: needLead, header: map[string]string{"Transfer-Encoding": "chunked"}},
			status: http.StatusRequestEntityTooLarge, code: CodeTooLarge,
		},
		{
			name:   "a lead over the policy's limits",
			cfg:    Config{Policy: defaultPolicyWith(t, qualify.Limits{MaxActivities: 3})},
			req:    request{body: leadWithActivities(4)},
			status: http.StatusUnprocessableEntity, code: CodeLeadLimit,
			problems: []Problem{{Field: "activities", Message: "limit MaxActivities exceeded: 4 > 3"}},
		},
		{
			name:   "a text field over the policy's limits",
			cfg:    Config{Policy: defaultPolicyWith(t, qualify.Limits{MaxTextBytes: 8})},
			req:    request{body: `{"id": "L-1", "activities": [{"kind": "chat", "at": "2026-03-01T09:00:00Z", "asset": "/a/very/long/path"}]}`},
			status: http.StatusUnprocessableEntity, code: CodeLeadLimit,
			problems: []Problem{{Field: "activities[0].asset", Message: "limit MaxTextBytes exceeded: 17 > 8"}},
		},
		{
			name:   "form data",
			req:    request{body: "id=L-1", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}},
			status: http.StatusUnsupportedMediaType, code: CodeUnsupportedMediaType, message: "application/x-www-form-urlencoded",
		},
		{
			name:   "no content type",
			req:    request{body: needLead, header: map[string]string{"Content-Type": ""}},
			status: http.StatusUnsupportedMediaType, code: CodeUnsupportedMediaType, message: "none",
		},
		{
			name:   "a rule that fails is the policy's fault",
			cfg:    Config{Policy: compile(t, `{"name": "strict", "rules": [{"name": "seats", "when": "fields.seats > 10", "intent": "need", "reason": "many seats"}]}`)},
			req:    request{body: `{"id": "L-1", "fields": {"seats": "many"}}`},
			status: http.StatusInternalServerError, code: CodeRuleFailed,
			message: `rule "seats" of policy strict failed on lead "L-1"`,
		},
		{
			name:   "GET on the leads endpoint",
			req:    request{method: http.MethodGet},
			status: http.StatusMethodNotAllowed, code: CodeMethodNotAllowed, allow: "POST",
		},
		{
			name:   "DELETE on the policy endpoint",
			req:    request{method: http.MethodDelete, path: "/v1/policy"},
			status: http.StatusMethodNotAllowed, code: CodeMethodNotAllowed, allow: "GET, HEAD, PUT",
		},
		{
			name:   "POST on the health endpoint",
			req:    request{method: http.MethodPost, path: "/healthz", body: "{}"},
			status: http.StatusMethodNotAllowed, code: CodeMethodNotAllowed, allow: "GET, HEAD",
		},
		{
			name:   "an unknown path",
			req:    request{method: http.MethodPost, path: "/v1/lead", body: needLead},
			status: http.StatusNotFound, code: CodeNotFound,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, n := newTestServer(t, tt.cfg)
			req := tt.req
			if req.method == "" {
				req.method = http.MethodPost
			}
			if req.path == "" {
				req.path = "/v1/leads"
			}
			req.header = mergeHeaders(map[string]string{"X-Request-Id": "req-42"}, req.header)
			resp := do(t, s, req)
			require.Equal(t, tt.status, resp.StatusCode)
			assert.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"))
			assert.Equal(t, tt.allow, resp.Header.Get("Allow"))
			body := decode[ErrorBody](t, resp)
			e := body.Error
			assert.Equal(t, tt.status, e.Status)
			assert.Equal(t, tt.code, e.Code)
			assert.Equal(t, "req-42", e.RequestID)
			assert.Contains(t, e.Message, tt.message)
			if tt.problems != nil {
				assert.Equal(t, tt.problems, e.Problems)
			}
			assert.Empty(t, n.all(), "no alert for a refused lead")
		})
	}
}

func defaultPolicyWith(t testing.TB, lim qualify.Limits) *qualify.Policy {
	t.Helper()
	p, err := qualify.Compile(qualify.DefaultSpec(), qualify.WithLimits(lim))
	require.NoError(t, err)
	return p
}

func mergeHeaders(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range []map[string]string{a, b} {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func TestNotifierFailureKeepsTheDecision(t *testing.T) {
	n := &notified{err: errors.New("pager unreachable")}
	s, _ := newTestServer(t, Config{Notifier: n})
	resp := do(t, s, request{method: http.MethodPost, path: "/v1/leads", body: needLead})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	got := decode[LeadResponse](t, resp)
	assert.Equal(t, qualify.VerdictNeed, got.Decision.Verdict)
	assert.Equal(t, "failed", got.Notification)
	assert.Len(t, n.all(), 1)
}

func TestNotifierOutlivesTheClient(t *testing.T) {
	ctx, hangUp := context.WithCancel(context.Background())
	defer hangUp()
	var errAfterHangUp error
	var hasDeadline bool
	n := NotifierFunc(func(nctx context.Context, l *lead.Lead, d qualify.Decision) error {
		hangUp() // the client goes away while the alert is being sent
		errAfterHangUp = nctx.Err()
		_, hasDeadline = nctx.Deadline()
		return nil
	})
	s, _ := newTestServer(t, Config{Notifier: n})
	r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/v1/leads", strings.NewReader(needLead))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	require.Equal(t, http.StatusOK, w.Code)
	assert.NoError(t, errAfterHangUp, "the alert's context survives the client")
	assert.True(t, hasDeadline, "the alert's context ends after NotifyTimeout")
	assert.Equal(t, "sent", decode[LeadResponse](t, w.Result()).Notification)
}

func TestCancelledRequest(t *testing.T) {
	s, n := newTestServer(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/v1/leads", strings.NewReader(needLead))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	require.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Equal(t, CodeUnavailable, decode[ErrorBody](t, w.Result()).Error.Code)
	assert.Empty(t, n.all())
}

func TestPanicBecomesA500(t *testing.T) {
	n := NotifierFunc(func(context.Context, *lead.Lead, qualify.Decision) error { panic("notifier bug") })
	s, _ := newTestServer(t, Config{Notifier: n})
	resp := do(t, s, request{method: http.MethodPost, path: "/v1/leads", body: needLead})
	require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	assert.Equal(t, CodeInternal, decode[ErrorBody](t, resp).Error.Code)
}

func TestRequestID(t *testing.T) {
	s, _ := newTestServer(t, Config{})
	tests := []struct {
		name, sent string
		kept       bool
	}{
		{"a caller's ID is kept", "abc-123", true},
		{"an ID with spaces is replaced", "abc 123", false},
		{"a long ID is replaced", strings.Repeat("x", 65), false},
		{"no ID gets one", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := do(t, s, request{method: http.MethodGet, path: "/healthz", header: map[string]string{"X-Request-Id": tt.sent}})
			got := resp.Header.Get("X-Request-Id")
			if tt.kept {
				assert.Equal(t, tt.sent, got)
			} else {
				assert.NotEqual(t, tt.sent, got)
				assert.Len(t, got, 16)
			}
		})
	}
}

// TestRequestIDsDoNotRepeat: the server's own request IDs stay distinct
// past 2^32 requests (a month at 1,600 a second): the counter is not cut
// to 32 bits.
func TestRequestIDsDoNotRepeat(t *testing.T) {
	ids := newRequestIDs()
	seen := map[string]uint64{}
	for _, start := range []uint64{0, 1<<32 - 2, 1<<36 - 2, 1<<40 - 3} {
		ids.n.Store(start)
		for range 3 {
			id := ids.next()
			assert.Len(t, id, 16)
			assert.True(t, validRequestID(id), id)
			n := ids.n.Load()
			if other, ok := seen[id]; ok {
				t.Errorf("request %d and request %d both have the ID %s", other, n, id)
			}
			seen[id] = n
		}
	}
}

func TestHealthz(t *testing.T) {
	s, _ := newTestServer(t, Config{})
	resp := do(t, s, request{method: http.MethodGet, path: "/healthz"})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	h := decode[HealthResponse](t, resp)
	assert.Equal(t, "ok", h.Status)
	assert.Equal(t, PolicyInfo{Name: "leadqual-default", Version: s.Policy().Version(), Rules: len(s.Policy().Rules()), Since: t0}, normaliseInfo(h.Policy))

	resp = do(t, s, request{method: http.MethodHead, path: "/healthz"})
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func normaliseInfo(p PolicyInfo) PolicyInfo {
	p.Since = p.Since.UTC()
	return p
}

func TestPolicyAdministration(t *testing.T) {
	alpha, beta := compile(t, alphaJSON), compile(t, betaJSON)
	tests := []struct {
		name     string
		cfg      Config
		req      request
		status   int
		code     string
		problems []Problem
		serving  string // the policy in service afterwards
	}{
		{
			name:   "a new policy goes into service",
			req:    request{method: http.MethodPut, body: betaJSON, header: admin()},
			status: http.StatusOK, serving: "beta",
		},
		{
			name:   "If-Match naming the policy in service",
			req:    request{method: http.MethodPut, body: betaJSON, header: admin("If-Match", etag(alpha.Version()))},
			status: http.StatusOK, serving: "beta",
		},
		{
			name:   "If-Match naming another policy",
			req:    request{method: http.MethodPut, body: betaJSON, header: admin("If-Match", etag(beta.Version()))},
			status: http.StatusPreconditionFailed, code: CodePreconditionFailed, serving: "alpha",
		},
		{
			name: "a policy that does not compile is refused with every problem, and the old one stays",
			req: request{method: http.MethodPut, header: admin(), body: `{"name": "broken", "rules": [
				{"name": "a", "when": "fresh(\"pricing_request\") &&\n  colour == \"red\"", "intent": "need", "reason": "r"},
				{"name": "b", "when": "company.employees", "dimension": "fit", "points": 5, "reason": "r"},
				{"name": "a", "when": "true", "intent": "interest", "reason": "r"}
			]}`},
			status: http.StatusUnprocessableEntity, code: CodeInvalidPolicy, serving: "alpha",
			problems: []Problem{
				{Rule: "rules[2]", Field: "rules[2].name", Message: `duplicate: rules[0] and rules[2] are both named "a"`},
				{Rule: "a", Field: "rules[0].when", Line: 2, Column: 3, Message: "unknown name colour"},
				{Rule: "b", Field: "rules[1].when", Line: 1, Column: 9, Message: "must be a boolean (true or false), but is a number"},
			},
		},
		{
			name:   "a policy with a JSON syntax error",
			req:    request{method: http.MethodPut, header: admin(), body: "{\"name\": \"x\",\n \"rules\": [}"},
			status: http.StatusBadRequest, code: CodeInvalidJSON, serving: "alpha",
			problems: []Problem{{Field: "rules[0]", Line: 2, Column: 12, Message: "invalid character '}' looking for beginning of value"}},
		},
		{
			name:   "a policy with an unknown key",
			req:    request{method: http.MethodPut, header: admin(), body: `{"name": "x", "rulez": []}`},
			status: http.StatusBadRequest, code: CodeInvalidJSON, serving: "alpha",
		},
		{
			name:   "a policy over the size limit",
			cfg:    Config{MaxPolicyBytes: 32},
			req:    request{method: http.MethodPut, header: admin(), body: betaJSON},
			status: http.StatusRequestEntityTooLarge, code: CodeTooLarge, serving: "alpha",
		},
		{
			name:   "without the token",
			req:    request{method: http.MethodPut, body: betaJSON},
			status: http.StatusUnauthorized, code: CodeUnauthorized, serving: "alpha",
		},
		{
			name:   "with a wrong token",
			req:    request{method: http.MethodPut, body: betaJSON, header: map[string]string{"Authorization": "Bearer guess"}},
			status: http.StatusUnauthorized, code: CodeUnauthorized, serving: "alpha",
		},
		{
			name:   "reading the policy without the token",
			req:    request{method: http.MethodGet},
			status: http.StatusUnauthorized, code: CodeUnauthorized, serving: "alpha",
		},
		{
			name:   "with a text body",
			req:    request{method: http.MethodPut, body: betaJSON, header: admin("Content-Type", "text/plain")},
			status: http.StatusUnsupportedMediaType, code: CodeUnsupportedMediaType, serving: "alpha",
		},
		{
			name: "a policy that cannot be saved does not go into service",
			cfg: Config{SavePolicy: func(context.Context, []byte) error {
				return errors.New("disk full")
			}},
			req:    request{method: http.MethodPut, body: betaJSON, header: admin()},
			status: http.StatusInternalServerError, code: CodeInternal, serving: "alpha",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Policy = alpha
			s, _ := newTestServer(t, cfg)
			tt.req.path = "/v1/policy"
			resp := do(t, s, tt.req)
			require.Equal(t, tt.status, resp.StatusCode)
			if tt.code == "" {
				got := decode[PolicyResponse](t, resp)
				assert.Equal(t, PolicyInfo{Name: "beta", Version: beta.Version(), Rules: 3, Since: t0}, normaliseInfo(got.Policy))
				assert.Equal(t, PolicyInfo{Name: "alpha", Version: alpha.Version(), Rules: 2, Since: t0}, normaliseInfo(got.Previous))
				assert.False(t, got.Unchanged)
				assert.Equal(t, etag(beta.Version()), resp.Header.Get("ETag"))
			} else {
				e := decode[ErrorBody](t, resp).Error
				assert.Equal(t, tt.code, e.Code)
				if tt.problems != nil {
					assert.Equal(t, tt.problems, e.Problems)
				}
			}
			assert.Equal(t, tt.serving, s.Policy().Name())

			// Leads are decided by the policy in service.
			d := decode[LeadResponse](t, do(t, s, request{method: http.MethodPost, path: "/v1/leads", body: needLead})).Decision
			assert.Equal(t, tt.serving, d.Policy)
			assert.Equal(t, s.Policy().Version(), d.Version)
			h := decode[HealthResponse](t, do(t, s, request{method: http.MethodGet, path: "/healthz"}))
			assert.Equal(t, tt.serving, h.Policy.Name)
		})
	}
}

func TestPolicyReadModifyWrite(t *testing.T) {
	var saved [][]byte
	s, _ := newTestServer(t, Config{Policy: compile(t, alphaJSON), SavePolicy: func(_ context.Context, data []byte) error {
		saved = append(saved, data)
		return nil
	}})

	// Read the policy in service with its version...
	resp := do(t, s, request{method: http.MethodGet, path: "/v1/policy", header: admin()})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	tag := resp.Header.Get("ETag")
	spec := decode[qualify.Spec](t, resp)
	assert.Equal(t, "alpha", spec.Name)
	assert.Equal(t, etag(s.Policy().Version()), tag)

	// ...put it back unchanged: same version...
	again := do(t, s, request{method: http.MethodPut, path: "/v1/policy", body: alphaJSON, header: admin("If-Match", tag)})
	require.Equal(t, http.StatusOK, again.StatusCode)
	assert.True(t, decode[PolicyResponse](t, again).Unchanged)

	// ...change it: a second writer holding the old tag still matches,
	// since nothing changed; after a change, the old tag no longer does.
	spec.Rules[1].Points = "30"
	changed := fmt.Sprintf(`{"name": "alpha", "rules": [%s, %s]}`, mustJSON(t, spec.Rules[0]), mustJSON(t, spec.Rules[1]))
	resp = do(t, s, request{method: http.MethodPut, path: "/v1/policy", body: changed, header: admin("If-Match", tag)})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.NotEqual(t, tag, resp.Header.Get("ETag"))
	resp = do(t, s, request{method: http.MethodPut, path: "/v1/policy", body: alphaJSON, header: admin("If-Match", tag)})
	assert.Equal(t, http.StatusPreconditionFailed, resp.StatusCode)

	assert.Equal(t, []string{alphaJSON, changed}, stringsOf(saved), "every accepted policy is saved, as received")
}

func TestPolicyDisabledWithoutToken(t *testing.T) {
	s, err := NewServer(Config{Policy: compile(t, alphaJSON), Clock: clock})
	require.NoError(t, err)
	for _, method := range []string{http.MethodGet, http.MethodPut} {
		resp := do(t, s, request{method: method, path: "/v1/policy", body: betaJSON, header: map[string]string{"Authorization": "Bearer "}})
		require.Equal(t, http.StatusForbidden, resp.StatusCode, method)
		assert.Equal(t, CodeForbidden, decode[ErrorBody](t, resp).Error.Code)
	}
	assert.Equal(t, "alpha", s.Policy().Name())
}

func TestNewServerValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no policy", Config{}, "Config.Policy is nil"},
		{"negative body limit", Config{Policy: compile(t, alphaJSON), MaxLeadBytes: -1}, "Config.MaxLeadBytes is negative"},
		{"negative policy limit", Config{Policy: compile(t, alphaJSON), MaxPolicyBytes: -1}, "Config.MaxPolicyBytes is negative"},
		{"negative notify timeout", Config{Policy: compile(t, alphaJSON), NotifyTimeout: -time.Second}, "Config.NotifyTimeout is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewServer(tt.cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func stringsOf(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}

func TestLogNotifier(t *testing.T) {
	tests := []struct {
		name     string
		deadline time.Time
		want     []string
	}{
		{"in time", t0.Add(3 * time.Minute), []string{"level=INFO", `msg="notify sales"`, "lead=L-1001", "company=\"Byrne Logistics\"",
			"respond_by=2026-03-02T09:03:00.000Z", "time_left=3m0s", "request_id=req-7", `reasons="[asked for pricing]"`}},
		{"late", t0.Add(-10 * time.Minute), []string{"level=WARN", `msg="notify sales: the response deadline has passed"`, "time_left=-10m0s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf strings.Builder
			n := LogNotifier{Logger: slog.New(slog.NewTextHandler(&buf, nil)), Now: clock}
			l := &lead.Lead{ID: "L-1001", Company: lead.Company{Name: "Byrne Logistics"}, Contact: lead.Contact{Email: "ada@byrne.example"}}
			d := qualify.Decision{Deadline: tt.deadline, Matched: []qualify.Match{{Rule: "pricing", Reason: "asked for pricing"}}}
			ctx := context.WithValue(context.Background(), requestIDKey{}, "req-7")
			require.NoError(t, n.NotifySales(ctx, l, d))
			for _, w := range tt.want {
				assert.Contains(t, buf.String(), w)
			}
			assert.NotContains(t, buf.String(), "ada@byrne.example", "no personal data in the log")
		})
	}
}

func TestErrorBodyIsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"id": "L-1", "activities": [`)
	for i := range 150 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"kind": "page_visit", "at": "2027-01-01T00:00:00Z"}`)
	}
	b.WriteString("]}")
	s, _ := newTestServer(t, Config{})
	resp := do(t, s, request{method: http.MethodPost, path: "/v1/leads", body: b.String()})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	e := decode[ErrorBody](t, resp).Error
	assert.Equal(t, `lead "L-1" has 150 problems`, e.Message)
	require.Len(t, e.Problems, maxProblems)
	assert.Equal(t, "activities[98].at", e.Problems[98].Field)
	assert.Equal(t, Problem{Message: "and 51 more problems"}, e.Problems[99])
}

// TestLeadResponseJSON: the webhook writes a lead's response exactly as
// json.Encoder writes it.
func TestLeadResponseJSON(t *testing.T) {
	p := defaultPolicy(t)
	for i, body := range []string{needLead, interestLead, leadWithActivities(30)} {
		l, aerr := decodeLead([]byte(body))
		require.Nil(t, aerr)
		d, err := qualify.EvaluateAt(context.Background(), p, &l, clock())
		require.NoError(t, err)
		for _, resp := range []LeadResponse{
			{Decision: d},
			{Decision: d, Notification: "sent"},
			{Decision: d, Notification: "failed", Unassigned: "nobody <is> \"free\""},
			{Decision: d, Notification: "odd\n", Assignment: &assign.Result{Assignment: assign.Assignment{Lead: "L", Owner: "ana", Reason: "round <robin>"}}},
		} {
			var want bytes.Buffer
			require.NoError(t, json.NewEncoder(&want).Encode(resp))
			got, err := resp.appendJSON(nil)
			require.NoError(t, err)
			assert.Equal(t, want.String(), string(got), "lead %d", i)
		}
	}
}
