package recycle

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
	"github.com/shopspring/decimal"
)

// Config configures a [Scheduler]. Each field documents its default;
// defaults are filled in one place and the result is validated by
// [NewScheduler], which names any offending field.
type Config struct {
	// Horizons configures when recycled leads are due again. The zero value
	// is the doctrine's defaults.
	Horizons Horizons
	// Catalogue is what the business sells, for [Scheduler.Observe]. The
	// zero value knows no product: only needs shown to us wake a lead.
	Catalogue Catalogue
	// Vocabulary is what activities mean, for [Scheduler.Observe]: which
	// kinds are need, negative or the vendor's touches. Pass the qualify
	// policy's Vocabulary(); required.
	Vocabulary *qualify.Vocabulary
	// Currency is the currency potential values are ranked in: leads due
	// together are claimed highest value first. A lead whose value is in
	// another currency is refused with an error wrapping
	// lead.ErrCurrencyMismatch (values in different currencies are never
	// compared); a lead of unknown value ranks below every known value.
	// Required unless Rank is set.
	Currency lead.Currency
	// Rank, when set, replaces Currency: it maps a lead's potential value
	// (possibly unknown: the zero Money) to its rank, higher first. Use it
	// to convert currencies at the host's rates. An error refuses the lead.
	Rank func(value lead.Money) (int64, error)
	// Lease is how long a claim holds a lead before another worker may
	// claim it. Default 10 minutes; 1 second to 24 hours.
	Lease time.Duration
	// MaxClaim is the most leads one Claim may ask for. Default 1000; at
	// most 100000.
	MaxClaim int
	// Retries is how many times a read-modify-write (Recycle, Wake,
	// Reschedule) is retried when a concurrent writer changed the entry
	// between the read and the write. Default 8; 1 to 100.
	Retries int
}

// Scheduler keeps recycled leads on a [Store]: it schedules them with a
// [Planner], wakes them on new interests, and hands due leads to workers
// under a lease. Create it with [NewScheduler]; it holds no state of its own
// beyond its configuration and is safe for concurrent use, by any number of
// processes sharing one store.
//
// Every method takes the time from its caller (a `now` argument), so a
// scheduler never reads the clock. Every store error is returned wrapped
// with the operation and the lead; a failed call changes nothing but what
// the store itself committed, and every method can be retried: an entry is
// never lost or duplicated because a call failed.
type Scheduler struct {
	store      Store
	planner    *Planner
	classifier *Classifier
	rank       func(lead.Money) (int64, error)
	lease      time.Duration
	maxClaim   int
	retries    int
}

// NewScheduler returns a Scheduler over store. An invalid configuration is
// an error naming each offending field (errors.Is(err, ErrInvalid)).
func NewScheduler(store Store, cfg Config) (*Scheduler, error) {
	cfg.Lease = cmp.Or(cfg.Lease, 10*time.Minute)
	cfg.MaxClaim = cmp.Or(cfg.MaxClaim, 1000)
	cfg.Retries = cmp.Or(cfg.Retries, 8)
	var p problems
	if store == nil {
		p.add("store", "nil")
	}
	switch {
	case cfg.Rank == nil && cfg.Currency == "":
		p.add("Config.Currency", "required unless Config.Rank is set: leads due together are ranked by potential value")
	case cfg.Currency != "" && !cfg.Currency.Valid():
		p.add("Config.Currency", "%q is not an ISO 4217 code", string(cfg.Currency))
	}
	if cfg.Lease < time.Second || cfg.Lease > 24*time.Hour {
		p.add("Config.Lease", "%s is outside 1s to 24h", cfg.Lease)
	}
	if cfg.MaxClaim < 1 || cfg.MaxClaim > 100000 {
		p.add("Config.MaxClaim", "%d is outside 1 to 100000", cfg.MaxClaim)
	}
	if cfg.Retries < 1 || cfg.Retries > 100 {
		p.add("Config.Retries", "%d is outside 1 to 100", cfg.Retries)
	}
	if err := p.err(); err != nil {
		return nil, fmt.Errorf("recycle: invalid scheduler config: %w", err)
	}
	planner, err := NewPlanner(cfg.Horizons)
	if err != nil {
		return nil, err
	}
	classifier, err := NewClassifier(cfg.Catalogue, cfg.Vocabulary)
	if err != nil {
		return nil, err
	}
	s := &Scheduler{
		store: store, planner: planner, classifier: classifier, rank: cfg.Rank,
		lease: cfg.Lease, maxClaim: cfg.MaxClaim, retries: cfg.Retries,
	}
	if s.rank == nil {
		s.rank = rankIn(cfg.Currency)
	}
	return s, nil
}

