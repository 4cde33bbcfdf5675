package nurture

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
	"github.com/shopspring/decimal"
)

// AuditConfig configures an [Auditor]. Vocabulary is required; every
// other zero field is its documented default.
type AuditConfig struct {
	// Vocabulary is what activities mean: need and interest, the touches
	// that answer need and keep a lead from idling, and the response
	// deadline (the need's time plus the vocabulary's ResponseDeadline).
	// Pass the qualify policy's Policy.Vocabulary(), as for the Planner,
	// so that the audit sees exactly the need the policy sent to sales.
	// Required.
	Vocabulary *qualify.Vocabulary
	// Lookback is how far back a need answered late is still reported, so
	// that the way leads are answered can be reviewed; older ones are
	// history. An unanswered need is reported however old. Default 30 days.
	Lookback time.Duration
	// StageLimits overrides, per stage, how long a lead may go without a
	// touch before it counts as ignored; a negative limit turns the check
	// off for that stage. Stages not listed keep their default (see
	// DefaultStageLimits).
	StageLimits map[lead.Stage]time.Duration
	// Targets are the pipeline coverage targets: how many leads, and how
	// much potential value per currency, each stage should hold. No
	// targets by default: the coverage table is reported without findings.
	Targets []Target
	// MaxFindings is how many findings of each kind, and in each currency,
	// the report keeps: the highest ranked. Default 100. The report counts
	// every finding, kept or not.
	MaxFindings int
	// Enroller, when set, names the track each unnurtured interest lead
	// should join, and the channel it needs consent on.
	Enroller *Enroller
	// Team lists the people who own leads (lead.Lead.Owner), so that the
	// report's coverage per owner shows those who own none and the load
	// imbalance counts them. Owners not listed get a row when they own a
	// lead. Default none. At most MaxOwners.
	Team []string
}

// Defaults of AuditConfig.
const (
	DefaultLookback    = 30 * 24 * time.Hour
	DefaultMaxFindings = 100
)

// MaxOwners bounds the rows of the coverage per owner, so that memory
// stays flat whatever the stream: the leads of owners beyond it are
// counted in Report.OtherOwners.
const MaxOwners = 10_000

// DefaultStageLimits returns the default time each stage allows without a
// touch (a new map on every call):
//
//	new                   1 day: judge a new lead within a day
//	nurturing            30 days: a nurture track that stalls loses the prospect
//	marketing_qualified   2 days: sales should accept or return it
//	sales_accepted        2 days
//	sales_qualified       7 days
//	opportunity          14 days
//	won                  90 days: keep in touch with existing accounts
//	lost                 14 days: a lost lead is recycled or nurtured, never left
//
// Recycled and disqualified leads are not checked: the recycle scheduler
// owns the first, and the second are closed.
//
// For sales-owned stages (sales accepted, sales qualified, opportunity,
// won) only sales touches count; for the others any touch does. A stage
// move counts as a touch too: the clock runs from the later of the last
// touch and the moment the lead entered its stage.
func DefaultStageLimits() map[lead.Stage]time.Duration {
	const d = 24 * time.Hour
	return map[lead.Stage]time.Duration{
		lead.StageNew:                1 * d,
		lead.StageNurturing:          30 * d,
		lead.StageMarketingQualified: 2 * d,
		lead.StageSalesAccepted:      2 * d,
		lead.StageSalesQualified:     7 * d,
		lead.StageOpportunity:        14 * d,
		lead.StageWon:                90 * d,
		lead.StageLost:               14 * d,
	}
}

// Target is a pipeline coverage target for one stage.
type Target struct {
	// Stage is the stage the target is for.
	Stage lead.Stage `json:"stage"`
	// Leads is the fewest leads the stage should hold; 0 sets no target.
	Leads int `json:"leads,omitempty"`
	// Values are the least total potential value the stage should hold,
	// at most one per currency: currencies are never added together.
	Values []lead.Money `json:"values,omitempty"`
}

// Item is one lead of the audit's stream, with what the host knows of it
// beyond the lead itself.
type Item struct {
	// Lead is the lead; an Item without one is counted as skipped.
	Lead *lead.Lead
	// Track is the name of the nurture track the lead is on; empty when
	// it is on none.
	Track string
	// Need is need the host found by other means (a qualify decision);
	// the audit treats it as a need activity with its own deadline.
	Need Need
}

// FindingKind says what kind of neglect a finding is.
type FindingKind uint8

