package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Timeouts bound how long a client may hold a connection. Every zero
// field takes the default stated.
type Timeouts struct {
	// ReadHeader bounds reading a request's headers (slow-loris). Default 5s.
	ReadHeader time.Duration
	// Read bounds reading a whole request, body included. Default 10s.
	Read time.Duration
	// Write bounds the time from the end of the request headers to the
	// end of the response; it must leave room for the Notifier. Default 30s.
	Write time.Duration
	// Idle bounds how long a keep-alive connection waits for its next
	// request. Default 120s.
	Idle time.Duration
	// Shutdown bounds the graceful shutdown: in-flight requests that have
	// not finished by then are cut off. Default 25s, inside the 30s a
	// container orchestrator usually waits after SIGTERM.
	Shutdown time.Duration
}

// The defaults of Timeouts.
const (
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultReadTimeout       = 10 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultShutdownTimeout   = 25 * time.Second
)

// maxHeaderBytes bounds a request's headers; a lead travels in the body.
const maxHeaderBytes = 64 << 10

func (t Timeouts) withDefaults() Timeouts {
	or := func(d, def time.Duration) time.Duration {
		if d == 0 {
			return def
		}
		return d
	}
	return Timeouts{
		ReadHeader: or(t.ReadHeader, DefaultReadHeaderTimeout),
		Read:       or(t.Read, DefaultReadTimeout),
		Write:      or(t.Write, DefaultWriteTimeout),
		Idle:       or(t.Idle, DefaultIdleTimeout),
		Shutdown:   or(t.Shutdown, DefaultShutdownTimeout),
	}
}

// NewHTTPServer returns an http.Server for h with the timeouts t, logging
// its own errors (TLS handshakes, bad requests) to log.
func NewHTTPServer(h http.Handler, t Timeouts, log *slog.Logger) *http.Server {
	t = t.withDefaults()
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// Serve serves srv on ln until ctx ends, then shuts down gracefully: it
// stops accepting connections, closes idle ones, and waits up to grace for
// the requests in flight to finish (a need lead is answered and its sales
// alert sent). Requests still running after grace are cut off, and Serve
// returns an error saying so. Serve returns nil after a clean shutdown.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		cerr := srv.Close()
		<-errc
		return errors.Join(fmt.Errorf("graceful shutdown did not finish within %s, requests in flight were cut off: %w", grace, err), cerr)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving on %s: %w", ln.Addr(), err)
	}
	return nil
}