// Planner returns the scheduler's planner.
func (s *Scheduler) Planner() *Planner { return s.planner }

// Classifier returns the scheduler's classifier of new interests.
func (s *Scheduler) Classifier() *Classifier { return s.classifier }

// rankScale is the number of decimal places a value ranks with.
const rankScale = 4

var maxRank = decimal.NewFromInt(math.MaxInt64)

// rankIn ranks values in currency c by their amount in ten-thousandths,
// unknown values at -1, below every known one; amounts beyond about 922
// trillion rank equal.
func rankIn(c lead.Currency) func(lead.Money) (int64, error) {
	return func(v lead.Money) (int64, error) {
		switch {
		case !v.Known():
			return -1, nil
		case v.Currency != c:
			return 0, fmt.Errorf("%w: value %s cannot be ranked among values in %s: set Config.Rank to convert", lead.ErrCurrencyMismatch, v, c)
		case v.IsNegative():
			return 0, fmt.Errorf("negative value %s", v)
		}
		a := v.Amount.Shift(rankScale).Truncate(0)
		if a.GreaterThanOrEqual(maxRank) {
			return math.MaxInt64, nil
		}
		return a.IntPart(), nil
	}
}

// Recycle schedules lead l, recycled now for reason r (l.LostReason when r
// is empty), or reschedules it if it already has an entry: the due time and
// the task come from the Planner, the counts of earlier recycles and
// unanswered attempts from the existing entry, and the rank from the lead's
// potential value. It returns the entry as stored. Any claim on the lead
// ends: a worker still holding one gets ErrLeaseLost.
//
// A final reason is refused with an error wrapping ErrFinal, and the lead's
// existing entry, if any, is left alone: call Cancel to remove it.
//
// Recycle is idempotent: repeating it with the same lead, reason and now
// (after an error whose write did reach the store, say) returns the entry
// already written and counts nothing twice.
//
// The counts live in the entry: once a claim is acknowledged the lead
// starts again from zero the next time it is recycled.
func (s *Scheduler) Recycle(ctx context.Context, l *lead.Lead, r lead.Reason, now time.Time) (Entry, error) {
	if l == nil {
		return Entry{}, fmt.Errorf("recycle: schedule: %w", invalid("lead", "nil"))
	}
	r = cmp.Or(r, l.LostReason)
	if r.Final() {
		return Entry{}, fmt.Errorf("recycle: schedule lead %q: reason %s: %w", l.ID, r, ErrFinal)
	}
	// Bad input is refused before the store is touched.
	if _, err := s.planner.Plan(l, r, Prior{}, now); err != nil {
		return Entry{}, err
	}
	rank, err := s.rankOf(l)
	if err != nil {
		return Entry{}, err
	}
	since := now.Truncate(time.Microsecond)
	for try := 1; ; try++ {
		cur, err := s.store.Get(ctx, l.ID)
		var expect uint64
		switch {
		case errors.Is(err, ErrNotFound):
			cur = Entry{}
		case err != nil:
			return Entry{}, fmt.Errorf("recycle: schedule lead %q: %w", l.ID, err)
		default:
			if cur.Reason == r && cur.Since.Equal(since) {
				return cur, nil // this very call, repeated
			}
			expect = cur.Version
		}
		e, err := s.plan(l, r, cur, expect != 0, rank, now)
		if err != nil {
			return Entry{}, err
		}
		got, err := s.store.Put(ctx, e, expect)
		if err == nil {
			return got, nil
		}
		if try < s.retries && (errors.Is(err, ErrStale) || errors.Is(err, ErrNotFound)) {
			continue // a concurrent writer: read again
		}
		return Entry{}, fmt.Errorf("recycle: schedule lead %q: %w", l.ID, err)
	}
}