// The finding kinds, in the order a report lists them.
const (
	// FindingResponseBreach: a need lead with no sales touch within the
	// response deadline: unanswered (call now), or answered late within
	// the lookback (review how leads are answered).
	FindingResponseBreach FindingKind = iota
	// FindingUnowned: a lead with unanswered need and no owner: nobody is
	// going to answer it.
	FindingUnowned
	// FindingIgnored: a lead with no touch for longer than its stage
	// allows.
	FindingIgnored
	// FindingUnnurtured: an interest lead on no nurture track.
	FindingUnnurtured
	// FindingUnownedAccount: an account with unanswered need and no
	// owner (Auditor.RunAccounts).
	FindingUnownedAccount
	// FindingBuyingGroup: an account in motion (a contact engaged) whose
	// buying group has not reached a role the policy requires, the
	// decision maker by default (Auditor.RunAccounts).
	FindingBuyingGroup
	// FindingCoverage: a stage holding fewer leads, or less potential
	// value in a currency, than its target.
	FindingCoverage
	numKinds
)

var kindNames = [...]string{"response_breach", "unowned", "ignored", "unnurtured", "unowned_account", "buying_group", "coverage"}

// String returns the kind's name, e.g. "response_breach".
func (k FindingKind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return "finding(" + strconv.Itoa(int(k)) + ")"
}

