package sqlstore_test

import (
	"context"
	"database/sql"
	"encoding/json"
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
		{dialect: sqlstore.SQLite, want: []string{"0001_recycle_entries.sql", "0002_clock_dead_schedule.sql"}},
		{dialect: sqlstore.PostgreSQL, want: []string{"0001_recycle_entries.sql", "0002_clock_dead_schedule.sql"}},
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
				assert.Contains(t, m.SQL, "recycle_entries")
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
			assert.Equal(t, 2, n, "each step applied once")
			assert.Equal(t, 2, v)

			_, err := s.DB().ExecContext(ctx, "INSERT INTO recycle_migrations (version, name) VALUES (99, '0099_future.sql')")
			require.NoError(t, err)
			err = sqlstore.Migrate(ctx, s.DB(), s.Dialect())
			require.ErrorContains(t, err, "schema is at version 99, newer than this program's 2")
		})
	}
}

// TestMigrateKeepsEntries migrates a database at the first step, holding
// entries (one of them claimed), to the latest: every entry is kept, with
// its version as its schedule, and the store works on it.
func TestMigrateKeepsEntries(t *testing.T) {
	for _, b := range backends {
		if b.memory {
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			d := b.database(t)
			db := d.pool(t)
			steps, err := sqlstore.Migrations(dialect(b))
			require.NoError(t, err)
			_, err = db.ExecContext(ctx, steps[0].SQL)
			require.NoError(t, err)
			_, err = db.ExecContext(ctx, `CREATE TABLE recycle_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT)`)
			require.NoError(t, err)
			insert := `INSERT INTO recycle_migrations (version, name) VALUES (1, '0001_recycle_entries.sql');
				INSERT INTO recycle_entries (lead_id, due, reason, task, rank, recycles, attempt, since, version, lease_until, claims)
				VALUES ('L-1', %[1]s, 'not_now', 'Call back', 5, 1, 0, %[1]s, 7, NULL, 0),
				       ('L-2', %[1]s, 'no_budget', 'Ask', 0, 0, 0, %[1]s, 9, %[2]s, 1)`
			if dialect(b) == sqlstore.SQLite {
				insert = fmt.Sprintf(insert, fmt.Sprint(t0.UnixMicro()), fmt.Sprint(t0.Add(-time.Hour).UnixMicro()))
				_, err = db.ExecContext(ctx, `UPDATE recycle_version SET last = 9`)
			} else {
				insert = fmt.Sprintf(insert, "'2026-11-23T09:00:00Z'", "now() - interval '1 hour'")
				_, err = db.ExecContext(ctx, `SELECT setval('recycle_version', 9)`)
			}
			require.NoError(t, err)
			_, err = db.ExecContext(ctx, insert)
			require.NoError(t, err)

			require.NoError(t, sqlstore.Migrate(ctx, db, dialect(b)))
			s := d.store(t)
			e, err := s.Get(ctx, "L-1")
			require.NoError(t, err)
			assert.Equal(t, uint64(7), e.Schedule, "an entry's version is its schedule")
			assert.Equal(t, 5, int(e.Rank))
			assert.False(t, e.Dead)
			cs, err := s.Claim(ctx, t0, 10, time.Minute)
			require.NoError(t, err)
			require.Len(t, cs, 2, "the waiting entry, and the claimed one whose lease ended")
			assert.Equal(t, "L-2", cs[1].LeadID)
			assert.Equal(t, 2, cs[1].Claims)
			assert.Equal(t, uint64(9), cs[1].Schedule)
			assert.Greater(t, cs[0].Version, uint64(9), "versions go on from the sequence")
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
				_, err = s.Extend(ctx, id, 1, time.Minute)
				assert.ErrorIs(t, err, recycle.ErrNotFound, "extend %q", id)
			}
			for _, c := range []struct {
				name  string
				now   time.Time
				limit int
				lease time.Duration
			}{
				{"limit 0", t0, 0, time.Minute},
				{"lease 0", t0, 1, 0},
				{"lease within the microsecond", t0, 1, time.Nanosecond},
				{"no now", time.Time{}, 1, time.Minute},
			} {
				_, err := s.Claim(ctx, c.now, c.limit, c.lease)
				assert.ErrorIs(t, err, recycle.ErrInvalid, c.name)
			}
			_, err := s.Dead(ctx, "", 0)
			assert.ErrorIs(t, err, recycle.ErrInvalid, "Dead: limit 0")
			page, err := s.Dead(ctx, "L-\xff\x00", 10)
			require.NoError(t, err, "Dead after an ID no entry can have")
			assert.Empty(t, page)

			zone := time.FixedZone("CET", 3600)
			e := entry("L-ns", time.Date(2027, 1, 2, 3, 4, 5, 123456789, zone))
			got, err := s.Put(ctx, e, 0)
			require.NoError(t, err)
			want := time.Date(2027, 1, 2, 2, 4, 5, 123456000, time.UTC)
			assert.Equal(t, want, got.Due, "truncated to the microsecond, in UTC")
			read, err := s.Get(ctx, "L-ns")
			require.NoError(t, err)
			assert.Equal(t, got, read)
			cs, err := s.Claim(ctx, want, 1, time.Minute)
			require.NoError(t, err)
			require.Len(t, cs, 1, "due at the microsecond it was truncated to")
			assert.Equal(t, time.UTC, cs[0].LeaseUntil.Location())
		})
	}
}

