// Command backtest proves a qualify policy against a team's own history
// before it is switched on: it reads past leads with their decision times
// and outcomes (JSON lines, or a CRM's CSV export with a column mapping),
// judges each as it was at its decision time, prints the report as a
// table, and writes a self-contained HTML page with the charts a sales
// manager would rather look at than read.
//
//	go run ./examples/backtest -history history.jsonl -html report.html -leads leads.csv
//	go run ./examples/backtest -history export.csv -map 'id=Lead ID,decided_at=Decided,converted=Won' -compare new.json
//	go run ./examples/backtest -history leads.csv -preset salesforce -validate
//	go run ./examples/backtest -history history.jsonl -calibrate -mql-precision 0.2 -out proposed.json -model-out model.json
//	go run ./examples/backtest -history later.jsonl -policy proposed.json -model model.json -html check.html
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
	"maps"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/leadqual/leadqual/ingest"
	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/qualify/backtest"
	"github.com/leadqual/leadqual/recycle"
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
	salt, out, modelOut, model  string
	html, jsonOut, leads        string
	horizons, until             string
	workers, maxBad, maxErrors  int
	synth                       int
	seed                        uint64
	mode                        mode
}

// mode is what a run of the command does.
type mode uint8

const (
	modeRun mode = iota
	modeCompare
	modeCalibrate
	modeValidate
	modeSynth
)

var modeNames = []string{"a backtest (no -compare, -calibrate, -validate or -synth)", "-compare", "-calibrate", "-validate (a dry run)", "-synth"}

func (m mode) String() string { return modeNames[m] }

// backtests are the modes that judge a history; reading are those that
// read one.
var (
	backtests = []mode{modeRun, modeCompare, modeCalibrate}
	reading   = []mode{modeRun, modeCompare, modeCalibrate, modeValidate}
)

