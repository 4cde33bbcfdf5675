package backtest

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadqual/leadqual/lead"
)

// Record is one lead of history: the lead as the host's CRM holds it
// today, the time its decision would have been made, and what became of
// it.
//
// The lead may carry what happened after At (later activities, later stage
// moves, a later lost reason): the backtest rewinds it to At before it is
// judged (see [AsOf]). The JSON form, one record per line, is
//
//	{"lead": {...}, "at": "2025-03-08T09:05:00Z", "converted": true, "won": {"amount": "12000.00", "currency": "GBP"}}
type Record struct {
	// Lead is the lead, in the JSON form of package lead.
	Lead *lead.Lead `json:"lead"`
	// At is when the decision would have been made: the lead is judged as
	// it was then.
	At time.Time `json:"at"`
	// Converted reports whether the lead became a customer (a won deal,
	// or whatever the host counts as a conversion).
	Converted bool `json:"converted"`
	// Won is the value won, for a converted lead whose value is known; the
	// zero Money otherwise. A won value on a lead that did not convert is
	// an error of the record.
	Won lead.Money `json:"won,omitzero"`
	// ConvertedAt is when the lead converted, when known: the recycle
	// curves (Report.Recycled) measure the time from a recycle to it (else
	// from the lead's move to won). It cannot be before At, nor set on a
	// lead that did not convert.
	ConvertedAt time.Time `json:"converted_at,omitzero"`
	// Line is the line the record starts on in its source, set by the
	// readers of this package and used in error messages; 0 when the
	// record does not come from a file.
	Line int `json:"-"`
}

// check reports what is wrong with the record itself, before its lead is
// judged.
func (r *Record) check() error {
	switch {
	case r.Lead == nil:
		return &RecordError{Field: "lead", Problem: "missing"}
	case r.Lead.ID == "":
		return &RecordError{Field: "lead.id", Problem: "empty"}
	case r.At.IsZero():
		return &RecordError{Field: "at", Problem: "the decision time is missing"}
	case !r.ConvertedAt.IsZero() && !r.Converted:
		return &RecordError{Field: "converted_at", Problem: "set, but the lead did not convert"}
	case !r.ConvertedAt.IsZero() && r.ConvertedAt.Before(r.At):
		return &RecordError{Field: "converted_at", Problem: "the lead converted at " + r.ConvertedAt.Format(time.RFC3339) +
			", before its decision time " + r.At.Format(time.RFC3339) + ": the outcome must come after the decision"}
	case r.Won.IsZero():
		return nil
	case !r.Won.Known():
		return &RecordError{Field: "won", Problem: fmt.Sprintf("%s has no currency", r.Won)}
	case !r.Won.Currency.Valid():
		return &RecordError{Field: "won", Problem: fmt.Sprintf("%q is not an ISO 4217 code", string(r.Won.Currency))}
	case r.Won.IsNegative():
		return &RecordError{Field: "won", Problem: fmt.Sprintf("negative amount %s", r.Won)}
	case !r.Converted:
		return &RecordError{Field: "won", Problem: fmt.Sprintf("won %s but not converted", r.Won)}
	}
	return nil
}

// Sentinel errors. Every error of this package that a caller may want to
// tell apart matches one of them, or one of package qualify's, with
// errors.Is.
var (
	// ErrRecord: a record of history is unusable (no lead, no decision
	// time, a won value without a conversion, a lead created after its
	// decision time). The error is a *RecordError; the backtest reports the
	// record among its errors and goes on.
	ErrRecord = errors.New("bad history record")
	// ErrInput: the history's text could not be read (a JSON line or a CSV
	// row that does not parse). The error is a *LineError naming the line.
	ErrInput = errors.New("bad history input")
	// ErrConfig: a Config, CalibrationConfig or ReadOptions field
	// is out of range. The message names the field.
	ErrConfig = errors.New("invalid configuration")
	// ErrNilPolicy: Run, Compare or Calibrate was given a nil policy.
	ErrNilPolicy = errors.New("backtest: nil policy")
	// ErrNoSignal: Calibrate cannot fit anything, because the fitting
	// part of history has no conversions, or nothing but conversions.
	ErrNoSignal = errors.New("backtest: no signal to calibrate on")
	// ErrHistoryChanged: a history ranged over twice (Calibrate does it
	// three times) did not yield the same records twice; a history read
	// from an io.Reader can be read only once (see Open).
	ErrHistoryChanged = errors.New("backtest: history changed between passes")
	// ErrConsumed: a Reader made by NewReader was ranged over a second time.
	ErrConsumed = errors.New("backtest: history already read (use Open to read it again)")
)

