package qualify

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/leadqual/leadqual/lead"
)

// Account aggregates in rules.
//
// contacts(), engaged(), people(intent), reached(role) and roles() read
// the buying group of an account: they resolve, like count() and fresh(),
// into slots, filled once per evaluation. A rule that reads one is an
// account rule: EvaluateAccount runs it once for the account (not once per
// contact), and Evaluate runs it for a lead as its own account of one.

// lineState is the scratch space of product lines and accounts, part of
// state.
type lineState struct {
	lineOf    []int8 // per activity: its line, or -1
	lineActs  []lead.Activity
	lineInts  []lead.Interest
	floor     int64     // need at or before it is not fresh (an account's loss); 0: none
	floors    []int64   // per product line: see lineFloors
	accFloors []int64   // per product line, the account's: see evaluateAccount
	sig       [4]int    // the fresh signals per intent of the last aggregate
	scores    []float64 // per score index, the named dimensions' points
	pass      uint8     // which rules run: passAll, passContact, passAccount
	acct      *groupAgg // the account pass's aggregates; nil: the lead is its own account
}

// The passes of an evaluation.
const (
	passAll     = iota // a lead alone: every rule, the lead its own account
	passContact        // a contact of an account: all but the account rules
	passAccount        // the account: only the account rules
)

// groupAgg is what the account rules read of a buying group.
type groupAgg struct {
	contacts int
	engaged  int
	people   [4]int  // contacts with a fresh signal of each intent
	reached  [4]bool // by role: an engaged contact holds it
}

// roleSet counts the known roles reached.
func (g *groupAgg) roles() int {
	n := 0
	for r := lead.RoleDecisionMaker; r <= lead.RoleUser; r++ {
		if g.reached[r] {
			n++
		}
	}
	return n
}

// engaged reports a fresh need or interest signal in sig.
func engaged(sig [4]int) bool { return sig[lead.IntentNeed]+sig[lead.IntentInterest] > 0 }

// selfGroup is the buying group of a lead alone: itself.
func selfGroup(sig [4]int, role lead.Role) groupAgg {
	g := groupAgg{contacts: 1}
	for i := range sig {
		if sig[i] > 0 {
			g.people[i] = 1
		}
	}
	if engaged(sig) {
		g.engaged = 1
		if role.Valid() && role != lead.RoleUnknown {
			g.reached[role] = true
		}
	}
	return g
}

func (s *slot) isInt() bool {
	switch s.op {
	case slotCount, slotSignals, slotInterests, slotContacts, slotEngaged, slotPeople, slotRoles:
		return true
	}
	return false
}

func (s *slot) isAccount() bool { return s.op >= slotContacts }

func (s *slot) accountKey() string {
	switch s.op {
	case slotContacts:
		return "$contacts()"
	case slotEngaged:
		return "$engaged()"
	case slotPeople:
		return fmt.Sprintf("$people(%q)", s.intent)
	case slotReached:
		return fmt.Sprintf("$reached(%q)", s.field)
	case slotRoles:
		return "$roles()"
	}
	return "$?"
}

// describe writes a slot as a rule calls it: count("page_visit", "30d").
func (s *slot) describe() string {
	switch s.op {
	case slotCount:
		return fmt.Sprintf("count(%q, %q)", s.kind, lead.FormatDuration(s.window))
	case slotFresh:
		return fmt.Sprintf("fresh(%q)", s.kind)
	case slotSince:
		return fmt.Sprintf("since(%q)", s.kind)
	case slotSignals:
		return fmt.Sprintf("signals(%q)", s.intent)
	case slotInterested:
		return fmt.Sprintf("interested(%q)", s.topic)
	case slotKnown:
		return fmt.Sprintf("known(%s)", s.field)
	}
	return strings.TrimPrefix(s.accountKey(), "$")
}

func resolveAccount(op slotOp) func(w *rewriter, n *ast.CallNode) ast.Node {
	return func(w *rewriter, n *ast.CallNode) ast.Node { return w.slot(slot{op: op}) }
}

func resolvePeople(w *rewriter, n *ast.CallNode) ast.Node {
	s, ok := w.stringArg(n, 0, "the intent")
	if !ok {
		return nil
	}
	in, err := lead.ParseIntent(s)
	if err != nil || in == lead.IntentNone {
		w.fail(n.Arguments[0].Location(), err, `people takes "need", "interest" or "negative", not %q`, s)
		return nil
	}
	return w.slot(slot{op: slotPeople, intent: in})
}

