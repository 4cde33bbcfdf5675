package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/recycle"
)

// Dialect names the SQL database behind a [Store].
type Dialect uint8

const (
	// SQLite is SQLite 3.42 or later (RETURNING, UPDATE FROM, partial
	// indexes, unixepoch('subsec')), as modernc.org/sqlite embeds it.
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
// is one transaction. [Store.Tx] and [Store.PgxTx] return the store bound
// to a transaction of the host instead, so that the host's own writes and
// the schedule commit or roll back together.
//
// Time: due times are the caller's, compared with the now passed to Claim
// and Stats. Leases are the database's: a lease ends at the database's
// clock (statement_timestamp() in PostgreSQL, the SQLite library's clock)
// plus the lease asked for, and only that clock says whether it has ended,
// so that workers whose clocks disagree, or that replay another day, never
// take a lead whose lease is still running.
//
// Times are stored with microsecond precision: a time written with
// nanoseconds comes back truncated to the microsecond, in UTC. Errors that
// may pass (SQLite busy past its timeout, a disk full, a PostgreSQL
// connection lost or a server restarting) wrap [recycle.ErrUnavailable].
//
// A call whose context ends before it commits fails with an error wrapping
// the context's error and changes nothing: its transaction is rolled back.
// Once its commit has begun, the call waits for it and reports its
// outcome. Only a connection lost during a commit leaves the outcome
// unknown, as with any database; the recycle package allows for it (a
// claim whose answer was lost holds its leads only until the lease ends,
// and the Scheduler's retries recognise their own earlier writes).
type Store struct {
	dialect Dialect
	eng     engine
	db      *sql.DB   // the pool that writes (and reads, unless ro differs)
	ro      *sql.DB   // the pool that reads
	owned   []*sql.DB // the pools Close closes
	notify  bool      // PostgreSQL: NOTIFY recycle_due when a lead becomes due now
	// async makes claims and lease extensions commit asynchronously, with
	// versions reserved in versions (PostgreSQL, unless DurableClaims):
	// see Durability in the package documentation.
	async    bool
	versions versionPool
	// txHook, if set (by tests), runs in every transaction of the store's
	// own, after the call's statements and before the commit.
	txHook func(ctx context.Context, q querier) error
	// shift is added to the database's clock, in microseconds: see
	// AdvanceClock.
	shift atomic.Int64
	// wstmts and rstmts are SQLite's statements, prepared on db and ro.
	wstmts, rstmts map[string]*sql.Stmt
}

var _ recycle.Store = (*Store)(nil)

// New returns a Store over db, a pool the host opened and configured, whose
// schema [Migrate] has created. Close does not close db. ctx bounds the
// preparation of the store's statements.
//
// For SQLite, the pool's connections should wait for locks (busy_timeout)
// and begin their transactions IMMEDIATE (modernc.org/sqlite's DSN
// parameter _txlock=immediate), or the pool should hold one connection;
// otherwise two processes writing at once may fail with SQLITE_BUSY.
// [OpenSQLite] does all of this, and checks that the database is writable.
//
// A PostgreSQL store made by New has the defaults of [PostgresConfig]: no
// NOTIFY, and claims that commit asynchronously (see Durability in the
// package documentation).
func New(ctx context.Context, db *sql.DB, d Dialect) (*Store, error) {
	if db == nil {
		return nil, errors.New("sqlstore: new store: nil *sql.DB")
	}
	if !d.valid() {
		return nil, fmt.Errorf("sqlstore: new store: unknown dialect %s", d)
	}
	s, err := newStore(ctx, d, db, db, options{})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: new %s store: %w", d, err)
	}
	return s, nil
}

// options are the settings of a Store beyond its pools.
type options struct {
	notify        bool // PostgresConfig.NotifyDue
	durableClaims bool // PostgresConfig.DurableClaims
}

func newStore(ctx context.Context, d Dialect, db, ro *sql.DB, opt options, owned ...*sql.DB) (*Store, error) {
	s := &Store{dialect: d, db: db, ro: ro, owned: owned, notify: opt.notify, async: d == PostgreSQL && !opt.durableClaims}
	s.versions.init()
	switch d {
	case SQLite:
		s.eng = sqliteEngine{}
		var err error
		if s.wstmts, err = prepare(ctx, db, sqliteWrites); err != nil {
			return nil, err
		}
		if s.rstmts, err = prepare(ctx, ro, sqliteReads); err != nil {
			closeStmts(s.wstmts)
			return nil, err
		}
	case PostgreSQL:
		// pgx prepares and caches the statements of each connection.
		s.eng = postgresEngine{}
	}
	return s, nil
}

