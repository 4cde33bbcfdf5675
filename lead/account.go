package lead

import (
	"fmt"
	"strings"
	"time"
)

// Account is a company and the leads of the people in it: the buying group
// a B2B team sells to. Three people of one firm who download a white
// paper, attend a webinar and ask a question each look like weak interest
// alone; as an account they are a buying group in motion, and the need one
// of them shows is the account's need.
//
// An account has its own funnel, like a lead: a Stage, LostReason and
// History on its implicit line, and a [Funnel] per product line in Lines.
// A loss recorded on the account answers the requests its contacts made
// before it, as a lead's own loss does. The contacts keep their own
// funnels as leads.
//
// Like a Lead, an Account is plain data that round-trips through JSON;
// storage belongs to the host. The qualify package evaluates it
// (qualify.EvaluateAccount), the match package groups leads into accounts
// by company domain, and the nurture audit reports neglect by account.
// The zero value is an account with no identity, which [Account.Validate]
// refuses.
type Account struct {
	// ID identifies the account in the host CRM.
	ID      string  `json:"id"`
	Company Company `json:"company"`
	// Owner is the host's identifier of the person responsible for the
	// account; empty when nobody is.
	Owner string `json:"owner,omitempty"`
	// Stage, LostReason and History are the account's funnel on its
	// implicit line; Lines its funnel on each product line.
	Stage      Stage             `json:"stage"`
	LostReason Reason            `json:"lost_reason,omitempty"`
	History    []Transition      `json:"history,omitempty"`
	Lines      map[string]Funnel `json:"lines,omitempty"`
	// Value is the account's potential value; the zero Money when unknown.
	Value Money `json:"value,omitzero"`
	// Leads are the account's contacts, each a lead with its own contact,
	// activities, consent and funnels. Their IDs are unique within the
	// account.
	Leads     []Lead    `json:"leads"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// Funnel returns where the account stands on product line `line`, as
// [Lead.Funnel] does for a lead: its own Stage, LostReason and History for
// the implicit line "", Lines[line] (or a new funnel) otherwise.
func (a *Account) Funnel(line string) Funnel {
	if line == "" {
		return Funnel{Stage: a.Stage, LostReason: a.LostReason, History: a.History}
	}
	return a.Lines[line]
}

// SetFunnel replaces the account's funnel on product line `line`, as
// [Lead.SetFunnel] does for a lead.
func (a *Account) SetFunnel(line string, f Funnel) {
	if line == "" {
		a.Stage, a.LostReason, a.History = f.Stage, f.LostReason, f.History
		return
	}
	if a.Lines == nil {
		a.Lines = map[string]Funnel{}
	}
	a.Lines[line] = f
}

// MoveTo moves the account on its implicit line, as [Lead.MoveTo] does.
func (a *Account) MoveTo(to Stage, at time.Time, reason string) error {
	return a.MoveLine("", to, at, reason)
}

// MoveLine moves the account on product line `line` ("" for its implicit
// line), on the rules of [Lead.MoveLine].
func (a *Account) MoveLine(line string, to Stage, at time.Time, reason string) error {
	if line != "" {
		if err := CheckLineName(line); err != nil {
			return fmt.Errorf("lead: %w", err)
		}
	}
	f := a.Funnel(line)
	f.History = clipCap(f.History)
	if err := move(&f.Stage, &f.History, line, to, at, reason); err != nil {
		return err
	}
	a.SetFunnel(line, f)
	if at.After(a.UpdatedAt) {
		a.UpdatedAt = at
	}
	return nil
}

// LostAt returns when the account was last set aside on its implicit
// line, as [Lead.LostAt] does for a lead.
func (a *Account) LostAt(now time.Time) time.Time { return lostAt(a.History, now) }

// Validate reports every problem of the account and of each of its leads
// at once, as a *ValidationError (errors.Is(err, ErrInvalid)) whose paths
// are the JSON paths within the account ("leads[2].contact.email"), or
// nil. `now` is the caller's clock, as for [Lead.Validate].
//
// Beyond what Lead.Validate checks in each lead, it checks: an empty ID;
// the company, the owner and the potential value as a lead's; the
// account's funnels as a lead's; and two leads with the same ID.
func (a *Account) Validate(now time.Time) error { return a.validate(now, nil) }

// ValidateAccount validates an account as Account.Validate does, keeping
// the time zones it loads.
func (v *Validator) ValidateAccount(a *Account, now time.Time) error {
	return a.validate(now, &v.Zones)
}

func (a *Account) validate(now time.Time, zones *Zones) error {
	c := checker{now: now, zones: zones}
	if strings.TrimSpace(a.ID) == "" {
		c.add("id", "empty")
	}
	c.text("id", a.ID)
	c.company(&a.Company)
	c.text("owner", a.Owner)
	c.funnel("", a.Stage, a.LostReason, a.History)
	c.lines("lines", a.Lines)
	c.money("value", a.Value)
	seen := make(map[string]int, len(a.Leads))
	for i := range a.Leads {
		l := &a.Leads[i]
		c.prefix = fmt.Sprintf("leads[%d].", i)
		c.lead(l)
		if j, dup := seen[l.ID]; dup && strings.TrimSpace(l.ID) != "" {
			c.add("id", "%q is also the ID of leads[%d]", l.ID, j)
		} else {
			seen[l.ID] = i
		}
	}
	c.prefix = ""
	c.past("created_at", a.CreatedAt, false)
	c.past("updated_at", a.UpdatedAt, false)
	if !a.CreatedAt.IsZero() && !a.UpdatedAt.IsZero() && a.UpdatedAt.Before(a.CreatedAt) {
		c.add("updated_at", "before created_at")
	}
	if len(c.problems) == 0 {
		return nil
	}
	return &ValidationError{ID: a.ID, Of: "account", Problems: c.problems}
}