// MarshalText implements encoding.TextMarshaler.
func (k FindingKind) MarshalText() ([]byte, error) {
	if k >= numKinds {
		return nil, fmt.Errorf("invalid finding kind %d", uint8(k))
	}
	return []byte(kindNames[k]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *FindingKind) UnmarshalText(b []byte) error {
	for i, n := range kindNames {
		if n == string(b) {
			*k = FindingKind(i)
			return nil
		}
	}
	return fmt.Errorf("unknown finding kind %q (accepted: %s)", clip(string(b), 40), strings.Join(kindNames[:], ", "))
}

// Finding is one thing a sales manager should act on. Action says what to
// do; the other fields are its evidence.
type Finding struct {
	// Kind is what kind of neglect this is.
	Kind FindingKind `json:"kind"`
	// Lead is the lead's ID; empty for coverage and buying groups; for an
	// unowned account, the contact whose need waits.
	Lead string `json:"lead,omitempty"`
	// Account is the account's ID, for the findings of RunAccounts.
	Account string `json:"account,omitempty"`
	// Owner is the lead's owner, who should act.
	Owner string `json:"owner,omitempty"`
	// Stage is the lead's stage, or the stage a coverage finding is about.
	Stage lead.Stage `json:"stage"`
	// Value is the lead's potential value; for coverage, the stage's total
	// in the currency concerned.
	Value lead.Money `json:"value,omitzero"`
	// Since is when the clock started: the need, the last touch, the
	// first sign of interest.
	Since time.Time `json:"since,omitzero"`
	// Due is when the time allowed ran out: the response deadline, the
	// stage's limit.
	Due time.Time `json:"due,omitzero"`
	// Overdue is how late: now (or the late answer) minus Due; for
	// unnurtured interest, the time since Since.
	Overdue time.Duration `json:"overdue_ns,omitempty"`
	// Answered is, for a need answered late, the first sales touch after
	// it; zero while the need is unanswered.
	Answered time.Time `json:"answered,omitzero"`
	// Need is the kind of the need activity of a response breach or an
	// unowned lead; empty when the need came from Item.Need.
	Need lead.Kind `json:"need,omitempty"`
	// OutsideHours reports, for a response breach or an unowned lead, that
	// the need arrived outside the team's response hours (the policy's
	// Settings.ResponseHours): a team that missed need in its own hours
	// and one that was not there to see it are told apart. Always false
	// when the policy has no response hours.
	OutsideHours bool `json:"outside_hours,omitempty"`
	// Track is the track an unnurtured lead should join, when the audit
	// has an Enroller.
	Track string `json:"track,omitempty"`
	// Channel is the channel of the first step of Track, when the audit
	// has an Enroller.
	Channel lead.Channel `json:"channel,omitempty"`
	// NeedsConsent reports that an unnurtured lead must opt in (on
	// Channel, or on any channel) before it can be nurtured.
	NeedsConsent bool `json:"needs_consent,omitempty"`
	// Leads is a coverage finding's count of leads in the stage.
	Leads int `json:"leads,omitempty"`
	// TargetLeads is a coverage finding's target count.
	TargetLeads int `json:"target_leads,omitempty"`
	// TargetValue is a coverage finding's value target.
	TargetValue lead.Money `json:"target_value,omitzero"`
	// Engaged is, for a buying group, how many of its contacts are
	// engaged (a fresh need or interest signal).
	Engaged int `json:"engaged,omitempty"`
	// Missing are the roles a buying group has not reached.
	Missing []lead.Role `json:"missing,omitempty"`
	// Action says what to do, in a sentence.
	Action string `json:"action"`
}

// Total counts the findings of one kind: how many the audit found, and how
// many the report kept (at most MaxFindings per currency).
type Total struct {
	// Kind is the kind counted.
	Kind FindingKind `json:"kind"`
	// Found counts every finding of the kind.
	Found int `json:"found"`
	// Kept counts those the report lists.
	Kept int `json:"kept"`
}

// Coverage is one stage of the pipeline: its leads and their total
// potential value per currency, against its target.
type Coverage struct {
	// Stage is the stage of the row.
	Stage lead.Stage `json:"stage"`
	// Leads counts the stage's leads.
	Leads int `json:"leads"`
	// Unvalued counts the leads with no usable potential value (none
	// stated, an unknown currency, a negative amount): every lead should
	// have one.
	Unvalued int `json:"unvalued,omitempty"`
	// Values are the total potential value per currency, ordered by
	// currency code.
	Values []lead.Money `json:"values,omitempty"`
	// Target is the stage's target; the zero Target when it has none.
	Target Target `json:"target,omitzero"`
	// Short reports whether the stage falls short of its target.
	Short bool `json:"short,omitempty"`
}

// Report is the result of an audit.
type Report struct {
	// At is the audit's now.
	At time.Time `json:"at"`
	// Leads counts the leads audited.
	Leads int `json:"leads"`
	// Accounts counts the accounts audited, by RunAccounts.
	Accounts int `json:"accounts,omitempty"`
	// Skipped counts the items the audit could not judge: no lead, or a
	// lead with an unknown stage.
	Skipped int `json:"skipped,omitempty"`
	// Undated counts the leads whose idle time cannot be judged: no
	// touch, no stage move, no creation time, no dated activity.
	Undated int `json:"undated,omitempty"`
	// Findings are ordered by kind (response breaches, ignored,
	// unnurtured, coverage); within a kind by currency code (findings
	// without a known value last: amounts in different currencies are
	// never ranked against each other), then by potential value, highest
	// first, then by overdue time, longest first, then by lead ID.
	// Coverage findings follow the funnel's order.
	Findings []Finding `json:"findings"`
	// Totals count the findings of each kind, in kind order.
	Totals []Total `json:"totals"`
	// Coverage has a row for every stage that holds a lead or has a
	// target, in funnel order.
	Coverage []Coverage `json:"coverage"`
	// Owners is the coverage per owner: a row for every member of
	// AuditConfig.Team and every other owner of an audited lead (at most
	// MaxOwners), by owner, and last a row with Owner "" for the leads
	// nobody owns, when there are any.
	Owners []OwnerLoad `json:"owners"`
	// OtherOwners counts the leads of owners beyond MaxOwners, in no row.
	OtherOwners int `json:"other_owners,omitempty"`
	// Imbalance is the load imbalance of the team: the most open leads
	// any owner has over the mean of the owners' open leads (the row
	// without an owner aside). 1 is an even spread, 2 someone carrying
	// twice the average; 0 when no owner has an open lead.
	Imbalance float64 `json:"imbalance"`
}

// OwnerLoad is one owner's share of the audited leads: what they hold and
// what they neglect. Every count covers every finding found, kept in the
// report or not.
type OwnerLoad struct {
	// Owner is the owner (lead.Lead.Owner); "" for the leads nobody owns.
	Owner string `json:"owner"`
	// Leads counts the owner's leads, in any stage.
	Leads int `json:"leads"`
	// Open counts those still open: every stage but won, lost, recycled
	// and disqualified.
	Open int `json:"open"`
	// Need counts the leads with unanswered need, in time or not.
	Need int `json:"need"`
	// Breaches counts the response breaches, and BreachesOutsideHours
	// those among them whose need arrived outside the team's response
	// hours.
	Breaches             int `json:"breaches"`
	BreachesOutsideHours int `json:"breaches_outside_hours,omitempty"`
	// Ignored counts the ignored prospects.
	Ignored int `json:"ignored"`
}

// Auditor audits a stream of leads for neglect. Build it with
// [NewAuditor]; it is immutable and safe for concurrent use, and each Run
// is independent.
type Auditor struct {
	cfg     AuditConfig
	kinds   kinds
	limits  []time.Duration // by stage; 0: not checked
	targets []Target        // by stage; zero Target: none
	team    []string
}

// withDefaults fills the zero fields with their defaults: the one place
// defaults are set (the stage limits' are DefaultStageLimits).
func (c AuditConfig) withDefaults() AuditConfig {
	c.Lookback = cmp.Or(c.Lookback, DefaultLookback)
	c.MaxFindings = cmp.Or(c.MaxFindings, DefaultMaxFindings)
	return c
}

// validate checks the scalar fields of an AuditConfig whose defaults are
// filled, naming the field; NewAuditor checks the tables as it builds them.
func (c AuditConfig) validate() error {
	switch {
	case c.Vocabulary == nil:
		return configErr("Vocabulary", errNoVocabulary)
	case c.Lookback < 0:
		return configErr("Lookback", fmt.Sprintf("is negative (%s)", c.Lookback))
	case c.MaxFindings < 0 || c.MaxFindings > 100_000:
		return configErr("MaxFindings", fmt.Sprintf("%d is not between 1 and 100000", c.MaxFindings))
	}
	return nil
}

// NewAuditor validates cfg, fills its defaults and returns an Auditor. A
// refused field is an *Error naming it.
func NewAuditor(cfg AuditConfig) (*Auditor, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	n := len(lead.Stages())
	a := &Auditor{kinds: kinds{cfg.Vocabulary}, limits: make([]time.Duration, n), targets: make([]Target, n)}
	for s, d := range DefaultStageLimits() {
		a.limits[s] = d
	}
	for _, s := range slices.Sorted(maps.Keys(cfg.StageLimits)) {
		d := cfg.StageLimits[s]
		field := "StageLimits[" + s.String() + "]"
		switch {
		case !s.Valid():
			return nil, configErr(field, "is not a stage")
		case d < 0:
			a.limits[s] = 0
		case d > 0:
			a.limits[s] = d
		}
	}
	for i, t := range cfg.Targets {
		field := fmt.Sprintf("Targets[%d]", i)
		if !t.Stage.Valid() {
			return nil, configErr(field+".Stage", fmt.Sprintf("%d is not a stage", uint8(t.Stage)))
		}
		if a.targets[t.Stage].Stage == t.Stage && (a.targets[t.Stage].Leads != 0 || a.targets[t.Stage].Values != nil) {
			return nil, configErr(field+".Stage", fmt.Sprintf("a second target for %s", t.Stage))
		}
		if t.Leads < 0 {
			return nil, configErr(field+".Leads", fmt.Sprintf("is negative (%d)", t.Leads))
		}
		seen := map[lead.Currency]bool{}
		for j, v := range t.Values {
			vf := fmt.Sprintf("%s.Values[%d]", field, j)
			switch {
			case !v.Known() || !v.Currency.Valid():
				return nil, configErr(vf, fmt.Sprintf("%s has no valid currency", v))
			case v.IsNegative():
				return nil, configErr(vf, fmt.Sprintf("is negative (%s)", v))
			case seen[v.Currency]:
				return nil, configErr(vf, fmt.Sprintf("a second target in %s", v.Currency))
			}
			seen[v.Currency] = true
		}
		if t.Leads == 0 && len(t.Values) == 0 {
			return nil, configErr(field, "sets neither Leads nor Values")
		}
		t.Values = slices.Clone(t.Values)
		slices.SortFunc(t.Values, func(x, y lead.Money) int { return cmp.Compare(x.Currency, y.Currency) })
		a.targets[t.Stage] = t
	}
	if len(cfg.Team) > MaxOwners {
		return nil, configErr("Team", fmt.Sprintf("%d people, more than %d", len(cfg.Team), MaxOwners))
	}
	seen := make(map[string]bool, len(cfg.Team))
	for i, o := range cfg.Team {
		field := fmt.Sprintf("Team[%d]", i)
		switch {
		case o == "":
			return nil, configErr(field, "is empty")
		case seen[o]:
			return nil, configErr(field, fmt.Sprintf("%q listed twice", clip(o, 60)))
		}
		seen[o] = true
	}
	a.team = slices.Clone(cfg.Team)
	cfg.StageLimits, cfg.Targets, cfg.Team = nil, nil, nil // kept above; the host's may change
	a.cfg = cfg
	return a, nil
}

// Run audits the leads as of now and returns the report.
//
// It streams: it keeps no lead, only the MaxFindings highest-ranked
// findings of each kind and currency and one total per stage and currency,
// so memory stays flat however many leads pass: at most MaxFindings
// findings per kind and currency in use, a few megabytes for a million
// leads in a handful of currencies. The stream may reuse one Lead value
// from item to item; the report keeps none of it but strings and amounts.
// Leads are not deduplicated: give each once.
//
// What counts, for each lead that is not disqualified:
//
//   - response breach: the need (an activity of need intent, or
//     Item.Need) after the last sales touch with the earliest deadline,
//     once that deadline has passed; or, when there is none, the earliest
//     need answered by the last sales touch (a need after the touch
//     before it), if that touch came after the deadline and the need is
//     within the lookback. An activity that is both need and a sales
//     touch (a call that connected, a meeting booked) answers itself.
//     Deadlines are the vocabulary's (qualify.Vocabulary.Deadline: the
//     team's working time when the policy has response hours), and a
//     breach says whether its need arrived outside those hours.
//   - unowned: a lead with unanswered need (overdue or not) and no owner.
//   - ignored: a lead whose time since its last touch, or since it entered
//     its stage if later, exceeds its stage's limit (see
//     DefaultStageLimits). A lead with no recorded stage move entered its
//     stage when it was created, or else at its earliest activity.
//   - unnurtured: a lead on no track (Item.Track empty) in stage new,
//     nurturing or marketing qualified, that shows interest (an activity
//     of interest intent, or any Interests) or is in nurturing, and has
//     no unanswered need. A lead whose consent is withdrawn is not
//     reported: permission is respected, not neglect.
//   - coverage: every lead counts in its stage, disqualified ones too;
//     and in its owner's row (Report.Owners), with the owner's open
//     leads, unanswered need, breaches and ignored prospects, from which
//     the team's load imbalance is drawn.
//
// Run checks ctx every 1024 items; when it is done, Run returns its error,
// wrapped, and no report.
func (a *Auditor) Run(ctx context.Context, items iter.Seq[Item], now time.Time) (*Report, error) {
	st := newAuditState(a, now)
	n := 0
	var stopped error
	for it := range items {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				stopped = err
				break
			}
		}
		n++
		st.item(&it, time.Time{})
	}
	if stopped != nil {
		return nil, fmt.Errorf("nurture: audit stopped after %d items: %w", n, stopped)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("nurture: audit stopped after %d items: %w", n, err)
	}
	return st.report(), nil
}

