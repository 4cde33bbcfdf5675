package nurture_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/nurture"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const opsJSON = `{"name": "ops-101", "steps": [
  {"asset": "Why fleets overspend", "specificity": "problem", "channel": "email"},
  {"asset": "Route planning, the method", "specificity": "approach", "channel": "email", "wait": "3d"},
  {"asset": "RoutePlanner in 10 minutes", "specificity": "product", "channel": "phone", "wait": "1d12h"}
]}`

func TestParseTrack(t *testing.T) {
	tr, err := nurture.ParseTrack([]byte(opsJSON))
	require.NoError(t, err)
	assert.Equal(t, "ops-101", tr.Name())
	assert.Equal(t, 3, tr.Len())
	assert.Equal(t, `track "ops-101" (3 steps)`, tr.String())
	st, ok := tr.Step(2)
	require.True(t, ok)
	assert.Equal(t, nurture.Step{Asset: "RoutePlanner in 10 minutes", Specificity: nurture.SpecificityProduct, Channel: lead.ChannelPhone, Wait: 36 * time.Hour}, st)
	_, ok = tr.Step(3)
	assert.False(t, ok)
	_, ok = tr.Step(-1)
	assert.False(t, ok)

	// The JSON round-trips.
	b, err := json.Marshal(tr)
	require.NoError(t, err)
	assert.JSONEq(t, `{"name":"ops-101","steps":[
	  {"asset":"Why fleets overspend","specificity":"problem","channel":"email"},
	  {"asset":"Route planning, the method","specificity":"approach","channel":"email","wait":"3d"},
	  {"asset":"RoutePlanner in 10 minutes","specificity":"product","channel":"phone","wait":"1d12h"}]}`, string(b))
	again, err := nurture.ParseTrack(b)
	require.NoError(t, err)
	assert.Equal(t, tr.Spec(), again.Spec())

	// A TrackSpec embedded in a host's own JSON decodes with encoding/json.
	var spec nurture.TrackSpec
	require.NoError(t, json.Unmarshal([]byte(opsJSON), &spec))
	fromSpec, err := nurture.NewTrack(spec)
	require.NoError(t, err)
	assert.Equal(t, tr.Spec(), fromSpec.Spec())
}

func TestTrackIsImmutable(t *testing.T) {
	spec := nurture.TrackSpec{Name: "t", Steps: []nurture.Step{
		{Asset: "a", Specificity: nurture.SpecificityProblem, Channel: lead.ChannelEmail},
	}}
	tr, err := nurture.NewTrack(spec)
	require.NoError(t, err)
	spec.Steps[0].Asset = "changed by the caller"
	steps := tr.Steps()
	steps[0].Asset = "changed through Steps"
	sp := tr.Spec()
	sp.Steps[0].Asset = "changed through Spec"
	st, _ := tr.Step(0)
	assert.Equal(t, "a", st.Asset)
}

func TestTrackErrors(t *testing.T) {
	ok := func() nurture.Step {
		return nurture.Step{Asset: "White paper", Specificity: nurture.SpecificityProblem, Channel: lead.ChannelEmail}
	}
	with := func(f func(s *nurture.Step)) nurture.Step { s := ok(); f(&s); return s }
	rows := []struct {
		name  string
		spec  nurture.TrackSpec
		step  int
		field string
		msg   string
	}{
		{"no name", nurture.TrackSpec{Steps: []nurture.Step{ok()}}, -1, "name", `nurture: track "": name: is missing`},
		{"blank name", nurture.TrackSpec{Name: "  ", Steps: []nurture.Step{ok()}}, -1, "name", `name: is missing`},
		{"name not UTF-8", nurture.TrackSpec{Name: "\xff", Steps: []nurture.Step{ok()}}, -1, "name", `name: is not valid UTF-8`},
		{"name with a control character", nurture.TrackSpec{Name: "a\x00b", Steps: []nurture.Step{ok()}}, -1, "name", `name: contains the control character U+0000`},
		{"name too long", nurture.TrackSpec{Name: strings.Repeat("n", 129), Steps: []nurture.Step{ok()}}, -1, "name", `name: is 129 bytes long, more than 128`},
		{"no steps", nurture.TrackSpec{Name: "ops-101"}, -1, "steps", `nurture: track "ops-101": steps: is empty: a track needs at least one step`},
		{"too many steps", nurture.TrackSpec{Name: "ops-101", Steps: make([]nurture.Step, 101)}, -1, "steps", `steps: has 101 steps, more than 100`},
		{"negative wait", nurture.TrackSpec{Name: "ops-101", Steps: []nurture.Step{ok(), ok(), with(func(s *nurture.Step) { s.Asset, s.Wait = "Fleet costs", -time.Hour })}},
			2, "wait", `nurture: track "ops-101" step 3 (asset "Fleet costs"): wait: is negative (-1h0m0s)`},
		{"wait too long", nurture.TrackSpec{Name: "ops-101", Steps: []nurture.Step{with(func(s *nurture.Step) { s.Wait = 400 * day })}},
			0, "wait", `step 1 (asset "White paper"): wait: is 400d, longer than 366d`},
		{"no asset", nurture.TrackSpec{Name: "ops-101", Steps: []nurture.Step{with(func(s *nurture.Step) { s.Asset = "" })}},
			0, "asset", `nurture: track "ops-101" step 1: asset: is missing`},
		{"asset too long", nurture.TrackSpec{Name: "ops-101", Steps: []nurture.Step{with(func(s *nurture.Step) { s.Asset = strings.Repeat("a", 513) })}},
			0, "asset", `asset: is 513 bytes long, more than 512`},
		{"no specificity", nurture.TrackSpec{Name: "ops-101", Steps: []nurture.Step{with(func(s *nurture.Step) { s.Specificity = 0 })}},
			0, "specificity", `specificity: is missing (problem, approach or product)`},
		{"unknown specificity", nurture.TrackSpec{Name: "ops-101", Steps: []nurture.Step{with(func(s *nurture.Step) { s.Specificity = 9 })}},
			0, "specificity", `specificity: 9 is not one of problem, approach, product`},
		{"no channel", nurture.TrackSpec{Name: "ops-101", Steps: []nurture.Step{with(func(s *nurture.Step) { s.Channel = "" })}},
			0, "channel", `channel: is missing`},
		{"bad channel", nurture.TrackSpec{Name: "ops-101", Steps: []nurture.Step{with(func(s *nurture.Step) { s.Channel = "E mail" })}},
			0, "channel", `channel: "E mail" is not a channel name`},
		{"goes back to the general", nurture.TrackSpec{Name: "ops-101", Steps: []nurture.Step{
			ok(),
			with(func(s *nurture.Step) { s.Asset, s.Specificity = "Demo video", nurture.SpecificityProduct }),
			with(func(s *nurture.Step) { s.Asset, s.Specificity = "Method", nurture.SpecificityApproach }),
		}}, 2, "specificity", `nurture: track "ops-101" step 3 (asset "Method"): specificity: goes back from product (step 2) to approach: a track moves from the problem to the approach to the product`},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			_, err := nurture.NewTrack(r.spec)
			require.Error(t, err)
			assert.ErrorIs(t, err, nurture.ErrInvalidTrack)
			var te *nurture.TrackError
			require.ErrorAs(t, err, &te)
			require.NotEmpty(t, te.Problems)
			found := false
			for _, p := range te.Problems {
				if p.Step == r.step && p.Field == r.field {
					found = true
				}
			}
			assert.True(t, found, "no problem with step %d field %q in %v", r.step, r.field, te.Problems)
			assert.Contains(t, err.Error(), r.msg)
		})
	}
}

func TestTrackErrorListsEveryProblem(t *testing.T) {
	_, err := nurture.NewTrack(nurture.TrackSpec{Name: "ops-101", Steps: []nurture.Step{
		{Asset: "", Specificity: nurture.SpecificityProduct, Channel: lead.ChannelEmail},
		{Asset: "b", Specificity: nurture.SpecificityProblem, Channel: "", Wait: -time.Second},
	}})
	var te *nurture.TrackError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, `nurture: track "ops-101" step 1: asset: is missing; `+
		`track "ops-101" step 2 (asset "b"): channel: is missing (email, phone, sms, ...); `+
		`track "ops-101" step 2 (asset "b"): wait: is negative (-1s); `+
		`track "ops-101" step 2 (asset "b"): specificity: goes back from product (step 1) to problem: a track moves from the problem to the approach to the product`,
		err.Error())
	assert.Len(t, te.Problems, 4)
}

func TestParseTrackErrors(t *testing.T) {
	rows := []struct {
		name string
		json string
		msg  string
	}{
		{"syntax", `{"name": "x", "steps": [`, `nurture: track "": steps[0] at line 1, column 25: the JSON ends too early`},
		{"not an object", `[1]`, `nurture: track "": line 1, column 1: want an object, got an array`},
		{"unknown field", `{"name": "x", "steps": [], "owner": "me"}`, `nurture: track "x": owner at line 1, column 28: unknown field (the fields are name, steps)`},
		{"trailing data", `{"name": "x", "steps": [{"asset":"a","specificity":"problem","channel":"email"}]} {}`, `nurture: track "x": line 1, column 83: unexpected data after the JSON value`},
		{"name of the wrong type", `{"name": 7, "steps": []}`, `nurture: track "": name at line 1, column 10: want a string, got the number 7`},
		{"steps of the wrong type", `{"name": "x", "steps": {}}`, `nurture: track "x": steps at line 1, column 24: want an array, got an object`},
		{"step of the wrong type", `{"name": "x", "steps": [7]}`, `nurture: track "x" step 1: line 1, column 25: want an object, got the number 7`},
		{"step field of the wrong type", `{"name": "x", "steps": [{"asset": 1, "specificity": "problem", "channel": "email"}]}`,
			`nurture: track "x" step 1: asset at line 1, column 35: want a string, got the number 1`},
		{"unknown step field", `{"name": "x", "steps": [{"asset": "a", "specificity": "problem", "channel": "email", "delay": "3d"}]}`,
			`nurture: track "x" step 1 (asset "a"): delay at line 1, column 86: unknown field (the fields are asset, specificity, channel, wait)`},
		{"unknown specificity", `{"name": "x", "steps": [{"asset": "a", "specificity": "prodct", "channel": "email"}]}`,
			`nurture: track "x" step 1 (asset "a"): specificity at line 1, column 55: "prodct" is not one of problem, approach, product`},
		{"malformed wait", `{"name": "x", "steps": [{"asset": "a", "specificity": "problem", "channel": "email", "wait": "3 days"}]}`,
			`nurture: track "x" step 1 (asset "a"): wait at line 1, column 94: lead: duration "3 days" has the unknown unit " days"`},
		{"wait not a duration", `{"name": "x", "steps": [{"asset": "a", "specificity": "problem", "channel": "email", "wait": "soon"}]}`,
			`wait at line 1, column 94: lead: duration "soon" does not start with a number`},
		{"negative wait", `{"name": "ops-101", "steps": [{"asset": "a", "specificity": "problem", "channel": "email"},
			{"asset": "b", "specificity": "problem", "channel": "email"}, {"asset": "Fleet costs", "specificity": "problem", "channel": "email", "wait": "-1h"}]}`,
			`nurture: track "ops-101" step 3 (asset "Fleet costs"): wait at line 2, column 145: lead: duration "-1h" is negative`},
		{"problems of decoded and undecoded steps together", `{"name": "x", "steps": [
			{"asset": "a", "specificity": "product", "channel": "email"},
			{"asset": "b", "specificity": "?", "channel": "email"},
			{"asset": "c", "specificity": "problem", "channel": "email"}]}`,
			`nurture: track "x" step 2 (asset "b"): specificity at line 3, column 34: "?" is not one of problem, approach, product; ` +
				`track "x" step 3 (asset "c"): specificity at line 4, column 34: goes back from product (step 1) to problem`},
		{"too many steps", `{"name": "x", "steps": [` + strings.Repeat(`{},`, 100) + `{}]}`, `nurture: track "x": steps at line 1, column 24: has 101 steps, more than 100`},
		{"too large", `{"name": "` + strings.Repeat("x", nurture.MaxTrackJSON) + `"}`, `more than 1048576`},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			_, err := nurture.ParseTrack([]byte(r.json))
			require.Error(t, err)
			assert.ErrorIs(t, err, nurture.ErrInvalidTrack)
			assert.Contains(t, err.Error(), r.msg)
			var fe *lead.FieldError
			require.ErrorAs(t, err, &fe, "errors.As reaches the field")
			var te *nurture.TrackError
			require.ErrorAs(t, err, &te)
			assert.Equal(t, te.Problems[0].FieldError().Path, fe.Path)
		})
	}
}

func TestParseTrackSyntaxErrorIsKept(t *testing.T) {
	_, err := nurture.ParseTrack([]byte(`{"name": "x",, }`))
	var se *json.SyntaxError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, int64(14), se.Offset)
}

// TestWait: a step's wait is written in the duration syntax of
// lead.ParseDuration, and NewTrack narrows its range.
func TestWait(t *testing.T) {
	step := func(wait string) string {
		return `{"name": "t", "steps": [{"asset": "a", "specificity": "problem", "channel": "email", "wait": ` + wait + `}]}`
	}
	for _, r := range []struct {
		wait string
		want time.Duration
	}{{`"3d"`, 3 * day}, {`"1d12h"`, 36 * time.Hour}, {`"90m"`, 90 * time.Minute}, {`"2w"`, 14 * day}, {`"366d"`, nurture.MaxWait}} {
		tr, err := nurture.ParseTrack([]byte(step(r.wait)))
		require.NoError(t, err, r.wait)
		s, _ := tr.Step(0)
		assert.Equal(t, r.want, s.Wait, r.wait)
	}
	for _, r := range []struct{ wait, msg string }{
		{`"1.5h"`, `wait at line 1, column 94: lead: duration "1.5h" has a fraction`},
		{`"-3d"`, `wait at line 1, column 94: lead: duration "-3d" is negative`},
		{`"1h1h"`, `wait at line 1, column 94: lead: duration "1h1h" has the unit h twice`},
		{`"0"`, `wait at line 1, column 94: lead: duration "0" is zero`},
		{`"72h0m0s"`, ``},
		{`"367d"`, `wait at line 1, column 94: is 367d, longer than 366d`},
	} {
		_, err := nurture.ParseTrack([]byte(step(r.wait)))
		if r.msg == "" {
			assert.NoError(t, err, r.wait)
			continue
		}
		require.ErrorIs(t, err, nurture.ErrInvalidTrack, r.wait)
		assert.Contains(t, err.Error(), r.msg)
	}
	for _, r := range []struct {
		wait time.Duration
		msg  string
	}{{-time.Hour, "wait: is negative (-1h0m0s)"}, {nurture.MaxWait + time.Second, "wait: is 366d1s, longer than 366d"}, {time.Hour + time.Millisecond, "wait: 1h0m0.001s is not a whole number of seconds"}} {
		_, err := nurture.NewTrack(nurture.TrackSpec{Name: "t", Steps: []nurture.Step{{Asset: "a", Specificity: nurture.SpecificityProblem, Channel: lead.ChannelEmail, Wait: r.wait}}})
		require.ErrorIs(t, err, nurture.ErrInvalidTrack)
		assert.Contains(t, err.Error(), r.msg)
	}
}

func TestSpecificity(t *testing.T) {
	for i, n := range []string{"problem", "approach", "product"} {
		s, err := nurture.ParseSpecificity(n)
		require.NoError(t, err)
		assert.Equal(t, nurture.Specificity(i+1), s)
		assert.Equal(t, n, s.String())
		b, err := s.MarshalText()
		require.NoError(t, err)
		assert.Equal(t, n, string(b))
		var back nurture.Specificity
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, s, back)
	}
	assert.True(t, nurture.SpecificityProblem < nurture.SpecificityApproach && nurture.SpecificityApproach < nurture.SpecificityProduct)
	_, err := nurture.ParseSpecificity("")
	assert.Error(t, err)
	var s nurture.Specificity
	assert.Error(t, s.UnmarshalText([]byte("vendor")))
	assert.Equal(t, "specificity(0)", s.String())
	_, err = s.MarshalText()
	assert.Error(t, err)
	assert.False(t, s.Valid())
}

func TestStepJSONRefusesAnInvalidStep(t *testing.T) {
	_, err := json.Marshal(nurture.Step{Asset: "a", Channel: "email"})
	assert.Error(t, err, "no specificity")
	var st nurture.Step
	assert.Error(t, json.Unmarshal([]byte(`{"asset":"a","specificity":"problem","channel":"email"} x`), &st))
	err = json.Unmarshal([]byte(`{"asset":"a","specificity":"problem","channel":"email","wait":"1.5d"}`), &st)
	assert.ErrorContains(t, err, `wait: lead: duration "1.5d" has a fraction`)
	assert.Equal(t, nurture.Step{}, st, "a step that does not decode is left unchanged")
}

func TestTrackInHostJSON(t *testing.T) {
	var cfg struct {
		Tracks []*nurture.Track `json:"tracks"`
	}
	require.NoError(t, json.Unmarshal([]byte(`{"tracks": [`+opsJSON+`]}`), &cfg))
	require.Len(t, cfg.Tracks, 1)
	assert.Equal(t, 3, cfg.Tracks[0].Len())

	err := json.Unmarshal([]byte(`{"tracks": [{"name": "x", "steps": []}]}`), &cfg)
	assert.ErrorIs(t, err, nurture.ErrInvalidTrack)
	assert.ErrorContains(t, err, `track "x": steps at line 1, column 24: is empty`)
}

func TestNilTrack(t *testing.T) {
	var tr *nurture.Track
	assert.Equal(t, "", tr.Name())
	assert.Equal(t, 0, tr.Len())
	_, ok := tr.Step(0)
	assert.False(t, ok)
	assert.Nil(t, tr.Steps())
	assert.Equal(t, `track "" (0 steps)`, tr.String())
}
