package lead_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leadqual/leadqual/lead"
)

// FuzzLeadJSON decodes arbitrary bytes as a lead. Nothing may panic, and a
// lead that decodes must encode, and its encoding must decode to a lead
// that encodes to the same bytes and that Validate judges the same way.
//
// The seed corpus is testdata/fuzz/FuzzLeadJSON: the JSON fixtures of
// testdata (see TestFuzzCorpusHasTheFixtures), hand-made edge cases and
// any input the fuzzer ever found to fail. It runs in every go test; to
// fuzz: go test -run '^$' -fuzz FuzzLeadJSON ./lead
func FuzzLeadJSON(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var l lead.Lead
		if err := json.Unmarshal(data, &l); err != nil {
			return
		}
		verdict := validation(l.Validate(now))
		_ = l.Validate(t0)
		_, _ = l.Contact.Location()
		for _, ch := range []lead.Channel{lead.ChannelEmail, lead.ChannelPhone, ""} {
			_ = l.ConsentFor(ch)
		}
		for _, a := range l.Activities {
			_, _ = a.Kind.Intent(), a.Kind.Describe()
		}
		_, _ = l.Budget.Cmp(l.Value)
		_, _ = l.Budget.Add(l.Value)

		first, err := json.Marshal(&l)
		if err != nil {
			t.Fatalf("a decoded lead does not encode: %v", err)
		}
		var again lead.Lead
		if err := json.Unmarshal(first, &again); err != nil {
			t.Fatalf("the encoding of a decoded lead does not decode: %v\n%s", err, first)
		}
		second, err := json.Marshal(&again)
		if err != nil {
			t.Fatalf("a re-decoded lead does not encode: %v", err)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("encoding is not stable:\n%s\n%s", first, second)
		}
		if v := validation(again.Validate(now)); v != verdict {
			t.Fatalf("the round trip changed the verdict of Validate:\n%s\n%s", verdict, v)
		}

		// Any move the table allows succeeds, and the moved lead still encodes.
		for _, to := range l.Stage.Transitions() {
			moved := again
			moved.History = append([]lead.Transition(nil), again.History...)
			if err := moved.MoveTo(to, now, "fuzz"); err != nil {
				t.Fatalf("MoveTo(%s) from %s: %v", to, again.Stage, err)
			}
			if _, err := json.Marshal(&moved); err != nil {
				t.Fatalf("a moved lead does not encode: %v", err)
			}
		}
	})
}

// validation returns Validate's verdict as text, checking that an error is
// always a *ValidationError with problems.
func validation(err error) string {
	if err == nil {
		return "valid"
	}
	var ve *lead.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) == 0 || !errors.Is(err, lead.ErrInvalid) {
		panic("Validate returned " + err.Error())
	}
	return err.Error()
}

// fuzzSeeds are hand-made edge cases for the corpus, beyond the fixtures.
var fuzzSeeds = map[string]string{
	"null":              `null`,
	"empty-object":      `{}`,
	"invalid-utf8":      "{\"id\":\"\xff\xfe\",\"contact\":{\"name\":\"\xc3\"},\"fields\":{\"\xff\":\"\xff\"}}",
	"escaped-utf16":     `{"id":"\ud800","source":"\u0000"}`,
	"money-number":      `{"id":"x","budget":{"amount":-0.000,"currency":"GBP"}}`,
	"money-plus":        `{"id":"x","budget":{"amount":"+.5","currency":"XXX"}}`,
	"money-case":        `{"id":"x","budget":{"AMOUNT":"1","Currency":"GBP"}}`,
	"money-duplicate":   `{"id":"x","value":{"amount":"1","amount":"2.00","currency":"EUR"}}`,
	"money-long":        `{"id":"x","value":{"amount":"-123456789012345678901234567890.1234567890","currency":"EUR"}}`,
	"time-offsets":      `{"id":"x","created_at":"0000-01-01T00:00:00+01:00","updated_at":"9999-12-31T23:59:59.999999999-23:59"}`,
	"consent-empty-key": `{"id":"x","consent":{"":{"state":"opted_in"},"email":{"state":"unknown","at":"2099-01-01T00:00:00Z"}}}`,
	"fields-deep":       `{"id":"x","fields":{"a":[[[[[[[[[[[[[[[[[[[[{"b":{}}]]]]]]]]]]]]]]]]]]]]}}`,
	"fields-numbers":    `{"id":"x","fields":{"a":1e308,"b":-0,"c":123456789012345678901234567890,"d":5e-324}}`,
	"history-illegal":   `{"id":"x","stage":"won","history":[{"from":"won","to":"new","at":"2025-01-01T00:00:00Z"}]}`,
	"stage-number":      `{"id":"x","stage":200}`,
	"case-insensitive":  `{"ID":"a","id":"b","Stage":"lost","STAGE":"won"}`,
}

// TestFuzzCorpusHasTheFixtures keeps the seed corpus in step with the JSON
// fixtures and the seeds above; -update writes the missing files.
func TestFuzzCorpusHasTheFixtures(t *testing.T) {
	seeds := map[string][]byte{}
	for name, s := range fuzzSeeds {
		seeds["seed-"+name] = []byte(s)
	}
	files, err := filepath.Glob("testdata/*.json")
	require.NoError(t, err)
	more, err := filepath.Glob("testdata/*/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, more)
	for _, file := range append(files, more...) {
		b, err := os.ReadFile(file)
		require.NoError(t, err)
		rel, err := filepath.Rel("testdata", file)
		require.NoError(t, err)
		seeds["fixture-"+strings.ReplaceAll(strings.TrimSuffix(rel, ".json"), "/", "-")] = b
	}
	for name, data := range seeds {
		golden(t, filepath.Join("fuzz", "FuzzLeadJSON", name), []byte("go test fuzz v1\n[]byte("+strconv.Quote(string(data))+")\n"))
	}
	corpus, err := os.ReadDir("testdata/fuzz/FuzzLeadJSON")
	require.NoError(t, err)
	for _, e := range corpus {
		if _, ok := seeds[e.Name()]; !ok {
			assert.False(t, strings.HasPrefix(e.Name(), "seed-") || strings.HasPrefix(e.Name(), "fixture-"),
				"%s has no fixture or seed any more: remove it", e.Name())
		}
	}
}
