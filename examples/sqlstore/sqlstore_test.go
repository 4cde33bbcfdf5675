package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadqual/leadqual/examples/sqlstore"
	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/recycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func entry(id string, due time.Time) recycle.Entry {
	return recycle.Entry{LeadID: id, Due: due, Reason: lead.ReasonNotNow, Task: "Call back", Since: t0}
}

func TestMigrations(t *testing.T) {
	tests := []struct {
		dialect sqlstore.Dialect
		want    []string
		err     string
	}{
		{dialect: sqlstore.SQLite, want: []string{"0001_recycle_entries.sql"}},
		{dialect: sqlstore.PostgreSQL, want: []string{"0001_recycle_entries.sql"}},
		{dialect: 0, err: "unknown dialect Dialect(0)"},
	}
	for _, tc := range tests {
		t.Run(tc.dialect.String(), func(t *testing.T) {
			ms, err := sqlstore.Migrations(tc.dialect)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			var names []string
			for i, m := range ms {
				names = append(names, m.Name)
				assert.Equal(t, i+1, m.Version, "versions are 1, 2, 3, ...")
				assert.Contains(t, m.SQL, "CREATE TABLE recycle_entries")
			}
			assert.Equal(t, tc.want, names)
		})
	}
}

// TestMigrate checks that Migrate is idempotent, safe to run from several
// pools at once, and refuses a schema newer than it knows.
func TestMigrate(t *testing.T) {
	for _, b := range backends {
		if b.memory {
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			d := b.database(t)
			var wg sync.WaitGroup
			errs := make([]error, 4)
			for i := range errs { // several pools migrate the same fresh database at once
				db := d.pool(t)
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = sqlstore.Migrate(ctx, db, dialect(b))
				}()
			}
			wg.Wait()
			for _, err := range errs {
				require.NoError(t, err)
			}
			s := d.store(t)
			require.NoError(t, sqlstore.Migrate(ctx, s.DB(), s.Dialect()), "again")
			var n, v int
			require.NoError(t, s.DB().QueryRowContext(ctx, "SELECT count(*), max(version) FROM recycle_migrations").Scan(&n, &v))
			assert.Equal(t, 1, n, "each step applied once")
			assert.Equal(t, 1, v)

			_, err := s.DB().ExecContext(ctx, "INSERT INTO recycle_migrations (version, name) VALUES (99, '0099_future.sql')")
			require.NoError(t, err)
			err = sqlstore.Migrate(ctx, s.DB(), s.Dialect())
			require.ErrorContains(t, err, "schema is at version 99, newer than this program's 1")
		})
	}
}

func TestOpenSQLiteConfig(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		path string
		cfg  sqlstore.SQLiteConfig
		err  string
	}{
		{"readers", "x.db", sqlstore.SQLiteConfig{Readers: 100}, "SQLiteConfig.Readers: 100 is outside 1 to 64"},
		{"busy timeout", "x.db", sqlstore.SQLiteConfig{BusyTimeout: time.Hour}, "SQLiteConfig.BusyTimeout: 1h0m0s is outside 1ms to 10m"},
		{"query in path", "x.db?mode=ro", sqlstore.SQLiteConfig{}, "the path holds '?' or '#'"},
		{"no directory", "no/such/dir/x.db", sqlstore.SQLiteConfig{}, "no/such/dir/x.db"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tc.path)
			_, err := sqlstore.OpenSQLite(ctx, path, tc.cfg)
			require.ErrorContains(t, err, tc.err)
		})
	}
	_, err := sqlstore.OpenPostgres(ctx, "postgres://127.0.0.1:1/x", sqlstore.PostgresConfig{MaxConns: -1})
	require.ErrorIs(t, err, recycle.ErrInvalid)
	require.ErrorContains(t, err, "PostgresConfig.MaxConns: -1 is outside 1 to 1000")
	_, err = sqlstore.New(ctx, nil, sqlstore.SQLite)
	require.ErrorContains(t, err, "nil *sql.DB")
}

