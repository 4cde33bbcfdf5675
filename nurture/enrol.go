package nurture

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/leadqual/leadqual/internal/strictjson"
	"github.com/leadqual/leadqual/lead"
)

// Rule is one enrolment rule: the track a lead joins when it matches.
//
// A rule matches when every criterion it sets matches (a criterion left
// empty is not checked), and a criterion matches when any of its values
// does. Values compare without regard to case or surrounding space. A rule
// must set at least one criterion: the lead that matches nothing goes to
// the enrolment's default track.
type Rule struct {
	// Name identifies the rule in explanations.
	Name string `json:"name"`
	// Track is the name of the track a matching lead joins.
	Track string `json:"track"`
	// Topics match the product or topic interest: any of the lead's
	// Interests topics, or the Product of any of its activities.
	Topics []string `json:"topics,omitempty"`
	// Industries match the company's industry.
	Industries []string `json:"industries,omitempty"`
	// Countries match the company's country (ISO 3166-1 alpha-2).
	Countries []string `json:"countries,omitempty"`
	// Sources match the lead's source ("web_form", "trade_show", ...).
	Sources []string `json:"sources,omitempty"`
}

// EnrolmentSpec is an enrolment as data: rules tried in order, and the
// default track for a lead no rule matches. In JSON:
//
//	{"rules": [
//	  {"name": "route planning", "track": "routes-101", "topics": ["RoutePlanner", "route planning"]},
//	  {"name": "logistics", "track": "ops-101", "industries": ["logistics", "transport"]}
//	 ],
//	 "default": "general-101"}
type EnrolmentSpec struct {
	// Rules are tried in order; the first that matches decides.
	Rules []Rule `json:"rules,omitempty"`
	// Default is the name of the track for a lead no rule matches. It is
	// required, so that no interest lead is left without a track.
	Default string `json:"default"`
}

// Enroller chooses the track an interest lead joins. Build it with
// [NewEnroller] or [ParseEnroller]; it is immutable and safe for
// concurrent use.
type Enroller struct {
	rules  []rule
	def    *Track
	tracks map[string]*Track
}

type rule struct {
	name                                   string
	track                                  *Track
	topics, industries, countries, sources []string // folded
}

// Enrolment is where a lead joins: the track, the rule that chose it, and
// the progress to store with it.
type Enrolment struct {
	// Track is the track the lead joins.
	Track *Track
	// Rule is the name of the matching rule; empty for the default track.
	Rule string
	// Progress is the lead's progress at enrolment: no step made yet.
	Progress Progress
}

// maxRules bounds an enrolment's rules and each rule's values.
const maxRules = 1000

