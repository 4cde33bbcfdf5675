package recycle

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

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
	// Reschedule, Requeue) is retried when a concurrent writer changed the
	// entry between the read and the write. Default 8; 1 to 100.
	Retries int
	// MaxAttempts is how many times a lead may fail before it is dead:
	// parked, never claimed again until the host requeues it
	// ([Scheduler.Requeue]). A failure is a claim the worker reports
	// failed ([Scheduler.Fail]) or a claim whose lease ran out (the worker
	// died or hung); a release is none. Default 10; 1 to 1000.
	MaxAttempts int
	// RetryDelay is how long a lead waits after its first failure before
	// it is due again; the wait doubles with each further failure, up to
	// 24 hours. Default 1 minute; 1 second to 24 hours.
	RetryDelay time.Duration
	// StoreRetries is how many times a call that ends or renews a claim
	// (Ack, RecycleClaimed, Fail, Release, Extend) is retried after a store
	// error wrapping ErrUnavailable (busy, connection lost) before the
	// error is returned. Default 6; 1 to 20.
	StoreRetries int
	// StoreBackoff is the wait before the first of those retries; it
	// doubles with each. Default 100 milliseconds (6.3 seconds for six
	// retries); 1 millisecond to 10 seconds.
	StoreBackoff time.Duration
}

// Scheduler keeps recycled leads on a [Store]: it schedules them with a
// [Planner], wakes them on new interests, hands due leads to workers under a
// lease, and parks the leads that keep failing. Create it with
// [NewScheduler]; it holds no state of its own beyond its configuration and
// is safe for concurrent use, by any number of processes sharing one store.
//
// Time: every method that decides something from the time takes it from
// its caller (a `now` argument): due times, schedules and retry delays are
// on the caller's clock, so a scheduler never reads the clock. Leases are
// the one exception, and are the store's: a claim lasts [Config.Lease] on
// the store's own clock (see [Store]), whatever the worker's clock says.
//
// Every store error is returned wrapped with the operation and the lead; a
// failed call changes nothing but what the store itself committed, and
// every method can be retried: an entry is never lost or duplicated because
// a call failed.
type Scheduler struct {
	store        Store
	planner      *Planner
	classifier   *Classifier
	rank         func(lead.Money) (int64, error)
	lease        time.Duration
	maxClaim     int
	retries      int
	maxAttempts  int
	retryDelay   time.Duration
	storeRetries int
	storeBackoff time.Duration
}

// NewScheduler returns a Scheduler over store. An invalid configuration is
// an error naming each offending field (errors.Is(err, ErrInvalid)).
func NewScheduler(store Store, cfg Config) (*Scheduler, error) {
	cfg.Lease = cmp.Or(cfg.Lease, 10*time.Minute)
	cfg.MaxClaim = cmp.Or(cfg.MaxClaim, 1000)
	cfg.Retries = cmp.Or(cfg.Retries, 8)
	cfg.MaxAttempts = cmp.Or(cfg.MaxAttempts, 10)
	cfg.RetryDelay = cmp.Or(cfg.RetryDelay, time.Minute)
	cfg.StoreRetries = cmp.Or(cfg.StoreRetries, 6)
	cfg.StoreBackoff = cmp.Or(cfg.StoreBackoff, 100*time.Millisecond)
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
	if cfg.MaxAttempts < 1 || cfg.MaxAttempts > 1000 {
		p.add("Config.MaxAttempts", "%d is outside 1 to 1000", cfg.MaxAttempts)
	}
	if cfg.RetryDelay < time.Second || cfg.RetryDelay > 24*time.Hour {
		p.add("Config.RetryDelay", "%s is outside 1s to 24h", cfg.RetryDelay)
	}
	if cfg.StoreRetries < 1 || cfg.StoreRetries > 20 {
		p.add("Config.StoreRetries", "%d is outside 1 to 20", cfg.StoreRetries)
	}
	if cfg.StoreBackoff < time.Millisecond || cfg.StoreBackoff > 10*time.Second {
		p.add("Config.StoreBackoff", "%s is outside 1ms to 10s", cfg.StoreBackoff)
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
		maxAttempts: cfg.MaxAttempts, retryDelay: cfg.RetryDelay,
		storeRetries: cfg.StoreRetries, storeBackoff: cfg.StoreBackoff,
	}
	if s.rank == nil {
		s.rank = rankIn(cfg.Currency)
	}
	return s, nil
}

