package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadqual/leadqual/internal/strictjson"
	"github.com/leadqual/leadqual/lead"
)

// row is one CSV row of the export, its cells decoded and trimmed.
type row struct {
	line  int
	cells []string
	raw   []string // as read, when Options.KeepRows
}

// leadState is a lead being built from its rows. The schema keeps one and
// reuses it, lead after lead.
type leadState struct {
	s      *schema
	rec    *Record
	err    *RowError // nil until a problem is found
	line   int
	first  []string  // per lead binding: its value in the first row that had one
	firstL []int     // and that row's line
	money  [4]string // budget, budget.currency, value, value.currency
	seen   map[activityKey]bool
}

// The indexes of leadState.money.
const (
	moneyBudget = iota
	moneyBudgetCurrency
	moneyValue
	moneyValueCurrency
)

// add records a problem of the lead.
func (st *leadState) add(at place, path, format string, args ...any) {
	if st.err == nil {
		st.err = &RowError{Line: st.line, ID: st.rec.Lead.ID}
	}
	st.err.add(at, path, format, args...)
}

type activityKey struct {
	kind, product, asset string
	channel              lead.Channel
	at                   time.Time
}

func (s *schema) place(r *row, b *binding) place {
	if b == nil {
		return place{line: r.line}
	}
	return place{line: r.line, column: b.cols[0] + 1, header: b.label}
}

