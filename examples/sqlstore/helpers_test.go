package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/leadqual/leadqual/examples/sqlstore"
	"github.com/stretchr/testify/require"
)

// pgEnv names the environment variable that holds the DSN of the
// PostgreSQL server the tests use.
const pgEnv = "LEADQUAL_PG_DSN"

// pgDSN returns the DSN of the PostgreSQL server for the tests. Without
// one the test is skipped, unless CI=true: in CI the PostgreSQL tests must
// run (.ci/run starts a server), and a missing server is a failure.
func pgDSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(pgEnv)
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s is not set, and CI=true: the PostgreSQL tests must run in CI (.ci/run starts a server and sets it)", pgEnv)
		}
		tb.Skipf("PostgreSQL tests skipped: set %s to a server's DSN (postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable) to run them", pgEnv)
	}
	return dsn
}

// pgSchema creates an empty schema on the test server, dropped when the
// test ends, and returns a DSN whose search_path is that schema: each test
// store has tables of its own.
func pgSchema(tb testing.TB) string {
	tb.Helper()
	dsn := pgDSN(tb)
	cc, err := pgx.ParseConfig(dsn)
	require.NoError(tb, err, "parse %s", pgEnv)
	admin := stdlib.OpenDB(*cc)
	name := "sqlstore_test_" + strings.ToLower(rand.Text())
	_, err = admin.ExecContext(context.Background(), "CREATE SCHEMA "+name)
	require.NoError(tb, err, "create schema %s", name)
	tb.Cleanup(func() {
		_, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+name+" CASCADE")
		admin.Close()
		require.NoError(tb, err, "drop schema %s", name)
	})
	return withSearchPath(dsn, name)
}

// withSearchPath returns dsn with search_path set to schema, in a URL or
// in key=value form.
func withSearchPath(dsn, schema string) string { return withParam(dsn, "search_path", schema) }

// withParam returns dsn with the run-time parameter key set to value for
// its connections, in a URL or in key=value form.
func withParam(dsn, key, value string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set(key, value)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " " + key + "=" + value
}

// backend is a database the tests run against.
type backend struct {
	name string
	// memory marks a database private to one pool: tests of several
	// pools sharing a database skip it.
	memory bool
	// database creates a new, empty database for the test.
	database func(t testing.TB) testDB
}

// testDB is a database of a backend.
type testDB struct {
	// open opens a store on the database, migrating it unless noMigrate:
	// a new pool on every call (in memory, a new database).
	open func(ctx context.Context, noMigrate bool) (*sqlstore.Store, error)
	// pool opens a bare pool on the database, closed when the test ends.
	pool func(t testing.TB) *sql.DB
}

// store opens a store on the database, closed when the test ends.
func (d testDB) store(t testing.TB) *sqlstore.Store {
	t.Helper()
	s, err := d.open(context.Background(), false)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// open opens a store on a new database of b.
func (b backend) open(t testing.TB) *sqlstore.Store { return b.database(t).store(t) }

var backends = []backend{
	{
		name: "sqlite-file",
		database: func(t testing.TB) testDB {
			path := filepath.Join(t.TempDir(), "recycle.db")
			return testDB{
				open: func(ctx context.Context, noMigrate bool) (*sqlstore.Store, error) {
					// Commits skip the fsync, and a long busy timeout
					// rides out a noisy machine: the tests check
					// behaviour, not durability.
					return sqlstore.OpenSQLite(ctx, path, sqlstore.SQLiteConfig{NoSync: true, BusyTimeout: time.Minute, NoMigrate: noMigrate})
				},
				pool: func(t testing.TB) *sql.DB {
					db, err := sql.Open("sqlite", path+"?_txlock=immediate&_pragma=busy_timeout(60000)&_pragma=journal_mode(WAL)")
					require.NoError(t, err)
					t.Cleanup(func() { db.Close() })
					return db
				},
			}
		},
	},
	{
		name:   "sqlite-memory",
		memory: true,
		database: func(testing.TB) testDB {
			return testDB{open: func(ctx context.Context, noMigrate bool) (*sqlstore.Store, error) {
				return sqlstore.OpenSQLite(ctx, ":memory:", sqlstore.SQLiteConfig{NoMigrate: noMigrate})
			}}
		},
	},
	{
		name: "postgres",
		database: func(t testing.TB) testDB {
			dsn := pgSchema(t)
			return testDB{
				open: func(ctx context.Context, noMigrate bool) (*sqlstore.Store, error) {
					return sqlstore.OpenPostgres(ctx, dsn, sqlstore.PostgresConfig{NoMigrate: noMigrate})
				},
				pool: func(t testing.TB) *sql.DB {
					cc, err := pgx.ParseConfig(dsn)
					require.NoError(t, err)
					db := stdlib.OpenDB(*cc)
					t.Cleanup(func() { db.Close() })
					return db
				},
			}
		},
	},
}

// count returns the number of rows of the store's table.
func count(t testing.TB, db *sql.DB) int {
	t.Helper()
	var n int
	require.NoError(t, db.QueryRowContext(context.Background(), "SELECT count(*) FROM recycle_entries").Scan(&n))
	return n
}
