package main

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/leadqual/leadqual/lead"
)

// decodeLead decodes the body of POST /v1/leads: exactly one JSON object
// that is a lead, with no unknown fields.
//
// encoding/json stops at the first problem and names the field only for
// type mismatches, so when decoding fails the body is walked once more
// against the Lead type to list every problem with its path: an unknown
// field "contact.emial", an unknown role at "contact.role", a time that does
// not parse at "activities[2].at". A client fixes them all in one round.
func decodeLead(data []byte) (lead.Lead, *APIError) {
	if e := utf8Error(data); e != nil {
		return lead.Lead{}, e
	}
	var l lead.Lead
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(&l)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			return lead.Lead{}, malformed(data, dec.InputOffset(), "unexpected data after the lead object")
		}
		return l, nil
	}
	var se *json.SyntaxError
	switch {
	case errors.Is(err, io.EOF):
		return lead.Lead{}, apiError(http.StatusBadRequest, CodeMalformedJSON, "the body is empty: send a lead as a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return lead.Lead{}, malformed(data, int64(len(data)), "the JSON ends too early")
	case errors.As(err, &se):
		return lead.Lead{}, malformed(data, se.Offset, se.Error())
	}

	// Valid JSON that is not a lead: list every problem.
	var tree any
	tdec := json.NewDecoder(bytes.NewReader(data))
	tdec.UseNumber()
	var problems []Problem
	if terr := tdec.Decode(&tree); terr == nil {
		problems = shapeProblems(tree, reflect.TypeFor[lead.Lead](), "")
	}
	if len(problems) == 0 {
		// The walk and encoding/json disagree; never answer without a reason.
		field := ""
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field = te.Field
		}
		problems = []Problem{{Field: field, Message: strings.TrimPrefix(err.Error(), "json: ")}}
	}
	e := apiError(http.StatusBadRequest, CodeInvalidJSON, "the body is not a lead: %s", plural(len(problems), "problem"))
	e.Problems = problems
	return lead.Lead{}, e
}

// malformed is a 400 for JSON that does not parse, located by line and
// column.
func malformed(data []byte, offset int64, msg string) *APIError {
	line, col := lineCol(data, int(offset))
	e := apiError(http.StatusBadRequest, CodeMalformedJSON, "malformed JSON at line %d, column %d: %s", line, col, msg)
	e.Problems = []Problem{{Line: line, Column: col, Message: msg}}
	return e
}

// lineCol returns the 1-based line and column of the byte at offset-1:
// encoding/json reports offsets just past the offending byte.
func lineCol(data []byte, offset int) (line, col int) {
	offset = max(min(offset, len(data)), 1)
	before := data[:offset-1]
	line = 1 + bytes.Count(before, []byte("\n"))
	col = offset - bytes.LastIndexByte(before, '\n') - 1
	return line, col
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// shapeProblems walks a decoded JSON value v against the Go type t the way
// encoding/json would decode it, and returns every problem with its path.
// Values of types with their own decoding (time.Time, lead.Money, the
// enumerations) are decoded on their own, strictly, so that their errors
// are reported at their path.
func shapeProblems(v any, t reflect.Type, path string) []Problem {
	if v == nil {
		return nil // null leaves any field at its zero value
	}
	if pt := reflect.PointerTo(t); pt.Implements(jsonUnmarshaler) || pt.Implements(textUnmarshaler) {
		return decodeAlone(v, t, path)
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return []Problem{mismatch(path, v, "an object")}
		}
		var out []Problem
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			f, ok := fieldByJSONName(t, k)
			if !ok {
				out = append(out, Problem{Field: join(path, k), Message: "unknown field"})
				continue
			}
			out = append(out, shapeProblems(obj[k], f.Type, join(path, k))...)
		}
		return out
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			return []Problem{mismatch(path, v, "an array")}
		}
		var out []Problem
		for i, e := range arr {
			out = append(out, shapeProblems(e, t.Elem(), path+"["+strconv.Itoa(i)+"]")...)
		}
		return out
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			return []Problem{mismatch(path, v, "an object")}
		}
		var out []Problem
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			out = append(out, shapeProblems(obj[k], t.Elem(), join(path, k))...)
		}
		return out
	case reflect.Interface:
		return nil
	}
	return decodeAlone(v, t, path)
}

// decodeAlone decodes the JSON value v into a new t, strictly, and returns
// its error as a problem at path.
func decodeAlone(v any, t reflect.Type, path string) []Problem {
	raw, err := json.Marshal(v)
	if err != nil {
		return []Problem{{Field: path, Message: err.Error()}}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(reflect.New(t).Interface()); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			want := "a " + kindName(t)
			if reflect.PointerTo(t).Implements(textUnmarshaler) {
				want = "a string"
			}
			return []Problem{mismatch(path, v, want)}
		}
		return []Problem{{Field: path, Message: strings.TrimPrefix(err.Error(), "json: ")}}
	}
	return nil
}

