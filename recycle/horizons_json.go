package recycle

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/leadqual/leadqual/lead"
)

// The JSON form of Horizons, the interchange form a CRM stores. Durations
// are text ("90d", "36h", "1d12h"), clock times "09:00", weekdays their
// English names. Fields left out keep their defaults.
//
//	{
//	  "reasons": {
//	    "not_now":   {"after": "60d", "longest": "120d", "ahead": "14d"},
//	    "no_decision_maker": {"longest": "60d"},
//	    "evaluating_in_house": {"after": "120d", "longest": "240d", "task": "Ask how the in-house build went"}
//	  },
//	  "backoff": 1.5,
//	  "cap": 4,
//	  "longest": "540d",
//	  "jitter": "24h",
//	  "hours": {"start": "09:00", "end": "17:30", "days": ["monday", "tuesday", "wednesday", "thursday", "friday"],
//	            "holidays": ["2026-12-25"], "zone": "Europe/London"}
//	}
type horizonsJSON struct {
	Reasons  map[lead.Reason]horizonJSON `json:"reasons,omitempty"`
	Fallback *horizonJSON                `json:"fallback,omitempty"`
	Backoff  float64                     `json:"backoff,omitempty"`
	Cap      int                         `json:"cap,omitempty"`
	Longest  string                      `json:"longest,omitempty"`
	Jitter   string                      `json:"jitter,omitempty"`
	Hours    json.RawMessage             `json:"hours,omitempty"`
}

type horizonJSON struct {
	After    string `json:"after,omitempty"`
	Longest  string `json:"longest,omitempty"`
	Task     string `json:"task,omitempty"`
	Anchor   Anchor `json:"anchor,omitempty"`
	Ahead    string `json:"ahead,omitempty"`
	Attempts int    `json:"attempts,omitempty"`
	Retry    string `json:"retry,omitempty"`
}

// jitterOff is the JSON form of a disabled jitter.
const jitterOff = "off"

// ParseHorizons reads Horizons from their JSON form (at most 1 MiB;
// unknown fields are refused) and validates them as NewPlanner does. Every
// problem is reported with the field it is in.
func ParseHorizons(data []byte) (Horizons, error) {
	var h Horizons
	if err := h.UnmarshalJSON(data); err != nil {
		return Horizons{}, err
	}
	if _, err := NewPlanner(h); err != nil {
		return Horizons{}, err
	}
	return h, nil
}

// MarshalJSON writes the JSON form ParseHorizons reads. Durations are
// written in whole seconds.
func (h Horizons) MarshalJSON() ([]byte, error) {
	w := horizonsJSON{Backoff: h.Backoff, Cap: h.Cap}
	if h.Reasons != nil {
		w.Reasons = make(map[lead.Reason]horizonJSON, len(h.Reasons))
		for r, x := range h.Reasons {
			w.Reasons[r] = x.toJSON()
		}
	}
	if h.Fallback != (Horizon{}) {
		f := h.Fallback.toJSON()
		w.Fallback = &f
	}
	if h.Longest != 0 {
		w.Longest = lead.FormatDuration(h.Longest)
	}
	switch {
	case h.Jitter < 0:
		w.Jitter = jitterOff
	case h.Jitter > 0:
		w.Jitter = lead.FormatDuration(h.Jitter)
	}
	if h.Hours != nil {
		hs, err := json.Marshal(h.Hours)
		if err != nil {
			return nil, err
		}
		w.Hours = hs
	}
	return json.Marshal(w)
}

func (x Horizon) toJSON() horizonJSON {
	w := horizonJSON{Task: x.Task, Anchor: x.Anchor, Attempts: x.Attempts}
	if x.After != 0 {
		w.After = lead.FormatDuration(x.After)
	}
	if x.Longest != 0 {
		w.Longest = lead.FormatDuration(x.Longest)
	}
	if x.Ahead != 0 {
		w.Ahead = lead.FormatDuration(x.Ahead)
	}
	if x.Retry != 0 {
		w.Retry = lead.FormatDuration(x.Retry)
	}
	return w
}

// UnmarshalJSON reads the JSON form strictly (unknown fields and malformed
// durations, clock times or weekdays are errors naming the field). It does
// not validate the values: NewPlanner does.
func (h *Horizons) UnmarshalJSON(data []byte) error {
	var w horizonsJSON
	if err := decodeStrict(data, &w); err != nil {
		return fmt.Errorf("recycle: horizons: %w", err)
	}
	var p problems
	out := Horizons{Backoff: w.Backoff, Cap: w.Cap}
	if w.Reasons != nil {
		out.Reasons = make(map[lead.Reason]Horizon, len(w.Reasons))
		for _, r := range slices.Sorted(maps.Keys(w.Reasons)) {
			out.Reasons[r] = w.Reasons[r].fromJSON(&p, fmt.Sprintf("reasons.%s", r))
		}
	}
	if w.Fallback != nil {
		out.Fallback = w.Fallback.fromJSON(&p, "fallback")
	}
	out.Longest = parseField(&p, "longest", w.Longest)
	if w.Jitter == jitterOff {
		out.Jitter = -1
	} else {
		out.Jitter = parseField(&p, "jitter", w.Jitter)
	}
	if w.Hours != nil && string(w.Hours) != "null" {
		hs := new(WorkingHours)
		if err := hs.UnmarshalJSON(w.Hours); err != nil {
			hoursProblems(&p, "hours.", err, false)
		}
		out.Hours = hs
	}
	if err := p.err(); err != nil {
		return fmt.Errorf("recycle: horizons: %w", err)
	}
	*h = out
	return nil
}

func (w horizonJSON) fromJSON(p *problems, f string) Horizon {
	return Horizon{
		After:    parseField(p, f+".after", w.After),
		Longest:  parseField(p, f+".longest", w.Longest),
		Task:     w.Task,
		Anchor:   w.Anchor,
		Ahead:    parseField(p, f+".ahead", w.Ahead),
		Attempts: w.Attempts,
		Retry:    parseField(p, f+".retry", w.Retry),
	}
}

// parseField parses an optional duration: "" is zero.
func parseField(p *problems, f, s string) time.Duration {
	if s == "" {
		return 0
	}
	d, err := lead.ParseDuration(s)
	if err != nil {
		p.add(f, "%v", err)
	}
	return d
}
