package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// The fields of a lead a CRM export can fill, by name. In the default
// layout the header of each column is the field's name, which is the
// field's path in the lead's JSON form; -map gives other names.
//
//	id                          the lead's ID (required)
//	source, owner, lost_reason  text
//	stage                       new, nurturing, marketing_qualified, sales_accepted, ... (default new)
//	contact.name, .email, .phone, .title           text
//	contact.role                decision_maker, influencer, user or unknown
//	contact.time_zone           an IANA name such as Europe/London
//	company.name, .domain, .industry               text
//	company.employees           a whole number
//	company.country             an ISO 3166-1 alpha-2 code such as GB
//	budget, value               money: "50000.00 GBP", or a bare amount with a
//	                            budget.currency / value.currency column or -currency
//	budget.currency, value.currency                an ISO 4217 code
//	expected_purchase, renewal, created_at, updated_at   a time (see below)
//	activities                  "kind@time;kind@time", or a JSON array of activities
//	interests                   "topic@time;topic@first/last", or a JSON array of interests
//	consent.<channel>           "opted_in@time", "opted_out@time" or "unknown"
//	fields.<name>               a custom field: true, false and JSON numbers become
//	                            booleans and numbers, a JSON string literal its text,
//	                            anything else is text
//
// A time is RFC 3339 (2026-03-02T09:00:00Z, 2026-03-02T10:00:00+01:00, a
// space instead of the T is accepted) or a date (2026-03-02, midnight). A
// time without a zone is an error unless -time-zone says where it is. An
// empty cell leaves the field unknown.
var fieldNames = []string{
	"id", "source", "stage", "owner", "lost_reason",
	"contact.name", "contact.email", "contact.phone", "contact.title", "contact.role", "contact.time_zone",
	"company.name", "company.domain", "company.industry", "company.employees", "company.country",
	"budget", "budget.currency", "value", "value.currency",
	"expected_purchase", "renewal", "created_at", "updated_at",
	"activities", "interests",
}

// The prefixes of the fields whose names the export chooses.
const (
	consentPrefix = "consent."
	fieldsPrefix  = "fields."
)

// knownField reports whether name is a field of the layout: one of
// fieldNames, or consent.<channel> or fields.<name> with a non-empty,
// UTF-8 suffix.
func knownField(name string) bool {
	for _, p := range []string{consentPrefix, fieldsPrefix} {
		if rest, ok := strings.CutPrefix(name, p); ok {
			return rest != "" && utf8.ValidString(rest)
		}
	}
	return slices.Contains(fieldNames, name)
}

// Layout maps the fields of a lead to the columns of an export: field name
// to header. A field the layout does not name is read from the column
// whose header is the field's own name, when there is one; so the zero
// Layout is the default layout, and a Layout need only name the columns
// an export calls differently.
type Layout map[string]string

// ParseLayout reads a column mapping such as
// "id=LeadId,contact.email=E-mail,fields.plan=Plan": comma-separated
// field=header pairs. Headers are matched ignoring case and surrounding
// spaces; a header containing a comma cannot be named here.
func ParseLayout(s string) (Layout, error) {
	l := Layout{}
	return l, l.add(s)
}

// add adds the pairs of s to l.
func (l Layout) add(s string) error {
	for _, pair := range strings.Split(s, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		field, header, ok := strings.Cut(pair, "=")
		field, header = strings.TrimSpace(field), strings.TrimSpace(header)
		switch {
		case !ok:
			return fmt.Errorf("column mapping %q: want field=header", pair)
		case !knownField(field):
			return fmt.Errorf("column mapping %q: unknown field %q (fields: %s, consent.<channel>, fields.<name>)",
				pair, field, strings.Join(fieldNames, ", "))
		case header == "":
			return fmt.Errorf("column mapping %q: empty header", pair)
		}
		if prev, dup := l[field]; dup && !strings.EqualFold(prev, header) {
			return fmt.Errorf("column mapping: field %s mapped twice, to %q and %q", field, prev, header)
		}
		l[field] = header
	}
	return nil
}

// String writes the layout in the form ParseLayout reads, fields sorted.
func (l Layout) String() string {
	var parts []string
	for _, f := range slices.Sorted(maps.Keys(l)) {
		parts = append(parts, f+"="+l[f])
	}
	return strings.Join(parts, ",")
}