// auditState is what an audit run keeps: bounded whatever the stream.
type auditState struct {
	a       *Auditor
	now     time.Time
	rep     Report
	found   [numKinds]int
	top     map[bucket]*topK
	stages  []stageSum
	undated int
	owners  map[string]*OwnerLoad
	others  int
	// curs remembers the validity of the last currencies seen, so that
	// the ISO 4217 table is not searched for every lead.
	curs [4]curValidity
	next int
	// acc is the account whose leads RunAccounts is auditing, if any.
	acc *lead.Account
}

type curValidity struct {
	c  lead.Currency
	ok bool
}

// rankCurrency is the currency a lead's value is totalled and ranked in:
// "" when it is not a known, valid, non-negative amount.
func (st *auditState) rankCurrency(m lead.Money) lead.Currency {
	if !m.Known() || m.IsNegative() {
		return ""
	}
	for _, cv := range st.curs {
		if cv.c == m.Currency && cv.c != "" {
			if cv.ok {
				return cv.c
			}
			return ""
		}
	}
	ok := m.Currency.Valid()
	st.curs[st.next] = curValidity{m.Currency, ok}
	st.next = (st.next + 1) % len(st.curs)
	if ok {
		return m.Currency
	}
	return ""
}

type bucket struct {
	kind     FindingKind
	currency lead.Currency // "" for no known value
}

