package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/recycle"
	_ "modernc.org/sqlite" // the "sqlite" driver: pure Go, no cgo
)

// SQLiteConfig configures [OpenSQLite]. The zero value is the default
// described on each field.
type SQLiteConfig struct {
	// BusyTimeout is how long a connection waits for a lock another
	// connection (another process, or another Store on the same file)
	// holds, before it fails with SQLITE_BUSY. Default 5 seconds; at most
	// 10 minutes.
	BusyTimeout time.Duration
	// Readers is how many connections may read (Get) at once, beside the
	// one connection that writes. Default 4; at most 64. An in-memory
	// database has a single connection for everything.
	Readers int
	// NoSync makes commits skip the fsync that makes them durable
	// (synchronous=NORMAL in WAL mode instead of FULL): a commit still
	// survives a crash of the process, but the last ones may be lost when
	// the machine loses power, and a lost acknowledgement means a lead
	// delivered twice, a lost schedule a lead forgotten. Default false:
	// every commit is on disk when it returns.
	NoSync bool
	// NoMigrate leaves the schema alone: by default OpenSQLite applies
	// [Migrate].
	NoMigrate bool
}

func (c *SQLiteConfig) fill() error {
	c.BusyTimeout = cmp.Or(c.BusyTimeout, 5*time.Second)
	c.Readers = cmp.Or(c.Readers, 4)
	var p []*lead.FieldError
	if c.BusyTimeout < time.Millisecond || c.BusyTimeout > 10*time.Minute {
		p = append(p, &lead.FieldError{Path: "SQLiteConfig.BusyTimeout", Problem: fmt.Sprintf("%s is outside 1ms to 10m", c.BusyTimeout)})
	}
	if c.Readers < 1 || c.Readers > 64 {
		p = append(p, &lead.FieldError{Path: "SQLiteConfig.Readers", Problem: fmt.Sprintf("%d is outside 1 to 64", c.Readers)})
	}
	return recycle.Invalid(p...)
}

// OpenSQLite opens the SQLite database at path, creating it if need be,
// applies [Migrate] (unless cfg.NoMigrate), and returns a Store over it.
// An empty path or ":memory:" is a private in-memory database, gone when
// the Store is closed.
//
// A file database runs in WAL mode, so that readers never wait for the
// writer. SQLite has one writer at a time per database: the Store writes
// through a single connection, whose transactions begin IMMEDIATE (taking
// the write lock at once, so that they never fail half-way to upgrade a
// read lock), and waits up to cfg.BusyTimeout for the lock when another
// process or another Store holds it. Reads go through a pool of
// cfg.Readers read-only connections. An in-memory database is a single
// connection that stays open until Close.
//
// A database that cannot be written (its file, its directory or its file
// system read-only) is an error here, not at the first write. A write that
// fails on an error that may have left the writing connection unusable (a
// file opened read-only, an I/O error, a full disk) closes that
// connection: the next call opens a new one, and works once the cause is
// gone.
func OpenSQLite(ctx context.Context, path string, cfg SQLiteConfig) (*Store, error) {
	if err := cfg.fill(); err != nil {
		return nil, fmt.Errorf("sqlstore: open sqlite %q: %w", path, err)
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlstore: open sqlite %q: the path holds '?' or '#'", path)
	}
	memory := path == "" || path == ":memory:"
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", cfg.BusyTimeout.Milliseconds()))
	q.Set("_txlock", "immediate")
	if memory {
		db, err := sql.Open("sqlite", ":memory:?"+q.Encode())
		if err != nil {
			return nil, fmt.Errorf("sqlstore: open sqlite in memory: %w", err)
		}
		// The connection is the database: never close it, never open another.
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		return finishOpen(ctx, SQLite, "sqlite in memory", db, db, cfg.NoMigrate, options{}, db)
	}

	q.Add("_pragma", "journal_mode(WAL)")
	if cfg.NoSync {
		q.Add("_pragma", "synchronous(NORMAL)")
	} else {
		q.Add("_pragma", "synchronous(FULL)")
	}
	w, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open sqlite %q: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	// Open the writer first: it creates the file and turns WAL on, which
	// the read-only connections cannot do.
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		if sqliteCode(err) == sqliteCantOpen {
			err = fmt.Errorf("the file cannot be opened or created (does its directory exist, and may this program create files in it?): %w", err)
		}
		return nil, fmt.Errorf("sqlstore: open sqlite %q: %w", path, err)
	}
	q.Add("_pragma", "query_only(1)")
	r, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlstore: open sqlite %q for reading: %w", path, err)
	}
	r.SetMaxOpenConns(cfg.Readers)
	r.SetMaxIdleConns(cfg.Readers)
	return finishOpen(ctx, SQLite, fmt.Sprintf("sqlite %q", path), w, r, cfg.NoMigrate, options{}, w, r)
}

