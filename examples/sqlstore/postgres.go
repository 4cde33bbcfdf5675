package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/recycle"
)

// PostgresConfig configures [OpenPostgres]. The zero value is the default
// described on each field.
type PostgresConfig struct {
	// MaxConns is the most connections the pool opens. Default 4; at most
	// 1000. A worker that claims and acknowledges one lead at a time needs
	// one or two.
	MaxConns int
	// NoMigrate leaves the schema alone: by default OpenPostgres applies
	// [Migrate], which is safe to run from many processes at once.
	NoMigrate bool
}

func (c *PostgresConfig) fill() error {
	c.MaxConns = cmp.Or(c.MaxConns, 4)
	if c.MaxConns < 1 || c.MaxConns > 1000 {
		return recycle.Invalid(&lead.FieldError{Path: "PostgresConfig.MaxConns", Problem: fmt.Sprintf("%d is outside 1 to 1000", c.MaxConns)})
	}
	return nil
}

// OpenPostgres connects to the PostgreSQL database named by dsn (a URL,
// postgres://user@host:port/db?sslmode=disable, or key=value pairs as
// libpq takes them), applies [Migrate] (unless cfg.NoMigrate), and returns
// a Store over a pool of at most cfg.MaxConns connections, through pgx's
// database/sql driver. The tables go in the first schema of the
// connection's search_path: put search_path=myschema in the DSN to choose
// it.
func OpenPostgres(ctx context.Context, dsn string, cfg PostgresConfig) (*Store, error) {
	if err := cfg.fill(); err != nil {
		return nil, fmt.Errorf("sqlstore: open postgresql: %w", err)
	}
	cc, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's message does not repeat the DSN, which may hold a password.
		return nil, fmt.Errorf("sqlstore: open postgresql: %w", err)
	}
	db := stdlib.OpenDB(*cc)
	db.SetMaxOpenConns(cfg.MaxConns)
	db.SetMaxIdleConns(cfg.MaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	what := fmt.Sprintf("postgresql %s:%d/%s", cc.Host, cc.Port, cc.Database)
	return finishOpen(ctx, PostgreSQL, what, db, db, cfg.NoMigrate, db)
}

// postgresEngine is the SQL of PostgreSQL. Every write is one statement
// in a transaction of its own (see write), except that a conditional write
// that matched no row asks in a second statement of the same transaction
// whether the lead has an entry at all, to tell ErrStale from ErrNotFound.
type postgresEngine struct{}

func (postgresEngine) close() error { return nil }

