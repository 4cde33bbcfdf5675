package backtest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/leadqual/leadqual/lead"
)

// Columns maps the columns of a CSV export to the parts of a Record: each
// field is the header of the column that holds that part. An empty field
// means the default header, given in its comment; the default columns are
// optional (absent from the header, the part is unknown), except id,
// decided_at and converted, which a history cannot do without. A header
// named explicitly must be in the file. Headers match whatever their case
// and surrounding spaces.
//
// A CRM export has a row per lead, or a row per activity: consecutive rows
// with the same ID and decision time are one record, each row adding its
// activity (when its activity column is not empty). The lead's columns
// may be repeated on every row or given once; two different non-empty
// values are an error. The JSON form uses the keys of ParseColumns:
//
//	{"id": "Lead ID", "at": "Decided", "won": "Amount", "currency": "GBP", "fields": {"plan": "Plan"}}
type Columns struct {
	ID        string `json:"id,omitempty"`        // "id": the lead's ID
	At        string `json:"at,omitempty"`        // "decided_at": the decision time
	Converted string `json:"converted,omitempty"` // "converted": true/false, yes/no, 1/0, y/n, t/f (empty is false)
	// Won is the value won: "12000.00 GBP", or a bare amount whose
	// currency is in the WonCurrency column or is Currency.
	Won         string `json:"won,omitempty"`          // "won"
	WonCurrency string `json:"won_currency,omitempty"` // "won_currency"

	Stage      string `json:"stage,omitempty"`       // "stage": new, nurturing, ... (lead.ParseStage)
	Source     string `json:"source,omitempty"`      // "source"
	Owner      string `json:"owner,omitempty"`       // "owner"
	Role       string `json:"role,omitempty"`        // "role": decision_maker, influencer, user, unknown
	Title      string `json:"title,omitempty"`       // "title": the contact's job title
	Email      string `json:"email,omitempty"`       // "email": the contact's email address
	Company    string `json:"company,omitempty"`     // "company": the company's name
	Industry   string `json:"industry,omitempty"`    // "industry"
	Employees  string `json:"employees,omitempty"`   // "employees": a whole number
	Country    string `json:"country,omitempty"`     // "country": ISO 3166-1 alpha-2
	Budget     string `json:"budget,omitempty"`      // "budget": money, as Won
	Value      string `json:"value,omitempty"`       // "value": money, as Won
	CreatedAt  string `json:"created_at,omitempty"`  // "created_at"
	UpdatedAt  string `json:"updated_at,omitempty"`  // "updated_at"
	LostReason string `json:"lost_reason,omitempty"` // "lost_reason": not_now, preferred_supplier, ...

	ActivityKind    string `json:"activity,omitempty"`         // "activity": the activity's kind
	ActivityAt      string `json:"activity_at,omitempty"`      // "activity_at"
	ActivityProduct string `json:"activity_product,omitempty"` // "activity_product"
	ActivityAsset   string `json:"activity_asset,omitempty"`   // "activity_asset"
	ActivityChannel string `json:"activity_channel,omitempty"` // "activity_channel"

	// Fields maps a custom field's name (read by rules as fields.<name>)
	// to its column. A value reads as a boolean (true, false), else as a
	// number (a float64) when it is one, else as text; an empty value
	// leaves the field out.
	Fields map[string]string `json:"fields,omitempty"`
	// Currency is the currency of money columns written as a bare amount;
	// empty means every amount must carry its own.
	Currency lead.Currency `json:"currency,omitempty"`
}

// column is one part of a record a CSV column can hold.
type column struct {
	key      string // as in ParseColumns and JSON
	def      string // the default header
	required bool
	lead     bool // a lead-level column, checked for agreement across a lead's rows
	get      func(*Columns) *string
}

