package ingest

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leadqual/leadqual/lead"
)

// ErrMapping is the identity of a mapping that does not parse, or that
// does not fit an export's header; the error is a *MappingError.
var ErrMapping = errors.New("bad mapping")

// MappingError is a statement of a mapping that is wrong, with where it
// is. It matches ErrMapping.
type MappingError struct {
	// Source names the mapping: "-map", a file's name, "preset salesforce".
	Source string
	// Line and Column locate the statement in the mapping's text, from 1;
	// 0 for a problem of the mapping as a whole.
	Line, Column int
	// Statement is the statement as written.
	Statement string
	// Err says what is wrong.
	Err error
}

// Error writes `mapping line 3, column 1: "contact.emial = Email": unknown target ...`.
func (e *MappingError) Error() string {
	var b strings.Builder
	b.WriteString("mapping")
	if e.Source != "" {
		b.WriteString(" " + e.Source)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d, column %d", e.Line, e.Column)
	}
	b.WriteString(": ")
	if e.Statement != "" {
		fmt.Fprintf(&b, "%q: ", e.Statement)
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Is makes errors.Is(err, ErrMapping) true.
func (e *MappingError) Is(target error) bool { return target == ErrMapping }

// Unwrap returns the cause.
func (e *MappingError) Unwrap() error { return e.Err }

// header names a column of an export: its text, and which of the columns
// with that text (from 1), as `Email#2` writes the second "Email".
type header struct {
	name string
	nth  int // 0: the only one
}

func (h header) String() string {
	s := h.name
	if needsQuote(s) {
		s = quote(s)
	}
	if h.nth > 0 {
		s += "#" + strconv.Itoa(h.nth)
	}
	return s
}

// source is one way to fill a target: the columns whose non-missing cells
// are joined with a space (First Name + Last Name).
type source []header

// valueMap translates a column's values: keys are matched ignoring case
// and surrounding spaces. A value that is not a key is kept as written,
// unless the map has a default (*=...); an empty translation means
// "missing".
type valueMap struct {
	entries map[string]string // lower-cased key -> value
	keys    []string          // as written, in order, for String
	def     string
	hasDef  bool
}

// lookup translates v; named is false when the map does not name it (v
// is then kept, or given the default).
func (m *valueMap) lookup(v string) (out string, named bool) {
	if out, ok := m.entries[strings.ToLower(v)]; ok {
		return out, true
	}
	if m.hasDef {
		return m.def, false
	}
	return v, false
}

// options are a rule's options.
type options struct {
	vmap     *valueMap
	boolean  bool // the cell is a boolean
	invert   bool // and means the opposite (an opt-out column to consent)
	present  bool // a value means true, none means false
	date     *dateFormat
	zone     *time.Location
	numbers  *numberFormat
	currency lead.Currency
}

// rule is a statement `target = sources | options`.
type rule struct {
	target   target
	sources  []source // alternatives: the first whose columns are all in the header
	opts     options
	text     string // the statement as written
	line     int
	column   int
	optional bool // a preset's rule: its columns may be absent
	from     string
}

// settings are a mapping's statements `name: value`. Each has its set
// flag, so that a mapping extending another replaces only what it says.
type settings struct {
	zone        *time.Location
	zoneSet     bool
	date        dateFormat
	dateSet     bool
	numbers     numberFormat
	numbersSet  [2]bool // thousands, decimal
	currency    lead.Currency
	missing     []string
	missingSet  bool
	encoding    Encoding
	encodingSet bool
	comma       rune
	conflicts   string // "error" or "first"
	unmapped    string // "fields" or "ignore"
}

// Mapping says how an export's columns become leads (and, for history,
// their decision times and outcomes): which column fills which field,
// how its values are written, and which columns must never be read as a
// signal. Make one with [ParseMapping] or [Preset], combine them with
// [Mapping.With]; a nil *Mapping is the default layout, where each column
// is named after its field (see the package documentation for the
// language). A Mapping is immutable and safe for concurrent use.
type Mapping struct {
	rules    []rule
	settings settings
	name     string
}

// ParseMapping reads a mapping written in the mapping language (see the
// package documentation); source names it in errors ("-map", a file's
// name). Every statement is checked: an unknown target, setting or option,
// an option that does nothing for its target, a value map whose
// translations are not values of the target, a target mapped twice. The
// error is a *MappingError naming the line and column of the statement.
func ParseMapping(source, text string) (*Mapping, error) {
	m := &Mapping{name: source}
	seen := map[string]int{}
	for st := range statements(text) {
		fail := func(err error) (*Mapping, error) {
			return nil, &MappingError{Source: source, Line: st.line, Column: st.column, Statement: st.text, Err: err}
		}
		if st.err != nil {
			return fail(st.err)
		}
		eq, colon := topIndex(st.text, '='), topIndex(st.text, ':')
		switch {
		case colon >= 0 && (eq < 0 || colon < eq):
			if err := m.settings.set(strings.TrimSpace(st.text[:colon]), strings.TrimSpace(st.text[colon+1:])); err != nil {
				return fail(err)
			}
			continue
		case eq < 0:
			return fail(errors.New("want target = column, or setting: value"))
		}
		r, err := parseRule(strings.TrimSpace(st.text[:eq]), st.text[eq+1:])
		if err != nil {
			return fail(err)
		}
		r.text, r.line, r.column, r.from = st.text, st.line, st.column, source
		if r.target.kind != tAfter && r.target.kind != tIgnore {
			if prev, dup := seen[r.target.name]; dup {
				return fail(fmt.Errorf("%s is mapped twice (line %d too)", r.target.name, prev))
			}
			seen[r.target.name] = st.line
		}
		m.rules = append(m.rules, r)
	}
	if t, d := m.settings.numbers.thousands, m.settings.numbers.decimal; t != 0 && t == d {
		return nil, &MappingError{Source: source, Err: fmt.Errorf("thousands and decimal are both %q", t)}
	}
	return m, nil
}

// MustParseMapping is ParseMapping for mappings written in a program; it
// panics on error.
func MustParseMapping(source, text string) *Mapping {
	m, err := ParseMapping(source, text)
	if err != nil {
		panic(err)
	}
	return m
}

// With returns a mapping that reads as m, except where o says otherwise:
// o's rules replace m's rules for the same target, its after and ignore
// columns add to m's, and its settings replace m's. Either may be nil.
// It is how an organisation's own mapping extends a preset:
//
//	m := ingest.MustPreset("salesforce").With(orgMapping)
func (m *Mapping) With(o *Mapping) *Mapping {
	switch {
	case m == nil:
		return o
	case o == nil:
		return m
	}
	out := &Mapping{settings: m.settings, name: m.name + "+" + o.name}
	over := map[string]bool{}
	for _, r := range o.rules {
		over[r.target.name] = true
	}
	for _, r := range m.rules {
		if r.target.kind == tAfter || r.target.kind == tIgnore || !over[r.target.name] {
			out.rules = append(out.rules, r)
		}
	}
	out.rules = append(out.rules, o.rules...)
	out.settings.merge(&o.settings)
	return out
}

// optional returns m with every rule optional: a preset's columns may be
// absent from an export.
func (m *Mapping) optional() *Mapping {
	out := *m
	out.rules = slices.Clone(m.rules)
	for i := range out.rules {
		out.rules[i].optional = true
	}
	return &out
}

// String writes the mapping in the language ParseMapping reads: settings
// first, then the rules in order.
func (m *Mapping) String() string {
	if m == nil {
		return ""
	}
	var b strings.Builder
	m.settings.write(&b)
	for _, r := range m.rules {
		b.WriteString(r.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// String writes the rule as a statement.
func (r *rule) String() string {
	var b strings.Builder
	b.WriteString(r.target.name)
	b.WriteString(" = ")
	for i, s := range r.sources {
		if i > 0 {
			b.WriteString("; ")
		}
		sep := " + "
		if r.target.kind == tAfter || r.target.kind == tIgnore {
			sep = "; " // a list of columns, every one of them
		}
		for j, h := range s {
			if j > 0 {
				b.WriteString(sep)
			}
			b.WriteString(h.String())
		}
	}
	o := &r.opts
	if o.vmap != nil {
		b.WriteString(" | map(")
		for i, k := range o.vmap.keys {
			if i > 0 {
				b.WriteString("; ")
			}
			key := quoteIf(k)
			if k == "*" {
				key = quote(k) // the value *, not the default
			}
			fmt.Fprintf(&b, "%s=%s", key, quoteIf(o.vmap.entries[strings.ToLower(k)]))
		}
		if o.vmap.hasDef {
			if len(o.vmap.keys) > 0 {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "*=%s", quoteIf(o.vmap.def))
		}
		b.WriteString(")")
	}
	for _, flag := range []struct {
		on   bool
		name string
	}{{o.present, "present"}, {o.boolean, "bool"}, {o.invert, "invert"}} {
		if flag.on {
			b.WriteString(" | " + flag.name)
		}
	}
	if o.date != nil {
		fmt.Fprintf(&b, " | date(%s)", o.date.layout)
	}
	if o.zone != nil {
		fmt.Fprintf(&b, " | zone(%s)", o.zone)
	}
	if o.numbers != nil {
		fmt.Fprintf(&b, " | thousands(%s) | decimal(%s)", sepName(o.numbers.thousands), sepName(o.numbers.decimal))
	}
	if o.currency != "" {
		fmt.Fprintf(&b, " | currency(%s)", o.currency)
	}
	return b.String()
}

func sepName(r rune) string {
	switch r {
	case 0:
		return "none"
	case ',', ' ', '(', ')', '|', ';', '"', '#', '=':
		return quote(string(r))
	}
	return string(r)
}

// statement is one statement of a mapping's text.
type statement struct {
	text         string
	line, column int
	err          error
}

// statements splits a mapping into statements: at line breaks, and at
// commas outside quotes and parentheses. A # that starts a line or follows
// a space starts a comment.
func statements(text string) func(func(statement) bool) {
	return func(yield func(statement) bool) {
		line, col := 1, 1
		start, startLine, startCol := 0, 1, 1
		depth, inQuote := 0, false
		emit := func(end int) bool {
			raw := text[start:end]
			trimmed := strings.TrimSpace(raw)
			if trimmed == "" {
				return true
			}
			lead := len(raw) - len(strings.TrimLeft(raw, " \t\r"))
			st := statement{text: trimmed, line: startLine, column: startCol + utf8.RuneCountInString(raw[:lead])}
			if inQuote {
				st.err = errors.New("a quote is not closed")
			} else if depth > 0 {
				st.err = errors.New("a parenthesis is not closed")
			}
			return yield(st)
		}
		for i := 0; i < len(text); {
			r, size := utf8.DecodeRuneInString(text[i:])
			switch {
			case inQuote:
				if r == '"' {
					if strings.HasPrefix(text[i+1:], `"`) {
						i += 2
						col += 2
						continue
					}
					inQuote = false
				}
			case r == '"':
				inQuote = true
			case r == '(':
				depth++
			case r == ')':
				if depth > 0 {
					depth--
				}
			case r == '#' && (i == 0 || text[i-1] == ' ' || text[i-1] == '\t' || text[i-1] == '\n'):
				// A comment, to the end of the line.
				if !emit(i) {
					return
				}
				for i < len(text) && text[i] != '\n' {
					i++
				}
				start, startLine, startCol = i, line, col
				continue
			case r == '\n' || r == ',' && depth == 0:
				if !emit(i) {
					return
				}
				depth = 0
				if r == '\n' {
					line, col = line+1, 1
				} else {
					col++
				}
				i += size
				start, startLine, startCol = i, line, col
				continue
			}
			i += size
			col++
		}
		emit(len(text))
	}
}

// topIndex returns the index of the first c in s outside quotes and
// parentheses, or -1.
func topIndex(s string, c byte) int {
	depth, inQuote := 0, false
	for i := 0; i < len(s); i++ {
		switch {
		case inQuote:
			if s[i] == '"' {
				inQuote = false
			}
		case s[i] == '"':
			inQuote = true
		case s[i] == '(':
			depth++
		case s[i] == ')':
			depth--
		case s[i] == c && depth == 0:
			return i
		}
	}
	return -1
}

// splitTop splits s at every sep outside quotes and parentheses.
func splitTop(s string, seps string) []string {
	var out []string
	depth, inQuote, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case inQuote:
			if s[i] == '"' {
				inQuote = false
			}
		case s[i] == '"':
			inQuote = true
		case s[i] == '(':
			depth++
		case s[i] == ')':
			depth--
		case depth == 0 && strings.IndexByte(seps, s[i]) >= 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// unquote reads a word: "quoted text" (a quote doubled inside) or bare
// text, trimmed.
func unquote(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, `"`) {
		if strings.Contains(s, `"`) {
			return "", fmt.Errorf("%s: a quote inside unquoted text (quote the whole text: \"a \"\"b\"\"\")", s)
		}
		return s, nil
	}
	if len(s) < 2 || !strings.HasSuffix(s, `"`) {
		return "", fmt.Errorf("%s: a quote is not closed", s)
	}
	inner := s[1 : len(s)-1]
	if strings.Contains(strings.ReplaceAll(inner, `""`, ""), `"`) {
		return "", fmt.Errorf("%s: text after the closing quote", s)
	}
	return strings.ReplaceAll(inner, `""`, `"`), nil
}

func needsQuote(s string) bool {
	return s == "" || strings.TrimSpace(s) != s || strings.ContainsAny(s, "\",=:|;+#()\n")
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func quoteIf(s string) string {
	if needsQuote(s) {
		return quote(s)
	}
	return s
}

// parseHeader reads a column's header, with an optional #n.
func parseHeader(s string) (header, error) {
	s = strings.TrimSpace(s)
	h := header{}
	if i := strings.LastIndexByte(s, '#'); i > 0 {
		if n, err := strconv.Atoi(s[i+1:]); err == nil {
			if n < 1 {
				return h, fmt.Errorf("%s: columns are counted from 1", s)
			}
			h.nth, s = n, s[:i]
		}
	}
	name, err := unquote(s)
	if err != nil {
		return h, err
	}
	if name == "" {
		return h, errors.New("an empty column name")
	}
	h.name = name
	return h, nil
}

// parseRule reads `target = sources | options` (the text after "=").
func parseRule(name, rhs string) (rule, error) {
	t, err := parseTarget(name)
	if err != nil {
		return rule{}, err
	}
	r := rule{target: t}
	parts := splitTop(rhs, "|")
	for _, alt := range splitTop(parts[0], ";") {
		var src source
		for _, h := range splitTop(alt, "+") {
			hd, err := parseHeader(h)
			if err != nil {
				return rule{}, err
			}
			src = append(src, hd)
		}
		r.sources = append(r.sources, src)
	}
	multi := len(r.sources) > 1
	for _, s := range r.sources {
		if len(s) > 1 && t.kind != tText && t.kind != tField && t.kind != tActProduct && t.kind != tActAsset {
			return rule{}, fmt.Errorf("%s is not text: it cannot join columns with +", t.name)
		}
	}
	if multi && (t.kind == tAfter || t.kind == tIgnore) {
		// after = A; B lists columns, every one of them.
		flat := source{}
		for _, s := range r.sources {
			flat = append(flat, s...)
		}
		r.sources = []source{flat}
	}
	for _, o := range parts[1:] {
		if err := r.opts.parse(strings.TrimSpace(o), &t); err != nil {
			return rule{}, err
		}
	}
	if r.opts.invert && !r.opts.boolean {
		return rule{}, errors.New("invert needs bool: a column of true and false")
	}
	return r, nil
}

// parse reads one option for target t.
func (o *options) parse(s string, t *target) error {
	name, arg, hasArg := strings.Cut(s, "(")
	name = strings.TrimSpace(name)
	if hasArg {
		if !strings.HasSuffix(strings.TrimSpace(arg), ")") {
			return fmt.Errorf("option %s: a parenthesis is not closed", name)
		}
		arg = strings.TrimSpace(arg)
		arg = arg[:len(arg)-1]
	}
	needArg := func() error {
		if !hasArg || strings.TrimSpace(arg) == "" {
			return fmt.Errorf("option %s needs a value: %s(...)", name, name)
		}
		return nil
	}
	noArg := func() error {
		if hasArg {
			return fmt.Errorf("option %s takes no value", name)
		}
		return nil
	}
	only := func(kinds ...targetKind) error {
		if !slices.Contains(kinds, t.kind) {
			return fmt.Errorf("option %s does nothing for %s", name, t.name)
		}
		return nil
	}
	timeKinds := []targetKind{tTime, tActAt, tConsentAt, tDecided, tConvertedAt, tActivities, tInterests, tConsent}
	moneyKinds := []targetKind{tMoney, tWon}
	switch name {
	case "map":
		if err := needArg(); err != nil {
			return err
		}
		if t.kind == tAfter || t.kind == tIgnore {
			return fmt.Errorf("option map does nothing for %s", t.name)
		}
		vm, err := parseValueMap(arg, t)
		if err != nil {
			return err
		}
		o.vmap = vm
	case "bool":
		if err := errors.Join(noArg(), only(tConsent, tConverted, tField, tText)); err != nil {
			return err
		}
		o.boolean = true
	case "invert":
		if err := errors.Join(noArg(), only(tConsent, tConverted, tField, tText)); err != nil {
			return err
		}
		o.invert = true
	case "present":
		if err := errors.Join(noArg(), only(tConverted, tField)); err != nil {
			return err
		}
		o.present = true
	case "date":
		if err := errors.Join(needArg(), only(timeKinds...)); err != nil {
			return err
		}
		a, err := unquote(arg)
		if err != nil {
			return err
		}
		f, err := parseDateLayout(a)
		if err != nil {
			return err
		}
		o.date = &f
	case "zone":
		if err := errors.Join(needArg(), only(timeKinds...)); err != nil {
			return err
		}
		loc, err := loadZone(arg)
		if err != nil {
			return err
		}
		o.zone = loc
	case "thousands", "decimal":
		if err := errors.Join(needArg(), only(append(moneyKinds, tInt, tField)...)); err != nil {
			return err
		}
		if o.numbers == nil {
			o.numbers = &numberFormat{thousands: defaultNumbers.thousands, decimal: defaultNumbers.decimal}
		}
		r, err := parseSeparator(name, arg)
		if err != nil {
			return err
		}
		if name == "thousands" {
			o.numbers.thousands = r
		} else {
			o.numbers.decimal = r
		}
		if o.numbers.thousands == o.numbers.decimal {
			return fmt.Errorf("thousands and decimal are both %q", r)
		}
	case "currency":
		if err := errors.Join(needArg(), only(moneyKinds...)); err != nil {
			return err
		}
		c := lead.Currency(strings.TrimSpace(arg))
		if !c.Valid() {
			return fmt.Errorf("currency(%s): not an ISO 4217 code such as GBP", arg)
		}
		o.currency = c
	default:
		return fmt.Errorf("unknown option %q (options: map(...), bool, invert, present, date(...), zone(...), thousands(...), decimal(...), currency(...))", name)
	}
	return nil
}

// loadZone reads a mapping's zone as lead.LoadZone does; an empty name is
// an error here, not UTC.
func loadZone(name string) (*time.Location, error) {
	name = strings.TrimSpace(name)
	loc, err := lead.LoadZone(name)
	if name == "" || err != nil {
		return nil, fmt.Errorf("zone %q: not an IANA time zone such as Europe/London", name)
	}
	return loc, nil
}

// parseSeparator reads a separator: one character (quoted when it is a
// comma or a space), or none.
func parseSeparator(name, s string) (rune, error) {
	v, err := unquote(s)
	if err != nil {
		return 0, err
	}
	switch strings.ToLower(v) {
	case "none":
		if name == "decimal" {
			return 0, errors.New("decimal(none): a number needs a decimal mark")
		}
		return 0, nil
	case "space":
		return ' ', nil
	}
	r, size := utf8.DecodeRuneInString(v)
	if size == 0 || size != len(v) || r >= '0' && r <= '9' || r == '-' || r == '+' {
		return 0, fmt.Errorf("%s(%s): want one character other than a digit or a sign, or none", name, s)
	}
	return r, nil
}

// parseValueMap reads `from=to; from=to; *=to` and checks every
// translation against the target.
func parseValueMap(s string, t *target) (*valueMap, error) {
	vm := &valueMap{entries: map[string]string{}}
	for _, e := range splitTop(s, ";,") {
		if strings.TrimSpace(e) == "" {
			continue
		}
		eq := topIndex(e, '=')
		if eq < 0 {
			return nil, fmt.Errorf("map entry %q: want value=translation", strings.TrimSpace(e))
		}
		from, err := unquote(e[:eq])
		if err != nil {
			return nil, err
		}
		to, err := unquote(e[eq+1:])
		if err != nil {
			return nil, err
		}
		if err := checkValue(t, to); err != nil {
			return nil, fmt.Errorf("map entry %s=%s: %w", quoteIf(from), quoteIf(to), err)
		}
		if from == "*" && !strings.HasPrefix(strings.TrimSpace(e[:eq]), `"`) {
			if vm.hasDef {
				return nil, errors.New("map: * is given twice")
			}
			vm.def, vm.hasDef = to, true
			continue
		}
		k := strings.ToLower(from)
		if _, dup := vm.entries[k]; dup {
			return nil, fmt.Errorf("map: %q is given twice", from)
		}
		vm.entries[k] = to
		vm.keys = append(vm.keys, from)
	}
	if len(vm.entries) == 0 && !vm.hasDef {
		return nil, errors.New("map(): no entries")
	}
	return vm, nil
}

// checkValue checks a translation against its target: a stage for stage,
// a consent state for consent, a kind (any word) for an activity's kind,
// true or false for an outcome. "" (missing) fits every target.
func checkValue(t *target, v string) error {
	if v == "" {
		return nil
	}
	var err error
	switch t.kind {
	case tStage:
		_, err = lead.ParseStage(v)
	case tRole:
		_, err = lead.ParseRole(v)
	case tConsent:
		_, err = lead.ParseConsentState(v)
	case tConverted:
		_, err = parseBool(v)
	case tCountry:
		if _, ok := countryCode(v); !ok {
			err = fmt.Errorf("%q is not a country", v)
		}
	case tActKind:
		if strings.ContainsAny(v, " @;") {
			err = fmt.Errorf("%q is not a kind (a word such as webinar_attended)", v)
		}
	case tCurrency, tWonCurrency:
		if !lead.Currency(v).Valid() {
			err = fmt.Errorf("%q is not an ISO 4217 code", v)
		}
	}
	return err
}

// set reads a setting.
func (s *settings) set(name, value string) error {
	v, err := unquote(value)
	if err != nil && name != "missing" {
		return err
	}
	switch name {
	case "zone":
		loc, err := loadZone(v)
		if err != nil {
			return err
		}
		s.zone, s.zoneSet = loc, true
	case "date":
		f, err := parseDateLayout(v)
		if err != nil {
			return err
		}
		s.date, s.dateSet = f, true
	case "thousands", "decimal":
		r, err := parseSeparator(name, value)
		if err != nil {
			return err
		}
		if name == "thousands" {
			s.numbers.thousands, s.numbersSet[0] = r, true
		} else {
			s.numbers.decimal, s.numbersSet[1] = r, true
		}
	case "currency":
		c := lead.Currency(v)
		if !c.Valid() {
			return fmt.Errorf("currency: %q is not an ISO 4217 code such as GBP", v)
		}
		s.currency = c
	case "missing":
		s.missing, s.missingSet = []string{""}, true
		for _, m := range splitTop(value, ";") {
			w, err := unquote(m)
			if err != nil {
				return err
			}
			if w != "" {
				s.missing = append(s.missing, w)
			}
		}
	case "encoding":
		e, err := ParseEncoding(v)
		if err != nil {
			return err
		}
		s.encoding, s.encodingSet = e, true
	case "delimiter":
		c, err := ParseDelimiter(v)
		if err != nil {
			return err
		}
		s.comma = c
	case "conflicts":
		if v != "error" && v != "first" {
			return fmt.Errorf("conflicts: %q: want error (a lead's rows that disagree are an error) or first (the first row's value is kept, and the disagreement reported)", v)
		}
		s.conflicts = v
	case "unmapped":
		if v != "fields" && v != "ignore" {
			return fmt.Errorf("unmapped: %q: want fields (columns the mapping does not name become custom fields) or ignore", v)
		}
		s.unmapped = v
	default:
		return fmt.Errorf("unknown setting %q (settings: zone, date, thousands, decimal, currency, missing, encoding, delimiter, conflicts, unmapped)", name)
	}
	return nil
}

// merge sets in s what o sets.
func (s *settings) merge(o *settings) {
	if o.zoneSet {
		s.zone, s.zoneSet = o.zone, true
	}
	if o.dateSet {
		s.date, s.dateSet = o.date, true
	}
	if o.numbersSet[0] {
		s.numbers.thousands, s.numbersSet[0] = o.numbers.thousands, true
	}
	if o.numbersSet[1] {
		s.numbers.decimal, s.numbersSet[1] = o.numbers.decimal, true
	}
	s.currency = cmpOr(o.currency, s.currency)
	if o.missingSet {
		s.missing, s.missingSet = o.missing, true
	}
	if o.encodingSet {
		s.encoding, s.encodingSet = o.encoding, true
	}
	s.comma = cmpOr(o.comma, s.comma)
	s.conflicts = cmpOr(o.conflicts, s.conflicts)
	s.unmapped = cmpOr(o.unmapped, s.unmapped)
}

func cmpOr[T comparable](a, b T) T {
	var zero T
	if a != zero {
		return a
	}
	return b
}

func (s *settings) write(b *strings.Builder) {
	if s.zoneSet {
		fmt.Fprintf(b, "zone: %s\n", s.zone)
	}
	if s.dateSet {
		fmt.Fprintf(b, "date: %s\n", s.date.layout)
	}
	if s.numbersSet[0] {
		fmt.Fprintf(b, "thousands: %s\n", sepName(s.numbers.thousands))
	}
	if s.numbersSet[1] {
		fmt.Fprintf(b, "decimal: %s\n", sepName(s.numbers.decimal))
	}
	if s.currency != "" {
		fmt.Fprintf(b, "currency: %s\n", s.currency)
	}
	if s.missingSet {
		var q []string
		for _, m := range s.missing[1:] {
			q = append(q, quoteIf(m))
		}
		fmt.Fprintf(b, "missing: %s\n", strings.Join(q, "; "))
	}
	if s.encodingSet {
		fmt.Fprintf(b, "encoding: %s\n", s.encoding)
	}
	if s.comma != 0 {
		fmt.Fprintf(b, "delimiter: %s\n", delimiterName(s.comma))
	}
	if s.conflicts != "" {
		fmt.Fprintf(b, "conflicts: %s\n", s.conflicts)
	}
	if s.unmapped != "" {
		fmt.Fprintf(b, "unmapped: %s\n", s.unmapped)
	}
}

// ParseDelimiter reads a CSV field delimiter: one character other than a
// quote or a line break, or "tab", "comma", "semicolon", "pipe".
func ParseDelimiter(s string) (rune, error) {
	switch strings.ToLower(s) {
	case "tab", `\t`:
		return '\t', nil
	case "comma":
		return ',', nil
	case "semicolon":
		return ';', nil
	case "pipe":
		return '|', nil
	}
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 || size != len(s) || r == utf8.RuneError || r == '"' || r == '\r' || r == '\n' {
		return 0, fmt.Errorf("delimiter %q: want one character other than a quote or a line break, or tab", s)
	}
	return r, nil
}

func delimiterName(r rune) string {
	switch r {
	case '\t':
		return "tab"
	case ',':
		return "comma"
	case ';':
		return "semicolon"
	case '|':
		return "pipe"
	}
	return string(r)
}
