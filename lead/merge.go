package lead

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"
)

// MergedLead records a lead merged into another by [Merge]: its ID, so
// that a host can point its references at the lead that holds the record,
// and the funnels merging did not keep live, so that no history is lost.
type MergedLead struct {
	// ID is the merged lead's ID.
	ID string `json:"id"`
	// CreatedAt is when the merged lead was created; zero when unknown.
	CreatedAt time.Time `json:"created_at,omitzero"`
	// Email and Phone are the merged lead's contact address and number,
	// when they differ from the lead's own: the same person may write from
	// them again.
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
	// Funnel is its funnel on the implicit line (its Stage, LostReason and
	// History), when the other lead's was kept live instead.
	Funnel *Funnel `json:"funnel,omitempty"`
	// Lines are its funnels on product lines where the other lead's were
	// kept live instead.
	Lines map[string]Funnel `json:"lines,omitempty"`
}

// Merge combines two records of one person, a and b, into one lead: two
// leads with the same email address, or the same person under two
// addresses at one company. It reads neither argument's slices or maps
// after it returns: the result shares nothing with them.
//
// The survivor, whose ID the result keeps, is the lead created first
// (a lead without a creation time counts as created last), then the one
// with the smaller ID; for two versions of one lead (the same ID), the one
// updated last. The result has:
//
//   - the earliest creation time and the latest update time;
//   - the strongest consent on every channel: an opt-out on either lead
//     wins over any opt-in, and an opt-in over no answer;
//   - do not contact, when either lead was lost with that reason: it is
//     kept live whatever the other lead's stage;
//   - every activity and interest of both, an activity recorded on both
//     counted once, an interest's first and last sighting widened to both;
//   - on the implicit line and on each product line, the funnel with the
//     latest move (the person's most recent state), then the one further
//     along the funnel; the funnel not kept is recorded in Merged, with
//     its lead's ID, and the merged lead's own ID is always recorded, so
//     that no history is lost;
//   - the survivor's contact, company, source, owner, dates, budget and
//     custom fields, each completed from the other lead where the
//     survivor's is unknown; the higher potential value when both are in
//     one currency.
//
// Merge is commutative (Merge(a, b) equals Merge(b, a)) and idempotent
// (Merge(a, a) equals a, and merging a lead again into the result changes
// nothing). Whether two leads are one person is the caller's judgement:
// the match package finds candidates.
func Merge(a, b Lead) Lead {
	s, o := &a, &b
	if !survives(s, o) {
		s, o = o, s
	}
	out := s.Clone()
	fill(&out.Contact.Name, o.Contact.Name)
	fill(&out.Contact.Email, o.Contact.Email)
	fill(&out.Contact.Phone, o.Contact.Phone)
	fill(&out.Contact.Title, o.Contact.Title)
	fill(&out.Contact.TimeZone, o.Contact.TimeZone)
	if out.Contact.Role == RoleUnknown {
		out.Contact.Role = o.Contact.Role
	}
	fill(&out.Company.Name, o.Company.Name)
	fill(&out.Company.Domain, o.Company.Domain)
	fill(&out.Company.Industry, o.Company.Industry)
	fill(&out.Company.Country, o.Company.Country)
	if out.Company.Employees == 0 {
		out.Company.Employees = o.Company.Employees
	}
	fill(&out.Source, o.Source)
	fill(&out.Owner, o.Owner)
	if !out.Budget.Known() {
		out.Budget = o.Budget
	}
	switch {
	case !out.Value.Known():
		out.Value = o.Value
	case o.Value.Known() && o.Value.Currency == out.Value.Currency && o.Value.Amount.GreaterThan(out.Value.Amount):
		out.Value = o.Value
	}
	if out.ExpectedPurchase.IsZero() {
		out.ExpectedPurchase = o.ExpectedPurchase
	}
	if out.Renewal.IsZero() {
		out.Renewal = o.Renewal
	}
	if out.CreatedAt.IsZero() || !o.CreatedAt.IsZero() && o.CreatedAt.Before(out.CreatedAt) {
		out.CreatedAt = o.CreatedAt
	}
	if o.UpdatedAt.After(out.UpdatedAt) {
		out.UpdatedAt = o.UpdatedAt
	}
	out.Interests = mergeInterests(out.Interests, o.Interests)
	out.Activities = mergeActivities(out.Activities, o.Activities)
	for ch, c := range o.Consent {
		if have, ok := out.Consent[ch]; !ok || consentStrength(c.State) > consentStrength(have.State) {
			if out.Consent == nil {
				out.Consent = map[Channel]Consent{}
			}
			out.Consent[ch] = c
		}
	}
	for k, v := range o.Fields {
		if _, ok := out.Fields[k]; !ok {
			if out.Fields == nil {
				out.Fields = map[string]any{}
			}
			out.Fields[k] = cloneValue(v)
		}
	}

	// The funnels: one kept live per line, the other recorded.
	recS := MergedLead{ID: s.ID, CreatedAt: s.CreatedAt}
	recO := MergedLead{ID: o.ID, CreatedAt: o.CreatedAt}
	if o.Contact.Email != out.Contact.Email {
		recO.Email = o.Contact.Email
	}
	if o.Contact.Phone != out.Contact.Phone {
		recO.Phone = o.Contact.Phone
	}
	if fs, fo := s.Funnel(""), o.Funnel(""); !equalFunnels(fs, fo) {
		if liveBefore(fo, fs) {
			out.SetFunnel("", cloneFunnel(fo))
			recS.Funnel = ptr(cloneFunnel(fs))
		} else {
			recO.Funnel = ptr(cloneFunnel(fo))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(o.Lines)) {
		fo := o.Lines[name]
		fs, ok := s.Lines[name]
		switch {
		case !ok:
			out.SetFunnel(name, cloneFunnel(fo))
		case equalFunnels(fs, fo):
		case liveBefore(fo, fs):
			out.SetFunnel(name, cloneFunnel(fo))
			recS.Lines = setLine(recS.Lines, name, cloneFunnel(fs))
		default:
			recO.Lines = setLine(recO.Lines, name, cloneFunnel(fo))
		}
	}
	for _, m := range o.Merged {
		out.Merged = addRecord(out.Merged, cloneMerged(m))
	}
	if s.ID == o.ID {
		// Two versions of one lead: one record at most, of what was set
		// aside.
		if recO.Funnel == nil {
			recO.Funnel = recS.Funnel
		}
		for name, f := range recS.Lines {
			recO.Lines = setLine(recO.Lines, name, f)
		}
		recS = MergedLead{}
		recO.CreatedAt = out.CreatedAt
		if recO.Funnel == nil && recO.Lines == nil && recO.Email == "" && recO.Phone == "" {
			return out
		}
	}
	if recS.Funnel != nil || recS.Lines != nil {
		out.Merged = addRecord(out.Merged, recS)
	}
	return withRecord(out, recO)
}

func withRecord(l Lead, r MergedLead) Lead {
	l.Merged = addRecord(l.Merged, r)
	return l
}

func ptr[T any](v T) *T { return &v }

func setLine(m map[string]Funnel, name string, f Funnel) map[string]Funnel {
	if m == nil {
		m = map[string]Funnel{}
	}
	m[name] = f
	return m
}

// survives reports whether a is the survivor of a merge with b: created
// first (a zero creation time counts as last), then the smaller ID, then
// (two versions of one lead) updated last, then the one that sorts first
// by content, so that the choice does not depend on the order of the
// arguments.
func survives(a, b *Lead) bool {
	switch {
	case a.CreatedAt.IsZero() != b.CreatedAt.IsZero():
		return !a.CreatedAt.IsZero()
	case !a.CreatedAt.Equal(b.CreatedAt):
		return a.CreatedAt.Before(b.CreatedAt)
	case a.ID != b.ID:
		return a.ID < b.ID
	case !a.UpdatedAt.Equal(b.UpdatedAt):
		return a.UpdatedAt.After(b.UpdatedAt)
	}
	return compareLeads(a, b) <= 0
}

// compareLeads orders two versions of one lead (the same ID and times):
// the one that records more first, so that a version merged with another
// survives a merge with either again; then a total order on content.
func compareLeads(a, b *Lead) int {
	return cmp.Or(
		-cmp.Compare(known(a), known(b)),
		-cmp.Compare(len(a.Activities), len(b.Activities)),
		-cmp.Compare(len(a.Interests), len(b.Interests)),
		-cmp.Compare(len(a.Consent), len(b.Consent)),
		-cmp.Compare(len(a.Lines), len(b.Lines)),
		-cmp.Compare(len(a.Merged), len(b.Merged)),
		-cmp.Compare(len(a.Fields), len(b.Fields)),
		cmp.Compare(a.Contact.Name, b.Contact.Name),
		cmp.Compare(a.Contact.Email, b.Contact.Email),
		cmp.Compare(a.Contact.Phone, b.Contact.Phone),
		cmp.Compare(a.Contact.Title, b.Contact.Title),
		cmp.Compare(a.Contact.Role, b.Contact.Role),
		cmp.Compare(a.Contact.TimeZone, b.Contact.TimeZone),
		cmp.Compare(a.Company.Name, b.Company.Name),
		cmp.Compare(a.Company.Domain, b.Company.Domain),
		cmp.Compare(a.Company.Industry, b.Company.Industry),
		cmp.Compare(a.Company.Country, b.Company.Country),
		cmp.Compare(a.Company.Employees, b.Company.Employees),
		cmp.Compare(a.Source, b.Source),
		cmp.Compare(a.Owner, b.Owner),
		cmp.Compare(a.Budget.String(), b.Budget.String()),
		cmp.Compare(a.Value.String(), b.Value.String()),
		a.ExpectedPurchase.Compare(b.ExpectedPurchase),
		a.Renewal.Compare(b.Renewal),
		slices.CompareFunc(a.Activities, b.Activities, compareActivities),
	)
}

// known counts the fields of a lead's contact and company that are set.
func known(l *Lead) int {
	n := 0
	for _, v := range [...]string{l.Contact.Name, l.Contact.Email, l.Contact.Phone, l.Contact.Title,
		l.Contact.TimeZone, l.Company.Name, l.Company.Domain, l.Company.Industry, l.Company.Country, l.Source, l.Owner} {
		if v != "" {
			n++
		}
	}
	for _, ok := range [...]bool{l.Contact.Role != RoleUnknown, l.Company.Employees != 0, l.Budget.Known(), l.Value.Known(),
		!l.ExpectedPurchase.IsZero(), !l.Renewal.IsZero()} {
		if ok {
			n++
		}
	}
	return n
}

func fill(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

// consentStrength orders consent states for a merge: an opt-out wins.
func consentStrength(s ConsentState) int {
	switch s {
	case ConsentOptedOut:
		return 2
	case ConsentOptedIn:
		return 1
	}
	return 0
}

// mergeInterests adds to mine the interests of theirs: an interest in a
// topic both have (case ignored) is widened to both sightings.
func mergeInterests(mine, theirs []Interest) []Interest {
	used := make([]bool, len(mine))
	for _, in := range theirs {
		if i := slices.IndexFunc(mine[:len(used)], func(x Interest) bool { return x == in }); i >= 0 && !used[i] {
			used[i] = true // recorded on both: nothing to widen
			continue
		}
		i := slices.IndexFunc(mine, func(x Interest) bool { return x.Topic == in.Topic })
		if i < 0 {
			i = slices.IndexFunc(mine, func(x Interest) bool { return strings.EqualFold(x.Topic, in.Topic) })
		}
		if i < 0 {
			mine = append(mine, in)
			continue
		}
		m := &mine[i]
		if m.FirstSeen.IsZero() || !in.FirstSeen.IsZero() && in.FirstSeen.Before(m.FirstSeen) {
			m.FirstSeen = in.FirstSeen
		}
		if in.LastSeen.After(m.LastSeen) {
			m.LastSeen = in.LastSeen
		}
	}
	return mine
}

// mergeActivities adds to mine the activities of theirs that mine does not
// record: each activity of mine stands for at most one equal activity of
// theirs, so that merging the same lead again adds nothing.
func mergeActivities(mine, theirs []Activity) []Activity {
	used := make([]bool, len(mine))
	n := len(mine)
	for _, a := range theirs {
		found := false
		for i := range n {
			if !used[i] && equalActivities(&mine[i], &a) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			mine = append(mine, cloneActivity(a))
		}
	}
	return mine
}

func equalActivities(a, b *Activity) bool {
	return a.Kind == b.Kind && a.At.Equal(b.At) && a.Asset == b.Asset && a.Product == b.Product &&
		a.Channel == b.Channel && maps.Equal(a.Attrs, b.Attrs)
}

func compareActivities(a, b Activity) int {
	return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Product, b.Product),
		cmp.Compare(a.Asset, b.Asset), cmp.Compare(a.Channel, b.Channel), cmp.Compare(len(a.Attrs), len(b.Attrs)))
}

