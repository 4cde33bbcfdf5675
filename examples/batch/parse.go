package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/leadqual/leadqual/internal/strictjson"
	"github.com/leadqual/leadqual/lead"
)

// ParseOptions say how to read the cells of an export.
type ParseOptions struct {
	// TimeZone is where times written without a zone are (exports from
	// spreadsheets often have them); nil makes such a time an error.
	// Dates are midnight in TimeZone, or UTC when it is nil.
	TimeZone *time.Location
	// Currency is the currency of amounts written without one, when the
	// export has no currency column; "" makes such an amount an error.
	Currency lead.Currency
}

// Problem is one thing wrong with a row of an export.
type Problem struct {
	// Column is the header of the offending column; "" for the row as a
	// whole (a wrong number of fields, a CSV syntax error).
	Column string
	// Field is the lead's field path: "contact.email", "activities[2].at".
	Field string
	// Message says what is wrong.
	Message string
}

// String returns the problem as a row report shows it:
// `contact.email (column "E-mail"): "x" is not an email address`.
func (p Problem) String() string {
	switch {
	case p.Field != "" && p.Column != "" && p.Column != p.Field:
		return fmt.Sprintf("%s (column %q): %s", p.Field, p.Column, p.Message)
	case p.Field != "":
		return p.Field + ": " + p.Message
	case p.Column != "":
		return fmt.Sprintf("column %q: %s", p.Column, p.Message)
	}
	return p.Message
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

// rowState holds the parts of a row that are resolved once the whole row
// is read: amounts and their currencies may be in different columns.
type rowState struct {
	budget, budgetCurrency string
	value, valueCurrency   string
}

// setter fills a lead's field from a non-empty, trimmed cell.
type setter func(s *Schema, l *lead.Lead, st *rowState, field, cell string) error

func setterFor(field string) setter {
	text := func(dst func(*lead.Lead) *string) setter {
		return func(_ *Schema, l *lead.Lead, _ *rowState, _, cell string) error {
			*dst(l) = cell
			return nil
		}
	}
	when := func(dst func(*lead.Lead) *time.Time) setter {
		return func(s *Schema, l *lead.Lead, _ *rowState, _, cell string) (err error) {
			*dst(l), err = s.parseTime(cell)
			return err
		}
	}
	switch field {
	case "id":
		return text(func(l *lead.Lead) *string { return &l.ID })
	case "source":
		return text(func(l *lead.Lead) *string { return &l.Source })
	case "owner":
		return text(func(l *lead.Lead) *string { return &l.Owner })
	case "lost_reason":
		return func(_ *Schema, l *lead.Lead, _ *rowState, _, cell string) error {
			l.LostReason = lead.Reason(cell)
			return nil
		}
	case "stage":
		return func(_ *Schema, l *lead.Lead, _ *rowState, _, cell string) (err error) {
			l.Stage, err = lead.ParseStage(cell)
			return err
		}
	case "contact.name":
		return text(func(l *lead.Lead) *string { return &l.Contact.Name })
	case "contact.email":
		return text(func(l *lead.Lead) *string { return &l.Contact.Email })
	case "contact.phone":
		return text(func(l *lead.Lead) *string { return &l.Contact.Phone })
	case "contact.title":
		return text(func(l *lead.Lead) *string { return &l.Contact.Title })
	case "contact.time_zone":
		return text(func(l *lead.Lead) *string { return &l.Contact.TimeZone })
	case "contact.role":
		return func(_ *Schema, l *lead.Lead, _ *rowState, _, cell string) (err error) {
			l.Contact.Role, err = lead.ParseRole(cell)
			return err
		}
	case "company.name":
		return text(func(l *lead.Lead) *string { return &l.Company.Name })
	case "company.domain":
		return text(func(l *lead.Lead) *string { return &l.Company.Domain })
	case "company.industry":
		return text(func(l *lead.Lead) *string { return &l.Company.Industry })
	case "company.country":
		return text(func(l *lead.Lead) *string { return &l.Company.Country })
	case "company.employees":
		return func(_ *Schema, l *lead.Lead, _ *rowState, _, cell string) error {
			n, err := strconv.Atoi(cell)
			if err != nil {
				return fmt.Errorf("%q is not a whole number", cell)
			}
			l.Company.Employees = n
			return nil
		}
	case "budget":
		return func(_ *Schema, _ *lead.Lead, st *rowState, _, cell string) error { st.budget = cell; return nil }
	case "budget.currency":
		return func(_ *Schema, _ *lead.Lead, st *rowState, _, cell string) error {
			st.budgetCurrency = cell
			return nil
		}
	case "value":
		return func(_ *Schema, _ *lead.Lead, st *rowState, _, cell string) error { st.value = cell; return nil }
	case "value.currency":
		return func(_ *Schema, _ *lead.Lead, st *rowState, _, cell string) error { st.valueCurrency = cell; return nil }
	case "expected_purchase":
		return when(func(l *lead.Lead) *time.Time { return &l.ExpectedPurchase })
	case "renewal":
		return when(func(l *lead.Lead) *time.Time { return &l.Renewal })
	case "created_at":
		return when(func(l *lead.Lead) *time.Time { return &l.CreatedAt })
	case "updated_at":
		return when(func(l *lead.Lead) *time.Time { return &l.UpdatedAt })
	case "activities":
		return func(s *Schema, l *lead.Lead, _ *rowState, _, cell string) (err error) {
			l.Activities, err = s.parseActivities(cell)
			return err
		}
	case "interests":
		return func(s *Schema, l *lead.Lead, _ *rowState, _, cell string) (err error) {
			l.Interests, err = s.parseInterests(cell)
			return err
		}
	}
	if strings.HasPrefix(field, consentPrefix) {
		return func(s *Schema, l *lead.Lead, _ *rowState, field, cell string) error {
			c, err := s.parseConsent(field, cell)
			if err != nil {
				return err
			}
			if l.Consent == nil {
				l.Consent = map[lead.Channel]lead.Consent{}
			}
			l.Consent[lead.Channel(strings.TrimPrefix(field, consentPrefix))] = c
			return nil
		}
	}
	return func(_ *Schema, l *lead.Lead, _ *rowState, field, cell string) error {
		if l.Fields == nil {
			l.Fields = map[string]any{}
		}
		l.Fields[strings.TrimPrefix(field, fieldsPrefix)] = fieldValue(cell)
		return nil
	}
}

// Lead parses one record of the export into a lead, and returns every
// problem it finds (then the lead is incomplete: what could be read). It
// does not validate the lead; see lead.Validate.
func (s *Schema) Lead(record []string) (*lead.Lead, []Problem) {
	if len(record) != len(s.header) {
		return nil, []Problem{{Message: fmt.Sprintf("%d fields, but the header has %d", len(record), len(s.header))}}
	}
	l := &lead.Lead{}
	var st rowState
	var problems []Problem
	for _, c := range s.columns {
		cell := strings.TrimSpace(record[c.index])
		if cell == "" {
			continue
		}
		if err := c.set(s, l, &st, c.field, cell); err != nil {
			p := Problem{Column: c.header, Field: c.field, Message: err.Error()}
			var ce *cellError
			if errors.As(err, &ce) {
				p.Field, p.Message = ce.path, ce.msg
			}
			problems = append(problems, p)
		}
	}
	var err error
	if l.Budget, err = s.money("budget", st.budget, st.budgetCurrency); err != nil {
		problems = append(problems, Problem{Column: s.byField["budget"], Field: "budget", Message: err.Error()})
	}
	if l.Value, err = s.money("value", st.value, st.valueCurrency); err != nil {
		problems = append(problems, Problem{Column: s.byField["value"], Field: "value", Message: err.Error()})
	}
	return l, problems
}

// money reads an amount, "50000.00 GBP" or a bare "50000.00" whose
// currency is in the currency column or ParseOptions.Currency.
func (s *Schema) money(field, amount, currency string) (lead.Money, error) {
	if amount == "" {
		return lead.Money{}, nil // a currency column filled for every row is common
	}
	parts := strings.Fields(amount)
	switch len(parts) {
	case 1:
		if currency == "" {
			currency = string(s.opts.Currency)
		}
		if currency == "" {
			return lead.Money{}, fmt.Errorf("%q has no currency: write \"%s GBP\", add a %s.currency column, or run with -currency", amount, amount, field)
		}
	case 2:
		if currency != "" && currency != parts[1] {
			return lead.Money{}, fmt.Errorf("%q is in %s, but the %s.currency column says %s", amount, parts[1], field, currency)
		}
		currency = parts[1]
	default:
		return lead.Money{}, fmt.Errorf("%q is not an amount: want \"50000.00 GBP\"", amount)
	}
	m, err := lead.ParseMoney(parts[0], lead.Currency(currency))
	if err != nil {
		// The column names the field: "lead: currency \"GPB\" is not ..."
		// reads "\"GPB\" is not ..." after it.
		return lead.Money{}, errors.New(strings.TrimPrefix(strings.TrimPrefix(err.Error(), "lead: "), "currency "))
	}
	return m, nil
}

// The layouts of times: with a zone, and without one (which need
// ParseOptions.TimeZone).
var (
	zonedLayouts = []string{time.RFC3339, "2006-01-02 15:04:05Z07:00"}
	localLayouts = []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02 15:04"}
)

const dateLayout = "2006-01-02"

// parseTime reads a time or a date.
func (s *Schema) parseTime(cell string) (time.Time, error) {
	for _, layout := range zonedLayouts {
		if t, err := time.Parse(layout, cell); err == nil {
			return t, nil
		}
	}
	loc := s.opts.TimeZone
	if t, err := time.ParseInLocation(dateLayout, cell, cmpLoc(loc)); err == nil {
		return t, nil
	}
	for _, layout := range localLayouts {
		if _, err := time.Parse(layout, cell); err != nil {
			continue
		}
		if loc == nil {
			return time.Time{}, fmt.Errorf("%q has no time zone: write 2026-03-02T09:00:00Z or 2026-03-02T10:00:00+01:00, or run with -time-zone", cell)
		}
		return time.ParseInLocation(layout, cell, loc)
	}
	return time.Time{}, fmt.Errorf("%q is not a time: want RFC 3339 (2026-03-02T09:00:00Z) or a date (2026-03-02)", cell)
}

func cmpLoc(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}

// jsonCellError names the first problem of a JSON cell by its path within
// the lead: "activities[0].pages: unknown field".
func jsonCellError(field string, err error) error {
	fe := strictjson.Problems(err)[0]
	return cellErrorf(strictjson.Join(field, fe.Path), "%s", fe.Problem)
}

// parseActivities reads "kind@time;kind@time", or a JSON array of
// activities ([{"kind": "demo_request", "at": "...", "product": "..."}]).
func (s *Schema) parseActivities(cell string) ([]lead.Activity, error) {
	if cell[0] == '[' {
		var out []lead.Activity
		if err := strictjson.Decode([]byte(cell), &out); err != nil {
			return nil, jsonCellError("activities", err)
		}
		return out, nil
	}
	var out []lead.Activity
	i := 0
	for entry := range strings.SplitSeq(cell, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		path := "activities[" + strconv.Itoa(i) + "]"
		i++
		kind, at, ok := strings.Cut(entry, "@")
		kind, at = strings.TrimSpace(kind), strings.TrimSpace(at)
		switch {
		case !ok:
			return nil, cellErrorf(path, "%q is not kind@time", entry)
		case kind == "":
			return nil, cellErrorf(path+".kind", "empty in %q", entry)
		}
		t, err := s.parseTime(at)
		if err != nil {
			return nil, cellErrorf(path+".at", "%v", err)
		}
		out = append(out, lead.Activity{Kind: lead.Kind(kind), At: t})
	}
	return out, nil
}

// parseInterests reads "topic@time;topic@first/last", or a JSON array of
// interests ([{"topic": "...", "first_seen": "...", "last_seen": "..."}]).
func (s *Schema) parseInterests(cell string) ([]lead.Interest, error) {
	if cell[0] == '[' {
		var out []lead.Interest
		if err := strictjson.Decode([]byte(cell), &out); err != nil {
			return nil, jsonCellError("interests", err)
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
		if in.FirstSeen, err = s.parseTime(strings.TrimSpace(first)); err != nil {
			return nil, cellErrorf(path+".first_seen", "%v", err)
		}
		in.LastSeen = in.FirstSeen
		if span {
			if in.LastSeen, err = s.parseTime(strings.TrimSpace(last)); err != nil {
				return nil, cellErrorf(path+".last_seen", "%v", err)
			}
		}
		out = append(out, in)
	}
	return out, nil
}

// parseConsent reads "opted_in@time", "opted_out@time" or "unknown".
func (s *Schema) parseConsent(field, cell string) (lead.Consent, error) {
	state, at, hasTime := strings.Cut(cell, "@")
	st, err := lead.ParseConsentState(strings.TrimSpace(state))
	if err != nil {
		return lead.Consent{}, cellErrorf(field+".state", "%v", err)
	}
	c := lead.Consent{State: st}
	if hasTime {
		if c.At, err = s.parseTime(strings.TrimSpace(at)); err != nil {
			return lead.Consent{}, cellErrorf(field+".at", "%v", err)
		}
	}
	return c, nil
}

// maxExactDigits is the most significant digits a float64 holds exactly:
// a longer number (an account number, say) stays text.
const maxExactDigits = 15

// fieldValue reads a custom field: true and false are booleans, a JSON
// number of at most 15 digits is a number, a JSON string literal is its
// text, and anything else (the empty cell included) is text as written.
func fieldValue(cell string) any {
	switch cell {
	case "":
		return ""
	case "true":
		return true
	case "false":
		return false
	}
	switch c := cell[0]; {
	case c == '"':
		var s string
		if json.Unmarshal([]byte(cell), &s) == nil {
			return s
		}
	case c == '-' || c >= '0' && c <= '9':
		digits := 0
		for i := range len(cell) {
			if cell[i] >= '0' && cell[i] <= '9' {
				digits++
			}
		}
		var f float64
		if digits <= maxExactDigits && json.Valid([]byte(cell)) && !bytes.ContainsAny([]byte(cell), "eE") {
			if json.Unmarshal([]byte(cell), &f) == nil {
				return f
			}
		}
	}
	return cell
}
