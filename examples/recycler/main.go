// Command recycler is a worker of the recycle schedule: it claims the
// recycled leads that are due, requalifies each with a policy
// (qualify.EvaluateAt) against what the CRM knows now, and acts on the
// decision: need goes to sales, interest to marketing's nurture, out of
// scope or no evidence is recycled again with its reason, and a final
// verdict drops the lead for good. It keeps the schedule in SQLite by
// default, or in PostgreSQL for many workers on many machines, through
// examples/sqlstore.
//
//	recycler schedule -db recycle.db -leads leads.jsonl    # recycle every lost lead
//	recycler run -db recycle.db -leads leads.jsonl         # work them as they come due
//	recycler run -pg 'postgres://recycler@db:5432/crm' -leads leads.jsonl
//	recycler stats -db recycle.db                          # the depth of the queue, as JSON
//	recycler dead -db recycle.db                           # the leads that failed too often
//	recycler requeue -db recycle.db L-7 L-9                # give them another chance
//
// It stops cleanly on SIGINT or SIGTERM: the lead in hand is finished and
// the claims not started are released for another worker. See README.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/leadqual/leadqual/examples/sqlstore"
	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/recycle"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal kills the process as usual
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `Usage:
  recycler run [flags]              claim due leads, requalify them, act on the decisions
  recycler schedule [flags]         recycle every lead of the leads file that has a lost reason
  recycler stats [flags]            print the depth of the queue as JSON
  recycler dead [flags]             print the dead leads (failed too often) as JSON lines
  recycler requeue [flags] LEAD...  bring dead leads back, due now

The schedule is in the SQLite file -db, or in the PostgreSQL database -pg.
Hand-offs to sales and nurture are written to stdout as JSON lines; what the
worker does is logged to stderr.

Flags:
`

// options is the command line.
type options struct {
	command      string
	db, pg       string
	leads        string
	policy       string
	currency     string
	batch        int
	lease        time.Duration
	poll         time.Duration
	grace        time.Duration
	once         bool
	at           string
	jsonLog      bool
	sqliteNoSync bool
	maxAttempts  int
	ids          []string // requeue's leads
}

// commands are the program's commands; the first is the default.
var commands = []string{"run", "schedule", "stats", "dead", "requeue"}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	if len(args) > 0 && slices.Contains(commands, args[0]) {
		o.command, args = args[0], args[1:]
	} else {
		o.command = commands[0]
	}
	fs := flag.NewFlagSet("recycler", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.db, "db", "recycle.db", "the SQLite `file` of the schedule (created if missing)")
	fs.StringVar(&o.pg, "pg", "", "a PostgreSQL `DSN` (postgres://user@host:5432/db?sslmode=...): the schedule is there instead of -db; the password is best in PGPASSWORD or ~/.pgpass")
	fs.StringVar(&o.leads, "leads", "leads.jsonl", "the `file` of leads, one JSON lead per line: the example's CRM")
	fs.StringVar(&o.policy, "policy", "", "the policy `file` (JSON); default: the library's default policy")
	fs.StringVar(&o.currency, "currency", "GBP", "the `currency` leads due together are ranked by value in")
	fs.IntVar(&o.batch, "batch", 10, "leads per claim")
	fs.DurationVar(&o.lease, "lease", 10*time.Minute, "how long a claim holds a lead; renewed every third of it while the lead is worked")
	fs.DurationVar(&o.poll, "poll", 5*time.Second, "the wait when nothing is due")
	fs.DurationVar(&o.grace, "grace", 30*time.Second, "on SIGINT or SIGTERM, how long the lead in hand may still take")
	fs.BoolVar(&o.once, "once", false, "stop when nothing is due, instead of waiting")
	fs.StringVar(&o.at, "at", "", "start the clock at this `time` (RFC 3339) instead of now, for demonstrations and replays; it runs on from there. It decides what is due; leases run on the database's clock whatever it says")
	fs.IntVar(&o.maxAttempts, "max-attempts", 10, "how many times a lead may fail before it is dead, parked until requeued")
	fs.BoolVar(&o.jsonLog, "json-log", false, "log JSON instead of text")
	fs.BoolVar(&o.sqliteNoSync, "sqlite-nosync", false, "SQLite commits skip the fsync (faster; the last commits may be lost on power failure)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case o.command == "requeue" && fs.NArg() == 0:
		fs.Usage()
		return o, errors.New("requeue: which leads?")
	case o.command == "requeue":
		o.ids = fs.Args()
	case fs.NArg() > 0:
		fs.Usage()
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	return o, nil
}

// run is the program, given its arguments and output streams; it returns
// the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "recycler:", err)
		return 2
	}
	var h slog.Handler = slog.NewTextHandler(stderr, nil)
	if o.jsonLog {
		h = slog.NewJSONHandler(stderr, nil)
	}
	log := slog.New(h)
	if err := start(ctx, o, stdout, log); err != nil {
		log.Error("stopped", "err", err)
		return 1
	}
	return 0
}

