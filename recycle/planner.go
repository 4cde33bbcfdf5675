package recycle

import (
	"fmt"
	"maps"
	"math"
	"time"

	"github.com/leadqual/leadqual/internal/enum"
	"github.com/leadqual/leadqual/lead"
)

// Planner turns a reason into a due time and a follow-up task. It is
// compiled once from [Horizons] by [NewPlanner], is immutable, and is safe
// for concurrent use. [Planner.Plan] is a pure function of its arguments.
type Planner struct {
	h     Horizons      // defaults filled, validated
	hours lead.Calendar // the zero Calendar: any time
	zone  *time.Location
	zones lead.Zones // the contacts' zones loaded so far
}

// Prior is what happened to a lead before this recycle.
type Prior struct {
	// Recycles is how many times the lead was recycled before: 0 the first
	// time. Horizons back off with it, up to the reason's Longest, and
	// from Horizons.Cap on the lead waits its reason's Longest.
	Recycles int
	// Attempt is the number of unanswered attempts so far in this round,
	// the one that has just failed included, for a reason with quick
	// retries (unresponsive); values below 1 count as 1. Other reasons
	// ignore it.
	Attempt int
}

// Basis says how a [Plan]'s due time was chosen.
//
// The zero value is BasisHorizon.
type Basis uint8

// The bases.
const (
	BasisHorizon Basis = iota // the first recycle: the horizon's After
	BasisBackoff              // a repeated recycle: After × Backoff^n, at most the reason's Longest
	BasisCap                  // the recycle cap was reached: the reason's Longest
	BasisAnchor               // the lead's own date (expected purchase, renewal), less Ahead
	BasisLongest              // the lead's date lies beyond Horizons.Longest: that ceiling
	BasisRetry                // a quick retry of an unanswered attempt
)

var basisTable = enum.Table[Basis]{Type: "basis", Names: []string{"horizon", "backoff", "cap", "anchor", "longest", "retry"}}

// String returns the basis's name, e.g. "backoff".
func (b Basis) String() string { return basisTable.Name(b) }