type stageSum struct {
	leads, unvalued int
	sums            map[lead.Currency]*accumulator
}

func newAuditState(a *Auditor, now time.Time) *auditState {
	st := &auditState{a: a, now: now, top: map[bucket]*topK{}, stages: make([]stageSum, len(a.limits)),
		owners: make(map[string]*OwnerLoad, len(a.team)+1)}
	for _, o := range a.team {
		st.owners[o] = &OwnerLoad{Owner: o}
	}
	return st
}

// owner returns the row of owner, nil when MaxOwners rows are taken.
func (st *auditState) owner(owner string) *OwnerLoad {
	if o := st.owners[owner]; o != nil {
		return o
	}
	named := len(st.owners)
	if st.owners[""] != nil {
		named--
	}
	if owner != "" && named >= MaxOwners {
		return nil
	}
	o := &OwnerLoad{Owner: owner}
	st.owners[owner] = o
	return o
}

// open reports whether a lead in stage s is still open.
func open(s lead.Stage) bool {
	switch s {
	case lead.StageWon, lead.StageLost, lead.StageRecycled, lead.StageDisqualified:
		return false
	}
	return true
}

// leadFacts is what one pass over a lead's activities finds.
type leadFacts struct {
	lastTouch, lastSales, prevSales time.Time
	firstInterest, firstSeen        time.Time
	interest, anyNeed               bool
	// For an account audit: the account's loss, and what breach found.
	accountLost     time.Time
	pending         bool
	pendAt, pendDue time.Time
	pendKind        lead.Kind
	judged          bool // the lead was audited: not skipped, not disqualified
}

// item audits one lead. accountLost is when its account was set aside
// (zero: never, or no account): that loss answers the need before it too.
// It returns what an account audit needs of the lead; the zero leadFacts
// for a lead it could not judge or that is disqualified.
func (st *auditState) item(it *Item, accountLost time.Time) leadFacts {
	l := it.Lead
	if l == nil || !l.Stage.Valid() {
		st.rep.Skipped++
		return leadFacts{}
	}
	st.rep.Leads++
	cur := st.rankCurrency(l.Value)
	st.cover(l, cur)
	o := st.owner(l.Owner)
	if o == nil {
		st.others++
	} else {
		o.Leads++
		if open(l.Stage) {
			o.Open++
		}
	}
	if disqualified(l) {
		return leadFacts{}
	}
	k := st.a.kinds
	var f leadFacts
	for i := range l.Activities {
		act := &l.Activities[i]
		c := k.of(act.Kind)
		if act.At.IsZero() {
			continue
		}
		if f.firstSeen.IsZero() || act.At.Before(f.firstSeen) {
			f.firstSeen = act.At
		}
		if c.touch != lead.TouchNone && act.At.After(f.lastTouch) {
			f.lastTouch = act.At
		}
		if c.touch == lead.TouchSales {
			switch {
			case act.At.After(f.lastSales):
				f.prevSales, f.lastSales = f.lastSales, act.At
			case act.At.Before(f.lastSales) && act.At.After(f.prevSales):
				f.prevSales = act.At
			}
		}
		switch c.intent {
		case lead.IntentInterest:
			f.interest = true
			if f.firstInterest.IsZero() || act.At.Before(f.firstInterest) {
				f.firstInterest = act.At
			}
		case lead.IntentNeed:
			f.anyNeed = true
		}
	}
	for _, in := range l.Interests {
		f.interest = true
		if t := cmp.Or(in.FirstSeen, in.LastSeen); !t.IsZero() && (f.firstInterest.IsZero() || t.Before(f.firstInterest)) {
			f.firstInterest = t
		}
	}
	f.accountLost = accountLost
	pend := st.breach(it, &f, cur)
	if pend.ok {
		if o != nil {
			o.Need++
		}
		if l.Owner == "" {
			fd := Finding{Kind: FindingUnowned, Lead: l.ID, Stage: l.Stage, Value: l.Value, Since: pend.at, Due: pend.due,
				Need: pend.kind, OutsideHours: !st.a.cfg.Vocabulary.InHours(pend.at)}
			if st.now.After(pend.due) {
				fd.Overdue = st.now.Sub(pend.due)
			}
			st.add(fd, cur)
		}
	}
	st.ignored(l, &f, cur)
	if !pend.ok {
		st.unnurtured(it, &f, cur)
	}
	return f
}

