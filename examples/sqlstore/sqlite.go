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
		return finishOpen(ctx, SQLite, "sqlite in memory", db, db, cfg.NoMigrate, db)
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
	return finishOpen(ctx, SQLite, fmt.Sprintf("sqlite %q", path), w, r, cfg.NoMigrate, w, r)
}

// finishOpen checks the pools, migrates, and returns the Store, closing the
// pools on failure.
func finishOpen(ctx context.Context, d Dialect, what string, db, ro *sql.DB, noMigrate bool, owned ...*sql.DB) (*Store, error) {
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
	s, err := newStore(ctx, d, db, ro, owned...)
	if err != nil {
		return fail(err)
	}
	return s, nil
}

// sqliteEngine is the SQL of SQLite. Times are INTEGER Unix microseconds.
// Every write is a transaction that begins IMMEDIATE: it holds the
// database's write lock throughout, so reading the current version and
// writing the next are one atomic step. Statements are prepared once:
// parsing SQL costs more than running these statements.
type sqliteEngine struct {
	get1, current, versions, base, upsert, delete1, claim1, extend1 *sql.Stmt
}

const columns = "lead_id, due, reason, task, rank, recycles, attempt, since, version, lease_until, claims"

// sqliteClaim leases the first ?2 claimable entries at ?1 until ?3, giving
// the n-th of them (in claim order) version ?4 + n. The claimable entries
// are the union of two index range scans: entries not claimed and due
// (recycle_entries_waiting, read in claim order and stopped after ?2 rows)
// and entries whose lease ended (recycle_entries_leased: only the leases
// that ended are read).
const sqliteClaim = `
WITH candidates AS (
	SELECT lead_id, due, rank FROM (
		SELECT lead_id, due, rank FROM recycle_entries
		WHERE lease_until IS NULL AND due <= ?1
		ORDER BY due, rank DESC, lead_id LIMIT ?2)
	UNION ALL
	SELECT lead_id, due, rank FROM (
		SELECT lead_id, due, rank FROM recycle_entries
		WHERE lease_until <= ?1
		ORDER BY due, rank DESC, lead_id LIMIT ?2)
), picked AS (
	SELECT lead_id AS id, row_number() OVER (ORDER BY due, rank DESC, lead_id) AS n
	FROM candidates ORDER BY due, rank DESC, lead_id LIMIT ?2
)
UPDATE recycle_entries
SET version = ?4 + picked.n, lease_until = ?3, claims = claims + 1
FROM picked WHERE recycle_entries.lead_id = picked.id
RETURNING ` + columns

func newSQLiteEngine(ctx context.Context, db, ro *sql.DB) (*sqliteEngine, error) {
	e := &sqliteEngine{}
	for _, p := range []struct {
		stmt **sql.Stmt
		db   *sql.DB
		sql  string
	}{
		{&e.get1, ro, `SELECT ` + columns + ` FROM recycle_entries WHERE lead_id = ?1`},
		{&e.current, db, `SELECT version, lease_until FROM recycle_entries WHERE lead_id = ?1`},
		{&e.versions, db, `UPDATE recycle_version SET last = last + ?1 WHERE id = 1 RETURNING last`},
		{&e.base, db, `SELECT last FROM recycle_version WHERE id = 1`},
		{&e.upsert, db, `
			INSERT INTO recycle_entries (` + columns + `)
			VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL, 0)
			ON CONFLICT (lead_id) DO UPDATE SET
				due = excluded.due, reason = excluded.reason, task = excluded.task, rank = excluded.rank,
				recycles = excluded.recycles, attempt = excluded.attempt, since = excluded.since,
				version = excluded.version, lease_until = NULL, claims = 0
			RETURNING ` + columns},
		{&e.delete1, db, `DELETE FROM recycle_entries WHERE lead_id = ?1`},
		{&e.claim1, db, sqliteClaim},
		{&e.extend1, db, `UPDATE recycle_entries SET lease_until = ?2 WHERE lead_id = ?1 RETURNING ` + columns},
	} {
		stmt, err := p.db.PrepareContext(ctx, p.sql)
		if err != nil {
			e.close()
			return nil, fmt.Errorf("prepare %q (has Migrate run?): %w", strings.Join(strings.Fields(p.sql), " "), err)
		}
		*p.stmt = stmt
	}
	return e, nil
}

