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
// commit is durable unless SQLiteConfig.NoSync. A database that cannot be
// written (a read-only file, directory or file system) fails at open; a
// writer that fails on an error that may have broken its connection (a
// file opened read-only, an I/O error, a full disk) opens a new one for the
// next call, and so recovers once the cause is gone. An empty path or
// ":memory:" is a private in-memory database on a single connection, for
// tests.
//
// # PostgreSQL
//
// Many workers on many machines, each with its own pool:
//
//	store, err := sqlstore.OpenPostgres(ctx, "postgres://recycler@db:5432/crm?sslmode=verify-full", sqlstore.PostgresConfig{})
//
// A claim is one statement: it reads the entries that are not dead in claim
// order from the head of one partial index, skips the leases still running,
// locks the rows it takes with SELECT ... FOR UPDATE SKIP LOCKED (so that
// concurrent claims never wait for each other and never take the same
// lead), leases them, and stops after the batch: its cost is the batch's,
// however many leads are scheduled, dead, or hold a lease that ended. Put,
// Delete and Extend are conditional statements on the primary key. Each
// write is a transaction that the caller's context interrupts until the
// commit but not during it, so that a call that fails with the context's
// error has changed nothing. With PostgresConfig.NotifyDue, a write that
// makes a lead due now sends NOTIFY, and [Store.WatchDue] wakes the
// workers waiting for it at once. Claims and heartbeats commit without
// waiting for the disk (see Durability).
//
// # Durability
//
// A PostgreSQL Store commits its claims and its heartbeats (Extend with a
// positive lease) asynchronously: their transaction, on the store's own
// pool, runs SET LOCAL synchronous_commit = off, so that its commit
// returns without waiting for its WAL to reach the disk (about a
// millisecond on a quiet disk, 2 to 9 ms on the busy one of README.md's
// benchmarks). Every other write waits for the disk, as the server is
// configured to (synchronous_commit, on by default): Put and Delete, and
// so the Scheduler's Ack, Fail, RecycleClaimed, Requeue, Wake and Cancel
// and the dead-lettering of a lead whose leases ran out; a release (Extend
// with a lease of 0) too, for it uncounts the claim. This is safe because
// a claim only takes a lease:
//
//   - A claim that a crash of the server (or of its machine) loses is rolled
//     back whole, as if it had aborted: its entries are as they were before it (due, not
//     leased, their version and claim count unchanged) and the next claim
//     takes them at once. To the worker that held it, its lease ended at
//     the crash, while it may still be working: the case of a worker that
//     hung past its lease, and the recycle package's rules for it apply.
//     The worker's Extend, Fail, RecycleClaimed or Ack of the claim is
//     refused with an error wrapping recycle.ErrLeaseLost and the store's
//     ErrStale (the entry's version is no longer the claim's), or
//     ErrNotFound once the next holder acknowledged it (an Ack that the
//     Scheduler retried after a try whose answer was lost takes that as
//     its own, and returns nil); its effects are done at most once by
//     [recycle.Entry.IdempotencyKey], which names the schedule, and no
//     claim changes the schedule. Unlike a lease that ran out, a lost claim
//     does not count as a failed attempt.
//   - A write that must survive cannot survive without the claim it
//     follows: a synchronous commit waits until the WAL is on disk up to
//     its own commit record, and the WAL is written in order, so the
//     commit record of the claim an Ack or a Fail read, written before,
//     is on disk too (PostgreSQL replays transactions in commit order: if
//     B relied on A, A is never lost while B is kept).
//   - A heartbeat that a crash loses leaves the lease to end when it did
//     before it: a heartbeat that came late.
//   - Versions. PostgreSQL logs the advance of a sequence in the WAL ahead
//     of the values it hands out, 32 at a time, and after a crash resumes
//     from the last advance whose record reached the disk: values taken by
//     transactions whose WAL was lost are handed out again. A lost claim
//     that took its versions from the sequence could so give the claim
//     after the crash the same version for the same lead: one fencing
//     token for two holders, and the first holder's Ack deleting the
//     second's claim, or a schedule written since. So an asynchronous
//     claim takes nothing from the sequence: the Store reserves versions
//     in blocks (at least a thousand) in a transaction that commits
//     synchronously, uses them only once the WAL is flushed past the point
//     where they were all taken (pg_current_wal_flush_lsn against
//     pg_current_wal_insert_lsn read after them), and uses each once. The
//     versions it reserves and never uses are skipped, as are those of a
//     write rolled back.
//
// In a transaction of the host ([Store.Tx], [Store.PgxTx]) the store sets
// nothing: the host's transaction commits as the host decides, and a claim
// in it takes its versions from the sequence (so a host that commits such
// a transaction asynchronously takes the risk above). A Store made by
// [New] claims asynchronously too. PostgresConfig.DurableClaims makes a
// Store wait for every commit. TestPostgresCrashLostClaims crashes the
// server right after a claim returned and checks all of the above; it
// fails with claims that take their versions from the sequence.
//
// All of this is about one server and its own disk. A failover to a
// standby that replicates asynchronously can lose any write the primary
// had committed but not yet sent, durable ones included, and with them a
// block of reserved versions, which the new primary's sequence may hand
// out again, so that a claim taken before the failover could be taken
// for one taken after it: a host that fails over to such a standby should
// restart its workers, dropping the claims they hold, before they
// acknowledge anything (or replicate synchronously).
//
// SQLite is unchanged: a claim commits like every write, with the writer
// connection's synchronous setting, FULL (NORMAL with SQLiteConfig.NoSync:
// a commit then survives a crash of the process, not of the machine).
// That setting is the connection's, kept from one transaction to the next,
// and SQLite refuses to change it inside a transaction; an asynchronous
// claim would switch the one writer connection to NORMAL before it and
// back after it (a connection left NORMAL by an error would make every
// later write lose durability), and would need reserved versions as well,
// for the version counter is a row of the same database, rolled back with
// a lost claim. The fsync saved is also smaller (1 to 2 ms of a claim of
// 2 to 3.5 ms, in the benchmarks of README.md).
//
// # Time
//
// Due times are the caller's: Claim and Stats compare them with the now
// they are given. Leases are the database's: a lease ends at the
// database's clock (statement_timestamp() in PostgreSQL, the SQLite
// library's clock, which is the machine's) plus the lease asked for, and
// only that clock says whether it has ended. Workers whose clocks are
// wrong, or that replay another day, never take a lead whose lease runs.
// Tests move a Store's clock on with [Store.AdvanceClock].
//
// # Transactions of the host
//
// [Store.Tx] (a *sql.Tx) and [Store.PgxTx] (a pgx.Tx) bind the store to a
// transaction of the host: a CRM marks a lead lost and schedules its
// recycle in one transaction, and a worker records its hand-off under the
// claim's key ([recycle.Entry.IdempotencyKey]) and acknowledges the claim in one
// transaction, so that each schedule is handed on at most once. See
// [TxStore] and the example of Store.Tx.
//
// # Errors
//
// Errors that may pass wrap [recycle.ErrUnavailable]: SQLite busy past its
// timeout, a disk full or an I/O error; a PostgreSQL connection lost, a
// server shutting down, restarting or out of connections, a serialization
// failure. The recycle.Scheduler retries the calls that end a claim on
// them.
//
// # The schema
//
// The schema is plain SQL, one file per step and dialect, in this module's
// migrations directory (embedded in the binary, listed by [Migrations]):
// a table recycle_entries, a store-wide version sequence recycle_version
// (a PostgreSQL sequence, a one-row table in SQLite), the index of the
// queue and the index of the dead entries. [Migrate] applies the steps a
// database lacks, in one transaction, and records them in
// recycle_migrations; it is idempotent and safe to run from several
// processes at once, and OpenSQLite and OpenPostgres run it unless told
// not to. A host with a migration tool of its own applies the files with it
// and opens the store with NoMigrate, or with [New] over its own pool.
//
// # Testing a store
//
// The store passes the library's conformance suite, recycletest, on a
// SQLite file, in memory and on PostgreSQL, with transactions of the host.
// Beside it: a fleet of workers, each with its own pool, one of which dies
// in the middle of its leases; the plans of the claim statement, on both
// databases, read only what they return; a SQLite file made read-only under
// the store; and, opt-in, PostgreSQL crashed under four workers (see
// README.md). The PostgreSQL tests read the server's DSN from
// LEADQUAL_PG_DSN and skip without it, except in CI (CI=true), where they
// fail.
package sqlstore
