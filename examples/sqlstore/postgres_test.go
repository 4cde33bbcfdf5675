package sqlstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/leadqual/leadqual/examples/sqlstore"
	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/recycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPgxTx schedules in a pgx transaction of the host: the host's write
// and the schedule commit together, or neither.
func TestPgxTx(t *testing.T) {
	ctx := context.Background()
	dsn := pgSchema(t)
	s, err := sqlstore.OpenPostgres(ctx, dsn, sqlstore.PostgresConfig{})
	require.NoError(t, err)
	defer s.Close()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `CREATE TABLE leads (id text PRIMARY KEY, stage text NOT NULL);
		INSERT INTO leads VALUES ('L-1', 'qualified'), ('L-2', 'qualified')`)
	require.NoError(t, err)
	sched, err := recycle.NewScheduler(s, recycle.Config{Vocabulary: qualify.DefaultVocabulary(), Currency: "GBP"})
	require.NoError(t, err)

	lose := func(id string, commit bool) {
		tx, err := conn.Begin(ctx)
		require.NoError(t, err)
		defer tx.Rollback(ctx)
		_, err = tx.Exec(ctx, `UPDATE leads SET stage = 'lost' WHERE id = $1`, id)
		require.NoError(t, err)
		_, err = sched.WithStore(s.PgxTx(tx)).Recycle(ctx, &lead.Lead{ID: id}, lead.ReasonNotNow, t0)
		require.NoError(t, err)
		e, err := s.PgxTx(tx).Get(ctx, id)
		require.NoError(t, err, "the transaction reads its own write")
		assert.Equal(t, lead.ReasonNotNow, e.Reason)
		if commit {
			require.NoError(t, tx.Commit(ctx))
		}
	}
	lose("L-1", true)
	lose("L-2", false)
	_, err = s.Get(ctx, "L-1")
	require.NoError(t, err, "committed")
	_, err = s.Get(ctx, "L-2")
	require.ErrorIs(t, err, recycle.ErrNotFound, "rolled back")

	// A claim acknowledged in the host's transaction.
	cs, err := s.Claim(ctx, t0.Add(365*24*time.Hour), 10, time.Minute)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	tx, err := conn.Begin(ctx)
	require.NoError(t, err)
	require.NoError(t, s.PgxTx(tx).Delete(ctx, "L-1", cs[0].Version))
	require.NoError(t, tx.Rollback(ctx))
	_, err = s.Get(ctx, "L-1")
	require.NoError(t, err, "an acknowledgement rolled back")

	sqlite, err := sqlstore.OpenSQLite(ctx, ":memory:", sqlstore.SQLiteConfig{})
	require.NoError(t, err)
	defer sqlite.Close()
	_, err = sqlite.PgxTx(tx).Get(ctx, "L-1")
	require.ErrorContains(t, err, "a pgx.Tx for a sqlite store")
	_, err = s.PgxTx(nil).Get(ctx, "L-1")
	require.ErrorContains(t, err, "nil pgx.Tx")
}

// TestWatchDue: a worker watching for due leads hears of a lead written due
// now, and of one released, at once; not of one due later.
func TestWatchDue(t *testing.T) {
	sqlite, err := sqlstore.OpenSQLite(context.Background(), ":memory:", sqlstore.SQLiteConfig{})
	require.NoError(t, err)
	defer sqlite.Close()
	_, err = sqlite.WatchDue(context.Background(), nil)
	require.True(t, errors.Is(err, errors.ErrUnsupported), "SQLite has no LISTEN: %v", err)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dsn := pgSchema(t)
	s, err := sqlstore.OpenPostgres(ctx, dsn, sqlstore.PostgresConfig{NotifyDue: true})
	require.NoError(t, err)
	defer s.Close()
	watcher, err := sqlstore.OpenPostgres(ctx, dsn, sqlstore.PostgresConfig{})
	require.NoError(t, err)
	defer watcher.Close()
	due, err := watcher.WatchDue(ctx, nil)
	require.NoError(t, err)
	heard := func() bool {
		select {
		case _, ok := <-due:
			return ok
		case <-time.After(2 * time.Second):
			return false
		}
	}
	quiet := func() bool {
		select {
		case <-due:
			return false
		case <-time.After(300 * time.Millisecond):
			return true
		}
	}
	require.True(t, heard(), "a signal when the listener starts: anything may be due")

	future := entry("later", time.Now().Add(time.Hour))
	_, err = s.Put(ctx, future, 0)
	require.NoError(t, err)
	assert.True(t, quiet(), "due later: no signal")

	_, err = s.Put(ctx, entry("now", time.Now().Add(-time.Minute)), 0)
	require.NoError(t, err)
	assert.True(t, heard(), "due now: a signal")

	cs, err := s.Claim(ctx, time.Now(), 1, time.Hour)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	assert.True(t, quiet(), "a claim: no signal")
	_, err = s.Extend(ctx, "now", cs[0].Version, 0)
	require.NoError(t, err)
	assert.True(t, heard(), "released: claimable now, a signal")

	cancel()
	for range due { // closed when the context ends
	}
}
