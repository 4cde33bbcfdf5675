package strictjson

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/leadqual/leadqual/lead"
)

// ErrInvalidUTF8 is the cause of the problems of a document that is not
// valid UTF-8. JSON text is UTF-8, and encoding/json would replace each
// bad byte with U+FFFD without a word: a name would change, and a check of
// the decoded value for valid UTF-8 would never fire. Decode refuses such
// a document, naming each key and string value that is not, and Malformed
// reports it.
var ErrInvalidUTF8 = errors.New("not valid UTF-8")

// maxKey bounds a key quoted in a path.
const maxKey = 40

// ValidUTF8 returns nil when data is valid UTF-8, and otherwise an *Error
// with a problem for each key or string value that is not, at its path,
// line and column (at most MaxProblems), or at the first bad byte when it
// lies outside a string. It reads data once.
func ValidUTF8(data []byte) error {
	if utf8.Valid(data) {
		return nil
	}
	type frame struct {
		array  bool
		index  int
		key    string
		inside bool // after the key's colon
	}
	var stack []frame
	path := func() string {
		p := ""
		for _, f := range stack {
			switch {
			case f.array:
				p = index(p, f.index)
			case f.key != "":
				p = Join(p, f.key)
			}
		}
		return p
	}
	var problems []*lead.FieldError
	add := func(off int, p, problem string) bool {
		problems = append(problems, at(data, off, p, problem, ErrInvalidUTF8))
		return len(problems) < MaxProblems
	}
	for i := 0; i < len(data); i++ {
		top := len(stack) - 1
		switch c := data[i]; {
		case c == '{':
			stack = append(stack, frame{})
		case c == '[':
			stack = append(stack, frame{array: true})
		case c == '}' || c == ']':
			if top >= 0 {
				stack = stack[:top]
			}
		case c == ',':
			if top >= 0 {
				if stack[top].array {
					stack[top].index++
				} else {
					stack[top].key, stack[top].inside = "", false
				}
			}
		case c == ':':
			if top >= 0 {
				stack[top].inside = true
			}
		case c == '"':
			j := stringEnd(data, i)
			s := data[i:j]
			isKey := top >= 0 && !stack[top].array && !stack[top].inside
			if isKey {
				key := strings.ToValidUTF8(string(s[1:max(len(s)-1, 1)]), "\uFFFD")
				if len(key) > maxKey {
					key = strings.ToValidUTF8(key[:maxKey], "") + "..."
				}
				stack[top].key = key
			}
			if !utf8.Valid(s) {
				problem := "not valid UTF-8"
				if isKey {
					problem = "the key is not valid UTF-8"
				}
				if !add(i+firstInvalid(s), path(), problem) {
					return &Error{Problems: problems}
				}
			}
			i = j - 1
		case c >= utf8.RuneSelf:
			if r, n := utf8.DecodeRune(data[i:]); r == utf8.RuneError && n <= 1 {
				if !add(i, path(), "not valid UTF-8") {
					return &Error{Problems: problems}
				}
			}
		}
	}
	return &Error{Problems: problems}
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