// RecordError is a record of history that cannot be judged. It matches
// ErrRecord.
type RecordError struct {
	// Field is the record's field: "lead", "lead.id", "at", "won",
	// "converted_at", "lead.created_at", or "lead.as_of" when Config.AsOf
	// failed.
	Field string
	// Problem says what is wrong.
	Problem string
	// Err is the underlying error, if any (from Config.AsOf or
	// lead.Validate).
	Err error
}

// Error writes `field: problem`.
func (e *RecordError) Error() string {
	if e.Err != nil && e.Problem == "" {
		return e.Field + ": " + e.Err.Error()
	}
	return e.Field + ": " + e.Problem
}

// Is makes errors.Is(err, ErrRecord) true.
func (e *RecordError) Is(target error) bool { return target == ErrRecord }

// Unwrap returns the underlying error.
func (e *RecordError) Unwrap() error { return e.Err }

// Stat is a rate, a lift, an area under a curve or a test statistic: a
// float64 that may be undefined (NaN), as the conversion rate of a group
// without leads is. JSON writes an undefined Stat as null.
type Stat float64

// undefined is the undefined Stat.
var undefined = Stat(math.NaN())

// Defined reports whether s is a finite number.
func (s Stat) Defined() bool {
	f := float64(s)
	return !math.IsNaN(f) && !math.IsInf(f, 0)
}

// String writes s with four significant digits, or "-" when undefined.
func (s Stat) String() string {
	if !s.Defined() {
		return "-"
	}
	return strconv.FormatFloat(float64(s), 'g', 4, 64)
}

// Percent writes s as a percentage with one decimal ("12.5%"), or "-".
func (s Stat) Percent() string {
	if !s.Defined() {
		return "-"
	}
	return strconv.FormatFloat(100*float64(s), 'f', 1, 64) + "%"
}

// MarshalJSON writes a number, or null when s is undefined.
func (s Stat) MarshalJSON() ([]byte, error) {
	if !s.Defined() {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, float64(s), 'g', -1, 64), nil
}

// UnmarshalJSON reads a number, and null as undefined.
func (s *Stat) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*s = undefined
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("backtest: stat %q is not a number", b)
	}
	*s = Stat(f)
	return nil
}

// ratio returns num/den, undefined when den is zero.
func ratio(num, den float64) Stat {
	if den == 0 {
		return undefined
	}
	return Stat(num / den)
}

// Amounts is money in one or more currencies: at most one lead.Money per
// currency, sorted by currency. Amounts in different currencies are kept
// apart, never added together: a report's won value over a history in
// pounds and euros is two amounts.
type Amounts []lead.Money

// In returns the amount in currency c, or the zero Money when there is
// none.
func (a Amounts) In(c lead.Currency) lead.Money {
	for _, m := range a {
		if m.Currency == c {
			return m
		}
	}
	return lead.Money{}
}

// String writes "12000.00 GBP + 500 EUR" in currency order, or "0" when a
// is empty.
func (a Amounts) String() string {
	if len(a) == 0 {
		return "0"
	}
	parts := make([]string, len(a))
	for i, m := range a {
		parts[i] = m.String()
	}
	return strings.Join(parts, " + ")
}

// add adds m (a known amount) to a in place.
func (a *Amounts) add(m lead.Money) {
	for i := range *a {
		if (*a)[i].Currency == m.Currency {
			(*a)[i].Amount = (*a)[i].Amount.Add(m.Amount)
			return
		}
	}
	i, _ := slices.BinarySearchFunc(*a, m.Currency, func(x lead.Money, c lead.Currency) int {
		return strings.Compare(string(x.Currency), string(c))
	})
	*a = slices.Insert(*a, i, m)
}

// addAll adds every amount of b to a.
func (a *Amounts) addAll(b Amounts) {
	for _, m := range b {
		a.add(m)
	}
}
