package qualify

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/expr-lang/expr/vm"
	"github.com/leadqual/leadqual/lead"
)

// state is the scratch space of one evaluation. A Policy keeps a pool of
// them, so that an evaluation allocates nothing beyond its Decision.
type state struct {
	p   *Policy
	l   *lead.Lead // the lead being evaluated
	now time.Time

	// The environment of the VM programs, filled when the first of them
	// runs in an evaluation (see fillEnv): a policy whose rules all run on
	// the fast path never fills it.
	vm       vm.VM
	env      map[string]any
	envReady bool
	// acts is the list of activities the VM sees, when some are after now
	// (see views.go).
	acts []any

	// The typed slots (see aggPlan) and the newest activity of each
	// tracked kind.
	ints    []int
	bools   []bool
	durs    []time.Duration
	cuts    []int64 // per count window: now minus the window, in nanoseconds
	lastIdx []int32 // per tracked kind: the newest activity, or -1
	lastN   []int64 // its time in nanoseconds
	// The newest fresh need and interest activities, or -1, and the number
	// of activities after now.
	lastNeed, lastInterest, future int

	matched  []int32    // rules that matched
	points   []float64  // the points each of them added
	unjudged []Unjudged // a buffer for Decision.Unjudged
	// into is the Unjudged list of the Decision EvaluateInto writes over,
	// reused for the new one; nil otherwise, and after its first use.
	into []Unjudged

	meter meter // the guard of the VM programs (guard.go)
	fault error // a fault of the fast path (fast.go)

	lineState // product lines and accounts: lines.go, account.go
}

func (p *Policy) newState() *state {
	a := &p.agg
	st := &state{
		p:       p,
		env:     make(map[string]any, len(p.vars)+len(p.envSlots)+len(p.guards)+3),
		ints:    make([]int, a.nInts),
		bools:   make([]bool, a.nBools),
		durs:    make([]time.Duration, a.nDurs),
		cuts:    make([]int64, len(a.windows)),
		lastIdx: make([]int32, a.tracked),
		lastN:   make([]int64, a.tracked),
		matched: make([]int32, 0, len(p.rules)),
		points:  make([]float64, 0, len(p.rules)),
	}
	st.vm.MemoryBudget = uint(p.limits.MemoryBudget)
	st.scores = make([]float64, scoreNamed+len(p.scoring.named))
	if len(p.guards) > 0 {
		fns := st.meter.guards()
		for name, fn := range st.viewFuncs() {
			fns[name] = fn
		}
		for _, name := range p.guards {
			st.env[name] = fns[name]
		}
	}
	return st
}

// Evaluate judges a lead against the policy at the policy's clock (see
// WithClock; time.Now by default). It is EvaluateAt(ctx, p, l, now).
func Evaluate(ctx context.Context, p *Policy, l *lead.Lead) (Decision, error) {
	if p == nil {
		return Decision{}, ErrNilPolicy
	}
	return EvaluateAt(ctx, p, l, p.clock())
}

// EvaluateAt judges a lead against the policy as of `now`: activities after
// `now` are ignored, freshness windows end at `now`, and the same policy,
// lead and `now` always give the same Decision.
//
// The rules run in order. ctx is checked between rules and, by the guard,
// within them: a cancelled evaluation stops within about a tenth of a
// millisecond of work, and returns ctx's error. A rule that fails
// at run time makes EvaluateAt return a *RuleError (errors.Is(err,
// ErrRule)), unless the policy says OnErrorSkip. A lead beyond the policy's
// Limits is refused with a *LimitError (errors.Is(err, ErrLimit)) before
// any rule runs. EvaluateAt never panics and never modifies the lead; it
// allocates the Decision's list of matched rules and, in the common case,
// nothing else.
func EvaluateAt(ctx context.Context, p *Policy, l *lead.Lead, now time.Time) (d Decision, err error) {
	err = EvaluateInto(ctx, p, l, now, &d) // a zero Decision: nothing to reuse
	return d, err
}