// pendingNeed is a lead's unanswered need: the one with the earliest
// deadline.
type pendingNeed struct {
	at, due time.Time
	kind    lead.Kind
	ok      bool
}

// breach looks for a response breach and returns the lead's unanswered
// need (overdue or not), if it has one.
func (st *auditState) breach(it *Item, f *leadFacts, cur lead.Currency) pendingNeed {
	l, v := it.Lead, st.a.cfg.Vocabulary
	var (
		pendAt, pendDue   time.Time
		pendKind          lead.Kind
		answAt            time.Time
		answKind          lead.Kind
		pending, answered bool
	)
	if f.anyNeed {
		k := st.a.kinds
		// A loss answers every request made before it, as in qualify: the
		// lead's own, or its account's.
		lost := l.LostAt(st.now)
		if f.accountLost.After(lost) {
			lost = f.accountLost
		}
		for i := range l.Activities {
			act := &l.Activities[i]
			if act.At.IsZero() || k.of(act.Kind).intent != lead.IntentNeed || !lost.IsZero() && !act.At.After(lost) ||
				st.answeredByLine(l, act) {
				continue
			}
			switch {
			case act.At.After(f.lastSales):
				// The pending need with the earliest deadline: the earliest
				// need, unless need outside the hours is due on the clock.
				if due := v.Deadline(act.At); !pending || due.Before(pendDue) || due.Equal(pendDue) && act.At.Before(pendAt) {
					pendAt, pendDue, pendKind, pending = act.At, due, act.Kind, true
				}
			case act.At.After(f.prevSales):
				if !answered || act.At.Before(answAt) {
					answAt, answKind, answered = act.At, act.Kind, true
				}
			}
		}
	}
	if n := it.Need; !n.At.IsZero() && n.At.After(f.lastSales) {
		if d := n.deadline(v); !pending || d.Before(pendDue) {
			pendAt, pendDue, pendKind, pending = n.At, d, "", true
		}
	}
	f.judged, f.pending, f.pendAt, f.pendDue, f.pendKind = true, pending, pendAt, pendDue, pendKind
	switch {
	case pending && st.now.After(pendDue):
		st.add(Finding{Kind: FindingResponseBreach, Lead: l.ID, Owner: l.Owner, Stage: l.Stage, Value: l.Value,
			Since: pendAt, Due: pendDue, Overdue: st.now.Sub(pendDue), Need: pendKind, OutsideHours: !v.InHours(pendAt)}, cur)
	case answered && !answAt.Before(st.now.Add(-st.a.cfg.Lookback)):
		if due := v.Deadline(answAt); f.lastSales.After(due) {
			st.add(Finding{Kind: FindingResponseBreach, Lead: l.ID, Owner: l.Owner, Stage: l.Stage, Value: l.Value,
				Since: answAt, Due: due, Overdue: f.lastSales.Sub(due), Answered: f.lastSales, Need: answKind,
				OutsideHours: !v.InHours(answAt)}, cur)
		}
	}
	return pendingNeed{at: pendAt, due: pendDue, kind: pendKind, ok: pending}
}

// salesOwned reports whether only sales touches count in stage s.
func salesOwned(s lead.Stage) bool { return withSales(s) }

