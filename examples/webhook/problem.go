package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// The error codes of [APIError]. A client switches on the code, not on the
// message, which is for people.
const (
	CodeMalformedJSON        = "malformed_json"          // 400: the body is not one JSON value
	CodeInvalidJSON          = "invalid_json"            // 400: JSON, but not a lead (or a policy): unknown fields, wrong types
	CodeUnauthorized         = "unauthorized"            // 401: the admin token is missing or wrong
	CodeForbidden            = "policy_updates_disabled" // 403: the server has no admin token
	CodeNotFound             = "not_found"               // 404
	CodeMethodNotAllowed     = "method_not_allowed"      // 405, with an Allow header
	CodePreconditionFailed   = "policy_changed"          // 412: If-Match names a policy no longer in service
	CodeTooLarge             = "body_too_large"          // 413
	CodeUnsupportedMediaType = "unsupported_media_type"  // 415
	CodeInvalidLead          = "invalid_lead"            // 422: lead.Validate found problems
	CodeInvalidAccount       = "invalid_account"         // 422: lead.Account.Validate found problems
	CodeLeadLimit            = "lead_too_large"          // 422: the lead (or account) exceeds the policy's limits
	CodeInvalidPolicy        = "invalid_policy"          // 422: the policy does not compile
	CodeRuleFailed           = "rule_failed"             // 500: a rule of the policy failed on this lead
	CodeInternal             = "internal"                // 500
	CodeUnavailable          = "unavailable"             // 503: the request was cancelled or timed out
)

// ErrorBody is the JSON body of every error response, whatever the status:
//
//	{"error": {"status": 422, "code": "invalid_lead", "message": "...",
//	           "request_id": "...", "problems": [{"field": "contact.email", "message": "..."}]}}
type ErrorBody struct {
	Error APIError `json:"error"`
}

// APIError says what went wrong with a request. Problems lists every
// problem found, each located as precisely as the server can: the field
// path of a lead ("activities[1].at"), or the rule, field, line and column
// of a policy.
type APIError struct {
	Status    int       `json:"status"`
	Code      string    `json:"code"`
	Message   string    `json:"message"`
	RequestID string    `json:"request_id,omitempty"`
	Problems  []Problem `json:"problems,omitempty"`

	// allow is the Allow header of a 405.
	allow string
}

// Error returns "422 invalid_lead: lead \"L-1\" has 2 problems".
func (e *APIError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// Unwrap returns each problem as a *lead.FieldError, so that a Go client
// of this code reaches the first field with errors.As, as it does for the
// library's own errors.
func (e *APIError) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = &lead.FieldError{Path: p.Field, Problem: p.Message, Line: p.Line, Column: p.Column}
	}
	return out
}

// Problem is one thing wrong with a request body: a lead.FieldError in
// JSON.
type Problem struct {
	// Field is the JSON path of the offending field in the body: a lead's
	// ("contact.email", "activities[1].at") or a policy's
	// ("rules[2].when", "settings.need_fresh"); empty for the body as a
	// whole.
	Field string `json:"field,omitempty"`
	// Rule names the policy rule, for policy problems.
	Rule string `json:"rule,omitempty"`
	// Line and Column locate the problem, 1-based, when it has a position:
	// in the body for JSON problems, in the expression for a rule's when
	// and points.
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
	// Message says what is wrong.
	Message string `json:"message"`
}

// fieldProblem is a lead.FieldError as a Problem.
func fieldProblem(fe *lead.FieldError) Problem {
	return Problem{Field: fe.Path, Line: fe.Line, Column: fe.Column, Message: fe.Problem}
}

