package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
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
	// one or two, and one more while it watches for due leads
	// ([Store.WatchDue]).
	MaxConns int
	// NotifyDue makes every write of this Store that makes a lead due now
	// on the database's clock (a Put, a release) send NOTIFY on
	// [DueChannel], in its transaction, so that workers waiting in
	// [Store.WatchDue] claim it at once instead of at their next poll.
	// Default false: PostgreSQL serialises the commits of transactions
	// that notify, which costs a busy writer some throughput.
	NotifyDue bool
	// NoMigrate leaves the schema alone: by default OpenPostgres applies
	// [Migrate], which is safe to run from many processes at once.
	NoMigrate bool
	// DurableClaims makes every claim and every lease extension of this
	// Store wait until its commit is on disk, as its other writes do.
	// Default false: they commit asynchronously (synchronous_commit off
	// for their transaction alone), which saves each the wait for a flush
	// of the WAL; a crash of the server may then lose a claim or an
	// extension that returned, which the store makes safe (see Durability
	// in the package documentation). Set it if the host wants every claim
	// to survive a crash anyway, or on a server where the functions that
	// asynchronous claims need (pg_current_wal_insert_lsn and
	// pg_current_wal_flush_lsn, PostgreSQL 10 on) are missing or refused.
	DurableClaims bool
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
	return finishOpen(ctx, PostgreSQL, what, db, db, cfg.NoMigrate, options{notify: cfg.NotifyDue, durableClaims: cfg.DurableClaims}, db)
}

// pgNow is the store's clock in PostgreSQL: statement_timestamp(), the
// start of the current statement on the server's clock, plus the store's
// shift in microseconds, the parameter $n.
func pgNow(n int) string {
	return fmt.Sprintf("(statement_timestamp() + $%d::bigint * interval '1 microsecond')", n)
}

// pgColumns returns the columns of an entry, each prefixed with p.
func pgColumns(p string) string {
	return p + strings.ReplaceAll(columns, ", ", ", "+p)
}