func (e *sqliteEngine) close() error {
	var errs []error
	for _, s := range []*sql.Stmt{e.get1, e.current, e.versions, e.base, e.upsert, e.delete1, e.claim1, e.extend1} {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	return errors.Join(errs...)
}

type scanner interface{ Scan(dest ...any) error }

func scanSQLite(row scanner) (recycle.Entry, error) {
	var (
		e                   recycle.Entry
		due, since, version int64
		lease               sql.NullInt64
		reason              string
	)
	err := row.Scan(&e.LeadID, &due, &reason, &e.Task, &e.Rank, &e.Recycles, &e.Attempt, &since, &version, &lease, &e.Claims)
	if err != nil {
		return recycle.Entry{}, err
	}
	e.Due, e.Since, e.Reason, e.Version = time.UnixMicro(due).UTC(), time.UnixMicro(since).UTC(), lead.Reason(reason), uint64(version)
	if lease.Valid {
		e.LeaseUntil = time.UnixMicro(lease.Int64).UTC()
	}
	return e, nil
}

func (e *sqliteEngine) get(ctx context.Context, _ *sql.DB, leadID string) (recycle.Entry, error) {
	got, err := scanSQLite(e.get1.QueryRowContext(ctx, leadID))
	if errors.Is(err, sql.ErrNoRows) {
		return recycle.Entry{}, recycle.ErrNotFound
	}
	return got, err
}

// state returns the version of leadID's entry and whether it has a lease;
// 0 if there is no entry.
func (e *sqliteEngine) state(ctx context.Context, tx *sql.Tx, leadID string) (version uint64, leased bool, err error) {
	var v int64
	var lease sql.NullInt64
	err = tx.StmtContext(ctx, e.current).QueryRowContext(ctx, leadID).Scan(&v, &lease)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return uint64(v), lease.Valid, err
}

// take takes n versions from the store-wide sequence and returns the last
// one taken, the first being last-n+1.
func (e *sqliteEngine) take(ctx context.Context, tx *sql.Tx, n int) (last uint64, err error) {
	var v int64
	err = tx.StmtContext(ctx, e.versions).QueryRowContext(ctx, n).Scan(&v)
	return uint64(v), err
}

func (e *sqliteEngine) put(ctx context.Context, db *sql.DB, en recycle.Entry, expect uint64) (out recycle.Entry, err error) {
	err = inTx(ctx, db, func(tx *sql.Tx) error {
		cur, _, err := e.state(ctx, tx, en.LeadID)
		switch {
		case err != nil:
			return err
		case cur == 0 && expect != 0:
			return recycle.ErrNotFound
		case cur != expect:
			return recycle.ErrStale
		}
		v, err := e.take(ctx, tx, 1)
		if err != nil {
			return err
		}
		out, err = scanSQLite(tx.StmtContext(ctx, e.upsert).QueryRowContext(ctx,
			en.LeadID, en.Due.UnixMicro(), string(en.Reason), en.Task, en.Rank, en.Recycles, en.Attempt, en.Since.UnixMicro(), int64(v)))
		return err
	})
	return out, err
}

func (e *sqliteEngine) delete(ctx context.Context, db *sql.DB, leadID string, expect uint64) error {
	return inTx(ctx, db, func(tx *sql.Tx) error {
		cur, _, err := e.state(ctx, tx, leadID)
		switch {
		case err != nil:
			return err
		case cur == 0:
			return recycle.ErrNotFound
		case expect != 0 && cur != expect:
			return recycle.ErrStale
		}
		_, err = tx.StmtContext(ctx, e.delete1).ExecContext(ctx, leadID)
		return err
	})
}

func (e *sqliteEngine) claim(ctx context.Context, db *sql.DB, now time.Time, limit int, leaseUntil time.Time) (out []recycle.Entry, err error) {
	err = inTx(ctx, db, func(tx *sql.Tx) error {
		out = out[:0]
		var base int64
		if err := tx.StmtContext(ctx, e.base).QueryRowContext(ctx).Scan(&base); err != nil {
			return err
		}
		rows, err := tx.StmtContext(ctx, e.claim1).QueryContext(ctx, now.UnixMicro(), limit, leaseUntil.UnixMicro(), base)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			got, err := scanSQLite(rows)
			if err != nil {
				return err
			}
			out = append(out, got)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(out) == 0 {
			return nil
		}
		_, err = e.take(ctx, tx, len(out))
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (e *sqliteEngine) extend(ctx context.Context, db *sql.DB, leadID string, version uint64, leaseUntil time.Time) (out recycle.Entry, err error) {
	err = inTx(ctx, db, func(tx *sql.Tx) error {
		cur, leased, err := e.state(ctx, tx, leadID)
		switch {
		case err != nil:
			return err
		case cur == 0:
			return recycle.ErrNotFound
		case cur != version || !leased:
			return recycle.ErrStale
		}
		out, err = scanSQLite(tx.StmtContext(ctx, e.extend1).QueryRowContext(ctx, leadID, leaseUntil.UnixMicro()))
		return err
	})
	return out, err
}