// liveBefore reports whether funnel a is kept live over b in a merge: do
// not contact first, then the latest move, then the stage further along,
// then by content.
func liveBefore(a, b Funnel) bool {
	if ad, bd := a.LostReason == ReasonDoNotContact, b.LostReason == ReasonDoNotContact; ad != bd {
		return ad
	}
	if c := lastMove(a).Compare(lastMove(b)); c != 0 {
		return c > 0
	}
	if pa, pb := precedence(a.Stage), precedence(b.Stage); pa != pb {
		return pa > pb
	}
	return compareFunnels(a, b) < 0
}

// livePrecedence ranks stages for a merge of funnels without dated moves:
// a deal being worked first, a closed lead before an unjudged one.
var livePrecedence = [...]int{
	StageNew:                0,
	StageRecycled:           1,
	StageLost:               2,
	StageDisqualified:       3,
	StageNurturing:          4,
	StageMarketingQualified: 5,
	StageWon:                6,
	StageSalesAccepted:      7,
	StageSalesQualified:     8,
	StageOpportunity:        9,
}

func precedence(s Stage) int {
	if int(s) < len(livePrecedence) {
		return livePrecedence[s]
	}
	return -1
}

func lastMove(f Funnel) time.Time {
	var t time.Time
	for _, h := range f.History {
		if h.At.After(t) {
			t = h.At
		}
	}
	return t
}