func resolveReached(w *rewriter, n *ast.CallNode) ast.Node {
	s, ok := w.stringArg(n, 0, "the role")
	if !ok {
		return nil
	}
	r, err := lead.ParseRole(s)
	if err != nil || r == lead.RoleUnknown {
		w.fail(n.Arguments[0].Location(), err, `reached takes "decision_maker", "influencer" or "user", not %q`, s)
		return nil
	}
	return w.slot(slot{op: slotReached, field: r.String(), role: r})
}

// buyingGroupRoles returns the roles of Settings.Account.Roles a buying
// group can reach, in role order, once each; the decision maker when none.
func buyingGroupRoles(roles []lead.Role) []lead.Role {
	var out []lead.Role
	for _, r := range roles {
		if r.Valid() && r != lead.RoleUnknown && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return []lead.Role{lead.RoleDecisionMaker}
	}
	slices.Sort(out)
	return out
}

// Roles returns the roles a buying group must reach under the policy
// (Settings.Account.Roles; the decision maker by default), in role order:
// what EvaluateAccount reports missing, and the neglect audit too. The
// slice is a copy.
func (v *Vocabulary) Roles() []lead.Role { return slices.Clone(v.roles) }

// Engaged reports whether activity a shows its lead engaged at now: a
// fresh signal of need or interest. lost is when the lead (or its
// account) was last set aside: a need at or before it is answered.
func (v *Vocabulary) Engaged(a *lead.Activity, lost, now time.Time) bool {
	switch v.Intent(a.Kind) {
	case lead.IntentNeed:
		return v.Fresh(a, now) && (lost.IsZero() || a.At.After(lost))
	case lead.IntentInterest:
		return v.Fresh(a, now)
	}
	return false
}

// accountReadable are the variables an account rule may read beside the
// account aggregates: the account's own, which EvaluateAccount gives the
// account as a lead of its own (its ID, owner, funnel, company, value
// and dates).
var accountReadable = map[string]bool{
	"id": true, "owner": true, "stage": true, "lost_reason": true,
	"company.name": true, "company.domain": true, "company.industry": true, "company.country": true,
	"company.employees": true, "value": true, "created_at": true, "updated_at": true, varNow: true,
	"$known(value)": true,
}

// markAccountRules marks the rules that read account aggregates, and
// refuses those that also read what only a contact has.
func (c *compilation) markAccountRules(spec []Rule, trees []parsed, rules []compiledRule) {
	byRule := map[int][]*parsed{}
	for i := range trees {
		byRule[trees[i].rule] = append(byRule[trees[i].rule], &trees[i])
	}
	for i := range rules {
		// Most rules read nothing of the account: only those name what
		// else they read.
		account := false
		for _, t := range byRule[i] {
			for name := range t.idents {
				if s := c.slots[name]; s != nil && s.isAccount() {
					account = true
				}
			}
		}
		if !account {
			continue
		}
		var reads, other []string
		for _, t := range byRule[i] {
			for name := range t.idents { // joinSorted orders what is reported
				switch s := c.slots[name]; {
				case s != nil && s.isAccount():
					reads = append(reads, s.describe())
				case accountReadable[name]:
				case s != nil:
					other = append(other, s.describe())
				default:
					other = append(other, name)
				}
			}
		}
		rules[i].account = true
		c.scoring.accountRules = true
		if len(other) > 0 {
			c.problem(c.labels[i], "when",
				"an account rule (it reads %s) judges the whole account and cannot read %s, which a contact has: "+
					"it may read the account aggregates and the account's id, owner, stage, lost_reason, company, value, created_at, updated_at and now",
				joinSorted(reads), joinSorted(other))
		}
	}
}

func joinSorted(s []string) string {
	slices.Sort(s)
	return strings.Join(slices.Compact(s), ", ")
}

// fillAccount fills the account slots: from the account pass's
// aggregates, or from the lead alone.
func (p *Policy) fillAccount(st *state, l *lead.Lead) {
	var g groupAgg
	if st.acct != nil {
		g = *st.acct
	} else {
		g = selfGroup(st.sig, l.Contact.Role)
	}
	for _, s := range p.agg.accountSlots {
		switch s.op {
		case slotContacts:
			st.ints[s.pos] = g.contacts
		case slotEngaged:
			st.ints[s.pos] = g.engaged
		case slotPeople:
			st.ints[s.pos] = g.people[s.intent]
		case slotRoles:
			st.ints[s.pos] = g.roles()
		case slotReached:
			st.bools[s.pos] = g.reached[s.role]
		}
	}
}