// flagModes lists, for each flag, the modes it does something in: any
// other mode refuses it, so that a flag that would be silently ignored is
// an error instead. (Which input flags apply to the input's format is
// ingest.Flags.Options's to say.)
var flagModes = map[string][]mode{
	"history": reading, "format": reading, "preset": reading, "mapping": reading, "map": reading,
	"delimiter": reading, "encoding": reading, "time-zone": reading, "currency": reading,
	"max-bad": backtests, "policy": backtests, "html": backtests, "json": backtests, "leads": backtests,
	"workers": backtests, "max-errors": backtests, "horizons": backtests, "until": backtests,
	"compare": {modeCompare}, "calibrate": {modeCalibrate}, "validate": {modeValidate},
	"need-precision": {modeCalibrate}, "mql-precision": {modeCalibrate}, "holdout": {modeCalibrate},
	"salt": {modeCalibrate}, "out": {modeCalibrate}, "model-out": {modeCalibrate},
	"model": {modeRun},
	"synth": {modeSynth}, "seed": {modeSynth},
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
	fs.StringVar(&o.modelOut, "model-out", "", "with -calibrate: write the proposed policy's probability model (JSON) to this file, for -model")
	fs.StringVar(&o.model, "model", "", "a probability model written by -model-out, for the -policy it was fitted for: adds probabilities and a reliability curve")
	fs.StringVar(&o.html, "html", "", "write a self-contained HTML page with the charts to this file")
	fs.StringVar(&o.jsonOut, "json", "", "write the report (or comparison, or calibration) as JSON to this file")
	fs.StringVar(&o.leads, "leads", "", "write every lead as judged (id, verdict, route, scores, matched rules, outcome, split) to this file: CSV if it ends in .csv, else JSON lines")
	fs.StringVar(&o.horizons, "horizons", "", "the recycle horizons, as package recycle's JSON, shown beside the recycle curves (default: the doctrine's)")
	fs.StringVar(&o.until, "until", "", "when the history was taken (RFC 3339): recycled leads are followed until then (default: the newest time in the history)")
	fs.IntVar(&o.workers, "workers", 0, "goroutines judging leads (default: one per CPU)")
	fs.IntVar(&o.maxBad, "max-bad", 0, "bad lines to skip (and list) before stopping")
	fs.IntVar(&o.maxErrors, "max-errors", 0, "errored leads to list in the report (default 20)")
	fs.IntVar(&o.synth, "synth", 0, "write a synthetic history of this many leads, with a known signal, as JSON lines to stdout, and exit")
	fs.Uint64Var(&o.seed, "seed", 1, "with -synth: the random seed")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: backtest -history FILE [-preset NAME | -mapping FILE | -map STATEMENTS] [-policy P.json] [-compare Q.json | -calibrate] [-html OUT.html]\n"+
			"       backtest -history FILE -validate\n\n"+
			"A CSV history is read through a mapping (package ingest documents the language):\n"+
			"decided_at is required, and converted or converted_at (when it converted: a column of\n"+
			"conversion dates is the whole outcome); won is the value won. Outcome columns and\n"+
			"after-the-fact columns (after = ...) are never read into a lead.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var modes []string
	for _, m := range []struct {
		on   bool
		mode mode
	}{{set["compare"], modeCompare}, {o.calibrate, modeCalibrate}, {o.validate, modeValidate}, {set["synth"], modeSynth}} {
		if m.on {
			o.mode = m.mode
			modes = append(modes, m.mode.String())
		}
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected argument %q (the history is given with -history)", fs.Arg(0))
	case len(modes) > 1:
		return nil, fmt.Errorf("%s do not go together", strings.Join(modes, " and "))
	}
	// A flag that does nothing in this mode is an error, not a no-op.
	for _, name := range slices.Sorted(maps.Keys(set)) {
		if modes, ok := flagModes[name]; ok && !slices.Contains(modes, o.mode) {
			names := make([]string, len(modes))
			for i, m := range modes {
				names[i] = m.String()
			}
			return nil, fmt.Errorf("-%s does nothing in %s: it is for %s", name, o.mode, strings.Join(names, ", "))
		}
	}
	switch {
	case o.synth < 0 || o.mode == modeSynth && o.synth == 0:
		return nil, errors.New("-synth must be positive")
	case o.mode == modeSynth:
		return o, nil
	case o.history == "":
		return nil, errors.New("-history is required (or -synth to make one)")
	case o.calibrate && o.history == "-":
		return nil, errors.New("-calibrate reads the history three times: give a file, not stdin")
	case o.leads == "-":
		return nil, errors.New("-leads writes to a file: standard output has the report")
	case set["holdout"] && !(o.holdout > 0 && o.holdout < 1):
		return nil, fmt.Errorf("-holdout %v: want a share above 0 and below 1", o.holdout)
	}
	var err error
	if o.read, err = read.Options(); err != nil {
		return nil, err
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
	switch o.mode {
	case modeSynth:
		if err := writeSynthetic(stdout, o.synth, o.seed); err != nil {
			fmt.Fprintln(stderr, "backtest:", err)
			return exitFatal
		}
		return exitOK
	case modeValidate:
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
	if cfg.Horizon, err = loadHorizons(o.horizons); err != nil {
		return err
	}
	if o.until != "" {
		if cfg.Until, err = time.Parse(time.RFC3339, o.until); err != nil {
			return fmt.Errorf("-until: %w", err)
		}
	}
	if o.model != "" {
		if cfg.Model, err = loadModel(o.model); err != nil {
			return err
		}
	}
	var leads *leadsFile
	if o.leads != "" {
		if leads, err = createLeads(o.leads); err != nil {
			return err
		}
		defer leads.abort()
		cfg.Leads = leads.w.Write
	}

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
			if err := writeJSON(o.out, c.Spec); err != nil {
				return err
			}
		}
		if o.modelOut != "" {
			if err := writeJSON(o.modelOut, c.Model); err != nil {
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
		if err := writeJSON(o.jsonOut, result); err != nil {
			return err
		}
	}
	if leads != nil {
		if err := leads.close(); err != nil {
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

// writeJSON writes v as indented JSON to a file.
func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// loadHorizons returns the horizon of each reason, from package recycle's
// JSON form in path, or the doctrine's defaults.
func loadHorizons(path string) (func(lead.Reason) (time.Duration, bool), error) {
	var h recycle.Horizons
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		if h, err = recycle.ParseHorizons(data); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	planner, err := recycle.NewPlanner(h)
	if err != nil {
		return nil, err
	}
	return func(r lead.Reason) (time.Duration, bool) {
		x, err := planner.Horizon(r)
		return x.After, err == nil
	}, nil
}

// loadModel reads a probability model written by -model-out.
func loadModel(path string) (*backtest.Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m backtest.Model
	if err := ingest.DecodeJSON(data, &m); err != nil {
		return nil, fmt.Errorf("%s: not a model written by -model-out: %w", path, err)
	}
	return &m, nil
}

// leadsFile is the file of -leads, written as the backtest goes, and
// removed if it does not complete.
type leadsFile struct {
	path string
	f    *os.File
	w    *backtest.LeadWriter
	done bool
}

func createLeads(path string) (*leadsFile, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	lf := &leadsFile{path: path, f: f, w: backtest.NewJSONLeadWriter(f)}
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		lf.w = backtest.NewCSVLeadWriter(f)
	}
	return lf, nil
}

func (lf *leadsFile) close() error {
	err := lf.w.Flush()
	if cerr := lf.f.Close(); err == nil {
		err = cerr
	}
	lf.done = true
	if err != nil {
		os.Remove(lf.path)
		return fmt.Errorf("writing %s: %w", lf.path, err)
	}
	return nil
}

// abort removes the file of a backtest that did not complete.
func (lf *leadsFile) abort() {
	if !lf.done {
		lf.f.Close()
		os.Remove(lf.path)
	}
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
