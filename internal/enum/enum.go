// Package enum implements the text, JSON and SQL encodings shared by the
// small closed enumerations of leadqual (lead.Stage, lead.Intent, qualify.Verdict, ...).
//
// An enumeration is a uint8 type whose values index a table of names. The
// helpers here turn a value into its name and back, and produce errors that
// list every accepted name, so that a caller who typed "opportunty" sees what
// was meant.
package enum

import (
	"database/sql/driver"
	"fmt"
	"strings"
)

// Table holds the names of an enumeration, indexed by value.
type Table[T ~uint8] struct {
	// Type is the name of the enumeration as a user sees it, e.g. "stage".
	Type  string
	Names []string
}

// Name returns the name of v, or "<type>(n)" when v is out of range.
func (t *Table[T]) Name(v T) string {
	if int(v) < len(t.Names) {
		return t.Names[v]
	}
	return fmt.Sprintf("%s(%d)", t.Type, uint8(v))
}

// Valid reports whether v has a name.
func (t *Table[T]) Valid(v T) bool { return int(v) < len(t.Names) }

// Parse returns the value named s. Unknown names are an error that lists the
// accepted ones.
func (t *Table[T]) Parse(s string) (T, error) {
	for i, n := range t.Names {
		if n == s {
			return T(i), nil
		}
	}
	return 0, fmt.Errorf("unknown %s %q (accepted: %s)", t.Type, s, strings.Join(t.Names, ", "))
}

// Marshal is the body of MarshalText: an out-of-range value is an error.
func (t *Table[T]) Marshal(v T) ([]byte, error) {
	if !t.Valid(v) {
		return nil, fmt.Errorf("invalid %s %d", t.Type, uint8(v))
	}
	return []byte(t.Names[v]), nil
}

// Scan is the body of sql.Scanner.Scan for an enumeration stored as text.
func (t *Table[T]) Scan(src any) (T, error) {
	switch s := src.(type) {
	case string:
		return t.Parse(s)
	case []byte:
		return t.Parse(string(s))
	case nil:
		return 0, fmt.Errorf("cannot scan NULL into a %s", t.Type)
	default:
		return 0, fmt.Errorf("cannot scan %T into a %s", src, t.Type)
	}
}

// Value is the body of driver.Valuer.Value.
func (t *Table[T]) Value(v T) (driver.Value, error) {
	if !t.Valid(v) {
		return nil, fmt.Errorf("invalid %s %d", t.Type, uint8(v))
	}
	return t.Names[v], nil
}

// ScanString is the body of sql.Scanner.Scan for an open string type.
func ScanString(typ string, src any) (string, error) {
	switch s := src.(type) {
	case string:
		return s, nil
	case []byte:
		return string(s), nil
	case nil:
		return "", fmt.Errorf("cannot scan NULL into a %s", typ)
	default:
		return "", fmt.Errorf("cannot scan %T into a %s", src, typ)
	}
}

// Set parses text into *dst: the body of UnmarshalText. On error *dst is
// unchanged.
func (t *Table[T]) Set(dst *T, text []byte) error {
	v, err := t.Parse(string(text))
	if err != nil {
		return err
	}
	*dst = v
	return nil
}

// ScanInto scans src into *dst: the body of sql.Scanner.Scan. On error
// *dst is unchanged.
func (t *Table[T]) ScanInto(dst *T, src any) error {
	v, err := t.Scan(src)
	if err != nil {
		return err
	}
	*dst = v
	return nil
}
