package strictjson_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leadqual/leadqual/internal/strictjson"
	"github.com/leadqual/leadqual/lead"
)

type rule struct {
	Name   string        `json:"name"`
	Points int8          `json:"points,omitempty"`
	Intent lead.Intent   `json:"intent,omitzero"`
	Window lead.Duration `json:"window,omitempty"`
	Budget lead.Money    `json:"budget,omitzero"`
	Tags   []string      `json:"tags,omitempty"`
}

type settings struct {
	NeedFresh lead.Duration `json:"need_fresh,omitempty"`
	Weight    float64       `json:"weight,omitempty"`
}

// wrapped decodes itself strictly, as qualify.Settings does: its problems
// come back relative to it.
type wrapped struct{ S settings }

func (w *wrapped) UnmarshalJSON(b []byte) error { return strictjson.Decode(b, &w.S) }

type Base struct {
	ID string `json:"id"`
}

type policy struct {
	Base
	Version  int               `json:"version"`
	Settings wrapped           `json:"settings"`
	Rules    []rule            `json:"rules"`
	Counts   map[int]uint8     `json:"counts,omitempty"`
	Stages   map[string]string `json:"stages,omitempty"`
	Extra    any               `json:"extra,omitempty"`
	Ignored  string            `json:"-"`
}

func TestDecode(t *testing.T) {
	var p policy
	require.NoError(t, strictjson.Decode([]byte(` {"id": "p", "VERSION": 2, "settings": {"need_fresh": "30d"},
		"rules": [{"name": "a", "points": 5, "intent": "need", "window": "2w", "budget": {"amount": "5", "currency": "GBP"}}],
		"counts": {"3": 4}, "extra": {"anything": [1, 2]}}
	`), &p))
	assert.Equal(t, "p", p.ID)
	assert.Equal(t, 2, p.Version)
	assert.Equal(t, lead.Duration(30*24*time.Hour), p.Settings.S.NeedFresh)
	assert.Equal(t, int8(5), p.Rules[0].Points)
	assert.Equal(t, lead.IntentNeed, p.Rules[0].Intent)
	assert.Equal(t, map[int]uint8{3: 4}, p.Counts)
}

