package assign

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// Config configures an [Assigner]. Each field documents its default; New
// fills them in one place and validates the result, naming any offending
// field.
type Config struct {
	// Rules are who may own which leads. Required: at least one person and
	// one rule.
	Rules Rules
	// Vocabulary is the qualify policy's (Policy.Vocabulary()): whether
	// need outside the team's response hours is answered on call
	// (Settings.OffHours) and so goes to Rules.OnCall. Required.
	Vocabulary *qualify.Vocabulary
	// Retries is how many times Assign or Escalate starts again when a
	// concurrent writer changed the state between its read and its write
	// (another assignment took the last place of an owner's capacity, or
	// recorded the same lead first). Default 8; 1 to 100.
	Retries int
}

// Assigner gives leads owners by the host's rules, over the host's
// [State], and escalates need that is not answered in time. Create it
// with [New]; it holds no state of its own beyond its compiled rules, is
// immutable, and is safe for concurrent use, by any number of processes
// sharing one State. Every method takes the time from its caller.
//
// Assignment is deterministic: the same rules, the same state and the same
// request give the same owner and the same reason.
type Assigner struct {
	state   State
	c       *compiled
	vocab   *qualify.Vocabulary
	retries int
	pool    sync.Pool // of *scratch
}

// New compiles cfg.Rules and returns an Assigner over state. Invalid rules
// or configuration are an *Error naming every offending field
// (errors.Is(err, ErrInvalid)).
func New(state State, cfg Config) (*Assigner, error) {
	cfg.Retries = cmp.Or(cfg.Retries, 8)
	var p problems
	if state == nil {
		p.add("state", "nil: pass a State (NewMemState() in memory)")
	}
	if cfg.Vocabulary == nil {
		p.add("Vocabulary", "required: pass the qualify policy's Vocabulary(), so that assignment and the policy agree on the response hours")
	}
	if cfg.Retries < 1 || cfg.Retries > 100 {
		p.add("Retries", "%d is outside 1 to 100", cfg.Retries)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	c, err := compileRules(cloneRules(cfg.Rules))
	if err != nil {
		return nil, err
	}
	return &Assigner{state: state, c: c, vocab: cfg.Vocabulary, retries: cfg.Retries}, nil
}

// cloneRules copies r deeply enough that the host may change its own.
func cloneRules(r Rules) Rules {
	r.People = slices.Clone(r.People)
	for i := range r.People {
		r.People[i].Away = slices.Clone(r.People[i].Away)
	}
	r.Teams = slices.Clone(r.Teams)
	r.Rules = slices.Clone(r.Rules)
	for i := range r.Rules {
		ru := &r.Rules[i]
		ru.Countries, ru.Products = slices.Clone(ru.Countries), slices.Clone(ru.Products)
		ru.Languages, ru.Industries = slices.Clone(ru.Languages), slices.Clone(ru.Industries)
		ru.Priorities, ru.People = slices.Clone(ru.Priorities), slices.Clone(ru.People)
	}
	r.OnCall.People = slices.Clone(r.OnCall.People)
	r.Escalation = slices.Clone(r.Escalation)
	return r
}

// Rules returns a copy of the rules in force.
func (a *Assigner) Rules() Rules { return cloneRules(a.c.rules) }

// Request is a lead to assign, with what the host knows of it.
type Request struct {
	// Lead is the lead. Required, with an ID.
	Lead *lead.Lead
	// Decision, when set, is the qualify decision on the lead: rules may
	// route by its Priority; the product of its need activity decides the
	// rules' Products; and need outside the team's hours, under a policy
	// that answers it on call, goes to the on-call people.
	Decision *qualify.Decision
	// AccountOwner is the owner of the account the lead's company is,
	// when the host knows one: the relationship comes first, and that
	// person gets the lead if they are among the people, present and
	// under capacity.
	AccountOwner string
}

// Result is the outcome of [Assigner.Assign].
type Result struct {
	Assignment
	// Existing reports that the lead was already assigned: the record is
	// returned as it was, and nothing changed.
	Existing bool `json:"existing,omitempty"`
}

// Assign gives the lead of req an owner as of now and records it in the
// State, or returns the assignment it already has (Result.Existing):
// calling it again is harmless.
//
// The owner is, in order of precedence:
//
//  1. the account's owner (Request.AccountOwner), then the lead's own
//     owner (lead.Lead.Owner), when they are among the people, not away
//     and under capacity: relationships come first;
//  2. the on-call people (Rules.OnCall), for need that arrived outside the
//     team's response hours under a policy that answers it on call;
//  3. the people of the first rule that matches the lead and has an
//     eligible person (not away at now, under capacity), chosen by the
//     rule's Choice.
//
// Assignment.Reason says which, with the candidates' loads and who was
// passed over and why. When no one is eligible the error wraps ErrNoOwner
// and says why, person by person; nothing is recorded. A concurrent
// assignment that takes the last place of an owner's capacity, or records
// the same lead first, makes Assign start again (Config.Retries times,
// then ErrContention). Errors of the State are returned wrapped.
func (a *Assigner) Assign(ctx context.Context, req Request, now time.Time) (Result, error) {
	l := req.Lead
	var p problems
	switch {
	case l == nil:
		p.add("lead", "nil")
	case l.ID == "":
		p.add("lead.id", "empty")
	}
	if now.IsZero() {
		p.add("now", "zero: pass the time of the assignment")
	}
	if err := p.err(); err != nil {
		return Result{}, err
	}
	for range a.retries {
		got, err := a.state.Get(ctx, l.ID)
		switch {
		case err == nil:
			return Result{Assignment: got, Existing: true}, nil
		case !errors.Is(err, ErrNotFound):
			return Result{}, fmt.Errorf("assign: lead %q: %w", l.ID, err)
		}
		ch, err := a.choose(ctx, &req, now)
		if err != nil {
			return Result{}, err
		}
		rec := Assignment{Lead: l.ID, Owner: ch.owner, Basis: ch.basis, Rule: ch.rule, Reason: ch.reason, At: now}
		stored, err := a.state.Put(ctx, rec, 0, a.c.capacityOf(ch.person))
		switch {
		case err == nil:
			return Result{Assignment: stored}, nil
		case errors.Is(err, ErrStale), errors.Is(err, ErrFull):
			continue // another writer got there first: look again
		default:
			return Result{}, fmt.Errorf("assign: lead %q: %w", l.ID, err)
		}
	}
	return Result{}, fmt.Errorf("assign: lead %q: %d attempts: %w", l.ID, a.retries, ErrContention)
}

// Release removes the lead's assignment, freeing a place of its owner's
// capacity: call it when the lead closes (won, lost, recycled,
// disqualified) or before assigning it anew. A lead without one is
// ErrNotFound.
func (a *Assigner) Release(ctx context.Context, leadID string) error {
	if err := a.state.Delete(ctx, leadID, 0); err != nil {
		return fmt.Errorf("assign: release lead %q: %w", leadID, err)
	}
	return nil
}

// choice is the owner chosen for a request, before it is recorded.
type choice struct {
	owner, rule, reason string
	person              int32
	basis               Basis
}

// facts are what the rules' conditions read of a lead.
type facts struct {
	country, language, industry string
	needProduct                 string   // lower case; "" when unknown
	needLine                    string   // the policy's product line of the need, lower case
	products                    []string // lower case: products, topics, and their product lines
	priority                    qualify.Priority
	hasDecision                 bool
}

func (a *Assigner) facts(req *Request, products []string) facts {
	l := req.Lead
	f := facts{
		country:  upper(l.Company.Country),
		industry: strings.ToLower(l.Company.Industry),
		products: products[:0],
	}
	if s, ok := l.Fields[a.c.langKey].(string); ok {
		f.language = strings.ToLower(s)
	}
	// A rule's products may name the policy's product lines as well as
	// products: a product counts as its line too.
	lineOf := func(product string) string {
		if line, ok := a.vocab.Line(product); ok {
			return strings.ToLower(line)
		}
		return ""
	}
	if d := req.Decision; d != nil {
		f.priority, f.hasDecision = d.Priority, true
		f.needLine = strings.ToLower(d.Line) // the decision of one line is about that line
		if d.NeedKind != "" {
			for i := range l.Activities {
				if x := &l.Activities[i]; x.Kind == d.NeedKind && x.At.Equal(d.NeedAt) && x.Product != "" {
					f.needProduct = strings.ToLower(x.Product)
					if f.needLine == "" {
						f.needLine = lineOf(x.Product)
					}
					break
				}
			}
		}
	}
	if f.needProduct == "" && f.needLine == "" {
		add := func(pr string) {
			f.products = append(f.products, strings.ToLower(pr))
			if line := lineOf(pr); line != "" {
				f.products = append(f.products, line)
			}
		}
		for i := range l.Activities {
			if pr := l.Activities[i].Product; pr != "" {
				add(pr)
			}
		}
		for _, in := range l.Interests {
			if in.Topic != "" {
				add(in.Topic)
			}
		}
	}
	return f
}

// upper returns s in upper case, without allocating when it already is.
func upper(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'a' <= c && c <= 'z' || c >= 0x80 {
			return strings.ToUpper(s)
		}
	}
	return s
}