// prepare prepares each statement on db.
func prepare(ctx context.Context, db *sql.DB, queries []string) (map[string]*sql.Stmt, error) {
	stmts := make(map[string]*sql.Stmt, len(queries))
	for _, q := range queries {
		stmt, err := db.PrepareContext(ctx, q)
		if err != nil {
			closeStmts(stmts)
			return nil, fmt.Errorf("prepare %q (has Migrate run?): %w", strings.Join(strings.Fields(q), " "), err)
		}
		stmts[q] = stmt
	}
	return stmts, nil
}

func closeStmts(stmts map[string]*sql.Stmt) error {
	var errs []error
	for _, s := range stmts {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// Dialect returns the store's dialect.
func (s *Store) Dialect() Dialect { return s.dialect }

// DB returns the pool the store writes with: the host may run its own
// queries on it (reports, say) and begin its own transactions on it (for
// Tx), and must not close it while the store is in use.
func (s *Store) DB() *sql.DB { return s.db }

// AdvanceClock moves this Store's clock d later (d > 0): it is added to the
// database's clock in every statement of this Store and of its
// transactions, so that leases end d sooner. It is for tests and
// demonstrations, which cannot wait for leases to run out: a production
// program never calls it, for two Stores advanced differently are two
// clocks again, the hazard the database's clock is there to remove.
func (s *Store) AdvanceClock(d time.Duration) {
	if d > 0 {
		s.shift.Add(d.Microseconds())
	}
}

// Close closes the pools that OpenSQLite or OpenPostgres opened; a Store
// made by New leaves its pool open. Calls after Close fail with an error
// of database/sql.
func (s *Store) Close() error {
	errs := []error{closeStmts(s.wstmts), closeStmts(s.rstmts)}
	s.wstmts, s.rstmts = nil, nil
	for _, db := range s.owned {
		errs = append(errs, db.Close())
	}
	s.owned = nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlstore: close: %w", err)
	}
	return nil
}

// read runs fn on the pool that reads.
func (s *Store) read(_ context.Context, fn func(q querier) error) error {
	return fn(sqlQuerier{db: s.ro, stmts: s.rstmts})
}

// write runs fn in a transaction of its own, on the pool that writes. The
// transaction commits durably (unless the database is configured not to:
// SQLiteConfig.NoSync, or a PostgreSQL server or role whose
// synchronous_commit is off).
func (s *Store) write(ctx context.Context, fn func(q querier) error) error {
	if s.dialect == PostgreSQL {
		return writeUninterrupted(ctx, s.db, func(tx *sql.Tx) error { return s.hooked(ctx, sqlQuerier{tx: tx}, fn) })
	}
	err := inTx(ctx, s.db, func(tx *sql.Tx) error { return s.hooked(ctx, sqlQuerier{tx: tx, stmts: s.wstmts}, fn) })
	if err != nil && s.ro != s.db && sqliteBroken(err) {
		// The writer may be stuck in a state the error left it in (a
		// connection opened read-only, an I/O error): the next call opens
		// a new one, which works once the cause is gone.
		resetPool(s.db)
	}
	return err
}

// hooked runs fn on q, then the test hook if there is one.
func (s *Store) hooked(ctx context.Context, q querier, fn func(q querier) error) error {
	if err := fn(q); err != nil || s.txHook == nil {
		return err
	}
	return s.txHook(ctx, q)
}

// fail describes err, the error of a call of the store's own, for the
// caller: the context's error if ctx ended, ErrUnavailable if it may pass.
func (s *Store) fail(ctx context.Context, err error) error {
	err = cancelled(ctx, err)
	if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) && transient(s.dialect, err) {
		return fmt.Errorf("%w: %w", recycle.ErrUnavailable, err)
	}
	return err
}

func (s *Store) ops() ops {
	o := ops{eng: s.eng, read: s.read, write: s.write, fail: s.fail, shift: &s.shift, notify: s.notify}
	if s.async {
		o.lease = s.lease
	}
	return o
}