func (st *auditState) ignored(l *lead.Lead, f *leadFacts, cur lead.Currency) {
	limit := st.a.limits[l.Stage]
	if limit <= 0 {
		return
	}
	ref := f.lastTouch
	if salesOwned(l.Stage) {
		ref = f.lastSales
	}
	entered := time.Time{}
	for _, h := range l.History {
		if h.To == l.Stage && h.At.After(entered) {
			entered = h.At
		}
	}
	if entered.IsZero() {
		entered = l.CreatedAt
	}
	if entered.IsZero() {
		entered = f.firstSeen // the lead existed at least since then
	}
	if entered.After(ref) {
		ref = entered
	}
	if ref.IsZero() {
		st.undated++
		return
	}
	due := ref.Add(limit)
	if st.now.After(due) {
		st.add(Finding{Kind: FindingIgnored, Lead: l.ID, Owner: l.Owner, Stage: l.Stage, Value: l.Value,
			Since: ref, Due: due, Overdue: st.now.Sub(due)}, cur)
	}
}

func (st *auditState) unnurtured(it *Item, f *leadFacts, cur lead.Currency) {
	l := it.Lead
	switch l.Stage {
	case lead.StageNew, lead.StageMarketingQualified:
		if !f.interest {
			return
		}
	case lead.StageNurturing:
	default:
		return
	}
	if it.Track != "" {
		return
	}
	fd := Finding{Kind: FindingUnnurtured, Lead: l.ID, Owner: l.Owner, Stage: l.Stage, Value: l.Value}
	if e := st.a.cfg.Enroller; e != nil {
		en := e.Enrol(l, st.now)
		ch := en.Track.steps[0].Channel
		switch perm, _, _ := st.a.kinds.permit(l, ch); perm {
		case withdrawn:
			return
		case noConsent:
			fd.NeedsConsent = true
		}
		fd.Track, fd.Channel = en.Track.name, ch
	} else {
		some, all := false, true
		for ch := range l.Consent {
			switch perm, _, _ := st.a.kinds.permit(l, ch); perm {
			case permitted:
				some = true
			case noConsent:
				all = false
			}
		}
		if !some {
			if all && len(l.Consent) > 0 {
				return // every channel withdrawn
			}
			fd.NeedsConsent = true
		}
	}
	fd.Since = f.firstInterest
	if fd.Since.IsZero() || !f.interest {
		fd.Since = l.CreatedAt
		for _, h := range l.History {
			if h.To == l.Stage && h.At.After(fd.Since) {
				fd.Since = h.At
			}
		}
	}
	if !fd.Since.IsZero() && st.now.After(fd.Since) {
		fd.Overdue = st.now.Sub(fd.Since)
	}
	st.add(fd, cur)
}

// cover counts the lead in its stage's coverage; cur is the currency of
// its value, "" when it has no usable one.
func (st *auditState) cover(l *lead.Lead, cur lead.Currency) {
	s := &st.stages[l.Stage]
	s.leads++
	if cur == "" {
		s.unvalued++
		return
	}
	if s.sums == nil {
		s.sums = map[lead.Currency]*accumulator{}
	}
	acc := s.sums[cur]
	if acc == nil {
		acc = &accumulator{}
		s.sums[cur] = acc
	}
	acc.add(l.Value.Amount)
}

// add offers a finding whose value is in currency cur ("" for none) to its
// bucket's ranking.
func (st *auditState) add(f Finding, cur lead.Currency) {
	st.found[f.Kind]++
	switch f.Kind {
	case FindingResponseBreach, FindingIgnored:
		if o := st.owners[f.Owner]; o != nil {
			if f.Kind == FindingIgnored {
				o.Ignored++
			} else {
				o.Breaches++
				if f.OutsideHours {
					o.BreachesOutsideHours++
				}
			}
		}
	}
	b := bucket{f.Kind, cur}
	t := st.top[b]
	if t == nil {
		t = &topK{max: st.a.cfg.MaxFindings, valued: cur != ""}
		st.top[b] = t
	}
	t.offer(&f)
}

func (st *auditState) report() *Report {
	r := &st.rep
	r.At = st.now
	r.Undated = st.undated
	for _, b := range slices.SortedFunc(maps.Keys(st.top), cmpBucket) {
		r.Findings = append(r.Findings, st.top[b].sorted()...)
	}
	var kept [numKinds]int
	for _, f := range r.Findings {
		kept[f.Kind]++
	}
	// Coverage, and its findings in funnel order.
	for _, s := range lead.Stages() {
		ss, tg := &st.stages[s], st.a.targets[s]
		hasTarget := tg.Leads != 0 || len(tg.Values) > 0
		if ss.leads == 0 && !hasTarget {
			continue
		}
		row := Coverage{Stage: s, Leads: ss.leads, Unvalued: ss.unvalued}
		for _, c := range slices.Sorted(maps.Keys(ss.sums)) {
			row.Values = append(row.Values, lead.Money{Amount: ss.sums[c].total(), Currency: c})
		}
		if hasTarget {
			row.Target = tg
			if ss.leads < tg.Leads {
				row.Short = true
				r.Findings = append(r.Findings, Finding{Kind: FindingCoverage, Stage: s, Leads: ss.leads, TargetLeads: tg.Leads})
			}
			for _, want := range tg.Values {
				have := lead.Money{Amount: decimal.Zero, Currency: want.Currency}
				if acc := ss.sums[want.Currency]; acc != nil {
					have.Amount = acc.total()
				}
				if have.Amount.LessThan(want.Amount) {
					row.Short = true
					r.Findings = append(r.Findings, Finding{Kind: FindingCoverage, Stage: s, Value: have, TargetValue: want, Leads: ss.leads, TargetLeads: tg.Leads})
				}
			}
		}
		r.Coverage = append(r.Coverage, row)
	}
	for _, f := range r.Findings {
		if f.Kind == FindingCoverage {
			st.found[FindingCoverage]++
			kept[FindingCoverage]++
		}
	}
	for i := range r.Findings {
		r.Findings[i].Action = action(&r.Findings[i], st.now)
	}
	for k := range numKinds {
		r.Totals = append(r.Totals, Total{Kind: k, Found: st.found[k], Kept: kept[k]})
	}
	st.ownerRows()
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	return r
}

