package recycle

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leadqual/leadqual/lead"
)

// Entry is one scheduled recycle: a lead, when it is due, why it was
// recycled and what to do when it comes round. A [Store] keeps at most one
// entry per lead ID.
//
// The fields above Version are what the caller writes; Version, Schedule,
// LeaseUntil and Claims belong to the store, which ignores them on
// [Store.Put].
//
// Two clocks meet in an entry. Due and Since are the caller's: the
// business's timeline, which a replay or a test may set anywhere. LeaseUntil
// is the store's: its own clock (the database's, for a SQL store) decides
// when a lease ends, so that no worker's clock, however wrong, can make a
// live lease look over.
type Entry struct {
	// LeadID identifies the lead: the host's lead.Lead.ID, or for an
	// entry of one of the lead's product lines EntryKey(ID, line) (see
	// Scheduler.RecycleLine and Entry.Lead).
	LeadID string `json:"lead_id"`
	// Due is when the lead should be called again, on the caller's clock.
	// Due leads are claimed in order of Due, then Rank (highest first),
	// then LeadID (byte-wise).
	Due time.Time `json:"due"`
	// Reason is why the lead was recycled.
	Reason lead.Reason `json:"reason"`
	// Task is the follow-up the worker who claims the lead should do:
	// "Reach the sales, finance or managing director", "new interest in
	// RoutePlanner".
	Task string `json:"task"`
	// Rank orders leads due at the same time: higher first. The
	// [Scheduler] derives it from the lead's potential value (see
	// [Config.Currency] and [Config.Rank]).
	Rank int64 `json:"rank"`
	// Recycles counts how many times the lead has been recycled before;
	// horizons back off with it.
	Recycles int `json:"recycles,omitempty"`
	// Attempt counts the unanswered attempts of the current round for a
	// reason with quick retries (unresponsive); 0 otherwise.
	Attempt int `json:"attempt,omitempty"`
	// Since is when the schedule was made: the `now` of the call that wrote
	// it. A repeated [Scheduler.Recycle] with the same reason and the same
	// now is recognised by it and not counted twice.
	Since time.Time `json:"since"`
	// Failures counts the failed attempts at this schedule's task that
	// have been written down: claims that the worker reported failed
	// ([Scheduler.Fail]) and claims whose lease ran out. The [Scheduler]
	// keeps it; a new schedule ([Scheduler.Recycle], RecycleClaimed)
	// starts again from 0.
	Failures int `json:"failures,omitempty"`
	// LastError says why the last failed attempt failed; "" if none.
	LastError string `json:"last_error,omitempty"`
	// Dead parks the entry: it is never claimed, whatever its Due, until a
	// Put clears it ([Scheduler.Requeue]). The Scheduler sets it when a
	// lead has failed [Config.MaxAttempts] times. Dead entries are listed
	// by [Store.Dead] and counted by [Store.Stats].
	Dead bool `json:"dead,omitempty"`

	// Version identifies this state of the entry. The store sets it on
	// every Put and every Claim, never to 0 and never to a value it used
	// before for the same lead ID; conditional writes compare it. A claim's
	// Version is its fencing token.
	Version uint64 `json:"version,omitempty"`
	// Schedule identifies the schedule the entry holds: the Version of the
	// Put that started it, kept by every Claim and Extend, and by the
	// Scheduler's rewrites of the same schedule (a failure written down, a
	// lead made dead or requeued). Every claim of one schedule,
	// redeliveries and retries included, has the same Schedule; see
	// [Entry.IdempotencyKey].
	Schedule uint64 `json:"schedule,omitempty"`
	// LeaseUntil is when the current claim's lease ends, on the store's
	// clock; zero when the entry is not claimed. It stays set after the
	// lease ends until the entry is claimed again, acknowledged or
	// rewritten.
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	// Claims counts how many times this schedule has been claimed and not
	// released: more than 1 means an earlier worker did not acknowledge it
	// before its lease ran out.
	Claims int `json:"claims,omitempty"`
}

