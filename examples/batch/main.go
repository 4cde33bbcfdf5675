// Command batch is back-office requalification: it reads a CRM export
// (CSV), decides every lead with a policy, and writes the decisions as CSV,
// so that leads left in the wrong queue (a need lead in nurture, a lost
// lead with a new interest) are found and moved.
//
//	go run ./examples/batch -now 2026-03-02T09:00:00Z leads.csv > decisions.csv
//
// Rows that cannot be read are reported on stderr with their line numbers
// and skipped, and the exit status says so. Run it with -h for the flags
// and the layout of the export; see README.md.
package main

import (
	"bufio"
	"cmp"
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/leadqual/leadqual/ingest"
	"github.com/leadqual/leadqual/qualify"
)

// The exit statuses.
const (
	exitOK      = 0 // every row was decided
	exitFatal   = 1 // nothing useful was done, or the run stopped early: bad flags, policy, export, output, a signal
	exitSkipped = 2 // the run finished, but some rows were skipped (see stderr, and -rejects)
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, the next one kills the process as usual.
		<-ctx.Done()
		stop()
	}()
	os.Exit(run(ctx, os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr, terminal: isTerminal(os.Stderr)}))
}

// stdio is the program's standard streams, and whether stderr is a
// terminal.
type stdio struct {
	in       io.Reader
	out, err io.Writer
	terminal bool
	// clock is the wall clock, for the default -now and the timings;
	// nil means time.Now.
	clock func() time.Time
}

// options are the command line of the batch.
type options struct {
	input, output, rejects string
	policyFile             string
	read                   ingest.Options
	now                    time.Time
	workers                int
	progress               string
	validate               bool
}

const usage = `Usage: batch [flags] [export.csv | export.csv.gz | leads.jsonl | -]

Reads a CRM export (CSV with a header line, or lead JSON lines; stdin when
no file or "-" is given, gunzipped when the name ends in .gz), decides every
lead with the policy, and writes one CSV row per decided lead, in the
export's order:

  %s

Rows that do not parse, do not validate, or that the policy refuses are
skipped: each is reported on stderr with its line number and every problem,
and written to the -rejects file when there is one. A summary (leads and
potential value per route, per currency) goes to stderr at the end, and
progress too while stderr is a terminal. -validate is a dry run: it reads
and validates every lead, decides none, and reports what the mapping did
not translate.

Exit status: 0 every row was decided (with -validate: every lead is valid);
2 the run finished but some rows were skipped; 1 the run failed or stopped
early (bad flags, policy, mapping or header, an unreadable export, an output
error, SIGINT or SIGTERM). With -o, the file is replaced only when the run
finishes (status 0 or 2).

A CSV export is read through a mapping (package ingest documents the
language): -preset salesforce|hubspot|odoo|mautic reads a CRM's standard
export; -mapping file and -map 'statements' add or override statements:

  -preset salesforce -map 'activity[source] = Lead Source | map(Webinar=webinar_attended; Web=contact_request; *=)'

Without one, each column is named after the lead's field:

  id (required), source, stage, owner, lost_reason,
  contact.name, contact.email, contact.phone, contact.title, contact.role, contact.time_zone,
  company.name, company.domain, company.industry, company.employees, company.country,
  budget, value               "50000.00 GBP", or a bare amount with a
                              budget.currency / value.currency column or -currency
  expected_purchase, renewal, created_at, updated_at
                              2026-03-02T09:00:00Z, 2026-03-02, 02/03/2026 with a date order
  activities                  kind@time;kind@time  (demo_request@2026-03-02T08:58:00Z)
                              or a JSON array: [{"kind":"demo_request","at":"...","product":"..."}]
  activity, activity.at       one activity per row, rows of a lead following one another
  interests                   topic@time;topic@first/last, or a JSON array
  consent.<channel>           opted_in@time, opted_out@time or unknown (consent.email, ...)
  fields.<name>               a custom field: true/false and numbers are typed, the rest is text

Headers match ignoring case; other columns become custom fields (and are
listed).

Flags:
`