func TestDecodeProblems(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // each problem's Error()
	}{
		{"empty", ``, []string{"no JSON value: the input is empty"}},
		{"white space only", "  \n ", []string{"no JSON value: the input is empty"}},
		{"syntax error", "{\"rules\": [\n  {\"name\": \"a\",, }]}", []string{`rules[0] at line 2, column 16: invalid character ',' looking for beginning of object key string`}},
		{"truncated", `{"rules": [{"name": "a"`, []string{`rules[0].name at line 1, column 24: the JSON ends too early`}},
		{"trailing data", "{\"id\": \"p\"}\n x", []string{`line 2, column 2: unexpected data after the JSON value`}},
		{"two values", `{} {}`, []string{`line 1, column 4: unexpected data after the JSON value`}},
		{"unknown field", "{\"id\": \"p\",\n \"rulez\": []}", []string{`rulez at line 2, column 2: unknown field (the fields are version, settings, rules, counts, stages, extra, id)`}},
		{"unknown field of a small struct", `{"rules": [{"name": "a"}, {"nmae": "b"}]}`,
			[]string{`rules[1].nmae at line 1, column 28: unknown field (the fields are name, points, intent, window, budget, tags)`}},
		{"type mismatch with index", `{"rules": [{"name": "a"}, {"name": "b", "points": "ten"}]}`,
			[]string{`rules[1].points at line 1, column 51: want a whole number from -128 to 127, got "ten"`}},
		{"out of range", `{"rules": [{"points": 300}]}`, []string{`rules[0].points at line 1, column 23: want a whole number from -128 to 127, got the number 300`}},
		{"fraction for an int", `{"version": 1.5}`, []string{`version at line 1, column 13: want a whole number, got the number 1.5`}},
		{"object for a string", `{"id": {}}`, []string{`id at line 1, column 8: want a string, got an object`}},
		{"array for a struct", `[]`, []string{`line 1, column 1: want an object, got an array`}},
		{"text unmarshaler", `{"rules": [{"intent": "maybe"}]}`, []string{`rules[0].intent at line 1, column 23: unknown intent "maybe" (accepted: none, interest, need, negative)`}},
		{"text unmarshaler given a number", `{"rules": [{"intent": 1}]}`, []string{`rules[0].intent at line 1, column 23: want a string, got the number 1`}},
		{"duration", `{"rules": [{"window": "1h1h"}]}`, []string{`rules[0].window at line 1, column 23: lead: duration "1h1h" has the unit h twice; each unit appears at most once`}},
		{"nested field error", `{"rules": [{"budget": {"amount": "5"}}]}`, []string{`rules[0].budget.currency at line 1, column 23: missing`}},
		{"nested strict decoder", "{\"settings\": {\n  \"weight\": 1,\n  \"need_fresh\": \"0d\"}}",
			[]string{`settings.need_fresh at line 3, column 17: lead: duration "0d" is zero; durations are positive`}},
		{"nested strict decoder, same line", `{"settings": {"bogus": 1}}`,
			[]string{`settings.bogus at line 1, column 15: unknown field (the fields are need_fresh, weight)`}},
		{"map key", `{"counts": {"x": 1}}`, []string{`counts.x at line 1, column 13: the key "x" is not a whole number that fits in int`}},
		{"map value", `{"counts": {"1": -1}}`, []string{`counts.1 at line 1, column 18: want a whole number from 0 to 255, got the number -1`}},
		{"every problem, in document order", `{"rulez": 1, "rules": [{"points": "x", "intent": "maybe"}], "version": "2"}`, []string{
			`rulez at line 1, column 2: unknown field (the fields are version, settings, rules, counts, stages, extra, id)`,
			`rules[0].points at line 1, column 35: want a whole number from -128 to 127, got "x"`,
			`rules[0].intent at line 1, column 50: unknown intent "maybe" (accepted: none, interest, need, negative)`,
			`version at line 1, column 72: want a whole number, got "2"`,
		}},
		{"unicode columns", "{\"id\": \"é\", \"x\": 1}", []string{`x at line 1, column 13: unknown field (the fields are version, settings, rules, counts, stages, extra, id)`}},
		{"escaped key", `{"\u0069d": 1}`, []string{`id at line 1, column 13: want a string, got the number 1`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p policy
			err := strictjson.Decode([]byte(tt.in), &p)
			require.Error(t, err)
			var se *strictjson.Error
			require.ErrorAs(t, err, &se)
			got := make([]string, len(se.Problems))
			for i, p := range se.Problems {
				got[i] = p.Error()
			}
			assert.Equal(t, tt.want, got)

			var fe *lead.FieldError
			require.ErrorAs(t, err, &fe, "errors.As reaches the first field")
			assert.Same(t, se.Problems[0], fe)
			assert.Equal(t, strings.Join(tt.want, "; "), err.Error())
		})
	}
}

func TestDecodeKeepsCauses(t *testing.T) {
	var p policy
	err := strictjson.Decode([]byte(`{"id": "p",, }`), &p)
	var syn *json.SyntaxError
	require.ErrorAs(t, err, &syn, "a syntax error is kept")

	err = strictjson.Decode([]byte(`{"rules": [{"budget": {"amount": "5"}}]}`), &p)
	fes := strictjson.Problems(err)
	require.Len(t, fes, 1)
	var inner *lead.FieldError
	require.ErrorAs(t, fes[0].Unwrap(), &inner, "the money's own field error is the cause")
	assert.Equal(t, "currency", inner.Path)
}

func TestMalformed(t *testing.T) {
	for in, want := range map[string]bool{
		``: true, `{"id": `: true, `{"id": "p",, }`: true, `{} {}`: true, `{"id": "p"}`: false,
		`{"rulez": 1}`: false, `{"version": "x"}`: false, `{"rules": [{"window": "1h1h"}]}`: false,
	} {
		var p policy
		err := strictjson.Decode([]byte(in), &p)
		assert.Equal(t, want, err != nil && strictjson.Malformed(err), in)
	}
	var p policy
	assert.True(t, strictjson.Malformed(strictjson.DecodeLimit([]byte(`{"id": "pp"}`), &p, 5)))
}