// TestClaimPlan checks that a claim reads only what it returns: on a table
// of 20,000 entries of which 2% hold a lease that ended (the leads of
// workers that died), 1% a lease still running and 1% are dead, a claim of
// 10 reads the head of the index recycle_entries_queue and stops, with no
// sort and no scan of the ended leases or of the table. (The old claim
// gathered every ended lease and sorted them.)
func TestClaimPlan(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t)
			fill(t, s, 20000, fillOptions{expired: 50, leased: 100, dead: 100})
			switch s.Dialect() {
			case sqlstore.SQLite:
				plan := strings.Join(explain(t, s.DB(), `EXPLAIN QUERY PLAN `+sqlstore.SQLiteClaim,
					t0.UnixMicro(), 10, int64(600e6), 0, 0), "\n")
				t.Logf("plan:\n%s", plan)
				assert.Contains(t, plan, "USING INDEX recycle_entries_queue (due<?)", "the head of the queue's index, in claim order")
				assert.NotContains(t, plan, "TEMP B-TREE", "no sort")
				assert.NotRegexp(t, `SCAN recycle_entries\b`, plan, "no scan of the table")
			case sqlstore.PostgreSQL:
				// A claim whose transaction commits synchronously takes its
				// versions from the sequence; one that commits
				// asynchronously, versions reserved for it.
				reserved := make([]int64, 10)
				for i := range reserved {
					reserved[i] = int64(1_000_000 + i)
				}
				for _, claim := range []struct {
					name string
					sql  string
					args []any
				}{
					{"sequence", sqlstore.PostgresClaim, []any{t0, 10, int64(600e6), 0}},
					{"reserved", sqlstore.PostgresClaimReserved, []any{t0, 10, int64(600e6), 0, reserved}},
				} {
					t.Run(claim.name, func(t *testing.T) {
						tx, err := s.DB().BeginTx(ctx, nil) // EXPLAIN ANALYZE runs the claim: roll it back
						require.NoError(t, err)
						defer tx.Rollback()
						var out []byte
						require.NoError(t, tx.QueryRowContext(ctx, `EXPLAIN (ANALYZE, FORMAT JSON) `+claim.sql, claim.args...).Scan(&out))
						var plans []struct{ Plan planNode }
						require.NoError(t, json.Unmarshal(out, &plans))
						root := plans[0].Plan
						t.Logf("plan: %s", root)
						assert.Empty(t, root.find(func(n planNode) bool { return n.Type == "Seq Scan" }), "no scan of the table")
						scans := root.find(func(n planNode) bool {
							// The other scans find the picked rows by primary key, one each.
							return strings.Contains(n.Type, "Scan") && n.Relation == "recycle_entries" && n.Index != "recycle_entries_pkey"
						})
						require.Len(t, scans, 1, "one range scan of an index: %s", root)
						scan := scans[0]
						assert.Equal(t, "recycle_entries_queue", scan.Index, "the head of the queue's index, in claim order")
						assert.Equal(t, 10.0, scan.Rows, "rows read and kept")
						assert.LessOrEqual(t, scan.Removed, 1.0, "rows read and skipped: the one running lease among the first 11")
						assert.Empty(t, root.find(func(n planNode) bool { return n.Type == "Sort" }), "no sort")
						assert.Equal(t, 10.0, root.Rows, "10 claimed")
						if claim.name == "reserved" {
							var got []int64
							rows, err := tx.QueryContext(ctx, `SELECT version FROM recycle_entries WHERE version >= 1000000 ORDER BY version`)
							require.NoError(t, err)
							defer rows.Close()
							for rows.Next() {
								var v int64
								require.NoError(t, rows.Scan(&v))
								got = append(got, v)
							}
							require.NoError(t, rows.Err())
							assert.Equal(t, reserved, got, "the ten entries took the ten versions given")
						}
					})
				}
			}
		})
	}
}

// planNode is a node of PostgreSQL's EXPLAIN (ANALYZE, FORMAT JSON).
type planNode struct {
	Type     string     `json:"Node Type"`
	Relation string     `json:"Relation Name"`
	Index    string     `json:"Index Name"`
	Rows     float64    `json:"Actual Rows"`
	Removed  float64    `json:"Rows Removed by Filter"`
	Plans    []planNode `json:"Plans"`
}

func (n planNode) find(match func(planNode) bool) []planNode {
	var out []planNode
	if match(n) {
		out = append(out, n)
	}
	for _, c := range n.Plans {
		out = append(out, c.find(match)...)
	}
	return out
}

func (n planNode) String() string {
	s := fmt.Sprintf("%s(%s %s rows=%v removed=%v", n.Type, n.Relation, n.Index, n.Rows, n.Removed)
	for _, c := range n.Plans {
		s += " " + c.String()
	}
	return s + ")"
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
				cs, err := s.Claim(c, t0, 1, time.Minute)
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
			_, err = s.Claim(context.Background(), t0, 1, time.Minute)
			require.ErrorContains(t, err, "closed")
		})
	}
}
