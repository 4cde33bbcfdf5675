package sqlstore

import (
	"context"
	"database/sql"

	"github.com/jackc/pgx/v5"
)

// querier runs the statements of a call: on a pool, in a transaction of
// the store's own, or in a transaction of the host (database/sql or pgx).
type querier interface {
	exec(ctx context.Context, query string, args ...any) (rowsAffected int64, err error)
	query(ctx context.Context, query string, args ...any) (rows, error)
	queryRow(ctx context.Context, query string, args ...any) scanner
}

// rows is what a query returns, as database/sql and pgx both have it.
type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// scanner is one row: *sql.Row, pgx.Row, or a row of rows. An absent row is
// an error wrapping sql.ErrNoRows (pgx.ErrNoRows does).
type scanner interface{ Scan(dest ...any) error }

// sqlQuerier runs statements on db, or in tx if it is set. A statement
// found in stmts runs prepared (SQLite: parsing costs more than running
// these statements); stmts are prepared on the pool tx belongs to.
type sqlQuerier struct {
	db    *sql.DB
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

func (q sqlQuerier) stmt(ctx context.Context, query string) *sql.Stmt {
	s, ok := q.stmts[query]
	if !ok {
		return nil
	}
	if q.tx != nil {
		return q.tx.StmtContext(ctx, s)
	}
	return s
}

func (q sqlQuerier) exec(ctx context.Context, query string, args ...any) (int64, error) {
	var (
		res sql.Result
		err error
	)
	switch s := q.stmt(ctx, query); {
	case s != nil:
		res, err = s.ExecContext(ctx, args...)
	case q.tx != nil:
		res, err = q.tx.ExecContext(ctx, query, args...)
	default:
		res, err = q.db.ExecContext(ctx, query, args...)
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (q sqlQuerier) query(ctx context.Context, query string, args ...any) (rows, error) {
	var (
		r   *sql.Rows
		err error
	)
	switch s := q.stmt(ctx, query); {
	case s != nil:
		r, err = s.QueryContext(ctx, args...)
	case q.tx != nil:
		r, err = q.tx.QueryContext(ctx, query, args...)
	default:
		r, err = q.db.QueryContext(ctx, query, args...)
	}
	if err != nil {
		return nil, err
	}
	return sqlRows{r}, nil
}

func (q sqlQuerier) queryRow(ctx context.Context, query string, args ...any) scanner {
	switch s := q.stmt(ctx, query); {
	case s != nil:
		return s.QueryRowContext(ctx, args...)
	case q.tx != nil:
		return q.tx.QueryRowContext(ctx, query, args...)
	}
	return q.db.QueryRowContext(ctx, query, args...)
}

// sqlRows is *sql.Rows as rows.
type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() } // its error, if any, is Err's

// pgxQuerier runs statements in a pgx transaction of the host.
type pgxQuerier struct{ tx pgx.Tx }

func (q pgxQuerier) exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := q.tx.Exec(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (q pgxQuerier) query(ctx context.Context, query string, args ...any) (rows, error) {
	r, err := q.tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (q pgxQuerier) queryRow(ctx context.Context, query string, args ...any) scanner {
	return q.tx.QueryRow(ctx, query, args...)
}