// clock returns the program's clock: the wall clock, or one started at
// -at that runs on at the wall clock's pace.
func clock(at string) (func() time.Time, error) {
	if at == "" {
		return time.Now, nil
	}
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		return nil, fmt.Errorf("-at: %w", err)
	}
	start := time.Now()
	return func() time.Time { return t.Add(time.Since(start)) }, nil
}

func start(ctx context.Context, o options, stdout io.Writer, log *slog.Logger) error {
	now, err := clock(o.at)
	if err != nil {
		return err
	}
	policy, err := loadPolicy(o.policy)
	if err != nil {
		return err
	}

	var store *sqlstore.Store
	if o.pg != "" {
		// Writes that make a lead due now notify the workers.
		store, err = sqlstore.OpenPostgres(ctx, o.pg, sqlstore.PostgresConfig{NotifyDue: true})
	} else {
		store, err = sqlstore.OpenSQLite(ctx, o.db, sqlstore.SQLiteConfig{NoSync: o.sqliteNoSync})
	}
	if err != nil {
		return err
	}
	defer store.Close()
	sched, err := recycle.NewScheduler(store, recycle.Config{Vocabulary: policy.Vocabulary(), Currency: lead.Currency(o.currency), Lease: o.lease, MaxAttempts: o.maxAttempts})
	if err != nil {
		return err
	}
	log = log.With("store", store.Dialect())

	switch o.command {
	case "stats":
		return printStats(ctx, sched, now(), stdout)
	case "dead":
		return printDead(ctx, sched, stdout)
	case "requeue":
		return requeue(ctx, sched, o.ids, now(), log)
	}
	// Leads are validated against the wall clock: a replay (-at) reads a
	// CRM that knows of activities after its start, and ignores them.
	leads, err := LoadJSONLines(o.leads, time.Now())
	if err != nil {
		return err
	}
	if o.command == "schedule" {
		return schedule(ctx, sched, leads, now(), log)
	}
	actions, err := NewHandoffs(ctx, store, stdout, now)
	if err != nil {
		return err
	}
	var wake <-chan struct{}
	if store.Dialect() == sqlstore.PostgreSQL {
		watch, cancel := context.WithCancel(ctx)
		defer cancel()
		if wake, err = store.WatchDue(watch, log); err != nil {
			return err
		}
	}
	w, err := NewWorker(Config{
		Scheduler: sched, Policy: policy, Leads: leads, Actions: actions,
		Batch: o.batch, Poll: o.poll, Grace: o.grace, Once: o.once, Wake: wake, Log: log, Now: now,
	})
	if err != nil {
		return err
	}
	log.Info("started", "leads", len(leads), "policy", policy.Name(), "batch", o.batch, "lease", o.lease)
	err = w.Run(ctx)
	log.Info("stopped", "stats", w.Stats().String())
	return err
}

// printStats writes the depth of the queue as JSON.
func printStats(ctx context.Context, s *recycle.Scheduler, now time.Time, w io.Writer) error {
	st, err := s.Stats(ctx, now)
	if err != nil {
		return err
	}
	return json.NewEncoder(w).Encode(st)
}

// printDead writes every dead entry as a JSON line, in lead ID order.
func printDead(ctx context.Context, s *recycle.Scheduler, w io.Writer) error {
	enc := json.NewEncoder(w)
	for after := ""; ; {
		page, err := s.Dead(ctx, after, 100)
		if err != nil || len(page) == 0 {
			return err
		}
		for _, e := range page {
			if err := enc.Encode(e); err != nil {
				return err
			}
		}
		after = page[len(page)-1].LeadID
	}
}

// requeue brings the dead leads ids back, due now.
func requeue(ctx context.Context, s *recycle.Scheduler, ids []string, now time.Time, log *slog.Logger) error {
	var errs []error
	for _, id := range ids {
		cur, err := s.Get(ctx, id)
		if err == nil && !cur.Dead {
			log.Info("not dead: left as it is", "lead", id)
			continue
		}
		e, err := s.Requeue(ctx, id, now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		log.Info("requeued", "lead", id, "due", e.Due)
	}
	return errors.Join(errs...)
}

func loadPolicy(path string) (*qualify.Policy, error) {
	if path == "" {
		return qualify.Compile(qualify.DefaultSpec())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	p, err := qualify.CompileJSON(b)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", path, err)
	}
	return p, nil
}

// schedule recycles every lead that has a lost reason, as the CRM would
// when a salesperson sets a lead aside. A final reason is not scheduled.
func schedule(ctx context.Context, s *recycle.Scheduler, leads JSONLines, now time.Time, log *slog.Logger) error {
	for _, id := range leads.IDs() {
		l := leads[id]
		if l.LostReason == "" {
			continue
		}
		e, err := s.Recycle(ctx, l, l.LostReason, now)
		switch {
		case errors.Is(err, recycle.ErrFinal):
			log.Info("not scheduled: final", "lead", id, "reason", l.LostReason)
		case err != nil:
			return err
		default:
			log.Info("scheduled", "lead", id, "reason", e.Reason, "due", e.Due, "task", e.Task)
		}
	}
	return nil
}
