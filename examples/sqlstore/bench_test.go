package sqlstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadqual/leadqual/examples/sqlstore"
)

// benchDB is a database for the benchmarks: it opens stores, each with a
// pool of its own (a worker's, or a process's), on one database.
type benchDB struct {
	name string
	open func(tb testing.TB) func(tb testing.TB) *sqlstore.Store
}

var benchDBs = []benchDB{
	{"sqlite", func(tb testing.TB) func(tb testing.TB) *sqlstore.Store {
		path := filepath.Join(tb.TempDir(), "recycle.db")
		return func(tb testing.TB) *sqlstore.Store {
			return opened(tb)(sqlstore.OpenSQLite(context.Background(), path, sqlstore.SQLiteConfig{BusyTimeout: time.Minute}))
		}
	}},
	{"sqlite-nosync", func(tb testing.TB) func(tb testing.TB) *sqlstore.Store {
		path := filepath.Join(tb.TempDir(), "recycle.db")
		return func(tb testing.TB) *sqlstore.Store {
			return opened(tb)(sqlstore.OpenSQLite(context.Background(), path, sqlstore.SQLiteConfig{NoSync: true, BusyTimeout: time.Minute}))
		}
	}},
	{"postgres", func(tb testing.TB) func(tb testing.TB) *sqlstore.Store {
		dsn := pgSchema(tb)
		return func(tb testing.TB) *sqlstore.Store {
			return opened(tb)(sqlstore.OpenPostgres(context.Background(), dsn, sqlstore.PostgresConfig{MaxConns: 2}))
		}
	}},
}

// opened returns a function that takes what an Open returned, fails tb
// on an error, and closes the store when tb ends.
func opened(tb testing.TB) func(s *sqlstore.Store, err error) *sqlstore.Store {
	return func(s *sqlstore.Store, err error) *sqlstore.Store {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { s.Close() })
		return s
	}
}

// fill schedules n leads with bulk SQL (Put would take minutes for a
// million): lead IDs L-00000000 on, ranks spread over 0..999. Every
// future-th lead (none if future is 0) is due within the year after t0,
// the others within the day before t0; every leased-th lead (none if 0)
// is under a lease running until t0 + 10 minutes.
func fill(tb testing.TB, s *sqlstore.Store, n, future, leased int) {
	tb.Helper()
	ctx := context.Background()
	db := s.DB()
	var err error
	switch s.Dialect() {
	case sqlstore.SQLite:
		_, err = db.ExecContext(ctx, `
			WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?1 - 1)
			INSERT INTO recycle_entries (lead_id, due, reason, task, rank, recycles, attempt, since, version, lease_until, claims)
			SELECT printf('L-%08d', i),
				CASE WHEN ?3 > 0 AND i % ?3 = 0 THEN ?2 + 86400000000 * (1 + i % 365) ELSE ?2 - 1000000 * (i % 86400) END,
				'not_now', 'Ask whether the time has come', (i * 7919) % 1000, 0, 0, ?2 - 86400000000 * 90, i + 1,
				CASE WHEN ?4 > 0 AND i % ?4 = 1 THEN ?2 + 600000000 END,
				CASE WHEN ?4 > 0 AND i % ?4 = 1 THEN 1 ELSE 0 END
			FROM n`, n, t0.UnixMicro(), future, leased)
		if err == nil {
			_, err = db.ExecContext(ctx, `UPDATE recycle_version SET last = ?1`, n)
		}
	case sqlstore.PostgreSQL:
		_, err = db.ExecContext(ctx, `
			INSERT INTO recycle_entries (lead_id, due, reason, task, rank, recycles, attempt, since, version, lease_until, claims)
			SELECT 'L-' || lpad(i::text, 8, '0'),
				CASE WHEN $3 > 0 AND i % $3 = 0 THEN $2::timestamptz + (1 + i % 365) * interval '1 day' ELSE $2::timestamptz - (i % 86400) * interval '1 second' END,
				'not_now', 'Ask whether the time has come', (i::bigint * 7919) % 1000, 0, 0, $2::timestamptz - interval '90 days', i + 1,
				CASE WHEN $4 > 0 AND i % $4 = 1 THEN $2::timestamptz + interval '10 minutes' END,
				CASE WHEN $4 > 0 AND i % $4 = 1 THEN 1 ELSE 0 END
			FROM generate_series(0, $1 - 1) i`, n, t0, future, leased)
		if err == nil {
			_, err = db.ExecContext(ctx, `SELECT setval('recycle_version', $1)`, n)
		}
	}
	if err == nil && s.Dialect() == sqlstore.PostgreSQL {
		// PostgreSQL plans with statistics, which autovacuum would gather
		// soon enough. A SQLite database has none unless the host runs
		// ANALYZE, and the store does not need them: its partial indexes
		// are the only way to the rows (with them, SQLite re-prepares a
		// statement whenever a bound time changes).
		_, err = db.ExecContext(ctx, `ANALYZE`)
	}
	if err != nil {
		tb.Fatalf("fill %d rows: %v", n, err)
	}
}

