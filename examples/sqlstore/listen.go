package sqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
)

// WatchDue listens, on a connection of the store's pool, for the
// notifications of leads that become due now ([DueChannel], sent by the
// writes of Stores with PostgresConfig.NotifyDue), and returns a channel
// that receives a value after each (several notifications in a row may
// arrive as one value), and when the listener connects again after an
// error, since leads may have become due meanwhile. A worker waits on it
// beside its poll timer, and claims at once instead of at its next poll.
// The channel is closed when ctx ends.
//
// Connection errors are logged to log (slog.Default() if nil) and retried,
// waiting one second and doubling to 30 seconds. The listener holds one
// connection of the pool (see PostgresConfig.MaxConns) until ctx ends. It
// needs PostgreSQL through pgx's database/sql driver (OpenPostgres, or New
// over a pool of pgx/v5/stdlib); with SQLite it is an error wrapping
// errors.ErrUnsupported.
func (s *Store) WatchDue(ctx context.Context, log *slog.Logger) (<-chan struct{}, error) {
	if s.dialect != PostgreSQL {
		return nil, fmt.Errorf("sqlstore: watch due leads: %w: LISTEN/NOTIFY is PostgreSQL's, not %s's", errors.ErrUnsupported, s.dialect)
	}
	if log == nil {
		log = slog.Default()
	}
	first, err := s.listen(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: watch due leads: %w", err)
	}
	ch := make(chan struct{}, 1)
	signal := func() {
		select {
		case ch <- struct{}{}:
		default: // one is pending already
		}
	}
	go func() {
		defer close(ch)
		wait := time.Second
		l := first
		for {
			if l != nil {
				signal()
				err := l.wait(ctx, signal)
				if ctx.Err() != nil {
					return
				}
				log.Warn("sqlstore: watching due leads: connection lost; reconnecting", "err", err, "in", wait)
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			wait = min(2*wait, 30*time.Second)
			if l, err = s.listen(ctx); err != nil {
				log.Warn("sqlstore: watching due leads: cannot listen; retrying", "err", err, "in", wait)
				l = nil
			} else {
				wait = time.Second
			}
		}
	}()
	return ch, nil
}

// listener is a connection of the pool that listens on DueChannel.
type listener struct {
	conn interface {
		Raw(func(driverConn any) error) error
		Close() error
	}
}

// listen takes a connection from the pool and makes it LISTEN.
func (s *Store) listen(ctx context.Context) (*listener, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("the pool's driver is %T, not pgx's database/sql driver", dc)
		}
		_, err := c.Conn().Exec(ctx, "LISTEN "+DueChannel)
		return err
	})
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &listener{conn: conn}, nil
}

// wait calls signal for each notification until ctx ends or the
// connection fails; it then closes the connection (which holds a LISTEN, so
// it does not go back to the pool) and returns the error.
func (l *listener) wait(ctx context.Context, signal func()) error {
	var cause error
	_ = l.conn.Raw(func(dc any) error {
		c := dc.(*stdlib.Conn).Conn()
		for {
			if _, cause = c.WaitForNotification(ctx); cause != nil {
				return driver.ErrBadConn // database/sql closes the connection
			}
			signal()
		}
	})
	l.conn.Close()
	return cause
}
