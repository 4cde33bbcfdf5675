package assign_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadqual/leadqual/assign"
	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// The fixed timeline of the tests: t0 is Monday 23 November 2026, 10:00
// UTC. No test reads the wall clock.
var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// sampleRules are testdata/rules.json.
func sampleRules(t testing.TB) assign.Rules {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "rules.json"))
	require.NoError(t, err)
	r, err := assign.ParseRules(data)
	require.NoError(t, err)
	return r
}

func newAssigner(t testing.TB, s assign.State, r assign.Rules, v *qualify.Vocabulary) *assign.Assigner {
	t.Helper()
	if v == nil {
		v = qualify.DefaultVocabulary()
	}
	a, err := assign.New(s, assign.Config{Rules: r, Vocabulary: v})
	require.NoError(t, err)
	return a
}

// prospect is a lead in country that asked for pricing a minute before t0.
func prospect(id, country string) *lead.Lead {
	return &lead.Lead{ID: id, Company: lead.Company{Name: id + " Ltd", Country: country},
		Activities: []lead.Activity{{Kind: lead.KindPricingRequest, At: t0.Add(-time.Minute)}}}
}