// TestReopen checks that a SQLite file keeps the schedule and the version
// sequence across a restart.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "recycle.db")
	s, err := sqlstore.OpenSQLite(ctx, path, sqlstore.SQLiteConfig{})
	require.NoError(t, err)
	a, err := s.Put(ctx, entry("L-1", t0), 0)
	require.NoError(t, err)
	b, err := s.Put(ctx, entry("L-2", t0), 0)
	require.NoError(t, err)
	require.NoError(t, s.Delete(ctx, "L-2", b.Version))
	require.NoError(t, s.Close())

	s, err = sqlstore.OpenSQLite(ctx, path, sqlstore.SQLiteConfig{})
	require.NoError(t, err)
	defer s.Close()
	got, err := s.Get(ctx, "L-1")
	require.NoError(t, err)
	assert.Equal(t, a, got)
	c, err := s.Put(ctx, entry("L-2", t0), 0)
	require.NoError(t, err)
	assert.Greater(t, c.Version, b.Version, "versions go on from where they were")
}

// TestStoreEdges covers what the conformance suite leaves to the store:
// refusing what it cannot keep, and the precision of times.
func TestStoreEdges(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t)
			bad := []struct {
				name  string
				entry recycle.Entry
			}{
				{"nul in id", entry("L-\x00", t0)},
				{"nul in task", func() recycle.Entry { e := entry("L-1", t0); e.Task = "a\x00b"; return e }()},
				{"invalid utf-8", entry("L-\xff", t0)},
				{"no due", entry("L-1", time.Time{})},
				{"final reason", func() recycle.Entry { e := entry("L-1", t0); e.Reason = lead.ReasonDoNotContact; return e }()},
			}
			for _, tc := range bad {
				_, err := s.Put(ctx, tc.entry, 0)
				assert.ErrorIs(t, err, recycle.ErrInvalid, tc.name)
			}
			for _, id := range []string{"L-\x00", "L-\xff"} {
				_, err := s.Get(ctx, id)
				assert.ErrorIs(t, err, recycle.ErrNotFound, "get %q", id)
				assert.ErrorIs(t, s.Delete(ctx, id, 0), recycle.ErrNotFound, "delete %q", id)
				_, err = s.Extend(ctx, id, 1, t0)
				assert.ErrorIs(t, err, recycle.ErrNotFound, "extend %q", id)
			}
			for _, c := range []struct {
				name       string
				now, until time.Time
				limit      int
			}{
				{"limit 0", t0, t0.Add(time.Minute), 0},
				{"lease ends at now", t0, t0, 1},
				{"lease ends within the microsecond", t0, t0.Add(time.Nanosecond), 1},
				{"no now", time.Time{}, t0, 1},
			} {
				_, err := s.Claim(ctx, c.now, c.limit, c.until)
				assert.ErrorIs(t, err, recycle.ErrInvalid, c.name)
			}

			zone := time.FixedZone("CET", 3600)
			e := entry("L-ns", time.Date(2027, 1, 2, 3, 4, 5, 123456789, zone))
			got, err := s.Put(ctx, e, 0)
			require.NoError(t, err)
			want := time.Date(2027, 1, 2, 2, 4, 5, 123456000, time.UTC)
			assert.Equal(t, want, got.Due, "truncated to the microsecond, in UTC")
			read, err := s.Get(ctx, "L-ns")
			require.NoError(t, err)
			assert.Equal(t, got, read)
			cs, err := s.Claim(ctx, want, 1, want.Add(time.Minute+999*time.Nanosecond))
			require.NoError(t, err)
			require.Len(t, cs, 1, "due at the microsecond it was truncated to")
			assert.Equal(t, want.Add(time.Minute), cs[0].LeaseUntil)
		})
	}
}

