package nurture

import (
	"context"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/leadqual/leadqual/internal/human"
	"github.com/leadqual/leadqual/lead"
)

// AccountItem is one account of an account audit's stream (see
// [Auditor.RunAccounts]), with what the host knows of its leads beyond
// the leads themselves.
type AccountItem struct {
	// Account is the account, with its leads; an AccountItem without one
	// is counted as skipped.
	Account *lead.Account
	// Tracks names, by lead ID, the nurture track each lead is on; a lead
	// not listed is on none.
	Tracks map[string]string
	// Needs is need the host found by other means, by lead ID, as
	// Item.Need.
	Needs map[string]Need
}

// RunAccounts audits a stream of accounts as of now: every lead of every
// account as Run audits a lead (a loss recorded on the account answers
// the requests its contacts made before it, as in qualify), and then each
// account as a whole:
//
//   - unowned account: an account with no owner whose contact has
//     unanswered need (overdue or not): the need waits on a lead while
//     nobody answers for the account. The finding names the contact whose
//     need came first, and its lead's owner when it has one;
//   - buying group: an account in motion (a contact with a fresh need or
//     interest signal) that has not reached every role the policy's
//     buying group requires (Settings.Account.Roles, through the
//     Vocabulary; the decision maker by default): the reason "reach the
//     decision maker" for the account, with the roles missing.
//
// Accounts disqualified or asked not to be contacted are not judged as
// accounts; their leads are audited as leads. Account findings rank by
// the account's potential value (Account.Value; when unknown, the highest
// value of its leads, in the currency of the first that has one). Memory
// stays as flat as Run's: one account at a time. RunAccounts checks ctx
// between accounts.
func (a *Auditor) RunAccounts(ctx context.Context, items iter.Seq[AccountItem], now time.Time) (*Report, error) {
	st := newAuditState(a, now)
	n := 0
	var stopped error
	for it := range items {
		if err := ctx.Err(); err != nil {
			stopped = err
			break
		}
		n++
		st.account(&it)
	}
	if stopped == nil {
		stopped = ctx.Err()
	}
	if stopped != nil {
		return nil, fmt.Errorf("nurture: audit stopped after %d accounts: %w", n, stopped)
	}
	return st.report(), nil
}

func (st *auditState) account(it *AccountItem) {
	acc := it.Account
	if acc == nil || !acc.Stage.Valid() {
		st.rep.Skipped++
		return
	}
	st.rep.Accounts++
	st.acc = acc
	defer func() { st.acc = nil }()
	lost := acc.LostAt(st.now)
	v := st.a.cfg.Vocabulary
	var (
		needing *lead.Lead
		need    leadFacts
		engaged int
		reached [4]bool
		since   time.Time
		value   lead.Money
	)
	for i := range acc.Leads {
		l := &acc.Leads[i]
		f := st.item(&Item{Lead: l, Track: it.Tracks[l.ID], Need: it.Needs[l.ID]}, lost)
		if !f.judged {
			continue
		}
		if l.Value.Known() && (!value.Known() || l.Value.Currency == value.Currency && l.Value.Amount.GreaterThan(value.Amount)) {
			value = l.Value
		}
		if f.pending && (needing == nil || f.pendAt.Before(need.pendAt)) {
			needing, need = l, f
		}
		contactLost := l.LostAt(st.now)
		if lost.After(contactLost) {
			contactLost = lost
		}
		first := time.Time{}
		for j := range l.Activities {
			if act := &l.Activities[j]; v.Engaged(act, contactLost, st.now) && (first.IsZero() || act.At.Before(first)) {
				first = act.At
			}
		}
		if first.IsZero() {
			continue
		}
		engaged++
		if r := l.Contact.Role; r.Valid() {
			reached[r] = true
		}
		if since.IsZero() || first.Before(since) {
			since = first
		}
	}
	if acc.Stage == lead.StageDisqualified || acc.LostReason.Final() {
		return
	}
	if acc.Value.Known() {
		value = acc.Value
	}
	cur := st.rankCurrency(value)
	if acc.Owner == "" && needing != nil {
		f := Finding{Kind: FindingUnownedAccount, Account: acc.ID, Lead: needing.ID, Owner: needing.Owner, Stage: acc.Stage,
			Value: value, Since: need.pendAt, Due: need.pendDue, Need: need.pendKind}
		if st.now.After(need.pendDue) {
			f.Overdue = st.now.Sub(need.pendDue)
		}
		st.add(f, cur)
	}
	if engaged > 0 {
		var missing []lead.Role
		for _, r := range v.Roles() {
			if !reached[r] {
				missing = append(missing, r)
			}
		}
		if len(missing) > 0 {
			st.add(Finding{Kind: FindingBuyingGroup, Account: acc.ID, Owner: acc.Owner, Stage: acc.Stage, Value: value,
				Since: since, Overdue: st.now.Sub(since), Engaged: engaged, Missing: missing}, cur)
		}
	}
}

// accountAction says what to do about an account finding.
func accountAction(b *strings.Builder, f *Finding, now time.Time) {
	switch f.Kind {
	case FindingUnownedAccount:
		what := "showed need"
		if f.Need != "" {
			what = f.Need.Describe()
		}
		fmt.Fprintf(b, "give the account an owner: lead %s %s %s ago and nobody answers for the account", f.Lead, what, human.Duration(now.Sub(f.Since)))
		if f.Overdue > 0 {
			fmt.Fprintf(b, "; the response deadline passed %s ago", human.Duration(f.Overdue))
		}
		if f.Owner != "" {
			fmt.Fprintf(b, " (the lead's owner %s)", f.Owner)
		}
	case FindingBuyingGroup:
		var roles []string
		for _, r := range f.Missing {
			roles = append(roles, "the "+strings.ReplaceAll(r.String(), "_", " "))
		}
		fmt.Fprintf(b, "reach %s: %s engaged for %s without one", strings.Join(roles, " and "), plural(f.Engaged, "contact"), human.Duration(f.Overdue))
		for _, r := range f.Missing {
			if r == lead.RoleDecisionMaker {
				b.WriteString(" (a sales, finance or managing director)")
			}
		}
		if f.Owner != "" {
			fmt.Fprintf(b, " (owner %s)", f.Owner)
		}
	}
}

// answeredByLine reports whether a need activity was answered by the loss
// of its product line, as in qualify: the lead's line, or its account's,
// lost or recycled after the request answers it.
func (st *auditState) answeredByLine(l *lead.Lead, act *lead.Activity) bool {
	if len(l.Lines) == 0 && (st.acc == nil || len(st.acc.Lines) == 0) {
		return false
	}
	line := st.a.cfg.Vocabulary.ActivityLine(act)
	if line == "" {
		return false
	}
	for _, lines := range []map[string]lead.Funnel{l.Lines, st.accLines()} {
		if f, ok := lines[line]; ok {
			if lost := f.LostAt(st.now); !lost.IsZero() && !act.At.After(lost) {
				return true
			}
		}
	}
	return false
}

func (st *auditState) accLines() map[string]lead.Funnel {
	if st.acc == nil {
		return nil
	}
	return st.acc.Lines
}
