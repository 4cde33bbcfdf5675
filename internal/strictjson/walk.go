package strictjson

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/leadqual/leadqual/lead"
)

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// walker reads a syntactically valid JSON document alongside the Go type
// encoding/json decoded it into, and records every problem the decoder
// would meet, with its path and position.
type walker struct {
	data     []byte
	problems []*lead.FieldError
}

// walkDocument returns the problems of decoding data into v.
func walkDocument(data []byte, v any) []*lead.FieldError {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return nil
	}
	w := &walker{data: data}
	w.value(0, rv.Type().Elem(), "")
	return w.problems
}

func (w *walker) add(p *lead.FieldError) {
	if len(w.problems) < MaxProblems {
		w.problems = append(w.problems, p)
	}
}

// value walks the value that starts at or after offset i against t, and
// returns the offset just past it.
func (w *walker) value(i int, t reflect.Type, path string) int {
	i = skipSpace(w.data, i)
	end := valueEnd(w.data, i)
	if i >= len(w.data) || len(w.problems) >= MaxProblems {
		return end
	}
	raw := w.data[i:end]
	null := raw[0] == 'n'
	for t.Kind() == reflect.Pointer {
		if null {
			return end // sets the pointer to nil
		}
		t = t.Elem()
	}
	pt := reflect.PointerTo(t)
	switch {
	case pt.Implements(unmarshalerType):
		if err := reflect.New(t).Interface().(json.Unmarshaler).UnmarshalJSON(raw); err != nil {
			w.nested(i, path, err)
		}
		return end
	case pt.Implements(textUnmarshalerType):
		switch {
		case null:
		case raw[0] == '"':
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				w.add(at(w.data, i, path, err.Error(), err))
			} else if err := reflect.New(t).Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
				w.nested(i, path, err)
			}
		default:
			w.mismatch(i, path, raw, "a string")
		}
		return end
	case null:
		return end // leaves anything else unchanged
	}
	switch t.Kind() {
	case reflect.Struct:
		if raw[0] != '{' {
			w.mismatch(i, path, raw, "an object")
			break
		}
		fields := fieldsOf(t)
		w.object(i, path, func(key string, k, v int) int {
			f, ok := fields.find(key)
			switch {
			case !ok:
				w.add(at(w.data, k, Join(path, key), fields.unknown(), nil))
				return valueEnd(w.data, skipSpace(w.data, v))
			case f.quoted:
				return valueEnd(w.data, skipSpace(w.data, v)) // `json:",string"`: left to encoding/json
			}
			return w.value(v, f.typ, Join(path, key))
		})
	case reflect.Map:
		if raw[0] != '{' {
			w.mismatch(i, path, raw, "an object")
			break
		}
		w.object(i, path, func(key string, k, v int) int {
			w.mapKey(k, t.Key(), Join(path, key), key)
			return w.value(v, t.Elem(), Join(path, key))
		})
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 && raw[0] == '"' {
			w.scalar(i, path, raw, t, "base64 text or an array of bytes")
			break
		}
		if raw[0] != '[' {
			w.mismatch(i, path, raw, "an array")
			break
		}
		n := -1
		if t.Kind() == reflect.Array {
			n = t.Len()
		}
		w.array(i, path, t.Elem(), n)
	case reflect.String:
		w.scalar(i, path, raw, t, "a string")
	case reflect.Bool:
		w.scalar(i, path, raw, t, "true or false")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		want := "a whole number"
		if bits := t.Bits(); bits <= 32 { // a range worth saying
			want = fmt.Sprintf("a whole number from %d to %d", int64(-1)<<(bits-1), int64(1)<<(bits-1)-1)
		}
		w.scalar(i, path, raw, t, want)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		want := "a whole number of at least 0"
		if bits := t.Bits(); bits <= 32 {
			want = fmt.Sprintf("a whole number from 0 to %d", uint64(1)<<bits-1)
		}
		w.scalar(i, path, raw, t, want)
	case reflect.Float32, reflect.Float64:
		w.scalar(i, path, raw, t, "a number")
	case reflect.Interface:
		switch {
		case t.NumMethod() > 0:
			w.add(at(w.data, i, path, "cannot be decoded into "+t.String(), nil))
		case raw[0] == '{':
			w.object(i, path, func(key string, _, v int) int { return w.value(v, t, Join(path, key)) })
		case raw[0] == '[':
			w.array(i, path, t, -1)
		case raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9':
			w.scalar(i, path, raw, reflect.TypeFor[float64](), "a number") // a float64 in an any
		}
	default:
		w.add(at(w.data, i, path, "cannot be decoded into "+t.String(), nil))
	}
	return end
}