func TestDecodeLimit(t *testing.T) {
	var p policy
	require.NoError(t, strictjson.DecodeLimit([]byte(`{"id": "p"}`), &p, 11))
	err := strictjson.DecodeLimit([]byte(`{"id": "pp"}`), &p, 11)
	assert.EqualError(t, err, "the JSON is 12 bytes, more than 11")
}

func TestDecodeCapsProblems(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"rules": [`)
	for i := range 300 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"points": "x"}`)
	}
	b.WriteString(`]}`)
	var p policy
	err := strictjson.Decode([]byte(b.String()), &p)
	assert.Len(t, strictjson.Problems(err), strictjson.MaxProblems)
}

func TestProblems(t *testing.T) {
	a := &lead.FieldError{Path: "a", Problem: "x"}
	b := &lead.FieldError{Path: "b", Problem: "y", Err: a}
	joined := fmt.Errorf("wrapped: %w", errors.Join(a, errors.New("other"), b))
	assert.Equal(t, []*lead.FieldError{a, b}, strictjson.Problems(joined), "a field error's own cause is not listed again")
	assert.Empty(t, strictjson.Problems(errors.New("plain")))
	assert.Empty(t, strictjson.Problems(nil))
}

func TestJoin(t *testing.T) {
	assert.Equal(t, "rules[3]", strictjson.Join("rules", "[3]"))
	assert.Equal(t, "settings.need_fresh", strictjson.Join("settings", "need_fresh"))
	assert.Equal(t, "x", strictjson.Join("", "x"))
	assert.Equal(t, "x", strictjson.Join("x", ""))
}

func TestLineColumn(t *testing.T) {
	data := []byte("ab\ncdé\nf")
	for off, want := range map[int][2]int{0: {1, 1}, 2: {1, 3}, 3: {2, 1}, 5: {2, 3}, 7: {2, 4}, 8: {3, 1}, 9: {3, 2}, 99: {3, 2}} {
		l, c := strictjson.LineColumn(data, off)
		assert.Equal(t, want, [2]int{l, c}, "offset %d", off)
	}
}

// FuzzDecode: Decode never panics, refuses exactly what encoding/json's
// strict decoding refuses (with at least one located problem), and decodes
// what it accepts to the same value.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"id": "p", "rules": [{"name": "a", "points": 5, "window": "2w", "budget": {"amount": "1", "currency": "GBP"}}]}`,
		`{"rules": [{"points": "x", "intent": "maybe"}], "rulez": 1}`,
		`{"settings": {"need_fresh": "1h1h"}}`, `{"counts": {"x": 1}}`, `{"id": "p",, }`, `{} x`, ``, `[`, `{"a":`,
		`{"rules": [{"budget": {"amount": true}}]}`, `{"extra": [[[[{}]]]]}`, `{"\u0069d": "x"}`,
	} {
		f.Add([]byte(s))
	}
	f.Add([]byte("{\"id\": \"p\xff\", \"rules\": [{\"n\xc3\x28\": 1}]}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var got, want policy
		err := strictjson.Decode(data, &got)
		if !utf8.Valid(data) {
			// encoding/json would replace the bad bytes; Decode refuses them.
			if !errors.Is(err, strictjson.ErrInvalidUTF8) || !strictjson.Malformed(err) {
				t.Fatalf("invalid UTF-8: %v", err)
			}
			for _, p := range strictjson.Problems(err) {
				if p.Line == 0 {
					t.Fatalf("a problem without a position: %+v", p)
				}
			}
			return
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		wantErr := dec.Decode(&want)
		if wantErr == nil && len(bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n")) > 0 {
			wantErr = errors.New("trailing data")
		}
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("Decode: %v; encoding/json: %v", err, wantErr)
		}
		if err != nil {
			ps := strictjson.Problems(err)
			if len(ps) == 0 || ps[0].Problem == "" {
				t.Fatalf("an error without a problem: %#v", err)
			}
			return
		}
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(want)
		if !bytes.Equal(a, b) {
			t.Fatalf("Decode gave %s, encoding/json %s", a, b)
		}
	})
}