// NewEnroller validates spec against the tracks it names and returns an
// Enroller. A refused field is an *Error naming it ("Rules[2].Track",
// "Default"): an empty or duplicate rule name, a rule with no criterion, a
// track no one passed, an empty value, two tracks of the same name.
func NewEnroller(spec EnrolmentSpec, tracks ...*Track) (*Enroller, error) {
	e := &Enroller{tracks: make(map[string]*Track, len(tracks))}
	for i, t := range tracks {
		if t == nil || t.Len() == 0 {
			return nil, configErr(fmt.Sprintf("tracks[%d]", i), "is nil or empty (build it with NewTrack)")
		}
		if _, dup := e.tracks[t.name]; dup {
			return nil, configErr(fmt.Sprintf("tracks[%d]", i), fmt.Sprintf("a second track is named %q", clip(t.name, 60)))
		}
		e.tracks[t.name] = t
	}
	find := func(field, name string) (*Track, error) {
		if strings.TrimSpace(name) == "" {
			return nil, configErr(field, "is missing: every interest lead needs a track")
		}
		t, ok := e.tracks[name]
		if !ok {
			return nil, configErr(field, fmt.Sprintf("no track named %q was given (known: %s)", clip(name, 60), strings.Join(e.names(), ", ")))
		}
		return t, nil
	}
	var err error
	if e.def, err = find("Default", spec.Default); err != nil {
		return nil, err
	}
	if len(spec.Rules) > maxRules {
		return nil, configErr("Rules", fmt.Sprintf("has %d rules, more than %d", len(spec.Rules), maxRules))
	}
	seen := make(map[string]bool, len(spec.Rules))
	for i, r := range spec.Rules {
		field := fmt.Sprintf("Rules[%d]", i)
		if p := textProblem(r.Name, maxNameLen); p != "" {
			return nil, configErr(field+".Name", p)
		}
		if seen[r.Name] {
			return nil, configErr(field+".Name", fmt.Sprintf("%q names an earlier rule too", clip(r.Name, 60)))
		}
		seen[r.Name] = true
		t, err := find(field+".Track", r.Track)
		if err != nil {
			return nil, err
		}
		cr := rule{name: r.Name, track: t}
		for _, c := range []struct {
			name string
			in   []string
			out  *[]string
		}{{"Topics", r.Topics, &cr.topics}, {"Industries", r.Industries, &cr.industries}, {"Countries", r.Countries, &cr.countries}, {"Sources", r.Sources, &cr.sources}} {
			if len(c.in) > maxRules {
				return nil, configErr(field+"."+c.name, fmt.Sprintf("has %d values, more than %d", len(c.in), maxRules))
			}
			for j, v := range c.in {
				if p := textProblem(v, maxAssetLen); p != "" {
					return nil, configErr(fmt.Sprintf("%s.%s[%d]", field, c.name, j), p)
				}
				*c.out = append(*c.out, fold(v))
			}
		}
		if cr.topics == nil && cr.industries == nil && cr.countries == nil && cr.sources == nil {
			return nil, configErr(field, fmt.Sprintf("rule %q sets no criterion: it would match every lead (use Default)", clip(r.Name, 60)))
		}
		e.rules = append(e.rules, cr)
	}
	return e, nil
}

// ParseEnroller reads an enrolment from its JSON form (see
// [EnrolmentSpec]) and validates it as NewEnroller does. Unknown fields,
// trailing data and documents larger than MaxTrackJSON are refused, each
// problem with its path, line and column.
func ParseEnroller(data []byte, tracks ...*Track) (*Enroller, error) {
	var spec EnrolmentSpec
	if err := strictjson.DecodeLimit(data, &spec, MaxTrackJSON); err != nil {
		return nil, &Error{Kind: ErrInvalidConfig, Problems: strictjson.Problems(err)}
	}
	return NewEnroller(spec, tracks...)
}

func (e *Enroller) names() []string {
	out := make([]string, 0, len(e.tracks))
	for n := range e.tracks {
		out = append(out, fmt.Sprintf("%q", clip(n, 60)))
	}
	slices.Sort(out)
	return out
}

// Track returns the track of that name, among those the Enroller was built
// with.
func (e *Enroller) Track(name string) (*Track, bool) {
	t, ok := e.tracks[name]
	return t, ok
}

// Default returns the default track.
func (e *Enroller) Default() *Track { return e.def }

// Enrol chooses the track for l: the first rule that matches, or the
// default track. It does not judge whether l is an interest lead (that is
// the qualify policy's job) nor move its stage (use l.MoveTo with
// lead.StageNurturing). The returned progress starts at now. A nil lead
// joins the default track.
func (e *Enroller) Enrol(l *lead.Lead, now time.Time) Enrolment {
	if l != nil {
		for i := range e.rules {
			if r := &e.rules[i]; r.match(l) {
				return Enrolment{Track: r.track, Rule: r.name, Progress: Progress{Enrolled: now}}
			}
		}
	}
	return Enrolment{Track: e.def, Progress: Progress{Enrolled: now}}
}

func (r *rule) match(l *lead.Lead) bool {
	if r.industries != nil && !anyFold(r.industries, l.Company.Industry) {
		return false
	}
	if r.countries != nil && !anyFold(r.countries, l.Company.Country) {
		return false
	}
	if r.sources != nil && !anyFold(r.sources, l.Source) {
		return false
	}
	if r.topics == nil {
		return true
	}
	for _, in := range l.Interests {
		if anyFold(r.topics, in.Topic) {
			return true
		}
	}
	for i := range l.Activities {
		if p := l.Activities[i].Product; p != "" && anyFold(r.topics, p) {
			return true
		}
	}
	return false
}

func fold(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// anyFold reports whether s matches one of the folded values.
func anyFold(values []string, s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return false
	}
	for _, v := range values {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
