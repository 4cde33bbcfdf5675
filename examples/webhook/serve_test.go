package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// live is a Server behind a real http.Server on a loopback port.
type live struct {
	url    string
	addr   string
	srv    *http.Server
	cancel context.CancelFunc
	served chan error // Serve's result
	client *http.Client
}

// startLive serves a test Server (see newTestServer) on 127.0.0.1:0 until
// the test ends or stop is called.
func startLive(t testing.TB, cfg Config, grace Timeouts) *live {
	t.Helper()
	s, _ := newTestServer(t, cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	srv := NewHTTPServer(s, grace, slog.New(slog.DiscardHandler))
	l := &live{
		url: "http://" + ln.Addr().String(), addr: ln.Addr().String(),
		srv: srv, cancel: cancel, served: make(chan error, 1),
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
	}
	go func() { l.served <- Serve(ctx, srv, ln, grace.withDefaults().Shutdown) }()
	t.Cleanup(func() {
		cancel()
		l.client.CloseIdleConnections()
	})
	return l
}

func (l *live) post(path, contentType, body string) (*http.Response, error) {
	return l.client.Post(l.url+path, contentType, strings.NewReader(body))
}

func TestServeOverLoopback(t *testing.T) {
	l := startLive(t, Config{MaxLeadBytes: 2048}, Timeouts{})
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		status int
		allow  string
	}{
		{"a need lead", http.MethodPost, "/v1/leads", needLead, http.StatusOK, ""},
		{"an interest lead", http.MethodPost, "/v1/leads", interestLead, http.StatusOK, ""},
		{"health", http.MethodGet, "/healthz", "", http.StatusOK, ""},
		{"malformed JSON", http.MethodPost, "/v1/leads", `{"id": `, http.StatusBadRequest, ""},
		{"an invalid lead", http.MethodPost, "/v1/leads", `{"id": ""}`, http.StatusUnprocessableEntity, ""},
		{"too large", http.MethodPost, "/v1/leads", leadWithActivities(40), http.StatusRequestEntityTooLarge, ""},
		{"wrong method", http.MethodGet, "/v1/leads", "", http.StatusMethodNotAllowed, "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, l.url+tt.path, strings.NewReader(tt.body))
			require.NoError(t, err)
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			resp, err := l.client.Do(req)
			require.NoError(t, err)
			assert.Equal(t, tt.status, resp.StatusCode)
			assert.Equal(t, tt.allow, resp.Header.Get("Allow"))
			if tt.status == http.StatusOK {
				_, err = io.Copy(io.Discard, resp.Body)
			} else {
				_, err = decodeBody[ErrorBody](resp)
			}
			assert.NoError(t, err)
			resp.Body.Close()
		})
	}

	l.cancel()
	require.NoError(t, <-l.served, "a clean shutdown")
	_, err := net.Dial("tcp", l.addr)
	assert.Error(t, err, "nothing listens after the shutdown")
}

// TestGracefulShutdownFinishesInFlight holds a need lead inside the sales
// alert, shuts the server down, and checks that the server stops taking
// connections but answers the lead in flight, alert sent, before Serve
// returns.
func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	inAlert, release := make(chan struct{}), make(chan struct{})
	n := NotifierFunc(func(ctx context.Context, l *lead.Lead, d qualify.Decision) error {
		close(inAlert)
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	l := startLive(t, Config{Notifier: n}, Timeouts{})
	shuttingDown := make(chan struct{})
	l.srv.RegisterOnShutdown(func() { close(shuttingDown) })

	type answer struct {
		resp LeadResponse
		code int
		err  error
	}
	answered := make(chan answer, 1)
	go func() {
		resp, err := l.post("/v1/leads", "application/json", needLead)
		if err != nil {
			answered <- answer{err: err}
			return
		}
		got, err := decodeBody[LeadResponse](resp)
		answered <- answer{resp: got, code: resp.StatusCode, err: err}
	}()

	<-inAlert      // the lead is in flight
	l.cancel()     // SIGTERM
	<-shuttingDown // Shutdown has closed the listener and is waiting

	_, err := net.Dial("tcp", l.addr)
	require.Error(t, err, "no new connections during the shutdown")
	select {
	case err := <-l.served:
		t.Fatalf("Serve returned before the request in flight finished: %v", err)
	default:
	}

	close(release) // the alert goes out
	a := <-answered
	require.NoError(t, a.err)
	assert.Equal(t, http.StatusOK, a.code)
	assert.Equal(t, qualify.VerdictNeed, a.resp.Decision.Verdict)
	assert.Equal(t, "sent", a.resp.Notification)
	assert.NoError(t, <-l.served, "the shutdown was clean")
}

// TestShutdownCutsOffAfterGrace: a request that outlasts the grace period
// is cut off, and Serve says so.
func TestShutdownCutsOffAfterGrace(t *testing.T) {
	inAlert, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	n := NotifierFunc(func(ctx context.Context, l *lead.Lead, d qualify.Decision) error {
		close(inAlert)
		<-release
		return nil
	})
	l := startLive(t, Config{Notifier: n}, Timeouts{Shutdown: 1}) // 1ns: no grace at all
	failed := make(chan error, 1)
	go func() {
		resp, err := l.post("/v1/leads", "application/json", needLead)
		if err == nil {
			resp.Body.Close()
		}
		failed <- err
	}()
	<-inAlert
	l.cancel()
	err := <-l.served
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
	assert.Contains(t, err.Error(), "requests in flight were cut off")
	assert.Error(t, <-failed, "the client sees its connection closed")
}

func TestServeReportsListenerFailure(t *testing.T) {
	s, _ := newTestServer(t, Config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, ln.Close())
	err = Serve(context.Background(), NewHTTPServer(s, Timeouts{}, slog.New(slog.DiscardHandler)), ln, DefaultShutdownTimeout)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "serving on 127.0.0.1:")
}