// WithStore returns a Scheduler with the same configuration over store:
// typically the host's store bound to a transaction of its own, so that a
// host's write and the recycle it schedules commit or roll back together
// (with the sqlstore example, sched.WithStore(store.Tx(tx)).Recycle(...)).
// It costs one small allocation.
func (s *Scheduler) WithStore(store Store) *Scheduler {
	c := *s
	c.store = store
	return &c
}

// Lease returns the lease of a claim, Config.Lease: a worker renews its
// claims well within it (Extend).
func (s *Scheduler) Lease() time.Duration { return s.lease }

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
// starts again from zero the next time it is recycled. A new schedule
// starts with no failures, and brings a dead entry back to life.
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
// counts come from the claim. For the claim of a product line's entry
// (Entry.Lead names the line), l is the lead itself: it is rescheduled at
// the line's funnel. A store error wrapping ErrUnavailable is retried
// (Config.StoreRetries); a retry that finds the write of an earlier try
// whose answer was lost takes it as its own.
func (s *Scheduler) RecycleClaimed(ctx context.Context, claim Entry, l *lead.Lead, r lead.Reason, now time.Time) (Entry, error) {
	if l == nil {
		return Entry{}, fmt.Errorf("recycle: schedule claimed: %w", invalid("lead", "nil"))
	}
	if err := checkClaim(claim); err != nil {
		return Entry{}, fmt.Errorf("recycle: schedule claimed lead %q: %w", claim.LeadID, err)
	}
	if id, line := claim.Lead(); id != l.ID {
		return Entry{}, fmt.Errorf("recycle: schedule claimed lead %q: %w", claim.LeadID,
			invalid("lead.id", "%q is not the claimed lead", l.ID))
	} else if line != "" {
		// A line's entry: the lead at the line's funnel, under the key.
		v, err := s.lineView(l, line)
		if err != nil {
			return Entry{}, fmt.Errorf("recycle: schedule claimed lead %q: %w", claim.LeadID, err)
		}
		l = v
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
	return s.putClaimed(ctx, "schedule claimed", claim, e)
}

// putClaimed writes e over claim, retrying store errors that may pass. A
// conflict after a try whose answer was lost is checked against the stored
// entry: if it is e, the lost try wrote it.
func (s *Scheduler) putClaimed(ctx context.Context, op string, claim, e Entry) (Entry, error) {
	var got Entry
	unsure, err := s.persist(ctx, func() (err error) {
		got, err = s.store.Put(ctx, e, claim.Version)
		return err
	})
	if err == nil {
		return got, nil
	}
	if unsure && (errors.Is(err, ErrStale) || errors.Is(err, ErrNotFound)) {
		if cur, gerr := s.store.Get(ctx, claim.LeadID); gerr == nil && cur.LeaseUntil.IsZero() && sameFields(cur, e) {
			return cur, nil
		}
	}
	if errors.Is(err, ErrStale) || errors.Is(err, ErrNotFound) {
		return Entry{}, fmt.Errorf("recycle: %s lead %q: %w: %w", op, claim.LeadID, ErrLeaseLost, err)
	}
	return Entry{}, fmt.Errorf("recycle: %s lead %q: %w", op, claim.LeadID, err)
}

// sameFields reports whether a and b hold the same caller's fields.
func sameFields(a, b Entry) bool {
	return a.LeadID == b.LeadID && a.Due.Equal(b.Due) && a.Reason == b.Reason && a.Task == b.Task &&
		a.Rank == b.Rank && a.Recycles == b.Recycles && a.Attempt == b.Attempt && a.Since.Equal(b.Since) &&
		a.Failures == b.Failures && a.LastError == b.LastError && a.Dead == b.Dead
}

// persist calls op until it succeeds, fails with an error that does not
// wrap ErrUnavailable, or has been retried Config.StoreRetries times,
// waiting Config.StoreBackoff (doubling) between tries. unsure reports
// whether a try failed with ErrUnavailable: its outcome is unknown.
func (s *Scheduler) persist(ctx context.Context, op func() error) (unsure bool, err error) {
	wait := s.storeBackoff
	for try := 0; ; try++ {
		err = op()
		if err == nil || !errors.Is(err, ErrUnavailable) || try == s.storeRetries {
			return unsure, err
		}
		unsure = true
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return unsure, fmt.Errorf("%w, waiting to retry after: %w", ctx.Err(), err)
		case <-t.C:
		}
		wait *= 2
	}
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
		e.Due, e.Schedule = due, 0 // a new schedule
		return true
	})
}

