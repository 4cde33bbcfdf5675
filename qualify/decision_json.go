package qualify

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/leadqual/leadqual/lead"
)

// AppendJSON appends the JSON encoding of d to b: byte for byte what
// encoding/json's Marshal writes for it (HTML escaped, as Marshal escapes
// it), without reflection, for hosts that answer a decision per request
// (the webhook example). It fails where Marshal fails: a value no
// encoding holds (an enumeration out of range, a time beyond the year
// 9999, a score that is not a finite number).
func (d *Decision) AppendJSON(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"lead":`...)
	b = appendString(b, d.Lead)
	if d.Line != "" {
		b = append(b, `,"line":`...)
		b = appendString(b, d.Line)
	}
	if b, err = appendEnum(b, `,"verdict":`, verdictTable.Valid(d.Verdict), d.Verdict.String()); err != nil {
		return b, err
	}
	if b, err = appendEnum(b, `,"route":`, routeTable.Valid(d.Route), d.Route.String()); err != nil {
		return b, err
	}
	b = append(b, `,"fit":`...)
	if b, err = appendFloat(b, d.Fit); err != nil {
		return b, err
	}
	b = append(b, `,"engagement":`...)
	if b, err = appendFloat(b, d.Engagement); err != nil {
		return b, err
	}
	if len(d.Scores) > 0 {
		b = append(b, `,"scores":{`...)
		keys := make([]Dimension, 0, len(d.Scores))
		for k := range d.Scores {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, string(k))
			b = append(b, ':')
			if b, err = appendFloat(b, d.Scores[k]); err != nil {
				return b, err
			}
		}
		b = append(b, '}')
	}
	b = append(b, `,"qualified":`...)
	b = strconv.AppendBool(b, d.Qualified)
	if b, err = appendEnum(b, `,"priority":`, d.Priority.Valid(), d.Priority.String()); err != nil {
		return b, err
	}
	if !d.Value.IsZero() {
		m, err := d.Value.MarshalJSON() // compact and HTML escaped already: json.Marshal made it
		if err != nil {
			return b, err
		}
		b = append(append(b, `,"value":`...), m...)
	}
	if d.Reason != "" {
		b = append(b, `,"reason":`...)
		b = appendString(b, string(d.Reason))
	}
	if b, err = appendTime(b, `,"deadline":`, d.Deadline, true); err != nil {
		return b, err
	}
	if d.OutsideHours {
		b = append(b, `,"outside_hours":true`...)
	}
	if d.NeedKind != "" {
		b = append(b, `,"need_kind":`...)
		b = appendString(b, string(d.NeedKind))
	}
	if b, err = appendTime(b, `,"need_at":`, d.NeedAt, true); err != nil {
		return b, err
	}
	if d.Reopened != "" {
		b = append(b, `,"reopened":`...)
		b = appendString(b, string(d.Reopened))
	}
	if d.Note != "" {
		b = append(b, `,"note":`...)
		b = appendString(b, d.Note)
	}
	if b, err = appendEnum(b, `,"stage":`, d.Stage.Valid(), d.Stage.String()); err != nil {
		return b, err
	}
	if b, err = appendEnum(b, `,"next_stage":`, d.NextStage.Valid(), d.NextStage.String()); err != nil {
		return b, err
	}
	b = append(b, `,"matched":`...)
	if d.Matched == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range d.Matched {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = d.Matched[i].appendJSON(b); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	if len(d.Failures) > 0 {
		b = append(b, `,"failures":[`...)
		for i, f := range d.Failures {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendTriple(b, "rule", f.Rule, "field", f.Field, "error", f.Error)
		}
		b = append(b, ']')
	}
	if len(d.Unjudged) > 0 {
		b = append(b, `,"unjudged":[`...)
		for i, u := range d.Unjudged {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendTriple(b, "rule", u.Rule, "field", u.Field, "input", u.Input)
		}
		b = append(b, ']')
	}
	if len(d.Lines) > 0 {
		b = append(b, `,"lines":[`...)
		for i := range d.Lines {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = d.Lines[i].AppendJSON(b); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	b = append(b, `,"policy":`...)
	b = appendString(b, d.Policy)
	b = append(b, `,"version":`...)
	b = appendString(b, d.Version)
	if b, err = appendTime(b, `,"at":`, d.At, false); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

func (m *Match) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"rule":`...)
	b = appendString(b, m.Rule)
	b = append(b, `,"reason":`...)
	b = appendString(b, m.Reason)
	if m.Intent != lead.IntentNone {
		var err error
		if b, err = appendEnum(b, `,"intent":`, m.Intent.Valid(), m.Intent.String()); err != nil {
			return b, err
		}
	}
	if m.Dimension != "" {
		b = append(b, `,"dimension":`...)
		b = appendString(b, string(m.Dimension))
	}
	if m.Points != 0 {
		b = append(b, `,"points":`...)
		var err error
		if b, err = appendFloat(b, m.Points); err != nil {
			return b, err
		}
	}
	if m.Disqualify != "" {
		b = append(b, `,"disqualify":`...)
		b = appendString(b, string(m.Disqualify))
	}
	return append(b, '}'), nil
}

func appendTriple(b []byte, k1, v1, k2, v2, k3, v3 string) []byte {
	b = append(append(append(b, `{"`...), k1...), `":`...)
	b = appendString(b, v1)
	b = append(append(append(b, `,"`...), k2...), `":`...)
	b = appendString(b, v2)
	b = append(append(append(b, `,"`...), k3...), `":`...)
	b = appendString(b, v3)
	return append(b, '}')
}

// appendEnum appends key and the name of a value of an enumeration, which
// MarshalText refuses when it is out of range.
func appendEnum(b []byte, key string, valid bool, name string) ([]byte, error) {
	if !valid {
		return b, fmt.Errorf("qualify: %s: invalid value %s", key[2:len(key)-2], name)
	}
	b = append(b, key...)
	return appendString(b, name), nil
}

// appendTime appends key and t as time.Time's MarshalJSON writes it; with
// omitZero, nothing for the zero time.
func appendTime(b []byte, key string, t time.Time, omitZero bool) ([]byte, error) {
	if omitZero && t.IsZero() {
		return b, nil
	}
	b = append(append(b, key...), '"')
	b, err := t.AppendText(b)
	if err != nil {
		return b, err
	}
	return append(b, '"'), nil
}

// appendFloat appends f as encoding/json writes a float64: the shortest
// decimal that reads back as f, in exponent form below 1e-6 and from 1e21,
// with the exponent's leading zero dropped.
func appendFloat(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, &json.UnsupportedValueError{Str: strconv.FormatFloat(f, 'g', -1, 64)}
	}
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

// appendString appends s quoted as encoding/json quotes it with HTML
// escaping: \" \\ \b \f \n \r \t, other control characters and < > & as
// \u00XX, U+2028 and U+2029 as \u2028 and \u2029, invalid UTF-8 as
// \ufffd.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