// ownerRows fills the coverage per owner and the load imbalance.
func (st *auditState) ownerRows() {
	r := &st.rep
	r.Owners = make([]OwnerLoad, 0, len(st.owners))
	total, most, n := 0, 0, 0
	for _, name := range slices.Sorted(maps.Keys(st.owners)) {
		o := st.owners[name]
		if name == "" {
			continue
		}
		r.Owners = append(r.Owners, *o)
		total, most, n = total+o.Open, max(most, o.Open), n+1
	}
	if o := st.owners[""]; o != nil {
		r.Owners = append(r.Owners, *o)
	}
	r.OtherOwners = st.others
	if total > 0 {
		r.Imbalance = float64(most) * float64(n) / float64(total)
	}
}

func cmpBucket(x, y bucket) int {
	if c := cmp.Compare(x.kind, y.kind); c != 0 {
		return c
	}
	switch {
	case x.currency == y.currency:
		return 0
	case x.currency == "":
		return 1
	case y.currency == "":
		return -1
	}
	return cmp.Compare(x.currency, y.currency)
}

// ranks reports whether f ranks before g in the same bucket (same kind
// and currency): higher value (when the bucket has values), then longer
// overdue, then lower lead ID.
func ranks(f, g *Finding, valued bool) bool {
	if valued {
		if c := f.Value.Amount.Cmp(g.Value.Amount); c != 0 {
			return c > 0
		}
	}
	if f.Overdue != g.Overdue {
		return f.Overdue > g.Overdue
	}
	return f.Lead < g.Lead
}

// topK keeps the max highest-ranked findings offered: a heap with the
// lowest-ranked kept finding at its root, so that each offer costs at most
// O(log max) comparisons, and most (those that rank below the root) one.
type topK struct {
	max    int
	valued bool // the bucket's findings have values in one currency
	h      []Finding
}

func (t *topK) offer(f *Finding) {
	if len(t.h) < t.max {
		t.h = append(t.h, *f)
		t.up(len(t.h) - 1)
		return
	}
	if !ranks(f, &t.h[0], t.valued) {
		return
	}
	t.h[0] = *f
	t.down(0)
}

// worse is the heap order: the root is the lowest ranked.
func (t *topK) worse(i, j int) bool { return ranks(&t.h[j], &t.h[i], t.valued) }

func (t *topK) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !t.worse(i, p) {
			return
		}
		t.h[i], t.h[p] = t.h[p], t.h[i]
		i = p
	}
}

func (t *topK) down(i int) {
	n := len(t.h)
	for {
		w, l, r := i, 2*i+1, 2*i+2
		if l < n && t.worse(l, w) {
			w = l
		}
		if r < n && t.worse(r, w) {
			w = r
		}
		if w == i {
			return
		}
		t.h[i], t.h[w] = t.h[w], t.h[i]
		i = w
	}
}

func (t *topK) sorted() []Finding {
	out := slices.Clone(t.h)
	slices.SortFunc(out, func(x, y Finding) int {
		switch {
		case ranks(&x, &y, t.valued):
			return -1
		case ranks(&y, &x, t.valued):
			return 1
		}
		return 0
	})
	return out
}

// accumulator adds decimal amounts without allocating while they fit an
// int64 at one scale, and exactly in any case.
type accumulator struct {
	started bool
	exp     int32
	coef    int64
	spill   decimal.Decimal
}

func (s *accumulator) add(d decimal.Decimal) {
	if d.NumDigits() <= 18 {
		e := d.Exponent()
		if !s.started {
			s.started, s.exp = true, e
		}
		if e == s.exp {
			c := d.CoefficientInt64()
			if sum := s.coef + c; (c >= 0 && sum >= s.coef) || (c < 0 && sum < s.coef) {
				s.coef = sum
				return
			}
		}
	}
	s.spill = s.spill.Add(d)
}

func (s *accumulator) total() decimal.Decimal {
	return decimal.New(s.coef, s.exp).Add(s.spill)
}
