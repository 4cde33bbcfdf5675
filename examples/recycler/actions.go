package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/leadqual/leadqual/examples/sqlstore"
	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// Handoff is one lead handed on by the worker.
type Handoff struct {
	// Key is the idempotency key of the claim (recycle.Entry.IdempotencyKey): the
	// same for every delivery of one schedule of the lead. A lead handed
	// on, whose worker died before acknowledging it, is delivered again
	// with the same key.
	Key string `json:"key"`
	// Lead is the lead as the CRM knows it now.
	Lead *lead.Lead `json:"-"`
	// Decision is the requalification that routed it.
	Decision qualify.Decision `json:"decision"`
}

// Handoffs is the example's Actions. It records each hand-off in the table
// recycler_handoffs of the schedule's database, under its key (the
// primary key), and writes the hand-offs it records as JSON lines
// ({"to": "sales", "key": "L-1@42", "decision": {...}}) for whatever
// notifies the sales team or enrols the lead in marketing's nurture track.
// A hand-off whose key is recorded already (a lead delivered again after
// its worker died between the hand-off and the acknowledgement) is not
// written again: each schedule of a lead is handed on at most once.
//
// The table is the record of hand-offs, written before the line: a process
// that dies between the two loses the line, never duplicates it; a relay
// that reads the table instead of the lines would deliver each hand-off
// exactly once. Handoffs is safe for concurrent use.
type Handoffs struct {
	db      *sql.DB
	dialect sqlstore.Dialect
	now     func() time.Time
	mu      sync.Mutex
	enc     *json.Encoder
}

// handoffsTable is the table of Handoffs, in both dialects.
const handoffsTable = `CREATE TABLE IF NOT EXISTS recycler_handoffs (
	key     TEXT PRIMARY KEY,
	lead_id TEXT NOT NULL,
	team    TEXT NOT NULL,
	at      TEXT NOT NULL
)`

// NewHandoffs returns Handoffs recording in the database of store and
// writing to w, creating its table if need be. now stamps the records.
func NewHandoffs(ctx context.Context, store *sqlstore.Store, w io.Writer, now func() time.Time) (*Handoffs, error) {
	if _, err := store.DB().ExecContext(ctx, handoffsTable); err != nil {
		return nil, fmt.Errorf("recycler: create recycler_handoffs: %w", err)
	}
	return &Handoffs{db: store.DB(), dialect: store.Dialect(), now: now, enc: json.NewEncoder(w)}, nil
}

// handoffLine is one line of Handoffs.
type handoffLine struct {
	To string `json:"to"`
	Handoff
}

func (h *Handoffs) hand(ctx context.Context, team string, ho Handoff) error {
	insert := `INSERT INTO recycler_handoffs (key, lead_id, team, at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (key) DO NOTHING`
	if h.dialect == sqlstore.PostgreSQL {
		insert = `INSERT INTO recycler_handoffs (key, lead_id, team, at) VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO NOTHING`
	}
	res, err := h.db.ExecContext(ctx, insert, ho.Key, ho.Decision.Lead, team, h.now().UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("recycler: record hand-off %s of lead %q to %s: %w", ho.Key, ho.Decision.Lead, team, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err // handed on already: this is a delivery again of the same schedule
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.enc.Encode(handoffLine{To: team, Handoff: ho}); err != nil {
		return fmt.Errorf("recycler: hand lead %q to %s: %w", ho.Decision.Lead, team, err)
	}
	return nil
}

// Sales implements Actions.
func (h *Handoffs) Sales(ctx context.Context, ho Handoff) error { return h.hand(ctx, "sales", ho) }

// Nurture implements Actions.
func (h *Handoffs) Nurture(ctx context.Context, ho Handoff) error { return h.hand(ctx, "nurture", ho) }

// Review implements Actions.
func (h *Handoffs) Review(ctx context.Context, ho Handoff) error { return h.hand(ctx, "review", ho) }