// matches reports whether r's conditions hold for f.
func (r *route) matches(f *facts) bool {
	if len(r.countries) > 0 && !slices.Contains(r.countries, f.country) {
		return false
	}
	if len(r.products) > 0 && r.product(f) == "" {
		return false
	}
	if len(r.languages) > 0 && r.language(f) == "" {
		return false
	}
	if len(r.industries) > 0 && !slices.Contains(r.industries, f.industry) {
		return false
	}
	if len(r.priorities) > 0 && (!f.hasDecision || !slices.Contains(r.priorities, f.priority)) {
		return false
	}
	return true
}

// product returns the lead's product, or product line, that r names, or
// "".
func (r *route) product(f *facts) string {
	if f.needProduct != "" || f.needLine != "" {
		switch {
		case f.needProduct != "" && slices.Contains(r.products, f.needProduct):
			return f.needProduct
		case f.needLine != "" && slices.Contains(r.products, f.needLine):
			return f.needLine
		}
		return ""
	}
	for _, p := range f.products {
		if slices.Contains(r.products, p) {
			return p
		}
	}
	return ""
}

// language returns the lead's language when r names it, or a language it
// is a regional form of; else "".
func (r *route) language(f *facts) string {
	for _, tag := range r.languages {
		if f.language == tag || len(f.language) > len(tag) && strings.HasPrefix(f.language, tag) && f.language[len(tag)] == '-' {
			return f.language
		}
	}
	return ""
}