// scalar decodes the scalar raw on its own into a t, and records a
// mismatch when encoding/json refuses it.
func (w *walker) scalar(i int, path string, raw []byte, t reflect.Type, want string) {
	if json.Unmarshal(raw, reflect.New(t).Interface()) != nil {
		w.mismatch(i, path, raw, want)
	}
}

func (w *walker) mismatch(i int, path string, raw []byte, want string) {
	w.add(at(w.data, i, path, "want "+want+", got "+describe(raw), nil))
}

// describe names a JSON value for an error message.
func describe(raw []byte) string {
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil && len(s) > 40 {
			return strconv.Quote(s[:40]) + "..."
		}
		return string(raw)
	case 't', 'f':
		return string(raw)
	case 'n':
		return "null"
	}
	if len(raw) > 40 {
		return "the number " + string(raw[:40]) + "..."
	}
	return "the number " + string(raw)
}

// nested records the error of a type's own UnmarshalJSON or UnmarshalText
// for the value at offset i. Field errors inside it are relative to the
// value: their paths go after path, and their positions (when they have
// one) are within the value.
func (w *walker) nested(i int, path string, err error) {
	inner := Problems(err)
	if len(inner) == 0 {
		line, col := LineColumn(w.data, i)
		w.add(&lead.FieldError{Path: path, Problem: err.Error(), Line: line, Column: col, Err: err})
		return
	}
	value := w.data[i:valueEnd(w.data, i)]
	line, col := LineColumn(w.data, i)
	for _, fe := range inner {
		p := Nest(value, "", fe)
		p.Path = Join(path, fe.Path)
		if p.Line == 1 {
			p.Column += col - 1
		}
		p.Line += line - 1
		w.add(p)
	}
}

// object walks the object that starts at offset i, calling member with
// each key and the offsets of the key and of its value; member returns the
// offset just past the value.
func (w *walker) object(i int, path string, member func(key string, k, v int) int) {
	d := w.data
	j := skipSpace(d, i+1)
	for j < len(d) && d[j] == '"' {
		k := j
		j = stringEnd(d, j)
		var key string
		_ = json.Unmarshal(d[k:j], &key)
		j = skipSpace(d, j)
		if j < len(d) && d[j] == ':' {
			j++
		}
		j = skipSpace(d, member(key, k, j))
		if j < len(d) && d[j] == ',' {
			j = skipSpace(d, j+1)
		}
	}
}

// array walks the array that starts at offset i, its elements against
// elem; only the first n when n >= 0 (a Go array ignores the rest).
func (w *walker) array(i int, path string, elem reflect.Type, n int) {
	d := w.data
	j := skipSpace(d, i+1)
	for k := 0; j < len(d) && d[j] != ']'; k++ {
		if n >= 0 && k >= n {
			j = valueEnd(d, skipSpace(d, j))
		} else {
			j = w.value(j, elem, index(path, k))
		}
		j = skipSpace(d, j)
		if j < len(d) && d[j] == ',' {
			j = skipSpace(d, j+1)
		}
	}
}

// mapKey checks a map key the way encoding/json converts it.
func (w *walker) mapKey(k int, kt reflect.Type, path, key string) {
	if reflect.PointerTo(kt).Implements(textUnmarshalerType) {
		if err := reflect.New(kt).Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(key)); err != nil {
			w.nested(k, path, err)
		}
		return
	}
	var err error
	switch kt.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		_, err = strconv.ParseInt(key, 10, kt.Bits())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		_, err = strconv.ParseUint(key, 10, kt.Bits())
	}
	if err != nil {
		w.add(at(w.data, k, path, fmt.Sprintf("the key %q is not a whole number that fits in %s", key, kt), err))
	}
}

// field is a struct field as encoding/json decodes it.
type field struct {
	name   string
	typ    reflect.Type
	quoted bool
}

type fieldList []field

// fieldsOf lists the fields encoding/json decodes into t, those of embedded
// structs after t's own.
func fieldsOf(t reflect.Type) fieldList {
	var out fieldList
	var embedded []reflect.Type
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				embedded = append(embedded, ft)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, field{name: name, typ: f.Type, quoted: opts == "string" || strings.HasPrefix(opts, "string,") || strings.Contains(opts, ",string")})
	}
	for _, e := range embedded {
		for _, f := range fieldsOf(e) {
			if _, dup := out.find(f.name); !dup {
				out = append(out, f)
			}
		}
	}
	return out
}

// find returns the field for key: an exact match first, else one that
// matches ignoring case, as encoding/json does.
func (l fieldList) find(key string) (field, bool) {
	for _, f := range l {
		if f.name == key {
			return f, true
		}
	}
	for _, f := range l {
		if strings.EqualFold(f.name, key) {
			return f, true
		}
	}
	return field{}, false
}

