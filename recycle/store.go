package recycle

import (
	"context"
	"time"
)

// Store keeps the recycle schedule: at most one [Entry] per lead ID. A host
// implements it over its own database; [MemStore] is the in-memory default.
// The [Scheduler] is the usual caller; the package recycletest holds the
// conformance suite every implementation must pass.
//
// The contract, which recycletest checks:
//
//   - Versions. Every Put and every Claim gives the entry a new Version:
//     never 0, and never a value used before for the same lead ID, even
//     after the entry was deleted and created again (a store-wide sequence
//     does it). Extend keeps the Version. A claim's Version is its fencing
//     token: the conditional writes below compare it. Schedule is the
//     Version of the Put that started the schedule; Claim and Extend keep
//     it, and so does a Put that says so (see Put).
//   - Two clocks. Whether an entry is due is decided on the caller's clock:
//     the now passed to Claim and Stats, against Due. Whether a lease has
//     ended is decided on the store's own clock, and only there: a store
//     sets LeaseUntil to its clock plus the lease asked for, and compares
//     it with its clock. A SQL store uses the database's clock (now() in
//     PostgreSQL, the clock of the SQLite library), so that workers whose
//     clocks disagree, or that replay another day (a `now` in the past or
//     the future), never see a live lease as ended. [MemStore] uses its
//     Clock: one process, one clock.
//   - Claims are leases. An entry is claimable at now when it is not dead,
//     its Due is not after now, and it is not held: it is not claimed, or
//     its lease has ended on the store's clock (the worker that held it
//     did not acknowledge in time). A claimed entry whose lease has not
//     ended is never handed out again; an entry deleted with its claim's
//     Version (an acknowledgement) is never handed out again at all.
//   - Order. Claim hands out entries by Due (earliest first), then Rank
//     (highest first), then LeadID (byte-wise ascending; in SQL, a binary
//     collation such as COLLATE "C").
//   - Cost. A claim costs in proportion to what it returns (and to the
//     leases still running among the entries due before them), never to
//     the number of entries scheduled, due later, dead, or whose lease
//     ended.
//   - Time. Times keep at least microsecond precision; their location is
//     not kept (a store may return UTC). The Scheduler writes due times in
//     whole seconds.
//   - Atomicity. Each method is atomic and safe for concurrent use: two
//     concurrent Claims never hand out the same entry; of two conditional
//     writes expecting the same Version, at most one succeeds.
//   - Errors. ErrNotFound and ErrStale are returned as such (or wrapped);
//     a limit or a lease out of range, or an entry that Entry.Validate
//     refuses, is an error wrapping ErrInvalid;
//     a cancelled or expired context fails the call with an error that
//     wraps the context's error, and the call then changes nothing. An
//     error that may pass (busy, connection lost) wraps ErrUnavailable.
//     Any other error is the store's own, described with context.
//
// A store bound to a transaction of the host (such as the sqlstore
// example's Store.Tx) keeps the same contract, except that its writes take
// effect when the host commits, and vanish if it rolls back.
//
// Method by method:
type Store interface {
	// Get returns the entry for leadID, or ErrNotFound.
	Get(ctx context.Context, leadID string) (Entry, error)

	// Put writes e as the schedule of e.LeadID, on a condition: with
	// expect 0 the lead must have no entry (otherwise ErrStale); with any
	// other expect the stored entry must have that Version (ErrNotFound if
	// there is none, ErrStale if its Version differs). The written entry
	// has a new Version and is not claimed: LeaseUntil zero and Claims 0
	// whatever e says, so a Put over a claimed entry ends that claim. Its
	// Schedule is the new Version (a new schedule), unless e.Schedule is
	// the stored entry's Schedule: then the caller rewrites the same
	// schedule (a failure written down, a dead entry requeued) and
	// Schedule is kept. Put returns the entry as stored.
	Put(ctx context.Context, e Entry, expect uint64) (Entry, error)

	// Delete removes the entry for leadID: with expect 0, whatever its
	// Version; otherwise only if its Version is expect (ErrStale if not).
	// A lead without an entry is ErrNotFound. Deleting with a claim's
	// Version is how a claim is acknowledged.
	Delete(ctx context.Context, leadID string, expect uint64) error

	// Claim leases up to limit (> 0) entries claimable at now (see the
	// contract above), in order, for lease (> 0) on the store's clock.
	// Each claimed entry gets a new Version, LeaseUntil = the store's
	// clock + lease, and Claims + 1, and is returned as stored. No
	// claimable entry is no error: an empty result.
	Claim(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]Entry, error)

	// Extend sets the lease of a claimed entry to end lease (>= 0) from
	// now on the store's clock, if its Version is still version: a
	// worker's heartbeat. A lease of 0 is a release: the lease ends now,
	// and if it was still running the claim is not counted (Claims - 1),
	// so that a lead given back unworked does not count towards its
	// attempts (a release repeated, or after the lease ran out, uncounts
	// nothing). The Version is kept.
	// ErrNotFound if the lead has no entry; ErrStale if the Version
	// differs or the entry is not claimed. A claim may be extended (or
	// released) after its lease ended as long as no one has claimed the
	// entry since.
	Extend(ctx context.Context, leadID string, version uint64, lease time.Duration) (Entry, error)

	// Dead returns up to limit (> 0) dead entries whose lead ID sorts
	// after after (byte-wise; "" for the first page), in lead ID order:
	// the host pages through them to inspect and requeue them.
	Dead(ctx context.Context, after string, limit int) ([]Entry, error)

	// Stats counts the entries at now (the caller's clock, for what is
	// due; leases on the store's). It may read every entry: call it for
	// monitoring, not in a claim loop.
	Stats(ctx context.Context, now time.Time) (Stats, error)
}

// Stats is the depth of the queue, from [Store.Stats].
type Stats struct {
	// Scheduled counts the entries that are not dead, claimed or not.
	Scheduled int64 `json:"scheduled"`
	// Due counts the entries claimable now: due, not dead, and not held
	// by a running lease. It includes Expired entries that are due.
	Due int64 `json:"due"`
	// Leased counts the entries held by a lease that has not ended.
	Leased int64 `json:"leased"`
	// Expired counts the entries whose lease ended without an
	// acknowledgement (a worker died, hung, or released the lead) and that
	// no one has claimed since.
	Expired int64 `json:"expired"`
	// Dead counts the dead entries (see [Entry.Dead]).
	Dead int64 `json:"dead"`
	// OldestDue is the earliest Due among the Due entries: how far behind
	// the workers are. Zero when nothing is due.
	OldestDue time.Time `json:"oldest_due,omitzero"`
}