// appendWhy appends how r's conditions hold for f, for the reason:
// "country GB, product fleetinsight".
func (r *route) appendWhy(b []byte, f *facts) []byte {
	sep := ""
	item := func(label, value string) {
		b = append(b, sep...)
		b = append(b, label...)
		b = append(b, value...)
		sep = ", "
	}
	if len(r.countries) > 0 {
		item("country ", f.country)
	}
	if len(r.products) > 0 {
		item("product ", r.product(f))
	}
	if len(r.languages) > 0 {
		item("language ", f.language)
	}
	if len(r.industries) > 0 {
		item("industry ", f.industry)
	}
	if len(r.priorities) > 0 {
		item("", f.priority.String())
	}
	return b
}

// conditions reports whether r has any condition.
func (r *route) conditions() bool {
	return len(r.countries)+len(r.products)+len(r.languages)+len(r.industries)+len(r.priorities) > 0
}

// onCall reports whether the request is need that arrived outside the
// team's response hours under a policy that answers it on call.
func (a *Assigner) onCall(req *Request) bool {
	d := req.Decision
	return len(a.c.onCall.people) > 0 && a.vocab.OffHours() == qualify.OffHoursOnCall &&
		d != nil && d.Priority == qualify.PriorityNeed && d.OutsideHours
}

// scratch is the working memory of one choice, pooled: the people whose
// loads are read, by number, and where each is in the list.
type scratch struct {
	gen      uint32
	stamp    []uint32 // per person: gen when listed
	pos      []int32  // per person: position in ids
	ids      []string
	hits     []*route
	products []string
	loads    []Load
	first    []int32
	reason   []byte
}

