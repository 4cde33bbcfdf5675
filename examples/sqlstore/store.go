package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/recycle"
)

// Dialect names the SQL database behind a [Store].
type Dialect uint8

const (
	// SQLite is SQLite 3.35 or later (RETURNING, UPDATE FROM, partial
	// indexes), as modernc.org/sqlite embeds it.
	SQLite Dialect = iota + 1
	// PostgreSQL is PostgreSQL 12 or later (MATERIALIZED common table
	// expressions, SKIP LOCKED), through github.com/jackc/pgx/v5.
	PostgreSQL
)

// String returns "sqlite" or "postgresql".
func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case PostgreSQL:
		return "postgresql"
	}
	return fmt.Sprintf("Dialect(%d)", uint8(d))
}

func (d Dialect) valid() bool { return d == SQLite || d == PostgreSQL }

// Store is a [recycle.Store] on a SQL database: SQLite for a single
// process (the embedded default), PostgreSQL for many workers on many
// machines. It keeps the contract documented on recycle.Store and passes
// the conformance suite recycletest.
//
// Create it with [OpenSQLite] or [OpenPostgres], which open and configure
// the connection pools and apply [Migrate], or with [New] over a pool the
// host opened itself. A Store is safe for concurrent use, and any number of
// Stores, in any number of processes, may share one database: every method
// is one transaction.
//
// Times are stored with microsecond precision: a time written with
// nanoseconds comes back truncated to the microsecond, in UTC.
//
// A call whose context ends before it commits fails with an error wrapping
// the context's error and changes nothing: its transaction is rolled back.
// Once its commit has begun, the call waits for it and reports its
// outcome. Only a connection lost during a commit leaves the outcome
// unknown, as with any database; the recycle package allows for it (a
// claim whose answer was lost holds its leads only until the lease ends,
// and conditional writes can be retried).
type Store struct {
	dialect Dialect
	eng     engine
	db      *sql.DB   // the pool that writes (and reads, unless ro differs)
	ro      *sql.DB   // the pool that reads
	owned   []*sql.DB // the pools Close closes
}

var _ recycle.Store = (*Store)(nil)

// engine is the SQL of one dialect. Its methods take validated arguments
// (times truncated to the microsecond, in UTC) and return the store's
// sentinel errors unwrapped, or the database's error.
type engine interface {
	get(ctx context.Context, db *sql.DB, leadID string) (recycle.Entry, error)
	put(ctx context.Context, db *sql.DB, e recycle.Entry, expect uint64) (recycle.Entry, error)
	delete(ctx context.Context, db *sql.DB, leadID string, expect uint64) error
	claim(ctx context.Context, db *sql.DB, now time.Time, limit int, leaseUntil time.Time) ([]recycle.Entry, error)
	extend(ctx context.Context, db *sql.DB, leadID string, version uint64, leaseUntil time.Time) (recycle.Entry, error)
	close() error
}

// New returns a Store over db, a pool the host opened and configured, whose
// schema [Migrate] has created. Close does not close db. ctx bounds the
// preparation of the store's statements.
//
// For SQLite, the pool's connections should wait for locks (busy_timeout)
// and begin their transactions IMMEDIATE (modernc.org/sqlite's DSN
// parameter _txlock=immediate), or the pool should hold one connection;
// otherwise two processes writing at once may fail with SQLITE_BUSY.
// [OpenSQLite] does all of this.
func New(ctx context.Context, db *sql.DB, d Dialect) (*Store, error) {
	if db == nil {
		return nil, errors.New("sqlstore: new store: nil *sql.DB")
	}
	if !d.valid() {
		return nil, fmt.Errorf("sqlstore: new store: unknown dialect %s", d)
	}
	s, err := newStore(ctx, d, db, db)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: new %s store: %w", d, err)
	}
	return s, nil
}

func newStore(ctx context.Context, d Dialect, db, ro *sql.DB, owned ...*sql.DB) (*Store, error) {
	s := &Store{dialect: d, db: db, ro: ro, owned: owned}
	switch d {
	case SQLite:
		eng, err := newSQLiteEngine(ctx, db, ro)
		if err != nil {
			return nil, err
		}
		s.eng = eng
	case PostgreSQL:
		// pgx prepares and caches the statements of each connection.
		s.eng = postgresEngine{}
	}
	return s, nil
}

