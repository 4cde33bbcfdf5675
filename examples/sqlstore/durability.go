package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/leadqual/leadqual/recycle"
)

// The statements of PostgreSQL's asynchronous claims. See Durability in
// the package documentation for why they are safe.
const (
	// pgAsyncCommit makes the transaction it runs in commit without
	// waiting for its WAL to reach the disk; it ends with the
	// transaction, and the connection goes back to the pool as it was.
	pgAsyncCommit = `SET LOCAL synchronous_commit = off`
	// pgSyncCommit makes the transaction it runs in wait for its WAL to
	// reach the disk, whatever the server's or the role's setting.
	pgSyncCommit = `SET LOCAL synchronous_commit = on`
	// pgReserve takes $1 versions from the store's sequence.
	pgReserve = `SELECT nextval('recycle_version') FROM generate_series(1, $1)`
	// pgInserted is the end of the WAL inserted so far: past the
	// sequence's records of every value already taken.
	pgInserted = `SELECT pg_current_wal_insert_lsn()::text`
	// pgFlushed says whether the WAL is on disk up to $1.
	pgFlushed = `SELECT pg_current_wal_flush_lsn() >= $1::pg_lsn`
)

// Reservations: each takes at least reserveMin versions, and
// reservePerClaim times the claim's batch up to reserveMax (or the batch,
// if larger), so that one durable commit serves many claims; the versions
// a process reserves and never uses are skipped, as the versions of
// rolled-back writes are.
const (
	reserveMin      = 1000
	reservePerClaim = 16
	reserveMax      = 100_000
)

