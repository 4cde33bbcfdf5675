package qualify

import (
	"cmp"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/leadqual/leadqual/internal/enum"
	"github.com/leadqual/leadqual/lead"
	"github.com/shopspring/decimal"
)

// Priority is the kind of sales work a decision asks for, decided by
// Evaluate: the first key of the sales work queue (see [Policy.SortQueue]).
// Lower values come first; PriorityNone, the zero value, is not sales'
// work and is never queued before sales' work.
type Priority uint8

// The priorities, in queue order.
const (
	// PriorityNone: not sales' work now (nurture, recycle, drop).
	PriorityNone Priority = iota
	// PriorityNeed: need, routed to sales with a response deadline (a
	// reopened lead included). Answer first and fastest.
	PriorityNeed
	// PriorityReview: a closed lead asked to be helped again; a person
	// decides whether to reopen it, and the prospect is waiting.
	PriorityReview
	// PriorityQualified: marketing-qualified without need; sales accepts
	// or returns it.
	PriorityQualified
	// PriorityPipeline: a lead already in sales' hands (sales accepted to
	// won) without fresh need: keep working it.
	PriorityPipeline
)

var priorityTable = enum.Table[Priority]{Type: "priority", Names: []string{"none", "need", "review", "qualified", "pipeline"}}

// String returns "none", "need", "review", "qualified" or "pipeline".
func (p Priority) String() string { return priorityTable.Name(p) }

// Valid reports whether p is one of the declared priorities.
func (p Priority) Valid() bool { return priorityTable.Valid(p) }

// MarshalText implements encoding.TextMarshaler.
func (p Priority) MarshalText() ([]byte, error) { return priorityTable.Marshal(p) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *Priority) UnmarshalText(b []byte) error { return priorityTable.Set(p, b) }

// Scan implements sql.Scanner.
func (p *Priority) Scan(src any) error { return priorityTable.ScanInto(p, src) }

// Value implements driver.Valuer.
func (p Priority) Value() (driver.Value, error) { return priorityTable.Value(p) }

// queueRank is the place of p in the queue: PriorityNone last.
func (p Priority) queueRank() int {
	if p == PriorityNone {
		return int(PriorityPipeline) + 1
	}
	return int(p)
}

// priorityOf is the priority of a decided decision.
func priorityOf(d *Decision) Priority {
	switch {
	case d.Route == RouteReview:
		return PriorityReview
	case d.Route != RouteSales:
		return PriorityNone
	case d.Verdict == VerdictNeed:
		return PriorityNeed
	case d.Qualified:
		return PriorityQualified
	}
	return PriorityPipeline
}

// QueueBy is what one key of the sales work queue compares.
type QueueBy uint8

// The queue keys. Each orders the work a sales team should do first
// first; decisions equal on one key are ordered by the next.
const (
	// QueueByPriority: Decision.Priority: need, then review, then
	// marketing-qualified, then the pipeline, then everything else.
	QueueByPriority QueueBy = iota + 1
	// QueueByInTime: a response deadline still ahead (at or after now)
	// before one that has passed, and both before no deadline. A lead
	// still in time can be answered while the odds are best: the odds of
	// reaching a lead fall about a hundredfold between five and thirty
	// minutes, so the minutes spent on one already late cost it little and
	// cost a lead still in time a great deal.
	QueueByInTime
	// QueueByValue: the highest potential value first, converted into the
	// base currency of the rates the host passes to SortQueue; an unknown
	// value, and one in a currency the rates cannot convert, come after
	// every known value, equal among themselves: never guessed.
	QueueByValue
	// QueueByDeadline: the response deadline nearest to now first: of
	// deadlines ahead the soonest, of deadlines passed the most recently
	// passed (the fresher the need, the better the odds); ahead before
	// passed, and no deadline last. With a Band, deadlines whose distance
	// from now falls in the same band compare equal, so that later keys
	// (value, fit) decide among them.
	QueueByDeadline
	// QueueByFresh: the newest need first (Decision.NeedAt); decisions
	// without a dated need last. With a Band, needs whose age falls in
	// the same band compare equal.
	QueueByFresh
	// QueueByFit: the highest fit score first.
	QueueByFit
	numQueueBy
)

