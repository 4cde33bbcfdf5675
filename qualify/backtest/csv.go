package backtest

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadqual/leadqual/lead"
)

// csvLayout maps the columns of one file: for each part of a record, the
// index of its column, or -1.
type csvLayout struct {
	at       []int // by position in `columns`
	fields   []string
	fieldIdx []int
	currency lead.Currency
}

func (l *csvLayout) col(key string) int {
	for i, c := range columns {
		if c.key == key {
			return l.at[i]
		}
	}
	return -1
}

// layout matches the header against the mapping.
func layout(header []string, cols *Columns) (*csvLayout, *LineError) {
	norm := func(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
	index := map[string]int{}
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\uFEFF") // a byte order mark
		}
		k := norm(h)
		if _, dup := index[k]; dup {
			index[k] = -2 // ambiguous: an error only if mapped
			continue
		}
		index[k] = i
	}
	find := func(field, name string, explicit, required bool) (int, *LineError) {
		i, ok := index[norm(name)]
		switch {
		case ok && i == -2:
			return -1, &LineError{Line: 1, Field: field, Err: fmt.Errorf("column %q appears more than once in the header", name)}
		case ok:
			return i, nil
		case explicit || required:
			return -1, &LineError{Line: 1, Field: field, Err: fmt.Errorf("no column %q in the header (columns: %s)", name, strings.Join(header, ", "))}
		}
		return -1, nil
	}
	l := &csvLayout{at: make([]int, len(columns)), currency: cols.Currency}
	for i, c := range columns {
		name := *c.get(cols)
		explicit := name != ""
		if !explicit {
			name = c.def
		}
		j, err := find(c.key, name, explicit, c.required)
		if err != nil {
			return nil, err
		}
		l.at[i] = j
	}
	names := make([]string, 0, len(cols.Fields))
	for name := range cols.Fields {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		j, err := find("fields."+name, cols.Fields[name], true, true)
		if err != nil {
			return nil, err
		}
		l.fields = append(l.fields, name)
		l.fieldIdx = append(l.fieldIdx, j)
	}
	return l, nil
}

// limitedLines fails a read that goes on for more than max bytes since
// the last reset: it bounds the memory one CSV row can take, quoted line
// breaks and all. The bound is loose by the csv reader's read-ahead.
type limitedLines struct {
	r    io.Reader
	max  int
	used int
}

var errRowTooLong = errors.New("row too long")

func (l *limitedLines) Read(p []byte) (int, error) {
	if l.used > l.max {
		return 0, errRowTooLong
	}
	if len(p) > l.max-l.used+1 {
		p = p[:l.max-l.used+1]
	}
	n, err := l.r.Read(p)
	l.used += n
	return n, err
}

// readAhead is the most csv.Reader reads beyond the row it returns.
const readAhead = 4096

