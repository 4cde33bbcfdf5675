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
func decodeLead(data []byte) (lead.Lead, *APIError) { return decodeStrict[lead.Lead](data, "lead") }

// decodeAccount decodes the body of POST /v1/accounts as decodeLead
// decodes a lead: an account with its leads, every problem with its path
// ("leads[2].contact.emial").
func decodeAccount(data []byte) (lead.Account, *APIError) {
	return decodeStrict[lead.Account](data, "account")
}

// decodeStrict decodes exactly one JSON object of type T, called what in
// messages, with no unknown fields.
func decodeStrict[T any](data []byte, what string) (T, *APIError) {
	var v, zero T
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(&v)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			return zero, malformed(data, dec.InputOffset(), "unexpected data after the "+what+" object")
		}
		return v, nil
	}
	var se *json.SyntaxError
	switch {
	case errors.Is(err, io.EOF):
		return zero, apiError(http.StatusBadRequest, CodeMalformedJSON, "the body is empty: send %s as a JSON object", article(what))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return zero, malformed(data, int64(len(data)), "the JSON ends too early")
	case errors.As(err, &se):
		return zero, malformed(data, se.Offset, se.Error())
	}

	// Valid JSON that is not a T: list every problem.
	var tree any
	tdec := json.NewDecoder(bytes.NewReader(data))
	tdec.UseNumber()
	var problems []Problem
	if terr := tdec.Decode(&tree); terr == nil {
		problems = shapeProblems(tree, reflect.TypeFor[T](), "")
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
	e := apiError(http.StatusBadRequest, CodeInvalidJSON, "the body is not %s: %s", article(what), plural(len(problems), "problem"))
	e.Problems = problems
	return zero, e
}

func article(noun string) string {
	if strings.IndexByte("aeiou", noun[0]) >= 0 {
		return "an " + noun
	}
	return "a " + noun
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
		got = "the number " + x.String()
	case string:
		got = strconv.Quote(x)
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
