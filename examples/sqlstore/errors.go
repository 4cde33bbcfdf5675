package sqlstore

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// The primary result codes of SQLite that this package tells apart.
const (
	sqliteBusy     = 5
	sqliteLocked   = 6
	sqliteReadOnly = 8
	sqliteIOErr    = 10
	sqliteFull     = 13
	sqliteCantOpen = 14
)

// sqliteCode returns the primary result code of a SQLite error, or 0.
func sqliteCode(err error) int {
	var e interface{ Code() int }
	if errors.As(err, &e) {
		return e.Code() & 0xff
	}
	return 0
}

// sqliteBroken reports whether err may have left the connection that got it
// unusable until it is reopened: a connection SQLite opened read-only, an
// I/O error, a file it could not open.
func sqliteBroken(err error) bool {
	switch sqliteCode(err) {
	case sqliteReadOnly, sqliteIOErr, sqliteCantOpen, sqliteFull:
		return true
	}
	return false
}

// transient reports whether err may pass: a database busy past its
// timeout, a disk full, a connection lost, a server restarting or
// shutting down. Such errors wrap recycle.ErrUnavailable.
func transient(d Dialect, err error) bool {
	if err == nil {
		return false
	}
	if d == SQLite {
		switch sqliteCode(err) {
		case sqliteBusy, sqliteLocked, sqliteReadOnly, sqliteIOErr, sqliteFull, sqliteCantOpen:
			return true
		}
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			pe.Code == "40001", pe.Code == "40P01", // serialization failure, deadlock
			strings.HasPrefix(pe.Code, "53"),                           // insufficient resources: disk full, out of memory, too many connections
			pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03", // shutdown, crash, not yet accepting connections
			pe.Code == "55P03", pe.Code == "55006": // lock not available, object in use
			return true
		}
		return false
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	return errors.As(err, &ne) || errors.As(err, &ce) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		strings.Contains(err.Error(), "conn closed")
}