// EvaluateInto is EvaluateAt writing the Decision into *d, and reusing the
// memory of d's lists of matched and unjudged rules and of its named
// scores: a loop that judges one lead at a time and is done with each
// Decision before the next (writing it with [Decision.AppendJSON], say)
// allocates nothing for the decisions in the common case. Everything else
// of *d is replaced; on an error *d is the zero Decision.
//
// The Decision written shares its Matched and Unjudged lists and its
// Scores map with the *d of the previous call: a Decision kept beyond the
// next call must be copied first ([Decision.Clone]). Where decisions are
// kept, use EvaluateAt.
func EvaluateInto(ctx context.Context, p *Policy, l *lead.Lead, now time.Time, d *Decision) error {
	if d == nil {
		return ErrNilDecision
	}
	if p == nil || l == nil {
		*d = Decision{}
		if p == nil {
			return ErrNilPolicy
		}
		return ErrNilLead
	}
	matched, scores, unjudged := d.Matched[:0], d.Scores, d.Unjudged[:0]
	clear(scores)
	*d = Decision{Matched: matched, Scores: scores}
	st := p.pool.Get().(*state)
	st.into = unjudged
	ok, err := p.judge(ctx, st, l, now, d)
	if ok {
		p.release(st)
	}
	return err
}

// judge is EvaluateAt with st, into *d (zero on an error). ok is false when
// it recovered from a panic: a bug, not bad input, reported without taking
// the host down; st is then left half-way, and must not be reused.
func (p *Policy) judge(ctx context.Context, st *state, l *lead.Lead, now time.Time, d *Decision) (ok bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			*d = Decision{}
			ok, err = false, fmt.Errorf("qualify: internal error evaluating lead %q: %v", l.ID, r)
		}
	}()
	if err := p.evaluate(ctx, st, l, now, d); err != nil {
		*d = Decision{}
		return true, err
	}
	if len(p.vocab.lines.names) == 0 {
		return true, nil
	}
	if d.Lines, err = p.evaluateLines(ctx, st, l, now, nil, nil); err != nil {
		*d = Decision{}
		return true, err
	}
	return true, nil
}

// run evaluates one lead, or one view of a lead, with st.
func (p *Policy) run(ctx context.Context, st *state, l *lead.Lead, now time.Time) (Decision, error) {
	var d Decision
	if err := p.evaluate(ctx, st, l, now, &d); err != nil {
		return Decision{}, err
	}
	return d, nil
}

func (p *Policy) release(st *state) {
	// Drop references to the lead so the pool does not keep it alive.
	st.l, st.fault, st.into = nil, nil, nil
	st.meter.ctx, st.meter.done = nil, nil
	st.floor, st.pass, st.acct, st.accFloors = 0, passAll, nil, nil
	clear(st.lineActs[:cap(st.lineActs)])
	clear(st.lineInts[:cap(st.lineInts)])
	if st.envReady {
		for _, v := range p.vars {
			st.env[v.name] = nil
		}
		if p.needActivities {
			clear(st.acts)
			st.env[varActivities] = nil
		}
		if p.needInterests {
			st.env[varInterests] = nil
		}
		st.envReady = false
	}
	p.pool.Put(st)
}

// prepare checks l against the policy's limits and runs the aggregate
// plan over it: everything an evaluation does before the first rule. It
// returns the error Evaluate returns.
func (p *Policy) prepare(ctx context.Context, st *state, l *lead.Lead, now time.Time) error {
	done := ctx.Done()
	st.l, st.now, st.envReady = l, now, false
	st.meter.reset(ctx, done)
	err := p.checkLead(l)
	if err == nil {
		err = p.aggregate(st, l, now, done)
	}
	if err == nil {
		err = p.checkCollections(done, l)
	}
	switch {
	case err == nil:
		return nil
	case err == errStopped:
		return p.stopped(l, context.Cause(ctx))
	}
	return fmt.Errorf("qualify: %w", err)
}