func parseFlags(args []string, stderr io.Writer, wallClock func() time.Time) (options, error) {
	var o options
	fs := flag.NewFlagSet("batch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), usage, strings.Join(decisionColumns, ","))
		fs.PrintDefaults()
	}
	var read ingest.Flags
	read.Register(fs)
	var now string
	fs.StringVar(&o.output, "o", "", "write the decisions to `file` instead of stdout (replaced only when the run finishes)")
	fs.StringVar(&o.rejects, "rejects", "", "write the skipped rows to `file`: line, problems, then the row as read")
	fs.StringVar(&o.policyFile, "policy", "", "policy `file` (JSON); default: the library's default policy")
	fs.StringVar(&now, "now", "", "decide as of this `time` (RFC 3339), for a reproducible run; default: the time the run starts")
	fs.IntVar(&o.workers, "workers", runtime.GOMAXPROCS(0), "`number` of leads decided in parallel")
	fs.StringVar(&o.progress, "progress", "auto", "show progress on stderr: auto (when it is a terminal), always or never")
	fs.IntVar(&o.read.MaxLineBytes, "max-line-bytes", DefaultMaxLineBytes, "longest line of the export, in `bytes`")
	fs.BoolVar(&o.validate, "validate", false, "dry run: read and validate every lead, decide none, and report unmapped values and bad rows")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	switch fs.NArg() {
	case 0:
	case 1:
		o.input = fs.Arg(0)
	default:
		return options{}, fmt.Errorf("one export at a time, got %d: %s", fs.NArg(), strings.Join(fs.Args(), " "))
	}
	if o.input == "-" {
		o.input = ""
	}
	max := o.read.MaxLineBytes
	var err error
	if o.read, err = read.Options(); err != nil {
		return options{}, err
	}
	o.read.MaxLineBytes = max
	o.now = wallClock()
	if now != "" {
		t, err := time.Parse(time.RFC3339, now)
		if err != nil {
			return options{}, fmt.Errorf("-now %q: want RFC 3339, such as 2026-03-02T09:00:00Z", now)
		}
		o.now = t
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case o.workers <= 0:
		return options{}, fmt.Errorf("-workers %d: must be positive", o.workers)
	case o.read.MaxLineBytes <= 0:
		return options{}, fmt.Errorf("-max-line-bytes %d: must be positive", o.read.MaxLineBytes)
	case o.progress != "auto" && o.progress != "always" && o.progress != "never":
		return options{}, fmt.Errorf("-progress %q: want auto, always or never", o.progress)
	case o.validate && (set["o"] || set["policy"] || set["workers"] || set["progress"]):
		var useless []string
		for _, f := range []string{"o", "policy", "workers", "progress"} {
			if set[f] {
				useless = append(useless, "-"+f)
			}
		}
		return options{}, fmt.Errorf("%s do nothing with -validate, which decides no lead", strings.Join(useless, ", "))
	}
	return o, nil
}

// run is the whole program; it returns the exit status.
func run(ctx context.Context, args []string, std stdio) int {
	clock := std.clock
	if clock == nil {
		clock = time.Now
	}
	o, err := parseFlags(args, std.err, clock)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(std.err, "batch: %v\n", err)
		return exitFatal
	}
	if o.validate {
		return dryRun(o, std)
	}
	sum, err := requalify(ctx, o, std, clock)
	if sum != nil && (sum.Rows > 0 || err == nil) {
		sum.WriteTo(std.err)
	}
	switch {
	case err != nil:
		fmt.Fprintf(std.err, "batch: %v\n", err)
		return exitFatal
	case sum.Skipped > 0:
		return exitSkipped
	}
	return exitOK
}

// requalify opens the files, runs the job and, when it finishes, puts the
// output files in place.
func requalify(ctx context.Context, o options, std stdio, clock func() time.Time) (*Summary, error) {
	policy, err := loadPolicy(o.policyFile)
	if err != nil {
		return nil, err
	}
	in, total, read, closeIn, err := openInput(o.input, std.in)
	if err != nil {
		return nil, err
	}
	defer closeIn()

	job := &Job{
		Policy:  policy,
		Now:     o.now,
		Read:    o.read,
		Workers: o.workers,
		Log:     std.err,
		Clock:   clock,
	}
	if o.progress == "always" || o.progress == "auto" && std.terminal {
		job.Progress = NewProgress(std.err, total, read, clock)
	}

	out := std.out
	var files []*atomicFile
	defer func() {
		for _, f := range files {
			f.abort() // a no-op for files already in place
		}
	}()
	for _, p := range []struct {
		name string
		dst  *io.Writer
	}{{o.output, &out}, {o.rejects, &job.Rejects}} {
		if p.name == "" {
			continue
		}
		if o.input != "" && sameFile(o.input, p.name) {
			return nil, fmt.Errorf("%s is the export itself: choose another output file", p.name)
		}
		f, err := createAtomic(p.name)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
		*p.dst = f
	}

	sum, err := job.Run(ctx, in, out)
	if err != nil {
		return sum, err
	}
	for _, f := range files {
		if err := f.commit(); err != nil {
			return sum, err
		}
	}
	return sum, nil
}

