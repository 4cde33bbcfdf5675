package ingest

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/leadqual/leadqual/lead"
)

// binding is a rule bound to the columns of one header.
type binding struct {
	rule   *rule
	cols   []int  // the columns joined, in order
	label  string // the header(s) as written, for messages: "First Name + Last Name"
	date   dateFormat
	zone   *time.Location
	nums   numberFormat
	cur    lead.Currency
	stats  *ColumnReport
	custom bool // made for a column the mapping does not name
}

// activityGroup is the bindings of one activity per row.
type activityGroup struct {
	label                             string
	kind, at, product, asset, channel *binding
}

// schema is a mapping bound to an export's header.
type schema struct {
	header     []string
	lead       []*binding // lead-level bindings, in column order
	id         *binding
	decided    *binding
	converted  *binding
	convAt     *binding // converted_at
	won        *binding
	wonCur     *binding
	budgetCur  *binding
	valueCur   *binding
	groups     []*activityGroup
	consentAt  map[lead.Channel]*binding
	pathCol    map[string]*binding // a lead's field path -> the binding that fills it
	withheld   []int               // outcome, after-the-fact and ignored columns
	missing    []string
	missingMax int // missingBound(missing)
	enc        Encoding
	conflicts  string
	history    bool
	currency   lead.Currency // the reader's default currency
	report     *Report
	scratch    leadState // reused by decode, lead after lead
}

// normHeader is how headers are compared: without surrounding spaces, or
// case.
func normHeader(h string) string { return strings.ToLower(strings.TrimSpace(h)) }

