package main

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/leadqual/leadqual/ingest"
	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/nurture"
	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/recycle"
)

// sample holds the bundled leads and the host's data: the nurture tracks,
// the enrolment rules and the catalogue of what the business sells.
//
//go:embed sample
var sample embed.FS

// options are the command's flags.
type options struct {
	leadsPath                                string
	policyPath                               string
	tracksPath, enrolmentPath, cataloguePath string
	read                                     ingest.Options
	now                                      time.Time
	all                                      bool
	validate                                 bool
}

// host is what a CRM builds once, when it starts or when its data changes:
// the compiled policy, the nurture tracks and planner, the recycle
// scheduler (here over the in-memory store) and the neglect auditor.
type host struct {
	policy   *qualify.Policy
	enroller *nurture.Enroller
	planner  *nurture.Planner
	sched    *recycle.Scheduler
	auditor  *nurture.Auditor
}

// run qualifies every lead of the input and writes the report to w.
func run(ctx context.Context, opts options, w io.Writer) error {
	h, err := newHost(opts)
	if err != nil {
		return err
	}
	in, err := openLeads(opts.leadsPath)
	if err != nil {
		return err
	}
	defer in.Close()
	leads, bad, err := readLeads(in, opts.read, opts.now)
	if err != nil {
		return err
	}

	// The leads already in recycling were scheduled when they were set
	// aside; replay that, then let the scheduler see what they did since.
	woken := map[string]recycle.Observation{}
	risks := map[string]string{}
	scheduled := map[string]recycle.Entry{}
	for _, in := range leads {
		l := in.lead
		if l.Stage != lead.StageRecycled {
			continue
		}
		since := recycledAt(l, opts.now)
		e, err := h.sched.Recycle(ctx, l, reasonOf(l), since)
		if err != nil {
			return fmt.Errorf("line %d: lead %s: %w", in.line, l.ID, err)
		}
		scheduled[l.ID] = e
		acts := slices.Clone(l.Activities)
		slices.SortStableFunc(acts, func(a, b lead.Activity) int { return a.At.Compare(b.At) })
		for _, a := range acts {
			if !a.At.After(since) || a.At.After(opts.now) {
				continue
			}
			obs, err := h.sched.Observe(ctx, l.ID, a, a.At)
			if err != nil {
				return fmt.Errorf("line %d: lead %s: %w", in.line, l.ID, err)
			}
			switch {
			case obs.Woken:
				woken[l.ID] = obs
			case obs.Match.Class == recycle.ClassCompetitive:
				risks[l.ID] = obs.Match.Reason
			}
		}
	}

	var rows []row
	var items []nurture.Item
	totals := newTotals()
	for _, in := range leads {
		l := in.lead
		d, err := qualify.EvaluateAt(ctx, h.policy, l, opts.now)
		if err != nil {
			rows = append(rows, row{id: l.ID, company: l.Company.Name, verdict: "error", next: err.Error()})
			continue
		}
		r := row{
			id: l.ID, company: l.Company.Name, verdict: d.Verdict.String(), route: d.Route.String(),
			fit: d.Fit, engagement: d.Engagement, reasons: topReasons(d, 2),
		}
		item := nurture.Item{Lead: l}
		if l.Stage == lead.StageNurturing {
			// The host's store knows the track of a lead it nurtures.
			item.Track = h.enroller.Enrol(l, opts.now).Track.Name()
		}
		if d.Route == qualify.RouteSales && !d.Deadline.IsZero() {
			// Need the audit watches: answered by the decision's deadline.
			at := d.NeedAt
			if at.IsZero() {
				at = d.At
			}
			item.Need = nurture.Need{Deadline: d.Deadline, Why: needReason(d), At: at}
		}
		items = append(items, item)

		obs, wasWoken := woken[l.ID]
		switch d.Route {
		case qualify.RouteSales:
			r.next = h.salesStep(d, l, opts.now)
		case qualify.RouteNurture:
			r.next, err = h.nurtureStep(l, opts.now)
		case qualify.RouteRecycle:
			e, ok := scheduled[l.ID]
			if !ok || wasWoken {
				e, err = h.sched.Recycle(ctx, l, recycleReason(d, l), opts.now)
			}
			if err == nil {
				when := "call " + e.Due.Format("2 Jan 2006")
				if !e.Due.After(opts.now) {
					when = "call now (due " + e.Due.Format("2 Jan") + ")"
				}
				r.next = when + ": " + lowerFirst(e.Task)
			}
		case qualify.RouteDrop:
			r.next = fmt.Sprintf("final (%s): %s", d.Reason, dropAction(d.Reason))
		case qualify.RouteReview:
			r.next = "a person decides whether to reopen it"
		}
		if err != nil {
			r.next = "error: " + err.Error()
		}
		if wasWoken && d.Route != qualify.RouteRecycle {
			// Requalified: the lead leaves the recycle schedule.
			if err := h.sched.Cancel(ctx, l.ID); err != nil && !errors.Is(err, recycle.ErrNotFound) {
				return fmt.Errorf("line %d: lead %s: %w", in.line, l.ID, err)
			}
			r.next = "woken by " + obs.Match.Reason + "; " + r.next
		}
		if risk := risks[l.ID]; risk != "" {
			r.next = "[" + risk + "] " + r.next
		}
		rows = append(rows, r)
		totals.add(d.Route, l.Value)
	}

	report, err := h.auditor.Run(ctx, slices.Values(items), opts.now)
	if err != nil {
		return err
	}
	return write(w, opts, rows, bad, totals, report)
}

