// Command backtest proves a qualify policy against a team's own history
// before it is switched on: it reads past leads with their decision times
// and outcomes (JSON lines, or a CRM's CSV export with a column mapping),
// judges each as it was at its decision time, prints the report as a
// table, and writes a self-contained HTML page with the charts a sales
// manager would rather look at than read.
//
//	go run ./examples/backtest -history history.jsonl -html report.html
//	go run ./examples/backtest -history export.csv -map 'id=Lead ID,decided_at=Decided,converted=Won' -compare new.json
//	go run ./examples/backtest -history leads.csv -preset salesforce -validate
//	go run ./examples/backtest -history history.jsonl -calibrate -mql-precision 0.2 -out proposed.json
//	go run ./examples/backtest -synth 5000 > history.jsonl
//
// Run it with -h for the flags; see README.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/leadqual/leadqual/ingest"
	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/qualify/backtest"
)

// The exit statuses.
const (
	exitOK    = 0 // done
	exitFatal = 1 // the history, a policy or an output could not be used, or the run stopped early
	exitUsage = 2 // bad flags
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// options are the parsed flags.
type options struct {
	history                     string
	read                        ingest.Options
	validate                    bool
	policy, compare             string
	calibrate                   bool
	needPrecision, mqlPrecision float64
	holdout                     float64
	salt, out                   string
	html, jsonOut               string
	workers, maxBad, maxErrors  int
	synth                       int
	seed                        uint64
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("backtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.history, "history", "", "the history: a file of JSON lines or a CSV export, or - for stdin")
	read := ingest.Flags{TimeZone: "UTC"}
	read.Register(fs)
	fs.BoolVar(&o.validate, "validate", false, "dry run: read every record, check it as it was at its decision time, report bad lines and unmapped values, judge none")
	fs.StringVar(&o.policy, "policy", "", "the policy to judge, as JSON (default: the library's default policy)")
	fs.StringVar(&o.compare, "compare", "", "a second policy, judged side by side with -policy")
	fs.BoolVar(&o.calibrate, "calibrate", false, "propose a calibrated policy, fitted on part of the history and reported on the rest")
	fs.Float64Var(&o.needPrecision, "need-precision", 0, "with -calibrate: demote need rules that cannot reach this conversion rate (0: never)")
	fs.Float64Var(&o.mqlPrecision, "mql-precision", 0, "with -calibrate: the conversion rate marketing-qualified leads must reach (0: the current one, or twice the scored rate)")
	fs.Float64Var(&o.holdout, "holdout", 0, "with -calibrate: the share of leads held out (default 0.3)")
	fs.StringVar(&o.salt, "salt", "", "with -calibrate: changes the split of leads")
	fs.StringVar(&o.out, "out", "", "with -calibrate: write the proposed policy's JSON to this file")
	fs.StringVar(&o.html, "html", "", "write a self-contained HTML page with the charts to this file")
	fs.StringVar(&o.jsonOut, "json", "", "write the report (or comparison, or calibration) as JSON to this file")
	fs.IntVar(&o.workers, "workers", 0, "goroutines judging leads (default: one per CPU)")
	fs.IntVar(&o.maxBad, "max-bad", 0, "bad lines to skip (and list) before stopping")
	fs.IntVar(&o.maxErrors, "max-errors", 0, "errored leads to list in the report (default 20)")
	fs.IntVar(&o.synth, "synth", 0, "write a synthetic history of this many leads, with a known signal, as JSON lines to stdout, and exit")
	fs.Uint64Var(&o.seed, "seed", 1, "with -synth: the random seed")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: backtest -history FILE [-preset NAME | -mapping FILE | -map STATEMENTS] [-policy P.json] [-compare Q.json | -calibrate] [-html OUT.html]\n"+
			"       backtest -history FILE -validate\n\n"+
			"A CSV history is read through a mapping (package ingest documents the language):\n"+
			"decided_at and converted are required; won is the value won. Outcome columns and\n"+
			"after-the-fact columns (after = ...) are never read into a lead.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected argument %q (the history is given with -history)", fs.Arg(0))
	case o.synth < 0:
		return nil, errors.New("-synth must be positive")
	case o.synth > 0:
		return o, nil
	case o.history == "":
		return nil, errors.New("-history is required (or -synth to make one)")
	case o.compare != "" && o.calibrate:
		return nil, errors.New("-compare and -calibrate do not go together")
	case o.out != "" && !o.calibrate:
		return nil, errors.New("-out needs -calibrate")
	case o.calibrate && o.history == "-":
		return nil, errors.New("-calibrate reads the history three times: give a file, not stdin")
	}
	var err error
	if o.read, err = read.Options(); err != nil {
		return nil, err
	}
	if o.validate {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		var useless []string
		for _, f := range []string{"policy", "compare", "calibrate", "need-precision", "mql-precision", "holdout", "salt", "out", "html", "json", "workers", "max-errors", "seed"} {
			if set[f] {
				useless = append(useless, "-"+f)
			}
		}
		if len(useless) > 0 {
			return nil, fmt.Errorf("%s do nothing with -validate, which judges no lead", strings.Join(useless, ", "))
		}
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "backtest:", err)
		return exitUsage
	}
	if o.synth > 0 {
		if err := writeSynthetic(stdout, o.synth, o.seed); err != nil {
			fmt.Fprintln(stderr, "backtest:", err)
			return exitFatal
		}
		return exitOK
	}
	if o.validate {
		return validateMain(o, stdin, stdout, stderr)
	}
	if err := backtestMain(ctx, o, stdin, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "backtest:", err)
		return exitFatal
	}
	return exitOK
}