func (a *Assigner) scratch() *scratch {
	if sc, ok := a.pool.Get().(*scratch); ok {
		return sc
	}
	n := len(a.c.persons)
	return &scratch{stamp: make([]uint32, n), pos: make([]int32, n)}
}

func (a *Assigner) release(sc *scratch) {
	clear(sc.products) // the lead's strings: do not keep them alive
	sc.ids, sc.hits, sc.products = sc.ids[:0], sc.hits[:0], sc.products[:0]
	a.pool.Put(sc)
}

// list adds person number i to the people whose loads are read.
func (sc *scratch) list(c *compiled, i int32) {
	if sc.stamp[i] != sc.gen {
		sc.stamp[i], sc.pos[i] = sc.gen, int32(len(sc.ids))
		sc.ids = append(sc.ids, c.persons[i].ID)
	}
}

// topShown is how many candidates a reason lists.
const topShown = 5

// choose picks the owner of a request from the rules and the loads.
func (a *Assigner) choose(ctx context.Context, req *Request, now time.Time) (choice, error) {
	sc := a.scratch()
	defer a.release(sc)
	sc.gen++
	if sc.gen == 0 { // wrapped: forget every stamp
		clear(sc.stamp)
		sc.gen = 1
	}
	f := a.facts(req, sc.products)
	sc.products = f.products
	for i := range a.c.routes {
		if a.c.routes[i].matches(&f) {
			sc.hits = append(sc.hits, &a.c.routes[i])
		}
	}
	onCall := a.onCall(req)

	// The loads are read in as few calls as the choice needs: the account
	// owner, the lead's owner, the on-call people and the first matching
	// rule's people at once; a later rule's people only when the rules
	// before it had no one eligible.
	c := a.c
	account, hasAccount := c.index[req.AccountOwner]
	own, hasOwn := c.index[req.Lead.Owner]
	sc.loads = sc.loads[:0]
	fetch := func(people []int32) error {
		from := len(sc.ids)
		for _, i := range people {
			sc.list(c, i)
		}
		if len(sc.ids) == from {
			return nil
		}
		got, err := a.state.Loads(ctx, sc.ids[from:], sc.loads)
		if err != nil {
			return fmt.Errorf("assign: lead %q: loads: %w", req.Lead.ID, err)
		}
		if len(got) != len(sc.ids) {
			return fmt.Errorf("assign: lead %q: the state returned %d loads for %d owners", req.Lead.ID, len(got)-len(sc.loads), len(sc.ids)-from)
		}
		sc.loads = got
		return nil
	}
	first := sc.first[:0]
	if hasAccount {
		first = append(first, account)
	}
	if hasOwn {
		first = append(first, own)
	}
	if onCall {
		first = append(first, c.onCall.people...)
	}
	if len(sc.hits) > 0 {
		first = append(first, sc.hits[0].people...)
	}
	sc.first = first
	if err := fetch(first); err != nil {
		return choice{}, err
	}
	load := func(i int32) Load { return sc.loads[sc.pos[i]] }

	var passed []string // who was passed over, and why
	for _, o := range []struct {
		id, what string
		i        int32
		known    bool
		basis    Basis
	}{{req.AccountOwner, "account owner", account, hasAccount, BasisAccount}, {req.Lead.Owner, "owner", own, hasOwn, BasisOwner}} {
		if o.id == "" || o.basis == BasisOwner && o.id == req.AccountOwner {
			continue
		}
		if !o.known {
			passed = append(passed, fmt.Sprintf("%s %s is not among the people", o.what, clip(o.id)))
			continue
		}
		ld := load(o.i)
		if why := a.ineligible(o.i, ld, now); why != "" {
			passed = append(passed, fmt.Sprintf("%s %s %s", o.what, o.id, why))
			continue
		}
		reason := fmt.Sprintf("%s %s (%d open)", o.what, o.id, ld.Open)
		if o.basis == BasisOwner {
			reason = fmt.Sprintf("kept by its owner %s (%d open)", o.id, ld.Open)
		}
		return choice{owner: o.id, person: o.i, basis: o.basis, reason: joinPassed(reason, passed)}, nil
	}

	pools := sc.hits
	if onCall {
		pools = append([]*route{&c.onCall}, pools...)
	}
	for _, r := range pools {
		if err := fetch(r.people); err != nil {
			return choice{}, err
		}
		// The best topShown eligible people, best first; equals keep the
		// pool's order.
		var top [topShown]Load
		var topN [topShown]int32
		n, eligible := 0, 0
		var skipped []string
		for _, i := range r.people {
			ld := load(i)
			if why := a.ineligible(i, ld, now); why != "" {
				skipped = append(skipped, ld.Owner+" "+why)
				continue
			}
			eligible++
			at := n
			for at > 0 && r.better(ld, top[at-1]) {
				at--
			}
			if at == topShown {
				continue
			}
			if n < topShown {
				n++
			}
			copy(top[at+1:n], top[at:n-1])
			copy(topN[at+1:n], topN[at:n-1])
			top[at], topN[at] = ld, i
		}
		b := sc.reason[:0]
		basis := BasisOnCall
		if r == &c.onCall {
			b = append(b, "need outside the team's hours, on call"...)
		} else {
			basis = BasisRule
			b = append(b, "rule "...)
			b = append(b, r.quoted...)
			if r.conditions() {
				b = append(b, " ("...)
				b = r.appendWhy(b, &f)
				b = append(b, ')')
			}
		}
		sc.reason = b
		if eligible == 0 {
			passed = append(passed, string(b)+": "+strings.Join(skipped, ", "))
			continue
		}
		b = append(b, ": "...)
		b = append(b, r.chooseText...)
		if eligible > 1 {
			b = append(b, " of "...)
			b = strconv.AppendInt(b, int64(eligible), 10)
		}
		b = append(b, ": "...)
		for j := range n {
			if j > 0 {
				b = append(b, ", "...)
			}
			b = append(b, top[j].Owner...)
			b = append(b, ' ')
			b = strconv.AppendInt(b, int64(top[j].Open), 10)
			b = append(b, " open"...)
		}
		if eligible > n {
			b = append(b, ", and "...)
			b = strconv.AppendInt(b, int64(eligible-n), 10)
			b = append(b, " more"...)
		}
		if len(skipped) > 0 {
			b = append(b, "; passed over "...)
			b = append(b, strings.Join(skipped, ", ")...)
		}
		sc.reason = b
		ch := choice{owner: top[0].Owner, person: topN[0], basis: basis, reason: joinPassed(string(b), passed)}
		if basis == BasisRule {
			ch.rule = r.name
		}
		return ch, nil
	}

	why := "no rule matches the lead"
	if len(sc.hits) > 0 || onCall {
		why = "everyone eligible is away or at capacity"
	}
	if len(passed) > 0 {
		why += ": " + strings.Join(passed, "; ")
	}
	return choice{}, fmt.Errorf("assign: lead %q: %w: %s", req.Lead.ID, ErrNoOwner, why)
}

