// Command quickstart is leadqual's main job: it qualifies a sample of about
// sixty realistic leads end to end and prints what a sales manager needs to
// read: each lead's verdict, route, scores, reasons and next step, then the
// leads and potential value per route and the neglect findings.
//
//	go run ./examples/quickstart                      # the bundled sample
//	go run ./examples/quickstart -leads my.jsonl      # your leads, one JSON lead per line
//	go run ./examples/quickstart -leads export.csv -preset salesforce -time-zone Europe/London
//	go run ./examples/quickstart -policy policy.json  # your policy
//	go run ./examples/quickstart -tracks tracks.json -enrolment enrolment.json -catalogue catalogue.json
//	go run ./examples/quickstart -assign team.json     # your sales team and its territories
//
// Per lead it does what a host CRM does: validate the lead, evaluate it
// against the policy (qualify), then act on the route: need goes to sales
// with a response deadline and an owner, in priority order (assign); interest is enrolled on a nurture track and its
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
	"strings"
	"time"

	_ "time/tzdata" // leads carry their own time zones; do not depend on the machine's database

	"github.com/leadqual/leadqual/ingest"
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
	fs.StringVar(&opts.leadsPath, "leads", "", "`file` of leads: JSON lines, or a CRM's CSV export (see -preset, -map) (default: the bundled sample)")
	fs.StringVar(&opts.policyPath, "policy", "", "`file` holding a qualify policy as JSON (default: the bundled one, the library's default with product lines and a buying-group rule)")
	fs.StringVar(&opts.tracksPath, "tracks", "", "`file` holding the nurture tracks, a JSON array of track specs (default: the bundled logistics tracks)")
	fs.StringVar(&opts.enrolmentPath, "enrolment", "", "`file` holding the enrolment rules that choose a lead's track, as JSON (default: the bundled ones)")
	fs.StringVar(&opts.cataloguePath, "catalogue", "", "`file` holding the catalogue of what the business sells, as JSON (default: the bundled one)")
	fs.StringVar(&opts.assignPath, "assign", "", "`file` holding the assignment rules: people, teams, territories, escalation, as JSON (default: the bundled sales team)")
	fs.StringVar(&now, "now", "", "the `time` to judge the leads at, RFC 3339 (default: the sample's date with the sample, else the current time)")
	fs.BoolVar(&opts.all, "all", false, "list every lead and every refused line (default: the summary, then a page of leads)")
	fs.BoolVar(&opts.validate, "validate", false, "dry run: read and validate every lead, report bad lines and what the mapping did not translate, qualify none")
	var read ingest.Flags
	read.Register(fs)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: quickstart [flags]

Qualifies leads end to end: need goes to sales with a response deadline,
interest to a nurture track, lost leads to the recycle schedule; then prints
the leads and potential value per route, the neglect findings, and a page of
leads (-all for every one), the most urgent first.

A lead is the JSON form of lead.Lead, one per line, for example:
  {"id": "L-1", "contact": {"email": "ada@example.co.uk", "role": "decision_maker"},
   "activities": [{"kind": "pricing_request", "at": "2026-11-23T08:57:00Z"}]}
or a row of a CRM's CSV export, read through a mapping: -preset salesforce,
hubspot, odoo or mautic, -mapping file, -map statements (package ingest
documents the language). Lines that do not parse or leads that do not
validate are reported with their line numbers and every problem, and
skipped.

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
	var err error
	if opts.read, err = read.Options(); err != nil {
		fmt.Fprintln(stderr, "quickstart:", err)
		return 2
	}
	if opts.validate {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		var useless []string
		for _, f := range []string{"policy", "tracks", "enrolment", "catalogue", "all"} {
			if set[f] {
				useless = append(useless, "-"+f)
			}
		}
		if len(useless) > 0 {
			fmt.Fprintf(stderr, "quickstart: %s do nothing with -validate, which qualifies no lead\n", strings.Join(useless, ", "))
			return 2
		}
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
	if opts.validate {
		if err := validate(opts, stdout); err != nil {
			fmt.Fprintln(stderr, "quickstart:", err)
			return 1
		}
		return 0
	}
	if err := run(ctx, opts, stdout); err != nil {
		fmt.Fprintln(stderr, "quickstart:", err)
		return 1
	}
	return 0
}