// Wake makes leadID's entry due now with the given task ("new interest in
// RoutePlanner"), keeping its reason and counts. An entry already overdue
// keeps its earlier due time, and its place in the queue. Any claim on the
// lead ends, so that the next claim carries the new task. A dead entry
// takes the new task and due time but stays dead until Requeue. A lead
// without an entry is an error wrapping ErrNotFound.
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
		e.Task, e.Schedule = task, 0 // a new schedule
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
	// Line is the product line whose entry was woken; empty for the
	// lead's implicit entry.
	Line string
	// Entry is the lead's entry after waking it; zero unless Woken.
	Entry Entry
}

// Observe classifies a new activity of lead leadID against the catalogue
// (see [Classifier.Activity]) and acts on it: an interest in something we
// sell wakes the lead (Wake, with the task "new interest in <product>"), so
// that the host requalifies it now; a competitive risk and an unrelated
// interest change nothing. The host records the risk as it sees fit. A lead
// that is not scheduled is not an error: there is nothing to wake.
//
// With product lines (Config.Vocabulary declares them), an interest in a
// line the lead has an entry on (RecycleLine) wakes that entry only; any
// other wakes the lead's own entry, as without lines.
func (s *Scheduler) Observe(ctx context.Context, leadID string, a lead.Activity, now time.Time) (Observation, error) {
	obs := Observation{Match: s.classifier.Activity(a)}
	if obs.Match.Class != ClassOurs {
		return obs, nil
	}
	key, line, err := s.observeKey(ctx, leadID, &a, obs.Match)
	if err != nil {
		return obs, err
	}
	e, err := s.Wake(ctx, key, obs.Match.Reason, now)
	switch {
	case errors.Is(err, ErrNotFound):
		return obs, nil
	case err != nil:
		return obs, err
	}
	obs.Woken, obs.Entry, obs.Line = true, e, line
	return obs, nil
}

