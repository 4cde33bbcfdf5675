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
	{"postgres-durable-claims", func(tb testing.TB) func(tb testing.TB) *sqlstore.Store {
		dsn := pgSchema(tb)
		return func(tb testing.TB) *sqlstore.Store {
			return opened(tb)(sqlstore.OpenPostgres(context.Background(), dsn, sqlstore.PostgresConfig{MaxConns: 2, DurableClaims: true}))
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

// fillOptions shapes the rows of fill: every k-th row, for each k that is
// not 0.
type fillOptions struct {
	future  int // due within the year after t0, not before it
	leased  int // under a lease running for a day on the database's clock
	expired int // under a lease that ended ten minutes ago (a worker died)
	dead    int // dead
}

// fill schedules n leads with bulk SQL (Put would take minutes for a
// million): lead IDs L-00000000 on, ranks spread over 0..999, due within
// the day before t0 (the first rows earliest), shaped by o.
func fill(tb testing.TB, s *sqlstore.Store, n int, o fillOptions) {
	tb.Helper()
	ctx := context.Background()
	db := s.DB()
	var err error
	switch s.Dialect() {
	case sqlstore.SQLite:
		_, err = db.ExecContext(ctx, `
			WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?1 - 1),
			clock(now) AS (SELECT CAST(unixepoch('subsec') * 1000000 AS INTEGER))
			INSERT INTO recycle_entries (lead_id, due, reason, task, rank, recycles, attempt, since,
				failures, last_error, dead, version, schedule, lease_until, claims)
			SELECT printf('L-%08d', i),
				CASE WHEN ?3 > 0 AND i % ?3 = 0 THEN ?2 + 86400000000 * (1 + i % 365) ELSE ?2 - 1000000 * ((?1 - 1 - i) % 86400) END,
				'not_now', 'Ask whether the time has come', (i * 7919) % 1000, 0, 0, ?2 - 86400000000 * 90,
				0, '', CASE WHEN ?6 > 0 AND i % ?6 = 3 THEN 1 ELSE 0 END, i + 1, i + 1,
				CASE WHEN ?4 > 0 AND i % ?4 = 1 THEN clock.now + 86400000000
					WHEN ?5 > 0 AND i % ?5 = 0 THEN clock.now - 600000000 END,
				CASE WHEN ?4 > 0 AND i % ?4 = 1 OR ?5 > 0 AND i % ?5 = 0 THEN 1 ELSE 0 END
			FROM n, clock`, n, t0.UnixMicro(), o.future, o.leased, o.expired, o.dead)
		if err == nil {
			_, err = db.ExecContext(ctx, `UPDATE recycle_version SET last = ?1`, n)
		}
	case sqlstore.PostgreSQL:
		_, err = db.ExecContext(ctx, `
			INSERT INTO recycle_entries (lead_id, due, reason, task, rank, recycles, attempt, since,
				failures, last_error, dead, version, schedule, lease_until, claims)
			SELECT 'L-' || lpad(i::text, 8, '0'),
				CASE WHEN $3 > 0 AND i % $3 = 0 THEN $2::timestamptz + (1 + i % 365) * interval '1 day'
					ELSE $2::timestamptz - (($1 - 1 - i) % 86400) * interval '1 second' END,
				'not_now', 'Ask whether the time has come', (i::bigint * 7919) % 1000, 0, 0, $2::timestamptz - interval '90 days',
				0, '', $6 > 0 AND i % $6 = 3, i + 1, i + 1,
				CASE WHEN $4 > 0 AND i % $4 = 1 THEN now() + interval '1 day'
					WHEN $5 > 0 AND i % $5 = 0 THEN now() - interval '10 minutes' END,
				CASE WHEN $4 > 0 AND i % $4 = 1 OR $5 > 0 AND i % $5 = 0 THEN 1 ELSE 0 END
			FROM generate_series(0, $1 - 1) i`, n, t0, o.future, o.leased, o.expired, o.dead)
		if err == nil {
			_, err = db.ExecContext(ctx, `SELECT setval('recycle_version', $1)`, n)
		}
	}
	if err == nil {
		// Statistics, as autovacuum would gather them soon enough in
		// PostgreSQL, and as a host may run ANALYZE in SQLite: the claim's
		// plan must not depend on them.
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
				fill(b, setup, b.N, fillOptions{})
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
							es, err := s.Claim(ctx, t0, batch, 10*time.Minute)
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
// lease), with no lease ended or 2% of the leads holding a lease that ended
// (the leads of workers that died: 20,000 of a million), each claim
// followed by rescheduling what it took to a year later, as a worker that
// recycles every lead would: the schedule keeps its size. claim-µs is the
// latency of the claim alone; ns/op includes the ten reschedules. Setting
// up a million rows takes a minute; run one size at a time with -bench
// 'ClaimLatency/sqlite/rows=1M' and a fixed -benchtime such as 2000x (each
// claim uses up 10 due leads).
func BenchmarkClaimLatency(b *testing.B) {
	ctx := context.Background()
	parent := b
	for _, db := range benchDBs {
		for _, rows := range []int{100_000, 1_000_000} {
			for _, expired := range []int{0, 50} {
				var s *sqlstore.Store // set up once for all the runs of the sub-benchmark
				name := fmt.Sprintf("%s/rows=%s/expired=%s", db.name, size(rows), map[int]string{0: "0", 50: "2%"}[expired])
				b.Run(name, func(b *testing.B) {
					if s == nil { // on the parent, which outlives the runs of this one
						s = db.open(parent)(parent)
						fill(b, s, rows, fillOptions{future: 10, leased: 100, expired: expired})
					}
					var claiming time.Duration
					now := t0
					b.ResetTimer()
					for range b.N {
						now = now.Add(time.Millisecond)
						start := time.Now()
						es, err := s.Claim(ctx, now, 10, 10*time.Minute)
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
