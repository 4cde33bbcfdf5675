package lead_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leadqual/leadqual/lead"
)

// allowed is the transition table, written out once more: a change to the
// table in stage.go must be made here too, on purpose.
var allowed = map[lead.Stage][]lead.Stage{
	lead.StageNew:                {lead.StageNurturing, lead.StageMarketingQualified, lead.StageSalesAccepted, lead.StageRecycled, lead.StageDisqualified},
	lead.StageNurturing:          {lead.StageMarketingQualified, lead.StageSalesAccepted, lead.StageRecycled, lead.StageDisqualified},
	lead.StageMarketingQualified: {lead.StageSalesAccepted, lead.StageNurturing, lead.StageRecycled, lead.StageDisqualified},
	lead.StageSalesAccepted:      {lead.StageSalesQualified, lead.StageNurturing, lead.StageLost, lead.StageRecycled, lead.StageDisqualified},
	lead.StageSalesQualified:     {lead.StageOpportunity, lead.StageNurturing, lead.StageLost, lead.StageRecycled, lead.StageDisqualified},
	lead.StageOpportunity:        {lead.StageWon, lead.StageLost, lead.StageRecycled, lead.StageDisqualified},
	lead.StageWon:                nil,
	lead.StageLost:               {lead.StageRecycled, lead.StageSalesAccepted, lead.StageNurturing, lead.StageDisqualified},
	lead.StageRecycled:           {lead.StageNew, lead.StageNurturing, lead.StageMarketingQualified, lead.StageSalesAccepted, lead.StageLost, lead.StageDisqualified},
	lead.StageDisqualified:       nil,
}

// invalidStages are stage numbers no constant has.
var invalidStages = []lead.Stage{10, 11, 255}

func TestStages(t *testing.T) {
	want := []lead.Stage{
		lead.StageNew, lead.StageNurturing, lead.StageMarketingQualified, lead.StageSalesAccepted,
		lead.StageSalesQualified, lead.StageOpportunity, lead.StageWon, lead.StageLost,
		lead.StageRecycled, lead.StageDisqualified,
	}
	got := lead.Stages()
	require.Equal(t, want, got)
	assert.Len(t, allowed, len(want), "the table in this test covers every stage")
	got[0] = lead.StageWon
	assert.Equal(t, want, lead.Stages(), "Stages returns a fresh slice")
	assert.Equal(t, lead.StageNew, lead.Stage(0), "the zero Stage is new")
}

// TestCanMoveWholeTable checks every (from, to) pair, unknown stages
// included, against the table above.
func TestCanMoveWholeTable(t *testing.T) {
	all := append(lead.Stages(), invalidStages...)
	for _, from := range all {
		for _, to := range all {
			want := slices.Contains(allowed[from], to)
			assert.Equal(t, want, lead.CanMove(from, to), "CanMove(%s, %s)", from, to)
		}
	}
}

func TestTransitions(t *testing.T) {
	for _, s := range lead.Stages() {
		t.Run(s.String(), func(t *testing.T) {
			got := s.Transitions()
			assert.Equal(t, allowed[s], got)
			assert.Equal(t, len(allowed[s]) == 0, s.Final())
			for _, to := range got {
				assert.True(t, lead.CanMove(s, to))
			}
			if len(got) == 0 {
				return
			}
			// Changing the copy changes nothing in the table.
			// (appending within its capacity too).
			got[0] = lead.StageWon
			got = append(got[:1], lead.StageWon, lead.StageWon, lead.StageWon)
			assert.Len(t, got, 4)
			assert.Equal(t, allowed[s], s.Transitions())
			for _, to := range lead.Stages() {
				assert.Equal(t, slices.Contains(allowed[s], to), lead.CanMove(s, to), "%s -> %s", s, to)
			}
		})
	}
	for _, s := range invalidStages {
		assert.Nil(t, s.Transitions(), "stage %d", uint8(s))
		assert.False(t, s.Final(), "an unknown stage is not final")
	}
}