// readCSV reads CSV rows, grouping consecutive rows of one record.
func (r *Reader) readCSV(src io.Reader, opts *ReadOptions, yield func(Record) bool) {
	lim := &limitedLines{r: src, max: opts.MaxLineBytes + readAhead}
	cr := csv.NewReader(lim)
	cr.FieldsPerRecord = -1 // checked here, with a better message
	cr.ReuseRecord = false
	header, err := cr.Read()
	switch {
	case err == io.EOF:
		r.fail(&LineError{Line: 1, Err: errNoHeader})
		return
	case err != nil:
		r.fail(csvError(err, 1, opts))
		return
	}
	lay, lerr := layout(header, &r.format.cols)
	if lerr != nil {
		r.fail(lerr)
		return
	}
	g := csvGroup{lay: lay, loc: opts.Location}
	flush := func() bool {
		if !g.open {
			return true
		}
		g.open = false
		if g.bad != nil {
			return r.bad(g.bad)
		}
		return yield(g.rec)
	}
	line := 1 // of the last row read
	for {
		lim.used = 0
		row, err := cr.Read()
		if err == io.EOF {
			flush()
			return
		}
		var rowErr *LineError
		var pe *csv.ParseError
		switch {
		case err == nil:
			line, _ = cr.FieldPos(0)
		case errors.As(err, &pe):
			line = pe.StartLine
		}
		switch {
		case err != nil:
			if pe == nil || errors.Is(err, errRowTooLong) {
				r.fail(csvError(err, line, opts))
				return
			}
			// The csv reader resumes at the next row.
			rowErr = csvError(err, line, opts).(*LineError)
		case len(row) != len(header):
			rowErr = &LineError{Line: line, Err: fmt.Errorf("%d fields, the header has %d", len(row), len(header))}
		}
		if rowErr != nil {
			// A row that does not parse cannot be told apart: the record
			// being read, if any, is bad with it.
			if g.open {
				g.fail(rowErr)
			} else if !r.bad(rowErr) {
				return
			}
			continue
		}
		id, at := g.cell(row, "id"), g.cell(row, "at")
		if !g.open || id != g.id || at != g.at {
			if !flush() {
				return
			}
			g.start(id, at, line)
		}
		if g.bad == nil {
			g.row(row, line)
		}
	}
}

func csvError(err error, line int, opts *ReadOptions) error {
	if line <= 0 {
		line = 1
	}
	if errors.Is(err, errRowTooLong) {
		return &LineError{Line: line, Err: fmt.Errorf("a row longer than %d bytes", opts.MaxLineBytes)}
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &LineError{Line: pe.Line, Column: pe.Column, Err: pe.Err}
	}
	return fmt.Errorf("backtest: reading the history near line %d: %w", line, err)
}

// csvGroup is the record being assembled from consecutive rows.
type csvGroup struct {
	lay    *csvLayout
	loc    *time.Location
	open   bool
	id, at string
	rec    Record
	first  []string // the lead-level values seen, by position in `columns`
	firstL []int    // and the lines they came from
	bad    *LineError
}

func (g *csvGroup) cell(row []string, key string) string {
	if i := g.lay.col(key); i >= 0 {
		return strings.TrimSpace(row[i])
	}
	return ""
}

func (g *csvGroup) start(id, at string, line int) {
	*g = csvGroup{lay: g.lay, loc: g.loc, open: true, id: id, at: at,
		first: make([]string, len(columns)), firstL: make([]int, len(columns))}
	g.rec = Record{Lead: &lead.Lead{ID: id}, Line: line}
	if id == "" {
		g.failAt(line, "id", errors.New("empty"))
		return
	}
	if at != "" {
		t, err := parseTime(at, g.loc)
		if err != nil {
			g.failAt(line, "at", err)
			return
		}
		g.rec.At = t
	}
}

func (g *csvGroup) failAt(line int, field string, err error) {
	g.fail(&LineError{Line: line, Field: field, Err: err})
}

func (g *csvGroup) fail(e *LineError) {
	if g.bad == nil {
		g.bad = e
	}
}

