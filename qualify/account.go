package qualify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/leadqual/leadqual/lead"
)

// ErrNilAccount: EvaluateAccount was called without an account.
var ErrNilAccount = errors.New("qualify: nil account")

// AccountDecision is the outcome of evaluating an account: its contacts'
// decisions, rolled up into the account's own verdict, route, scores and
// deadline, with the buying group it has reached. Like a Decision, it is
// plain data to store beside the account.
type AccountDecision struct {
	// Account is the ID of the account.
	Account string `json:"account"`
	// Line is the product line this decision judges, for a decision in
	// Lines; empty for the account as a whole.
	Line    string  `json:"line,omitempty"`
	Verdict Verdict `json:"verdict"`
	Route   Route   `json:"route"`
	// Fit, Engagement and Scores are the contacts' points rolled up
	// (Settings.Account.Rollup: fit the highest, the others summed), plus
	// the points of the account rules.
	Fit        float64               `json:"fit"`
	Engagement float64               `json:"engagement"`
	Scores     map[Dimension]float64 `json:"scores,omitempty"`
	// Qualified reports that the rolled-up fit and engagement reach both
	// marketing-qualified thresholds without need.
	Qualified bool `json:"qualified"`
	// Reason is the disqualification code of the first account rule that
	// disqualified the account, when the verdict is out of scope.
	Reason lead.Reason `json:"reason,omitempty"`
	// Contact is the ID of the lead whose need sends the account to
	// sales: of the contacts whose decision is need for sales, the one
	// whose deadline comes first. Sales answers that person, by Deadline.
	Contact  string    `json:"contact,omitempty"`
	Deadline time.Time `json:"deadline,omitzero"`
	NeedKind lead.Kind `json:"need_kind,omitempty"`
	NeedAt   time.Time `json:"need_at,omitzero"`
	// Reopened and Note are as in Decision, for the account's own loss:
	// need after the account was set aside reopens it.
	Reopened lead.Reason `json:"reopened,omitempty"`
	Note     string      `json:"note,omitempty"`
	// Stage is the account's stage (on Line) when it was evaluated;
	// NextStage the stage the decision suggests, always Stage itself or a
	// legal move from it.
	Stage     lead.Stage `json:"stage"`
	NextStage lead.Stage `json:"next_stage"`
	// Group is the buying group: who is engaged, which roles are reached
	// and which are missing.
	Group BuyingGroup `json:"group"`
	// Summary says in words what the roll-up found: who showed the need,
	// how many people are engaged, which roles are reached or missing.
	Summary []string `json:"summary"`
	// Matched lists the account rules that matched (rules that read
	// account aggregates), in policy order. Each contact's own matched
	// rules are in Contacts.
	Matched  []Match    `json:"matched"`
	Failures []Failure  `json:"failures,omitempty"`
	Unjudged []Unjudged `json:"unjudged,omitempty"`
	// Contacts are the decisions on each of the account's leads, in the
	// account's order, each with its own product lines; empty in Lines.
	Contacts []Decision `json:"contacts,omitempty"`
	// Lines are the account's decisions on each product line that one of
	// its contacts, or the account itself, is in, in the order the
	// policy declares them.
	Lines   []AccountDecision `json:"lines,omitempty"`
	Policy  string            `json:"policy"`
	Version string            `json:"version"`
	At      time.Time         `json:"at"`
}

// BuyingGroup is who an account's contacts are to the decision.
type BuyingGroup struct {
	// Contacts counts the contacts judged: the account's leads but those
	// dropped (do not contact, not a fit) or sent for review.
	Contacts int `json:"contacts"`
	// Engaged are the IDs of the contacts with a fresh need or interest
	// signal (on Line, for a line's decision), in the account's order:
	// the distinct people in motion.
	Engaged []string `json:"engaged,omitempty"`
	// Reached are the roles engaged contacts hold, in role order.
	Reached []lead.Role `json:"reached,omitempty"`
	// Missing are the roles of Settings.Account.Roles (default: the
	// decision maker) that no engaged contact holds: whom to reach next.
	Missing []lead.Role `json:"missing,omitempty"`
}

