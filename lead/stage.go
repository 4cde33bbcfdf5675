package lead

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/leadqual/leadqual/internal/enum"
)

// Stage is where a lead stands in the funnel.
//
// The zero value is StageNew. The legal moves between stages are a table,
// [Transitions]; [Lead.MoveTo] refuses any other move.
type Stage uint8

// The stages, in funnel order.
const (
	StageNew                Stage = iota // just arrived, not yet judged
	StageNurturing                       // interest: with marketing, on a nurture track
	StageMarketingQualified              // interest and fit crossed the policy's thresholds
	StageSalesAccepted                   // sales took the lead and owes it a response
	StageSalesQualified                  // sales confirmed the need
	StageOpportunity                     // a deal is being worked
	StageWon                             // the deal closed
	StageLost                            // the deal, or the conversation, was lost for now
	StageRecycled                        // scheduled to be called again later
	StageDisqualified                    // final: a true non-fit or a do-not-contact request
)

var stageTable = enum.Table[Stage]{Type: "stage", Names: []string{
	"new", "nurturing", "marketing_qualified", "sales_accepted", "sales_qualified",
	"opportunity", "won", "lost", "recycled", "disqualified",
}}

// transitions is the table of legal moves: transitions[from] lists every
// stage a lead in `from` may move to. It reads as the funnel does:
//
//	new                 -> nurturing, marketing_qualified, sales_accepted, recycled, disqualified
//	nurturing           -> marketing_qualified, sales_accepted, recycled, disqualified
//	marketing_qualified -> sales_accepted, nurturing, recycled, disqualified
//	sales_accepted      -> sales_qualified, nurturing, lost, recycled, disqualified
//	sales_qualified     -> opportunity, nurturing, lost, recycled, disqualified
//	opportunity         -> won, lost, recycled, disqualified
//	won                 -> (none: a customer is a new conversation)
//	lost                -> recycled, sales_accepted, nurturing, disqualified
//	recycled            -> new, nurturing, marketing_qualified, sales_accepted, lost, disqualified
//	disqualified        -> (none: final)
//
// Need skips the queue (new -> sales_accepted), and reopens a lost lead
// (lost -> sales_accepted): fresh need after a loss outranks the loss's
// reason. Sales may hand a lead back to marketing (-> nurturing); a lead
// never dies except by disqualification.
var transitions = [...][]Stage{
	StageNew:                {StageNurturing, StageMarketingQualified, StageSalesAccepted, StageRecycled, StageDisqualified},
	StageNurturing:          {StageMarketingQualified, StageSalesAccepted, StageRecycled, StageDisqualified},
	StageMarketingQualified: {StageSalesAccepted, StageNurturing, StageRecycled, StageDisqualified},
	StageSalesAccepted:      {StageSalesQualified, StageNurturing, StageLost, StageRecycled, StageDisqualified},
	StageSalesQualified:     {StageOpportunity, StageNurturing, StageLost, StageRecycled, StageDisqualified},
	StageOpportunity:        {StageWon, StageLost, StageRecycled, StageDisqualified},
	StageWon:                nil,
	StageLost:               {StageRecycled, StageSalesAccepted, StageNurturing, StageDisqualified},
	StageRecycled:           {StageNew, StageNurturing, StageMarketingQualified, StageSalesAccepted, StageLost, StageDisqualified},
	StageDisqualified:       nil,
}

// Stages returns every stage in funnel order.
func Stages() []Stage {
	out := make([]Stage, len(stageTable.Names))
	for i := range out {
		out[i] = Stage(i)
	}
	return out
}

// Transitions returns the stages a lead in s may move to, in the order of
// the table above. The slice is a copy; an invalid stage has none.
func (s Stage) Transitions() []Stage {
	if !s.Valid() {
		return nil
	}
	return slices.Clone(transitions[s])
}

// CanMove reports whether the move from -> to is in the table.
func CanMove(from, to Stage) bool {
	return from.Valid() && slices.Contains(transitions[from], to)
}

// Final reports whether no move leaves s (won and disqualified).
func (s Stage) Final() bool { return s.Valid() && len(transitions[s]) == 0 }

// String returns the stage's name, e.g. "marketing_qualified".
func (s Stage) String() string { return stageTable.Name(s) }

// Valid reports whether s is one of the declared stages.
func (s Stage) Valid() bool { return stageTable.Valid(s) }

// ParseStage returns the stage named s.
func ParseStage(s string) (Stage, error) { return stageTable.Parse(s) }

// MarshalText implements encoding.TextMarshaler.
func (s Stage) MarshalText() ([]byte, error) { return stageTable.Marshal(s) }

// UnmarshalText implements encoding.TextUnmarshaler; unknown names are an
// error that lists the accepted ones.
func (s *Stage) UnmarshalText(b []byte) error { return stageTable.Set(s, b) }

// Scan implements sql.Scanner for a stage stored as text.
func (s *Stage) Scan(src any) error { return stageTable.ScanInto(s, src) }

// Value implements driver.Valuer.
func (s Stage) Value() (driver.Value, error) { return stageTable.Value(s) }

// Transition records one accepted move of a lead between stages.
type Transition struct {
	From   Stage     `json:"from"`
	To     Stage     `json:"to"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason,omitempty"`
}

// ErrIllegalTransition is the identity of every refused stage move; the
// error itself is a *TransitionError.
var ErrIllegalTransition = errors.New("illegal stage transition")

// ErrNoTime is returned by [Lead.MoveTo] when it is given the zero time: a
// move is recorded with the time it was made.
var ErrNoTime = errors.New("the time of the move is missing")

// TransitionError is a refused move: the table has no from -> to.
type TransitionError struct {
	From, To Stage
	// Line is the product line of the move; empty for the implicit line.
	Line string
}

func (e *TransitionError) Error() string {
	on := ""
	if e.Line != "" {
		on = fmt.Sprintf(" on product line %q", e.Line)
	}
	if !e.From.Valid() || !e.To.Valid() {
		return fmt.Sprintf("lead: illegal stage transition %s -> %s%s: unknown stage", e.From, e.To, on)
	}
	allowed := "none, " + e.From.String() + " is final"
	if ts := transitions[e.From]; len(ts) > 0 {
		allowed = fmt.Sprint(ts)
	}
	return fmt.Sprintf("lead: illegal stage transition %s -> %s%s (from %s: %s)", e.From, e.To, on, e.From, allowed)
}

// Is makes errors.Is(err, ErrIllegalTransition) true.
func (e *TransitionError) Is(target error) bool { return target == ErrIllegalTransition }

// MoveTo moves the lead to stage `to` at time `at`, records the move in
// History and sets UpdatedAt to `at` unless it is already later. A move the
// table does not allow is refused with a *TransitionError, and a move at the
// zero time (which Validate would refuse) with ErrNoTime; either leaves the
// lead unchanged.
func (l *Lead) MoveTo(to Stage, at time.Time, reason string) error {
	if err := move(&l.Stage, &l.History, "", to, at, reason); err != nil {
		return err
	}
	if at.After(l.UpdatedAt) {
		l.UpdatedAt = at
	}
	return nil
}

// LostAt returns when the lead was last set aside: the time of the latest
// move in its History into lost, recycled or disqualified, at or before
// now. It is zero when the history records no such move (a lead imported
// already lost has no date for its loss).
//
// A loss answers every request made before it: qualify counts need as
// fresh only when it came after LostAt, so that a lead lost to a preferred
// supplier that asks for a quote again goes back to sales, while the
// request it was lost over does not.
func (l *Lead) LostAt(now time.Time) time.Time { return lostAt(l.History, now) }