func TestFinal(t *testing.T) {
	var final []lead.Stage
	for _, s := range lead.Stages() {
		if s.Final() {
			final = append(final, s)
		}
	}
	assert.Equal(t, []lead.Stage{lead.StageWon, lead.StageDisqualified}, final)
}

// TestTransitionsMatchTheDocumentedTable reads the table in the comment on
// `transitions` in stage.go, the one a reader sees, and checks that the
// code allows exactly the moves it shows, in the order it shows them.
func TestTransitionsMatchTheDocumentedTable(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "stage.go", nil, parser.ParseComments)
	require.NoError(t, err)
	var doc string
	ast.Inspect(f, func(n ast.Node) bool {
		if g, ok := n.(*ast.GenDecl); ok && g.Tok == token.VAR {
			for _, spec := range g.Specs {
				if vs := spec.(*ast.ValueSpec); vs.Names[0].Name == "transitions" {
					doc = g.Doc.Text()
				}
			}
		}
		return true
	})
	require.NotEmpty(t, doc, "the transitions table has no doc comment")

	documented := map[lead.Stage][]lead.Stage{}
	for line := range strings.Lines(doc) {
		// The table is the comment's code block: its indented lines.
		from, to, ok := strings.Cut(line, "->")
		if !ok || !strings.HasPrefix(line, "\t") {
			continue
		}
		s, err := lead.ParseStage(strings.TrimSpace(from))
		require.NoError(t, err, line)
		require.NotContains(t, documented, s, "%s is documented twice", s)
		documented[s] = nil
		to = strings.TrimSpace(to)
		if strings.HasPrefix(to, "(none") {
			continue
		}
		for name := range strings.SplitSeq(to, ",") {
			st, err := lead.ParseStage(strings.TrimSpace(name))
			require.NoError(t, err, line)
			documented[s] = append(documented[s], st)
		}
	}
	require.Len(t, documented, len(lead.Stages()), "every stage has a line in the documented table")
	for _, s := range lead.Stages() {
		assert.Equal(t, documented[s], s.Transitions(), "the documented moves from %s", s)
	}
}

func TestMoveTo(t *testing.T) {
	// Every legal move, from every stage.
	for _, from := range lead.Stages() {
		for _, to := range allowed[from] {
			t.Run(from.String()+"->"+to.String(), func(t *testing.T) {
				l := &lead.Lead{ID: "l", Stage: from, CreatedAt: t0, UpdatedAt: t1}
				require.NoError(t, l.MoveTo(to, t3, "why"))
				assert.Equal(t, to, l.Stage)
				assert.Equal(t, []lead.Transition{{From: from, To: to, At: t3, Reason: "why"}}, l.History)
				assert.Equal(t, t3, l.UpdatedAt)
				assert.NoError(t, l.Validate(now))
			})
		}
	}
}

func TestMoveToKeepsALaterUpdate(t *testing.T) {
	l := &lead.Lead{ID: "l", UpdatedAt: t5}
	require.NoError(t, l.MoveTo(lead.StageNurturing, t3, "backfilled from the old CRM"))
	assert.Equal(t, t5, l.UpdatedAt, "a move recorded late does not set UpdatedAt back")
	assert.Equal(t, t3, l.History[0].At)
}