// newHost builds the policy, tracks, planner, scheduler and auditor from
// the flags and the bundled host data.
func newHost(opts options) (*host, error) {
	var h host
	var err error
	if opts.policyPath == "" {
		h.policy, err = qualify.Compile(qualify.DefaultSpec())
	} else {
		var data []byte
		if data, err = os.ReadFile(opts.policyPath); err != nil {
			return nil, fmt.Errorf("-policy: %w", err)
		}
		h.policy, err = qualify.CompileJSON(data)
		if err != nil {
			return nil, fmt.Errorf("-policy %s: %w", opts.policyPath, err)
		}
	}
	if err != nil {
		return nil, err
	}

	tracksData, err := hostFile(opts.tracksPath, "-tracks", "sample/tracks.json")
	if err != nil {
		return nil, err
	}
	var specs []json.RawMessage
	if err := json.Unmarshal(tracksData, &specs); err != nil {
		return nil, fmt.Errorf("tracks %s: want a JSON array of track specs: %w", cmpOr(opts.tracksPath, "(bundled)"), err)
	}
	var tracks []*nurture.Track
	for _, s := range specs {
		t, err := nurture.ParseTrack(s)
		if err != nil {
			return nil, fmt.Errorf("tracks %s: %w", cmpOr(opts.tracksPath, "(bundled)"), err)
		}
		tracks = append(tracks, t)
	}
	enrolment, err := hostFile(opts.enrolmentPath, "-enrolment", "sample/enrolment.json")
	if err != nil {
		return nil, err
	}
	if h.enroller, err = nurture.ParseEnroller(enrolment, tracks...); err != nil {
		return nil, fmt.Errorf("enrolment %s: %w", cmpOr(opts.enrolmentPath, "(bundled)"), err)
	}
	if h.planner, err = nurture.NewPlanner(nurture.Config{Vocabulary: h.policy.Vocabulary()}); err != nil {
		return nil, err
	}

	catalogue, err := hostFile(opts.cataloguePath, "-catalogue", "sample/catalogue.json")
	if err != nil {
		return nil, err
	}
	cfg := recycle.Config{Rank: rank, Vocabulary: h.policy.Vocabulary()}
	if cfg.Catalogue, err = recycle.ParseCatalogue(catalogue); err != nil {
		return nil, fmt.Errorf("catalogue %s: %w", cmpOr(opts.cataloguePath, "(bundled)"), err)
	}
	if h.sched, err = recycle.NewScheduler(recycle.NewMemStore(), cfg); err != nil {
		return nil, err
	}

	h.auditor, err = nurture.NewAuditor(nurture.AuditConfig{
		Vocabulary:  h.policy.Vocabulary(),
		Enroller:    h.enroller,
		MaxFindings: 3,
		Targets: []nurture.Target{
			{Stage: lead.StageOpportunity, Leads: 5},
			{Stage: lead.StageSalesQualified, Leads: 5},
		},
	})
	if err != nil {
		return nil, err
	}
	return &h, nil
}

