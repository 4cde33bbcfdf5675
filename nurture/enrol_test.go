package nurture_test

import (
	"testing"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/nurture"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func oneStep(t testing.TB, name string) *nurture.Track {
	t.Helper()
	tr, err := nurture.NewTrack(nurture.TrackSpec{Name: name, Steps: []nurture.Step{
		{Asset: name + " intro", Specificity: nurture.SpecificityProblem, Channel: lead.ChannelEmail},
	}})
	require.NoError(t, err)
	return tr
}

const enrolJSON = `{"rules": [
  {"name": "route planning", "track": "routes-101", "topics": ["RoutePlanner", " route planning "]},
  {"name": "UK logistics", "track": "ops-101", "industries": ["logistics", "transport"], "countries": ["GB"]},
  {"name": "events", "track": "events-101", "sources": ["trade_show"]}
 ],
 "default": "general-101"}`

func TestEnrol(t *testing.T) {
	e, err := nurture.ParseEnroller([]byte(enrolJSON),
		oneStep(t, "routes-101"), oneStep(t, "ops-101"), oneStep(t, "events-101"), oneStep(t, "general-101"))
	require.NoError(t, err)
	rows := []struct {
		name  string
		mod   func(l *lead.Lead)
		track string
		rule  string
	}{
		{"interest topic, any case", func(l *lead.Lead) {
			l.Interests = []lead.Interest{{Topic: "Route Planning", FirstSeen: t0, LastSeen: t0}}
		}, "routes-101", "route planning"},
		{"product of an activity", func(l *lead.Lead) {
			l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindWebinarAttended, At: t0, Product: "routeplanner"})
		}, "routes-101", "route planning"},
		{"first rule wins", func(l *lead.Lead) {
			l.Interests = []lead.Interest{{Topic: "RoutePlanner"}}
			l.Source = "trade_show"
		}, "routes-101", "route planning"},
		{"every criterion must match", func(l *lead.Lead) {
			l.Company.Country = "IE"
		}, "general-101", ""},
		{"industry and country", func(l *lead.Lead) {}, "ops-101", "UK logistics"},
		{"another industry of the rule", func(l *lead.Lead) { l.Company.Industry = "Transport" }, "ops-101", "UK logistics"},
		{"source", func(l *lead.Lead) { l.Company.Industry, l.Source = "retail", "trade_show" }, "events-101", "events"},
		{"nothing matches: default", func(l *lead.Lead) { l.Company.Industry = "retail" }, "general-101", ""},
		{"empty values never match", func(l *lead.Lead) {
			l.Company = lead.Company{}
			l.Interests = []lead.Interest{{Topic: ""}}
		}, "general-101", ""},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			l := interestLead()
			r.mod(l)
			en := e.Enrol(l, t1)
			assert.Equal(t, r.track, en.Track.Name())
			assert.Equal(t, r.rule, en.Rule)
			assert.Equal(t, nurture.Progress{Enrolled: t1}, en.Progress)
		})
	}
	assert.Equal(t, "general-101", e.Enrol(nil, t1).Track.Name(), "a nil lead joins the default track")
	assert.Equal(t, "general-101", e.Default().Name())
	tr, ok := e.Track("ops-101")
	require.True(t, ok)
	assert.Equal(t, "ops-101", tr.Name())
	_, ok = e.Track("nope")
	assert.False(t, ok)
}

func TestEnrolmentErrors(t *testing.T) {
	tracks := []*nurture.Track{oneStep(t, "a"), oneStep(t, "b")}
	rows := []struct {
		name   string
		spec   nurture.EnrolmentSpec
		tracks []*nurture.Track
		field  string
		text   string
	}{
		{"no default", nurture.EnrolmentSpec{}, tracks, "Default", "is missing: every interest lead needs a track"},
		{"unknown default", nurture.EnrolmentSpec{Default: "c"}, tracks, "Default", `no track named "c" was given (known: "a", "b")`},
		{"unknown rule track", nurture.EnrolmentSpec{Default: "a", Rules: []nurture.Rule{{Name: "r", Track: "z", Topics: []string{"x"}}}}, tracks,
			"Rules[0].Track", `no track named "z"`},
		{"rule without a track", nurture.EnrolmentSpec{Default: "a", Rules: []nurture.Rule{{Name: "r", Topics: []string{"x"}}}}, tracks,
			"Rules[0].Track", "is missing"},
		{"rule without a name", nurture.EnrolmentSpec{Default: "a", Rules: []nurture.Rule{{Track: "b", Topics: []string{"x"}}}}, tracks,
			"Rules[0].Name", "is missing"},
		{"duplicate rule name", nurture.EnrolmentSpec{Default: "a", Rules: []nurture.Rule{
			{Name: "r", Track: "b", Topics: []string{"x"}}, {Name: "r", Track: "a", Topics: []string{"y"}}}}, tracks,
			"Rules[1].Name", `"r" names an earlier rule too`},
		{"rule without criteria", nurture.EnrolmentSpec{Default: "a", Rules: []nurture.Rule{{Name: "all", Track: "b"}}}, tracks,
			"Rules[0]", `rule "all" sets no criterion`},
		{"empty value", nurture.EnrolmentSpec{Default: "a", Rules: []nurture.Rule{{Name: "r", Track: "b", Industries: []string{"ok", " "}}}}, tracks,
			"Rules[0].Industries[1]", "is missing"},
		{"nil track", nurture.EnrolmentSpec{Default: "a"}, []*nurture.Track{tracks[0], nil}, "tracks[1]", "is nil"},
		{"duplicate track", nurture.EnrolmentSpec{Default: "a"}, []*nurture.Track{tracks[0], oneStep(t, "a")}, "tracks[1]", `a second track is named "a"`},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			_, err := nurture.NewEnroller(r.spec, r.tracks...)
			require.Error(t, err)
			assert.ErrorIs(t, err, nurture.ErrInvalidConfig)
			var fe *lead.FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, r.field, fe.Path)
			assert.Contains(t, fe.Problem, r.text)
		})
	}
}

func TestParseEnrollerErrors(t *testing.T) {
	for name, tc := range map[string]struct{ json, path, msg string }{
		"syntax":        {`{"default": `, "default", "nurture: config: default at line 1, column 13: the JSON ends too early"},
		"unknown field": {`{"default": "a", "fallback": "b"}`, "fallback", "nurture: config: fallback at line 1, column 18: unknown field (the fields are rules, default)"},
		"trailing data": {`{"default": "a"} []`, "", "nurture: config: line 1, column 18: unexpected data after the JSON value"},
		"wrong type":    {`{"default": 1}`, "default", "nurture: config: default at line 1, column 13: want a string, got the number 1"},
		"rule field":    {`{"default": "a", "rules": [{"name": "r", "track": "a", "topic": ["x"]}]}`, "rules[0].topic", "unknown field"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := nurture.ParseEnroller([]byte(tc.json), oneStep(t, "a"))
			require.Error(t, err)
			assert.ErrorIs(t, err, nurture.ErrInvalidConfig)
			assert.Contains(t, err.Error(), tc.msg)
			var fe *lead.FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tc.path, fe.Path)
		})
	}
}
