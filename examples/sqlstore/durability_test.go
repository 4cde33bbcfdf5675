package sqlstore_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/leadqual/leadqual/examples/sqlstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// commits records a setting read in each transaction of a store's own,
// just before it commits.
type commits struct {
	mu   sync.Mutex
	seen []string
}

// watch makes s record the result of query in every transaction of its
// own.
func (c *commits) watch(s *sqlstore.Store, query string) {
	s.InTx(func(run func(string) (string, error)) error {
		v, err := run(query)
		c.mu.Lock()
		defer c.mu.Unlock()
		c.seen = append(c.seen, v)
		return err
	})
}

// take returns what was recorded since the last take.
func (c *commits) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := c.seen
	c.seen = nil
	return seen
}

// TestCommitModes checks how each call of a PostgreSQL store commits: a
// claim and a heartbeat in a transaction of the store's own with
// synchronous_commit off, every other write with it on; with
// DurableClaims, everything on. In a transaction of the host, the store
// changes nothing: the host's setting decides its commit. SQLite's claims
// commit as its other writes do, with the writer's synchronous setting.
//
// The stores connect with synchronous_commit on whatever the server's
// setting (CI's server has it off, for speed), so that the test tells the
// two modes apart there too.
func TestCommitModes(t *testing.T) {
	ctx := context.Background()
	durableDSN := func(t *testing.T) string { return withParam(pgSchema(t), "synchronous_commit", "on") }
	steps := []struct {
		name string
		call func(t *testing.T, s *sqlstore.Store)
		// async is the setting a step commits with when claims are
		// asynchronous; with DurableClaims, every step commits "on".
		async string
	}{
		{"put", func(t *testing.T, s *sqlstore.Store) {
			_, err := s.Put(ctx, entry("L-1", t0), 0)
			require.NoError(t, err)
		}, "on"},
		{"claim", func(t *testing.T, s *sqlstore.Store) {
			cs, err := s.Claim(ctx, t0, 10, time.Minute)
			require.NoError(t, err)
			require.Len(t, cs, 1)
		}, "off"},
		{"extend", func(t *testing.T, s *sqlstore.Store) {
			e, err := s.Get(ctx, "L-1")
			require.NoError(t, err)
			_, err = s.Extend(ctx, "L-1", e.Version, time.Minute)
			require.NoError(t, err)
		}, "off"},
		{"release", func(t *testing.T, s *sqlstore.Store) {
			e, err := s.Get(ctx, "L-1")
			require.NoError(t, err)
			_, err = s.Extend(ctx, "L-1", e.Version, 0)
			require.NoError(t, err)
		}, "on"},
		{"claim again", func(t *testing.T, s *sqlstore.Store) {
			cs, err := s.Claim(ctx, t0, 10, time.Minute)
			require.NoError(t, err)
			require.Len(t, cs, 1)
		}, "off"},
		{"ack", func(t *testing.T, s *sqlstore.Store) {
			e, err := s.Get(ctx, "L-1")
			require.NoError(t, err)
			require.NoError(t, s.Delete(ctx, "L-1", e.Version))
		}, "on"},
	}
	for _, durable := range []bool{false, true} {
		t.Run(map[bool]string{false: "postgres", true: "postgres-durable-claims"}[durable], func(t *testing.T) {
			s, err := sqlstore.OpenPostgres(ctx, durableDSN(t), sqlstore.PostgresConfig{DurableClaims: durable})
			require.NoError(t, err)
			defer s.Close()
			var c commits
			c.watch(s, `SHOW synchronous_commit`)
			for _, step := range steps {
				step.call(t, s)
				want := step.async
				if durable {
					want = "on"
				}
				assert.Equal(t, []string{want}, c.take(), "%s: synchronous_commit at its commit", step.name)
			}
		})
	}

	t.Run("postgres-host-transaction", func(t *testing.T) {
		dsn := durableDSN(t)
		s, err := sqlstore.OpenPostgres(ctx, dsn, sqlstore.PostgresConfig{})
		require.NoError(t, err)
		defer s.Close()
		var c commits
		c.watch(s, `SHOW synchronous_commit`)
		_, err = s.Put(ctx, entry("L-1", t0), 0)
		require.NoError(t, err)
		_, err = s.Put(ctx, entry("L-2", t0), 0)
		require.NoError(t, err)
		c.take()

		// database/sql: the host's transaction keeps the setting it has,
		// whether the server's or its own.
		for _, set := range []string{"", "local"} {
			tx, err := s.DB().BeginTx(ctx, nil)
			require.NoError(t, err)
			if set != "" {
				_, err = tx.ExecContext(ctx, `SET LOCAL synchronous_commit = `+set)
				require.NoError(t, err)
			}
			var before, after string
			require.NoError(t, tx.QueryRowContext(ctx, `SHOW synchronous_commit`).Scan(&before))
			cs, err := s.Tx(tx).Claim(ctx, t0, 1, time.Minute)
			require.NoError(t, err)
			require.Len(t, cs, 1)
			_, err = s.Tx(tx).Extend(ctx, cs[0].LeadID, cs[0].Version, time.Hour)
			require.NoError(t, err)
			require.NoError(t, tx.QueryRowContext(ctx, `SHOW synchronous_commit`).Scan(&after))
			assert.Equal(t, before, after, "a claim in the host's transaction leaves its commit to the host")
			require.NoError(t, tx.Rollback())
		}

		// pgx: the same.
		conn, err := pgx.Connect(ctx, dsn)
		require.NoError(t, err)
		defer conn.Close(ctx)
		tx, err := conn.Begin(ctx)
		require.NoError(t, err)
		defer tx.Rollback(ctx)
		cs, err := s.PgxTx(tx).Claim(ctx, t0, 2, time.Minute)
		require.NoError(t, err)
		require.Len(t, cs, 2)
		var after string
		require.NoError(t, tx.QueryRow(ctx, `SHOW synchronous_commit`).Scan(&after))
		assert.Equal(t, "on", after, "a claim in the host's pgx transaction leaves its commit to the host")
		require.NoError(t, tx.Commit(ctx))

		assert.Empty(t, c.take(), "no transaction of the store's own")
		got, err := s.Get(ctx, "L-1")
		require.NoError(t, err)
		assert.Equal(t, cs[0].Version, got.Version, "the host's commit took the claim")
	})

	// SQLite: the writer's synchronous setting is the connection's, and a
	// claim commits with it like every write: FULL (2), or NORMAL (1)
	// with NoSync.
	for _, noSync := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "sqlite-nosync"}[noSync], func(t *testing.T) {
			s, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "recycle.db"), sqlstore.SQLiteConfig{NoSync: noSync})
			require.NoError(t, err)
			defer s.Close()
			var c commits
			c.watch(s, `PRAGMA synchronous`)
			want := map[bool]string{false: "2", true: "1"}[noSync]
			for _, step := range steps {
				step.call(t, s)
				assert.Equal(t, []string{want}, c.take(), "%s: synchronous at its commit", step.name)
			}
		})
	}
}