// IdempotencyKey is the key of the work a claim asks for:
// "<LeadID>@<Schedule>". It is the same for every claim of one schedule, so
// a lead handed out again (its worker died between doing the task and
// acknowledging it) has the key of the first delivery, and a new schedule
// of the same entry (a recycle, a wake) has a new one. A host stores it
// with its side effect, in a unique column, and does the effect only if
// the key is new: the task is then done at most once per schedule, though
// delivery is at least once. (It is not the entry's key in the store,
// which is LeadID: see EntryKey.)
func (e Entry) IdempotencyKey() string {
	return e.LeadID + "@" + strconv.FormatUint(e.Schedule, 10)
}

// Limits of an [Entry], checked by [Entry.Validate].
const (
	// MaxIDLen is the longest lead ID, in bytes.
	MaxIDLen = 512
	// MaxTaskLen is the longest task, in bytes.
	MaxTaskLen = 1024
	// MaxReasonLen is the longest reason, in bytes.
	MaxReasonLen = 64
	// MaxErrorLen is the longest LastError, in bytes; the Scheduler
	// shortens longer ones.
	MaxErrorLen = 1024
	// MaxCount bounds Recycles, Attempt and Failures.
	MaxCount = math.MaxUint16
)

// The span of times an entry may hold: anything outside is a bug upstream,
// and every store (and time.Time.UnixNano) can represent the span.
var (
	minTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

func checkTime(p *problems, field string, t time.Time, required bool) {
	switch {
	case t.IsZero():
		if required {
			p.add(field, "missing")
		}
	case t.Before(minTime) || !t.Before(maxTime):
		p.add(field, "%s is outside %d to %d", t.Format(time.RFC3339), minTime.Year(), maxTime.Year()-1)
	}
}

func checkID(p *problems, field, id string) {
	switch {
	case strings.TrimSpace(id) == "":
		p.add(field, "empty")
	case len(id) > MaxIDLen:
		p.add(field, "%d bytes, more than %d", len(id), MaxIDLen)
	case !utf8.ValidString(id):
		p.add(field, "not valid UTF-8")
	default:
		checkKey(p, field, id)
	}
}

func checkReason(p *problems, field string, r lead.Reason) {
	switch {
	case strings.TrimSpace(string(r)) == "":
		p.add(field, "empty")
	case len(r) > MaxReasonLen:
		p.add(field, "%d bytes, more than %d", len(r), MaxReasonLen)
	case !utf8.ValidString(string(r)):
		p.add(field, "not valid UTF-8")
	case r.Final():
		p.add(field, "%s is final: the lead is never recycled", r)
	}
}

func checkTask(p *problems, field, task string) {
	switch {
	case strings.TrimSpace(task) == "":
		p.add(field, "empty")
	case len(task) > MaxTaskLen:
		p.add(field, "%d bytes, more than %d", len(task), MaxTaskLen)
	case !utf8.ValidString(task):
		p.add(field, "not valid UTF-8")
	}
}

// Validate reports what is wrong with the caller's fields of e (Version,
// Schedule, LeaseUntil and Claims are the store's and are not checked), as
// an *InvalidError (errors.Is(err, ErrInvalid)), or nil. The [Scheduler]
// validates every entry before it writes it; a Store may call Validate to
// refuse bad entries written to it directly.
func (e *Entry) Validate() error {
	var p problems
	checkID(&p, "entry.lead_id", e.LeadID)
	checkTime(&p, "entry.due", e.Due, true)
	checkReason(&p, "entry.reason", e.Reason)
	checkTask(&p, "entry.task", e.Task)
	if e.Recycles < 0 || e.Recycles > MaxCount {
		p.add("entry.recycles", "%d is outside 0 to %d", e.Recycles, MaxCount)
	}
	if e.Attempt < 0 || e.Attempt > MaxCount {
		p.add("entry.attempt", "%d is outside 0 to %d", e.Attempt, MaxCount)
	}
	if e.Failures < 0 || e.Failures > MaxCount {
		p.add("entry.failures", "%d is outside 0 to %d", e.Failures, MaxCount)
	}
	switch {
	case len(e.LastError) > MaxErrorLen:
		p.add("entry.last_error", "%d bytes, more than %d", len(e.LastError), MaxErrorLen)
	case !utf8.ValidString(e.LastError):
		p.add("entry.last_error", "not valid UTF-8")
	}
	checkTime(&p, "entry.since", e.Since, true)
	return p.err()
}