// TestClaimPlan checks that a claim reads the two partial indexes and
// never the whole table, so that its cost stays flat as the table grows.
func TestClaimPlan(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t)
			db := s.DB()
			var plan []string
			switch s.Dialect() {
			case sqlstore.SQLite:
				_, err := db.ExecContext(ctx, `
					WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
					INSERT INTO recycle_entries (lead_id, due, reason, task, rank, recycles, attempt, since, version, lease_until, claims)
					SELECT printf('L-%06d', i), ?1 + i * 1000000, 'not_now', 'Call back', i % 10, 0, 0, ?1, i + 1,
						CASE WHEN i % 50 = 0 THEN ?1 + 600000000 END, 0 FROM n`, t0.UnixMicro())
				require.NoError(t, err)
				_, err = db.ExecContext(ctx, `ANALYZE`)
				require.NoError(t, err)
				plan = explain(t, db, `EXPLAIN QUERY PLAN `+sqlstore.SQLiteClaim, t0.UnixMicro(), 10, t0.Add(time.Hour).UnixMicro(), 0)
			case sqlstore.PostgreSQL:
				_, err := db.ExecContext(ctx, `
					INSERT INTO recycle_entries (lead_id, due, reason, task, rank, recycles, attempt, since, version, lease_until, claims)
					SELECT 'L-' || lpad(i::text, 6, '0'), $1::timestamptz + i * interval '1 second', 'not_now', 'Call back', i % 10, 0, 0, $1, i + 1,
						CASE WHEN i % 50 = 0 THEN $1::timestamptz + interval '10 minutes' END, 0
					FROM generate_series(0, 20000) i`, t0)
				require.NoError(t, err)
				_, err = db.ExecContext(ctx, `ANALYZE recycle_entries`)
				require.NoError(t, err)
				plan = explain(t, db, `EXPLAIN `+sqlstore.PostgresClaim, t0, 10, t0.Add(time.Hour))
			}
			text := strings.Join(plan, "\n")
			t.Logf("plan:\n%s", text)
			assert.Contains(t, text, "recycle_entries_waiting", "due entries are read from the waiting index")
			assert.Contains(t, text, "recycle_entries_leased", "ended leases are read from the leased index")
			assert.NotRegexp(t, `(?i)(SCAN recycle_entries\s*$|SCAN recycle_entries\n|Seq Scan)`, text, "no full scan of the table")
		})
	}
}

func dialect(b backend) sqlstore.Dialect {
	if strings.HasPrefix(b.name, "sqlite") {
		return sqlstore.SQLite
	}
	return sqlstore.PostgreSQL
}

func explain(t *testing.T, db *sql.DB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), query, args...)
	require.NoError(t, err)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(t, err)
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(t, rows.Scan(ptrs...))
		out = append(out, fmt.Sprint(vals[len(vals)-1]))
	}
	require.NoError(t, rows.Err())
	return out
}

// TestCancelDuring cancels contexts while calls run: a call either
// completes, or fails with an error wrapping context.Canceled and changes
// nothing.
func TestCancelDuring(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t)
			ctx := context.Background()
			for i := range 200 {
				id := fmt.Sprintf("L-%03d", i)
				c, cancel := context.WithCancel(ctx)
				go cancel()
				_, err := s.Put(c, entry(id, t0), 0)
				_, gerr := s.Get(ctx, id)
				if err != nil {
					require.ErrorIs(t, err, context.Canceled)
					require.ErrorIs(t, gerr, recycle.ErrNotFound, "a cancelled Put created %s", id)
					continue
				}
				require.NoError(t, gerr)

				c, cancel = context.WithCancel(ctx)
				go cancel()
				cs, err := s.Claim(c, t0, 1, t0.Add(time.Minute))
				read, gerr := s.Get(ctx, id)
				require.NoError(t, gerr)
				if err != nil {
					require.ErrorIs(t, err, context.Canceled)
					require.True(t, read.LeaseUntil.IsZero(), "a cancelled Claim claimed %s", id)
					require.NoError(t, s.Delete(ctx, id, 0))
					continue
				}
				require.Len(t, cs, 1)
				require.Equal(t, id, cs[0].LeadID, "the only entry")

				c, cancel = context.WithCancel(ctx)
				go cancel()
				err = s.Delete(c, id, cs[0].Version)
				_, gerr = s.Get(ctx, id)
				if err != nil {
					require.ErrorIs(t, err, context.Canceled)
					require.NoError(t, gerr, "a cancelled Delete deleted %s", id)
					require.NoError(t, s.Delete(ctx, id, 0))
				} else {
					require.ErrorIs(t, gerr, recycle.ErrNotFound)
				}
				cancel()
			}
		})
	}
}

func TestClosed(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s, err := b.database(t).open(context.Background(), false)
			require.NoError(t, err)
			require.NoError(t, s.Close())
			require.NoError(t, s.Close(), "twice")
			_, err = s.Get(context.Background(), "L-1")
			require.ErrorContains(t, err, "closed")
			_, err = s.Claim(context.Background(), t0, 1, t0.Add(time.Minute))
			require.ErrorContains(t, err, "closed")
		})
	}
}
