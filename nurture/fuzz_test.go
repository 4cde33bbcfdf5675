package nurture_test

import (
	"encoding/json"
	"errors"
	"testing"

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

// FuzzParseWait: a wait that parses formats back to the same duration.
func FuzzParseWait(f *testing.F) {
	for _, s := range []string{"0", "3d", "1d12h", "-90m", "72h", "1.5h", "65535d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := nurture.ParseWait(s)
		if err != nil {
			return
		}
		back, err := nurture.ParseWait(nurture.FormatWait(d))
		if err != nil || back != d {
			t.Fatalf("ParseWait(%q) = %v, formatted %q, parsed back %v, %v", s, d, nurture.FormatWait(d), back, err)
		}
	})
}
