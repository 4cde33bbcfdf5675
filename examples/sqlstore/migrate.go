package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The schema, one directory of SQL files per dialect, named
// NNNN_what.sql and applied in the order of NNNN.
//
//go:embed migrations/sqlite/*.sql migrations/postgresql/*.sql
var migrationFiles embed.FS

// Migration is one step of the schema: a plain SQL file.
type Migration struct {
	// Version is the number the file name starts with; steps apply in
	// increasing order.
	Version int
	// Name is the file name, "0001_recycle_entries.sql".
	Name string
	// SQL is the file's text.
	SQL string
}

// Migrations returns the schema of dialect d, step by step: for a host
// that applies migrations with its own tool, or reads them. The files are
// also in this module's migrations directory.
func Migrations(d Dialect) ([]Migration, error) {
	if !d.valid() {
		return nil, fmt.Errorf("sqlstore: migrations: unknown dialect %s", d)
	}
	dir := "migrations/" + d.String()
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: migrations of %s: %w", d, err)
	}
	var out []Migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("sqlstore: migrations of %s: %s is not named NNNN_what.sql", d, e.Name())
		}
		b, err := fs.ReadFile(migrationFiles, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("sqlstore: migrations of %s: %w", d, err)
		}
		out = append(out, Migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	slices.SortFunc(out, func(a, b Migration) int { return a.Version - b.Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("sqlstore: migrations of %s: %s and %s have the same version", d, out[i-1].Name, out[i].Name)
		}
	}
	return out, nil
}

// Migrate brings the schema of db up to date with [Migrations]: it applies
// the steps not yet applied, in one transaction, and records each in the
// table recycle_migrations. It is idempotent: run it at every start. Runs
// from several processes at once apply each step once (PostgreSQL takes an
// advisory lock; SQLite's write lock serialises them, and a run refused at
// once with SQLITE_BUSY is retried). A database whose
// schema is newer than this program knows is an error, and is left alone.
func Migrate(ctx context.Context, db *sql.DB, d Dialect) error {
	steps, err := Migrations(d)
	if err != nil {
		return err
	}
	latest := steps[len(steps)-1].Version
	// Pools that open a new SQLite file together may be refused at once
	// (SQLITE_BUSY) instead of waiting for the lock: such an error, or one
	// that may pass in PostgreSQL, is retried a few times, as the
	// transaction changed nothing.
	wait := 50 * time.Millisecond
	for try := 1; ; try++ {
		err = migrate(ctx, db, d, steps, latest)
		busy := transient(d, err) && (d == PostgreSQL || sqliteCode(err) == sqliteBusy || sqliteCode(err) == sqliteLocked)
		if err == nil || try == 8 || !busy || ctx.Err() != nil {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
		wait = min(2*wait, time.Second)
	}
	if err != nil {
		return fmt.Errorf("sqlstore: migrate %s schema: %w", d, err)
	}
	return nil
}

// migrate applies the steps after the database's latest, in one
// transaction.
func migrate(ctx context.Context, db *sql.DB, d Dialect, steps []Migration, latest int) error {
	return inTx(ctx, db, func(tx *sql.Tx) error {
		record := `INSERT INTO recycle_migrations (version, name) VALUES (?1, ?2)`
		table := `CREATE TABLE IF NOT EXISTS recycle_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)`
		if d == PostgreSQL {
			// One migrator at a time, whichever schema it migrates: the
			// lock is released when the transaction ends.
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7426157033491521)`); err != nil {
				return fmt.Errorf("lock: %w", err)
			}
			record = `INSERT INTO recycle_migrations (version, name) VALUES ($1, $2)`
			table = `CREATE TABLE IF NOT EXISTS recycle_migrations (
				version    integer PRIMARY KEY,
				name       text NOT NULL,
				applied_at timestamptz NOT NULL DEFAULT now())`
		}
		if _, err := tx.ExecContext(ctx, table); err != nil {
			return fmt.Errorf("create recycle_migrations: %w", err)
		}
		var applied int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM recycle_migrations`).Scan(&applied); err != nil {
			return fmt.Errorf("read recycle_migrations: %w", err)
		}
		if applied > latest {
			return fmt.Errorf("the database's schema is at version %d, newer than this program's %d", applied, latest)
		}
		for _, m := range steps {
			if m.Version <= applied {
				continue
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("apply %s: %w", m.Name, err)
			}
			if _, err := tx.ExecContext(ctx, record, m.Version, m.Name); err != nil {
				return fmt.Errorf("record %s: %w", m.Name, err)
			}
		}
		return nil
	})
}
