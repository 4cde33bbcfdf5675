package main

import (
	"cmp"
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

	"github.com/leadqual/leadqual/assign"
	"github.com/leadqual/leadqual/ingest"
	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/match"
	"github.com/leadqual/leadqual/nurture"
	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/recycle"
	"github.com/shopspring/decimal"
)

// sample holds the bundled leads and the host's data: its policy (the
// default with its product lines and a buying-group rule), the nurture
// tracks, the enrolment rules and the catalogue of what the business
// sells.
//
//go:embed sample
var sample embed.FS

// options are the command's flags.
type options struct {
	leadsPath                                string
	policyPath                               string
	tracksPath, enrolmentPath, cataloguePath string
	assignPath                               string
	read                                     ingest.Options
	now                                      time.Time
	all                                      bool
	validate                                 bool
}

// host is what a CRM builds once, when it starts or when its data changes:
// the compiled policy, the nurture tracks and planner, the recycle
// scheduler (here over the in-memory store), the assigner of owners (over
// the in-memory state), the neglect auditor, and the matcher that groups
// leads into accounts by company domain.
type host struct {
	policy   *qualify.Policy
	enroller *nurture.Enroller
	planner  *nurture.Planner
	sched    *recycle.Scheduler
	assigner *assign.Assigner
	auditor  *nurture.Auditor
	matcher  *match.Matcher
}