// The statements of PostgreSQL.
var (
	pgGet    = `SELECT ` + columns + ` FROM recycle_entries WHERE lead_id = $1`
	pgInsert = `
		WITH v AS MATERIALIZED (SELECT nextval('recycle_version') AS v)
		INSERT INTO recycle_entries (` + columns + `)
		SELECT $1::text, $2::timestamptz, $3::text, $4::text, $5::bigint, $6::integer, $7::integer, $8::timestamptz,
			$9::integer, $10::text, $11::boolean, v.v, v.v, NULL, 0 FROM v
		ON CONFLICT (lead_id) DO NOTHING
		RETURNING ` + columns
	pgUpdate = `
		WITH v AS MATERIALIZED (SELECT nextval('recycle_version') AS v)
		UPDATE recycle_entries e SET
			due = $2, reason = $3, task = $4, rank = $5, recycles = $6, attempt = $7, since = $8,
			failures = $9, last_error = $10, dead = $11,
			version = v.v, schedule = CASE WHEN e.schedule = $13::bigint THEN e.schedule ELSE v.v END,
			lease_until = NULL, claims = 0
		FROM v WHERE e.lead_id = $1 AND e.version = $12
		RETURNING ` + pgColumns("e.")
	pgDelete    = `DELETE FROM recycle_entries WHERE lead_id = $1`
	pgDeleteIf  = `DELETE FROM recycle_entries WHERE lead_id = $1 AND version = $2`
	pgExists    = `SELECT 1 FROM recycle_entries WHERE lead_id = $1`
	pgNotify    = `SELECT pg_notify('` + DueChannel + `', '')`
	pgNotifyDue = `SELECT pg_notify('` + DueChannel + `', '') WHERE $1::timestamptz <= ` + pgNow(2)
	pgDead      = `SELECT ` + columns + ` FROM recycle_entries WHERE dead AND lead_id > $1 ORDER BY lead_id LIMIT $2`
	// pgPicked is the entries a claim takes: the first $2 claimable at $1
	// on the store's clock (shift $4). It reads the index
	// recycle_entries_queue (the entries that are not dead, in claim
	// order) from its head, skips the leases still running, locks the rows
	// it takes and skips those another claim has locked, so that
	// concurrent claims neither wait for each other nor take the same
	// entry, and stops after $2 rows: the entries due later, dead, or
	// whose lease ended cost it nothing more than the others. The CTE is
	// MATERIALIZED so that it runs once, whatever the planner thinks.
	pgPicked = `picked AS MATERIALIZED (
			SELECT lead_id FROM recycle_entries
			WHERE NOT dead AND due <= $1 AND (lease_until IS NULL OR lease_until <= ` + pgNow(4) + `)
			ORDER BY due, rank DESC, lead_id
			LIMIT $2
			FOR UPDATE SKIP LOCKED
		)`
	// pgLease is what a claim sets beside the version: a lease of $3
	// microseconds on the store's clock (shift $4), and one more claim.
	pgLease = `lease_until = ` + pgNow(4) + ` + $3::bigint * interval '1 microsecond', claims = e.claims + 1`
	// pgClaim leases the entries of pgPicked for $3 microseconds, each
	// with a new version from the sequence: the claim of a transaction
	// that commits synchronously (a host's, or with DurableClaims).
	pgClaim = `
		WITH ` + pgPicked + `
		UPDATE recycle_entries e
		SET version = nextval('recycle_version'), ` + pgLease + `
		FROM picked WHERE e.lead_id = picked.lead_id
		RETURNING ` + pgColumns("e.")
	// pgClaimReserved is pgClaim with the versions given: the n-th entry
	// taken gets the n-th element of $5, versions the store reserved
	// durably (see reserveVersions), so that a claim that commits
	// asynchronously takes nothing from the sequence. An array shorter
	// than the batch leaves a version NULL, which the table refuses.
	pgClaimReserved = `
		WITH ` + pgPicked + `,
		numbered AS MATERIALIZED (SELECT lead_id, row_number() OVER () AS n FROM picked)
		UPDATE recycle_entries e
		SET version = ($5::bigint[])[numbered.n], ` + pgLease + `
		FROM numbered WHERE e.lead_id = numbered.lead_id
		RETURNING ` + pgColumns("e.")
	// pgExtend sets the lease of $1, if its version is $2, to end $3
	// microseconds from now on the store's clock (shift $4); a release
	// ($3 = 0) of a lease still running uncounts the claim.
	pgExtend = `
		UPDATE recycle_entries e SET
			claims = CASE WHEN $3::bigint = 0 AND e.lease_until > ` + pgNow(4) + ` AND e.claims > 0 THEN e.claims - 1 ELSE e.claims END,
			lease_until = ` + pgNow(4) + ` + $3::bigint * interval '1 microsecond'
		WHERE e.lead_id = $1 AND e.version = $2 AND e.lease_until IS NOT NULL
		RETURNING ` + pgColumns("e.")
	// pgStats counts at $1 (the caller's clock) with the store's clock
	// (shift $2), in one pass over the table.
	pgStats = `
		WITH c AS MATERIALIZED (SELECT ` + pgNow(2) + ` AS now)
		SELECT
			count(*) FILTER (WHERE NOT dead),
			count(*) FILTER (WHERE NOT dead AND due <= $1 AND (lease_until IS NULL OR lease_until <= c.now)),
			count(*) FILTER (WHERE NOT dead AND lease_until > c.now),
			count(*) FILTER (WHERE NOT dead AND lease_until <= c.now),
			count(*) FILTER (WHERE dead),
			min(due) FILTER (WHERE NOT dead AND due <= $1 AND (lease_until IS NULL OR lease_until <= c.now))
		FROM recycle_entries, c`
)

// DueChannel is the channel of PostgreSQL's LISTEN/NOTIFY on which a Store
// with PostgresConfig.NotifyDue announces leads that become due now, and
// on which [Store.WatchDue] listens. A host's own writes may NOTIFY it too.
const DueChannel = "recycle_due"

// postgresEngine is the SQL of PostgreSQL. Every write is one statement,
// except that a conditional write that matched no row asks in a second
// statement of the same transaction whether the lead has an entry at all,
// to tell ErrStale from ErrNotFound, and that a write that makes a lead
// due now may NOTIFY.
type postgresEngine struct{}

func scanPostgres(row scanner) (recycle.Entry, error) {
	var (
		e                 recycle.Entry
		version, schedule int64
		lease             sql.NullTime
		reason            string
	)
	err := row.Scan(&e.LeadID, &e.Due, &reason, &e.Task, &e.Rank, &e.Recycles, &e.Attempt, &e.Since,
		&e.Failures, &e.LastError, &e.Dead, &version, &schedule, &lease, &e.Claims)
	if err != nil {
		return recycle.Entry{}, err
	}
	e.Due, e.Since, e.Reason = e.Due.UTC(), e.Since.UTC(), lead.Reason(reason)
	e.Version, e.Schedule = uint64(version), uint64(schedule)
	if lease.Valid {
		e.LeaseUntil = lease.Time.UTC()
	}
	return e, nil
}