// RecycleClaimed is Recycle for a worker holding claim on l: the lead is
// rescheduled only if the claim is still current (else an error wrapping
// ErrLeaseLost), which also ends the claim. It is how a worker reports that
// the lead is still not ready ("not now" again, no answer again). The
// counts come from the claim. Repeated after an error whose write did
// reach the store, it reports ErrLeaseLost: the claim is over either way.
func (s *Scheduler) RecycleClaimed(ctx context.Context, claim Entry, l *lead.Lead, r lead.Reason, now time.Time) (Entry, error) {
	if l == nil {
		return Entry{}, fmt.Errorf("recycle: schedule claimed: %w", invalid("lead", "nil"))
	}
	if err := checkClaim(claim); err != nil {
		return Entry{}, fmt.Errorf("recycle: schedule claimed lead %q: %w", claim.LeadID, err)
	}
	if claim.LeadID != l.ID {
		return Entry{}, fmt.Errorf("recycle: schedule claimed lead %q: %w", claim.LeadID,
			invalid("lead.id", "%q is not the claimed lead", l.ID))
	}
	r = cmp.Or(r, l.LostReason)
	if r.Final() {
		return Entry{}, fmt.Errorf("recycle: schedule claimed lead %q: reason %s: %w", l.ID, r, ErrFinal)
	}
	rank, err := s.rankOf(l)
	if err != nil {
		return Entry{}, err
	}
	e, err := s.plan(l, r, claim, true, rank, now)
	if err != nil {
		return Entry{}, err
	}
	got, err := s.store.Put(ctx, e, claim.Version)
	switch {
	case err == nil:
		return got, nil
	case errors.Is(err, ErrStale) || errors.Is(err, ErrNotFound):
		return Entry{}, fmt.Errorf("recycle: schedule claimed lead %q: %w: %w", l.ID, ErrLeaseLost, err)
	}
	return Entry{}, fmt.Errorf("recycle: schedule claimed lead %q: %w", l.ID, err)
}

// plan builds the entry for a recycle of l, given its current entry.
func (s *Scheduler) plan(l *lead.Lead, r lead.Reason, cur Entry, exists bool, rank int64, now time.Time) (Entry, error) {
	var prior Prior
	if exists {
		prior = Prior{Recycles: cur.Recycles, Attempt: 1}
		if cur.Reason == r {
			prior.Attempt = min(cur.Attempt+1, MaxCount)
		}
	}
	plan, err := s.planner.Plan(l, r, prior, now)
	if err != nil {
		return Entry{}, err
	}
	return Entry{
		LeadID:   l.ID,
		Due:      plan.Due,
		Reason:   r,
		Task:     plan.Task,
		Rank:     rank,
		Recycles: plan.Next.Recycles,
		Attempt:  plan.Next.Attempt,
		Since:    now.Truncate(time.Microsecond),
	}, nil
}

func (s *Scheduler) rankOf(l *lead.Lead) (int64, error) {
	rank, err := s.rank(l.Value)
	if err != nil {
		return 0, fmt.Errorf("recycle: rank lead %q: %w", l.ID, err)
	}
	return rank, nil
}

// Reschedule moves the due time of leadID's entry to due (rounded up to
// the second), keeping its reason, task and counts: "call me back on the
// 5th". Any claim on the lead ends. A lead without an entry is an error
// wrapping ErrNotFound.
func (s *Scheduler) Reschedule(ctx context.Context, leadID string, due time.Time) (Entry, error) {
	var p problems
	checkID(&p, "lead_id", leadID)
	checkTime(&p, "due", due, true)
	if err := p.err(); err != nil {
		return Entry{}, fmt.Errorf("recycle: reschedule lead %q: %w", leadID, err)
	}
	if t := due.Truncate(time.Second); t.Before(due) {
		due = t.Add(time.Second)
	}
	return s.update(ctx, "reschedule", leadID, func(e *Entry) bool {
		if e.Due.Equal(due) && e.LeaseUntil.IsZero() {
			return false
		}
		e.Due = due
		return true
	})
}