// MarshalText implements encoding.TextMarshaler.
func (b Basis) MarshalText() ([]byte, error) { return basisTable.Marshal(b) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (b *Basis) UnmarshalText(text []byte) error {
	v, err := basisTable.Parse(string(text))
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// Plan is when a recycled lead is due again, and what to do then.
type Plan struct {
	// LeadID is the lead's ID.
	LeadID string
	// Reason is the reason planned for: the argument, or the lead's
	// LostReason when that was empty.
	Reason lead.Reason
	// Due is when the lead should be called again, in whole seconds, in the
	// lead's time zone: never before now and, jitter and working hours
	// aside, never later than now + the reason's Longest, unless the lead's
	// own anchor date lies further (BasisAnchor), and never later than
	// now + Horizons.Longest.
	Due time.Time
	// Task is the follow-up for whoever calls the lead.
	Task string
	// Basis says how Due was chosen.
	Basis Basis
	// Wait is Due - now before jitter and working hours moved it: always
	// positive.
	Wait time.Duration
	// Next is the Prior to record with the schedule and pass to the next
	// Plan of this lead.
	Next Prior
}

// NewPlanner fills in the defaults of h, validates it and compiles it. An
// invalid configuration is an error naming every offending field
// (errors.Is(err, ErrInvalid); errors.As finds a *lead.FieldError).
func NewPlanner(h Horizons) (*Planner, error) {
	h = h.withDefaults()
	if err := h.validate(); err != nil {
		return nil, fmt.Errorf("recycle: invalid horizons: %w", err)
	}
	p := &Planner{h: h, zone: time.UTC}
	if h.Hours != nil {
		cal, err := h.Hours.Calendar()
		if err != nil {
			var pr problems
			hoursProblems(&pr, "Horizons.Hours.", err, true)
			return nil, fmt.Errorf("recycle: invalid horizons: %w", pr.err())
		}
		p.hours, p.zone = cal, cal.Location()
	}
	return p, nil
}

// Horizons returns the configuration in force, defaults filled in.
func (p *Planner) Horizons() Horizons {
	h := p.h
	h.Reasons = maps.Clone(p.h.Reasons)
	if p.h.Hours != nil {
		w := *p.h.Hours
		h.Hours = &w
	}
	return h
}

// Horizon returns the horizon in force for reason r: its own, or the
// fallback for a reason without one. A final reason is ErrFinal.
func (p *Planner) Horizon(r lead.Reason) (Horizon, error) {
	if r.Final() {
		return Horizon{}, fmt.Errorf("recycle: reason %s: %w", r, ErrFinal)
	}
	var pr problems
	checkReason(&pr, "reason", r)
	if err := pr.err(); err != nil {
		return Horizon{}, fmt.Errorf("recycle: %w", err)
	}
	return p.horizon(r), nil
}

func (p *Planner) horizon(r lead.Reason) Horizon {
	if h, ok := p.h.Reasons[r]; ok {
		return h
	}
	return p.h.Fallback
}

// Plan decides when lead l, recycled now for reason r (l.LostReason when r
// is empty), is due again and what to do then, given what happened to it
// before. The same arguments always give the same Plan.
//
// In order of precedence:
//   - a quick retry, while a reason with Attempts has had fewer unanswered
//     attempts than that (BasisRetry);
//   - the lead's anchor date, when the horizon has one and the lead's date
//     lies ahead, less Ahead (BasisAnchor): the prospect's own date wins
//     over the reason's Longest, but goes no further than Horizons.Longest
//     (BasisLongest);
//   - the reason's Longest, once the lead has been recycled Cap times
//     (BasisCap);
//   - the horizon's After, backed off for each earlier recycle, never more
//     than the reason's Longest (BasisHorizon, BasisBackoff).
//
// So a lead is never left longer than its reason's Longest unless its own
// date says so: the schedule never gives up on a reachable lead.
//
// Jitter derived from the lead ID then moves the due time a little later,
// and working hours, when configured, move it into the next working moment
// in the lead's time zone.
//
// A final reason is an error wrapping ErrFinal; bad input (no lead, an
// empty ID or reason, a zero now, negative counts, an unknown time zone)
// is an error wrapping ErrInvalid that names the field.
func (p *Planner) Plan(l *lead.Lead, r lead.Reason, prior Prior, now time.Time) (Plan, error) {
	if l == nil {
		return Plan{}, fmt.Errorf("recycle: plan: %w", invalid("lead", "nil"))
	}
	if r == "" {
		r = l.LostReason
	}
	if r.Final() {
		return Plan{}, fmt.Errorf("recycle: plan lead %q: reason %s: %w", l.ID, r, ErrFinal)
	}
	var pr problems
	checkID(&pr, "lead.id", l.ID)
	if r == "" {
		pr.add("reason", "empty, and the lead has no lost_reason")
	} else {
		checkReason(&pr, "reason", r)
	}
	checkTime(&pr, "now", now, true)
	if prior.Recycles < 0 || prior.Recycles > MaxCount {
		pr.add("prior.recycles", "%d is outside 0 to %d", prior.Recycles, MaxCount)
	}
	if prior.Attempt < 0 || prior.Attempt > MaxCount {
		pr.add("prior.attempt", "%d is outside 0 to %d", prior.Attempt, MaxCount)
	}
	loc, err := p.location(l.Contact.TimeZone)
	if err != nil {
		pr = append(pr, &lead.FieldError{Path: "lead.contact.time_zone", Problem: fmt.Sprintf("unknown time zone %q", l.Contact.TimeZone), Err: err})
	}
	if err := pr.err(); err != nil {
		return Plan{}, fmt.Errorf("recycle: plan lead %q: %w", l.ID, err)
	}
	now = now.Round(0) // no monotonic reading: plans depend on the instant only

	h := p.horizon(r)
	plan := Plan{
		LeadID: l.ID,
		Reason: r,
		Task:   h.Task,
		Next:   Prior{Recycles: min(prior.Recycles+1, MaxCount)},
	}
	attempt := max(prior.Attempt, 1)
	var due time.Time
	switch date := p.anchor(l, h); {
	case h.Attempts > 1 && attempt < h.Attempts:
		plan.Basis = BasisRetry
		plan.Task = fmt.Sprintf("%s (attempt %d of %d)", h.Task, attempt+1, h.Attempts)
		plan.Next = Prior{Recycles: prior.Recycles, Attempt: attempt}
		due = now.Add(p.grow(h.Retry, attempt-1, h.After))
	case date.After(now):
		d := date.Add(-h.Ahead)
		if !d.After(now) {
			d = date // too late to be early: on the date
		}
		plan.Basis, due = BasisAnchor, d
		if d.Sub(now) > p.h.Longest {
			plan.Basis, due = BasisLongest, now.Add(p.h.Longest)
		}
	case prior.Recycles >= p.h.Cap:
		plan.Basis, due = BasisCap, now.Add(h.Longest)
	default:
		plan.Basis = BasisHorizon
		if prior.Recycles > 0 {
			plan.Basis = BasisBackoff
		}
		due = now.Add(p.grow(h.After, prior.Recycles, h.Longest))
	}
	plan.Wait = due.Sub(now)

	sum := fnv1a(l.ID)
	if j := min(p.h.Jitter, plan.Wait/10) / time.Second; j > 0 {
		due = due.Add(time.Duration(sum%uint64(j)) * time.Second)
	}
	if t := due.Truncate(time.Second); t.Before(due) {
		due = t.Add(time.Second)
	}
	due = align(p.hours.In(loc), due, sum>>32)
	if !due.Before(maxTime) {
		return Plan{}, fmt.Errorf("recycle: plan lead %q: %w", l.ID, invalid("now", "due time %s lies beyond %d", due.Format(time.RFC3339), maxTime.Year()-1))
	}
	plan.Due = due.In(loc)
	return plan, nil
}

// anchor returns the lead's date a horizon is anchored to, or zero.
func (p *Planner) anchor(l *lead.Lead, h Horizon) time.Time {
	switch h.Anchor {
	case AnchorExpectedPurchase:
		return l.ExpectedPurchase
	case AnchorRenewal:
		return l.Renewal
	}
	return time.Time{}
}

// grow returns base × Backoff^n, at most bound, in whole seconds.
func (p *Planner) grow(base time.Duration, n int, bound time.Duration) time.Duration {
	f := float64(base) * math.Pow(p.h.Backoff, float64(n))
	if math.IsInf(f, 0) || math.IsNaN(f) || f >= float64(bound) {
		return bound
	}
	return time.Duration(f).Round(time.Second)
}

// location returns the time zone named name (the contact's) from the
// Planner's lead.Zones, or the default zone for "".
func (p *Planner) location(name string) (*time.Location, error) {
	if name == "" {
		return p.zone, nil
	}
	return p.zones.Load(name)
}

// fnv1a is the 64-bit FNV-1a hash of s: the source of a lead's jitter,
// stable across processes and versions.
func fnv1a(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