func (postgresEngine) get(ctx context.Context, q querier, leadID string) (recycle.Entry, error) {
	e, err := scanPostgres(q.queryRow(ctx, pgGet, leadID))
	if errors.Is(err, sql.ErrNoRows) {
		return recycle.Entry{}, recycle.ErrNotFound
	}
	return e, err
}

// missed returns the error of a conditional write on leadID that matched
// no row: ErrStale if the lead has an entry, ErrNotFound if not. It runs in
// the write's transaction, after the write: a version, once replaced, never
// comes back, so the answer holds for the write too.
func missed(ctx context.Context, q querier, leadID string) error {
	var one int
	err := q.queryRow(ctx, pgExists, leadID).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return recycle.ErrNotFound
	case err != nil:
		return err
	}
	return recycle.ErrStale
}

func (postgresEngine) put(ctx context.Context, q querier, e recycle.Entry, expect uint64, notify bool, shift int64) (recycle.Entry, error) {
	args := []any{e.LeadID, e.Due, string(e.Reason), e.Task, e.Rank, e.Recycles, e.Attempt, e.Since, e.Failures, e.LastError, e.Dead}
	var (
		got recycle.Entry
		err error
	)
	if expect == 0 {
		got, err = scanPostgres(q.queryRow(ctx, pgInsert, args...))
		if errors.Is(err, sql.ErrNoRows) {
			return recycle.Entry{}, recycle.ErrStale
		}
	} else {
		got, err = scanPostgres(q.queryRow(ctx, pgUpdate, append(args, int64(expect), int64(e.Schedule))...))
		if errors.Is(err, sql.ErrNoRows) {
			return recycle.Entry{}, missed(ctx, q, e.LeadID)
		}
	}
	if err == nil && notify && !got.Dead {
		_, err = q.exec(ctx, pgNotifyDue, got.Due, shift)
	}
	return got, err
}

func (postgresEngine) delete(ctx context.Context, q querier, leadID string, expect uint64) error {
	var (
		n   int64
		err error
	)
	if expect == 0 {
		n, err = q.exec(ctx, pgDelete, leadID)
	} else {
		n, err = q.exec(ctx, pgDeleteIf, leadID, int64(expect))
	}
	switch {
	case err != nil:
		return err
	case n > 0:
		return nil
	case expect == 0:
		return recycle.ErrNotFound
	}
	return missed(ctx, q, leadID)
}

func (postgresEngine) claim(ctx context.Context, q querier, now time.Time, limit int, lease, shift int64, versions []int64) ([]recycle.Entry, error) {
	if versions == nil {
		return scanAll(scanPostgres)(q.query(ctx, pgClaim, now, limit, lease, shift))
	}
	return scanAll(scanPostgres)(q.query(ctx, pgClaimReserved, now, limit, lease, shift, versions))
}

func (postgresEngine) extend(ctx context.Context, q querier, leadID string, version uint64, lease int64, notify bool, shift int64) (recycle.Entry, error) {
	e, err := scanPostgres(q.queryRow(ctx, pgExtend, leadID, int64(version), lease, shift))
	if errors.Is(err, sql.ErrNoRows) {
		return recycle.Entry{}, missed(ctx, q, leadID)
	}
	if err == nil && notify && lease == 0 && !e.Dead {
		_, err = q.exec(ctx, pgNotify) // released: claimable now
	}
	return e, err
}

func (postgresEngine) dead(ctx context.Context, q querier, after string, limit int) ([]recycle.Entry, error) {
	return scanAll(scanPostgres)(q.query(ctx, pgDead, after, limit))
}

func (postgresEngine) stats(ctx context.Context, q querier, now time.Time, shift int64) (recycle.Stats, error) {
	var (
		st     recycle.Stats
		oldest sql.NullTime
	)
	err := q.queryRow(ctx, pgStats, now, shift).Scan(&st.Scheduled, &st.Due, &st.Leased, &st.Expired, &st.Dead, &oldest)
	if oldest.Valid {
		st.OldestDue = oldest.Time.UTC()
	}
	return st, err
}
