package sqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
)

// sqliteError is an error of the SQLite driver, with its result code.
type sqliteError int

func (e sqliteError) Error() string { return fmt.Sprintf("sqlite error (%d)", int(e)) }
func (e sqliteError) Code() int     { return int(e) }

func TestTransient(t *testing.T) {
	tests := []struct {
		name string
		d    Dialect
		err  error
		want bool
	}{
		{"no error", PostgreSQL, nil, false},
		{"sqlite busy", SQLite, sqliteError(sqliteBusy), true},
		{"sqlite busy, extended code", SQLite, fmt.Errorf("put: %w", sqliteError(sqliteBusy|2<<8)), true},
		{"sqlite read-only", SQLite, sqliteError(sqliteReadOnly), true},
		{"sqlite disk full", SQLite, sqliteError(sqliteFull), true},
		{"sqlite constraint", SQLite, sqliteError(19), false},
		{"sqlite, not a driver error", SQLite, errors.New("sql: database is closed"), false},
		{"pg connection failure", PostgreSQL, &pgconn.PgError{Code: "08006"}, true},
		{"pg admin shutdown", PostgreSQL, &pgconn.PgError{Code: "57P01"}, true},
		{"pg starting up", PostgreSQL, &pgconn.PgError{Code: "57P03"}, true},
		{"pg serialization failure", PostgreSQL, &pgconn.PgError{Code: "40001"}, true},
		{"pg disk full", PostgreSQL, &pgconn.PgError{Code: "53100"}, true},
		{"pg unique violation", PostgreSQL, &pgconn.PgError{Code: "23505"}, false},
		{"pg syntax error", PostgreSQL, &pgconn.PgError{Code: "42601"}, false},
		{"bad connection", PostgreSQL, fmt.Errorf("begin: %w", driver.ErrBadConn), true},
		{"unexpected EOF", PostgreSQL, fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"connection refused", PostgreSQL, fmt.Errorf("dial: %w", syscall.ECONNREFUSED), true},
		{"connection reset", PostgreSQL, fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"a cancelled context is the caller's", PostgreSQL, context.Canceled, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, transient(tc.d, tc.err))
		})
	}
}