// Get implements [recycle.Store.Get].
func (s *Store) Get(ctx context.Context, leadID string) (recycle.Entry, error) {
	return s.ops().get(ctx, leadID)
}

// Put implements [recycle.Store.Put]. An entry that [recycle.Entry.Validate]
// refuses, or whose text holds a NUL byte (which PostgreSQL cannot store),
// is an error wrapping recycle.ErrInvalid. With PostgresConfig.NotifyDue,
// an entry written due now notifies the listeners of [Store.WatchDue].
func (s *Store) Put(ctx context.Context, e recycle.Entry, expect uint64) (recycle.Entry, error) {
	return s.ops().put(ctx, e, expect)
}

// Delete implements [recycle.Store.Delete].
func (s *Store) Delete(ctx context.Context, leadID string, expect uint64) error {
	return s.ops().delete(ctx, leadID, expect)
}

// Claim implements [recycle.Store.Claim]. A limit below 1, or a lease that
// is not positive, is an error wrapping recycle.ErrInvalid.
//
// A claim reads the entries that are not dead in claim order, from the
// head of one index, skipping those under a lease still running on the
// database's clock, and stops after limit: its cost grows with the batch
// and the leases in flight, not with the entries scheduled for later, dead,
// or whose lease ended (the leads of a worker that died are taken like any
// other). With PostgreSQL, concurrent claims skip the rows another claim
// has locked (SELECT ... FOR UPDATE SKIP LOCKED) instead of waiting for
// them: workers never block each other and never get the same lead, and a
// claim racing another may return fewer entries than are due, or entries a
// little out of order; an empty result means nothing was claimable that no
// one else was claiming at that moment.
//
// With PostgreSQL, unless PostgresConfig.DurableClaims, the claim commits
// asynchronously, with versions the store reserved durably: a crash of the
// server may lose a claim that returned, which leaves its entries as they
// were, claimable at once (see Durability in the package documentation).
func (s *Store) Claim(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]recycle.Entry, error) {
	return s.ops().claim(ctx, now, limit, lease)
}

// Extend implements [recycle.Store.Extend]. A negative lease is an error
// wrapping recycle.ErrInvalid. With PostgreSQL, unless
// PostgresConfig.DurableClaims, an extension (a lease above 0) commits
// asynchronously, as claims do; a release (a lease of 0) waits for the
// disk.
func (s *Store) Extend(ctx context.Context, leadID string, version uint64, lease time.Duration) (recycle.Entry, error) {
	return s.ops().extend(ctx, leadID, version, lease)
}

// Dead implements [recycle.Store.Dead], from an index of the dead entries.
func (s *Store) Dead(ctx context.Context, after string, limit int) ([]recycle.Entry, error) {
	return s.ops().dead(ctx, after, limit)
}

// Stats implements [recycle.Store.Stats]. It reads the whole table, once:
// a few hundred milliseconds for a million entries.
func (s *Store) Stats(ctx context.Context, now time.Time) (recycle.Stats, error) {
	return s.ops().stats(ctx, now)
}

// engine is the SQL of one dialect. Its methods run on a querier, take
// validated arguments (times truncated to the microsecond, in UTC; leases
// and the clock's shift in microseconds) and return the store's sentinel
// errors unwrapped, or the database's error.
type engine interface {
	get(ctx context.Context, q querier, leadID string) (recycle.Entry, error)
	put(ctx context.Context, q querier, e recycle.Entry, expect uint64, notify bool, shift int64) (recycle.Entry, error)
	delete(ctx context.Context, q querier, leadID string, expect uint64) error
	// claim gives the n-th entry it takes versions[n-1], or a version
	// of the store's sequence if versions is nil.
	claim(ctx context.Context, q querier, now time.Time, limit int, lease, shift int64, versions []int64) ([]recycle.Entry, error)
	extend(ctx context.Context, q querier, leadID string, version uint64, lease int64, notify bool, shift int64) (recycle.Entry, error)
	dead(ctx context.Context, q querier, after string, limit int) ([]recycle.Entry, error)
	stats(ctx context.Context, q querier, now time.Time, shift int64) (recycle.Stats, error)
}

