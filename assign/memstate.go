package assign

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// MemState is the in-memory [State], the embedded default. It keeps the
// assignments in the process: nothing survives a restart unless the host
// saves [MemState.Assignments] and writes them back with Put.
//
// Every method costs O(1) (Loads O(n) for n owners asked about) under one
// mutex. The zero value is an empty state ready to use. A MemState is
// safe for concurrent use; it must not be copied after first use.
type MemState struct {
	mu     sync.Mutex
	byLead map[string]Assignment
	loads  map[string]*Load
	seq    uint64
}

// NewMemState returns an empty MemState.
func NewMemState() *MemState { return &MemState{} }

var _ State = (*MemState)(nil)

// Assignments returns every record, by lead ID: a snapshot a host can save
// and restore with Put.
func (m *MemState) Assignments() []Assignment {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := slices.Collect(maps.Values(m.byLead))
	slices.SortFunc(out, func(a, b Assignment) int { return strings.Compare(a.Lead, b.Lead) })
	return out
}

// Len returns the number of records.
func (m *MemState) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.byLead)
}

// Get implements [State.Get].
func (m *MemState) Get(ctx context.Context, leadID string) (Assignment, error) {
	if err := ctx.Err(); err != nil {
		return Assignment{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.byLead[leadID]
	if !ok {
		return Assignment{}, ErrNotFound
	}
	return a, nil
}

// Loads implements [State.Loads].
func (m *MemState) Loads(ctx context.Context, owners []string, dst []Load) ([]Load, error) {
	if err := ctx.Err(); err != nil {
		return dst, err
	}
	dst = slices.Grow(dst, len(owners))
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range owners {
		if l := m.loads[o]; l != nil {
			dst = append(dst, *l)
		} else {
			dst = append(dst, Load{Owner: o})
		}
	}
	return dst, nil
}

// Put implements [State.Put]. A record without a lead or an owner is an
// error wrapping ErrInvalid.
func (m *MemState) Put(ctx context.Context, a Assignment, expect uint64, capacity int) (Assignment, error) {
	if err := ctx.Err(); err != nil {
		return Assignment{}, err
	}
	if a.Lead == "" || a.Owner == "" {
		return Assignment{}, fmt.Errorf("%w: an assignment needs a lead and an owner", ErrInvalid)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old, exists := m.byLead[a.Lead]
	switch {
	case expect == 0 && exists:
		return Assignment{}, fmt.Errorf("lead %q: %w", a.Lead, ErrStale)
	case expect != 0 && !exists:
		return Assignment{}, fmt.Errorf("lead %q: %w", a.Lead, ErrNotFound)
	case expect != 0 && old.Version != expect:
		return Assignment{}, fmt.Errorf("lead %q: version %d, expected %d: %w", a.Lead, old.Version, expect, ErrStale)
	}
	moves := !exists || old.Owner != a.Owner
	to := m.load(a.Owner)
	if moves && capacity > 0 && to.Open >= capacity {
		return Assignment{}, fmt.Errorf("owner %q holds %d of %d: %w", a.Owner, to.Open, capacity, ErrFull)
	}
	if m.byLead == nil {
		m.byLead = map[string]Assignment{}
	}
	m.seq++
	a.Version = m.seq
	if moves {
		if exists {
			m.load(old.Owner).Open--
		}
		to.Open++
		to.Last = a.Version
	}
	m.byLead[a.Lead] = a
	return a, nil
}

// load returns the load of owner, made if new; under mu.
func (m *MemState) load(owner string) *Load {
	l := m.loads[owner]
	if l == nil {
		if m.loads == nil {
			m.loads = map[string]*Load{}
		}
		l = &Load{Owner: owner}
		m.loads[owner] = l
	}
	return l
}

// Delete implements [State.Delete].
func (m *MemState) Delete(ctx context.Context, leadID string, expect uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.byLead[leadID]
	switch {
	case !ok:
		return fmt.Errorf("lead %q: %w", leadID, ErrNotFound)
	case expect != 0 && old.Version != expect:
		return fmt.Errorf("lead %q: version %d, expected %d: %w", leadID, old.Version, expect, ErrStale)
	}
	delete(m.byLead, leadID)
	m.load(old.Owner).Open--
	return nil
}