// BenchmarkClaimAck measures the throughput of workers that claim leads
// in batches of 10 and acknowledge each, every worker with a pool of its
// own (as separate processes would have): b.N leads, all due, shared by 1,
// 4 or 16 workers. leads/s is the figure to compare. SQLite stores wait up
// to a minute for the write lock: sixteen writers on one file queue for
// it.
func BenchmarkClaimAck(b *testing.B) {
	const batch = 10
	ctx := context.Background()
	for _, db := range benchDBs {
		for _, workers := range []int{1, 4, 16} {
			b.Run(fmt.Sprintf("%s/workers=%d", db.name, workers), func(b *testing.B) {
				open := db.open(b)
				setup := open(b)
				fill(b, setup, b.N, 0, 0)
				stores := make([]*sqlstore.Store, workers)
				for i := range stores {
					stores[i] = open(b)
				}
				var (
					left = atomic.Int64{}
					wg   sync.WaitGroup
					fail = make(chan error, workers)
				)
				left.Store(int64(b.N))
				b.ResetTimer()
				for _, s := range stores {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for left.Load() > 0 {
							es, err := s.Claim(ctx, t0, batch, t0.Add(10*time.Minute))
							if err != nil {
								fail <- err
								left.Store(0) // the others stop too
								return
							}
							if len(es) == 0 {
								time.Sleep(time.Millisecond) // the rest are in flight: poll
							}
							for _, e := range es {
								if err := s.Delete(ctx, e.LeadID, e.Version); err != nil {
									fail <- err
									left.Store(0)
									return
								}
								left.Add(-1)
							}
						}
					}()
				}
				wg.Wait()
				b.StopTimer()
				close(fail)
				for err := range fail {
					b.Fatal(err)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "leads/s")
			})
		}
	}
}

// BenchmarkClaimLatency measures a claim of 10 leads on a schedule of 100k
// or 1M leads (90% due, 10% due within the year, 1% under a running
// lease), each claim followed by rescheduling what it took to a year
// later, as a worker that recycles every lead would: the schedule keeps
// its size. claim-µs is the latency of the claim alone; ns/op includes the
// ten reschedules. Setting up a million rows takes a minute; run one size
// at a time with -bench 'ClaimLatency/sqlite/rows=1M' and a fixed
// -benchtime such as 2000x (each claim uses up 10 due leads).
func BenchmarkClaimLatency(b *testing.B) {
	ctx := context.Background()
	parent := b
	for _, db := range benchDBs {
		for _, rows := range []int{100_000, 1_000_000} {
			var s *sqlstore.Store // set up once for all the runs of the sub-benchmark
			b.Run(fmt.Sprintf("%s/rows=%s", db.name, size(rows)), func(b *testing.B) {
				if s == nil { // on the parent, which outlives the runs of this one
					s = db.open(parent)(parent)
					fill(b, s, rows, 10, 100)
				}
				var claiming time.Duration
				now := t0
				b.ResetTimer()
				for range b.N {
					now = now.Add(time.Millisecond)
					start := time.Now()
					es, err := s.Claim(ctx, now, 10, now.Add(10*time.Minute))
					claiming += time.Since(start)
					if err != nil {
						b.Fatal(err)
					}
					if len(es) < 10 {
						b.Fatalf("only %d due leads left: lower -benchtime", len(es))
					}
					for _, e := range es {
						e.Due = now.Add(365 * 24 * time.Hour)
						if _, err := s.Put(ctx, e, e.Version); err != nil {
							b.Fatal(err)
						}
					}
				}
				b.ReportMetric(float64(claiming.Microseconds())/float64(b.N), "claim-µs")
			})
		}
	}
}

// size writes 100000 as 100k and 1000000 as 1M.
func size(n int) string {
	switch {
	case n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n%1_000 == 0:
		return fmt.Sprintf("%dk", n/1_000)
	}
	return fmt.Sprint(n)
}
