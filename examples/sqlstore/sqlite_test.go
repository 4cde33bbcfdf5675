package sqlstore_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/leadqual/leadqual/examples/sqlstore"
	"github.com/leadqual/leadqual/recycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readOnly makes the file at path unwritable, as its permissions or a
// read-only file system would, and returns a function that makes it
// writable again. root ignores permissions: for root, the file is made
// immutable (chattr +i), or the test is skipped.
func readOnly(t *testing.T, path string) (restore func()) {
	t.Helper()
	if os.Getuid() != 0 {
		require.NoError(t, os.Chmod(path, 0o444))
		return func() { require.NoError(t, os.Chmod(path, 0o644)) }
	}
	if out, err := exec.Command("chattr", "+i", path).CombinedOutput(); err != nil {
		t.Skipf("running as root, and chattr +i cannot make a file unwritable: %v %s", err, out)
	}
	restored := false
	restore = func() {
		if !restored {
			restored = true
			require.NoError(t, exec.Command("chattr", "-i", path).Run())
		}
	}
	t.Cleanup(restore)
	return restore
}

// TestSQLiteReadOnly: a database that cannot be written is an error at
// open, not at every write after it; and a writer that failed because its
// file could not be written recovers once the file can be again, without a
// restart.
func TestSQLiteReadOnly(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "recycle.db")
	open := func() (*sqlstore.Store, error) {
		return sqlstore.OpenSQLite(ctx, path, sqlstore.SQLiteConfig{NoSync: true, BusyTimeout: time.Second})
	}
	s, err := open()
	require.NoError(t, err)
	require.NoError(t, s.Close())

	restore := readOnly(t, path)
	_, err = open()
	require.Error(t, err, "a read-only database fails at open")
	assert.ErrorContains(t, err, "the database cannot be written")
	assert.ErrorContains(t, err, "readonly database")
	restore()

	s, err = open()
	require.NoError(t, err)
	defer s.Close()
	put := func(id string) error {
		_, err := s.Put(ctx, entry(id, t0), 0)
		return err
	}
	require.NoError(t, put("L-1"))
	restore = readOnly(t, path)
	// The open connections keep their rights: new ones open read-only.
	s.CloseIdle()
	err = put("L-2")
	require.ErrorIs(t, err, recycle.ErrUnavailable, "a write to a read-only file may pass")
	assert.ErrorContains(t, err, "readonly database")
	restore()
	require.NoError(t, put("L-3"), "the writer recovered once the file could be written again")
	_, err = s.Get(ctx, "L-2")
	require.ErrorIs(t, err, recycle.ErrNotFound)
}

func TestSQLiteOpenErrors(t *testing.T) {
	ctx := context.Background()
	_, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "no", "such", "dir", "x.db"), sqlstore.SQLiteConfig{})
	require.ErrorContains(t, err, "cannot be opened or created")
}

// TestSQLiteBusy: a write that waits longer than BusyTimeout for another
// process's write lock fails with an error that may pass.
func TestSQLiteBusy(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "recycle.db")
	holder, err := sqlstore.OpenSQLite(ctx, path, sqlstore.SQLiteConfig{NoSync: true})
	require.NoError(t, err)
	defer holder.Close()
	s, err := sqlstore.OpenSQLite(ctx, path, sqlstore.SQLiteConfig{NoSync: true, BusyTimeout: 50 * time.Millisecond})
	require.NoError(t, err)
	defer s.Close()

	tx, err := holder.DB().BeginTx(ctx, nil) // takes the write lock (IMMEDIATE)
	require.NoError(t, err)
	_, err = holder.Tx(tx).Put(ctx, entry("L-1", t0), 0)
	require.NoError(t, err)
	_, err = s.Put(ctx, entry("L-2", t0), 0)
	require.ErrorIs(t, err, recycle.ErrUnavailable, "busy: another process holds the write lock")
	assert.ErrorContains(t, err, "database is locked")
	require.NoError(t, tx.Rollback())
	_, err = s.Put(ctx, entry("L-2", t0), 0)
	require.NoError(t, err, "free again")
	assert.False(t, errors.Is(err, recycle.ErrUnavailable))
}