// better reports whether x comes before y under r's choice: the fewest
// open leads then the longest wait since the last lead (least loaded), or
// the longest wait (round robin).
func (r *route) better(x, y Load) bool {
	if r.choose == ChooseRoundRobin {
		return x.Last < y.Last
	}
	return compareLoads(x, y) < 0
}

// ineligible says why person number i cannot take a lead at now: away, or
// at capacity; "" when they can.
func (a *Assigner) ineligible(i int32, ld Load, now time.Time) string {
	if p, ok := a.c.away(i, now); ok {
		return "away until " + p.Until.UTC().Format("2 Jan 2006 15:04 MST")
	}
	if c := a.c.capacityOf(i); c > 0 && ld.Open >= c {
		return fmt.Sprintf("at capacity (%d of %d)", ld.Open, c)
	}
	return ""
}

// joinPassed adds to a reason who was passed over before it was reached.
func joinPassed(reason string, passed []string) string {
	if len(passed) == 0 {
		return reason
	}
	return reason + " (before it: " + strings.Join(passed, "; ") + ")"
}

// compareLoads orders loads for least-loaded choice: fewest open, then the
// longest since their last lead.
func compareLoads(a, b Load) int {
	return cmp.Or(cmp.Compare(a.Open, b.Open), cmp.Compare(a.Last, b.Last))
}