// Reasons returns the explanation a person reads: the Note, the Summary,
// then the reasons of the matched account rules.
func (d *AccountDecision) Reasons() []string {
	out := make([]string, 0, len(d.Summary)+len(d.Matched)+1)
	if d.Note != "" {
		out = append(out, d.Note)
	}
	out = append(out, d.Summary...)
	for _, m := range d.Matched {
		out = append(out, m.Reason)
	}
	return out
}

// EvaluateAccount judges an account from its contacts, as of now: each
// lead as EvaluateAt would (without the account rules, which judge the
// account), and then the account:
//
//   - need anywhere routes the account to sales, with the contact who
//     showed it: of the contacts whose decision is need for sales, the
//     one whose deadline comes first (Contact, Deadline). Three people of
//     one firm reading, attending and asking are one buying group in
//     motion, not three weak leads;
//   - the contacts' fit, engagement and named scores roll up by
//     Settings.Account.Rollup (fit the highest, the others summed), and
//     the account rules add theirs;
//   - the account rules (rules that read contacts(), engaged(),
//     people(intent), reached(role) or roles()) run once, for the
//     account;
//   - the account's own funnel (Stage, LostReason, History) is the
//     stage judged, with the precedence of Evaluate: do not contact
//     drops, a final lost reason (not a fit, Settings.Final) closes the
//     account as a final disqualify rule closes a lead (need then goes to
//     review), fresh need reopens an account set aside, and so on. A loss
//     recorded on the account answers its contacts' requests made before
//     it, as a lead's own loss does;
//   - Group names the engaged contacts, the roles reached and the roles
//     of Settings.Account.Roles still missing.
//
// Contacts dropped by their own decision (do not contact, not a fit) or
// sent for review take no part in the roll-up: they are listed in
// Contacts all the same. With product lines, each line any contact (or
// the account) is in is judged the same way, from the contacts' line
// decisions and the account's funnel on the line.
//
// An account of more than Limits.MaxContacts leads, or a lead beyond the
// policy's limits, is refused with a *LimitError whose Path names the lead
// (leads[3].activities). A rule that fails is a *RuleError naming the
// contact's lead, or the account's ID for an account rule. EvaluateAccount
// never panics and never modifies the account.
func EvaluateAccount(ctx context.Context, p *Policy, a *lead.Account, now time.Time) (ad AccountDecision, err error) {
	if p == nil {
		return AccountDecision{}, ErrNilPolicy
	}
	if a == nil {
		return AccountDecision{}, ErrNilAccount
	}
	if err := p.checkAccount(ctx, a); err != nil {
		return AccountDecision{}, err
	}
	st := p.pool.Get().(*state)
	defer func() {
		if r := recover(); r != nil {
			ad, err = AccountDecision{}, fmt.Errorf("qualify: internal error evaluating account %q: %v", a.ID, r)
			return
		}
		p.release(st)
	}()
	return p.evaluateAccount(ctx, st, a, now)
}