// checkLead refuses a lead beyond the policy's limits in its counts and its
// own text fields. The text of its activities is checked by the aggregate
// pass (checkActivity), its interests and custom fields after it
// (checkCollections): together, what the cost estimates of the rules
// assume, checked before any rule runs.
func (p *Policy) checkLead(l *lead.Lead) error {
	lim := &p.limits
	if n := len(l.Activities); n > lim.MaxActivities {
		return &LimitError{Limit: "MaxActivities", Max: lim.MaxActivities, Got: n, Where: "lead " + clip(l.ID) + " activities", Path: "activities"}
	}
	if n := len(l.Interests); n > lim.MaxInterests {
		return &LimitError{Limit: "MaxInterests", Max: lim.MaxInterests, Got: n, Where: "lead " + clip(l.ID) + " interests", Path: "interests"}
	}
	c, co := &l.Contact, &l.Company
	if max(len(l.ID), len(l.Source), len(l.Owner), len(l.LostReason), len(c.Name), len(c.Email), len(c.Phone),
		len(c.Title), len(c.TimeZone), len(co.Name), len(co.Domain), len(co.Industry), len(co.Country)) <= lim.MaxTextBytes {
		return nil
	}
	for _, f := range [...]struct {
		name, v string
	}{
		{"id", l.ID}, {"source", l.Source}, {"owner", l.Owner}, {"lost_reason", string(l.LostReason)},
		{"contact.name", c.Name}, {"contact.email", c.Email}, {"contact.phone", c.Phone},
		{"contact.title", c.Title}, {"contact.time_zone", c.TimeZone},
		{"company.name", co.Name}, {"company.domain", co.Domain},
		{"company.industry", co.Industry}, {"company.country", co.Country},
	} {
		if len(f.v) > lim.MaxTextBytes {
			return &LimitError{Limit: "MaxTextBytes", Max: lim.MaxTextBytes, Got: len(f.v), Where: "lead " + clip(l.ID) + " " + f.name, Path: f.name}
		}
	}
	return nil
}

// checkLimits is every check of prepare without the aggregate pass: for
// callers that must refuse a lead before anything of a batch runs (an
// account's contacts). done is looked at every 256 activities.
func (p *Policy) checkLimits(done <-chan struct{}, l *lead.Lead) error {
	if err := p.checkLead(l); err != nil {
		return err
	}
	for i := range l.Activities {
		if err := p.checkActivity(l, i); err != nil {
			return err
		}
		if i&255 == 255 && done != nil {
			select {
			case <-done:
				return errStopped
			default:
			}
		}
	}
	return p.checkCollections(done, l)
}

// checkActivity refuses activity i of l when a text of it is beyond
// MaxTextBytes: its kind, asset, product or channel, or, when rules can
// read them (through activities), its attributes.
func (p *Policy) checkActivity(l *lead.Lead, i int) error {
	maxText := p.limits.MaxTextBytes
	a := &l.Activities[i]
	for _, f := range [...]struct {
		name, v string
	}{{"kind", string(a.Kind)}, {"asset", a.Asset}, {"product", a.Product}, {"channel", string(a.Channel)}} {
		if len(f.v) > maxText {
			path := fmt.Sprintf("activities[%d].%s", i, f.name)
			return &LimitError{Limit: "MaxTextBytes", Max: maxText, Got: len(f.v), Where: "lead " + clip(l.ID) + " " + path, Path: path}
		}
	}
	if !p.needAttrs {
		return nil
	}
	for k, v := range a.Attrs {
		if n := max(len(k), len(v)); n > maxText {
			path := fmt.Sprintf("activities[%d].attrs.%s", i, clipText(k))
			return &LimitError{Limit: "MaxTextBytes", Max: maxText, Got: n, Where: "lead " + clip(l.ID) + " " + path, Path: path}
		}
	}
	return nil
}

