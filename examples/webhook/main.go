// Command webhook qualifies leads in the request handler: a web form or a
// CRM posts a lead, and gets back the decision. A need decision also
// alerts sales with the response deadline, because a need lead is answered
// in minutes, not days.
//
//	POST /v1/leads   a lead (JSON) in, its decision (and, with -assign, its owner) out
//	GET  /v1/policy  the policy in service, with its version as ETag (admin token)
//	PUT  /v1/policy  put a new policy into service atomically (admin token)
//	GET  /healthz    liveness, with the policy in service
//
// Run it with `go run ./examples/webhook -h` for the flags; see README.md.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/leadqual/leadqual/assign"
	"github.com/leadqual/leadqual/qualify"
)

// adminTokenEnv names the environment variable holding the admin token:
// a flag would show the secret in the process list.
const adminTokenEnv = "LEADQUAL_ADMIN_TOKEN"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, the next one kills the process as usual.
		<-ctx.Done()
		stop()
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stderr, os.Getenv))
}

// options are the command line of the webhook.
type options struct {
	addr           string
	policyFile     string
	assignFile     string
	savePolicy     bool
	maxLeadBytes   int64
	maxPolicyBytes int64
	notifyTimeout  time.Duration
	timeouts       Timeouts
	logFormat      string
	logLevel       slog.Level
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("webhook", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: webhook [flags]

Serves lead qualification over HTTP:

  POST /v1/leads   a lead (JSON) in, its decision out; a need decision alerts sales
  GET  /v1/policy  the policy in service, its version as ETag    (admin token)
  PUT  /v1/policy  put a new policy into service atomically      (admin token)
  GET  /healthz    liveness, with the name and version of the policy in service

The policy endpoints need "Authorization: Bearer <token>", where the token
is the value of the environment variable %s; without it they
are disabled (403). SIGINT or SIGTERM shuts the server down gracefully:
requests in flight are finished, up to -shutdown-timeout.

Flags:
`, adminTokenEnv)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.addr, "addr", "localhost:8080", "`address` to listen on; use :8080 to listen on every interface (in a container)")
	fs.StringVar(&o.policyFile, "policy", "", "policy `file` (JSON) to serve at start; default: the library's default policy")
	fs.StringVar(&o.assignFile, "assign", "", "assignment rules `file` (JSON, package assign): every lead of sales' work gets an owner, named in the response; default: no assignment")
	fs.BoolVar(&o.savePolicy, "save-policy", false, "write each policy accepted by PUT /v1/policy to the -policy file (atomically), so a restart keeps it")
	fs.Int64Var(&o.maxLeadBytes, "max-lead-bytes", DefaultMaxLeadBytes, "largest lead body accepted, in `bytes`; larger is refused with 413")
	fs.Int64Var(&o.maxPolicyBytes, "max-policy-bytes", DefaultMaxPolicyBytes, "largest policy body accepted, in `bytes`; larger is refused with 413")
	fs.DurationVar(&o.notifyTimeout, "notify-timeout", DefaultNotifyTimeout, "how long the sales alert of a need lead may take; keep it below -write-timeout")
	fs.DurationVar(&o.timeouts.ReadHeader, "read-header-timeout", DefaultReadHeaderTimeout, "how long a client may take to send a request's headers")
	fs.DurationVar(&o.timeouts.Read, "read-timeout", DefaultReadTimeout, "how long a client may take to send a whole request")
	fs.DurationVar(&o.timeouts.Write, "write-timeout", DefaultWriteTimeout, "how long a request may take, from its headers to the end of the response")
	fs.DurationVar(&o.timeouts.Idle, "idle-timeout", DefaultIdleTimeout, "how long an idle keep-alive connection is kept open")
	fs.DurationVar(&o.timeouts.Shutdown, "shutdown-timeout", DefaultShutdownTimeout, "how long a graceful shutdown waits for requests in flight")
	fs.StringVar(&o.logFormat, "log-format", "text", "log `format`: text or json (one JSON object per line, for a log collector)")
	fs.TextVar(&o.logLevel, "log-level", slog.LevelInfo, "lowest `level` logged: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	switch {
	case o.logFormat != "text" && o.logFormat != "json":
		return options{}, fmt.Errorf("-log-format %q: want text or json", o.logFormat)
	case o.savePolicy && o.policyFile == "":
		return options{}, errors.New("-save-policy needs -policy: the file to save to")
	case o.maxLeadBytes <= 0:
		return options{}, fmt.Errorf("-max-lead-bytes %d: must be positive", o.maxLeadBytes)
	case o.maxPolicyBytes <= 0:
		return options{}, fmt.Errorf("-max-policy-bytes %d: must be positive", o.maxPolicyBytes)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"notify-timeout", o.notifyTimeout}, {"read-header-timeout", o.timeouts.ReadHeader}, {"read-timeout", o.timeouts.Read},
		{"write-timeout", o.timeouts.Write}, {"idle-timeout", o.timeouts.Idle}, {"shutdown-timeout", o.timeouts.Shutdown},
	} {
		if d.v <= 0 {
			return options{}, fmt.Errorf("-%s %s: must be positive", d.name, d.v)
		}
	}
	if o.notifyTimeout >= o.timeouts.Write {
		return options{}, fmt.Errorf("-notify-timeout %s must be shorter than -write-timeout %s, or a slow alert loses the answer", o.notifyTimeout, o.timeouts.Write)
	}
	return o, nil
}

// run is the whole program, given its context, arguments, log output and
// environment; it returns the exit status: 0 after a clean shutdown (or
// -h), 1 when the server cannot start or shut down cleanly, 2 for bad
// flags.
func run(ctx context.Context, args []string, stderr io.Writer, getenv func(string) string) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "webhook: %v\n", err)
		return 2
	}
	log := newLogger(stderr, o.logFormat, o.logLevel)
	srv, ln, err := setup(o, log, getenv(adminTokenEnv))
	if err != nil {
		// Before serving, a person is reading: plain text, with the
		// policy's problems on lines of their own.
		fmt.Fprintf(stderr, "webhook: %v\n", err)
		return 1
	}
	p := srv.Policy()
	log.Info("listening", slog.String("addr", ln.Addr().String()),
		slog.String("policy", p.Name()), slog.String("version", p.Version()),
		slog.Bool("policy_admin", srv.cfg.AdminToken != ""))
	if err := Serve(ctx, NewHTTPServer(srv, o.timeouts, log), ln, o.timeouts.Shutdown); err != nil {
		log.Error("webhook stopped", slog.String("error", err.Error()))
		return 1
	}
	log.Info("shut down cleanly")
	return 0
}

func newLogger(w io.Writer, format string, level slog.Level) *slog.Logger {
	ho := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, ho))
	}
	return slog.New(slog.NewTextHandler(w, ho))
}

// setup builds the Server and opens its listener.
func setup(o options, log *slog.Logger, adminToken string) (*Server, net.Listener, error) {
	policy, err := loadPolicy(o.policyFile, o.maxPolicyBytes)
	if err != nil {
		return nil, nil, err
	}
	cfg := Config{
		Policy:         policy,
		Logger:         log,
		NotifyTimeout:  o.notifyTimeout,
		MaxLeadBytes:   o.maxLeadBytes,
		MaxPolicyBytes: o.maxPolicyBytes,
		AdminToken:     adminToken,
	}
	if o.savePolicy {
		cfg.SavePolicy = func(_ context.Context, data []byte) error { return writeFileAtomic(o.policyFile, data) }
	}
	if o.assignFile != "" {
		data, err := os.ReadFile(o.assignFile)
		if err != nil {
			return nil, nil, err
		}
		rules, err := assign.ParseRules(data)
		if err != nil {
			return nil, nil, fmt.Errorf("assignment rules %s: %w", o.assignFile, err)
		}
		cfg.Team = &Team{Rules: rules}
	}
	srv, err := NewServer(cfg)
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return nil, nil, err
	}
	return srv, ln, nil
}

// loadPolicy compiles the policy in file, or the default policy when file
// is empty. A policy that does not compile is an error listing every
// problem with its rule, line and column.
func loadPolicy(file string, limit int64) (*qualify.Policy, error) {
	data := qualify.DefaultJSON()
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		data, err = io.ReadAll(io.LimitReader(f, limit+1))
		if err != nil {
			return nil, fmt.Errorf("reading policy %s: %w", file, err)
		}
		if int64(len(data)) > limit {
			return nil, fmt.Errorf("policy %s is larger than -max-policy-bytes (%d bytes)", file, limit)
		}
	}
	p, err := qualify.CompileJSON(data)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", cmp.Or(file, "(default)"), err)
	}
	return p, nil
}

// writeFileAtomic replaces file with data: a crash leaves the old file or
// the new one, never half of one.
func writeFileAtomic(file string, data []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if fi, serr := os.Stat(file); serr == nil {
		_ = os.Chmod(tmp.Name(), fi.Mode().Perm())
	}
	return os.Rename(tmp.Name(), file)
}