var columns = []column{
	{"id", "id", true, false, func(c *Columns) *string { return &c.ID }},
	{"at", "decided_at", true, false, func(c *Columns) *string { return &c.At }},
	{"converted", "converted", true, true, func(c *Columns) *string { return &c.Converted }},
	{"won", "won", false, true, func(c *Columns) *string { return &c.Won }},
	{"won_currency", "won_currency", false, true, func(c *Columns) *string { return &c.WonCurrency }},
	{"stage", "stage", false, true, func(c *Columns) *string { return &c.Stage }},
	{"source", "source", false, true, func(c *Columns) *string { return &c.Source }},
	{"owner", "owner", false, true, func(c *Columns) *string { return &c.Owner }},
	{"role", "role", false, true, func(c *Columns) *string { return &c.Role }},
	{"title", "title", false, true, func(c *Columns) *string { return &c.Title }},
	{"email", "email", false, true, func(c *Columns) *string { return &c.Email }},
	{"company", "company", false, true, func(c *Columns) *string { return &c.Company }},
	{"industry", "industry", false, true, func(c *Columns) *string { return &c.Industry }},
	{"employees", "employees", false, true, func(c *Columns) *string { return &c.Employees }},
	{"country", "country", false, true, func(c *Columns) *string { return &c.Country }},
	{"budget", "budget", false, true, func(c *Columns) *string { return &c.Budget }},
	{"value", "value", false, true, func(c *Columns) *string { return &c.Value }},
	{"created_at", "created_at", false, true, func(c *Columns) *string { return &c.CreatedAt }},
	{"updated_at", "updated_at", false, true, func(c *Columns) *string { return &c.UpdatedAt }},
	{"lost_reason", "lost_reason", false, true, func(c *Columns) *string { return &c.LostReason }},
	{"activity", "activity", false, false, func(c *Columns) *string { return &c.ActivityKind }},
	{"activity_at", "activity_at", false, false, func(c *Columns) *string { return &c.ActivityAt }},
	{"activity_product", "activity_product", false, false, func(c *Columns) *string { return &c.ActivityProduct }},
	{"activity_asset", "activity_asset", false, false, func(c *Columns) *string { return &c.ActivityAsset }},
	{"activity_channel", "activity_channel", false, false, func(c *Columns) *string { return &c.ActivityChannel }},
}

// ParseColumns reads a column mapping written as comma-separated
// key=header pairs, the form a command-line flag or a settings file holds:
//
//	id=Lead ID, at=Decided, converted=Won?, won=Amount, currency=GBP, fields.plan=Plan
//
// Keys are those of the JSON form: id, at, converted, won, won_currency,
// stage, source, owner, role, title, email, company, industry, employees,
// country, budget, value, created_at, updated_at, lost_reason, activity,
// activity_at, activity_product, activity_asset, activity_channel,
// currency, and fields.<name> for custom fields. A header with a comma or
// an equals sign, or with leading or trailing spaces, is written in double
// quotes, a quote in it doubled: won="Amount, GBP". An unknown or repeated
// key is an error naming its position.
func ParseColumns(s string) (Columns, error) {
	var c Columns
	seen := map[string]bool{}
	pairs, err := splitPairs(s)
	if err != nil {
		return Columns{}, err
	}
	for _, p := range pairs {
		fail := func(format string, args ...any) error {
			return fmt.Errorf("%w: backtest: columns, pair %d (%q, byte %d): %s", ErrConfig, p.n, p.key, p.at+1, fmt.Sprintf(format, args...))
		}
		if seen[p.key] {
			return Columns{}, fail("key given twice")
		}
		seen[p.key] = true
		if p.value == "" {
			return Columns{}, fail("empty header")
		}
		switch {
		case p.key == "currency":
			cur := lead.Currency(p.value)
			if !cur.Valid() {
				return Columns{}, fail("%q is not an ISO 4217 code", p.value)
			}
			c.Currency = cur
		case strings.HasPrefix(p.key, "fields."):
			name := strings.TrimPrefix(p.key, "fields.")
			if name == "" {
				return Columns{}, fail("empty field name")
			}
			if c.Fields == nil {
				c.Fields = map[string]string{}
			}
			c.Fields[name] = p.value
		default:
			i := slices.IndexFunc(columns, func(col column) bool { return col.key == p.key })
			if i < 0 {
				return Columns{}, fail("unknown key (accepted: %s, currency, fields.<name>)", columnKeys())
			}
			*columns[i].get(&c) = p.value
		}
	}
	return c, nil
}