func mismatch(path string, v any, want string) Problem {
	got := "a string"
	switch x := v.(type) {
	case map[string]any:
		got = "an object"
	case []any:
		got = "an array"
	case bool:
		got = "a boolean"
	case json.Number:
		got = "the number " + short(x.String())
	case string:
		got = quote(x)
	}
	return Problem{Field: path, Message: fmt.Sprintf("want %s, got %s", want, got)}
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "whole number"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Bool:
		return "boolean"
	case reflect.String:
		return "string"
	}
	return t.String()
}

// fieldByJSONName finds the struct field that encoding/json decodes the
// key k into: an exact match of the JSON name first, then a match ignoring
// case, as encoding/json does.
func fieldByJSONName(t reflect.Type, k string) (reflect.StructField, bool) {
	var fold reflect.StructField
	found := false
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		if name == k {
			return f, true
		}
		if !found && strings.EqualFold(name, k) {
			fold, found = f, true
		}
	}
	return fold, found
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// maxQuoted bounds what an error message quotes of a value from the body:
// a stranger's megabyte must not come back in the answer.
const maxQuoted = 40

// quote quotes s, or a short prefix of it with its length.
func quote(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%s... (%d bytes)", strconv.Quote(prefix(s)), len(s))
}

// short returns s, or a short prefix of it with its length.
func short(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	return fmt.Sprintf("%s... (%d bytes)", prefix(s), len(s))
}

func prefix(s string) string {
	i := maxQuoted
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// utf8Error is a 400 for a body that is not valid UTF-8, naming each field
// whose key or value is not: encoding/json would replace the bytes with
// U+FFFD without a word, and the lead's own check would never see them.
func utf8Error(data []byte) *APIError {
	if utf8.Valid(data) {
		return nil
	}
	problems := invalidUTF8(data)
	if len(problems) == 0 {
		// Not JSON that can be walked: locate the first bad byte.
		line, col := lineCol(data, firstInvalid(data)+1)
		problems = []Problem{{Line: line, Column: col, Message: "not valid UTF-8"}}
	}
	e := apiError(http.StatusBadRequest, CodeMalformedJSON, "the body is not valid UTF-8: %s", plural(len(problems), "problem"))
	e.Problems = problems
	return e
}

// invalidUTF8 walks a JSON document token by token and returns a problem
// for each key or string value whose bytes are not valid UTF-8, at its
// path ("contact.name", "activities[3].asset"). It stops at the first
// syntax error.
func invalidUTF8(data []byte) []Problem {
	type frame struct {
		array bool
		index int
		key   string
	}
	var stack []frame
	path := func(key string) string {
		var b strings.Builder
		for _, f := range stack {
			if f.array {
				fmt.Fprintf(&b, "[%d]", f.index)
			} else {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			}
		}
		if key != "" {
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(key)
		}
		return b.String()
	}
	// After a value, an array moves to its next index; an object expects
	// its next key.
	valueDone := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].array {
				stack[n-1].index++
			} else {
				stack[n-1].key = ""
			}
		}
	}
	var problems []Problem
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	start := int64(0)
	for {
		tok, err := dec.Token()
		if err != nil {
			return problems
		}
		end := dec.InputOffset()
		span := data[start:end]
		bad := !utf8.Valid(span)
		var line, col int
		if bad {
			line, col = lineCol(data, int(start)+firstInvalid(span)+1)
		}
		start = end
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, frame{})
			case '[':
				stack = append(stack, frame{array: true})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
			continue
		case string:
			if n := len(stack); n > 0 && !stack[n-1].array && stack[n-1].key == "" {
				// A key: the value comes next.
				key := v
				if len(key) > maxQuoted {
					key = key[:maxQuoted] + "..."
				}
				stack[n-1].key = strings.ToValidUTF8(key, "\ufffd")
				if bad {
					problems = append(problems, Problem{Field: path(""), Line: line, Column: col, Message: "the key is not valid UTF-8"})
				}
				continue
			}
		}
		if bad {
			problems = append(problems, Problem{Field: path(""), Line: line, Column: col, Message: "not valid UTF-8"})
		}
		valueDone()
	}
}

// firstInvalid returns the offset of the first byte of b that is not
// valid UTF-8, or len(b).
func firstInvalid(b []byte) int {
	off := 0
	for off < len(b) {
		r, n := utf8.DecodeRune(b[off:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		off += n
	}
	return off
}
