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
//     token: the conditional writes below compare it.
//   - Claims are leases. An entry is claimable at `now` when it is not
//     claimed and its Due is not after now, or when it is claimed and its
//     LeaseUntil is not after now (the worker that held it did not
//     acknowledge in time). A claimed entry whose lease has not ended is
//     never handed out again; an entry deleted with its claim's Version (an
//     acknowledgement) is never handed out again at all.
//   - Order. Claim hands out entries by Due (earliest first), then Rank
//     (highest first), then LeadID (byte-wise ascending; in SQL, a binary
//     collation such as COLLATE "C").
//   - Time. Times keep at least microsecond precision; their location is
//     not kept (a store may return UTC). The Scheduler writes due times in
//     whole seconds.
//   - Atomicity. Each method is atomic and safe for concurrent use: two
//     concurrent Claims never hand out the same entry; of two conditional
//     writes expecting the same Version, at most one succeeds.
//   - Errors. ErrNotFound and ErrStale are returned as such (or wrapped);
//     a cancelled or expired context fails the call with an error that
//     wraps the context's error, and the call then changes nothing. Any
//     other error is the store's own, described with context.
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
	// whatever e says, so a Put over a claimed entry ends that claim. Put
	// returns the entry as stored.
	Put(ctx context.Context, e Entry, expect uint64) (Entry, error)

	// Delete removes the entry for leadID: with expect 0, whatever its
	// Version; otherwise only if its Version is expect (ErrStale if not).
	// A lead without an entry is ErrNotFound. Deleting with a claim's
	// Version is how a claim is acknowledged.
	Delete(ctx context.Context, leadID string, expect uint64) error

	// Claim leases up to limit (> 0) entries claimable at now (see the
	// contract above), in order, until leaseUntil (after now). Each
	// claimed entry gets a new Version, LeaseUntil = leaseUntil and
	// Claims + 1, and is returned as stored. No claimable entry is no
	// error: an empty result.
	Claim(ctx context.Context, now time.Time, limit int, leaseUntil time.Time) ([]Entry, error)

	// Extend sets the lease of a claimed entry to leaseUntil, if its
	// Version is still version: a worker's heartbeat, or with leaseUntil =
	// now a release. The Version is kept. ErrNotFound if the lead has no
	// entry; ErrStale if the Version differs or the entry is not claimed.
	// A claim may be extended after its lease ended as long as no one has
	// claimed the entry since.
	Extend(ctx context.Context, leadID string, version uint64, leaseUntil time.Time) (Entry, error)
}