func backtestMain(ctx context.Context, o *options, stdin io.Reader, stdout, stderr io.Writer) error {
	format, ropts := backtest.Ingest(o.read), backtest.ReadOptions{MaxBad: o.maxBad, Location: o.read.TimeZone}
	var history *backtest.Reader
	if o.history == "-" {
		history = backtest.NewReader(stdin, format, ropts)
	} else {
		if _, err := os.Stat(o.history); err != nil {
			return err
		}
		path := o.history
		history = backtest.Open(func() (io.ReadCloser, error) { return os.Open(path) }, format, ropts)
	}
	policy, err := loadPolicy(o.policy)
	if err != nil {
		return err
	}
	cfg := backtest.Config{Workers: o.workers, MaxErrors: o.maxErrors}

	var pg page
	var result any
	switch {
	case o.compare != "":
		other, err := loadPolicy(o.compare)
		if err != nil {
			return err
		}
		c, err := backtest.Compare(ctx, policy, other, history.All(), cfg)
		if err = readErr(err, history, stderr); err != nil {
			return err
		}
		if err := c.WriteText(stdout); err != nil {
			return err
		}
		pg, result = comparisonPage(c), c
	case o.calibrate:
		c, err := backtest.Calibrate(ctx, policy, history.All(), backtest.CalibrationConfig{
			Config: cfg, Holdout: o.holdout, Salt: o.salt, NeedPrecision: o.needPrecision, MQLPrecision: o.mqlPrecision,
		})
		if err = readErr(err, history, stderr); err != nil {
			return err
		}
		if err := c.WriteText(stdout); err != nil {
			return err
		}
		if o.out != "" {
			data, err := json.MarshalIndent(c.Spec, "", "  ")
			if err != nil {
				return err
			}
			if err := os.WriteFile(o.out, append(data, '\n'), 0o644); err != nil {
				return err
			}
		}
		pg, result = calibrationPage(c), c
	default:
		r, err := backtest.Run(ctx, policy, history.All(), cfg)
		if err = readErr(err, history, stderr); err != nil {
			return err
		}
		if err := r.WriteText(stdout); err != nil {
			return err
		}
		pg, result = reportPage(r), r
	}
	if o.jsonOut != "" {
		data, err := json.MarshalIndent(result, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.jsonOut, append(data, '\n'), 0o644); err != nil {
			return err
		}
	}
	if o.html != "" {
		if err := writeFile(o.html, pg.write); err != nil {
			return err
		}
	}
	return nil
}

// readErr returns the error of the run, or else the reader's, and lists
// the bad lines skipped on stderr.
func readErr(err error, history *backtest.Reader, stderr io.Writer) error {
	for _, s := range history.Skipped() {
		fmt.Fprintln(stderr, "backtest: skipped:", s)
	}
	if rerr := history.Err(); rerr != nil {
		// The reader's error explains a run that saw too little, whatever
		// the run says (ErrNoSignal, ErrHistoryChanged).
		return rerr
	}
	return err
}

// validateMain is the dry run: it reads every record, checks each as it
// was at its decision time (the record itself, the rewind, lead.Validate),
// lists every bad line on stderr and writes what reading found to stdout.
// The exit status is 0 when every record is good, 1 otherwise.
func validateMain(o *options, stdin io.Reader, stdout, stderr io.Writer) int {
	var src io.Reader = stdin
	if o.history != "-" {
		f, err := os.Open(o.history)
		if err != nil {
			fmt.Fprintln(stderr, "backtest:", err)
			return exitFatal
		}
		defer f.Close()
		src = f
	}
	r := backtest.NewReader(src, backtest.Ingest(o.read), backtest.ReadOptions{MaxBad: math.MaxInt, Location: o.read.TimeZone})
	good, bad := 0, 0
	for rec := range r.All() {
		if err := backtest.Check(rec); err != nil {
			bad++
			fmt.Fprintf(stderr, "backtest: history line %d, lead %q: %v\n", rec.Line, rec.Lead.ID, err)
			continue
		}
		good++
	}
	for _, s := range r.Skipped() {
		bad++
		fmt.Fprintln(stderr, "backtest:", s)
	}
	if err := r.Err(); err != nil {
		fmt.Fprintln(stderr, "backtest:", err)
		return exitFatal
	}
	fmt.Fprintf(stdout, "%d records good, %d bad\n", good, bad)
	if rep := r.Report(); rep != nil {
		if err := rep.WriteText(stdout); err != nil {
			fmt.Fprintln(stderr, "backtest:", err)
			return exitFatal
		}
	}
	if bad > 0 {
		return exitFatal
	}
	return exitOK
}

func loadPolicy(path string) (*qualify.Policy, error) {
	if path == "" {
		return qualify.Compile(qualify.DefaultSpec())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := qualify.CompileJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// writeFile writes a file through w, and removes it if that fails.
func writeFile(path string, w func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = w(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
