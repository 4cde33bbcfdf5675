package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/leadqual/leadqual/lead"
)

// JSONLines is a Leads read from a file of JSON lines, one lead.Lead per
// line, loaded whole at start: the example's stand-in for the host's CRM,
// which a real worker queries when a lead comes due (a Leads over the
// host's own table is one method: SELECT the lead, decode it).
type JSONLines map[string]*lead.Lead

// maxLine bounds a line of the leads file.
const maxLine = 4 << 20

// LoadJSONLines reads the leads of the file at path, each validated at now
// (lead.Lead.Validate). A line that cannot be read, an invalid lead or a
// lead ID seen twice is an error naming the file and the line: a worker
// that cannot read its leads does not start.
func LoadJSONLines(path string, now time.Time) (JSONLines, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("recycler: leads: %w", err)
	}
	defer f.Close()
	leads, err := readJSONLines(f, now)
	if err != nil {
		return nil, fmt.Errorf("recycler: leads %s: %w", path, err)
	}
	return leads, nil
}

func readJSONLines(r io.Reader, now time.Time) (JSONLines, error) {
	leads := JSONLines{}
	var v lead.Validator
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		l := new(lead.Lead)
		if err := json.Unmarshal(line, l); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if err := v.Validate(l, now); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err) // the error names the lead
		}
		if _, dup := leads[l.ID]; dup {
			return nil, fmt.Errorf("line %d: lead %q appears twice", n, l.ID)
		}
		leads[l.ID] = l
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("a line is longer than %d bytes", maxLine)
		}
		return nil, err
	}
	return leads, nil
}

// Lead implements Leads. It returns a copy: the worker may not change the
// loaded lead.
func (j JSONLines) Lead(_ context.Context, id string) (*lead.Lead, error) {
	l, ok := j[id]
	if !ok {
		return nil, fmt.Errorf("lead %q: %w", id, ErrNoLead)
	}
	c := *l
	return &c, nil
}

// IDs returns the IDs of the leads, sorted.
func (j JSONLines) IDs() []string {
	return slices.Sorted(maps.Keys(j))
}
