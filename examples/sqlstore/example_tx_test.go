package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/leadqual/leadqual/examples/sqlstore"
	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/recycle"
)

// A CRM keeps its leads and the recycle schedule in one database, and
// changes both in one transaction: a lead marked lost is scheduled for
// recycling, or neither happens. A worker then records its hand-off to
// sales under the claim's key and acknowledges the claim in one
// transaction too, so that a lead handed on is acknowledged, and a lead
// delivered again (its worker died before acknowledging) is not handed on
// twice: the key is the same for every delivery of a schedule.
func ExampleStore_Tx() {
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
	db := store.DB()
	_, err = db.ExecContext(ctx, `
		CREATE TABLE leads (id TEXT PRIMARY KEY, stage TEXT NOT NULL);
		CREATE TABLE handoffs (key TEXT PRIMARY KEY, lead_id TEXT NOT NULL, team TEXT NOT NULL);
		INSERT INTO leads VALUES ('L-1', 'qualified'), ('L-2', 'qualified')`)
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

	// The CRM marks a lead lost and schedules it, in one transaction.
	lose := func(id string, commit bool) error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, `UPDATE leads SET stage = 'lost' WHERE id = ?`, id); err != nil {
			return err
		}
		l := &lead.Lead{ID: id, LostReason: lead.ReasonNoDecisionMaker}
		if _, err := sched.WithStore(store.Tx(tx)).Recycle(ctx, l, "", now); err != nil {
			return err
		}
		if !commit {
			return errors.New("the CRM's validation failed")
		}
		return tx.Commit()
	}
	fmt.Println("L-1:", lose("L-1", true))
	fmt.Println("L-2:", lose("L-2", false))
	for _, id := range []string{"L-1", "L-2"} {
		var stage string
		_ = db.QueryRowContext(ctx, `SELECT stage FROM leads WHERE id = ?`, id).Scan(&stage)
		_, err := sched.Get(ctx, id)
		fmt.Printf("%s is %s, scheduled: %v\n", id, stage, err == nil)
	}

	// A worker hands the lead to sales: the hand-off and the
	// acknowledgement commit together, and the key keeps a second delivery
	// from handing it on again.
	handOff := func(c recycle.Entry) (string, error) {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return "", err
		}
		defer tx.Rollback()
		res, err := tx.ExecContext(ctx, `INSERT INTO handoffs VALUES (?, ?, 'sales') ON CONFLICT (key) DO NOTHING`, c.IdempotencyKey(), c.LeadID)
		if err != nil {
			return "", err
		}
		what := "handed to sales"
		if n, _ := res.RowsAffected(); n == 0 {
			what = "handed to sales already"
		}
		if err := sched.WithStore(store.Tx(tx)).Ack(ctx, c); err != nil {
			return "", err
		}
		return what, tx.Commit()
	}
	due := now.Add(14 * 24 * time.Hour)
	claims, err := sched.Claim(ctx, due, 10)
	if err != nil {
		panic(err)
	}
	for _, c := range claims {
		// Say the first worker recorded its hand-off and died before the
		// acknowledgement reached the store; the lead is delivered again
		// with the same key.
		if _, err := db.ExecContext(ctx, `INSERT INTO handoffs VALUES (?, ?, 'sales')`, c.IdempotencyKey(), c.LeadID); err != nil {
			panic(err)
		}
		what, err := handOff(c)
		fmt.Println(c.LeadID, what, err)
	}
	var n int
	_ = db.QueryRowContext(ctx, `SELECT count(*) FROM handoffs`).Scan(&n)
	fmt.Println("hand-offs:", n)
	_, err = sched.Get(ctx, "L-1")
	fmt.Println(errors.Is(err, recycle.ErrNotFound))
	// Output:
	// L-1: <nil>
	// L-2: the CRM's validation failed
	// L-1 is lost, scheduled: true
	// L-2 is qualified, scheduled: false
	// L-1 handed to sales already <nil>
	// hand-offs: 1
	// true
}
