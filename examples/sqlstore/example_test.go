package sqlstore_test

import (
	"context"
	"fmt"
	"time"

	"github.com/leadqual/leadqual/examples/sqlstore"
	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/recycle"
)

// A scheduler on SQLite: recycle a lead, claim it when it comes due, and
// acknowledge it. A file path instead of ":memory:" keeps the schedule
// across restarts.
func ExampleOpenSQLite() {
	ctx := context.Background()
	store, err := sqlstore.OpenSQLite(ctx, ":memory:", sqlstore.SQLiteConfig{})
	if err != nil {
		panic(err)
	}
	defer store.Close()
	sched, err := recycle.NewScheduler(store, recycle.Config{Vocabulary: qualify.DefaultVocabulary(), Currency: "GBP", Horizons: recycle.Horizons{Jitter: -1}})
	if err != nil {
		panic(err)
	}

	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	l := &lead.Lead{ID: "L-1", Value: lead.MustParseMoney("25000", "GBP")}
	e, err := sched.Recycle(ctx, l, lead.ReasonNoDecisionMaker, now)
	if err != nil {
		panic(err)
	}
	fmt.Println("due", e.Due.Format(time.DateOnly), "to", e.Task)

	claims, err := sched.Claim(ctx, e.Due, 10)
	if err != nil {
		panic(err)
	}
	for _, c := range claims {
		// The lease runs on the database's clock; the key names the
		// schedule, the same for every delivery of it.
		fmt.Println("claimed", c.LeadID, "with key", c.IdempotencyKey())
		if err := sched.Ack(ctx, c); err != nil {
			panic(err)
		}
	}
	_, err = store.Get(ctx, "L-1")
	fmt.Println(err)
	// Output:
	// due 2026-12-07 to Reach the sales, finance or managing director
	// claimed L-1 with key L-1@1
	// sqlstore: get lead "L-1": lead not scheduled
}

// The schema, as plain SQL files a host can read or apply with its own
// migration tool.
func ExampleMigrations() {
	ms, err := sqlstore.Migrations(sqlstore.PostgreSQL)
	if err != nil {
		panic(err)
	}
	for _, m := range ms {
		fmt.Println(m.Version, m.Name)
	}
	// Output:
	// 1 0001_recycle_entries.sql
	// 2 0002_clock_dead_schedule.sql
}

// Workers on many machines share one PostgreSQL database, each with its own
// pool. The tables go in the first schema of the search_path.
func ExampleOpenPostgres() {
	ctx := context.Background()
	store, err := sqlstore.OpenPostgres(ctx, "postgres://recycler@db.internal:5432/crm?sslmode=verify-full&search_path=leadqual",
		sqlstore.PostgresConfig{MaxConns: 4})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
	// recycle.NewScheduler(store, ...) as with SQLite.
}