// row adds one row to the record.
func (g *csvGroup) row(row []string, line int) {
	l := g.rec.Lead
	for i, c := range columns {
		j := g.lay.at[i]
		if !c.lead || j < 0 {
			continue
		}
		v := strings.TrimSpace(row[j])
		if v == "" {
			continue
		}
		if prev := g.first[i]; prev != "" {
			if prev != v {
				g.failAt(line, c.key, fmt.Errorf("%q, but line %d gave %q for lead %q", v, g.firstL[i], prev, g.id))
			}
			continue
		}
		g.first[i], g.firstL[i] = v, line
		if err := g.set(l, c.key, v, row); err != nil {
			g.failAt(line, c.key, err)
			return
		}
	}
	for k, name := range g.lay.fields {
		v := strings.TrimSpace(row[g.lay.fieldIdx[k]])
		if v == "" {
			continue
		}
		val := fieldValue(v)
		if old, ok := l.Fields[name]; ok {
			if old != val {
				g.failAt(line, "fields."+name, fmt.Errorf("%q differs from an earlier row of lead %q", v, g.id))
			}
			continue
		}
		if l.Fields == nil {
			l.Fields = map[string]any{}
		}
		l.Fields[name] = val
	}
	kind := g.cell(row, "activity")
	if kind == "" {
		for _, k := range []string{"activity_at", "activity_product", "activity_asset", "activity_channel"} {
			if g.cell(row, k) != "" {
				g.failAt(line, k, errors.New("set on a row without an activity kind"))
				return
			}
		}
		return
	}
	a := lead.Activity{Kind: lead.Kind(kind), Product: g.cell(row, "activity_product"),
		Asset: g.cell(row, "activity_asset"), Channel: lead.Channel(g.cell(row, "activity_channel"))}
	if s := g.cell(row, "activity_at"); s != "" {
		t, err := parseTime(s, g.loc)
		if err != nil {
			g.failAt(line, "activity_at", err)
			return
		}
		a.At = t
	}
	l.Activities = append(l.Activities, a)
}

// set sets the lead-level part key from its text.
func (g *csvGroup) set(l *lead.Lead, key, v string, row []string) error {
	var err error
	switch key {
	case "converted":
		g.rec.Converted, err = parseBool(v)
	case "won":
		g.rec.Won, err = g.money(v, g.cell(row, "won_currency"))
	case "won_currency":
		if g.lay.col("won") < 0 {
			err = errors.New("a currency without a won column")
		}
	case "stage":
		l.Stage, err = lead.ParseStage(v)
	case "source":
		l.Source = v
	case "owner":
		l.Owner = v
	case "role":
		l.Contact.Role, err = lead.ParseRole(v)
	case "title":
		l.Contact.Title = v
	case "email":
		l.Contact.Email = v
	case "company":
		l.Company.Name = v
	case "industry":
		l.Company.Industry = v
	case "employees":
		l.Company.Employees, err = strconv.Atoi(v)
		if err != nil {
			err = fmt.Errorf("%q is not a whole number", v)
		}
	case "country":
		l.Company.Country = v
	case "budget":
		l.Budget, err = g.money(v, "")
	case "value":
		l.Value, err = g.money(v, "")
	case "created_at":
		l.CreatedAt, err = parseTime(v, g.loc)
	case "updated_at":
		l.UpdatedAt, err = parseTime(v, g.loc)
	case "lost_reason":
		l.LostReason = lead.Reason(v)
	}
	return err
}

// money reads "12000.00 GBP", or a bare amount in currency cur (a column)
// or the mapping's currency.
func (g *csvGroup) money(v, cur string) (lead.Money, error) {
	amount, code, ok := strings.Cut(v, " ")
	if ok {
		code = strings.TrimSpace(code)
		if cur != "" && cur != code {
			return lead.Money{}, fmt.Errorf("%q is in %s, but its currency column says %s", v, code, cur)
		}
	} else {
		code = cur
		if code == "" {
			code = string(g.lay.currency)
		}
		if code == "" {
			return lead.Money{}, fmt.Errorf("%q has no currency (write \"%s GBP\", or map a currency)", v, v)
		}
	}
	return lead.ParseMoney(amount, lead.Currency(code))
}

// The layouts parseTime accepts, after RFC 3339.
var localLayouts = []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"}

// parseTime reads RFC 3339, or a time without a zone in loc.
func parseTime(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range localLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time (RFC 3339, \"2006-01-02 15:04:05\" or \"2006-01-02\")", s)
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true", "t", "yes", "y", "1":
		return true, nil
	case "false", "f", "no", "n", "0":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false (true/false, yes/no, 1/0)", s)
}

// fieldValue reads a custom field's text as a JSON value would be.
func fieldValue(s string) any {
	switch s {
	case "true":
		return true
	case "false":
		return false
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
		return f
	}
	return s
}