func columnKeys() string {
	keys := make([]string, len(columns))
	for i, c := range columns {
		keys[i] = c.key
	}
	return strings.Join(keys, ", ")
}

type pair struct {
	n, at      int // the pair's number (from 1) and byte offset
	key, value string
}

// splitPairs splits `k=v, k="v, w"` into pairs.
func splitPairs(s string) ([]pair, error) {
	var out []pair
	i, n := 0, 0
	for {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i == len(s) {
			if n > 0 && strings.HasSuffix(strings.TrimRight(s, " "), ",") {
				return nil, fmt.Errorf("%w: backtest: columns: empty pair at byte %d", ErrConfig, i+1)
			}
			return out, nil
		}
		n++
		start := i
		eq := strings.IndexByte(s[i:], '=')
		comma := strings.IndexByte(s[i:], ',')
		if eq < 0 || comma >= 0 && comma < eq {
			return nil, fmt.Errorf("%w: backtest: columns, pair %d at byte %d: want key=header", ErrConfig, n, start+1)
		}
		key := strings.TrimSpace(s[i : i+eq])
		i += eq + 1
		for i < len(s) && s[i] == ' ' {
			i++
		}
		var value string
		if i < len(s) && s[i] == '"' {
			var b strings.Builder
			i++
			closed := false
			for i < len(s) {
				if s[i] == '"' {
					if i+1 < len(s) && s[i+1] == '"' {
						b.WriteByte('"')
						i += 2
						continue
					}
					i++
					closed = true
					break
				}
				b.WriteByte(s[i])
				i++
			}
			if !closed {
				return nil, fmt.Errorf("%w: backtest: columns, pair %d at byte %d: unterminated quote", ErrConfig, n, start+1)
			}
			value = b.String()
			for i < len(s) && s[i] == ' ' {
				i++
			}
			if i < len(s) && s[i] != ',' {
				return nil, fmt.Errorf("%w: backtest: columns, pair %d at byte %d: text after the closing quote", ErrConfig, n, i+1)
			}
		} else {
			end := strings.IndexByte(s[i:], ',')
			if end < 0 {
				end = len(s) - i
			}
			value = strings.TrimSpace(s[i : i+end])
			if strings.ContainsAny(value, "\"=") {
				return nil, fmt.Errorf("%w: backtest: columns, pair %d at byte %d: quote a header with \" or =", ErrConfig, n, start+1)
			}
			i += end
		}
		if key == "" {
			return nil, fmt.Errorf("%w: backtest: columns, pair %d at byte %d: empty key", ErrConfig, n, start+1)
		}
		out = append(out, pair{n: n, at: start, key: key, value: value})
		if i < len(s) {
			i++ // the comma
		}
	}
}

// String writes c in the form ParseColumns reads, keys in the order of
// its documentation, custom fields by name.
func (c Columns) String() string {
	var parts []string
	add := func(key, v string) {
		if v == "" {
			return
		}
		if strings.ContainsAny(v, ",=\"") || strings.TrimSpace(v) != v {
			v = `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
		}
		parts = append(parts, key+"="+v)
	}
	for _, col := range columns {
		add(col.key, *col.get(&c))
	}
	add("currency", string(c.Currency))
	for _, k := range slices.Sorted(maps.Keys(c.Fields)) {
		add("fields."+k, c.Fields[k])
	}
	return strings.Join(parts, ", ")
}

// errNoHeader is the error of an empty CSV file.
var errNoHeader = errors.New("no header line")
