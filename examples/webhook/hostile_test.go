package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestInvalidUTF8IsRefused: encoding/json would replace bytes that are not
// UTF-8 with U+FFFD without a word; the webhook refuses them, naming the
// field, on both bodies it reads.
func TestInvalidUTF8IsRefused(t *testing.T) {
	s, n := newTestServer(t, Config{})
	tests := []struct {
		name, path, body string
		problems         []Problem
	}{
		{"a value", "/v1/leads", "{\"id\": \"L-1\", \"contact\": {\"name\": \"Ada \xff Byrne\"}}",
			[]Problem{{Field: "contact.name", Line: 1, Column: 40, Message: "not valid UTF-8"}}},
		{"values in a list, and a key", "/v1/leads", "{\"id\": \"L-1\", \"activities\": [{\"kind\": \"chat\", \"at\": \"2026-03-01T09:00:00Z\"}," +
			"{\"kind\": \"chat\", \"at\": \"2026-03-01T09:00:00Z\", \"asset\": \"\xc3\x28\"}], \"fields\": {\"k\xed\xa0\x80\": 1, \"ok\": [\"x\", \"\xfe\"]}}",
			[]Problem{{Field: "activities[1].asset", Line: 1, Column: 134, Message: "not valid UTF-8"},
				{Field: "fields.k\ufffd", Line: 1, Column: 154, Message: "the key is not valid UTF-8"},
				{Field: "fields.ok[1]", Line: 1, Column: 176, Message: "not valid UTF-8"}}},
		{"outside a string", "/v1/leads", "{\"id\": \"L-1\"}\n\xff", []Problem{{Line: 2, Column: 1, Message: "not valid UTF-8"}}},
		{"a policy", "/v1/policy", "{\"name\": \"p\xff\", \"rules\": []}", []Problem{{Field: "name", Line: 1, Column: 12, Message: "not valid UTF-8"}}},
		// (a policy is refused by Compile, which decodes it strictly: a 400 invalid_json)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method, header := http.MethodPost, map[string]string(nil)
			if tt.path == "/v1/policy" {
				method, header = http.MethodPut, admin()
			}
			resp := do(t, s, request{method: method, path: tt.path, body: tt.body, header: header})
			require.Equal(t, http.StatusBadRequest, resp.StatusCode)
			e := decode[ErrorBody](t, resp).Error
			if tt.path == "/v1/policy" {
				assert.Equal(t, CodeInvalidJSON, e.Code)
			} else {
				assert.Equal(t, CodeMalformedJSON, e.Code)
				assert.Contains(t, e.Message, "not valid UTF-8")
			}
			assert.Equal(t, tt.problems, e.Problems)
		})
	}
	assert.Empty(t, n.all())
	assert.Equal(t, "leadqual-default", s.Policy().Name(), "the policy in service is unchanged")
}

// TestErrorBodiesQuoteLittle: a stranger's megabyte never comes back in an
// answer: values are quoted by a short prefix, every message is bounded.
func TestErrorBodiesQuoteLittle(t *testing.T) {
	s, _ := newTestServer(t, Config{})
	huge := strings.Repeat("9", 900_000)
	for _, body := range []string{
		`{"id": "L-1", "company": {"employees": "` + huge + `"}}`, // a string where a number belongs
		`{"id": "L-1", "company": {"employees": ` + huge + `}}`,   // a number beyond an int
		`{"id": "L-1", "activities": [{"kind": "chat", "at": "` + huge + `"}]}`,
		`{"id": "L-1", "contact": {"email": "` + huge + `"}}`,
		`{"id": "L-1", "stage": "` + huge + `"}`,
	} {
		resp := do(t, s, request{method: http.MethodPost, path: "/v1/leads", body: body})
		require.GreaterOrEqual(t, resp.StatusCode, 400)
		e := decode[ErrorBody](t, resp).Error
		require.NotEmpty(t, e.Problems)
		for _, p := range e.Problems {
			assert.LessOrEqual(t, len(p.Message), maxMessage+40, "%.120s", p.Message)
			assert.NotContains(t, p.Message, strings.Repeat("9", 100))
		}
	}
}

// TestClientLeavingStopsTheEvaluation: a lead whose client has gone is not
// decided: the evaluation sees the request's context done and stops (inside
// its rules: see qualify's guard), and no alert is sent.
func TestClientLeavingStopsTheEvaluation(t *testing.T) {
	var mu sync.Mutex
	var requestCtx context.Context
	// The clock is read just before the evaluation: it waits there until
	// the client has gone, so that the evaluation runs for nobody.
	gone := make(chan struct{})
	clock := func() time.Time {
		mu.Lock()
		ctx := requestCtx
		mu.Unlock()
		if ctx != nil {
			<-ctx.Done()
			close(gone)
		}
		return t0
	}
	var logs strings.Builder
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logs.Write(p)
	}), nil))
	s, n := newTestServer(t, Config{Clock: clock, Logger: logger,
		Policy: compile(t, `{"name": "scan", "rules": [{"name": "asked", "when": "any(activities, #.kind == \"pricing_request\")", "intent": "need", "reason": "asked"}]}`)})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requestCtx = r.Context()
		mu.Unlock()
		s.ServeHTTP(w, r)
	}))
	defer srv.Close()

	ctx, hangUp := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/leads", strings.NewReader(needLead))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	done := make(chan error, 1)
	go func() {
		resp, err := srv.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	// The server holds the request in its clock; the client hangs up.
	for {
		mu.Lock()
		ready := requestCtx != nil
		mu.Unlock()
		if ready {
			break
		}
		runtime.Gosched()
	}
	hangUp()
	require.Error(t, <-done)
	<-gone
	srv.Close() // waits for the handler
	logMu.Lock()
	defer logMu.Unlock()
	assert.Contains(t, logs.String(), "status=503")
	assert.NotContains(t, logs.String(), "lead decided")
	assert.Empty(t, n.all(), "no alert for a lead nobody waits for")
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