// write runs fn in a transaction that the caller's ctx interrupts until the
// commit, but not during it: a call cancelled before the commit changes
// nothing (the server rolls back the transaction of a connection that pgx
// closed mid-statement, or fn's error rolls it back), and a commit once
// sent is waited for, so that its outcome is known. Without the
// transaction, a single statement interrupted by a cancellation could have
// been carried out all the same, and the caller told otherwise.
func write(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
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

func scanPostgres(row scanner) (recycle.Entry, error) {
	var (
		e       recycle.Entry
		version int64
		lease   sql.NullTime
		reason  string
	)
	err := row.Scan(&e.LeadID, &e.Due, &reason, &e.Task, &e.Rank, &e.Recycles, &e.Attempt, &e.Since, &version, &lease, &e.Claims)
	if err != nil {
		return recycle.Entry{}, err
	}
	e.Due, e.Since, e.Reason, e.Version = e.Due.UTC(), e.Since.UTC(), lead.Reason(reason), uint64(version)
	if lease.Valid {
		e.LeaseUntil = lease.Time.UTC()
	}
	return e, nil
}

func (postgresEngine) get(ctx context.Context, db *sql.DB, leadID string) (recycle.Entry, error) {
	e, err := scanPostgres(db.QueryRowContext(ctx, `SELECT `+columns+` FROM recycle_entries WHERE lead_id = $1`, leadID))
	if errors.Is(err, sql.ErrNoRows) {
		return recycle.Entry{}, recycle.ErrNotFound
	}
	return e, err
}

// missed returns the error of a conditional write on leadID that matched
// no row: ErrStale if the lead has an entry, ErrNotFound if not. It runs in
// the write's transaction, after the write: a version, once replaced, never
// comes back, so the answer holds for the write too.
func missed(ctx context.Context, tx *sql.Tx, leadID string) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM recycle_entries WHERE lead_id = $1`, leadID).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return recycle.ErrNotFound
	case err != nil:
		return err
	}
	return recycle.ErrStale
}

func (postgresEngine) put(ctx context.Context, db *sql.DB, e recycle.Entry, expect uint64) (got recycle.Entry, err error) {
	args := []any{e.LeadID, e.Due, string(e.Reason), e.Task, e.Rank, e.Recycles, e.Attempt, e.Since}
	err = write(ctx, db, func(tx *sql.Tx) error {
		if expect == 0 {
			got, err = scanPostgres(tx.QueryRowContext(ctx, `
				INSERT INTO recycle_entries (`+columns+`)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, nextval('recycle_version'), NULL, 0)
				ON CONFLICT (lead_id) DO NOTHING
				RETURNING `+columns, args...))
			if errors.Is(err, sql.ErrNoRows) {
				return recycle.ErrStale
			}
			return err
		}
		got, err = scanPostgres(tx.QueryRowContext(ctx, `
			UPDATE recycle_entries SET
				due = $2, reason = $3, task = $4, rank = $5, recycles = $6, attempt = $7, since = $8,
				version = nextval('recycle_version'), lease_until = NULL, claims = 0
			WHERE lead_id = $1 AND version = $9
			RETURNING `+columns, append(args, int64(expect))...))
		if errors.Is(err, sql.ErrNoRows) {
			return missed(ctx, tx, e.LeadID)
		}
		return err
	})
	return got, err
}

func (postgresEngine) delete(ctx context.Context, db *sql.DB, leadID string, expect uint64) error {
	return write(ctx, db, func(tx *sql.Tx) error {
		var (
			res sql.Result
			err error
		)
		if expect == 0 {
			res, err = tx.ExecContext(ctx, `DELETE FROM recycle_entries WHERE lead_id = $1`, leadID)
		} else {
			res, err = tx.ExecContext(ctx, `DELETE FROM recycle_entries WHERE lead_id = $1 AND version = $2`, leadID, int64(expect))
		}
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		switch {
		case err != nil:
			return err
		case n > 0:
			return nil
		case expect == 0:
			return recycle.ErrNotFound
		}
		return missed(ctx, tx, leadID)
	})
}

// postgresClaim leases the first $2 claimable entries at $1 until $3. The
// claimable entries are the union of two index range scans: entries not
// claimed and due (recycle_entries_waiting, read in claim order and stopped
// after $2 rows) and entries whose lease ended (recycle_entries_leased:
// only the leases that ended are read). Each scan locks the rows it takes
// and skips those another claim has locked, so concurrent claims neither
// wait for each other nor take the same entry; a row locked in a scan but
// not picked is free again when the transaction ends. The CTEs are
// MATERIALIZED so that each runs once, whatever the planner thinks.
const postgresClaim = `
WITH waiting AS MATERIALIZED (
	SELECT lead_id, due, rank FROM recycle_entries
	WHERE lease_until IS NULL AND due <= $1
	ORDER BY due, rank DESC, lead_id LIMIT $2
	FOR UPDATE SKIP LOCKED
), expired AS MATERIALIZED (
	SELECT lead_id, due, rank FROM recycle_entries
	WHERE lease_until <= $1
	ORDER BY due, rank DESC, lead_id LIMIT $2
	FOR UPDATE SKIP LOCKED
), picked AS MATERIALIZED (
	SELECT lead_id FROM (SELECT * FROM waiting UNION ALL SELECT * FROM expired) c
	ORDER BY due, rank DESC, lead_id LIMIT $2
)
UPDATE recycle_entries e
SET version = nextval('recycle_version'), lease_until = $3, claims = e.claims + 1
FROM picked WHERE e.lead_id = picked.lead_id
RETURNING e.lead_id, e.due, e.reason, e.task, e.rank, e.recycles, e.attempt, e.since, e.version, e.lease_until, e.claims`

func (postgresEngine) claim(ctx context.Context, db *sql.DB, now time.Time, limit int, leaseUntil time.Time) (out []recycle.Entry, err error) {
	err = write(ctx, db, func(tx *sql.Tx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, postgresClaim, now, limit, leaseUntil)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanPostgres(rows)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (postgresEngine) extend(ctx context.Context, db *sql.DB, leadID string, version uint64, leaseUntil time.Time) (e recycle.Entry, err error) {
	err = write(ctx, db, func(tx *sql.Tx) error {
		e, err = scanPostgres(tx.QueryRowContext(ctx, `
			UPDATE recycle_entries SET lease_until = $3
			WHERE lead_id = $1 AND version = $2 AND lease_until IS NOT NULL
			RETURNING `+columns, leadID, int64(version), leaseUntil))
		if errors.Is(err, sql.ErrNoRows) {
			return missed(ctx, tx, leadID)
		}
		return err
	})
	return e, err
}
