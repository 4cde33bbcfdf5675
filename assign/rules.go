package assign

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leadqual/leadqual/internal/enum"
	"github.com/leadqual/leadqual/internal/strictjson"
	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// Rules say who may own which leads: the people, their teams, the rules
// that route leads to them, who is on call, and the escalation ladder. They
// are data, kept by the host as JSON (see [ParseRules]) or built in Go, and
// compiled by [New]; change them by building a new Assigner.
//
// The JSON form:
//
//	{
//	  "name": "emea-sales",
//	  "capacity": 25,
//	  "people": [
//	    {"id": "sam", "team": "uk"},
//	    {"id": "lena", "team": "dach", "capacity": 15,
//	     "away": [{"from": "2026-11-20T00:00:00Z", "until": "2026-11-30T00:00:00Z"}]},
//	    {"id": "priya", "team": "uk"}, {"id": "max", "team": "uk"}
//	  ],
//	  "teams": [{"id": "uk", "lead": "priya", "manager": "max"}, {"id": "dach", "lead": "priya", "manager": "max"}],
//	  "rules": [
//	    {"name": "dach", "countries": ["DE", "AT", "CH"], "people": ["lena"]},
//	    {"name": "german speakers", "languages": ["de"], "people": ["lena", "sam"]},
//	    {"name": "fleet", "products": ["FleetInsight"], "people": ["sam", "priya"], "choose": "round_robin"},
//	    {"name": "everyone else", "people": ["sam", "priya", "lena"]}
//	  ],
//	  "on_call": {"people": ["sam", "priya"]},
//	  "escalation": [{"to": "owner"}, {"to": "team_lead", "after": "30m"}, {"to": "manager", "after": "2h"}]
//	}
type Rules struct {
	// Name identifies the rules in reasons and errors.
	Name string `json:"name,omitempty"`
	// People are everyone who may own a lead or be escalated to. At least
	// one; at most MaxPeople.
	People []Person `json:"people"`
	// Teams group people under a team lead and a manager, the rungs of the
	// escalation ladder above the owner.
	Teams []Team `json:"teams,omitempty"`
	// Rules route a lead: the first rule whose conditions all hold and
	// that has an eligible person chooses among its people. At least one.
	Rules []Rule `json:"rules"`
	// OnCall, when it names people, takes need that arrives outside the
	// team's response hours when the policy answers such need on call
	// (qualify.OffHoursOnCall). Default none: such need follows the rules.
	OnCall Pool `json:"on_call,omitzero"`
	// Capacity is the most open leads a person holds, unless their own
	// Capacity says otherwise; 0: no limit. Default 0.
	Capacity int `json:"capacity,omitempty"`
	// LanguageField names the lead's custom field (lead.Lead.Fields) that
	// holds the prospect's language, a BCP 47 tag such as "de" or "en-GB",
	// for the rules' Languages. Default "language".
	LanguageField string `json:"language_field,omitempty"`
	// Escalation is the ladder an unanswered need climbs after its
	// deadline. Default [DefaultLadder].
	Escalation []Step `json:"escalation,omitempty"`
}

// Person is someone who may own leads.
type Person struct {
	// ID is how the host names the person: lead.Lead.Owner holds it.
	ID string `json:"id"`
	// Team is the ID of the person's team, for escalation; required when
	// the ladder reaches above the owner.
	Team string `json:"team,omitempty"`
	// Capacity is the most open leads the person holds; 0 means
	// Rules.Capacity.
	Capacity int `json:"capacity,omitempty"`
	// Away are the periods the person is out of office: no lead is
	// assigned to them then. At most MaxAway.
	Away []Period `json:"away,omitempty"`
}

// Period is a span of time, from From up to (not including) Until.
type Period struct {
	From  time.Time `json:"from"`
	Until time.Time `json:"until"`
}

// Contains reports whether t falls within the period.
func (p Period) Contains(t time.Time) bool { return !t.Before(p.From) && t.Before(p.Until) }

// Team is a team of people with its team lead and manager (people's IDs).
type Team struct {
	ID      string `json:"id"`
	Lead    string `json:"lead,omitempty"`
	Manager string `json:"manager,omitempty"`
}