// Set implements flag.Value: each -map adds its pairs.
func (l *Layout) Set(s string) error {
	if *l == nil {
		*l = Layout{}
	}
	return l.add(s)
}

// column is one column of the export that feeds a field.
type column struct {
	index  int    // in the record
	header string // as written in the export
	field  string // the field it fills
	set    setter
}

// Schema is a Layout bound to the header of one export: which column
// feeds which field. Make it with [Layout.Bind]; parse rows with
// [Schema.Lead].
type Schema struct {
	opts    ParseOptions
	header  []string
	columns []column
	// byField finds the column of a field, for problem reports.
	byField map[string]string
	// Ignored lists the headers no field reads.
	Ignored []string
}

// normHeader is how headers are compared: without a UTF-8 byte order mark
// (Excel writes one), surrounding spaces, or case.
func normHeader(h string) string {
	return strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF")))
}

// Bind finds the columns of the layout in an export's header. It is an
// error for a field the layout names to have no column, for a header to
// appear twice when a field reads it, and for the id column to be missing.
func (l Layout) Bind(header []string, opts ParseOptions) (*Schema, error) {
	header = slices.Clone(header)
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\uFEFF") // Excel writes a byte order mark
	}
	pos := map[string][]int{}
	for i, h := range header {
		n := normHeader(h)
		pos[n] = append(pos[n], i)
	}
	s := &Schema{opts: opts, header: header, byField: map[string]string{}}
	used := make([]bool, len(header))
	bind := func(field, want string) error {
		idx := pos[normHeader(want)]
		switch {
		case len(idx) == 0:
			return nil
		case len(idx) > 1:
			return fmt.Errorf("the header has %d columns named %q (columns %s); field %s cannot tell which to read",
				len(idx), want, columnNumbers(idx), field)
		}
		h := strings.TrimSpace(header[idx[0]])
		s.columns = append(s.columns, column{index: idx[0], header: h, field: field, set: setterFor(field)})
		s.byField[field] = h
		used[idx[0]] = true
		return nil
	}
	// Mapped fields first, then the default names of the others.
	for _, f := range slices.Sorted(maps.Keys(l)) {
		if len(pos[normHeader(l[f])]) == 0 {
			return nil, fmt.Errorf("column mapping %s=%s: the header has no column %q (it has: %s)",
				f, l[f], l[f], quoteAll(header))
		}
		if err := bind(f, l[f]); err != nil {
			return nil, err
		}
	}
	for _, f := range fieldNames {
		if _, mapped := l[f]; !mapped {
			if err := bind(f, f); err != nil {
				return nil, err
			}
		}
	}
	for i, h := range header {
		n := normHeader(h)
		if used[i] || !(strings.HasPrefix(n, consentPrefix) || strings.HasPrefix(n, fieldsPrefix)) {
			continue
		}
		// consent.<channel> and fields.<name> in the default layout; the
		// name keeps the header's case.
		name := strings.TrimSpace(h)
		field := strings.ToLower(name[:strings.IndexByte(name, '.')+1]) + name[strings.IndexByte(name, '.')+1:]
		if _, mapped := l[field]; mapped || !knownField(field) {
			continue
		}
		if err := bind(field, h); err != nil {
			return nil, err
		}
	}
	if _, ok := s.byField["id"]; !ok {
		hint := ""
		if _, mapped := l["id"]; !mapped {
			hint = "; name it with -map id=<header>"
		}
		return nil, fmt.Errorf("the header has no id column (it has: %s)%s", quoteAll(header), hint)
	}
	for i, h := range header {
		if !used[i] {
			s.Ignored = append(s.Ignored, h)
		}
	}
	slices.SortFunc(s.columns, func(a, b column) int { return a.index - b.index })
	return s, nil
}

// Header returns the export's header, as read (without a byte order mark).
func (s *Schema) Header() []string { return s.header }

// columnOf returns the header of the column that feeds a lead's field
// path ("activities[2].at" is fed by the activities column), or "".
func (s *Schema) columnOf(path string) string {
	for p := path; p != ""; {
		if h, ok := s.byField[p]; ok {
			return h
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return ""
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
		parts = append(parts, fmt.Sprintf("%q", s))
	}
	return strings.Join(parts, ", ")
}