func apiError(status int, code, format string, args ...any) *APIError {
	return &APIError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// writeJSON writes v as the JSON body of a response with the given status:
// encoded into a pooled buffer, then written at once with its length.
func writeJSON(w http.ResponseWriter, status int, v any) {
	buf := getBuffer()
	defer putBuffer(buf)
	var err error
	if a, ok := v.(jsonAppender); ok {
		var b []byte
		if b, err = a.appendJSON(buf.AvailableBuffer()); err == nil {
			buf.Write(b)
		}
	} else {
		err = json.NewEncoder(buf).Encode(v)
	}
	if err != nil {
		// Not expected of the response types: say so, in JSON.
		buf.Reset()
		status = http.StatusInternalServerError
		fmt.Fprintf(buf, `{"error":{"status":500,"code":%q,"message":"encoding the response failed"}}`+"\n", CodeInternal)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	// An error here is the client going away; there is no one to tell.
	_, _ = w.Write(buf.Bytes())
}

// jsonAppender is a response that appends its own JSON, as
// json.Encoder.Encode writes it (newline included), without reflection.
type jsonAppender interface {
	appendJSON(b []byte) ([]byte, error)
}

// buffers holds the buffers of request and response bodies, so that a
// request allocates none of its own; a buffer grown past maxPooled (a
// policy, a large account) is left to the garbage collector.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooled = 64 << 10

func getBuffer() *bytes.Buffer {
	b := buffers.Get().(*bytes.Buffer)
	b.Reset()
	return b
}

func putBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxPooled {
		buffers.Put(b)
	}
}

// maxProblems bounds the problems an error body lists, so that a body of
// a thousand bad fields does not get an answer of megabytes. The message
// says how many there are.
const maxProblems = 100

// maxMessage bounds each message of an error body, whatever produced it
// (a time that does not parse is quoted whole by encoding/json): values
// from a request are quoted at most in part.
const maxMessage = 300

// writeError writes e as an [ErrorBody], with the request ID of r.
func writeError(w http.ResponseWriter, r *http.Request, e *APIError) {
	e.RequestID = requestIDFrom(r.Context())
	if n := len(e.Problems); n > maxProblems {
		e.Problems = append(e.Problems[:maxProblems-1:maxProblems-1], Problem{Message: fmt.Sprintf("and %d more problems", n-maxProblems+1)})
	}
	e.Message = clipMessage(e.Message)
	for i := range e.Problems {
		e.Problems[i].Message = clipMessage(e.Problems[i].Message)
		e.Problems[i].Field = clipMessage(e.Problems[i].Field)
	}
	if e.allow != "" {
		w.Header().Set("Allow", e.allow)
	}
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="leadqual policy"`)
	}
	writeJSON(w, e.Status, ErrorBody{Error: *e})
}

// invalidInput answers a validation's error: a 422 listing every problem
// of a *lead.ValidationError with its field path, else a 422 with code.
func invalidInput(err error, code string) *APIError {
	var ve *lead.ValidationError
	if errors.As(err, &ve) {
		return validationError(ve)
	}
	return apiError(http.StatusUnprocessableEntity, code, "%v", err)
}

// validationError turns lead.Validate's error into a 422 listing every
// problem with its field path.
func validationError(ve *lead.ValidationError) *APIError {
	what, code := "lead", CodeInvalidLead
	if ve.Of == "account" {
		what, code = "account", CodeInvalidAccount
	}
	e := apiError(http.StatusUnprocessableEntity, code, "%s %q has %s", what, ve.ID, plural(len(ve.Problems), "problem"))
	for _, p := range ve.Problems {
		e.Problems = append(e.Problems, fieldProblem(p))
	}
	return e
}

// compileError turns a refused policy into a response: 400 when the body
// is not a policy document at all (bad JSON, unknown keys), 422 when its
// rules or settings are wrong. Every problem keeps its rule, field, line
// and column.
func compileError(ce *qualify.CompileError) *APIError {
	shape := true
	problems := make([]Problem, 0, len(ce.Problems))
	for _, p := range ce.Problems {
		if p.Field != "json" {
			shape = false
		}
		problems = append(problems, Problem{Field: p.Path, Rule: p.Rule, Line: p.Line, Column: p.Column, Message: p.Message})
	}
	name := ce.Policy
	if name == "" {
		name = "(unnamed)"
	}
	e := apiError(http.StatusUnprocessableEntity, CodeInvalidPolicy, "policy %s refused: %s; the policy in service is unchanged",
		name, plural(len(problems), "problem"))
	if shape {
		e.Status, e.Code = http.StatusBadRequest, CodeInvalidJSON
		var lim *qualify.LimitError
		if errors.As(ce, &lim) {
			e.Status, e.Code = http.StatusRequestEntityTooLarge, CodeTooLarge
		}
	}
	e.Problems = problems
	return e
}

// limitError turns a lead refused by the policy's limits into a 422 naming
// the offending field.
func limitError(l *lead.Lead, le *qualify.LimitError) *APIError {
	return limitErrorOf("lead", l.ID, le)
}

func limitErrorOf(what, id string, le *qualify.LimitError) *APIError {
	e := apiError(http.StatusUnprocessableEntity, CodeLeadLimit, "%s %q exceeds a limit of the policy", what, id)
	e.Problems = []Problem{{Field: le.Path, Message: fmt.Sprintf("limit %s exceeded: %d > %d", le.Limit, le.Got, le.Max)}}
	return e
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// allowed returns the Allow header for methods, with HEAD after GET
// (the mux serves HEAD wherever it serves GET).
func allowed(methods []string) string {
	var out []string
	for _, m := range methods {
		out = append(out, m)
		if m == http.MethodGet {
			out = append(out, http.MethodHead)
		}
	}
	slices.Sort(out)
	return strings.Join(slices.Compact(out), ", ")
}

// clipMessage shortens every quoted value in a message to a prefix of
// maxQuoted bytes, then the message to maxMessage bytes, on rune
// boundaries, saying how long they were.
func clipMessage(m string) string {
	m = clipQuotes(m)
	if len(m) <= maxMessage {
		return m
	}
	i := maxMessage
	for i > 0 && !utf8.RuneStart(m[i]) {
		i--
	}
	return fmt.Sprintf("%s... (%d bytes in all)", m[:i], len(m))
}

// maxQuoted bounds what an error message quotes of a value from the body:
// a stranger's megabyte must not come back in the answer.
const maxQuoted = 40

// prefix returns the first maxQuoted bytes of s, on a rune boundary.
func prefix(s string) string {
	i := min(maxQuoted, len(s))
	for i > 0 && i < len(s) && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// clipQuotes shortens each double-quoted part of m longer than maxQuoted.
func clipQuotes(m string) string {
	if len(m) <= maxQuoted {
		return m
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(m, '"')
		if i < 0 {
			b.WriteString(m)
			return b.String()
		}
		b.WriteString(m[:i+1])
		m = m[i+1:]
		j := 0 // the closing quote, past escapes
		for j < len(m) && m[j] != '"' {
			if m[j] == '\\' {
				j++
			}
			j++
		}
		j = min(j, len(m))
		if q := m[:j]; len(q) > maxQuoted {
			fmt.Fprintf(&b, "%s... (%d bytes)", prefix(q), len(q))
		} else {
			b.WriteString(q)
		}
		if j == len(m) {
			return b.String()
		}
		b.WriteByte('"')
		m = m[j+1:]
	}
}