// Claim leases up to limit leads due at now to the caller, for
// Config.Lease on the store's clock, in order of due time, then rank
// (potential value, highest first), then lead ID. Each returned entry is a
// claim: do its Task, then Ack it (or RecycleClaimed, Fail, or Release); a
// claim not acknowledged before its lease ends is handed to the next Claim.
// Nothing due is an empty result.
//
// A lead that has failed Config.MaxAttempts times (Failures, plus the
// earlier claims of this schedule whose lease ran out) is not handed out:
// Claim makes it dead instead, with a write conditional on the claim, and
// returns the others. If that write fails, the lead stays held until its
// lease ends and the next Claim tries again: nothing is lost.
func (s *Scheduler) Claim(ctx context.Context, now time.Time, limit int) ([]Entry, error) {
	var p problems
	checkTime(&p, "now", now, true)
	if limit < 1 || limit > s.maxClaim {
		p.add("limit", "%d is outside 1 to %d (Config.MaxClaim)", limit, s.maxClaim)
	}
	if err := p.err(); err != nil {
		return nil, fmt.Errorf("recycle: claim: %w", err)
	}
	es, err := s.store.Claim(ctx, now, limit, s.lease)
	if err != nil {
		return nil, fmt.Errorf("recycle: claim %d leads at %s: %w", limit, now.Format(time.RFC3339), err)
	}
	out := es[:0]
	for _, e := range es {
		if failed := e.Failures + max(e.Claims-1, 0); failed >= s.maxAttempts {
			d := e
			d.Failures = min(failed, MaxCount)
			d.Dead = true
			d.LastError = clip(fmt.Sprintf("failed %d times, the last %d by a lease that ran out (a worker died or hung)", failed, e.Claims-1))
			if e.LastError != "" {
				d.LastError = clip(d.LastError + "; before: " + e.LastError)
			}
			_, _ = s.store.Put(ctx, d, e.Version) // on failure, the next Claim tries again
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

// Ack acknowledges claim: the lead's recycle is done, and the entry is
// removed; it is never handed out again. A claim that is no longer current
// is an error wrapping ErrLeaseLost and the store's ErrStale (the lease
// ended and another worker claimed the lead, or the lead was rescheduled
// or woken) or ErrNotFound (another worker acknowledged it after claiming
// it again, or the host cancelled it). Either way the claim is over.
//
// A store error wrapping ErrUnavailable is retried (Config.StoreRetries,
// with backoff), so that a database hiccup does not hand the lead out
// again; a retry that finds the entry gone after a try whose answer was
// lost takes that try as the acknowledgement, and returns nil.
func (s *Scheduler) Ack(ctx context.Context, claim Entry) error {
	if err := checkClaim(claim); err != nil {
		return fmt.Errorf("recycle: ack lead %q: %w", claim.LeadID, err)
	}
	unsure, err := s.persist(ctx, func() error { return s.store.Delete(ctx, claim.LeadID, claim.Version) })
	switch {
	case err == nil:
		return nil
	case unsure && errors.Is(err, ErrNotFound):
		return nil // the try whose answer was lost did it
	case errors.Is(err, ErrStale) || errors.Is(err, ErrNotFound):
		return fmt.Errorf("recycle: ack lead %q: %w: %w", claim.LeadID, ErrLeaseLost, err)
	}
	return fmt.Errorf("recycle: ack lead %q: %w", claim.LeadID, err)
}

// Fail reports that the work of claim failed (the CRM did not answer, a
// hand-off was refused) because of cause. The failure is written down in
// the entry (Failures, LastError) and the claim ends: the lead is due again
// after Config.RetryDelay, doubled for each earlier failure (up to 24
// hours), from now; or, at its Config.MaxAttempts-th failure, it is dead:
// parked, never claimed until the host requeues it. It returns the entry as
// stored (see Entry.Dead). A claim that is no longer current is an error
// wrapping ErrLeaseLost. Store errors are retried as for Ack.
func (s *Scheduler) Fail(ctx context.Context, claim Entry, cause error, now time.Time) (Entry, error) {
	var p problems
	checkTime(&p, "now", now, true)
	if cause == nil {
		p.add("cause", "nil")
	}
	if err := cmp.Or(checkClaim(claim), p.err()); err != nil {
		return Entry{}, fmt.Errorf("recycle: fail lead %q: %w", claim.LeadID, err)
	}
	e := claim
	e.Failures = min(claim.Failures+max(claim.Claims, 1), MaxCount)
	e.LastError = clip(cause.Error())
	if e.Failures >= s.maxAttempts {
		e.Dead = true
	} else {
		wait := s.retryDelay
		for i := 1; i < e.Failures && wait < 24*time.Hour; i++ {
			wait *= 2
		}
		e.Due = now.Truncate(time.Second).Add(min(wait, 24*time.Hour))
	}
	return s.putClaimed(ctx, "fail", claim, e)
}

// clip makes msg fit Entry.LastError: valid UTF-8 without NUL bytes, at
// most MaxErrorLen bytes.
func clip(msg string) string {
	msg = strings.ReplaceAll(strings.ToValidUTF8(msg, "\uFFFD"), "\x00", "\uFFFD")
	if len(msg) <= MaxErrorLen {
		return msg
	}
	cut := MaxErrorLen - len("…")
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + "…"
}

// Requeue brings leadID's dead entry back: due now (or at its earlier due
// time), with no failures, to be claimed again. An entry that is not dead
// is returned as it is. A lead without an entry is an error wrapping
// ErrNotFound.
func (s *Scheduler) Requeue(ctx context.Context, leadID string, now time.Time) (Entry, error) {
	var p problems
	checkID(&p, "lead_id", leadID)
	checkTime(&p, "now", now, true)
	if err := p.err(); err != nil {
		return Entry{}, fmt.Errorf("recycle: requeue lead %q: %w", leadID, err)
	}
	due := now.Truncate(time.Second)
	return s.update(ctx, "requeue", leadID, func(e *Entry) bool {
		if !e.Dead {
			return false
		}
		e.Dead, e.Failures, e.LastError = false, 0, ""
		if e.Due.After(due) {
			e.Due = due
		}
		return true
	})
}

// Dead returns up to limit dead entries (at most Config.MaxClaim) whose lead
// ID sorts after after, in lead ID order: "" for the first page, then the
// last ID of each page.
func (s *Scheduler) Dead(ctx context.Context, after string, limit int) ([]Entry, error) {
	if limit < 1 || limit > s.maxClaim {
		return nil, fmt.Errorf("recycle: list dead: %w", invalid("limit", "%d is outside 1 to %d (Config.MaxClaim)", limit, s.maxClaim))
	}
	es, err := s.store.Dead(ctx, after, limit)
	if err != nil {
		return nil, fmt.Errorf("recycle: list dead after %q: %w", after, err)
	}
	return es, nil
}

// Stats returns the depth of the queue at now: entries scheduled, due,
// leased, with an expired lease, dead, and the oldest due time. The store
// may read every entry to count them: call it for monitoring.
func (s *Scheduler) Stats(ctx context.Context, now time.Time) (Stats, error) {
	var p problems
	checkTime(&p, "now", now, true)
	if err := p.err(); err != nil {
		return Stats{}, fmt.Errorf("recycle: stats: %w", err)
	}
	st, err := s.store.Stats(ctx, now)
	if err != nil {
		return Stats{}, fmt.Errorf("recycle: stats at %s: %w", now.Format(time.RFC3339), err)
	}
	return st, nil
}

// Extend renews claim's lease for Config.Lease from now on the store's
// clock: the heartbeat of a worker whose task takes long. It returns the
// claim with its new LeaseUntil (and the same Version). A claim that is no
// longer current is an error wrapping ErrLeaseLost. Store errors are
// retried as for Ack.
func (s *Scheduler) Extend(ctx context.Context, claim Entry) (Entry, error) {
	return s.extend(ctx, "extend", claim, s.lease)
}

// Release gives claim back without doing it: the lead is claimable again
// at once, at its place in the queue, and the claim does not count as an
// attempt. A claim that is no longer current is an error wrapping
// ErrLeaseLost. Store errors are retried as for Ack.
func (s *Scheduler) Release(ctx context.Context, claim Entry) error {
	_, err := s.extend(ctx, "release", claim, 0)
	return err
}

func (s *Scheduler) extend(ctx context.Context, op string, claim Entry, lease time.Duration) (Entry, error) {
	if err := checkClaim(claim); err != nil {
		return Entry{}, fmt.Errorf("recycle: %s lead %q: %w", op, claim.LeadID, err)
	}
	var e Entry
	_, err := s.persist(ctx, func() (err error) {
		e, err = s.store.Extend(ctx, claim.LeadID, claim.Version, lease)
		return err
	})
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