// ops is the store's methods, over a way to run them: on the store's own
// pools (Store) or in a transaction of the host (TxStore).
type ops struct {
	eng   engine
	read  func(ctx context.Context, fn func(q querier) error) error
	write func(ctx context.Context, fn func(q querier) error) error
	// lease, if set, runs the statements of a claim of up to n entries,
	// or of a lease extension (n = 0), in a transaction of the store's
	// own that commits asynchronously, giving fn n versions reserved for
	// it (see Store.lease). If nil, they run as a write, and a claim
	// takes its versions from the sequence.
	lease func(ctx context.Context, n int, fn func(q querier, versions []int64) ([]recycle.Entry, error)) ([]recycle.Entry, error)
	fail  func(ctx context.Context, err error) error
	shift *atomic.Int64
	// notify makes writes that make a lead due now send NOTIFY.
	notify bool
}

// clock is the part of the store's clock that statements add to the
// database's: the shift, in microseconds.
func (o ops) clock() int64 { return o.shift.Load() }

func (o ops) get(ctx context.Context, leadID string) (recycle.Entry, error) {
	if err := ctx.Err(); err != nil {
		return recycle.Entry{}, fmt.Errorf("sqlstore: get lead %q: %w", leadID, err)
	}
	if !storable(leadID) {
		return recycle.Entry{}, fmt.Errorf("sqlstore: get lead %q: %w", leadID, recycle.ErrNotFound)
	}
	var e recycle.Entry
	err := o.read(ctx, func(q querier) (err error) {
		e, err = o.eng.get(ctx, q, leadID)
		return err
	})
	if err != nil {
		return recycle.Entry{}, fmt.Errorf("sqlstore: get lead %q: %w", leadID, o.fail(ctx, err))
	}
	return e, nil
}

func (o ops) put(ctx context.Context, e recycle.Entry, expect uint64) (recycle.Entry, error) {
	if err := ctx.Err(); err != nil {
		return recycle.Entry{}, fmt.Errorf("sqlstore: put lead %q: %w", e.LeadID, err)
	}
	if err := validate(&e); err != nil {
		return recycle.Entry{}, fmt.Errorf("sqlstore: put lead %q: %w", e.LeadID, err)
	}
	e.Due, e.Since = micro(e.Due), micro(e.Since)
	var got recycle.Entry
	err := o.write(ctx, func(q querier) (err error) {
		got, err = o.eng.put(ctx, q, e, expect, o.notify, o.clock())
		return err
	})
	if err != nil {
		return recycle.Entry{}, fmt.Errorf("sqlstore: put lead %q expecting version %d: %w", e.LeadID, expect, o.fail(ctx, err))
	}
	return got, nil
}

func (o ops) delete(ctx context.Context, leadID string, expect uint64) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlstore: delete lead %q: %w", leadID, err)
	}
	if !storable(leadID) {
		return fmt.Errorf("sqlstore: delete lead %q: %w", leadID, recycle.ErrNotFound)
	}
	err := o.write(ctx, func(q querier) error { return o.eng.delete(ctx, q, leadID, expect) })
	if err != nil {
		return fmt.Errorf("sqlstore: delete lead %q expecting version %d: %w", leadID, expect, o.fail(ctx, err))
	}
	return nil
}

func (o ops) claim(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]recycle.Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: claim: %w", err)
	}
	var p []*lead.FieldError
	p = checkTime(p, "now", now)
	if limit < 1 {
		p = append(p, &lead.FieldError{Path: "limit", Problem: fmt.Sprintf("%d is not positive", limit)})
	}
	if lease < time.Microsecond {
		p = append(p, &lead.FieldError{Path: "lease", Problem: fmt.Sprintf("%s is less than a microsecond", lease)})
	}
	if err := recycle.Invalid(p...); err != nil {
		return nil, fmt.Errorf("sqlstore: claim: %w", err)
	}
	es, err := o.leased(ctx, limit, func(q querier, versions []int64) ([]recycle.Entry, error) {
		return o.eng.claim(ctx, q, micro(now), limit, lease.Microseconds(), o.clock(), versions)
	})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: claim %d leads at %s: %w", limit, now.Format(time.RFC3339Nano), o.fail(ctx, err))
	}
	ordered(es)
	return es, nil
}