// Rule routes the leads that meet all its conditions to its people. A
// condition left empty holds for every lead; a rule with none is a
// catch-all. Values compare without regard to case.
type Rule struct {
	// Name identifies the rule in reasons; unique.
	Name string `json:"name"`
	// Countries are ISO 3166-1 alpha-2 codes ("GB"): the lead's company
	// is in one of them (lead.Company.Country): a territory.
	Countries []string `json:"countries,omitempty"`
	// Products are product names, or names of the policy's product lines
	// (qualify Settings.ProductLines): the product the lead asked about
	// (the product of the decision's need activity, or the line of a
	// line's decision), or, when that names none, any product of its
	// activities and any topic of its interests. A product counts as its
	// line too, so a rule may name a line instead of each of its products.
	Products []string `json:"products,omitempty"`
	// Languages are BCP 47 language tags: the lead's language (the custom
	// field Rules.LanguageField) is one of them or a regional form of one
	// ("de" holds for "de-AT").
	Languages []string `json:"languages,omitempty"`
	// Industries are industries: the lead's company's (lead.Company.Industry).
	Industries []string `json:"industries,omitempty"`
	// Priorities are the kinds of sales work the rule takes
	// (qualify.Priority names: "need", "review", "qualified",
	// "pipeline"); it holds only for a request with a decision of one of
	// them.
	Priorities []qualify.Priority `json:"priorities,omitempty"`
	// People are who may get the leads (Person IDs); and Choose how one of
	// them is chosen.
	Pool
}

// Pool is a set of people and how one of them is chosen.
type Pool struct {
	People []string `json:"people,omitempty"`
	Choose Choice   `json:"choose,omitzero"`
}

// Choice is how a person is chosen among the eligible people of a pool.
//
// The zero value is ChooseLeastLoaded.
type Choice uint8

// The choices. Both are deterministic: the same rules and state give the
// same person.
const (
	// ChooseLeastLoaded: the person holding the fewest open leads; of
	// equals, the one who has waited longest since their last lead, then
	// the first in the pool's order.
	ChooseLeastLoaded Choice = iota
	// ChooseRoundRobin: the person who has waited longest since their last
	// lead (never given one first), then the first in the pool's order: a
	// turn each, whatever their loads; someone back from leave takes the
	// next turn.
	ChooseRoundRobin
)

var choiceTable = enum.Table[Choice]{Type: "choice", Names: []string{"least_loaded", "round_robin"}}

// String returns "least_loaded" or "round_robin".
func (c Choice) String() string { return choiceTable.Name(c) }

