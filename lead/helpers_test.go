package lead_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadqual/leadqual/lead"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// The fixed timeline of every test: t0 … t9, one day apart, and now = t9.
// No test reads the wall clock.
var (
	t0  = time.Date(2025, time.March, 3, 9, 0, 0, 0, time.UTC)
	t1  = t0.Add(1 * day)
	t2  = t0.Add(2 * day)
	t3  = t0.Add(3 * day)
	t4  = t0.Add(4 * day)
	t5  = t0.Add(5 * day)
	t6  = t0.Add(6 * day)
	t7  = t0.Add(7 * day)
	t8  = t0.Add(8 * day)
	t9  = t0.Add(9 * day)
	now = t9

	// justIn is the latest time Validate accepts at now; justOut the
	// earliest it refuses.
	justIn  = now.Add(lead.ClockSkew)
	justOut = now.Add(lead.ClockSkew + time.Nanosecond)
)

const day = 24 * time.Hour

// fullLead returns a valid lead with every field set, nested ones included
// (TestFullLeadSetsEveryField checks that it stays so), and custom fields
// of every JSON type. It is the lead of testdata/lead_full.json.
func fullLead() *lead.Lead {
	return &lead.Lead{
		ID: "lead-0001",
		Contact: lead.Contact{
			Name:     "Ann Lee",
			Email:    "ann.lee@example.co.uk",
			Phone:    "+44 20 7946 0958",
			Title:    "Finance Director",
			Role:     lead.RoleDecisionMaker,
			TimeZone: "Europe/London",
		},
		Company: lead.Company{
			Name:      "Example Haulage Ltd",
			Domain:    "example.co.uk",
			Industry:  "logistics",
			Employees: 250,
			Country:   "GB",
		},
		Source:           "web_form",
		Stage:            lead.StageSalesAccepted,
		Owner:            "rep-7",
		Budget:           lead.MustParseMoney("50000.00", "GBP"),
		Value:            lead.MustParseMoney("120000", "GBP"),
		ExpectedPurchase: time.Date(2025, time.September, 1, 0, 0, 0, 0, time.UTC),
		Renewal:          time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC),
		LostReason:       lead.ReasonNotNow,
		Interests: []lead.Interest{
			{Topic: "route planning", FirstSeen: t1, LastSeen: t5},
			{Topic: "fleet telematics", FirstSeen: t3, LastSeen: t3},
		},
		Activities: []lead.Activity{
			{Kind: lead.KindWhitePaper, At: t1, Asset: "The cost of empty miles", Product: "route-planner",
				Channel: "web", Attrs: map[string]string{"utm_source": "linkedin", "utm_campaign": "empty-miles"}},
			{Kind: lead.KindSalesEmail, At: t2, Channel: lead.ChannelEmail},
			{Kind: lead.KindWebinarAttended, At: t3, Asset: "Telematics 101", Channel: "web"},
			{Kind: lead.KindPricingRequest, At: t5, Product: "route-planner", Channel: "web"},
		},
		Consent: map[lead.Channel]lead.Consent{
			lead.ChannelEmail: {State: lead.ConsentOptedIn, At: t1, How: "web form, newsletter box"},
			lead.ChannelPhone: {State: lead.ConsentOptedOut, At: t2, How: "asked on a call"},
		},
		History: []lead.Transition{
			{From: lead.StageNew, To: lead.StageNurturing, At: t1, Reason: "downloaded a white paper"},
			{From: lead.StageNurturing, To: lead.StageSalesAccepted, At: t5, Reason: "asked for pricing"},
		},
		Lines: map[string]lead.Funnel{
			"telematics": {Stage: lead.StageLost, LostReason: lead.ReasonNoBudget, History: []lead.Transition{
				{From: lead.StageNew, To: lead.StageSalesAccepted, At: t2, Reason: "asked for a demo"},
				{From: lead.StageSalesAccepted, To: lead.StageLost, At: t4, Reason: "no budget this year"},
			}},
		},
		Merged: []lead.MergedLead{{
			ID: "lead-0957", CreatedAt: t1, Email: "ann@example.co.uk", Phone: "020 7946 0958",
			Funnel: &lead.Funnel{Stage: lead.StageNurturing, LostReason: lead.ReasonUnresponsive,
				History: []lead.Transition{{From: lead.StageNew, To: lead.StageNurturing, At: t1, Reason: "read a white paper"}}},
			Lines: map[string]lead.Funnel{"telematics": {Stage: lead.StageSalesAccepted, LostReason: lead.ReasonNotNow,
				History: []lead.Transition{{From: lead.StageNew, To: lead.StageSalesAccepted, At: t1, Reason: "asked for a quote"}}}},
		}},
		CreatedAt: t0,
		UpdatedAt: t5,
		Fields: map[string]any{
			"null":   nil,
			"bool":   true,
			"number": 42.5,
			"string": "gold",
			"array":  []any{1.0, "two", false, nil},
			"object": map[string]any{"tier": "enterprise", "seats": 40.0, "tags": []any{"eu", "uk"}},
		},
	}
}

// problems returns the problems of a Validate error as "path: problem"
// lines, checking on the way that the error is what Validate promises.
func problems(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	require.ErrorIs(t, err, lead.ErrInvalid)
	var ve *lead.ValidationError
	require.True(t, errors.As(err, &ve), "%T is not a *lead.ValidationError", err)
	require.NotEmpty(t, ve.Problems, "a ValidationError lists at least one problem")
	out := make([]string, len(ve.Problems))
	for i, p := range ve.Problems {
		out[i] = p.Error()
	}
	return out
}

// golden compares got with the file testdata/name, or rewrites the file
// when the test runs with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create it")
	require.Equal(t, string(want), string(got), "%s differs; if the change is intended, run go test -update", path)
}