// TestReservedVersions checks that the versions a PostgreSQL store
// reserves for its asynchronous claims serve many claims: the versions a
// claim does not use go back to the store, so 150 claims of up to 10
// leads, each finding one, take one reservation from the sequence.
func TestReservedVersions(t *testing.T) {
	ctx := context.Background()
	s, err := sqlstore.OpenPostgres(ctx, pgSchema(t), sqlstore.PostgresConfig{})
	require.NoError(t, err)
	defer s.Close()
	last := func() int64 { // the last value taken from the sequence
		var v int64
		require.NoError(t, s.DB().QueryRowContext(ctx, `SELECT last_value - CASE WHEN is_called THEN 0 ELSE 1 END FROM recycle_version`).Scan(&v))
		return v
	}
	start := last()
	const claims = 150
	seen := map[uint64]bool{}
	for i := range claims {
		e, err := s.Put(ctx, entry("L-1", t0), 0)
		require.NoError(t, err)
		seen[e.Version] = true
		cs, err := s.Claim(ctx, t0, 10, time.Minute)
		require.NoError(t, err)
		require.Len(t, cs, 1, "claim %d", i)
		require.False(t, seen[cs[0].Version], "claim %d: version %d used before", i, cs[0].Version)
		seen[cs[0].Version] = true
		require.NoError(t, s.Delete(ctx, "L-1", cs[0].Version))
	}
	assert.Equal(t, int64(claims+sqlstore.ReserveMin), last()-start, "the sequence gave a version to each put, and one reservation")
}