// MarshalText implements encoding.TextMarshaler.
func (c Choice) MarshalText() ([]byte, error) { return choiceTable.Marshal(c) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (c *Choice) UnmarshalText(b []byte) error { return choiceTable.Set(c, b) }

// Limits of rules.
const (
	MaxPeople      = 10_000  // people, teams and rules each
	MaxList        = 1_000   // entries of one list (a rule's people, countries, ...)
	MaxAway        = 100     // away periods of one person
	MaxSteps       = 10      // steps of the escalation ladder
	MaxRulesBytes  = 4 << 20 // the JSON form
	maxName        = 200     // bytes of an ID, a name, a value
	maxStepAfter   = 30 * 24 * time.Hour
	defaultLangKey = "language"
)

// ParseRules decodes rules from their JSON form strictly (unknown fields
// and trailing data are errors; at most MaxRulesBytes) and validates them
// as New does. Every problem is reported with the field it is in, and for
// the JSON's problems its line and column.
func ParseRules(data []byte) (Rules, error) {
	var r Rules
	if err := strictjson.DecodeLimit(data, &r, MaxRulesBytes); err != nil {
		return Rules{}, invalid(strictjson.Problems(err)...)
	}
	if _, err := compileRules(r); err != nil {
		return Rules{}, err
	}
	return r, nil
}

// Step is one rung of the escalation ladder: who is told, and how long
// after the response deadline.
type Step struct {
	To    Role          `json:"to"`
	After time.Duration `json:"after"`
}

type stepJSON struct {
	To    Role   `json:"to"`
	After string `json:"after,omitempty"`
}

// MarshalJSON writes After in the rule language's duration form ("30m").
func (s Step) MarshalJSON() ([]byte, error) {
	return json.Marshal(stepJSON{To: s.To, After: lead.FormatDuration(s.After)})
}

// UnmarshalJSON reads {"to": "team_lead", "after": "30m"}; a missing
// after is zero: at the deadline.
func (s *Step) UnmarshalJSON(b []byte) error {
	var j stepJSON
	if err := strictjson.Decode(b, &j); err != nil {
		return err
	}
	out := Step{To: j.To}
	if j.After != "" && j.After != "0" {
		d, err := lead.ParseDuration(j.After)
		if err != nil {
			return &lead.FieldError{Path: "after", Problem: err.Error(), Err: err}
		}
		out.After = d
	}
	*s = out
	return nil
}

// Role is a rung of the escalation ladder, resolved against the lead's
// owner.
//
// The zero value is RoleOwner.
type Role uint8

// The roles.
const (
	RoleOwner    Role = iota // the lead's owner
	RoleTeamLead             // the team lead of the owner's team
	RoleManager              // the manager of the owner's team
)

var roleTable = enum.Table[Role]{Type: "role", Names: []string{"owner", "team_lead", "manager"}}

// String returns "owner", "team_lead" or "manager".
func (r Role) String() string { return roleTable.Name(r) }

// MarshalText implements encoding.TextMarshaler.
func (r Role) MarshalText() ([]byte, error) { return roleTable.Marshal(r) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *Role) UnmarshalText(b []byte) error { return roleTable.Set(r, b) }

// DefaultLadder returns the default escalation ladder, a new slice on
// every call: the owner at the deadline, the team lead 30 minutes after
// it, the manager 2 hours after it.
//
// The seeds give the reason, not the figures: the odds of reaching a lead
// fall about a hundredfold between five and thirty minutes, so by thirty
// minutes past the deadline the owner has had the window that matters and
// someone who can re-plan the team's work should know; by two hours the
// lead has waited long enough for its loss to be a manager's concern, for
// "neglect is a grave sin" ("Stop Neglecting Sales Leads").
func DefaultLadder() []Step {
	return []Step{{To: RoleOwner}, {To: RoleTeamLead, After: 30 * time.Minute}, {To: RoleManager, After: 2 * time.Hour}}
}

// compiled is the immutable form of Rules the Assigner reads. People are
// numbered in the order of Rules.People.
type compiled struct {
	rules    Rules
	people   map[string]*Person
	index    map[string]int32 // person ID -> number
	persons  []*Person        // by number
	teams    map[string]*Team
	routes   []route
	onCall   route
	ladder   []Step
	langKey  string
	capacity int
}

// route is a compiled rule: its conditions as sets, upper- or lower-cased.
type route struct {
	name       string
	countries  []string // upper case
	products   []string // lower case
	languages  []string // lower case
	industries []string // lower case
	priorities []qualify.Priority
	people     []int32 // person numbers, in the pool's order
	choose     Choice
	quoted     string // the name, quoted, for reasons
	chooseText string // the choice in words
}

// problems collects the field problems of one validation.
type problems []*lead.FieldError

func (p *problems) add(path, format string, args ...any) {
	*p = append(*p, fieldError(path, fmt.Sprintf(format, args...)))
}

func fieldError(path, problem string) *lead.FieldError {
	return &lead.FieldError{Path: path, Problem: problem}
}

// Error is invalid input: rules, a configuration or a request, with every
// problem and the field it is in. errors.Is(err, ErrInvalid) holds, and
// errors.As finds each *lead.FieldError.
type Error struct {
	Problems []*lead.FieldError
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("assign: invalid input: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// Unwrap returns the problems, for errors.As.
func (e *Error) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p
	}
	return out
}

func invalid(ps ...*lead.FieldError) error { return &Error{Problems: ps} }

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return invalid(p...)
}

// text checks an ID, a name or a value: non-empty, short, one line of
// UTF-8.
func (p *problems) text(path, s string) bool {
	switch {
	case strings.TrimSpace(s) == "":
		p.add(path, "empty")
	case len(s) > maxName || !utf8.ValidString(s) || strings.ContainsAny(s, "\n\r\t"):
		p.add(path, "%q: at most %d bytes of UTF-8 on one line", clip(s), maxName)
	default:
		return true
	}
	return false
}

func clip(s string) string {
	if len(s) <= 40 {
		return s
	}
	return s[:40] + "..."
}

// list checks a list of values, returning them in the case given by fold.
func (p *problems) list(path string, vs []string, fold func(string) string) []string {
	if len(vs) > MaxList {
		p.add(path, "%d entries, more than %d", len(vs), MaxList)
		return nil
	}
	out := make([]string, 0, len(vs))
	for i, v := range vs {
		if p.text(fmt.Sprintf("%s[%d]", path, i), v) {
			out = append(out, fold(v))
		}
	}
	return out
}