// checkAccount refuses an account beyond the policy's limits.
func (p *Policy) checkAccount(ctx context.Context, a *lead.Account) error {
	lim := &p.limits
	where := "account " + clip(a.ID)
	if n := len(a.Leads); n > lim.MaxContacts {
		return fmt.Errorf("qualify: %w", &LimitError{Limit: "MaxContacts", Max: lim.MaxContacts, Got: n, Where: where + " leads", Path: "leads"})
	}
	for _, f := range [...]struct{ name, v string }{
		{"id", a.ID}, {"owner", a.Owner}, {"lost_reason", string(a.LostReason)},
		{"company.name", a.Company.Name}, {"company.domain", a.Company.Domain},
		{"company.industry", a.Company.Industry}, {"company.country", a.Company.Country},
	} {
		if len(f.v) > lim.MaxTextBytes {
			return fmt.Errorf("qualify: %w", &LimitError{Limit: "MaxTextBytes", Max: lim.MaxTextBytes, Got: len(f.v), Where: where + " " + f.name, Path: f.name})
		}
	}
	for i := range a.Leads {
		if err := p.checkLimits(ctx.Done(), &a.Leads[i]); err != nil {
			if err == errStopped {
				return fmt.Errorf("qualify: account %s: %w", clip(a.ID), context.Cause(ctx))
			}
			var le *LimitError
			if errors.As(err, &le) {
				le.Where = where + " " + le.Where
				le.Path = fmt.Sprintf("leads[%d].%s", i, le.Path)
			}
			return fmt.Errorf("qualify: %w", err)
		}
	}
	return nil
}

func (p *Policy) evaluateAccount(ctx context.Context, st *state, a *lead.Account, now time.Time) (AccountDecision, error) {
	n, lines := len(a.Leads), p.vocab.lines.names
	contacts := make([]Decision, n)
	// sigs[k*n+i] are contact i's fresh signals on scope k: 0 the whole
	// lead, 1+j product line j.
	sigs := make([][4]int, n*(1+len(lines)))
	accountFloor := floorOf(a.LostAt(now))
	lineFloor := func(name string) int64 {
		f := a.Lines[name]
		return floorOf(f.LostAt(now))
	}
	if len(a.Lines) > 0 {
		// The account's loss on a line answers its contacts' requests
		// about the line, in their decisions as a whole too.
		floors := make([]int64, len(lines))
		lost := false
		for k, name := range lines {
			floors[k] = lineFloor(name)
			lost = lost || floors[k] != 0
		}
		if lost {
			st.accFloors = floors
		}
	}
	st.pass = passContact
	for i := range a.Leads {
		l := &a.Leads[i]
		st.floor = accountFloor
		d, err := p.run(ctx, st, l, now)
		if err != nil {
			return AccountDecision{}, fmt.Errorf("qualify: account %s: %w", clip(a.ID), err)
		}
		sigs[i] = st.sig
		if len(lines) > 0 {
			d.Lines, err = p.evaluateLines(ctx, st, l, now, lineFloor, func(k int) { sigs[(1+k)*n+i] = st.sig })
			if err != nil {
				return AccountDecision{}, fmt.Errorf("qualify: account %s: lead %s: %w", clip(a.ID), clip(l.ID), err)
			}
		}
		contacts[i] = d
	}

	whole := func(i int) *Decision { return &contacts[i] }
	ad, err := p.judgeAccount(ctx, st, a, "", whole, sigs[:n], now, -1)
	if err != nil {
		return AccountDecision{}, err
	}
	ad.Contacts = contacts
	for k, name := range lines {
		decOf := func(i int) *Decision {
			for j := range contacts[i].Lines {
				if contacts[i].Lines[j].Line == name {
					return &contacts[i].Lines[j]
				}
			}
			return nil
		}
		_, present := a.Lines[name]
		for i := 0; i < n && !present; i++ {
			present = decOf(i) != nil
		}
		if !present {
			continue
		}
		ld, err := p.judgeAccount(ctx, st, a, name, decOf, sigs[(1+k)*n:(2+k)*n], now, ad.Group.Contacts)
		if err != nil {
			return AccountDecision{}, fmt.Errorf("product line %q: %w", name, err)
		}
		ad.Lines = append(ad.Lines, ld)
	}
	return ad, nil
}

// active reports whether a contact's decision takes part in its account's
// roll-up: not dropped, not sent for review.
func active(d *Decision) bool { return d.Route != RouteDrop && d.Route != RouteReview }