// checkCollections refuses a lead whose interests' topics or custom
// fields (when rules read them) are beyond the limits.
func (p *Policy) checkCollections(done <-chan struct{}, l *lead.Lead) error {
	lim := &p.limits
	for i := range l.Interests {
		if n := len(l.Interests[i].Topic); n > lim.MaxTextBytes {
			path := fmt.Sprintf("interests[%d].topic", i)
			return &LimitError{Limit: "MaxTextBytes", Max: lim.MaxTextBytes, Got: n, Where: "lead " + clip(l.ID) + " " + path, Path: path}
		}
	}
	if p.readsFields && len(l.Fields) > 0 {
		if done != nil {
			select {
			case <-done:
				return errStopped
			default:
			}
		}
		if size := fieldsSize(l.Fields, lim.MaxFieldsBytes, 0); size > lim.MaxFieldsBytes {
			return &LimitError{Limit: "MaxFieldsBytes", Max: lim.MaxFieldsBytes, Got: size, Where: "lead " + clip(l.ID) + " fields", Path: "fields"}
		}
	}
	return nil
}

// fieldsSize measures custom field values as MaxFieldsBytes counts them:
// 8 bytes per value, plus the length of each string and key. It stops
// once past limit, and treats nesting beyond 32 levels as too large.
// Values of other Go types than JSON's are measured by reflection, so
// that no custom field escapes the bound the cost estimates assume.
func fieldsSize(v any, limit, depth int) int {
	if depth > 32 {
		return limit + 1
	}
	switch x := v.(type) {
	case nil, bool, float64, int, int64:
		return 8
	case string:
		return 8 + len(x)
	case map[string]any:
		size := 8
		for k, e := range x {
			if size += len(k) + fieldsSize(e, limit-size, depth+1); size > limit {
				break
			}
		}
		return size
	case []any:
		size := 8
		for _, e := range x {
			if size += fieldsSize(e, limit-size, depth+1); size > limit {
				break
			}
		}
		return size
	}
	return reflectSize(reflect.ValueOf(v), limit, depth)
}

func reflectSize(v reflect.Value, limit, depth int) int {
	if depth > 32 {
		return limit + 1
	}
	switch v.Kind() {
	case reflect.String:
		return 8 + v.Len()
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return 8
		}
		return reflectSize(v.Elem(), limit, depth+1)
	case reflect.Slice, reflect.Array:
		size := 8
		for i := 0; i < v.Len() && size <= limit; i++ {
			size += reflectSize(v.Index(i), limit-size, depth+1)
		}
		return size
	case reflect.Map:
		size := 8
		for it := v.MapRange(); it.Next() && size <= limit; {
			size += reflectSize(it.Key(), limit-size, depth+1) + reflectSize(it.Value(), limit-size, depth+1)
		}
		return size
	case reflect.Struct:
		size := 8
		for i := 0; i < v.NumField() && size <= limit; i++ {
			size += reflectSize(v.Field(i), limit-size, depth+1)
		}
		return size
	}
	return 8
}