// lease runs fn, the statements of a claim of up to n entries or of a
// lease extension (n = 0), in a transaction on the store's own pool that
// commits asynchronously (SET LOCAL synchronous_commit = off), giving fn n
// versions reserved durably for it. The versions a claim does not use go
// back to the pool; those of a claim that fails are never used again.
// Like write, the caller's ctx interrupts the transaction until its
// commit but not during it.
func (s *Store) lease(ctx context.Context, n int, fn func(q querier, versions []int64) ([]recycle.Entry, error)) ([]recycle.Entry, error) {
	var vs []int64
	if n > 0 {
		var err error
		if vs, err = s.versions.take(ctx, s.db, n); err != nil {
			return nil, err
		}
	}
	var es []recycle.Entry
	err := writeUninterrupted(ctx, s.db, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, pgAsyncCommit); err != nil {
			return err
		}
		return s.hooked(ctx, sqlQuerier{tx: tx}, func(q querier) (err error) {
			es, err = fn(q, vs)
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	if n > 0 {
		s.versions.giveBack(unused(vs, es))
	}
	return es, nil
}

// unused returns the versions of vs that no entry of es has: a claim
// returns every entry it wrote, so no one has seen these.
func unused(vs []int64, es []recycle.Entry) []int64 {
	used := make(map[uint64]bool, len(es))
	for _, e := range es {
		used[e.Version] = true
	}
	var out []int64
	for _, v := range vs {
		if !used[uint64(v)] {
			out = append(out, v)
		}
	}
	return out
}

// versionPool holds the versions a Store reserved for its asynchronous
// claims: values of the store's sequence whose advance is on disk, so
// that no crash of the server can hand them out again, and that this
// Store hands out at most once each.
type versionPool struct {
	mu   sync.Mutex
	free []int64
	// reserving is held by the one call that reserves more.
	reserving chan struct{}
}

func (p *versionPool) init() { p.reserving = make(chan struct{}, 1) }

// take returns n versions, reserving more on db first if the pool holds
// fewer.
func (p *versionPool) take(ctx context.Context, db *sql.DB, n int) ([]int64, error) {
	if vs := p.pop(n); vs != nil {
		return vs, nil
	}
	select {
	case p.reserving <- struct{}{}:
		defer func() { <-p.reserving }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if vs := p.pop(n); vs != nil { // another call reserved meanwhile
		return vs, nil
	}
	got, err := reserveVersions(ctx, db, max(n, reserveMin, min(reservePerClaim*n, reserveMax)))
	if err != nil {
		return nil, fmt.Errorf("reserve versions for asynchronous claims (PostgresConfig.DurableClaims turns them off): %w", err)
	}
	p.mu.Lock()
	p.free = append(p.free, got...)
	p.mu.Unlock()
	return p.pop(n), nil
}

// pop takes n versions from the pool, or none if it holds fewer.
func (p *versionPool) pop(n int) []int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.free) < n {
		return nil
	}
	vs := slices.Clone(p.free[len(p.free)-n:])
	p.free = p.free[:len(p.free)-n]
	return vs
}

// giveBack returns versions that no one has seen to the pool.
func (p *versionPool) giveBack(vs []int64) {
	if len(vs) == 0 {
		return
	}
	p.mu.Lock()
	p.free = append(p.free, vs...)
	p.mu.Unlock()
}

// reserveTries is how many reservations reserveVersions makes, in a row,
// before it waits for the WAL writer instead.
const reserveTries = 3

// errNotFlushed is a reservation whose commit did not flush the WAL far
// enough.
var errNotFlushed = errors.New("the WAL is not flushed past the reserved versions")

// reserveVersions takes n versions from the store's sequence and returns
// them once their advance of the sequence is on disk.
//
// PostgreSQL logs a sequence's advance in the WAL ahead of the values it
// hands out (32 at a time), and after a crash resumes from the last
// advance whose record reached the disk: a value handed out by a
// transaction whose WAL was lost is handed out again. So versions taken
// by a claim that commits asynchronously could come back, and a claim
// lost in a crash and the claim after it could give the same lead the
// same version: two fencing tokens equal. Versions taken here come back
// never: they are returned only once the WAL is flushed past the point
// where they were all taken (pg_current_wal_insert_lsn, read after
// them), so past every record of the sequence that covers them.
//
// The reservation commits synchronously, whatever the server's setting;
// its commit flushes the WAL past its own nextval records. In the rare
// case where another session wrote every record that covers these values
// and has not committed, nothing flushed them: reserveVersions tries
// again with new values, and after reserveTries tries waits, as long as
// ctx allows, for the WAL to be flushed there: by the next synchronous
// commit of any session, or by the WAL writer, which flushes asynchronous
// commits and aborts within three times wal_writer_delay.
func reserveVersions(ctx context.Context, db *sql.DB, n int) ([]int64, error) {
	var (
		vs  []int64
		lsn string
		err error
	)
	for range reserveTries {
		if vs, lsn, err = reserveOnce(ctx, db, n); err == nil {
			var flushed bool
			if err = db.QueryRowContext(ctx, pgFlushed, lsn).Scan(&flushed); err == nil && flushed {
				return vs, nil
			}
		}
		if err != nil {
			return nil, err
		}
	}
	// Wait for the WAL writer to flush the last ones.
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %w", errNotFlushed, ctx.Err())
		case <-time.After(wait):
		}
		var flushed bool
		if err := db.QueryRowContext(ctx, pgFlushed, lsn).Scan(&flushed); err != nil {
			return nil, err
		}
		if flushed {
			return vs, nil
		}
	}
}

// reserveOnce takes n versions in a transaction that commits
// synchronously, and returns them with the end of the WAL inserted after
// they were taken.
func reserveOnce(ctx context.Context, db *sql.DB, n int) (vs []int64, lsn string, err error) {
	err = inTx(ctx, db, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, pgSyncCommit); err != nil {
			return err
		}
		rs, err := tx.QueryContext(ctx, pgReserve, n)
		if err != nil {
			return err
		}
		defer rs.Close()
		vs = make([]int64, 0, n)
		for rs.Next() {
			var v int64
			if err := rs.Scan(&v); err != nil {
				return err
			}
			vs = append(vs, v)
		}
		if err := rs.Err(); err != nil {
			return err
		}
		if len(vs) != n {
			return fmt.Errorf("reserved %d versions, not %d", len(vs), n)
		}
		return tx.QueryRowContext(ctx, pgInserted).Scan(&lsn)
	})
	return vs, lsn, err
}