// Dialect returns the store's dialect.
func (s *Store) Dialect() Dialect { return s.dialect }

// DB returns the pool the store writes with: the host may run its own
// queries on it (reports, say), and must not close it while the store is
// in use.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the pools that OpenSQLite or OpenPostgres opened; a Store
// made by New leaves its pool open. Calls after Close fail with an error
// of database/sql.
func (s *Store) Close() error {
	var errs []error
	errs = append(errs, s.eng.close())
	for _, db := range s.owned {
		if err := db.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	s.owned = nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlstore: close: %w", err)
	}
	return nil
}

// Get implements [recycle.Store.Get].
func (s *Store) Get(ctx context.Context, leadID string) (recycle.Entry, error) {
	if err := ctx.Err(); err != nil {
		return recycle.Entry{}, fmt.Errorf("sqlstore: get lead %q: %w", leadID, err)
	}
	if !storable(leadID) {
		return recycle.Entry{}, fmt.Errorf("sqlstore: get lead %q: %w", leadID, recycle.ErrNotFound)
	}
	e, err := s.eng.get(ctx, s.ro, leadID)
	if err != nil {
		err = cancelled(ctx, err)
		return recycle.Entry{}, fmt.Errorf("sqlstore: get lead %q: %w", leadID, err)
	}
	return e, nil
}

// Put implements [recycle.Store.Put]. An entry that [recycle.Entry.Validate]
// refuses, or whose text holds a NUL byte (which PostgreSQL cannot store),
// is an error wrapping recycle.ErrInvalid.
func (s *Store) Put(ctx context.Context, e recycle.Entry, expect uint64) (recycle.Entry, error) {
	if err := ctx.Err(); err != nil {
		return recycle.Entry{}, fmt.Errorf("sqlstore: put lead %q: %w", e.LeadID, err)
	}
	if err := validate(&e); err != nil {
		return recycle.Entry{}, fmt.Errorf("sqlstore: put lead %q: %w", e.LeadID, err)
	}
	e.Due, e.Since = micro(e.Due), micro(e.Since)
	got, err := s.eng.put(ctx, s.db, e, expect)
	if err != nil {
		err = cancelled(ctx, err)
		return recycle.Entry{}, fmt.Errorf("sqlstore: put lead %q expecting version %d: %w", e.LeadID, expect, err)
	}
	return got, nil
}

// Delete implements [recycle.Store.Delete].
func (s *Store) Delete(ctx context.Context, leadID string, expect uint64) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlstore: delete lead %q: %w", leadID, err)
	}
	if !storable(leadID) {
		return fmt.Errorf("sqlstore: delete lead %q: %w", leadID, recycle.ErrNotFound)
	}
	if err := s.eng.delete(ctx, s.db, leadID, expect); err != nil {
		err = cancelled(ctx, err)
		return fmt.Errorf("sqlstore: delete lead %q expecting version %d: %w", leadID, expect, err)
	}
	return nil
}

// Claim implements [recycle.Store.Claim]. A limit below 1, or a lease that
// does not end after now, is an error wrapping recycle.ErrInvalid.
//
// With PostgreSQL, concurrent claims skip the rows another claim has locked
// (SELECT ... FOR UPDATE SKIP LOCKED) instead of waiting for them: workers
// never block each other and never get the same lead, and a claim racing
// another may return fewer entries than are due, or entries a little out of
// order; an empty result means nothing was claimable that no one else was
// claiming at that moment.
func (s *Store) Claim(ctx context.Context, now time.Time, limit int, leaseUntil time.Time) ([]recycle.Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: claim: %w", err)
	}
	var p []*lead.FieldError
	p = checkTime(p, "now", now)
	p = checkTime(p, "lease_until", leaseUntil)
	if limit < 1 {
		p = append(p, &lead.FieldError{Path: "limit", Problem: fmt.Sprintf("%d is not positive", limit)})
	}
	now, leaseUntil = micro(now), micro(leaseUntil)
	if !leaseUntil.After(now) {
		p = append(p, &lead.FieldError{Path: "lease_until", Problem: fmt.Sprintf("%s does not end after now (%s)",
			leaseUntil.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano))})
	}
	if err := recycle.Invalid(p...); err != nil {
		return nil, fmt.Errorf("sqlstore: claim: %w", err)
	}
	es, err := s.eng.claim(ctx, s.db, now, limit, leaseUntil)
	if err != nil {
		err = cancelled(ctx, err)
		return nil, fmt.Errorf("sqlstore: claim %d leads at %s: %w", limit, now.Format(time.RFC3339Nano), err)
	}
	ordered(es)
	return es, nil
}