var queueByNames = [...]string{"", "priority", "in_time", "value", "deadline", "fresh", "fit"}

// String returns the key's name: "priority", "in_time", "value",
// "deadline", "fresh" or "fit".
func (b QueueBy) String() string {
	if b > 0 && b < numQueueBy {
		return queueByNames[b]
	}
	return fmt.Sprintf("queue_by(%d)", uint8(b))
}

// QueueKey is one key of the sales work queue's order
// ([Settings].Queue). In JSON it is the key's name, with its band after a
// colon: "deadline:1h".
type QueueKey struct {
	By QueueBy
	// Band, for deadline and fresh only, makes times within the same band
	// compare equal; zero compares them exactly.
	Band time.Duration
}

// DefaultQueue returns the default order of the sales work queue, a new
// slice on every call:
//
//	priority   need, then review, then marketing-qualified, then the pipeline
//	in_time    leads still within their response deadline first
//	value      then the highest potential value, in the host's base currency
//	deadline   then the deadline nearest to now
//	fresh      then the newest need
//	fit        then the best fit
//
// Answer need first and fastest, and among the leads that can still be
// answered in time, and again among those already late, weigh each by its
// potential value rather than picking the low-hanging fruit: "examine all
// those leads at all stages of the sales funnel against their potential
// value" ("The Lost Value of Sales Leads"). The lead's ID breaks any tie
// that remains.
func DefaultQueue() []QueueKey {
	return []QueueKey{{By: QueueByPriority}, {By: QueueByInTime}, {By: QueueByValue}, {By: QueueByDeadline}, {By: QueueByFresh}, {By: QueueByFit}}
}

// String returns the key as JSON writes it: "value", "deadline:1h".
func (k QueueKey) String() string {
	if k.Band > 0 {
		return k.By.String() + ":" + lead.FormatDuration(k.Band)
	}
	return k.By.String()
}

