// Package sqlstore keeps the recycle schedule in a SQL database: a
// [recycle.Store] on database/sql, with SQLite (modernc.org/sqlite, pure
// Go, no cgo) as the embedded default and PostgreSQL (github.com/jackc/pgx/v5)
// for hosts that run many workers on many machines.
//
// It is an example module of leadqual, with its own go.mod, so that the
// database drivers never reach the module graph of a program that imports
// only the library. A host copies it, or imports it as it is.
//
// # SQLite
//
// One file, one process (or a few), nothing to run beside the program:
//
//	store, err := sqlstore.OpenSQLite(ctx, "recycle.db", sqlstore.SQLiteConfig{})
//	defer store.Close()
//	sched, err := recycle.NewScheduler(store, recycle.Config{Vocabulary: qualify.DefaultVocabulary(), Currency: "GBP"})
//
// The database runs in WAL mode, so reads never wait for the writer; writes
// go through one connection whose transactions begin IMMEDIATE and wait up
// to SQLiteConfig.BusyTimeout for another process's write lock. Every
// commit is durable unless SQLiteConfig.NoSync. An empty path or ":memory:"
// is a private in-memory database on a single connection, for tests.
//
// # PostgreSQL
//
// Many workers on many machines, each with its own pool:
//
//	store, err := sqlstore.OpenPostgres(ctx, "postgres://recycler@db:5432/crm?sslmode=verify-full", sqlstore.PostgresConfig{})
//
// A claim is one statement: it locks the due rows it takes with SELECT ...
// FOR UPDATE SKIP LOCKED, so that concurrent claims never wait for each
// other and never take the same lead, and leases them with a lease_until
// column. Two partial indexes keep its cost flat however long the schedule
// grows: one of the entries waiting to be due, in claim order, read from
// its start and stopped after the batch; one of the entries under a lease,
// by its end, from which a claim reads only the leases that ended (a
// worker that died). Put, Delete and Extend are conditional statements on
// the primary key. Each write is a transaction that the caller's context
// interrupts until the commit but not during it, so that a call that fails
// with the context's error has changed nothing.
//
// # The schema
//
// The schema is plain SQL, one file per step and dialect, in this module's
// migrations directory (embedded in the binary, listed by [Migrations]):
// a table recycle_entries, a store-wide version sequence recycle_version
// (a PostgreSQL sequence, a one-row table in SQLite) and the two indexes.
// [Migrate] applies the steps a database lacks, in one transaction, and
// records them in recycle_migrations; it is idempotent and safe to run from
// several processes at once, and OpenSQLite and OpenPostgres run it unless
// told not to. A host with a migration tool of its own applies the files
// with it and opens the store with NoMigrate, or with [New] over its own
// pool.
//
// # Testing a store
//
// The store passes the library's conformance suite, recycletest, on a
// SQLite file, in memory and on PostgreSQL, and a test of a fleet of
// workers, each with its own pool, one of which dies in the middle of its
// leases. The PostgreSQL tests read the server's DSN from LEADQUAL_PG_DSN
// and skip without it, except in CI (CI=true), where they fail.
package sqlstore