// hostFile reads one of the host's files: path, or the bundled sample's.
func hostFile(path, flag, bundled string) ([]byte, error) {
	if path == "" {
		return fs.ReadFile(sample, bundled)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	return data, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// rates convert potential values into pence for ranking leads due together.
// They are the host's own, stated openly: the library never converts
// currencies by itself.
var rates = map[lead.Currency]float64{"GBP": 1, "EUR": 0.85, "USD": 0.79, "NOK": 0.072, "CAD": 0.57}

func rank(v lead.Money) (int64, error) {
	if !v.Known() {
		return 0, nil
	}
	r, ok := rates[v.Currency]
	if !ok {
		return 0, fmt.Errorf("no rate for %s: %w", v.Currency, lead.ErrCurrencyMismatch)
	}
	f, _ := v.Amount.Float64()
	return int64(f * r * 100), nil
}

// input is one lead read from a line.
type input struct {
	line int
	lead *lead.Lead
}

// badLine is a line (or the rows of one lead) that did not give a valid
// lead.
type badLine = *ingest.RowError

func openLeads(path string) (io.ReadCloser, error) {
	if path == "" {
		return sample.Open("sample/leads.jsonl")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("-leads: %w", err)
	}
	return f, nil
}

// readLeads reads the leads: JSON lines, or a CSV export through the
// mapping of opts. A line that does not decode, or a lead that does not
// validate at now, is reported with every problem and left out.
func readLeads(r io.Reader, opts ingest.Options, now time.Time) ([]input, []badLine, error) {
	opts.Now = now
	in := ingest.NewReader(r, opts)
	var leads []input
	var bad []badLine
	for rec := range in.All() {
		if rec.Err != nil {
			bad = append(bad, rec.Err)
			continue
		}
		leads = append(leads, input{line: rec.Line, lead: rec.Lead})
	}
	if err := in.Err(); err != nil {
		return nil, nil, fmt.Errorf("reading leads: %w", err)
	}
	return leads, bad, nil
}

// validate is the dry run: it reads and validates every lead, and writes
// the bad lines and what reading found (the values the mapping did not
// translate, the order of each column's dates).
func validate(opts options, w io.Writer) error {
	in, err := openLeads(opts.leadsPath)
	if err != nil {
		return err
	}
	defer in.Close()
	read := opts.read
	read.Now = opts.now
	r := ingest.NewReader(in, read)
	ew := &errWriter{w: w}
	bad := 0
	for rec := range r.All() {
		if rec.Err != nil {
			bad++
			fmt.Fprintln(ew, rec.Err)
		}
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("reading leads: %w", err)
	}
	if bad > 0 {
		fmt.Fprintln(ew)
	}
	if err := r.Report().WriteText(ew); err != nil {
		return err
	}
	return ew.err
}

// recycledAt is when a recycled lead was set aside: its last move to the
// recycled stage, else its last update, else now.
func recycledAt(l *lead.Lead, now time.Time) time.Time {
	for i := len(l.History) - 1; i >= 0; i-- {
		if l.History[i].To == lead.StageRecycled {
			return l.History[i].At
		}
	}
	if !l.UpdatedAt.IsZero() {
		return l.UpdatedAt
	}
	return now
}

func reasonOf(l *lead.Lead) lead.Reason {
	if l.LostReason != "" {
		return l.LostReason
	}
	return lead.ReasonNotNow
}

// recycleReason is the reason a lead routed to recycling is recycled for:
// the disqualification code when it is out of scope, else its lost reason.
func recycleReason(d qualify.Decision, l *lead.Lead) lead.Reason {
	if d.Reason != "" {
		return d.Reason
	}
	return reasonOf(l)
}

func (h *host) salesStep(d qualify.Decision, l *lead.Lead, now time.Time) string {
	switch {
	case d.Verdict == qualify.VerdictNeed && d.Route == qualify.RouteSales:
		if answered := h.lastSalesTouch(l, d.Deadline.Add(-time.Hour*24*365), now); !answered.IsZero() &&
			answered.After(d.Deadline.Add(-24*time.Hour)) {
			late := ""
			if answered.After(d.Deadline) {
				late = fmt.Sprintf(", %s late", roundDur(answered.Sub(d.Deadline)))
			}
			return fmt.Sprintf("answered %s%s: work the need", answered.Format("Mon 15:04"), late)
		}
		if now.After(d.Deadline) {
			return fmt.Sprintf("OVERDUE by %s: respond now", roundDur(now.Sub(d.Deadline)))
		}
		return fmt.Sprintf("respond by %s (%s left)", d.Deadline.Format("15:04"), roundDur(d.Deadline.Sub(now)))
	case d.Qualified:
		return "marketing-qualified: sales to accept or return"
	default:
		owner := l.Owner
		if owner == "" {
			owner = "no owner: assign one"
		}
		return fmt.Sprintf("with %s (%s)", owner, l.Stage)
	}
}

// lastSalesTouch returns the newest sales touch between from and now, by
// the policy's vocabulary.
func (h *host) lastSalesTouch(l *lead.Lead, from, now time.Time) time.Time {
	v := h.policy.Vocabulary()
	var last time.Time
	for _, a := range l.Activities {
		if v.Touch(a.Kind) == lead.TouchSales && !a.At.Before(from) && !a.At.After(now) && a.At.After(last) {
			last = a.At
		}
	}
	return last
}

func (h *host) nurtureStep(l *lead.Lead, now time.Time) (string, error) {
	enrolled := now
	for _, t := range l.History {
		if t.To == lead.StageNurturing {
			enrolled = t.At
		}
	}
	en := h.enroller.Enrol(l, enrolled)
	plan, err := h.planner.Next(nurture.Input{Lead: l, Track: en.Track, Progress: en.Progress}, now)
	if err != nil {
		return "", err
	}
	track := en.Track.Name()
	switch plan.Outcome {
	case nurture.OutcomeTouch:
		return fmt.Sprintf("%s: %s %q %s", track, plan.Channel, plan.Step.Asset, plan.At.Format("Mon 2 Jan 15:04 MST")), nil
	case nurture.OutcomeNoConsent:
		return fmt.Sprintf("%s: no %s consent yet: ask for it", track, plan.Channel), nil
	case nurture.OutcomeConsentWithdrawn:
		why := "opted out"
		if plan.Cause.Kind != "" {
			why = h.policy.Vocabulary().Describe(plan.Cause.Kind) + " " + plan.Cause.At.Format("2 Jan")
		}
		return fmt.Sprintf("%s: %s stopped (%s): nurture on another channel", track, plan.Channel, why), nil
	default:
		return plan.String(), nil
	}
}

// needReason says what a need decision answers: the note of a reopened
// lead, else the reason of its first need rule.
func needReason(d qualify.Decision) string {
	if d.Note != "" {
		return d.Note
	}
	for _, m := range d.Matched {
		if m.Intent == lead.IntentNeed {
			return m.Reason
		}
	}
	return "need"
}

func dropAction(r lead.Reason) string {
	if r == lead.ReasonDoNotContact {
		return "suppress on every channel"
	}
	return "close it"
}

// topReasons returns the first n reasons of a decision, the evidence
// first: the decision's note, out of scope, need, interest, then points.
func topReasons(d qualify.Decision, n int) string {
	ms := slices.Clone(d.Matched)
	weight := func(m qualify.Match) int {
		switch {
		case m.Disqualify != "":
			return 0
		case m.Intent == lead.IntentNeed:
			return 1
		case m.Intent == lead.IntentInterest:
			return 2
		}
		return 3
	}
	slices.SortStableFunc(ms, func(a, b qualify.Match) int { return weight(a) - weight(b) })
	var out []string
	if d.Note != "" {
		// A route no rule explains (need that reopened a lost lead, a
		// closed lead for review) leads the explanation.
		out = append(out, d.Note)
	}
	for _, m := range ms {
		if len(out) == n {
			break
		}
		out = append(out, m.Reason)
	}
	return strings.Join(out, "; ")
}

func roundDur(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm", d/time.Hour, d%time.Hour/time.Minute)
	default:
		return fmt.Sprintf("%dm", (d+time.Minute-1)/time.Minute)
	}
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