func TestLocate(t *testing.T) {
	data := []byte("{\"name\": \"t\",\n \"steps\": [{\"wait\": \"1d\"},\n  {\"Wait\": \"2d\", \"x\": [1, {\"y\": null}]}]}")
	for path, want := range map[string]string{
		"": `{"name"`, "name": `"t"`, "steps": `[{`, "steps[0]": `{"wait"`, "steps[1].wait": `"2d"`,
		"steps[1].x[1].y": `null`, "steps[1].x[0]": `1,`,
	} {
		off, ok := strictjson.Locate(data, path)
		require.True(t, ok, path)
		assert.True(t, bytes.HasPrefix(data[off:], []byte(want)), "%s: got %q", path, data[off:min(off+10, len(data))])
	}
	for _, path := range []string{"nope", "steps[2]", "steps[0].wait.x", "name[0]", "steps[x]", "steps[1"} {
		_, ok := strictjson.Locate(data, path)
		assert.False(t, ok, path)
	}
}

func TestNest(t *testing.T) {
	data := []byte("{\"tracks\": [\n  {\"name\": \"t\",\n   \"steps\": [{\"wait\": \"1h1h\"}]}]}")
	// A problem with a position inside the value keeps it, moved.
	fe := strictjson.Nest(data, "tracks[0]", &lead.FieldError{Path: "steps[0].wait", Problem: "bad", Line: 2, Column: 23})
	assert.Equal(t, "tracks[0].steps[0].wait at line 3, column 23: bad", fe.Error())
	fe = strictjson.Nest(data, "tracks[0].steps", &lead.FieldError{Path: "[0]", Problem: "bad", Line: 1, Column: 2})
	assert.Equal(t, "tracks[0].steps[0] at line 3, column 14: bad", fe.Error())
	// One without is placed at its field, found in the document.
	inner := &lead.FieldError{Path: "steps[0].wait", Problem: "bad"}
	fe = strictjson.Nest(data, "tracks[0]", inner)
	assert.Equal(t, "tracks[0].steps[0].wait at line 3, column 23: bad", fe.Error())
	assert.Same(t, inner, fe.Unwrap(), "the inner problem is the cause")
	// A path not in the document keeps the problem without a position.
	fe = strictjson.Nest(data, "tracks[3]", inner)
	assert.Equal(t, "tracks[3].steps[0].wait: bad", fe.Error())
}

// TestInvalidUTF8: encoding/json would replace bytes that are not UTF-8
// with U+FFFD without a word; Decode refuses the document, naming each key
// and value that is not, with its position.
func TestInvalidUTF8(t *testing.T) {
	data := []byte("{\"id\": \"p\xff\",\n \"rules\": [{\"name\": \"ok\"}, {\"name\": \"a\xc3\x28\", \"t\xfeg\": 1}],\n \"extra\": [\"\xed\xa0\x80\"]}")
	var p policy
	err := strictjson.Decode(data, &p)
	require.ErrorIs(t, err, strictjson.ErrInvalidUTF8)
	assert.True(t, strictjson.Malformed(err))
	var got []string
	for _, fe := range strictjson.Problems(err) {
		got = append(got, fmt.Sprintf("%s %d:%d %s", fe.Path, fe.Line, fe.Column, fe.Problem))
	}
	assert.Equal(t, []string{
		"id 1:10 not valid UTF-8",
		"rules[1].name 2:39 not valid UTF-8",
		"rules[1].t\ufffdg 2:46 the key is not valid UTF-8",
		"extra[0] 3:13 not valid UTF-8",
	}, got)
	assert.NoError(t, strictjson.ValidUTF8([]byte(`{"id": "é"}`)))

	// Outside strings, and many: located, and capped.
	err = strictjson.ValidUTF8([]byte("{\"a\": 1}\xff"))
	require.Len(t, strictjson.Problems(err), 1)
	assert.Equal(t, 1, strictjson.Problems(err)[0].Line)
	err = strictjson.ValidUTF8(bytes.Repeat([]byte("\"\xff\","), 1000))
	assert.Len(t, strictjson.Problems(err), strictjson.MaxProblems)
}
