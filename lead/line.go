package lead

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Funnel is where a lead, or an account, stands in the funnel of one
// product line: its stage, the reason it was set aside, and every move it
// made. The moves follow the one transition table ([CanMove]) whatever the
// line.
//
// A business that sells several product lines sells each on its own: the
// same person may be a won customer of one line, a prospect asking for a
// quote on a second and someone reading a white paper about a third. A
// [Lead] keeps a Funnel per product line in Lead.Lines, beside its own
// Stage, LostReason and History, which are the funnel of the implicit line:
// everything not attributed to a declared line, and the only funnel of a
// host that declares none. Won on one line, the lead stays open on every
// other: a won line is final for that line only, and interest in another
// line starts (or wakes) that line's funnel. The product lines are
// declared in the qualify policy (its settings' product_lines), which maps
// each activity's product to its line.
//
// The zero Funnel is a line the lead has not entered: stage new, no
// history.
type Funnel struct {
	Stage Stage `json:"stage"`
	// LostReason says why the line was lost or set aside, when it was.
	LostReason Reason `json:"lost_reason,omitempty"`
	// History records every move made on the line through MoveTo or
	// Lead.MoveLine.
	History []Transition `json:"history,omitempty"`
}

// MaxLineName bounds the name of a product line, in bytes.
const MaxLineName = 100

// CheckLineName reports what is wrong with name as the name of a product
// line, or nil: a line's name is 1 to MaxLineName bytes of UTF-8 text on
// one line, without leading or trailing spaces. The implicit line has the
// empty name and is never declared.
func CheckLineName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty product line name")
	case len(name) > MaxLineName:
		return fmt.Errorf("product line name of %d bytes: at most %d", len(name), MaxLineName)
	case !utf8.ValidString(name):
		return fmt.Errorf("product line name %q is not valid UTF-8", name)
	case strings.TrimSpace(name) != name:
		return fmt.Errorf("product line name %q has leading or trailing spaces", name)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return fmt.Errorf("product line name %q has control characters", name)
	}
	return nil
}

// MoveTo moves the funnel to stage `to` at time `at` and records the move
// in its History, on the rules of [Lead.MoveTo]: a move the table does not
// allow is a *TransitionError, the zero time ErrNoTime, and either leaves
// the funnel unchanged.
func (f *Funnel) MoveTo(to Stage, at time.Time, reason string) error {
	return move(&f.Stage, &f.History, "", to, at, reason)
}

// LostAt returns when the funnel was last set aside: the time of the
// latest move in its History into lost, recycled or disqualified, at or
// before now; zero when there is none. See [Lead.LostAt].
func (f *Funnel) LostAt(now time.Time) time.Time { return lostAt(f.History, now) }

// move is MoveTo on a stage and a history, of product line `line` ("" the
// implicit line), for errors.
func move(stage *Stage, history *[]Transition, line string, to Stage, at time.Time, reason string) error {
	if !CanMove(*stage, to) {
		return &TransitionError{From: *stage, To: to, Line: line}
	}
	if at.IsZero() {
		on := ""
		if line != "" {
			on = fmt.Sprintf(" on product line %q", line)
		}
		return fmt.Errorf("lead: stage transition %s -> %s%s: %w", *stage, to, on, ErrNoTime)
	}
	*history = append(*history, Transition{From: *stage, To: to, At: at, Reason: reason})
	*stage = to
	return nil
}

func lostAt(history []Transition, now time.Time) time.Time {
	var at time.Time
	for _, t := range history {
		switch t.To {
		case StageLost, StageRecycled, StageDisqualified:
			if t.At.After(at) && !t.At.After(now) {
				at = t.At
			}
		}
	}
	return at
}

// Funnel returns where the lead stands on product line `line`: for the
// implicit line "", the lead's own Stage, LostReason and History; for a
// declared line, Lines[line], or the zero Funnel (stage new) when the lead
// has never entered it. The History is the lead's own, not a copy.
func (l *Lead) Funnel(line string) Funnel {
	if line == "" {
		return Funnel{Stage: l.Stage, LostReason: l.LostReason, History: l.History}
	}
	return l.Lines[line]
}

