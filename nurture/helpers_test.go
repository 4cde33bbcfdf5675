package nurture_test

import (
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/nurture"
	"github.com/leadqual/leadqual/qualify"
	"github.com/stretchr/testify/require"
)

// The fixed timeline of the tests: t0 is Monday 2 March 2026, 10:00 UTC.
// No test reads the wall clock.
var (
	t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	t1 = t0.Add(1 * time.Hour)
)

const day = 24 * time.Hour

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

// track3 is a three-step email track: problem now, approach after 3 days,
// product after 4 more.
func track3(t testing.TB) *nurture.Track {
	t.Helper()
	tr, err := nurture.NewTrack(nurture.TrackSpec{Name: "ops-101", Steps: []nurture.Step{
		{Asset: "Why fleets overspend", Specificity: nurture.SpecificityProblem, Channel: lead.ChannelEmail},
		{Asset: "Route planning, the method", Specificity: nurture.SpecificityApproach, Channel: lead.ChannelEmail, Wait: 3 * day},
		{Asset: "RoutePlanner in 10 minutes", Specificity: nurture.SpecificityProduct, Channel: lead.ChannelEmail, Wait: 4 * day},
	}})
	require.NoError(t, err)
	return tr
}

// interestLead is a nurturing lead who downloaded a white paper and opted
// in to email before t0.
func interestLead() *lead.Lead {
	return &lead.Lead{
		ID:      "L-1",
		Contact: lead.Contact{Name: "Ada Byrne", Email: "ada@example.co.uk", TimeZone: "UTC"},
		Company: lead.Company{Name: "Byrne Logistics", Industry: "logistics", Country: "GB"},
		Stage:   lead.StageNurturing,
		Value:   lead.MustParseMoney("50000.00", "GBP"),
		Activities: []lead.Activity{
			{Kind: lead.KindWhitePaper, At: t0.Add(-2 * day), Asset: "Fleet costs explained"},
		},
		Consent: map[lead.Channel]lead.Consent{
			lead.ChannelEmail: {State: lead.ConsentOptedIn, At: t0.Add(-2 * day), How: "white paper form"},
		},
		CreatedAt: t0.Add(-2 * day),
	}
}

func newPlanner(t testing.TB, cfg nurture.Config) *nurture.Planner {
	t.Helper()
	if cfg.Vocabulary == nil {
		cfg.Vocabulary = qualify.DefaultVocabulary()
	}
	p, err := nurture.NewPlanner(cfg)
	require.NoError(t, err)
	return p
}

// vocab compiles the default policy with settings changed by set and
// returns its vocabulary: the one place a host says what kinds mean.
func vocab(t testing.TB, set func(s *qualify.Settings)) *qualify.Vocabulary {
	t.Helper()
	spec := qualify.DefaultSpec()
	set(&spec.Settings)
	p, err := qualify.Compile(spec)
	require.NoError(t, err)
	return p.Vocabulary()
}

func intents(m map[lead.Kind]lead.Intent) func(s *qualify.Settings) {
	return func(s *qualify.Settings) { s.Intents = m }
}