// unknown is the problem of a key that names no field, with the fields
// there are when they are few.
func (l fieldList) unknown() string {
	if len(l) == 0 || len(l) > 12 {
		return "unknown field"
	}
	names := make([]string, len(l))
	for i, f := range l {
		names[i] = f.name
	}
	return "unknown field (the fields are " + strings.Join(names, ", ") + ")"
}

// valueEnd returns the offset just past the JSON value that starts at
// offset i of a valid document.
func valueEnd(d []byte, i int) int {
	if i >= len(d) {
		return i
	}
	switch d[i] {
	case '"':
		return stringEnd(d, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(d); j++ {
			switch d[j] {
			case '"':
				j = stringEnd(d, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return len(d)
	}
	j := i
	for j < len(d) && !strings.ContainsRune(" \t\r\n,]}:", rune(d[j])) {
		j++
	}
	return j
}

// stringEnd returns the offset just past the string that starts at offset
// i, or len(d) when it is not closed.
func stringEnd(d []byte, i int) int {
	for j := i + 1; j < len(d); j++ {
		switch d[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(d)
}

// pathAt returns the path of the innermost value being read at offset off
// of a document that may not be valid JSON: the path of a syntax error.
func pathAt(d []byte, off int) string {
	type frame struct {
		array  bool
		index  int
		key    string
		inside bool // after the key's colon
	}
	var stack []frame
	for i := 0; i < off && i < len(d); i++ {
		top := len(stack) - 1
		switch d[i] {
		case '{':
			stack = append(stack, frame{})
		case '[':
			stack = append(stack, frame{array: true})
		case '}', ']':
			if top >= 0 {
				stack = stack[:top]
			}
		case ',':
			if top >= 0 {
				if stack[top].array {
					stack[top].index++
				} else {
					stack[top].key, stack[top].inside = "", false
				}
			}
		case ':':
			if top >= 0 {
				stack[top].inside = true
			}
		case '"':
			j := stringEnd(d, i)
			if top >= 0 && !stack[top].array && !stack[top].inside {
				var key string
				if json.Unmarshal(d[i:j], &key) != nil {
					key = string(d[i+1 : max(j-1, i+1)])
				}
				stack[top].key = key
			}
			i = j - 1
		}
	}
	path := ""
	for _, f := range stack {
		switch {
		case f.array:
			path = index(path, f.index)
		case f.key != "":
			path = Join(path, f.key)
		}
	}
	return path
}

// Locate returns the byte offset in the valid JSON document data of the
// value at path ("steps[2].wait", "" for the document), and false when
// there is none.
func Locate(data []byte, path string) (int, bool) {
	i := skipSpace(data, 0)
	for path != "" {
		if i >= len(data) {
			return 0, false
		}
		var key string
		n := -1
		switch {
		case path[0] == '[':
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return 0, false
			}
			v, err := strconv.Atoi(path[1:end])
			if err != nil {
				return 0, false
			}
			n, path = v, path[end+1:]
		default:
			path = strings.TrimPrefix(path, ".")
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			key, path = path[:end], path[end:]
		}
		found := -1
		switch {
		case n >= 0 && data[i] == '[':
			j := skipSpace(data, i+1)
			for k := 0; j < len(data) && data[j] != ']'; k++ {
				if k == n {
					found = j
					break
				}
				j = skipSpace(data, valueEnd(data, j))
				if j < len(data) && data[j] == ',' {
					j = skipSpace(data, j+1)
				}
			}
		case n < 0 && data[i] == '{':
			w := &walker{data: data}
			w.object(i, "", func(k string, _, v int) int {
				v = skipSpace(data, v)
				if found < 0 && (k == key || strings.EqualFold(k, key)) {
					found = v
				}
				return valueEnd(data, v)
			})
		}
		if found < 0 {
			return 0, false
		}
		i = found
	}
	return i, true
}

// Nest returns fe, a problem of the value at path in the document data, as
// a problem of the document: its path after path, and its position, which
// was within the value, within the document. A problem without a position
// gets the position of its own field when it is in data, else that of the
// value.
func Nest(data []byte, path string, fe *lead.FieldError) *lead.FieldError {
	out := &lead.FieldError{Path: Join(path, fe.Path), Problem: fe.Problem, Err: fe}
	start, ok := Locate(data, path)
	if !ok {
		return out
	}
	line, col := LineColumn(data, start)
	switch {
	case fe.Line == 1:
		out.Line, out.Column = line, col+fe.Column-1
	case fe.Line > 1:
		out.Line, out.Column = line+fe.Line-1, fe.Column
	default:
		if at, ok := Locate(data, out.Path); ok {
			line, col = LineColumn(data, at)
		}
		out.Line, out.Column = line, col
	}
	return out
}