// Wake makes leadID's entry due now with the given task ("new interest in
// RoutePlanner"), keeping its reason and counts. An entry already overdue
// keeps its earlier due time, and its place in the queue. Any claim on the
// lead ends, so that the next claim carries the new task. A lead without an
// entry is an error wrapping ErrNotFound.
func (s *Scheduler) Wake(ctx context.Context, leadID, task string, now time.Time) (Entry, error) {
	var p problems
	checkID(&p, "lead_id", leadID)
	checkTask(&p, "task", task)
	checkTime(&p, "now", now, true)
	if err := p.err(); err != nil {
		return Entry{}, fmt.Errorf("recycle: wake lead %q: %w", leadID, err)
	}
	due := now.Truncate(time.Second)
	return s.update(ctx, "wake", leadID, func(e *Entry) bool {
		if e.Task == task && !e.Due.After(due) && e.LeaseUntil.IsZero() {
			return false // awake already
		}
		e.Task = task
		if e.Due.After(due) {
			e.Due = due
		}
		return true
	})
}

// update reads leadID's entry, lets change edit it, and writes it back on
// condition that it did not change meanwhile, retrying conflicts. change
// returns false when there is nothing to write.
func (s *Scheduler) update(ctx context.Context, op, leadID string, change func(*Entry) bool) (Entry, error) {
	for try := 1; ; try++ {
		cur, err := s.store.Get(ctx, leadID)
		if err != nil {
			return Entry{}, fmt.Errorf("recycle: %s lead %q: %w", op, leadID, err)
		}
		e := cur
		if !change(&e) {
			return cur, nil
		}
		got, err := s.store.Put(ctx, e, cur.Version)
		if err == nil {
			return got, nil
		}
		if try < s.retries && errors.Is(err, ErrStale) {
			continue
		}
		return Entry{}, fmt.Errorf("recycle: %s lead %q: %w", op, leadID, err)
	}
}

// Cancel removes leadID's entry, whatever its state: the lead is no longer
// recycled (it was requalified, or declared final). Any claim on it ends. A
// lead without an entry is an error wrapping ErrNotFound, which a caller
// retrying a failed Cancel may take as success.
func (s *Scheduler) Cancel(ctx context.Context, leadID string) error {
	var p problems
	checkID(&p, "lead_id", leadID)
	if err := p.err(); err != nil {
		return fmt.Errorf("recycle: cancel lead %q: %w", leadID, err)
	}
	if err := s.store.Delete(ctx, leadID, 0); err != nil {
		return fmt.Errorf("recycle: cancel lead %q: %w", leadID, err)
	}
	return nil
}

// Get returns leadID's entry, or an error wrapping ErrNotFound.
func (s *Scheduler) Get(ctx context.Context, leadID string) (Entry, error) {
	var p problems
	checkID(&p, "lead_id", leadID)
	if err := p.err(); err != nil {
		return Entry{}, fmt.Errorf("recycle: get lead %q: %w", leadID, err)
	}
	e, err := s.store.Get(ctx, leadID)
	if err != nil {
		return Entry{}, fmt.Errorf("recycle: get lead %q: %w", leadID, err)
	}
	return e, nil
}

// Observation is what [Scheduler.Observe] made of a new activity.
type Observation struct {
	// Match is the classification of the activity.
	Match Match
	// Woken reports whether the lead's entry was made due now.
	Woken bool
	// Entry is the lead's entry after waking it; zero unless Woken.
	Entry Entry
}

// Observe classifies a new activity of lead leadID against the catalogue
// (see [Classifier.Activity]) and acts on it: an interest in something we
// sell wakes the lead (Wake, with the task "new interest in <product>"), so
// that the host requalifies it now; a competitive risk and an unrelated
// interest change nothing. The host records the risk as it sees fit. A lead
// that is not scheduled is not an error: there is nothing to wake.
func (s *Scheduler) Observe(ctx context.Context, leadID string, a lead.Activity, now time.Time) (Observation, error) {
	obs := Observation{Match: s.classifier.Activity(a)}
	if obs.Match.Class != ClassOurs {
		return obs, nil
	}
	e, err := s.Wake(ctx, leadID, obs.Match.Reason, now)
	switch {
	case errors.Is(err, ErrNotFound):
		return obs, nil
	case err != nil:
		return obs, err
	}
	obs.Woken, obs.Entry = true, e
	return obs, nil
}