// judgeAccount rolls up the decisions of the contacts on one scope (the
// whole account for line "", or a product line), runs the account rules
// and decides. decOf returns contact i's decision on the scope, or nil;
// sigs are the contacts' fresh signals on it. contacts is the number of
// contacts judged, or -1 to count them here.
func (p *Policy) judgeAccount(ctx context.Context, st *state, a *lead.Account, line string,
	decOf func(i int) *Decision, sigs [][4]int, now time.Time, contacts int) (AccountDecision, error) {
	sc := &p.scoring
	var g groupAgg
	var grp BuyingGroup
	roll := make([]float64, scoreNamed+len(sc.named))
	rolled := false
	needIdx := -1
	var need *Decision
	interest := false
	for i := range a.Leads {
		d := decOf(i)
		if d == nil || !active(d) {
			continue
		}
		g.contacts++
		sig := sigs[i]
		for in := range sig {
			if sig[in] > 0 {
				g.people[in]++
			}
		}
		if engaged(sig) {
			g.engaged++
			grp.Engaged = append(grp.Engaged, a.Leads[i].ID)
			if r := a.Leads[i].Contact.Role; r.Valid() && r != lead.RoleUnknown {
				g.reached[r] = true
			}
		}
		for k := range roll {
			v := d.Fit
			switch k {
			case scoreFit:
			case scoreEngagement:
				v = d.Engagement
			default:
				v = d.Scores[sc.named[k-scoreNamed]]
			}
			switch {
			case sc.rollup[k] == RollupSum:
				roll[k] += v
			case !rolled || v > roll[k]:
				roll[k] = v
			}
		}
		rolled = true
		if d.Verdict == VerdictNeed && d.Route == RouteSales && (need == nil || d.Deadline.Before(need.Deadline)) {
			need, needIdx = d, i
		}
		interest = interest || d.Verdict == VerdictInterest || d.Verdict == VerdictNeed
	}
	if contacts >= 0 {
		g.contacts = contacts
	}
	grp.Contacts = g.contacts
	for r := lead.RoleDecisionMaker; r <= lead.RoleUser; r++ {
		if g.reached[r] {
			grp.Reached = append(grp.Reached, r)
		}
	}
	for _, r := range sc.roles {
		if !g.reached[r] {
			grp.Missing = append(grp.Missing, r)
		}
	}

	f := a.Funnel(line)
	self := lead.Lead{ID: a.ID, Owner: a.Owner, Company: a.Company, Value: a.Value, CreatedAt: a.CreatedAt,
		UpdatedAt: a.UpdatedAt, Stage: f.Stage, LostReason: f.LostReason, History: f.History}
	var acc Decision
	if sc.accountRules {
		st.pass, st.acct, st.floor = passAccount, &g, 0
		var err error
		acc, err = p.run(ctx, st, &self, now)
		st.pass, st.acct = passContact, nil
		if err != nil {
			return AccountDecision{}, fmt.Errorf("qualify: account %s: %w", clip(a.ID), err)
		}
	}
	in := verdictInputs{need: need != nil, interest: interest}
	for _, m := range acc.Matched {
		switch {
		case m.Intent == lead.IntentNeed:
			in.need = true
		case m.Intent == lead.IntentInterest:
			in.interest = true
		case m.Disqualify != "":
			if in.disq == "" {
				in.disq = m.Disqualify
			}
			in.doNotContact = in.doNotContact || m.Disqualify == lead.ReasonDoNotContact
		}
	}
	if in.disq == "" && f.LostReason != "" && p.isFinal(f.LostReason) {
		// Closed for good, as a final disqualify rule closes a lead.
		in.disq = f.LostReason
	}
	d := Decision{Fit: roll[scoreFit] + acc.Fit, Engagement: roll[scoreEngagement] + acc.Engagement}
	if need != nil {
		d.NeedKind, d.NeedAt = need.NeedKind, need.NeedAt
	}
	p.decide(&d, &self, now, in)

	ad := AccountDecision{
		Account: a.ID, Line: line, Verdict: d.Verdict, Route: d.Route, Fit: d.Fit, Engagement: d.Engagement,
		Qualified: d.Qualified, Reason: d.Reason, Deadline: d.Deadline, Reopened: d.Reopened, Note: d.Note,
		Stage: f.Stage, NextStage: d.NextStage, Group: grp, Matched: acc.Matched, Failures: acc.Failures,
		Unjudged: acc.Unjudged, Policy: p.name, Version: p.version, At: now,
	}
	if ad.Matched == nil {
		ad.Matched = []Match{}
	}
	if len(sc.named) > 0 {
		ad.Scores = make(map[Dimension]float64, len(sc.named))
		for i, dim := range sc.named {
			ad.Scores[dim] = roll[scoreNamed+i] + acc.Scores[dim]
		}
	}
	if need != nil && d.Verdict == VerdictNeed {
		ad.Contact, ad.NeedKind, ad.NeedAt = a.Leads[needIdx].ID, d.NeedKind, d.NeedAt
		if ad.Note != "" {
			ad.Note = who(&a.Leads[needIdx]) + " " + ad.Note
		}
	}
	ad.Summary = p.summarize(&ad, a, needIdx)
	return ad, nil
}

