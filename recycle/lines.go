package recycle

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/leadqual/leadqual/lead"
)

// Product lines.
//
// A lead lost on one product line may be a customer, or a prospect, on
// another: each line is recycled on its own. The Store keeps one entry per
// key, and the key of a line's entry is [EntryKey] of the lead and the
// line: the lead's ID for its implicit line (as for a host without product
// lines), the lead's ID, U+001F and the line's name for a declared line.
// So the Store and its conformance suite know nothing of lines, and a
// store written before them keeps working.

// keySep separates a lead's ID from its product line in an entry key: a
// control character, which no line name holds (lead.CheckLineName).
const keySep = "\x1f"

// EntryKey returns the key of the recycle entry of lead leadID on product
// line `line`: leadID itself for the implicit line "", else leadID, the
// unit separator U+001F and the line's name. Pass it where a Scheduler
// method takes a lead ID (Wake, Reschedule, Cancel, Get) to act on one
// line's entry.
func EntryKey(leadID, line string) string {
	if line == "" {
		return leadID
	}
	return leadID + keySep + line
}

// SplitKey returns the lead ID and the product line of an entry key, as
// EntryKey made it: a key without U+001F is a lead's implicit line.
func SplitKey(key string) (leadID, line string) {
	i := strings.LastIndex(key, keySep)
	if i < 0 {
		return key, ""
	}
	return key[:i], key[i+len(keySep):]
}

// Lead returns the lead ID and the product line of the entry: see
// SplitKey.
func (e Entry) Lead() (leadID, line string) { return SplitKey(e.LeadID) }

// checkKey checks the U+001F of a key: only as EntryKey writes it, once,
// before a valid line name.
func checkKey(p *problems, field, key string) {
	if !strings.Contains(key, keySep) {
		return
	}
	id, line := SplitKey(key)
	switch {
	case strings.Contains(id, keySep) || strings.TrimSpace(id) == "":
		p.add(field, "U+001F separates a lead's ID from its product line (EntryKey): a lead ID may not hold it")
	case lead.CheckLineName(line) != nil:
		p.add(field, "after U+001F comes a product line: %v", lead.CheckLineName(line))
	}
}

// RecycleLine schedules lead l on product line `line`, one of the
// policy's (Config.Vocabulary), as Recycle schedules a lead: for reason r,
// or the line's own lost reason (l.Funnel(line).LostReason) when r is
// empty. The entry's key is EntryKey(l.ID, line), its counts are the
// line's own, and Claim hands it out with that key (Entry.Lead splits
// it). The implicit line "" is Recycle.
//
// A lead lost on one line is recycled on that line only: its other lines'
// entries, and its implicit entry, are left as they are.
func (s *Scheduler) RecycleLine(ctx context.Context, l *lead.Lead, line string, r lead.Reason, now time.Time) (Entry, error) {
	if l == nil || line == "" {
		return s.Recycle(ctx, l, r, now)
	}
	v, err := s.lineView(l, line)
	if err != nil {
		return Entry{}, fmt.Errorf("recycle: schedule lead %q: %w", l.ID, err)
	}
	return s.Recycle(ctx, v, r, now)
}

// lineView returns the lead as its line's entry sees it: keyed by
// EntryKey, at the line's funnel.
func (s *Scheduler) lineView(l *lead.Lead, line string) (*lead.Lead, error) {
	if !s.classifier.vocab.HasLine(line) {
		return nil, invalid("line", "%q is not a product line of the policy (%s)",
			line, strings.Join(s.classifier.vocab.Lines(), ", "))
	}
	if strings.Contains(l.ID, keySep) {
		return nil, invalid("lead.id", "holds U+001F, which separates a lead's ID from its product line")
	}
	v := *l
	v.ID = EntryKey(l.ID, line)
	f := l.Funnel(line)
	v.Stage, v.LostReason, v.History = f.Stage, f.LostReason, f.History
	return &v, nil
}

// lineOf returns the product line a new interest belongs to under the
// policy: the line of the activity's product, or else of the catalogue's
// product it matched; "" when neither belongs to a line.
func (s *Scheduler) lineOf(a *lead.Activity, m Match) string {
	v := s.classifier.vocab
	if line, ok := v.Line(a.Product); ok {
		return line
	}
	line, _ := v.Line(m.Product)
	return line
}

// observeKey returns the entry an interest in something we sell wakes:
// the entry of its product line when the lead has one, else the lead's
// own entry. A lead recycled on one line is woken on that line only by an
// interest in it; an interest in a line the lead has no entry on wakes the
// lead's implicit entry, as for a host without lines.
func (s *Scheduler) observeKey(ctx context.Context, leadID string, a *lead.Activity, m Match) (string, string, error) {
	line := s.lineOf(a, m)
	if line == "" {
		return leadID, "", nil
	}
	key := EntryKey(leadID, line)
	if _, err := s.Get(ctx, key); err != nil {
		if errors.Is(err, ErrNotFound) {
			return leadID, "", nil
		}
		return "", "", err
	}
	return key, line, nil
}