func TestMoveToRecordsAWalkThroughTheFunnel(t *testing.T) {
	l := &lead.Lead{ID: "l", CreatedAt: t0}
	steps := []struct {
		to     lead.Stage
		at     time.Time
		reason string
	}{
		{lead.StageNurturing, t1, "downloaded a white paper"},
		{lead.StageSalesAccepted, t2, "asked for pricing"},
		{lead.StageLost, t3, "not now"},
		{lead.StageRecycled, t3, "call again in September"},
		{lead.StageSalesAccepted, t5, "called back"},
		{lead.StageSalesQualified, t6, "budget confirmed"},
		{lead.StageOpportunity, t7, "proposal sent"},
		{lead.StageWon, t8, "signed"},
	}
	var want []lead.Transition
	from := lead.StageNew
	for _, s := range steps {
		require.NoError(t, l.MoveTo(s.to, s.at, s.reason))
		want = append(want, lead.Transition{From: from, To: s.to, At: s.at, Reason: s.reason})
		from = s.to
	}
	assert.Equal(t, want, l.History)
	assert.Equal(t, lead.StageWon, l.Stage)
	assert.Equal(t, t8, l.UpdatedAt)
	assert.NoError(t, l.Validate(now))

	err := l.MoveTo(lead.StageRecycled, t9, "")
	assert.ErrorIs(t, err, lead.ErrIllegalTransition, "won is final")
}

func TestMoveToRefusesAnIllegalMove(t *testing.T) {
	tests := []struct {
		name     string
		from, to lead.Stage
		wantErr  string
	}{
		{"skipping the funnel", lead.StageNew, lead.StageWon,
			"lead: illegal stage transition new -> won (from new: [nurturing marketing_qualified sales_accepted recycled disqualified])"},
		{"to the same stage", lead.StageNurturing, lead.StageNurturing,
			"lead: illegal stage transition nurturing -> nurturing (from nurturing: [marketing_qualified sales_accepted recycled disqualified])"},
		{"backwards", lead.StageOpportunity, lead.StageSalesAccepted,
			"lead: illegal stage transition opportunity -> sales_accepted (from opportunity: [won lost recycled disqualified])"},
		{"out of won", lead.StageWon, lead.StageNew,
			"lead: illegal stage transition won -> new (from won: none, won is final)"},
		{"out of disqualified", lead.StageDisqualified, lead.StageRecycled,
			"lead: illegal stage transition disqualified -> recycled (from disqualified: none, disqualified is final)"},
		{"to an unknown stage", lead.StageNew, 10,
			"lead: illegal stage transition new -> stage(10): unknown stage"},
		{"from an unknown stage", 200, lead.StageNew,
			"lead: illegal stage transition stage(200) -> new: unknown stage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := fullLead()
			l.Stage = tt.from
			before := fullLead()
			before.Stage = tt.from

			err := l.MoveTo(tt.to, t6, "reason")
			require.Error(t, err)
			assert.EqualError(t, err, tt.wantErr)
			assert.ErrorIs(t, err, lead.ErrIllegalTransition)
			assert.NotErrorIs(t, err, lead.ErrInvalid)
			var te *lead.TransitionError
			require.ErrorAs(t, err, &te)
			assert.Equal(t, tt.from, te.From)
			assert.Equal(t, tt.to, te.To)
			assert.Contains(t, err.Error(), tt.from.String())
			assert.Contains(t, err.Error(), tt.to.String())

			assert.Equal(t, before, l, "a refused move leaves the lead unchanged")
		})
	}
}

func TestMoveToRefusesTheZeroTime(t *testing.T) {
	l := fullLead()
	err := l.MoveTo(lead.StageSalesQualified, time.Time{}, "no clock")
	assert.ErrorIs(t, err, lead.ErrNoTime)
	assert.NotErrorIs(t, err, lead.ErrIllegalTransition)
	assert.EqualError(t, err, "lead: stage transition sales_accepted -> sales_qualified: the time of the move is missing")
	assert.Equal(t, fullLead(), l, "a refused move leaves the lead unchanged")

	// An illegal move is reported as such, whatever the time.
	err = l.MoveTo(lead.StageWon, time.Time{}, "")
	assert.ErrorIs(t, err, lead.ErrIllegalTransition)
}

func TestTransitionErrorIs(t *testing.T) {
	err := &lead.TransitionError{From: lead.StageWon, To: lead.StageNew}
	assert.True(t, err.Is(lead.ErrIllegalTransition))
	assert.False(t, err.Is(lead.ErrInvalid))
	assert.False(t, err.Is(nil))
}