// errProbe rolls back the transaction of writable.
var errProbe = errors.New("probe")

// writable checks that db can write: SQLite opens a file it may not write
// (its permissions, its directory's, a read-only file system) read-only,
// without an error, and every write would then fail.
func writable(ctx context.Context, db *sql.DB) error {
	err := inTx(ctx, db, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE recycle_version SET last = last WHERE id = 1`); err != nil {
			return err
		}
		return errProbe
	})
	switch {
	case errors.Is(err, errProbe):
		return nil
	case sqliteCode(err) == sqliteReadOnly || sqliteCode(err) == sqliteCantOpen:
		return fmt.Errorf("the database cannot be written (the file, its directory or its file system is read-only; check the permissions): %w", err)
	}
	return fmt.Errorf("the database cannot be written: %w", err)
}

// finishOpen checks the pools, migrates, checks that SQLite can write, and
// returns the Store, closing the pools on failure.
func finishOpen(ctx context.Context, d Dialect, what string, db, ro *sql.DB, noMigrate bool, opt options, owned ...*sql.DB) (*Store, error) {
	fail := func(err error) (*Store, error) {
		for _, x := range owned {
			x.Close()
		}
		return nil, fmt.Errorf("sqlstore: open %s: %w", what, err)
	}
	for _, x := range owned {
		if err := x.PingContext(ctx); err != nil {
			return fail(err)
		}
	}
	if !noMigrate {
		if err := Migrate(ctx, db, d); err != nil {
			return fail(err)
		}
	}
	s, err := newStore(ctx, d, db, ro, opt, owned...)
	if err != nil {
		return fail(err)
	}
	if d == SQLite {
		if err := writable(ctx, db); err != nil {
			s.Close()
			return nil, fmt.Errorf("sqlstore: open %s: %w", what, err)
		}
	}
	return s, nil
}

// sqliteNow is the store's clock in SQLite: the SQLite library's clock, in
// Unix microseconds (of millisecond precision), plus the store's shift,
// the parameter ?n. SQLite reads its clock once per statement step.
func sqliteNow(n int) string {
	return fmt.Sprintf("(CAST(round(unixepoch('subsec') * 1000) AS INTEGER) * 1000 + ?%d)", n)
}

// The statements of SQLite. Times are INTEGER Unix microseconds.
var (
	sqliteGet     = `SELECT ` + columns + ` FROM recycle_entries WHERE lead_id = ?1`
	sqliteCurrent = `SELECT version, lease_until FROM recycle_entries WHERE lead_id = ?1`
	sqliteTake    = `UPDATE recycle_version SET last = last + ?1 WHERE id = 1 RETURNING last`
	sqliteBase    = `SELECT last FROM recycle_version WHERE id = 1`
	sqliteUpsert  = `
		INSERT INTO recycle_entries (` + columns + `)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, NULL, 0)
		ON CONFLICT (lead_id) DO UPDATE SET
			due = excluded.due, reason = excluded.reason, task = excluded.task, rank = excluded.rank,
			recycles = excluded.recycles, attempt = excluded.attempt, since = excluded.since,
			failures = excluded.failures, last_error = excluded.last_error, dead = excluded.dead,
			version = excluded.version,
			schedule = CASE WHEN recycle_entries.schedule = ?13 THEN recycle_entries.schedule ELSE excluded.version END,
			lease_until = NULL, claims = 0
		RETURNING ` + columns
	sqliteDelete = `DELETE FROM recycle_entries WHERE lead_id = ?1`
	// sqliteClaim leases the first ?2 claimable entries at ?1 for ?3
	// microseconds on the store's clock (shift ?5), giving the n-th of
	// them version ?4 + n. It reads the index
	// recycle_entries_queue (the entries that are not dead, in claim
	// order) from its head, skips the leases still running, and stops
	// after ?2 rows: the entries due later, dead, or whose lease ended
	// cost it nothing more than the others.
	sqliteClaim = `
		WITH picked AS (
			SELECT id, row_number() OVER () AS n FROM (
				SELECT lead_id AS id, due, rank FROM recycle_entries
				WHERE dead = 0 AND due <= ?1 AND (lease_until IS NULL OR lease_until <= ` + sqliteNow(5) + `)
				ORDER BY due, rank DESC, lead_id LIMIT ?2))
		UPDATE recycle_entries
		SET version = ?4 + picked.n, lease_until = ` + sqliteNow(5) + ` + ?3, claims = claims + 1
		FROM picked WHERE recycle_entries.lead_id = picked.id
		RETURNING ` + columns
	// sqliteExtend sets the lease of ?1 to end ?2 microseconds from now
	// on the store's clock (shift ?3); a release (?2 = 0) of a lease still
	// running uncounts the claim.
	sqliteExtend = `
		UPDATE recycle_entries SET
			claims = CASE WHEN ?2 = 0 AND lease_until > ` + sqliteNow(3) + ` AND claims > 0 THEN claims - 1 ELSE claims END,
			lease_until = ` + sqliteNow(3) + ` + ?2
		WHERE lead_id = ?1
		RETURNING ` + columns
	sqliteDead  = `SELECT ` + columns + ` FROM recycle_entries WHERE dead = 1 AND lead_id > ?1 ORDER BY lead_id LIMIT ?2`
	sqliteClock = `SELECT ` + sqliteNow(1)
	// sqliteStats counts at ?1 (the caller's clock) with the store's
	// clock at ?2, in one pass over the table.
	sqliteStats = `
		SELECT
			count(*) FILTER (WHERE dead = 0),
			count(*) FILTER (WHERE dead = 0 AND due <= ?1 AND (lease_until IS NULL OR lease_until <= ?2)),
			count(*) FILTER (WHERE dead = 0 AND lease_until > ?2),
			count(*) FILTER (WHERE dead = 0 AND lease_until <= ?2),
			count(*) FILTER (WHERE dead = 1),
			min(due) FILTER (WHERE dead = 0 AND due <= ?1 AND (lease_until IS NULL OR lease_until <= ?2))
		FROM recycle_entries`
)

// The statements the store prepares, on the pool that writes and on the
// pool that reads.
var (
	sqliteWrites = []string{sqliteCurrent, sqliteTake, sqliteBase, sqliteUpsert, sqliteDelete, sqliteClaim, sqliteExtend}
	sqliteReads  = []string{sqliteGet, sqliteDead, sqliteClock, sqliteStats}
)

// sqliteEngine is the SQL of SQLite. Every write runs in a transaction that
// holds the database's write lock throughout (the store's begin IMMEDIATE),
// so reading the current version and writing the next are one atomic step.
type sqliteEngine struct{}

// columns are the columns of an entry, in the order scanEntry reads them.
const columns = "lead_id, due, reason, task, rank, recycles, attempt, since, failures, last_error, dead, version, schedule, lease_until, claims"

func scanSQLite(row scanner) (recycle.Entry, error) {
	var (
		e                             recycle.Entry
		due, since, version, schedule int64
		lease                         sql.NullInt64
		reason                        string
	)
	err := row.Scan(&e.LeadID, &due, &reason, &e.Task, &e.Rank, &e.Recycles, &e.Attempt, &since,
		&e.Failures, &e.LastError, &e.Dead, &version, &schedule, &lease, &e.Claims)
	if err != nil {
		return recycle.Entry{}, err
	}
	e.Due, e.Since, e.Reason = time.UnixMicro(due).UTC(), time.UnixMicro(since).UTC(), lead.Reason(reason)
	e.Version, e.Schedule = uint64(version), uint64(schedule)
	if lease.Valid {
		e.LeaseUntil = time.UnixMicro(lease.Int64).UTC()
	}
	return e, nil
}

// scanAll returns a function that reads the entries of the rows a query
// returned, with scan.
func scanAll(scan func(scanner) (recycle.Entry, error)) func(rows, error) ([]recycle.Entry, error) {
	return func(rs rows, err error) ([]recycle.Entry, error) {
		if err != nil {
			return nil, err
		}
		defer rs.Close()
		var out []recycle.Entry
		for rs.Next() {
			e, err := scan(rs)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		return out, rs.Err()
	}
}

func (sqliteEngine) get(ctx context.Context, q querier, leadID string) (recycle.Entry, error) {
	got, err := scanSQLite(q.queryRow(ctx, sqliteGet, leadID))
	if errors.Is(err, sql.ErrNoRows) {
		return recycle.Entry{}, recycle.ErrNotFound
	}
	return got, err
}

// state returns the version of leadID's entry and whether it has a lease;
// 0 if there is no entry.
func (sqliteEngine) state(ctx context.Context, q querier, leadID string) (version uint64, leased bool, err error) {
	var v int64
	var lease sql.NullInt64
	err = q.queryRow(ctx, sqliteCurrent, leadID).Scan(&v, &lease)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return uint64(v), lease.Valid, err
}

// take takes n versions from the store-wide sequence and returns the last
// one taken, the first being last-n+1.
func (sqliteEngine) take(ctx context.Context, q querier, n int) (last uint64, err error) {
	var v int64
	err = q.queryRow(ctx, sqliteTake, n).Scan(&v)
	return uint64(v), err
}

func (x sqliteEngine) put(ctx context.Context, q querier, e recycle.Entry, expect uint64, _ bool, _ int64) (recycle.Entry, error) {
	cur, _, err := x.state(ctx, q, e.LeadID)
	switch {
	case err != nil:
		return recycle.Entry{}, err
	case cur == 0 && expect != 0:
		return recycle.Entry{}, recycle.ErrNotFound
	case cur != expect:
		return recycle.Entry{}, recycle.ErrStale
	}
	v, err := x.take(ctx, q, 1)
	if err != nil {
		return recycle.Entry{}, err
	}
	return scanSQLite(q.queryRow(ctx, sqliteUpsert,
		e.LeadID, e.Due.UnixMicro(), string(e.Reason), e.Task, e.Rank, e.Recycles, e.Attempt, e.Since.UnixMicro(),
		e.Failures, e.LastError, e.Dead, int64(v), int64(e.Schedule)))
}

func (x sqliteEngine) delete(ctx context.Context, q querier, leadID string, expect uint64) error {
	cur, _, err := x.state(ctx, q, leadID)
	switch {
	case err != nil:
		return err
	case cur == 0:
		return recycle.ErrNotFound
	case expect != 0 && cur != expect:
		return recycle.ErrStale
	}
	_, err = q.exec(ctx, sqliteDelete, leadID)
	return err
}

func (x sqliteEngine) claim(ctx context.Context, q querier, now time.Time, limit int, lease, shift int64, _ []int64) ([]recycle.Entry, error) {
	var base int64
	if err := q.queryRow(ctx, sqliteBase).Scan(&base); err != nil {
		return nil, err
	}
	out, err := scanAll(scanSQLite)(q.query(ctx, sqliteClaim, now.UnixMicro(), limit, lease, base, shift))
	if err != nil || len(out) == 0 {
		return out, err
	}
	if _, err := x.take(ctx, q, len(out)); err != nil {
		return nil, err
	}
	return out, nil
}

func (x sqliteEngine) extend(ctx context.Context, q querier, leadID string, version uint64, lease int64, _ bool, shift int64) (recycle.Entry, error) {
	cur, leased, err := x.state(ctx, q, leadID)
	switch {
	case err != nil:
		return recycle.Entry{}, err
	case cur == 0:
		return recycle.Entry{}, recycle.ErrNotFound
	case cur != version || !leased:
		return recycle.Entry{}, recycle.ErrStale
	}
	return scanSQLite(q.queryRow(ctx, sqliteExtend, leadID, lease, shift))
}

func (sqliteEngine) dead(ctx context.Context, q querier, after string, limit int) ([]recycle.Entry, error) {
	return scanAll(scanSQLite)(q.query(ctx, sqliteDead, after, limit))
}

func (sqliteEngine) stats(ctx context.Context, q querier, now time.Time, shift int64) (recycle.Stats, error) {
	var clock int64
	if err := q.queryRow(ctx, sqliteClock, shift).Scan(&clock); err != nil {
		return recycle.Stats{}, err
	}
	var (
		st     recycle.Stats
		oldest sql.NullInt64
	)
	err := q.queryRow(ctx, sqliteStats, now.UnixMicro(), clock).Scan(&st.Scheduled, &st.Due, &st.Leased, &st.Expired, &st.Dead, &oldest)
	if oldest.Valid {
		st.OldestDue = time.UnixMicro(oldest.Int64).UTC()
	}
	return st, err
}
