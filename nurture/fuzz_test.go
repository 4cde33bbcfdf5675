package nurture_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/nurture"
)

// FuzzParseTrack: any input is either a valid track that round-trips
// through its JSON form unchanged, or an error that matches
// ErrInvalidTrack and says something. Nothing panics. The seed corpus is
// in testdata/fuzz/FuzzParseTrack, so every go test runs it.
func FuzzParseTrack(f *testing.F) {
	f.Add([]byte(opsJSON))
	f.Add([]byte(`{"name":"x","steps":[{"asset":"a","specificity":"problem","channel":"email","wait":"1d2h"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := nurture.ParseTrack(data)
		if err != nil {
			if !errors.Is(err, nurture.ErrInvalidTrack) {
				t.Fatalf("error %v does not match ErrInvalidTrack", err)
			}
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if tr.Len() < 1 || tr.Len() > nurture.MaxSteps {
			t.Fatalf("accepted a track of %d steps", tr.Len())
		}
		b, err := json.Marshal(tr)
		if err != nil {
			t.Fatalf("a valid track does not marshal: %v", err)
		}
		again, err := nurture.ParseTrack(b)
		if err != nil {
			t.Fatalf("the JSON of a valid track does not parse: %v\n%s", err, b)
		}
		a, c := tr.Spec(), again.Spec()
		if a.Name != c.Name || len(a.Steps) != len(c.Steps) {
			t.Fatalf("round trip changed the track: %+v, then %+v", a, c)
		}
		for i := range a.Steps {
			if a.Steps[i] != c.Steps[i] {
				t.Fatalf("round trip changed step %d: %+v, then %+v", i+1, a.Steps[i], c.Steps[i])
			}
		}
		if _, err := nurture.NewTrack(a); err != nil {
			t.Fatalf("NewTrack refuses what ParseTrack accepted: %v", err)
		}
	})
}

// FuzzParseEnroller: any input is an Enroller that enrols every lead on one
// of its tracks, or an error matching ErrInvalidConfig. Nothing panics.
func FuzzParseEnroller(f *testing.F) {
	f.Add([]byte(enrolJSON))
	f.Add([]byte(`{"rules":[{"name":"a","track":"ops-101","topics":[""]}],"default":"general-101"}`))
	tracks := []*nurture.Track{}
	for _, n := range []string{"routes-101", "ops-101", "events-101", "general-101"} {
		t, err := nurture.NewTrack(nurture.TrackSpec{Name: n, Steps: []nurture.Step{{Asset: "a", Specificity: nurture.SpecificityProblem, Channel: "email"}}})
		if err != nil {
			f.Fatal(err)
		}
		tracks = append(tracks, t)
	}
	probe := interestLead()
	probe.Interests = []lead.Interest{{Topic: "RoutePlanner"}}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := nurture.ParseEnroller(data, tracks...)
		if err != nil {
			if !errors.Is(err, nurture.ErrInvalidConfig) {
				t.Fatalf("error %v does not match ErrInvalidConfig", err)
			}
			return
		}
		for _, l := range []*lead.Lead{probe, interestLead(), {}, nil} {
			if en := e.Enrol(l, t0); en.Track == nil || en.Track.Len() == 0 {
				t.Fatalf("lead %v joined no track", l)
			}
		}
	})
}