// bind binds m to header. Required rules must find their columns; a
// preset's rules and the default names bind where the columns exist.
func (m *Mapping) bind(cols []string, opts *Options, rep *Report) (*schema, error) {
	headers := cols
	if m == nil {
		m = &Mapping{}
	}
	set := &m.settings
	s := &schema{
		header: headers, pathCol: map[string]*binding{}, consentAt: map[lead.Channel]*binding{},
		missing: defaultMissing, enc: opts.Encoding, conflicts: cmpOr(set.conflicts, "error"),
		history: opts.History, currency: cmpOr(set.currency, opts.Currency), report: rep,
	}
	if set.missingSet {
		s.missing = set.missing
	}
	s.missingMax = missingBound(s.missing)
	if set.encodingSet && opts.Encoding == EncodingAuto {
		s.enc = set.encoding
	}
	fail := func(r *rule, format string, args ...any) error {
		e := &MappingError{Source: m.name, Err: fmt.Errorf(format, args...)}
		if r != nil {
			e.Source, e.Line, e.Column, e.Statement = r.from, r.line, r.column, r.text
		}
		return e
	}
	pos := map[string][]int{}
	for i, h := range headers {
		pos[normHeader(h)] = append(pos[normHeader(h)], i)
	}
	find := func(h header) (int, error) {
		idx := pos[normHeader(h.name)]
		switch {
		case len(idx) == 0:
			return -1, nil
		case h.nth > 0 && h.nth <= len(idx):
			return idx[h.nth-1], nil
		case h.nth > 0:
			return -1, fmt.Errorf("the header has %d columns %q, not %d", len(idx), h.name, h.nth)
		case len(idx) > 1:
			return -1, fmt.Errorf("the header has %d columns %q (columns %s): say which with %s#1 to %s#%d",
				len(idx), h.name, columnNumbers(idx), quoteIf(h.name), quoteIf(h.name), len(idx))
		}
		return idx[0], nil
	}
	readers := make([][]*binding, len(headers)) // the bindings that read each column
	mapped := map[string]bool{}
	var bindings []*binding
	add := func(r *rule, cols []int, label string, custom bool) *binding {
		b := &binding{rule: r, cols: cols, label: label, custom: custom}
		b.date = set.date
		if r.opts.date != nil {
			b.date = *r.opts.date
		}
		b.zone = cmpOr(r.opts.zone, cmpOr(set.zone, opts.TimeZone))
		b.nums = defaultNumbers
		if set.numbersSet[0] {
			b.nums.thousands = set.numbers.thousands
		}
		if set.numbersSet[1] {
			b.nums.decimal = set.numbers.decimal
		}
		if r.opts.numbers != nil {
			b.nums = *r.opts.numbers
		}
		b.cur = cmpOr(r.opts.currency, s.currency)
		b.stats = rep.column(r.target.name, label, r.opts.vmap != nil)
		if b.date.hasOrder {
			b.stats.Order = strings.ToUpper(b.date.layout)
		}
		for _, c := range cols {
			readers[c] = append(readers[c], b)
		}
		bindings = append(bindings, b)
		mapped[r.target.name] = true
		return b
	}
	for i := range m.rules {
		r := &m.rules[i]
		bound := false
		for _, src := range r.sources {
			var cols []int
			var labels []string
			for _, h := range src {
				c, err := find(h)
				if err != nil {
					return nil, fail(r, "%v", err)
				}
				if c < 0 {
					cols = nil
					break
				}
				cols = append(cols, c)
				labels = append(labels, strings.TrimSpace(headers[c]))
			}
			if cols == nil {
				if r.target.kind == tAfter || r.target.kind == tIgnore {
					// Each column listed that is there.
					for _, h := range src {
						if c, _ := find(h); c >= 0 {
							add(r, []int{c}, strings.TrimSpace(headers[c]), false)
						}
					}
					bound = true
					break
				}
				continue
			}
			add(r, cols, strings.Join(labels, " + "), false)
			bound = true
			break
		}
		if !bound && !r.optional && r.target.kind != tAfter && r.target.kind != tIgnore {
			var want []string
			for _, src := range r.sources {
				for _, h := range src {
					want = append(want, fmt.Sprintf("%q", h.name))
				}
			}
			return nil, fail(r, "the header has no column %s (it has: %s)", strings.Join(want, " or "), quoteAll(headers))
		}
	}
	// The default layout: a target the mapping does not name is read from
	// a column named after it.
	for i := range fixedTargets {
		t := fixedTargets[i]
		if mapped[t.name] {
			continue
		}
		idx := pos[normHeader(t.name)]
		if len(idx) == 0 || len(readers[idx[0]]) > 0 {
			continue
		}
		if len(idx) > 1 {
			return nil, fail(nil, "the header has %d columns named %q (columns %s); %s cannot tell which to read: name one with %s = %s#1",
				len(idx), t.name, columnNumbers(idx), t.name, t.name, quoteIf(t.name))
		}
		add(&rule{target: t, optional: true, from: "the default layout"}, idx, strings.TrimSpace(headers[idx[0]]), false)
	}
	// consent.<channel>, fields.<name> and activity[...] headers in the
	// default layout.
	for i, h := range headers {
		if len(readers[i]) > 0 {
			continue
		}
		name := strings.TrimSpace(h)
		lower := strings.ToLower(name)
		if !(strings.HasPrefix(lower, "consent.") || strings.HasPrefix(lower, "fields.") || strings.HasPrefix(lower, "activity[")) {
			continue
		}
		dot := strings.IndexAny(name, ".[")
		t, err := parseTarget(lower[:dot] + name[dot:])
		if err != nil || mapped[t.name] {
			continue
		}
		if len(pos[normHeader(h)]) > 1 {
			return nil, fail(nil, "the header has %d columns named %q", len(pos[normHeader(h)]), name)
		}
		add(&rule{target: t, optional: true, from: "the default layout"}, []int{i}, name, false)
	}
	// Columns nobody reads become custom fields, unless told otherwise.
	if cmpOr(set.unmapped, "fields") == "fields" {
		names := map[string]bool{}
		for _, b := range bindings {
			if b.rule.target.kind == tField {
				names[b.rule.target.field] = true
			}
		}
		for i, h := range headers {
			if len(readers[i]) > 0 {
				continue
			}
			name := fieldName(h)
			if name == "" {
				rep.Ignored = append(rep.Ignored, strings.TrimSpace(h))
				continue
			}
			for n := 2; names[name]; n++ {
				name = fmt.Sprintf("%s_%d", fieldName(h), n)
			}
			names[name] = true
			t := target{name: "fields." + name, kind: tField, path: "fields." + name, field: name}
			b := add(&rule{target: t, optional: true, from: "unmapped columns"}, []int{i}, strings.TrimSpace(h), true)
			rep.Custom = append(rep.Custom, CustomColumn{Header: b.label, Field: t.name})
		}
	} else {
		for i, h := range headers {
			if len(readers[i]) == 0 {
				rep.Ignored = append(rep.Ignored, strings.TrimSpace(h))
			}
		}
	}

	// No leakage: a column that feeds an outcome, or is known only after
	// the fact, feeds nothing a rule can read (but the stage and the lost
	// reason, which a backtest rewinds to the decision time).
	for c, bs := range readers {
		var guard *binding
		for _, b := range bs {
			if b.rule.target.withheld() && b.rule.target.kind != tIgnore {
				guard = b
			}
		}
		if guard == nil {
			if len(bs) > 0 && bs[0].rule.target.kind == tIgnore {
				s.withheld = append(s.withheld, c)
			}
			continue
		}
		s.withheld = append(s.withheld, c)
		for _, b := range bs {
			t := &b.rule.target
			if t.withheld() || t.rewound() || t.kind == tDecided {
				continue
			}
			what := "is an outcome"
			if guard.rule.target.kind == tAfter {
				what = "is known only after the fact"
			}
			return nil, fail(b.rule, "column %q %s (%s) and must not feed %s, which a rule can read", strings.TrimSpace(headers[c]), what, guard.rule.text, t.name)
		}
	}

	// Sort the bindings into their places.
	groups := map[string]*activityGroup{}
	for _, b := range bindings {
		t := &b.rule.target
		switch {
		case t.kind == tID:
			s.id = b
		case t.kind == tDecided:
			s.decided = b
		case t.kind == tConverted:
			s.converted = b
		case t.kind == tConvertedAt:
			s.convAt = b
		case t.kind == tWon:
			s.won = b
		case t.kind == tWonCurrency:
			s.wonCur = b
		case t.kind == tAfter || t.kind == tIgnore:
		case t.activity():
			g := groups[t.group]
			if g == nil {
				g = &activityGroup{label: t.group}
				groups[t.group] = g
				s.groups = append(s.groups, g)
			}
			switch t.kind {
			case tActKind:
				g.kind = b
			case tActAt:
				g.at = b
			case tActProduct:
				g.product = b
			case tActAsset:
				g.asset = b
			case tActChannel:
				g.channel = b
			}
			s.pathCol["activities"] = b
		case t.kind == tConsentAt:
			s.consentAt[t.channel] = b
			s.pathCol[t.path] = b
		default:
			if t.kind == tCurrency {
				if t.name == "budget.currency" {
					s.budgetCur = b
				} else {
					s.valueCur = b
				}
			}
			s.lead = append(s.lead, b)
			s.pathCol[t.path] = b
		}
	}
	slices.SortStableFunc(s.lead, func(a, b *binding) int { return a.cols[0] - b.cols[0] })
	for _, g := range s.groups {
		if g.kind == nil && g.label == "" && g.first().rule.from != "the default layout" {
			return nil, fail(g.first().rule, "activity.%s without an activity column: map activity = <the column of its kind>, or give the activity a label that is its kind (activity[webinar_attended].at)",
				strings.TrimPrefix(g.first().rule.target.name, "activity."))
		}
	}
	for ch, b := range s.consentAt {
		if s.pathCol["consent."+string(ch)] == nil {
			return nil, fail(b.rule, "consent.%s.at without consent.%s", ch, ch)
		}
	}
	if s.id == nil {
		return nil, fail(nil, "the header has no id column (it has: %s): name it with id = <header>", quoteAll(headers))
	}
	if opts.History {
		if s.decided == nil {
			return nil, fail(nil, "a history needs the decision time: map decided_at = <header> (it has: %s)", quoteAll(headers))
		}
		if s.converted == nil && s.convAt == nil {
			return nil, fail(nil, "a history needs its outcome: map converted = <header>, or converted_at = <header> for a column of conversion dates (it has: %s)", quoteAll(headers))
		}
	}
	if s.wonCur != nil && s.won == nil {
		return nil, fail(s.wonCur.rule, "won.currency without won")
	}
	rep.Withheld = nil
	for _, c := range s.withheld {
		rep.Withheld = append(rep.Withheld, strings.TrimSpace(headers[c]))
	}
	return s, nil
}