// text returns a binding's value in a row: its columns' cells joined by a
// space, or "" when every one is missing.
func (s *schema) text(r *row, b *binding) string {
	if len(b.cols) == 1 {
		c := r.cells[b.cols[0]]
		if isMissing(c, s.missing, s.missingMax) {
			return ""
		}
		return c
	}
	var parts []string
	for _, c := range b.cols {
		if v := r.cells[c]; !isMissing(v, s.missing, s.missingMax) {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, " ")
}

// value returns a binding's value after its options: present, the value
// map, bool and invert. ok is false when there is none (missing, or mapped
// to nothing).
func (s *schema) value(r *row, b *binding) (v string, ok bool, err error) {
	o := &b.rule.opts
	v = s.text(r, b)
	if o.present {
		return strconv.FormatBool(v != ""), true, nil
	}
	if v == "" {
		return "", false, nil
	}
	if o.vmap != nil {
		out, hit := o.vmap.lookup(v)
		if !hit {
			b.stats.unmapped(v)
		}
		if v = out; v == "" {
			return "", false, nil
		}
	}
	if o.boolean {
		t, err := parseBool(v)
		if err != nil {
			return "", false, err
		}
		if o.invert {
			t = !t
		}
		v = strconv.FormatBool(t)
	}
	return v, true, nil
}

// decode turns the rows of one lead into a Record.
func (s *schema) decode(rows []row, now time.Time, validator *lead.Validator) *Record {
	first := &rows[0]
	st := &s.scratch
	clear(st.first)
	clear(st.firstL)
	clear(st.seen)
	both := &struct { // one allocation for the record and its lead
		rec Record
		l   lead.Lead
	}{}
	both.rec.Lead, both.rec.Line = &both.l, first.line
	*st = leadState{s: s, rec: &both.rec, line: first.line, first: st.first[:0], firstL: st.firstL[:0], seen: st.seen}
	st.first = append(st.first, make([]string, len(s.lead))...)
	st.firstL = append(st.firstL, make([]int, len(s.lead))...)
	l := st.rec.Lead
	id, _, _ := s.value(first, s.id)
	l.ID = id
	if id == "" {
		st.add(s.place(first, s.id), "id", "empty")
	}
	if s.decided != nil && s.history {
		if v, ok, err := s.value(first, s.decided); err != nil {
			st.add(s.place(first, s.decided), "decided_at", "%v", err)
		} else if ok {
			t, class, err := s.decided.date.parse(v, s.decided.zone)
			s.decided.stats.Dates.add(class)
			if err != nil {
				st.add(s.place(first, s.decided), "decided_at", "%v", err)
			}
			st.rec.At = t
		}
	}
	for i := range rows {
		r := &rows[i]
		st.leadRow(r)
		for _, g := range s.groups {
			st.activity(r, g)
		}
	}
	st.finish(&rows[0])
	if s.history {
		st.outcome(rows)
	}
	if validator != nil && !now.IsZero() {
		s.validate(st, first, now, validator)
	}
	rec := st.rec
	if !st.err.empty() {
		rec.Err = st.err
	}
	st.rec, st.err = nil, nil
	return rec
}

// leadRow reads the lead-level columns of one row: the first value of
// each is applied, later ones must agree.
func (st *leadState) leadRow(r *row) {
	s := st.s
	for i, b := range s.lead {
		v, ok, err := s.value(r, b)
		if err != nil {
			st.add(s.place(r, b), b.rule.target.path, "%v", err)
			continue
		}
		if !ok {
			continue
		}
		if prev := st.first[i]; prev != "" {
			if prev != v {
				if s.conflicts == "first" {
					s.report.Conflicts++
					continue
				}
				st.add(s.place(r, b), b.rule.target.path, "%q, but line %d gave %q for lead %q (say conflicts: first to keep the first)", v, st.firstL[i], prev, st.rec.Lead.ID)
			}
			continue
		}
		st.first[i], st.firstL[i] = v, r.line
		if err := st.apply(r, b, v); err != nil {
			p := s.place(r, b)
			var ce *cellError
			if errors.As(err, &ce) {
				st.add(p, ce.path, "%s", ce.msg)
			} else {
				st.add(p, b.rule.target.path, "%v", err)
			}
		}
	}
}

// cellError is a problem with a part of a cell: the third activity's time.
type cellError struct {
	path string
	msg  string
}

func (e *cellError) Error() string { return e.path + ": " + e.msg }

func cellErrorf(path, format string, args ...any) error {
	return &cellError{path: path, msg: fmt.Sprintf(format, args...)}
}

// apply sets the lead's field of binding b from its value v.
func (st *leadState) apply(r *row, b *binding, v string) error {
	l := st.rec.Lead
	t := &b.rule.target
	switch t.kind {
	case tText:
		switch t.name {
		case "source":
			l.Source = v
		case "owner":
			l.Owner = v
		case "contact.name":
			l.Contact.Name = v
		case "contact.email":
			l.Contact.Email = v
		case "contact.phone":
			l.Contact.Phone = v
		case "contact.title":
			l.Contact.Title = v
		case "contact.time_zone":
			l.Contact.TimeZone = v
		case "company.name":
			l.Company.Name = v
		case "company.industry":
			l.Company.Industry = v
		}
	case tReason:
		l.LostReason = lead.Reason(v)
	case tStage:
		s, err := lead.ParseStage(v)
		if err != nil {
			if b.rule.opts.vmap == nil {
				b.stats.unmapped(v)
			}
			return err
		}
		l.Stage = s
	case tRole:
		role, err := lead.ParseRole(v)
		if err != nil {
			if b.rule.opts.vmap == nil {
				b.stats.unmapped(v)
			}
			return err
		}
		l.Contact.Role = role
	case tInt:
		n, err := wholeNumber(v, b.nums)
		if err != nil {
			return err
		}
		l.Company.Employees = n
	case tCountry:
		c, ok := countryCode(v)
		if !ok {
			b.stats.unmapped(v)
			return fmt.Errorf("%q is not a country: write an ISO 3166-1 code or the country's English name, or translate it with map(%s=GB)", v, quoteIf(v))
		}
		l.Company.Country = c
	case tDomain:
		l.Company.Domain = domainOf(v)
	case tMoney, tCurrency:
		switch t.name {
		case "budget":
			st.money[moneyBudget] = v
		case "budget.currency":
			st.money[moneyBudgetCurrency] = v
		case "value":
			st.money[moneyValue] = v
		default:
			st.money[moneyValueCurrency] = v
		}
	case tTime:
		tm, err := st.time(b, v)
		if err != nil {
			return err
		}
		switch t.name {
		case "expected_purchase":
			l.ExpectedPurchase = tm
		case "renewal":
			l.Renewal = tm
		case "created_at":
			l.CreatedAt = tm
		case "updated_at":
			l.UpdatedAt = tm
		}
	case tActivities:
		if err := st.activities(b, v); err != nil {
			return err
		}
	case tInterests:
		ins, err := st.interests(b, v)
		if err != nil {
			return err
		}
		l.Interests = ins
	case tConsent:
		c, err := st.consent(r, b, v)
		if err != nil {
			return err
		}
		if l.Consent == nil {
			l.Consent = map[lead.Channel]lead.Consent{}
		}
		l.Consent[t.channel] = c
	case tField:
		val, err := fieldValue(b, v)
		if err != nil {
			return err
		}
		if l.Fields == nil {
			l.Fields = map[string]any{}
		}
		l.Fields[t.field] = val
	}
	return nil
}

// time reads a time with the binding's date format and zone, and counts
// how it is written.
func (st *leadState) time(b *binding, v string) (time.Time, error) {
	t, _, err := st.when(b, v)
	return t, err
}

// when is time, and reports whether v is a date alone (no time of day).
func (st *leadState) when(b *binding, v string) (t time.Time, dateOnly bool, err error) {
	t, class, dateOnly, err := b.date.parseTime(v, b.zone)
	b.stats.Dates.add(class)
	return t, dateOnly, err
}

// finish resolves what needs the whole lead: money and its currency
// columns, consents without a time.
func (st *leadState) finish(r *row) {
	s := st.s
	l := st.rec.Lead
	for _, m := range [...]struct {
		name, curColumn string
		amount, cur     string
		dst             *lead.Money
	}{{"budget", "budget.currency", st.money[moneyBudget], st.money[moneyBudgetCurrency], &l.Budget}, {"value", "value.currency", st.money[moneyValue], st.money[moneyValueCurrency], &l.Value}} {
		amount, cur := m.amount, m.cur
		if amount == "" {
			continue
		}
		b := s.pathCol[m.name]
		var err error
		if *m.dst, err = money(amount, cur, b, m.curColumn); err != nil {
			st.add(s.place(r, b), m.name, "%v", err)
		}
	}
	// A consent read from a checkbox states no time: it is taken at the
	// lead's last update, else its creation, the last time the record is
	// known to have said so.
	for ch, c := range l.Consent {
		if c.State == lead.ConsentUnknown || !c.At.IsZero() {
			continue
		}
		if at, ok := s.consentAt[ch]; ok {
			if v, has, _ := s.value(r, at); has {
				t, err := st.time(at, v)
				if err != nil {
					st.add(s.place(r, at), "consent."+string(ch)+".at", "%v", err)
					continue
				}
				c.At = t
				l.Consent[ch] = c
				continue
			}
		}
		if b := s.pathCol["consent."+string(ch)]; b != nil && (b.rule.opts.boolean || b.rule.opts.vmap != nil) {
			c.At = cmpTime(l.UpdatedAt, l.CreatedAt)
			l.Consent[ch] = c
		}
	}
}

func cmpTime(a, b time.Time) time.Time {
	if !a.IsZero() {
		return a
	}
	return b
}

// outcome reads a history record's outcome from its first row that has
// one; later rows must agree.
func (st *leadState) outcome(rows []row) {
	s := st.s
	var won, wonCur string
	convLine := 0
	var convAt string // the conversion time as written
	var convAtRow *row
	convAtOK := true // the rows agree on it
	for i := range rows {
		r := &rows[i]
		if s.converted != nil {
			v, ok, err := s.value(r, s.converted)
			if err == nil && ok {
				var b bool
				if b, err = parseBool(v); err == nil {
					switch {
					case convLine == 0:
						st.rec.Converted, convLine = b, r.line
					case b != st.rec.Converted:
						err = fmt.Errorf("%s, but line %d says %t", v, convLine, st.rec.Converted)
					}
				}
			}
			if err != nil {
				st.add(s.place(r, s.converted), "converted", "%v", err)
			}
		}
		if s.convAt != nil {
			if v, ok, _ := s.value(r, s.convAt); ok {
				switch {
				case convAtRow == nil:
					convAt, convAtRow = v, r
				case v != convAt:
					st.add(s.place(r, s.convAt), "converted_at", "%q, but line %d gave %q for lead %q", v, convAtRow.line, convAt, st.rec.Lead.ID)
					convAtOK = false
				}
			}
		}
		if s.won != nil {
			if v, ok, _ := s.value(r, s.won); ok && won == "" {
				won = v
			}
		}
		if s.wonCur != nil {
			if v, ok, _ := s.value(r, s.wonCur); ok && wonCur == "" {
				wonCur = v
			}
		}
	}
	if won != "" {
		m, err := money(won, wonCur, s.won, "won.currency")
		if err != nil {
			st.add(s.place(&rows[0], s.won), "won", "%v", err)
		}
		st.rec.Won = m
	}
	if convAtRow != nil && convAtOK {
		st.convertedAt(convAtRow, convAt, convLine)
	}
}

// convertedAt reads the conversion time v, found on row r, and holds it
// to the record's outcome and decision time. A conversion time means the
// lead converted: it is the outcome when the converted column is not
// mapped or says nothing (convLine 0), and a contradiction when it says
// the lead did not convert. It is never before the decision time; a date
// alone stands for its whole day, so that a lead decided and converted on
// the same day converts at its decision time.
func (st *leadState) convertedAt(r *row, v string, convLine int) {
	s := st.s
	b := s.convAt
	at := s.place(r, b)
	t, dateOnly, err := st.when(b, v)
	if err != nil {
		st.add(at, "converted_at", "%v", err)
		return
	}
	switch {
	case s.converted == nil || convLine == 0:
		st.rec.Converted = true
	case !st.rec.Converted:
		st.add(at, "converted_at", "%q is a conversion time, but the lead did not convert (column %q on line %d says so)", v, s.converted.label, convLine)
		return
	}
	if decided := st.rec.At; !decided.IsZero() && t.Before(decided) {
		if !dateOnly || !t.AddDate(0, 0, 1).After(decided) {
			st.add(at, "converted_at", "%s", convertedBefore(v, t, dateOnly, decided))
			return
		}
		t = decided // the decision's own day
	}
	st.rec.ConvertedAt = t
}

// convertedBefore says that a lead converted (at t, written v) before its
// decision time: the outcome must come after the decision.
func convertedBefore(v string, t time.Time, dateOnly bool, decided time.Time) string {
	when := "at " + t.Format(time.RFC3339)
	if dateOnly {
		when = "on " + t.Format("2 January 2006")
	}
	if v != "" {
		when = fmt.Sprintf("%q: the lead converted %s", v, when)
	} else {
		when = "the lead converted " + when
	}
	return when + ", before its decision time " + decided.Format(time.RFC3339) + ": the outcome must come after the decision"
}

// activity reads the activity of group g in one row, if it has one.
func (st *leadState) activity(r *row, g *activityGroup) {
	s := st.s
	var a lead.Activity
	ok := false
	kindMissing := true
	if g.kind != nil {
		v, has, err := s.value(r, g.kind)
		switch {
		case err != nil:
			st.add(s.place(r, g.kind), "activities", "%v", err)
			return
		case has:
			a.Kind, ok, kindMissing = lead.Kind(v), true, false
			if g.kind.rule.opts.vmap == nil && !a.Kind.Known() {
				g.kind.stats.unmapped(v)
			}
		case s.text(r, g.kind) != "":
			kindMissing = false // mapped to nothing: no activity
		}
	} else {
		a.Kind = lead.Kind(g.label)
	}
	var at time.Time
	parts := 0
	if g.at != nil {
		if v, has, _ := s.value(r, g.at); has {
			t, err := st.time(g.at, v)
			if err != nil {
				st.add(s.place(r, g.at), "activities", "%v", err)
				return
			}
			at, parts = t, parts+1
		}
	}
	for _, p := range []struct {
		b   *binding
		dst *string
	}{{g.product, &a.Product}, {g.asset, &a.Asset}} {
		if p.b != nil {
			if v, has, _ := s.value(r, p.b); has {
				*p.dst, parts = v, parts+1
			}
		}
	}
	if g.channel != nil {
		if v, has, _ := s.value(r, g.channel); has {
			a.Channel, parts = lead.Channel(v), parts+1
		}
	}
	switch {
	case g.kind == nil && g.label == "":
		if parts > 0 {
			b := st.firstPart(r, g)
			st.add(s.place(r, b), "activities", "an activity's %s on a row without its kind (no activity column)", strings.TrimPrefix(b.rule.target.name, "activity."))
		}
		return
	case g.kind == nil && parts == 0:
		return // a labelled activity with no time: none
	case g.kind != nil && !ok:
		if kindMissing && parts > 0 {
			b := st.firstPart(r, g)
			st.add(s.place(r, b), "activities", "an activity's %s on a row without its kind (column %q)", strings.TrimPrefix(b.rule.target.name, "activity."), g.kind.label)
		}
		return
	}
	a.At = at
	key := activityKey{kind: string(a.Kind), product: a.Product, asset: a.Asset, channel: a.Channel, at: a.At}
	if st.seen == nil {
		st.seen = map[activityKey]bool{}
	}
	if st.seen[key] {
		return // the same activity on another row of the lead: repeated, not new
	}
	st.seen[key] = true
	st.rec.Lead.Activities = append(st.rec.Lead.Activities, a)
}

// firstPart returns the first of an activity's parts (but its kind) that
// has a value in row r.
func (st *leadState) firstPart(r *row, g *activityGroup) *binding {
	for _, b := range []*binding{g.at, g.product, g.asset, g.channel} {
		if b != nil && st.s.text(r, b) != "" {
			return b
		}
	}
	return g.first()
}

// validate adds lead.Validate's problems, each with the column it came
// from; a column that did not parse is not reported twice.
func (s *schema) validate(st *leadState, r *row, now time.Time, v *lead.Validator) {
	var ve *lead.ValidationError
	if !errors.As(v.Validate(st.rec.Lead, now), &ve) {
		return
	}
	for _, fe := range ve.Problems {
		if st.err.has(fe.Path) {
			continue
		}
		st.add(s.place(r, s.columnOf(fe.Path)), fe.Path, "%s", fe.Problem)
	}
}

// wholeNumber reads a whole number, with thousands separators ("1,098")
// and a zero fraction ("1098.00") allowed.
func wholeNumber(v string, nf numberFormat) (int, error) {
	c, err := nf.canonical(v)
	if err != nil {
		return 0, fmt.Errorf("%q is not a whole number", v)
	}
	if i := strings.IndexByte(c, '.'); i >= 0 {
		if strings.Trim(c[i+1:], "0") != "" {
			return 0, fmt.Errorf("%q is not a whole number", v)
		}
		c = c[:i]
	}
	n, err := strconv.Atoi(c)
	if err != nil {
		return 0, fmt.Errorf("%q is not a whole number", v)
	}
	return n, nil
}

// money reads an amount, "50000.00 GBP", "£50,000" or a bare "50000.00"
// whose currency is in a currency column (cur), the column's currency
// option, the mapping's currency or the reader's.
func money(v, cur string, b *binding, curColumn string) (lead.Money, error) {
	amount, written, sign := splitMoney(v)
	if strings.ContainsRune(amount, ' ') && !b.nums.isThousands(' ') {
		return lead.Money{}, fmt.Errorf("%q is not an amount: want \"50000.00 GBP\"", v)
	}
	switch {
	case written != "" && cur != "" && string(written) != cur:
		return lead.Money{}, fmt.Errorf("%q is in %s, but its currency column says %s", v, written, cur)
	case written != "":
		cur = string(written)
	case cur == "":
		cur = string(b.cur)
	}
	if cur == "" {
		if sign != "" {
			return lead.Money{}, fmt.Errorf("%q: %s is the sign of several currencies: add a %s column, or say currency(USD) for the column", v, sign, curColumn)
		}
		return lead.Money{}, fmt.Errorf("%q has no currency: write \"%s GBP\", add a %s column, or say the currency (currency: GBP in the mapping, or -currency)", v, amount, curColumn)
	}
	num, err := b.nums.canonical(amount)
	if err != nil {
		return lead.Money{}, err
	}
	m, err := lead.ParseMoney(num, lead.Currency(cur))
	if err != nil {
		// The column names the field: "lead: currency \"GPB\" is not ..."
		// reads "\"GPB\" is not ..." after it.
		return lead.Money{}, errors.New(strings.TrimPrefix(strings.TrimPrefix(err.Error(), "lead: "), "currency "))
	}
	return m, nil
}

// domainOf returns a domain as written, or the host of a URL without its
// "www.": Salesforce's Website is "https://www.example.com/".
func domainOf(v string) string {
	if !strings.ContainsAny(v, "/:") {
		return strings.TrimPrefix(strings.ToLower(v), "www.")
	}
	s := v
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" {
		return v // Validate names the problem
	}
	return strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
}