// work is a decision of sales' work: who the lead goes to, and in what
// order.
type work struct {
	d   qualify.Decision
	l   *lead.Lead
	row int // its row in the table
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

	// The leads already in recycling, as a whole or on a product line,
	// were scheduled when they were set aside; replay that, in time order
	// with what they did since, so that the scheduler sees each new
	// interest wake the entry it belongs to. Entries are keyed by
	// recycle.EntryKey: the lead's ID, or its ID and a line.
	woken := map[string]recycle.Observation{}
	risks := map[string]string{}
	scheduled := map[string]recycle.Entry{}
	for _, in := range leads {
		if err := h.replay(ctx, in.lead, opts.now, scheduled, woken, risks); err != nil {
			return fmt.Errorf("line %d: lead %s: %w", in.line, in.lead.ID, err)
		}
	}

	var rows []row
	var items []nurture.Item
	var lines []lineRow
	var queue []work
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
			fit: d.Fit, engagement: d.Engagement, reasons: topReasons(d, 2), owner: l.Owner,
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
		for _, ld := range d.Lines {
			// Each product line the lead is in, judged on its own.
			key := recycle.EntryKey(l.ID, ld.Line)
			next, err := h.lineStep(ctx, ld, l, scheduled[key], opts.now)
			if err != nil {
				next = "error: " + err.Error()
			}
			if obs, ok := woken[key]; ok {
				if ld.Route != qualify.RouteRecycle {
					// Requalified: the line leaves the recycle schedule.
					if err := h.sched.Cancel(ctx, key); err != nil && !errors.Is(err, recycle.ErrNotFound) {
						return fmt.Errorf("line %d: lead %s: %w", in.line, l.ID, err)
					}
				}
				next = "woken by " + obs.Match.Reason + "; " + next
			}
			lines = append(lines, lineRow{id: l.ID, company: l.Company.Name, line: ld.Line, stage: ld.Stage.String(),
				verdict: ld.Verdict.String(), route: ld.Route.String(), engagement: ld.Engagement, next: next})
		}

		obs, wasWoken := woken[l.ID]
		switch d.Route {
		case qualify.RouteSales:
			// The next step names the owner: written once the queue is
			// assigned, below.
		case qualify.RouteNurture:
			r.next, err = h.nurtureStep(l, opts.now)
		case qualify.RouteRecycle:
			e, ok := scheduled[l.ID]
			if !ok || wasWoken {
				e, err = h.sched.Recycle(ctx, l, recycleReason(d, l), opts.now)
			}
			if err == nil {
				r.next = recycleStep(e, opts.now)
			}
		case qualify.RouteDrop:
			r.next = fmt.Sprintf("final (%s): %s", d.Reason, dropAction(d.Reason))
		case qualify.RouteReview:
			r.next = "a person decides whether to reopen it"
		}
		if d.Priority != qualify.PriorityNone {
			queue = append(queue, work{d: d, l: l, row: len(rows)})
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

	sq, err := h.workQueue(ctx, queue, rows, opts.now)
	if err != nil {
		return err
	}
	// The leads of one company are one account, its people a buying
	// group: judged together, and audited together, with the owners the
	// queue gave them.
	tracks, needs := map[string]string{}, map[string]nurture.Need{}
	for _, it := range items {
		if it.Track != "" {
			tracks[it.Lead.ID] = it.Track
		}
		if !it.Need.At.IsZero() {
			needs[it.Lead.ID] = it.Need
		}
	}
	all := make([]lead.Lead, len(leads))
	for i, in := range leads {
		all[i] = *in.lead
	}
	accounts, alone := h.matcher.Accounts(all)
	var accRows []accountRow
	var audit []nurture.AccountItem
	for i := range accounts {
		a := &accounts[i]
		audit = append(audit, nurture.AccountItem{Account: a, Tracks: tracks, Needs: needs})
		if len(a.Leads) < 2 {
			continue
		}
		ad, err := qualify.EvaluateAccount(ctx, h.policy, a, opts.now)
		if err != nil {
			return fmt.Errorf("account %s: %w", a.ID, err)
		}
		accRows = append(accRows, h.accountRow(ad, a, opts.now))
	}
	for _, i := range alone {
		// A lead of no known company is an account of its own.
		l := all[i]
		audit = append(audit, nurture.AccountItem{Account: &lead.Account{ID: l.ID, Owner: l.Owner, Leads: []lead.Lead{l}},
			Tracks: tracks, Needs: needs})
	}
	report, err := h.auditor.RunAccounts(ctx, slices.Values(audit), opts.now)
	if err != nil {
		return err
	}
	return write(w, opts, rows, accRows, lines, bad, totals, report, sq)
}

// accountRow is what the report says of an account of several contacts.
func (h *host) accountRow(d qualify.AccountDecision, a *lead.Account, now time.Time) accountRow {
	r := accountRow{id: a.ID, company: a.Company.Name, contacts: len(a.Leads), engaged: len(d.Group.Engaged),
		verdict: d.Verdict.String(), route: d.Route.String(), fit: d.Fit, engagement: d.Engagement}
	var reached []string
	for _, role := range d.Group.Reached {
		reached = append(reached, strings.ReplaceAll(role.String(), "_", " "))
	}
	r.group = "reached: " + cmpOr(strings.Join(reached, ", "), "nobody")
	for _, role := range d.Group.Missing {
		r.group += "; missing: " + strings.ReplaceAll(role.String(), "_", " ")
	}
	switch {
	case d.Route == qualify.RouteSales && d.Contact != "":
		who := d.Contact
		for _, l := range a.Leads {
			if l.ID == d.Contact && l.Contact.Name != "" {
				who += " (" + l.Contact.Name + ")"
			}
		}
		if now.After(d.Deadline) {
			r.next = fmt.Sprintf("OVERDUE by %s: respond to %s now", roundDur(now.Sub(d.Deadline)), who)
		} else {
			r.next = fmt.Sprintf("respond to %s by %s", who, d.Deadline.Format("15:04"))
		}
	case d.Qualified:
		r.next = "marketing-qualified as a buying group: sales to accept the account"
	case d.Route == qualify.RouteSales:
		r.next = "with " + cmpOr(a.Owner, "no owner: assign one")
	case d.Route == qualify.RouteNurture:
		r.next = "nurture its contacts"
	default:
		r.next = d.Route.String()
	}
	if len(d.Group.Missing) > 0 && d.Route == qualify.RouteSales {
		r.next += "; then reach the " + strings.ReplaceAll(d.Group.Missing[0].String(), "_", " ")
	}
	return r
}

// replay schedules the recycle entries of a lead already in recycling,
// as a whole and on each product line, each at the time it was set
// aside, and lets the scheduler observe what the lead did since, in time
// order.
func (h *host) replay(ctx context.Context, l *lead.Lead, now time.Time,
	scheduled map[string]recycle.Entry, woken map[string]recycle.Observation, risks map[string]string) error {
	type event struct {
		at   time.Time
		line string // an entry to schedule on this line ("" the lead's own)
		act  *lead.Activity
	}
	var events []event
	if l.Stage == lead.StageRecycled {
		events = append(events, event{at: recycledAt(l.History, l.UpdatedAt, now)})
	}
	for _, line := range h.policy.Vocabulary().Lines() {
		if f := l.Funnel(line); f.Stage == lead.StageRecycled {
			events = append(events, event{at: recycledAt(f.History, l.UpdatedAt, now), line: line})
		}
	}
	if len(events) == 0 {
		return nil
	}
	first := slices.MinFunc(events, func(a, b event) int { return a.at.Compare(b.at) }).at
	for i := range l.Activities {
		if a := &l.Activities[i]; a.At.After(first) && !a.At.After(now) {
			events = append(events, event{at: a.At, act: a})
		}
	}
	slices.SortStableFunc(events, func(a, b event) int { return a.at.Compare(b.at) })
	for _, ev := range events {
		if ev.act == nil {
			f := l.Funnel(ev.line)
			e, err := h.sched.RecycleLine(ctx, l, ev.line, cmp.Or(f.LostReason, lead.ReasonNotNow), ev.at)
			if err != nil {
				return err
			}
			scheduled[e.LeadID] = e
			continue
		}
		obs, err := h.sched.Observe(ctx, l.ID, *ev.act, ev.at)
		if err != nil {
			return err
		}
		switch {
		case obs.Woken:
			woken[obs.Entry.LeadID] = obs
		case obs.Match.Class == recycle.ClassCompetitive:
			risks[l.ID] = obs.Match.Reason
		}
	}
	return nil
}

// lineStep is the next step on one product line of a lead; e is the
// line's recycle entry, when it has one.
func (h *host) lineStep(ctx context.Context, d qualify.Decision, l *lead.Lead, e recycle.Entry, now time.Time) (string, error) {
	switch d.Route {
	case qualify.RouteSales:
		return h.salesStep(d, l, now), nil
	case qualify.RouteNurture:
		return h.nurtureLine(l, d.Line, now)
	case qualify.RouteRecycle:
		if e.LeadID == "" {
			var err error
			if e, err = h.sched.RecycleLine(ctx, l, d.Line, recycleReason(d, l), now); err != nil {
				return "", err
			}
		}
		return recycleStep(e, now), nil
	case qualify.RouteDrop:
		return fmt.Sprintf("final (%s) on this line", d.Reason), nil
	}
	return "a person decides whether to reopen the line", nil
}

// salesQueue is the sales work in priority order, with its owners and the
// escalations it raised.
type salesQueue struct {
	work    []work
	owners  []assign.Assignment // by work
	notices []assign.Notice
	failed  []string // leads no one could take, and why
}

// workQueue orders the sales work by the policy's queue at the host's
// rates, gives each lead an owner in that order (the most urgent first
// choose among the least loaded), writes the owner back to the lead (as a
// CRM would, so that the audit sees it), fills in the next steps, and
// escalates need that is past its deadline and unanswered.
func (h *host) workQueue(ctx context.Context, queue []work, rows []row, now time.Time) (*salesQueue, error) {
	ds := make([]qualify.Decision, len(queue))
	byLead := make(map[string]work, len(queue))
	for i, q := range queue {
		ds[i], byLead[q.l.ID] = q.d, q
	}
	if err := h.policy.SortQueue(ds, hostRates, now); err != nil {
		return nil, err
	}
	sq := &salesQueue{}
	for i, d := range ds {
		q := byLead[d.Lead]
		r := &rows[q.row]
		r.queue = i + 1
		res, err := h.assigner.Assign(ctx, assign.Request{Lead: q.l, Decision: &q.d}, now)
		switch {
		case errors.Is(err, assign.ErrNoOwner):
			sq.failed = append(sq.failed, err.Error())
		case err != nil:
			return nil, err
		default:
			q.l.Owner, r.owner = res.Owner, res.Owner
		}
		if q.d.Route == qualify.RouteSales {
			r.next = h.salesStep(q.d, q.l, now)
		}
		sq.work = append(sq.work, q)
		sq.owners = append(sq.owners, res.Assignment)

		if q.d.Priority == qualify.PriorityNeed && now.After(q.d.Deadline) && !h.answered(q.d, q.l, now) && err == nil {
			e, err := h.assigner.Escalate(ctx, q.l.ID, q.d.Deadline, now)
			if err != nil {
				return nil, err
			}
			sq.notices = append(sq.notices, e.Notices...)
		}
	}
	return sq, nil
}

// newHost builds the policy, tracks, planner, scheduler and auditor from
// the flags and the bundled host data.
func newHost(opts options) (*host, error) {
	var h host
	var err error
	if opts.policyPath == "" {
		data, _ := fs.ReadFile(sample, "sample/policy.json")
		h.policy, err = qualify.CompileJSON(data)
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

	if h.matcher, err = match.New(match.Config{}); err != nil {
		return nil, err
	}
	rules, err := hostFile(opts.assignPath, "-assign", "sample/assign.json")
	if err != nil {
		return nil, err
	}
	team, err := assign.ParseRules(rules)
	if err != nil {
		return nil, fmt.Errorf("assignment rules %s: %w", cmpOr(opts.assignPath, "(bundled)"), err)
	}
	if h.assigner, err = assign.New(assign.NewMemState(), assign.Config{Rules: team, Vocabulary: h.policy.Vocabulary()}); err != nil {
		return nil, err
	}
	var people []string
	for _, p := range team.People {
		people = append(people, p.ID)
	}

	h.auditor, err = nurture.NewAuditor(nurture.AuditConfig{
		Team:        people,
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

// hostRates are the host's exchange rates into pounds: the work queue
// weighs potential values with them, and the recycle scheduler ranks leads
// due together by them. They are the host's own, stated openly: the
// library never converts currencies by itself.
var hostRates = lead.Rates{Base: "GBP", Rates: map[lead.Currency]decimal.Decimal{
	"EUR": decimal.RequireFromString("0.85"),
	"USD": decimal.RequireFromString("0.79"),
	"NOK": decimal.RequireFromString("0.072"),
	"CAD": decimal.RequireFromString("0.57"),
}}

// rank is a potential value in pence at the host's rates, for the recycle
// scheduler; unknown values rank last.
func rank(v lead.Money) (int64, error) {
	if !v.Known() {
		return 0, nil
	}
	gbp, err := hostRates.Convert(v)
	if err != nil {
		return 0, err
	}
	return gbp.Amount.Shift(2).IntPart(), nil
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

// recycledAt is when a funnel was set aside: its last move to the
// recycled stage, else the lead's last update, else now.
func recycledAt(history []lead.Transition, updated, now time.Time) time.Time {
	for i := len(history) - 1; i >= 0; i-- {
		if history[i].To == lead.StageRecycled {
			return history[i].At
		}
	}
	if !updated.IsZero() {
		return updated
	}
	return now
}

// recycleStep says when a recycled lead (or line) is called, and why.
func recycleStep(e recycle.Entry, now time.Time) string {
	when := "call " + e.Due.Format("2 Jan 2006")
	if !e.Due.After(now) {
		when = "call now (due " + e.Due.Format("2 Jan") + ")"
	}
	return when + ": " + lowerFirst(e.Task)
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
		if answered := h.lastSalesTouch(l, d.Deadline.Add(-time.Hour*24*365), now); h.answered(d, l, now) {
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

// answered reports whether a sales touch answered the need of d: one in
// the day before its deadline or since.
func (h *host) answered(d qualify.Decision, l *lead.Lead, now time.Time) bool {
	last := h.lastSalesTouch(l, d.Deadline.Add(-time.Hour*24*365), now)
	return !last.IsZero() && last.After(d.Deadline.Add(-24*time.Hour))
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
	return h.nurtureLine(l, "", now)
}

// nurtureLine plans the next touch of a lead's track on a product line
// ("" for the lead as a whole).
func (h *host) nurtureLine(l *lead.Lead, line string, now time.Time) (string, error) {
	enrolled := now
	for _, t := range l.Funnel(line).History {
		if t.To == lead.StageNurturing {
			enrolled = t.At
		}
	}
	en := h.enroller.Enrol(l, enrolled)
	plan, err := h.planner.Next(nurture.Input{Lead: l, Track: en.Track, Progress: en.Progress, Line: line}, now)
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