func (o ops) extend(ctx context.Context, leadID string, version uint64, lease time.Duration) (recycle.Entry, error) {
	if err := ctx.Err(); err != nil {
		return recycle.Entry{}, fmt.Errorf("sqlstore: extend lead %q: %w", leadID, err)
	}
	if lease < 0 {
		return recycle.Entry{}, fmt.Errorf("sqlstore: extend lead %q: %w", leadID,
			recycle.Invalid(&lead.FieldError{Path: "lease", Problem: fmt.Sprintf("%s is negative", lease)}))
	}
	if !storable(leadID) {
		return recycle.Entry{}, fmt.Errorf("sqlstore: extend lead %q: %w", leadID, recycle.ErrNotFound)
	}
	extend := func(q querier, _ []int64) ([]recycle.Entry, error) {
		e, err := o.eng.extend(ctx, q, leadID, version, lease.Microseconds(), o.notify, o.clock())
		return []recycle.Entry{e}, err
	}
	var (
		es  []recycle.Entry
		err error
	)
	if lease > 0 {
		es, err = o.leased(ctx, 0, extend)
	} else {
		// A release uncounts the claim and may notify: it commits
		// durably, like every write but claims and heartbeats.
		err = o.write(ctx, func(q querier) (err error) {
			es, err = extend(q, nil)
			return err
		})
	}
	if err != nil {
		return recycle.Entry{}, fmt.Errorf("sqlstore: extend lead %q version %d: %w", leadID, version, o.fail(ctx, err))
	}
	return es[0], nil
}

// leased runs fn, the statements of a claim of up to n entries or of a
// lease extension (n = 0), with o.lease if it is set, as a write if not.
func (o ops) leased(ctx context.Context, n int, fn func(q querier, versions []int64) ([]recycle.Entry, error)) ([]recycle.Entry, error) {
	if o.lease != nil {
		return o.lease(ctx, n, fn)
	}
	var es []recycle.Entry
	err := o.write(ctx, func(q querier) (err error) {
		es, err = fn(q, nil)
		return err
	})
	return es, err
}

func (o ops) dead(ctx context.Context, after string, limit int) ([]recycle.Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: list dead: %w", err)
	}
	if limit < 1 {
		return nil, fmt.Errorf("sqlstore: list dead: %w", recycle.Invalid(&lead.FieldError{Path: "limit", Problem: fmt.Sprintf("%d is not positive", limit)}))
	}
	if !storable(after) {
		after = strings.ToValidUTF8(strings.ReplaceAll(after, "\x00", ""), "")
	}
	var es []recycle.Entry
	err := o.read(ctx, func(q querier) (err error) {
		es, err = o.eng.dead(ctx, q, after, limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list dead after %q: %w", after, o.fail(ctx, err))
	}
	return es, nil
}

func (o ops) stats(ctx context.Context, now time.Time) (recycle.Stats, error) {
	if err := ctx.Err(); err != nil {
		return recycle.Stats{}, fmt.Errorf("sqlstore: stats: %w", err)
	}
	if err := recycle.Invalid(checkTime(nil, "now", now)...); err != nil {
		return recycle.Stats{}, fmt.Errorf("sqlstore: stats: %w", err)
	}
	var st recycle.Stats
	err := o.read(ctx, func(q querier) (err error) {
		st, err = o.eng.stats(ctx, q, micro(now), o.clock())
		return err
	})
	if err != nil {
		return recycle.Stats{}, fmt.Errorf("sqlstore: stats at %s: %w", now.Format(time.RFC3339Nano), o.fail(ctx, err))
	}
	return st, nil
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
		{"entry.lead_id", e.LeadID}, {"entry.reason", string(e.Reason)}, {"entry.task", e.Task}, {"entry.last_error", e.LastError},
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

// writeUninterrupted runs fn in a transaction that the caller's ctx
// interrupts until the commit, but not during it: a call cancelled before
// the commit changes nothing (the server rolls back the transaction of a
// connection that pgx closed mid-statement, or fn's error rolls it back),
// and a commit once sent is waited for, so that its outcome is known.
// Without the transaction, a single statement interrupted by a
// cancellation could have been carried out all the same, and the caller
// told otherwise.
func writeUninterrupted(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(context.WithoutCancel(ctx), nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback() // the error that matters is fn's
		return err
	}
	if err := ctx.Err(); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// resetPool closes the idle connections of db, so that the next call opens
// a new one.
func resetPool(db *sql.DB) {
	db.SetMaxIdleConns(0)
	db.SetMaxIdleConns(1)
}