// who names a contact for people: its name and role, or its ID.
func who(l *lead.Lead) string {
	name := l.Contact.Name
	if name == "" {
		name = l.ID
	}
	if r := l.Contact.Role; r.Valid() && r != lead.RoleUnknown {
		return name + " (" + roleWords(r) + ")"
	}
	return name
}

func roleWords(r lead.Role) string { return strings.ReplaceAll(r.String(), "_", " ") }

// reachAdvice says whom to reach for a missing role.
var reachAdvice = [...]string{
	lead.RoleDecisionMaker: "reach the sales, finance or managing director",
	lead.RoleInfluencer:    "reach someone who shapes the decision",
	lead.RoleUser:          "reach someone who will use what we sell",
}

// summarize says what the roll-up found, in words.
func (p *Policy) summarize(ad *AccountDecision, a *lead.Account, needIdx int) []string {
	var out []string
	if ad.Contact != "" && ad.Note == "" {
		phrase := "asked to be helped"
		if ad.NeedKind != "" {
			phrase = p.vocab.Describe(ad.NeedKind)
		}
		out = append(out, who(&a.Leads[needIdx])+" "+phrase)
	}
	name := func(id string) string {
		for i := range a.Leads {
			if a.Leads[i].ID == id {
				if n := a.Leads[i].Contact.Name; n != "" {
					return n
				}
				break
			}
		}
		return id
	}
	switch n := len(ad.Group.Engaged); n {
	case 0:
		out = append(out, fmt.Sprintf("no contact engaged of %d", ad.Group.Contacts))
	default:
		names := make([]string, 0, min(n, 5))
		for _, id := range ad.Group.Engaged[:min(n, 5)] {
			names = append(names, name(id))
		}
		more := ""
		if n > 5 {
			more = fmt.Sprintf(" and %d more", n-5)
		}
		out = append(out, fmt.Sprintf("%d of %d contacts engaged: %s%s", n, ad.Group.Contacts, strings.Join(names, ", "), more))
	}
	for _, r := range p.scoring.roles {
		var holders []string
		for i := range a.Leads {
			l := &a.Leads[i]
			if l.Contact.Role == r && containsID(ad.Group.Engaged, l.ID) {
				holders = append(holders, name(l.ID))
			}
		}
		if len(holders) > 0 {
			out = append(out, roleWords(r)+" reached: "+strings.Join(holders, ", "))
			continue
		}
		msg := "no " + roleWords(r) + " reached: " + reachAdvice[r]
		var others []string
		for _, o := range ad.Group.Reached {
			if o != r {
				others = append(others, roleWords(o))
			}
		}
		if len(others) > 0 {
			msg += " (reached: " + strings.Join(others, ", ") + ")"
		}
		out = append(out, msg)
	}
	return out
}

func containsID(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