func compareFunnels(a, b Funnel) int {
	return cmp.Or(cmp.Compare(a.Stage, b.Stage), cmp.Compare(a.LostReason, b.LostReason),
		slices.CompareFunc(a.History, b.History, func(x, y Transition) int {
			return cmp.Or(x.At.Compare(y.At), cmp.Compare(x.From, y.From), cmp.Compare(x.To, y.To), cmp.Compare(x.Reason, y.Reason))
		}))
}

func equalFunnels(a, b Funnel) bool { return compareFunnels(a, b) == 0 }

func equalRecords(a, b *MergedLead) bool {
	if a.ID != b.ID || !a.CreatedAt.Equal(b.CreatedAt) || a.Email != b.Email || a.Phone != b.Phone || (a.Funnel == nil) != (b.Funnel == nil) || len(a.Lines) != len(b.Lines) {
		return false
	}
	if a.Funnel != nil && !equalFunnels(*a.Funnel, *b.Funnel) {
		return false
	}
	for name, f := range a.Lines {
		g, ok := b.Lines[name]
		if !ok || !equalFunnels(f, g) {
			return false
		}
	}
	return true
}

// addRecord appends r to rs unless rs already records all of it: every
// funnel, address and number of r in a record of the same ID.
func addRecord(rs []MergedLead, r MergedLead) []MergedLead {
	if slices.ContainsFunc(rs, func(x MergedLead) bool { return equalRecords(&x, &r) }) || covered(rs, &r) {
		return rs
	}
	return append(rs, r)
}