// compileRules validates r and compiles it.
func compileRules(r Rules) (*compiled, error) {
	var p problems
	c := &compiled{
		rules:    r,
		people:   make(map[string]*Person, len(r.People)),
		index:    make(map[string]int32, len(r.People)),
		teams:    make(map[string]*Team, len(r.Teams)),
		langKey:  cmp.Or(r.LanguageField, defaultLangKey),
		capacity: r.Capacity,
		ladder:   r.Escalation,
	}
	if c.ladder == nil {
		c.ladder = DefaultLadder()
	}
	if r.Name != "" {
		p.text("name", r.Name)
	}
	if r.Capacity < 0 {
		p.add("capacity", "negative (%d)", r.Capacity)
	}
	p.text("language_field", c.langKey)

	switch n := len(r.People); {
	case n == 0:
		p.add("people", "none: at least one person owns leads")
	case n > MaxPeople:
		p.add("people", "%d people, more than %d", n, MaxPeople)
	}
	if len(r.Teams) > MaxPeople {
		p.add("teams", "%d teams, more than %d", len(r.Teams), MaxPeople)
	}
	switch n := len(r.Rules); {
	case n == 0:
		p.add("rules", "none: at least one rule routes leads (a rule without conditions takes every lead)")
	case n > MaxPeople:
		p.add("rules", "%d rules, more than %d", n, MaxPeople)
	}
	if len(r.People) > MaxPeople || len(r.Teams) > MaxPeople || len(r.Rules) > MaxPeople {
		return nil, p.err() // too large to check further
	}

	for i := range r.Teams {
		t := &r.Teams[i]
		f := fmt.Sprintf("teams[%d]", i)
		if p.text(f+".id", t.ID) {
			if c.teams[t.ID] != nil {
				p.add(f+".id", "team %q declared twice", clip(t.ID))
			}
			c.teams[t.ID] = t
		}
	}
	for i := range r.People {
		pe := &r.People[i]
		f := fmt.Sprintf("people[%d]", i)
		if p.text(f+".id", pe.ID) {
			if c.people[pe.ID] != nil {
				p.add(f+".id", "person %q declared twice", clip(pe.ID))
			} else {
				c.index[pe.ID] = int32(len(c.persons))
				c.persons = append(c.persons, pe)
			}
			c.people[pe.ID] = pe
		}
		if pe.Team != "" && c.teams[pe.Team] == nil {
			p.add(f+".team", "unknown team %q", clip(pe.Team))
		}
		if pe.Capacity < 0 {
			p.add(f+".capacity", "negative (%d)", pe.Capacity)
		}
		if len(pe.Away) > MaxAway {
			p.add(f+".away", "%d periods, more than %d", len(pe.Away), MaxAway)
		}
		for j, a := range pe.Away {
			af := fmt.Sprintf("%s.away[%d]", f, j)
			switch {
			case a.From.IsZero() || a.Until.IsZero():
				p.add(af, "from and until are both required")
			case !a.From.Before(a.Until):
				p.add(af, "from %s is not before until %s", a.From.Format(time.RFC3339), a.Until.Format(time.RFC3339))
			}
		}
	}
	for i, t := range r.Teams {
		f := fmt.Sprintf("teams[%d]", i)
		if t.Lead != "" && c.people[t.Lead] == nil {
			p.add(f+".lead", "unknown person %q", clip(t.Lead))
		}
		if t.Manager != "" && c.people[t.Manager] == nil {
			p.add(f+".manager", "unknown person %q", clip(t.Manager))
		}
	}

	names := map[string]bool{}
	for i, ru := range r.Rules {
		f := fmt.Sprintf("rules[%d]", i)
		rt := route{name: ru.Name, choose: ru.Choose, quoted: strconv.Quote(ru.Name), chooseText: strings.ReplaceAll(ru.Choose.String(), "_", " ")}
		if p.text(f+".name", ru.Name) {
			if names[ru.Name] {
				p.add(f+".name", "rule %q declared twice", clip(ru.Name))
			}
			names[ru.Name] = true
		}
		rt.countries = p.list(f+".countries", ru.Countries, strings.ToUpper)
		for j, co := range ru.Countries {
			if !lead.ValidCountry(strings.ToUpper(co)) {
				p.add(fmt.Sprintf("%s.countries[%d]", f, j), "%q is not an ISO 3166-1 alpha-2 code", clip(co))
			}
		}
		rt.products = p.list(f+".products", ru.Products, strings.ToLower)
		rt.languages = p.list(f+".languages", ru.Languages, strings.ToLower)
		rt.industries = p.list(f+".industries", ru.Industries, strings.ToLower)
		for j, pr := range ru.Priorities {
			if !pr.Valid() || pr == qualify.PriorityNone {
				p.add(fmt.Sprintf("%s.priorities[%d]", f, j), "%q is not a priority of sales work (need, review, qualified, pipeline)", pr)
			}
		}
		rt.priorities = slices.Clone(ru.Priorities)
		rt.people = c.pool(&p, f, ru.Pool, true)
		c.routes = append(c.routes, rt)
	}
	if len(r.OnCall.People) > 0 || r.OnCall.Choose != ChooseLeastLoaded {
		c.onCall = route{name: "on call", people: c.pool(&p, "on_call", r.OnCall, true), choose: r.OnCall.Choose,
			chooseText: strings.ReplaceAll(r.OnCall.Choose.String(), "_", " ")}
	}

	if len(c.ladder) > MaxSteps {
		p.add("escalation", "%d steps, more than %d", len(c.ladder), MaxSteps)
	}
	if r.Escalation != nil && len(r.Escalation) == 0 {
		p.add("escalation", "empty: leave it out for the default ladder")
	}
	var reaches [3]bool
	for i, s := range c.ladder {
		f := fmt.Sprintf("escalation[%d]", i)
		switch {
		case !roleTable.Valid(s.To):
			p.add(f+".to", "unknown role %d", uint8(s.To))
			continue
		case s.After < 0 || s.After > maxStepAfter:
			p.add(f+".after", "%s is outside 0 to 30 days", s.After)
		case i > 0 && s.After < c.ladder[i-1].After:
			p.add(f+".after", "%s comes before the step above it (%s): the ladder climbs in time", s.After, c.ladder[i-1].After)
		}
		reaches[s.To] = true
	}
	if reaches[RoleTeamLead] || reaches[RoleManager] {
		for i, pe := range r.People {
			if pe.Team == "" {
				p.add(fmt.Sprintf("people[%d].team", i), "required: the escalation ladder reaches above the owner")
			}
		}
		for i, t := range r.Teams {
			if reaches[RoleTeamLead] && t.Lead == "" {
				p.add(fmt.Sprintf("teams[%d].lead", i), "required: the escalation ladder reaches the team lead")
			}
			if reaches[RoleManager] && t.Manager == "" {
				p.add(fmt.Sprintf("teams[%d].manager", i), "required: the escalation ladder reaches the manager")
			}
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// pool checks a pool's people and numbers them.
func (c *compiled) pool(p *problems, f string, pl Pool, required bool) []int32 {
	if !choiceTable.Valid(pl.Choose) {
		p.add(f+".choose", "unknown choice %d", uint8(pl.Choose))
	}
	if required && len(pl.People) == 0 {
		p.add(f+".people", "none: name who may get the leads")
	}
	if len(pl.People) > MaxList {
		p.add(f+".people", "%d people, more than %d", len(pl.People), MaxList)
		return nil
	}
	seen := map[string]bool{}
	out := make([]int32, 0, len(pl.People))
	for j, id := range pl.People {
		pf := fmt.Sprintf("%s.people[%d]", f, j)
		switch {
		case c.people[id] == nil:
			p.add(pf, "unknown person %q", clip(id))
		case seen[id]:
			p.add(pf, "%q listed twice", clip(id))
		default:
			out = append(out, c.index[id])
		}
		seen[id] = true
	}
	return out
}

// capacityOf returns the capacity of person number i: their own, else
// the rules'; 0 is no limit.
func (c *compiled) capacityOf(i int32) int {
	if pe := c.persons[i]; pe.Capacity > 0 {
		return pe.Capacity
	}
	return c.capacity
}

// away returns the period person number i is away at now, if any.
func (c *compiled) away(i int32, now time.Time) (Period, bool) {
	for _, a := range c.persons[i].Away {
		if a.Contains(now) {
			return a, true
		}
	}
	return Period{}, false
}
