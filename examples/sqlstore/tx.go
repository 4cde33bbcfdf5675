package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/leadqual/leadqual/recycle"
)

// TxStore is a [Store] bound to a transaction of the host: its calls run in
// that transaction, and take effect when the host commits it, or never if
// it rolls back. So a CRM that marks a lead lost and schedules its recycle
// commits both or neither, as a job queue's InsertTx does:
//
//	tx, err := store.DB().BeginTx(ctx, nil)
//	...
//	_, err = tx.ExecContext(ctx, `UPDATE leads SET stage = 'lost' WHERE id = $1`, l.ID)
//	_, err = sched.WithStore(store.Tx(tx)).Recycle(ctx, l, lead.ReasonNotNow, now)
//	err = tx.Commit()
//
// Get one per transaction from [Store.Tx] (a *sql.Tx, on any pool open on
// the store's database) or [Store.PgxTx] (a pgx.Tx, for a host that uses
// pgx directly), and drop it with the transaction. It keeps the contract of
// recycle.Store within the transaction, with the store's clock and
// configuration, and reads its own writes.
//
// The transaction is the host's, and so are its failures: an error other
// than ErrNotFound, ErrStale or ErrInvalid (a cancelled context, a
// connection lost) may leave the transaction unusable (PostgreSQL aborts a
// transaction on any error), and none wraps recycle.ErrUnavailable, for
// retrying the call cannot help: roll back, and retry the whole
// transaction. With SQLite, begin the transaction IMMEDIATE (Store.DB's
// pool does), or a write may fail half-way with SQLITE_BUSY; and since a
// transaction on Store.DB holds the one connection SQLite writes with,
// call the TxStore within it, never the Store, which would wait for the
// transaction to end. With PostgreSQL, the TxStore sets nothing on the
// transaction: its claims commit when and as the host's transaction does
// (synchronously, unless the host turned synchronous_commit off), with
// versions from the store's sequence.
type TxStore struct {
	s   *Store
	q   querier
	err error // why the TxStore cannot be used
}

var _ recycle.Store = (*TxStore)(nil)

// Tx returns the store bound to tx, a transaction of the host on the
// store's database.
func (s *Store) Tx(tx *sql.Tx) *TxStore {
	if tx == nil {
		return &TxStore{s: s, err: errors.New("nil *sql.Tx")}
	}
	return &TxStore{s: s, q: sqlQuerier{tx: tx}}
}

// PgxTx returns the store bound to tx, a pgx transaction of the host on
// the store's PostgreSQL database. With a SQLite store, every call of the
// TxStore fails.
func (s *Store) PgxTx(tx pgx.Tx) *TxStore {
	switch {
	case s.dialect != PostgreSQL:
		return &TxStore{s: s, err: fmt.Errorf("a pgx.Tx for a %s store", s.dialect)}
	case tx == nil:
		return &TxStore{s: s, err: errors.New("nil pgx.Tx")}
	}
	return &TxStore{s: s, q: pgxQuerier{tx: tx}}
}

func (t *TxStore) run(_ context.Context, fn func(q querier) error) error {
	if t.err != nil {
		return fmt.Errorf("unusable transaction: %w", t.err)
	}
	return fn(t.q)
}

func (t *TxStore) ops() ops {
	return ops{eng: t.s.eng, read: t.run, write: t.run, fail: cancelled, shift: &t.s.shift, notify: t.s.notify}
}

// Get implements [recycle.Store.Get], in the transaction.
func (t *TxStore) Get(ctx context.Context, leadID string) (recycle.Entry, error) {
	return t.ops().get(ctx, leadID)
}

// Put implements [recycle.Store.Put], in the transaction.
func (t *TxStore) Put(ctx context.Context, e recycle.Entry, expect uint64) (recycle.Entry, error) {
	return t.ops().put(ctx, e, expect)
}

// Delete implements [recycle.Store.Delete], in the transaction: an
// acknowledgement that commits with the host's record of the work done.
func (t *TxStore) Delete(ctx context.Context, leadID string, expect uint64) error {
	return t.ops().delete(ctx, leadID, expect)
}

// Claim implements [recycle.Store.Claim], in the transaction: the claims
// are lost if it rolls back.
func (t *TxStore) Claim(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]recycle.Entry, error) {
	return t.ops().claim(ctx, now, limit, lease)
}

// Extend implements [recycle.Store.Extend], in the transaction.
func (t *TxStore) Extend(ctx context.Context, leadID string, version uint64, lease time.Duration) (recycle.Entry, error) {
	return t.ops().extend(ctx, leadID, version, lease)
}

// Dead implements [recycle.Store.Dead], in the transaction.
func (t *TxStore) Dead(ctx context.Context, after string, limit int) ([]recycle.Entry, error) {
	return t.ops().dead(ctx, after, limit)
}

// Stats implements [recycle.Store.Stats], in the transaction.
func (t *TxStore) Stats(ctx context.Context, now time.Time) (recycle.Stats, error) {
	return t.ops().stats(ctx, now)
}