// dryRun reads and validates every lead of the export, reports each bad
// row on stderr (and to -rejects), and writes what reading found to
// stdout: the values the mapping does not translate with their counts,
// the order of each column's dates, the columns read as custom fields.
func dryRun(o options, std stdio) int {
	in, _, _, closeIn, err := openInput(o.input, std.in)
	if err != nil {
		fmt.Fprintf(std.err, "batch: %v\n", err)
		return exitFatal
	}
	defer closeIn()
	read := o.read
	read.Now, read.KeepRows = o.now, o.rejects != ""
	r := ingest.NewReader(in, read)
	var rw *rejectWriter
	var f *atomicFile
	var buf *bufio.Writer
	if o.rejects != "" {
		if f, err = createAtomic(o.rejects); err != nil {
			fmt.Fprintf(std.err, "batch: %v\n", err)
			return exitFatal
		}
		defer f.abort()
		buf = bufio.NewWriter(f)
		rw = newRejectWriter(csv.NewWriter(buf))
	}
	bad := 0
	for rec := range r.All() {
		if rec.Err == nil {
			continue
		}
		bad++
		fmt.Fprintln(std.err, rec.Err)
		if rw != nil {
			if !rw.started {
				err = rw.header(r.Report())
			}
			if err == nil {
				err = rw.write(rec)
			}
			if err != nil {
				fmt.Fprintf(std.err, "batch: writing rejects: %v\n", err)
				return exitFatal
			}
		}
	}
	if err := r.Err(); err != nil {
		fmt.Fprintf(std.err, "batch: %v\n", err)
		return exitFatal
	}
	if rw != nil {
		if !rw.started {
			err = rw.header(r.Report())
		}
		rw.w.Flush()
		if err = errors.Join(err, rw.w.Error(), buf.Flush(), f.commit()); err != nil {
			fmt.Fprintf(std.err, "batch: writing rejects: %v\n", err)
			return exitFatal
		}
	}
	if err := r.Report().WriteText(std.out); err != nil {
		fmt.Fprintf(std.err, "batch: %v\n", err)
		return exitFatal
	}
	if bad > 0 {
		return exitSkipped
	}
	return exitOK
}

// loadPolicy compiles the policy in file, or the default policy.
func loadPolicy(file string) (*qualify.Policy, error) {
	data := qualify.DefaultJSON()
	if file != "" {
		var err error
		if data, err = os.ReadFile(file); err != nil {
			return nil, err
		}
	}
	p, err := qualify.CompileJSON(data)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", cmp.Or(file, "(default)"), err)
	}
	return p, nil
}

// openInput opens the export: a file (gunzipped when its name ends in
// .gz), or stdin. total is its size in bytes when known, and read counts
// the bytes of it read so far (compressed bytes for a .gz), for progress.
func openInput(name string, stdin io.Reader) (r io.Reader, total int64, read func() int64, closeFn func(), err error) {
	if name == "" {
		c := &countingReader{r: stdin}
		return c, 0, c.n.Load, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, 0, nil, nil, err
	}
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		total = fi.Size()
	}
	c := &countingReader{r: f}
	closeFn = func() { f.Close() }
	if strings.HasSuffix(name, ".gz") {
		zr, err := gzip.NewReader(c)
		if err != nil {
			f.Close()
			return nil, 0, nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		return zr, total, c.n.Load, closeFn, nil
	}
	return c, total, c.n.Load, closeFn, nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func sameFile(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}

// atomicFile is an output file written under a temporary name and put in
// place by commit: a run that fails leaves the old file, never half a
// new one.
type atomicFile struct {
	*os.File
	name string
	done bool
}

func createAtomic(name string) (*atomicFile, error) {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*.tmp")
	if err != nil {
		return nil, err
	}
	return &atomicFile{File: f, name: name}, nil
}

func (f *atomicFile) commit() error {
	// A file that is replaced keeps its permissions; a new one is 0600 as
	// created: an export of leads is personal data.
	if fi, err := os.Stat(f.name); err == nil {
		_ = f.Chmod(fi.Mode().Perm())
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("writing %s: %w", f.name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", f.name, err)
	}
	if err := os.Rename(f.File.Name(), f.name); err != nil {
		return err
	}
	f.done = true
	return nil
}

func (f *atomicFile) abort() {
	if !f.done {
		f.Close()
		os.Remove(f.File.Name())
	}
}