// Claim leases up to limit leads due at now to the caller, until now +
// Config.Lease, in order of due time, then rank (potential value, highest
// first), then lead ID. Each returned entry is a claim: do its Task, then
// Ack it (or RecycleClaimed, or Release); a claim not acknowledged before
// its lease ends is handed to the next Claim. Nothing due is an empty
// result.
func (s *Scheduler) Claim(ctx context.Context, now time.Time, limit int) ([]Entry, error) {
	var p problems
	checkTime(&p, "now", now, true)
	if limit < 1 || limit > s.maxClaim {
		p.add("limit", "%d is outside 1 to %d (Config.MaxClaim)", limit, s.maxClaim)
	}
	if err := p.err(); err != nil {
		return nil, fmt.Errorf("recycle: claim: %w", err)
	}
	es, err := s.store.Claim(ctx, now, limit, now.Add(s.lease))
	if err != nil {
		return nil, fmt.Errorf("recycle: claim %d leads at %s: %w", limit, now.Format(time.RFC3339), err)
	}
	return es, nil
}

// Ack acknowledges claim: the lead's recycle is done, and the entry is
// removed; it is never handed out again. A claim that is no longer current
// (the lease ended and another worker claimed the lead, or the lead was
// rescheduled or woken) is an error wrapping ErrLeaseLost; an entry that
// is gone (cancelled, or this Ack repeated after an error) an error
// wrapping ErrNotFound. In both cases the claim is over.
func (s *Scheduler) Ack(ctx context.Context, claim Entry) error {
	if err := checkClaim(claim); err != nil {
		return fmt.Errorf("recycle: ack lead %q: %w", claim.LeadID, err)
	}
	err := s.store.Delete(ctx, claim.LeadID, claim.Version)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrStale):
		return fmt.Errorf("recycle: ack lead %q: %w: %w", claim.LeadID, ErrLeaseLost, err)
	}
	return fmt.Errorf("recycle: ack lead %q: %w", claim.LeadID, err)
}

// Extend renews claim's lease until now + Config.Lease: the heartbeat of a
// worker whose task takes long. It returns the claim with its new
// LeaseUntil (and the same Version). A claim that is no longer current is
// an error wrapping ErrLeaseLost.
func (s *Scheduler) Extend(ctx context.Context, claim Entry, now time.Time) (Entry, error) {
	return s.extend(ctx, "extend", claim, now, now.Add(s.lease))
}

// Release gives claim back without doing it: the lead is claimable again
// at once, at its place in the queue. A claim that is no longer current is
// an error wrapping ErrLeaseLost.
func (s *Scheduler) Release(ctx context.Context, claim Entry, now time.Time) error {
	_, err := s.extend(ctx, "release", claim, now, now)
	return err
}

func (s *Scheduler) extend(ctx context.Context, op string, claim Entry, now, until time.Time) (Entry, error) {
	var p problems
	checkTime(&p, "now", now, true)
	if err := cmp.Or(checkClaim(claim), p.err()); err != nil {
		return Entry{}, fmt.Errorf("recycle: %s lead %q: %w", op, claim.LeadID, err)
	}
	e, err := s.store.Extend(ctx, claim.LeadID, claim.Version, until)
	switch {
	case err == nil:
		return e, nil
	case errors.Is(err, ErrStale) || errors.Is(err, ErrNotFound):
		return Entry{}, fmt.Errorf("recycle: %s lead %q: %w: %w", op, claim.LeadID, ErrLeaseLost, err)
	}
	return Entry{}, fmt.Errorf("recycle: %s lead %q: %w", op, claim.LeadID, err)
}

func checkClaim(c Entry) error {
	var p problems
	checkID(&p, "claim.lead_id", c.LeadID)
	if c.Version == 0 || c.LeaseUntil.IsZero() {
		p.add("claim", "not a claim: it has no version or no lease (use an entry returned by Claim)")
	}
	return p.err()
}