// SetFunnel replaces the lead's funnel on product line `line` with f: the
// lead's own Stage, LostReason and History for the implicit line "",
// Lines[line] otherwise. It is how a host records a line's lost reason:
//
//	f := l.Funnel("routeplanner")
//	f.LostReason = lead.ReasonNotNow
//	l.SetFunnel("routeplanner", f)
func (l *Lead) SetFunnel(line string, f Funnel) {
	if line == "" {
		l.Stage, l.LostReason, l.History = f.Stage, f.LostReason, f.History
		return
	}
	if l.Lines == nil {
		l.Lines = map[string]Funnel{}
	}
	l.Lines[line] = f
}

// MoveLine moves the lead on product line `line` to stage `to` at time
// `at`, records the move in that line's history and sets UpdatedAt to `at`
// unless it is already later. The implicit line "" is [Lead.MoveTo]. A
// line the lead has not entered starts at stage new. A move the table
// does not allow is a *TransitionError, the zero time ErrNoTime, and a
// line name CheckLineName refuses an error; each leaves the lead
// unchanged.
//
// Lines are independent: a lead won on one line may move on another, and
// a line that is won or disqualified is final for that line only.
func (l *Lead) MoveLine(line string, to Stage, at time.Time, reason string) error {
	if line == "" {
		return l.MoveTo(to, at, reason)
	}
	if err := CheckLineName(line); err != nil {
		return fmt.Errorf("lead: %w", err)
	}
	f := l.Lines[line]
	f.History = clipCap(f.History)
	if err := move(&f.Stage, &f.History, line, to, at, reason); err != nil {
		return err
	}
	l.SetFunnel(line, f)
	if at.After(l.UpdatedAt) {
		l.UpdatedAt = at
	}
	return nil
}

// clipCap returns h with no spare capacity, so that appending to the copy
// of a funnel never writes into an array another copy shares.
func clipCap(h []Transition) []Transition { return h[:len(h):len(h)] }

// lines is the validation of a map of funnels at path ("lines").
func (c *checker) lines(path string, lines map[string]Funnel) {
	if len(lines) == 0 {
		return
	}
	for _, name := range slices.Sorted(maps.Keys(lines)) {
		if err := CheckLineName(name); err != nil {
			c.add(path, "%v", err)
			continue
		}
		f := lines[name]
		c.funnel(path+"."+name+".", f.Stage, f.LostReason, f.History)
	}
}

// funnel validates a stage, a lost reason and a history whose fields are
// at prefix + "stage", "lost_reason" and "history".
func (c *checker) funnel(prefix string, stage Stage, lost Reason, history []Transition) {
	if !stage.Valid() {
		c.add(prefix+"stage", "unknown stage %d", uint8(stage))
	}
	c.text(prefix+"lost_reason", string(lost))
	for i, t := range history {
		p := fmt.Sprintf("%shistory[%d]", prefix, i)
		if !CanMove(t.From, t.To) {
			c.add(p, "illegal move %s -> %s", t.From, t.To)
		}
		c.past(p+".at", t.At, true)
		c.text(p+".reason", t.Reason)
		if i > 0 {
			prev := history[i-1]
			if t.From != prev.To {
				c.add(p+".from", "%s, but %shistory[%d] moved it to %s", t.From, prefix, i-1, prev.To)
			}
			if !t.At.IsZero() && t.At.Before(prev.At) {
				c.add(p+".at", "before %shistory[%d].at", prefix, i-1)
			}
		}
	}
	if n := len(history); n > 0 && history[n-1].To != stage {
		c.add(fmt.Sprintf("%shistory[%d].to", prefix, n-1), "%s, but the stage is %s", history[n-1].To, stage)
	}
}
