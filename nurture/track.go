package nurture

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/leadqual/leadqual/internal/strictjson"
	"github.com/leadqual/leadqual/lead"
)

// Specificity is how close a step is to the vendor's own offer. A track
// moves from the general to the specific: education about the prospect's
// problem first, then the vendor's approach to it, then its product.
//
// The zero value is not a specificity: a step must state one.
type Specificity uint8

// The specificities, from the general to the specific.
const (
	SpecificityProblem  Specificity = iota + 1 // education about the prospect's problem
	SpecificityApproach                        // the vendor's approach to the problem
	SpecificityProduct                         // the vendor's own product
)

var specificityNames = [...]string{"", "problem", "approach", "product"}

// String returns "problem", "approach" or "product"; other values print as
// "specificity(n)".
func (s Specificity) String() string {
	if s.Valid() {
		return specificityNames[s]
	}
	return "specificity(" + strconv.Itoa(int(s)) + ")"
}

// Valid reports whether s is one of the declared specificities.
func (s Specificity) Valid() bool { return s >= SpecificityProblem && s <= SpecificityProduct }

// ParseSpecificity returns the specificity named s ("problem", "approach"
// or "product").
func ParseSpecificity(s string) (Specificity, error) {
	for i, n := range specificityNames {
		if i > 0 && n == s {
			return Specificity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown specificity %q (accepted: problem, approach, product)", s)
}

// MarshalText implements encoding.TextMarshaler; an invalid value is an error.
func (s Specificity) MarshalText() ([]byte, error) {
	if !s.Valid() {
		return nil, fmt.Errorf("invalid specificity %d", uint8(s))
	}
	return []byte(specificityNames[s]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Specificity) UnmarshalText(b []byte) error {
	v, err := ParseSpecificity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Limits on a track, so that a hostile or mistaken definition cannot make
// the library slow or its arithmetic overflow.
const (
	// MaxSteps is the most steps a track may have.
	MaxSteps = 100
	// MaxWait is the longest wait before a step: a year and a day.
	MaxWait = 366 * 24 * time.Hour
	// MaxTrackJSON is the largest JSON document ParseTrack reads.
	MaxTrackJSON = 1 << 20
	maxNameLen   = 128
	maxAssetLen  = 512
	maxChanLen   = 64
)

// Step is one touch of a track: an asset sent on a channel after a wait.
//
// In JSON a step reads
//
//	{"asset": "Fleet costs explained", "specificity": "problem", "channel": "email", "wait": "3d"}
//
// where wait is written in the duration syntax of the lead package
// (lead.ParseDuration: "3d", "1d12h", "90m"). An omitted wait is zero.
type Step struct {
	// Asset names the content the step delivers: the white paper's title,
	// the webinar, the call script.
	Asset string
	// Specificity is how close the asset is to the vendor's product.
	Specificity Specificity
	// Channel is the channel the step uses. The prospect must have opted in
	// on it: the planner plans no touch on a channel without consent.
	Channel lead.Channel
	// Wait is the time from the previous touch of the track (from the
	// enrolment, for the first step) to this one. It is elapsed time, not
	// calendar time: "1d" is 24 hours, also across a daylight-saving change.
	Wait time.Duration
}

type stepJSON struct {
	Asset       string `json:"asset"`
	Specificity string `json:"specificity"`
	Channel     string `json:"channel"`
	Wait        string `json:"wait,omitempty"`
}

// MarshalJSON writes the step in the form documented on [Step].
func (s Step) MarshalJSON() ([]byte, error) {
	sp, err := s.Specificity.MarshalText()
	if err != nil {
		return nil, err
	}
	var wait []byte
	if s.Wait != 0 {
		if wait, err = lead.Duration(s.Wait).MarshalText(); err != nil {
			return nil, err
		}
	}
	return json.Marshal(stepJSON{Asset: s.Asset, Specificity: string(sp), Channel: string(s.Channel), Wait: string(wait)})
}

// UnmarshalJSON reads the form documented on [Step]. Unknown fields, an
// unknown specificity and a malformed wait are errors, each a
// *lead.FieldError whose path is relative to the step ("wait"); the rest of
// the step's checks are [NewTrack]'s.
func (s *Step) UnmarshalJSON(b []byte) error {
	var raw stepJSON
	if err := strictjson.Decode(b, &raw); err != nil {
		return err
	}
	out := Step{Asset: raw.Asset, Channel: lead.Channel(raw.Channel)}
	if raw.Specificity != "" {
		sp, err := ParseSpecificity(raw.Specificity)
		if err != nil {
			return &lead.FieldError{Path: "specificity", Problem: fmt.Sprintf("%q is not one of problem, approach, product", clip(raw.Specificity, 40)), Err: err}
		}
		out.Specificity = sp
	}
	if raw.Wait != "" {
		w, err := lead.ParseDuration(raw.Wait)
		if err != nil {
			return &lead.FieldError{Path: "wait", Problem: err.Error(), Err: err}
		}
		out.Wait = w
	}
	*s = out
	return nil
}

// TrackSpec is a track as data: the form a CRM stores and a marketer edits.
// [NewTrack] validates it into an immutable [*Track].
//
// In JSON:
//
//	{"name": "ops-101", "steps": [
//	  {"asset": "Why fleets overspend", "specificity": "problem", "channel": "email"},
//	  {"asset": "Route planning, the method", "specificity": "approach", "channel": "email", "wait": "3d"},
//	  {"asset": "RoutePlanner in 10 minutes", "specificity": "product", "channel": "email", "wait": "4d"}
//	]}
type TrackSpec struct {
	// Name identifies the track; hosts store it with each enrolled lead.
	Name string `json:"name"`
	// Steps are the touches, in order.
	Steps []Step `json:"steps"`
}

// Track is a validated nurture track: a named sequence of steps that never
// goes back from the specific to the general. Build one with [NewTrack] or
// [ParseTrack].
//
// A Track is immutable and safe for concurrent use; the zero Track is empty
// and no planner accepts it.
type Track struct {
	name  string
	steps []Step
}

// Name returns the track's name.
func (t *Track) Name() string {
	if t == nil {
		return ""
	}
	return t.name
}

// Len returns the number of steps.
func (t *Track) Len() int {
	if t == nil {
		return 0
	}
	return len(t.steps)
}

// Step returns the step at index i (counting from 0), and false when there
// is none.
func (t *Track) Step(i int) (Step, bool) {
	if i < 0 || i >= t.Len() {
		return Step{}, false
	}
	return t.steps[i], true
}

// Steps returns a copy of the steps.
func (t *Track) Steps() []Step {
	if t == nil {
		return nil
	}
	return slices.Clone(t.steps)
}

// Spec returns the track as data, a copy the caller may change.
func (t *Track) Spec() TrackSpec { return TrackSpec{Name: t.Name(), Steps: t.Steps()} }

// MarshalJSON writes the track in the form ParseTrack reads.
func (t *Track) MarshalJSON() ([]byte, error) { return json.Marshal(t.Spec()) }

// UnmarshalJSON reads and validates a track as ParseTrack does, so that a
// host's own configuration can hold tracks. It is for decoding only: never
// decode into a Track that is already in use. The lines and columns of its
// errors are within the track's own JSON value.
func (t *Track) UnmarshalJSON(b []byte) error {
	nt, err := ParseTrack(b)
	if err != nil {
		return err
	}
	*t = *nt
	return nil
}

// String returns the track's name and length, e.g. `track "ops-101" (3 steps)`.
func (t *Track) String() string {
	return fmt.Sprintf("track %q (%d steps)", t.Name(), t.Len())
}

// ErrInvalidTrack is the identity of every refused track; the error itself
// is a *TrackError.
var ErrInvalidTrack = errors.New("invalid track")

// TrackError lists every problem found in a track definition.
type TrackError struct {
	// Track is the track's name as given (possibly empty or invalid).
	Track string
	// Problems are every problem found, by step.
	Problems []TrackProblem
}

// TrackProblem is one problem with a track: with one step, or with the
// track as a whole. TrackError.Unwrap gives each as a *lead.FieldError.
type TrackProblem struct {
	// Step is the index of the step (from 0; messages count from 1), or -1
	// when the problem is with the track as a whole.
	Step int
	// Asset is the step's asset, as given, to help find it.
	Asset string
	// Field is the field in JSON terms ("name", "steps", "asset",
	// "specificity", "channel", "wait"), empty for malformed JSON.
	Field string
	// Problem says what is wrong, as a phrase that follows the field name.
	Problem string
	// Line and Column locate the problem in the JSON ParseTrack read,
	// 1-based; zero for a track built with NewTrack.
	Line, Column int
	// Err is the underlying error, such as a *json.SyntaxError, if any.
	Err error
}

func (p TrackProblem) where(track string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "track %q", track)
	if p.Step >= 0 {
		fmt.Fprintf(&b, " step %d", p.Step+1)
		if p.Asset != "" {
			fmt.Fprintf(&b, " (asset %q)", clip(p.Asset, 60))
		}
	}
	return b.String()
}

func (p TrackProblem) text() string {
	var b strings.Builder
	b.WriteString(p.Field)
	if p.Line > 0 {
		if p.Field != "" {
			b.WriteString(" at ")
		}
		fmt.Fprintf(&b, "line %d, column %d", p.Line, p.Column)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(p.Problem)
	return b.String()
}

// path is the problem's place in the track's JSON form: "steps[2].wait",
// "steps[2]", "name".
func (p TrackProblem) path() string {
	if p.Step < 0 {
		return p.Field
	}
	return strictjson.Join(fmt.Sprintf("steps[%d]", p.Step), p.Field)
}

// FieldError returns the problem as a *lead.FieldError whose Path is its
// place in the track's JSON form ("steps[2].wait").
func (p TrackProblem) FieldError() *lead.FieldError {
	return &lead.FieldError{Path: p.path(), Problem: p.Problem, Line: p.Line, Column: p.Column, Err: p.Err}
}

// Error implements error, listing every problem:
// `nurture: track "ops-101" step 3 (asset "Fleet costs"): wait: is negative (-1h0m0s)`.
func (e *TrackError) Error() string {
	var b strings.Builder
	b.WriteString("nurture: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.where(clip(e.Track, 60)))
		b.WriteString(": ")
		b.WriteString(p.text())
	}
	if len(e.Problems) == 0 {
		fmt.Fprintf(&b, "track %q is invalid", e.Track)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalidTrack) true.
func (e *TrackError) Is(target error) bool { return target == ErrInvalidTrack }

// Unwrap returns each problem as a *lead.FieldError (see
// TrackProblem.FieldError), so that errors.As finds the first field at
// fault, and a *json.SyntaxError or a time package error behind it.
func (e *TrackError) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p.FieldError()
	}
	return out
}

type trackChecker struct {
	problems []TrackProblem
}

func (c *trackChecker) add(step int, asset, field, format string, args ...any) {
	c.problems = append(c.problems, TrackProblem{Step: step, Asset: asset, Field: field, Problem: fmt.Sprintf(format, args...)})
}

// NewTrack validates spec and returns it as an immutable Track. Every
// problem is reported at once, in a *TrackError (errors.Is(err,
// ErrInvalidTrack)) naming the step.
//
// A track needs a name (at most 128 bytes of printable UTF-8) and 1 to
// MaxSteps steps. Each step needs an asset (at most 512 bytes of printable
// UTF-8), a specificity, a channel (lower-case letters, digits, '_', '-'
// or '.', at most 64 bytes) and a wait from 0 to MaxWait. Specificity
// never decreases from one step to the next: a track moves from the
// problem to the approach to the product, never back.
func NewTrack(spec TrackSpec) (*Track, error) {
	if problems := checkSpec(spec, nil); len(problems) > 0 {
		return nil, &TrackError{Track: spec.Name, Problems: problems}
	}
	return &Track{name: spec.Name, steps: slices.Clone(spec.Steps)}, nil
}

// checkSpec returns every problem of spec; steps whose index is marked in
// skip (they did not decode, and are reported already) are left out.
func checkSpec(spec TrackSpec, skip []bool) []TrackProblem {
	var c trackChecker
	c.name(spec.Name)
	c.count(len(spec.Steps))
	prev, prevAt := Specificity(0), -1
	for i, s := range spec.Steps {
		if i >= MaxSteps {
			break
		}
		if skip != nil && skip[i] {
			continue
		}
		c.step(i, s)
		if s.Specificity.Valid() {
			if prevAt >= 0 && s.Specificity < prev {
				c.add(i, s.Asset, "specificity", "goes back from %s (step %d) to %s: a track moves from the problem to the approach to the product",
					prev, prevAt+1, s.Specificity)
			}
			prev, prevAt = s.Specificity, i
		}
	}
	return c.problems
}

func (c *trackChecker) name(name string) {
	if p := textProblem(name, maxNameLen); p != "" {
		c.add(-1, "", "name", "%s", p)
	}
}

func (c *trackChecker) count(n int) {
	switch {
	case n == 0:
		c.add(-1, "", "steps", "is empty: a track needs at least one step")
	case n > MaxSteps:
		c.add(-1, "", "steps", "has %d steps, more than %d", n, MaxSteps)
	}
}

func (c *trackChecker) step(i int, s Step) {
	if p := textProblem(s.Asset, maxAssetLen); p != "" {
		c.add(i, s.Asset, "asset", "%s", p)
	}
	switch {
	case s.Specificity == 0:
		c.add(i, s.Asset, "specificity", "is missing (problem, approach or product)")
	case !s.Specificity.Valid():
		c.add(i, s.Asset, "specificity", "%d is not one of problem, approach, product", uint8(s.Specificity))
	}
	if p := channelProblem(s.Channel); p != "" {
		c.add(i, s.Asset, "channel", "%s", p)
	}
	switch {
	case s.Wait < 0:
		c.add(i, s.Asset, "wait", "is negative (%s)", s.Wait)
	case s.Wait > MaxWait:
		c.add(i, s.Asset, "wait", "is %s, longer than %s", lead.FormatDuration(s.Wait), lead.FormatDuration(MaxWait))
	case s.Wait%time.Second != 0:
		c.add(i, s.Asset, "wait", "%s is not a whole number of seconds", s.Wait)
	}
}

// textProblem checks a required, bounded, printable UTF-8 text.
func textProblem(s string, max int) string {
	switch {
	case strings.TrimSpace(s) == "":
		return "is missing"
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case len(s) > max:
		return fmt.Sprintf("is %d bytes long, more than %d", len(s), max)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) && r != ' ' {
			return fmt.Sprintf("contains the control character %U", r)
		}
	}
	return ""
}

func channelProblem(ch lead.Channel) string {
	switch {
	case ch == "":
		return "is missing (email, phone, sms, ...)"
	case len(ch) > maxChanLen:
		return fmt.Sprintf("is %d bytes long, more than %d", len(ch), maxChanLen)
	}
	for i := 0; i < len(ch); i++ {
		b := ch[i]
		if !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_' || b == '-' || b == '.') {
			return fmt.Sprintf("%q is not a channel name (lower-case letters, digits, '_', '-', '.')", clip(string(ch), 40))
		}
	}
	return ""
}

// clip shortens s for an error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// ParseTrack reads a track from its JSON form (see [TrackSpec]) and
// validates it as [NewTrack] does. Unknown fields, trailing data and
// documents larger than MaxTrackJSON are refused. Every problem is reported
// at once in a *TrackError naming the step, with its line and column; a
// document that is not JSON is reported alone, its problem wrapping the
// *json.SyntaxError.
func ParseTrack(data []byte) (*Track, error) {
	var raw struct {
		Name  string            `json:"name"`
		Steps []json.RawMessage `json:"steps"`
	}
	if err := strictjson.DecodeLimit(data, &raw, MaxTrackJSON); err != nil {
		te := &TrackError{Track: raw.Name}
		for _, fe := range strictjson.Problems(err) {
			te.Problems = append(te.Problems, TrackProblem{Step: -1, Field: fe.Path, Problem: fe.Problem, Line: fe.Line, Column: fe.Column, Err: fe.Err})
		}
		return nil, te
	}
	name := raw.Name
	var c trackChecker
	if len(raw.Steps) > MaxSteps {
		c.count(len(raw.Steps))
		return nil, &TrackError{Track: name, Problems: locate(data, c.problems)}
	}
	spec := TrackSpec{Name: name, Steps: make([]Step, len(raw.Steps))}
	var bad []bool
	for i, rs := range raw.Steps {
		if err := spec.Steps[i].UnmarshalJSON(rs); err != nil {
			if bad == nil {
				bad = make([]bool, len(raw.Steps))
			}
			bad[i] = true
			asset := stepAsset(rs)
			for _, fe := range strictjson.Problems(err) {
				at := strictjson.Nest(data, fmt.Sprintf("steps[%d]", i), fe)
				c.problems = append(c.problems, TrackProblem{Step: i, Asset: asset, Field: fe.Path, Problem: fe.Problem, Line: at.Line, Column: at.Column, Err: fe.Err})
			}
		}
	}
	c.problems = append(c.problems, checkSpec(spec, bad)...)
	if len(c.problems) > 0 {
		slices.SortStableFunc(c.problems, func(a, b TrackProblem) int { return a.Step - b.Step })
		return nil, &TrackError{Track: name, Problems: locate(data, c.problems)}
	}
	return &Track{name: spec.Name, steps: spec.Steps}, nil
}

// locate gives the problems without a position the position of their field
// in data.
func locate(data []byte, problems []TrackProblem) []TrackProblem {
	for i := range problems {
		p := &problems[i]
		if p.Line > 0 {
			continue
		}
		at := strictjson.Nest(data, "", &lead.FieldError{Path: p.path()})
		p.Line, p.Column = at.Line, at.Column
	}
	return problems
}

// stepAsset recovers the asset of a step that did not decode, for the
// error message.
func stepAsset(raw json.RawMessage) string {
	var s struct {
		Asset string `json:"asset"`
	}
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s.Asset
}
