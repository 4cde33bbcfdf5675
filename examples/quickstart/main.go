// Command quickstart is leadqual's main job: it qualifies a sample of about
// fifty realistic leads end to end and prints what a sales manager needs to
// read: each lead's verdict, route, scores, reasons and next step, then the
// leads and potential value per route and the neglect findings.
//
//	go run ./examples/quickstart                      # the bundled sample
//	go run ./examples/quickstart -leads my.jsonl      # your leads, one JSON lead per line
//	go run ./examples/quickstart -policy policy.json  # your policy
//
// Per lead it does what a host CRM does: validate the lead, evaluate it
// against the policy (qualify), then act on the route: need goes to sales
// with a response deadline; interest is enrolled on a nurture track and its
// next permitted touch planned (nurture); lost and out-of-scope leads are
// recycled on the horizon of their reason, and recycled leads showing a new
// interest in something we sell are woken (recycle); final leads are
// dropped. Finally it audits the pipeline for neglect.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	_ "time/tzdata" // leads carry their own time zones; do not depend on the machine's database
)

// sampleNow is the moment the bundled sample describes.
var sampleNow = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

// realMain parses the flags and runs; it returns the exit status: 0 when
// every lead was read, 1 on a fatal error, 2 on bad flags.
func realMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts options
	var now string
	fs.StringVar(&opts.leadsPath, "leads", "", "`file` of leads, one JSON lead per line (default: the bundled sample)")
	fs.StringVar(&opts.policyPath, "policy", "", "`file` holding a qualify policy as JSON (default: the library's default policy)")
	fs.StringVar(&now, "now", "", "the `time` to judge the leads at, RFC 3339 (default: the sample's date with the sample, else the current time)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: quickstart [flags]

Qualifies leads end to end: need goes to sales with a response deadline,
interest to a nurture track, lost leads to the recycle schedule; then prints
the leads and potential value per route and the neglect findings.

A lead is the JSON form of lead.Lead, for example:
  {"id": "L-1", "contact": {"email": "ada@example.co.uk", "role": "decision_maker"},
   "activities": [{"kind": "pricing_request", "at": "2026-11-23T08:57:00Z"}]}
Lines that do not parse or leads that do not validate are reported with
their line numbers and every problem, and skipped.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "quickstart: unexpected argument %q (see -h)\n", fs.Arg(0))
		return 2
	}
	switch {
	case now != "":
		t, err := time.Parse(time.RFC3339, now)
		if err != nil {
			fmt.Fprintf(stderr, "quickstart: -now: %q is not an RFC 3339 time such as 2026-11-23T09:00:00Z\n", now)
			return 2
		}
		opts.now = t
	case opts.leadsPath == "":
		opts.now = sampleNow
	default:
		opts.now = time.Now()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, opts, stdout); err != nil {
		fmt.Fprintln(stderr, "quickstart:", err)
		return 1
	}
	return 0
}
