package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// Handoffs is the example's Actions: it writes each hand-off as a JSON line
// ({"to": "sales", "decision": {...}}) for whatever notifies the sales team
// or enrols the lead in marketing's nurture track. It is safe for
// concurrent use.
type Handoffs struct {
	mu  sync.Mutex
	enc *json.Encoder
}

// NewHandoffs returns Handoffs writing to w.
func NewHandoffs(w io.Writer) *Handoffs { return &Handoffs{enc: json.NewEncoder(w)} }

// handoff is one line of Handoffs.
type handoff struct {
	To       string           `json:"to"`
	Decision qualify.Decision `json:"decision"`
}

func (h *Handoffs) write(to string, d qualify.Decision) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.enc.Encode(handoff{To: to, Decision: d}); err != nil {
		return fmt.Errorf("recycler: hand lead %q to %s: %w", d.Lead, to, err)
	}
	return nil
}

// Sales implements Actions.
func (h *Handoffs) Sales(_ context.Context, _ *lead.Lead, d qualify.Decision) error {
	return h.write("sales", d)
}

// Nurture implements Actions.
func (h *Handoffs) Nurture(_ context.Context, _ *lead.Lead, d qualify.Decision) error {
	return h.write("nurture", d)
}

// Review implements Actions.
func (h *Handoffs) Review(_ context.Context, _ *lead.Lead, d qualify.Decision) error {
	return h.write("review", d)
}