// MarshalText implements encoding.TextMarshaler.
func (k QueueKey) MarshalText() ([]byte, error) {
	if k.By == 0 || k.By >= numQueueBy {
		return nil, fmt.Errorf("invalid queue key %d", uint8(k.By))
	}
	return []byte(k.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler: ParseQueueKey.
func (k *QueueKey) UnmarshalText(b []byte) error {
	v, err := ParseQueueKey(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// ParseQueueKey reads a queue key: a key's name ("value"), and for
// deadline and fresh an optional band after a colon ("deadline:30m").
func ParseQueueKey(s string) (QueueKey, error) {
	name, band, hasBand := strings.Cut(s, ":")
	var k QueueKey
	for b := QueueBy(1); b < numQueueBy; b++ {
		if queueByNames[b] == name {
			k.By = b
		}
	}
	if k.By == 0 {
		return QueueKey{}, fmt.Errorf("unknown queue key %q (accepted: %s)", clipKind(lead.Kind(name)), strings.Join(queueByNames[1:], ", "))
	}
	if hasBand {
		if k.By != QueueByDeadline && k.By != QueueByFresh {
			return QueueKey{}, fmt.Errorf("queue key %s takes no band (only deadline and fresh do)", name)
		}
		d, err := lead.ParseDuration(band)
		if err != nil {
			return QueueKey{}, fmt.Errorf("queue key %s: band: %w", name, err)
		}
		k.Band = d
	}
	return k, nil
}

// unmarshalSales reads the JSON of the sales settings: the response hours
// and the queue.
func (s *Settings) unmarshalSales(hours json.RawMessage, queue []string) error {
	if len(hours) > 0 && string(hours) != "null" {
		var w lead.WorkingHours
		if err := w.UnmarshalJSON(hours); err != nil {
			return prefixFields("response_hours", err)
		}
		s.ResponseHours = &w
	}
	if queue != nil {
		s.Queue = make([]QueueKey, 0, len(queue))
	}
	for i, q := range queue {
		k, err := ParseQueueKey(q)
		if err != nil {
			return &lead.FieldError{Path: fmt.Sprintf("queue[%d]", i), Problem: err.Error(), Err: err}
		}
		s.Queue = append(s.Queue, k)
	}
	return nil
}

// prefixFields puts prefix before the path of every lead.FieldError err
// holds; other errors get it as "prefix: ".
func prefixFields(prefix string, err error) error {
	errs := unjoin(err)
	out := make([]error, len(errs))
	for i, e := range errs {
		var fe *lead.FieldError
		if errors.As(e, &fe) {
			moved := *fe
			moved.Path = prefix + "." + fe.Path
			out[i] = &moved
		} else {
			out[i] = fmt.Errorf("%s: %w", prefix, e)
		}
	}
	return errors.Join(out...)
}

// unjoin returns the errors err joins, or err alone.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// checkQueue checks the queue of the settings.
func (c *compilation) checkQueue(q []QueueKey) {
	seen := map[QueueBy]bool{}
	for i, k := range q {
		f := fmt.Sprintf("settings.queue[%d]", i)
		switch {
		case k.By == 0 || k.By >= numQueueBy:
			c.problem("", f, "unknown queue key %d", uint8(k.By))
		case seen[k.By]:
			c.problem("", f, "%s listed twice", k.By)
		case k.Band < 0:
			c.problem("", f, "negative band %s", k.Band)
		case k.Band > 0 && k.By != QueueByDeadline && k.By != QueueByFresh:
			c.problem("", f, "%s takes no band (only deadline and fresh do)", k.By)
		}
		seen[k.By] = true
	}
	if q != nil && len(q) == 0 {
		c.problem("", "settings.queue", "empty: leave it out for the default order")
	}
}

// queued is one decision with its sort keys computed once, and its place
// in the input (the last tie-break, which makes the order total).
type queued struct {
	d        *Decision
	value    decimal.Decimal
	hasValue bool
	at       int
	// class is deadlineClass's; deadline and need the distances of the
	// deadline and of the need from now (need -1 when there is none).
	class          int
	deadline, need time.Duration
}

// SortQueue orders ds in place into the sales work queue as of now: the
// policy's Settings.Queue keys in turn (see [DefaultQueue] and
// [QueueBy]), then the lead's ID, then the decision's time. Decisions of
// PriorityNone (nurture, recycle, drop) come after all sales' work, in
// the same order. The order is stable: decisions equal on every key keep
// their order in ds.
//
// Potential values are weighed only through rates, the host's: a value
// in rates.Base or in a currency rates converts is known; any other (an
// unknown value, a currency without a rate) comes after every known value.
// The zero Rates converts nothing, so that value orders nothing; invalid
// rates are an error (lead.Rates.Validate), and ds is then left as it was.
func (p *Policy) SortQueue(ds []Decision, rates lead.Rates, now time.Time) error {
	if rates.Base != "" || len(rates.Rates) > 0 {
		if err := rates.Validate(); err != nil {
			return fmt.Errorf("qualify: queue rates: %w", err)
		}
	}
	keys := p.settings.Queue
	items := make([]queued, len(ds))
	byValue := slices.ContainsFunc(keys, func(k QueueKey) bool { return k.By == QueueByValue })
	for i := range ds {
		d := &ds[i]
		it := queued{d: d, at: i, class: deadlineClass(d, now), need: -1}
		if it.class != noDeadline {
			it.deadline = distance(d.Deadline, now)
		}
		if !d.NeedAt.IsZero() {
			it.need = distance(d.NeedAt, now)
		}
		if byValue && rates.Base != "" {
			if v, err := rates.Convert(ds[i].Value); err == nil {
				it.value, it.hasValue = v.Amount, true
			}
		}
		items[i] = it
	}
	if byValue {
		sameExponent(items)
	}
	// The place in the input settles every tie, so an unstable sort
	// gives the stable order, in O(n log n) comparisons.
	slices.SortFunc(items, func(a, b queued) int {
		for _, k := range keys {
			if c := compareKey(k, &a, &b); c != 0 {
				return c
			}
		}
		return cmp.Or(strings.Compare(a.d.Lead, b.d.Lead), a.d.At.Compare(b.d.At), cmp.Compare(a.at, b.at))
	})
	permute(ds, items)
	return nil
}

// sameExponent writes the known values of items with one exponent, the
// smallest of theirs, so that comparing two is comparing two integers
// (decimal's Cmp of different exponents multiplies one, allocating, at
// every comparison). It changes no value: a value only gains trailing
// zeros. Values whose exponents lie far apart are left as they are.
func sameExponent(items []queued) {
	lo, hi, found := int32(0), int32(0), false
	for i := range items {
		if it := &items[i]; it.hasValue {
			e := it.value.Exponent()
			if !found {
				lo, hi, found = e, e, true
			}
			lo, hi = min(lo, e), max(hi, e)
		}
	}
	if !found || lo == hi || int64(hi)-int64(lo) > 36 { // int64: exponents may lie near both ends of int32
		return
	}
	for i := range items {
		if it := &items[i]; it.hasValue && it.value.Exponent() != lo {
			it.value = it.value.Round(-lo) // exact: lo is at most its exponent
		}
	}
}

// permute puts what was ds[items[i].at] at ds[i], for every i, in place:
// each cycle of the permutation is followed once, with one decision held
// aside. It uses up items.
func permute(ds []Decision, items []queued) {
	for i := range items {
		if items[i].at < 0 || items[i].at == i {
			continue
		}
		held := ds[i]
		j := i
		for {
			from := items[j].at
			items[j].at = -1 // placed
			if from == i {
				ds[j] = held
				break
			}
			ds[j] = ds[from]
			j = from
		}
	}
}

// compareKey compares a and b on one key: negative when a comes first.
func compareKey(k QueueKey, a, b *queued) int {
	switch k.By {
	case QueueByPriority:
		return cmp.Compare(a.d.Priority.queueRank(), b.d.Priority.queueRank())
	case QueueByInTime:
		return cmp.Compare(a.class, b.class)
	case QueueByValue:
		switch {
		case a.hasValue && b.hasValue:
			return b.value.Cmp(a.value)
		case a.hasValue:
			return -1
		case b.hasValue:
			return 1
		}
	case QueueByDeadline:
		if c := cmp.Compare(a.class, b.class); c != 0 || a.class == noDeadline {
			return c
		}
		return cmp.Compare(banded(a.deadline, k.Band), banded(b.deadline, k.Band))
	case QueueByFresh:
		switch {
		case a.need < 0 && b.need < 0:
			return 0
		case a.need < 0:
			return 1
		case b.need < 0:
			return -1
		}
		return cmp.Compare(banded(a.need, k.Band), banded(b.need, k.Band))
	case QueueByFit:
		return cmp.Compare(b.d.Fit, a.d.Fit)
	}
	return 0
}

// The classes of a decision's deadline at now.
const (
	inTime     = iota // the deadline is at or after now
	late              // the deadline has passed
	noDeadline        // no deadline
)

func deadlineClass(d *Decision, now time.Time) int {
	switch {
	case d.Deadline.IsZero():
		return noDeadline
	case now.After(d.Deadline):
		return late
	}
	return inTime
}

// distance is |t - now|, saturating.
func distance(t, now time.Time) time.Duration {
	d := t.Sub(now)
	if d < 0 {
		d = -d
		if d < 0 { // the most negative duration
			d = 1<<63 - 1
		}
	}
	return d
}

// banded returns the band d falls in: d itself when band is zero.
func banded(d, band time.Duration) time.Duration {
	if band <= 0 {
		return d
	}
	return d / band
}