// Extend implements [recycle.Store.Extend].
func (s *Store) Extend(ctx context.Context, leadID string, version uint64, leaseUntil time.Time) (recycle.Entry, error) {
	if err := ctx.Err(); err != nil {
		return recycle.Entry{}, fmt.Errorf("sqlstore: extend lead %q: %w", leadID, err)
	}
	if err := recycle.Invalid(checkTime(nil, "lease_until", leaseUntil)...); err != nil {
		return recycle.Entry{}, fmt.Errorf("sqlstore: extend lead %q: %w", leadID, err)
	}
	if !storable(leadID) {
		return recycle.Entry{}, fmt.Errorf("sqlstore: extend lead %q: %w", leadID, recycle.ErrNotFound)
	}
	e, err := s.eng.extend(ctx, s.db, leadID, version, micro(leaseUntil))
	if err != nil {
		err = cancelled(ctx, err)
		return recycle.Entry{}, fmt.Errorf("sqlstore: extend lead %q version %d: %w", leadID, version, err)
	}
	return e, nil
}

// cancelled returns err, wrapping the context's error as well when ctx
// ended during the call: database/sql reports a transaction rolled back
// by a cancelled context as sql.ErrTxDone, or as the driver's own error,
// and the contract promises an error that wraps the context's. A definite
// answer (ErrNotFound, ErrStale) stays as it is.
func cancelled(ctx context.Context, err error) error {
	c := ctx.Err()
	if c == nil || errors.Is(err, c) || errors.Is(err, recycle.ErrNotFound) || errors.Is(err, recycle.ErrStale) {
		return err
	}
	return fmt.Errorf("%w: %w", c, err)
}

// micro returns t truncated to the microsecond, in UTC: what the store
// keeps.
func micro(t time.Time) time.Time { return t.Truncate(time.Microsecond).UTC() }

// The span of times the store accepts, as recycle.Entry.Validate does.
var (
	minTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

func checkTime(p []*lead.FieldError, field string, t time.Time) []*lead.FieldError {
	switch {
	case t.IsZero():
		return append(p, &lead.FieldError{Path: field, Problem: "missing"})
	case t.Before(minTime) || !t.Before(maxTime):
		return append(p, &lead.FieldError{Path: field,
			Problem: fmt.Sprintf("%s is outside %d to %d", t.Format(time.RFC3339), minTime.Year(), maxTime.Year()-1)})
	}
	return p
}

// validate checks the caller's fields of e: recycle.Entry.Validate, and no
// NUL byte in its text.
func validate(e *recycle.Entry) error {
	var p []*lead.FieldError
	var ie *recycle.InvalidError
	if errors.As(e.Validate(), &ie) {
		p = ie.Problems
	}
	for _, f := range []struct{ name, text string }{
		{"entry.lead_id", e.LeadID}, {"entry.reason", string(e.Reason)}, {"entry.task", e.Task},
	} {
		if strings.IndexByte(f.text, 0) >= 0 {
			p = append(p, &lead.FieldError{Path: f.name, Problem: "holds a NUL byte"})
		}
	}
	return recycle.Invalid(p...)
}

// storable reports whether an entry for leadID can exist: Put refuses
// invalid UTF-8 and NUL bytes, and asking PostgreSQL about them would only
// produce a confusing error.
func storable(leadID string) bool {
	return utf8.ValidString(leadID) && strings.IndexByte(leadID, 0) < 0
}

// ordered sorts entries in claim order: due, rank (highest first), lead
// ID byte-wise. Claims return rows in no particular order (RETURNING has
// none).
func ordered(es []recycle.Entry) {
	slices.SortFunc(es, func(a, b recycle.Entry) int {
		return cmp.Or(a.Due.Compare(b.Due), cmp.Compare(b.Rank, a.Rank), strings.Compare(a.LeadID, b.LeadID))
	})
}

// inTx runs fn in a transaction of db, committing if fn returns nil.
func inTx(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback() // the error that matters is fn's
		return err
	}
	return tx.Commit()
}