func (g *activityGroup) first() *binding {
	for _, b := range []*binding{g.kind, g.at, g.product, g.asset, g.channel} {
		if b != nil {
			return b
		}
	}
	return nil
}

// fieldName makes a custom field's name of a header: "No. of Employees"
// is no_of_employees, "fields.Plan" is Plan.
func fieldName(h string) string {
	h = strings.TrimSpace(h)
	if rest, ok := strings.CutPrefix(h, "fields."); ok && rest != "" {
		return rest
	}
	var b strings.Builder
	under := false
	for _, r := range h {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = false
			b.WriteRune(unicode.ToLower(r))
		default:
			under = true
		}
	}
	return b.String()
}

func columnNumbers(idx []int) string {
	parts := make([]string, len(idx))
	for i, n := range idx {
		parts[i] = fmt.Sprint(n + 1)
	}
	return strings.Join(parts, ", ")
}

func quoteAll(ss []string) string {
	const max = 20
	var parts []string
	for i, s := range ss {
		if i == max {
			parts = append(parts, fmt.Sprintf("and %d more", len(ss)-max))
			break
		}
		parts = append(parts, fmt.Sprintf("%q", strings.TrimSpace(s)))
	}
	return strings.Join(parts, ", ")
}

// columnOf returns the binding that fills a lead's field path
// ("activities[2].at" is filled by an activity column), or nil.
func (s *schema) columnOf(path string) *binding {
	for p := path; p != ""; {
		if b, ok := s.pathCol[p]; ok {
			return b
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return nil
}