func covered(rs []MergedLead, r *MergedLead) bool {
	has := func(ok func(x *MergedLead) bool) bool {
		for i := range rs {
			if rs[i].ID == r.ID && ok(&rs[i]) {
				return true
			}
		}
		return false
	}
	if !has(func(x *MergedLead) bool { return x.CreatedAt.Equal(r.CreatedAt) }) {
		return false
	}
	if r.Email != "" && !has(func(x *MergedLead) bool { return x.Email == r.Email }) ||
		r.Phone != "" && !has(func(x *MergedLead) bool { return x.Phone == r.Phone }) ||
		r.Funnel != nil && !has(func(x *MergedLead) bool { return x.Funnel != nil && equalFunnels(*x.Funnel, *r.Funnel) }) {
		return false
	}
	for name, f := range r.Lines {
		if !has(func(x *MergedLead) bool { g, ok := x.Lines[name]; return ok && equalFunnels(f, g) }) {
			return false
		}
	}
	return true
}

// Clone returns a deep copy of the lead: it shares no slice or map with l,
// custom fields included.
func (l *Lead) Clone() Lead {
	out := *l
	out.Interests = slices.Clone(l.Interests)
	if l.Activities != nil {
		out.Activities = make([]Activity, len(l.Activities))
		for i, a := range l.Activities {
			out.Activities[i] = cloneActivity(a)
		}
	}
	out.Consent = maps.Clone(l.Consent)
	out.History = slices.Clone(l.History)
	if l.Lines != nil {
		out.Lines = make(map[string]Funnel, len(l.Lines))
		for k, f := range l.Lines {
			out.Lines[k] = cloneFunnel(f)
		}
	}
	if l.Merged != nil {
		out.Merged = make([]MergedLead, len(l.Merged))
		for i, m := range l.Merged {
			out.Merged[i] = cloneMerged(m)
		}
	}
	if l.Fields != nil {
		out.Fields = cloneValue(l.Fields).(map[string]any)
	}
	return out
}

func cloneActivity(a Activity) Activity {
	a.Attrs = maps.Clone(a.Attrs)
	return a
}

func cloneFunnel(f Funnel) Funnel {
	f.History = slices.Clone(f.History)
	return f
}

func cloneMerged(m MergedLead) MergedLead {
	if m.Funnel != nil {
		m.Funnel = ptr(cloneFunnel(*m.Funnel))
	}
	if m.Lines != nil {
		lines := make(map[string]Funnel, len(m.Lines))
		for k, f := range m.Lines {
			lines[k] = cloneFunnel(f)
		}
		m.Lines = lines
	}
	return m
}

// cloneValue deep-copies a custom field's value: maps and slices of JSON
// values; anything else is copied as it is.
func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if x == nil {
			return x
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = cloneValue(e)
		}
		return out
	case []any:
		if x == nil {
			return x
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneValue(e)
		}
		return out
	}
	return v
}