// clip shortens an ID for an error message, so that a hostile ID does not
// make every error enormous.
func clip(s string) string {
	const n = 64
	if len(s) <= n {
		return fmt.Sprintf("%q", s)
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return fmt.Sprintf("%q...", s[:i])
}

// evaluate judges l into *d, which the caller zeroed but for the memory
// of Matched and Scores that EvaluateInto hands on to be reused. On an
// error *d is left half-way: the caller discards it.
func (p *Policy) evaluate(ctx context.Context, st *state, l *lead.Lead, now time.Time, d *Decision) error {
	if err := p.prepare(ctx, st, l, now); err != nil {
		return err
	}
	done := ctx.Done()
	if p.agg.account {
		p.fillAccount(st, l)
	}
	d.Lead, d.Stage, d.Value, d.Policy, d.Version, d.At = l.ID, l.Stage, l.Value, p.name, p.version, now
	var need, interest, doNotContact bool
	var disqualified lead.Reason
	st.matched, st.points = st.matched[:0], st.points[:0]
	// The rules that cannot be judged are listed in st's buffer, then
	// copied once, at their number.
	d.Unjudged = st.unjudged[:0]
	if len(p.scoring.named) > 0 {
		clear(st.scores)
	}
	for i := range p.rules {
		if done != nil {
			select {
			case <-done:
				return p.stopped(l, context.Cause(ctx))
			default:
			}
		}
		r := &p.rules[i]
		if st.pass != passAll && r.account != (st.pass == passAccount) {
			continue // an account rule judges the account, the others its contacts
		}
		var match bool
		var err error
		if r.fastWhen != nil {
			if match = r.fastWhen(st); st.fault != nil {
				if err = st.takeFault(r); err == errBail {
					match, err = st.testVM(r)
				}
			}
		} else {
			match, err = st.testVM(r)
		}
		if err != nil {
			if st.meter.stop != nil {
				return p.stopped(l, st.meter.stop)
			}
			if ferr := p.fail(d, r, "when", l, err); ferr != nil {
				return ferr
			}
			continue
		}
		if !match {
			continue
		}
		var pts float64
		switch {
		case r.intent == lead.IntentNeed:
			need = true
		case r.intent == lead.IntentInterest:
			interest = true
		case r.disqualify != "":
			if disqualified == "" {
				disqualified = r.disqualify
			}
			doNotContact = doNotContact || r.disqualify == lead.ReasonDoNotContact
		default:
			pts, err = p.score(st, r)
			if err != nil {
				if st.meter.stop != nil {
					return p.stopped(l, st.meter.stop)
				}
				if ferr := p.fail(d, r, "points", l, err); ferr != nil {
					return ferr
				}
				continue
			}
			switch r.score {
			case scoreFit:
				d.Fit += pts
			case scoreEngagement:
				d.Engagement += pts
			default:
				st.scores[r.score] += pts
			}
		}
		st.matched = append(st.matched, int32(i))
		st.points = append(st.points, pts)
	}

	st.unjudged = d.Unjudged[:0]
	switch into := st.into; {
	case len(d.Unjudged) == 0:
		d.Unjudged = nil
	case cap(into) >= len(d.Unjudged):
		d.Unjudged = append(into[:0], d.Unjudged...)
	default:
		d.Unjudged = slices.Clone(d.Unjudged)
	}
	st.into = nil                                                      // a product line's decision is written anew
	if n := len(st.matched); d.Matched != nil && cap(d.Matched) >= n { // EvaluateInto's: every entry is written below
		d.Matched = d.Matched[:n]
	} else {
		d.Matched = make([]Match, n)
	}
	for j, i := range st.matched {
		r := &p.rules[i]
		reason := r.reason
		if r.reasonBy != nil {
			reason = r.reasonFor(p, l, st.lastNeed, st.lastInterest)
		}
		d.Matched[j] = Match{Rule: r.name, Reason: reason, Intent: r.intent, Dimension: r.dimension,
			Points: st.points[j], Disqualify: r.disqualify}
	}
	if st.lastNeed >= 0 {
		a := &l.Activities[st.lastNeed]
		d.NeedKind, d.NeedAt = a.Kind, a.At
	}
	// nil for a policy without named scores, whatever map EvaluateInto
	// handed on from the decision of another policy.
	d.Scores = p.scoring.scoresInto(d.Scores, st.scores)
	p.decide(d, l, now, verdictInputs{need: need, interest: interest, doNotContact: doNotContact, disq: disqualified})
	d.Priority = priorityOf(d)
	return nil
}

// fillEnv puts into the environment map what the VM programs read: the
// variables boxed, the slots they read, now, and the views of the
// activities and interests (see views.go).
func (p *Policy) fillEnv(st *state) {
	env, l := st.env, st.l
	for i := range p.vars {
		v := &p.vars[i]
		env[v.name] = v.boxed(l)
	}
	for _, s := range p.envSlots {
		env[s.key] = s.value(st)
	}
	if p.needNow {
		env[varNow] = st.now
	}
	if p.needActivities {
		env[varActivities] = st.activityView()
	}
	if p.needInterests {
		env[varInterests] = p.indexes(len(l.Interests))
	}
	st.envReady = true
}

// fail handles a rule that failed at run time. A rule that failed because
// an input it reads is unknown was not judged: listed in Decision.Unjudged
// under UnknownSkip, a *RuleError wrapping ErrUnknownInput under
// UnknownFail. Any other failure is a *RuleError under OnErrorFail and a
// recorded Failure under OnErrorSkip.
func (p *Policy) fail(d *Decision, r *compiledRule, field string, l *lead.Lead, err error) error {
	if input := r.unknownInput(l, err); input != "" {
		if p.settings.OnUnknown == UnknownSkip {
			d.Unjudged = append(d.Unjudged, Unjudged{Rule: r.name, Field: field, Input: input})
			return nil
		}
		return &RuleError{Policy: p.name, Rule: r.name, Field: field, Lead: l.ID,
			Err: fmt.Errorf("%s is unknown: %w", input, ErrUnknownInput)}
	}
	if p.settings.OnError == OnErrorSkip {
		d.Failures = append(d.Failures, Failure{Rule: r.name, Field: field, Error: err.Error()})
		return nil
	}
	return &RuleError{Policy: p.name, Rule: r.name, Field: field, Lead: l.ID, Err: err}
}

var errNotFinite = errors.New("points are not a finite number")

func number(v any) (float64, error) {
	f, ok := toFloat(v)
	if !ok {
		return 0, fmt.Errorf("points returned %T, want a number", v)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%w: %v", errNotFinite, f)
	}
	return f, nil
}

// verdictInputs is what the rules found, for decide.
type verdictInputs struct {
	need, interest, doNotContact bool
	disq                         lead.Reason // the first disqualify rule's code
}

// decide applies the documented precedence (see the package doc,
// "Precedence"):
//
//  1. do not contact, by a matched disqualify rule or the lead's lost
//     reason: route drop. Nothing outranks it.
//  2. fresh need (after the lead's last loss: see aggregate) reopens a lead
//     that was set aside: a lead closed for good (a matched final
//     disqualify rule, or stage disqualified) goes to review, for a person
//     to decide; any other (out of scope by a matched rule, lost or
//     recycled) goes to sales with the deadline, and Reopened and Note say
//     why;
//  3. a matched disqualify rule: out of scope; route drop for a final
//     reason (not a fit, Settings.Final), else recycle;
//  4. a lead already disqualified stays dropped;
//  5. need: sales, with the response deadline;
//  6. fit and engagement at or above both thresholds: marketing-qualified,
//     routed to sales;
//  7. a lead in sales' hands (sales accepted or qualified, opportunity, won)
//     stays with sales;
//  8. interest: nurture;
//  9. no evidence: recycle for a lost or recycled lead, nurture otherwise.
func (p *Policy) decide(d *Decision, l *lead.Lead, now time.Time, in verdictInputs) {
	next := l.Stage
	switch {
	case in.need:
		d.Verdict = VerdictNeed
	case in.interest:
		d.Verdict = VerdictInterest
	}
	d.Qualified = !in.need && d.Fit >= p.settings.MQLFit && d.Engagement >= p.settings.MQLEngagement
	closed := in.disq != "" && p.isFinal(in.disq) || l.Stage == lead.StageDisqualified
	setAside := in.disq != "" || l.Stage == lead.StageLost || l.Stage == lead.StageRecycled
	switch {
	case in.doNotContact || l.LostReason == lead.ReasonDoNotContact:
		d.Verdict, d.Reason = VerdictOutOfScope, lead.ReasonDoNotContact
		d.Route, next = RouteDrop, lead.StageDisqualified
		d.Qualified = false
	case in.need && closed:
		d.Reason = cmp.Or(in.disq, l.LostReason, lead.ReasonNotAFit)
		d.Route = RouteReview
		d.Note = p.note(d.NeedKind, d.Reason, true)
	case in.need && setAside:
		d.Reopened = cmp.Or(in.disq, l.LostReason)
		d.Route, next = RouteSales, lead.StageSalesAccepted
		d.Deadline = p.deadline(d, now)
		d.Note = p.note(d.NeedKind, d.Reopened, false)
	case in.disq != "":
		d.Verdict, d.Reason = VerdictOutOfScope, in.disq
		if p.isFinal(in.disq) {
			d.Route, next = RouteDrop, lead.StageDisqualified
		} else {
			d.Route, next = RouteRecycle, lead.StageRecycled
		}
		d.Qualified = false
	case l.Stage == lead.StageDisqualified:
		d.Route = RouteDrop
	case in.need:
		d.Route, next = RouteSales, lead.StageSalesAccepted
		d.Deadline = p.deadline(d, now)
	case d.Qualified:
		d.Route, next = RouteSales, lead.StageMarketingQualified
	case l.Stage >= lead.StageSalesAccepted && l.Stage <= lead.StageWon:
		d.Route = RouteSales
	case in.interest:
		d.Route, next = RouteNurture, lead.StageNurturing
	case l.Stage == lead.StageLost || l.Stage == lead.StageRecycled:
		d.Route, next = RouteRecycle, lead.StageRecycled
	default:
		d.Route, next = RouteNurture, lead.StageNurturing
	}
	d.NextStage = l.Stage
	if lead.CanMove(l.Stage, next) {
		d.NextStage = next
	}
}

// deadline is when sales must answer the need of d: the vocabulary's
// deadline of its newest fresh need activity, or of now when the need
// comes from other evidence. It notes whether that need arrived outside
// the team's response hours.
func (p *Policy) deadline(d *Decision, now time.Time) time.Time {
	base := d.NeedAt
	if base.IsZero() {
		base = now
	}
	d.OutsideHours = !p.vocab.InHours(base)
	return p.vocab.Deadline(base)
}

// noteKey names one Note: the need kind ("" for need from other evidence),
// the reason it outranked, and whether the lead goes to review.
type noteKey struct {
	kind   lead.Kind
	reason lead.Reason
	review bool
}

// note returns the Note of a need of kind (in the policy's words) after a
// lead was set aside for reason: from the table of every need kind and
// every reason the policy knows (made once, by the first need that reopens
// a lead, so that Compile does not pay for it and later evaluations
// allocate nothing for their note), else built.
func (p *Policy) note(kind lead.Kind, reason lead.Reason, review bool) string {
	p.notesOnce.Do(p.buildNotes)
	if s, ok := p.notes[noteKey{kind, reason, review}]; ok {
		return s
	}
	return p.buildNote(kind, reason, review)
}

func (p *Policy) buildNote(kind lead.Kind, reason lead.Reason, review bool) string {
	what := "asked to be helped"
	if kind != "" {
		what = p.vocab.Describe(kind)
	}
	s := what + " after being " + reason.Describe()
	if review {
		s += ": a person must decide whether to reopen it"
	}
	return s
}

// buildNotes fills the table of notes: every need kind of the vocabulary
// and none, with every reason of the catalogue, of the rules and of the
// settings.
func (p *Policy) buildNotes() {
	reasons := append(slices.Collect(maps.Keys(knownReasons)), "") // "": lost with no reason given
	for _, r := range p.rules {
		if r.disqualify != "" {
			reasons = append(reasons, r.disqualify)
		}
	}
	reasons = append(reasons, p.final...)
	kinds := append([]lead.Kind{""}, p.vocab.byIntent[lead.IntentNeed]...)
	p.notes = make(map[noteKey]string, 2*len(kinds)*len(reasons))
	for _, k := range kinds {
		for _, r := range reasons {
			for _, review := range []bool{false, true} {
				p.notes[noteKey{k, r, review}] = p.buildNote(k, r, review)
			}
		}
	}
}

func (p *Policy) isFinal(r lead.Reason) bool {
	for _, f := range p.final {
		if f == r {
			return true
		}
	}
	return false
}