// maxExactDigits is the most significant digits a float64 holds exactly:
// a longer number (an account number, say) stays text.
const maxExactDigits = 15

// fieldValue reads a custom field: true and false (and any boolean with
// the bool option) are booleans, a JSON number of at most 15 digits (or
// any number with a thousands or decimal option) is a number, a JSON
// string literal is its text, anything else is text as written.
func fieldValue(b *binding, v string) (any, error) {
	o := &b.rule.opts
	switch {
	case o.boolean || o.present:
		return v == "true", nil
	case o.numbers != nil:
		c, err := b.nums.canonical(v)
		if err != nil {
			return nil, err
		}
		f, err := strconv.ParseFloat(c, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is out of range", v)
		}
		return f, nil
	}
	switch v {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	switch c := v[0]; {
	case c == '"':
		var s string
		if json.Unmarshal([]byte(v), &s) == nil {
			return s, nil
		}
	case c == '-' || c >= '0' && c <= '9':
		digits := 0
		for i := range len(v) {
			if v[i] >= '0' && v[i] <= '9' {
				digits++
			}
		}
		var f float64
		if digits <= maxExactDigits && json.Valid([]byte(v)) && !bytes.ContainsAny([]byte(v), "eE") {
			if json.Unmarshal([]byte(v), &f) == nil {
				return f, nil
			}
		}
	}
	return v, nil
}

// activities reads "kind@time;kind@time", or a JSON array of activities,
// into the lead's activities.
func (st *leadState) activities(b *binding, cell string) error {
	l := st.rec.Lead
	if cell[0] == '[' {
		var out []lead.Activity
		if err := strictjson.Decode([]byte(cell), &out); err != nil {
			return jsonCellError("activities", len(l.Activities), err)
		}
		l.Activities = append(l.Activities, out...)
		return nil
	}
	start := len(l.Activities)
	l.Activities = slices.Grow(l.Activities, strings.Count(cell, ";")+1)
	i := start
	for entry := range strings.SplitSeq(cell, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		n := i
		path := func() string { return "activities[" + strconv.Itoa(n) + "]" }
		i++
		kind, at, ok := strings.Cut(entry, "@")
		kind, at = strings.TrimSpace(kind), strings.TrimSpace(at)
		switch {
		case !ok:
			l.Activities = l.Activities[:start]
			return cellErrorf(path(), "%q is not kind@time", entry)
		case kind == "":
			l.Activities = l.Activities[:start]
			return cellErrorf(path()+".kind", "empty in %q", entry)
		}
		t, err := st.time(b, at)
		if err != nil {
			l.Activities = l.Activities[:start]
			return cellErrorf(path()+".at", "%v", err)
		}
		l.Activities = append(l.Activities, lead.Activity{Kind: lead.Kind(kind), At: t})
	}
	return nil
}

// interests reads "topic@time;topic@first/last", or a JSON array.
func (st *leadState) interests(b *binding, cell string) ([]lead.Interest, error) {
	if cell[0] == '[' {
		var out []lead.Interest
		if err := strictjson.Decode([]byte(cell), &out); err != nil {
			return nil, jsonCellError("interests", 0, err)
		}
		return out, nil
	}
	var out []lead.Interest
	i := 0
	for entry := range strings.SplitSeq(cell, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		path := "interests[" + strconv.Itoa(i) + "]"
		i++
		topic, seen, ok := strings.Cut(entry, "@")
		topic, seen = strings.TrimSpace(topic), strings.TrimSpace(seen)
		switch {
		case !ok:
			return nil, cellErrorf(path, "%q is not topic@time or topic@first/last", entry)
		case topic == "":
			return nil, cellErrorf(path+".topic", "empty in %q", entry)
		}
		first, last, span := strings.Cut(seen, "/")
		in := lead.Interest{Topic: topic}
		var err error
		if in.FirstSeen, err = st.time(b, strings.TrimSpace(first)); err != nil {
			return nil, cellErrorf(path+".first_seen", "%v", err)
		}
		in.LastSeen = in.FirstSeen
		if span {
			if in.LastSeen, err = st.time(b, strings.TrimSpace(last)); err != nil {
				return nil, cellErrorf(path+".last_seen", "%v", err)
			}
		}
		out = append(out, in)
	}
	return out, nil
}

// consent reads "opted_in@time", "opted_out@time", "unknown", or a
// boolean (after the bool option, true is opted in).
func (st *leadState) consent(r *row, b *binding, cell string) (lead.Consent, error) {
	field := b.rule.target.path
	how := "import: column " + b.label
	if b.rule.opts.boolean {
		if cell == "true" {
			return lead.Consent{State: lead.ConsentOptedIn, How: how}, nil
		}
		return lead.Consent{State: lead.ConsentOptedOut, How: how}, nil
	}
	state, at, hasTime := strings.Cut(cell, "@")
	s, err := lead.ParseConsentState(strings.TrimSpace(state))
	if err != nil {
		if b.rule.opts.vmap == nil {
			b.stats.unmapped(cell)
		}
		return lead.Consent{}, cellErrorf(field+".state", "%v", err)
	}
	c := lead.Consent{State: s}
	if b.rule.opts.vmap != nil {
		c.How = how
	}
	if hasTime {
		if c.At, err = st.time(b, strings.TrimSpace(at)); err != nil {
			return lead.Consent{}, cellErrorf(field+".at", "%v", err)
		}
	}
	return c, nil
}

// jsonCellError names the first problem of a JSON array cell by its path
// in the lead, the array's elements counted from first:
// "activities[2].pages: unknown field".
func jsonCellError(field string, first int, err error) error {
	fe := strictjson.Problems(err)[0]
	path := fe.Path
	if idx, rest, ok := strings.Cut(strings.TrimPrefix(path, "["), "]"); ok && strings.HasPrefix(path, "[") {
		if n, err := strconv.Atoi(idx); err == nil {
			path = "[" + strconv.Itoa(first+n) + "]" + rest
		}
	}
	return cellErrorf(strictjson.Join(field, path), "%s", fe.Problem)
}
