package ingest

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
)

// Report is what reading an input found besides its leads: what a dry run
// (-validate) shows an administrator before anything is scored. It is
// complete once the Reader's range over All has ended.
type Report struct {
	// Format is "csv" or "jsonl".
	Format string
	// Encoding is the encoding read: "utf-8", "utf-8 (byte order mark)",
	// "utf-16le", "utf-16be" or "windows-1252".
	Encoding string
	// Delimiter is the CSV field delimiter, as given or as found in the
	// header line.
	Delimiter rune
	// Header is the CSV header, as read.
	Header []string
	// Rows counts the data rows (CSV) or non-blank lines (JSON) read.
	Rows int
	// Leads counts the records that gave a lead; Bad those that did not.
	Leads, Bad int
	// Skipped counts the rows that are not data, by why: "blank", "header"
	// (the header repeated), "totals" (a report's totals row), "footer"
	// (the lines after a report's last row).
	Skipped map[string]int
	// SkippedLines lists the first skipped rows, by line, with why.
	SkippedLines []SkippedRow
	// Windows1252Cells counts the cells that were not valid UTF-8 and were
	// read as Windows-1252 (EncodingAuto).
	Windows1252Cells int
	// Conflicts counts the lead-level values that differed between rows of
	// one lead and were kept from the first row (conflicts: first).
	Conflicts int
	// Custom lists the columns the mapping does not name, read as custom
	// fields; Ignored those read by nothing; Withheld the outcome,
	// after-the-fact and ignored columns, read by nothing a rule sees.
	Custom   []CustomColumn
	Ignored  []string
	Withheld []string
	// Columns reports each mapped column's values: those its value map
	// does not translate, the kinds the catalogue does not know, and how
	// its dates are written.
	Columns []*ColumnReport
}

// SkippedRow is a row that is not data.
type SkippedRow struct {
	Line int
	Why  string
}

// CustomColumn is a column read as a custom field because the mapping
// does not name it.
type CustomColumn struct {
	Header, Field string
}

// maxValues bounds the distinct values a ColumnReport counts, so that a
// column of free text cannot fill the memory.
const maxValues = 200

// maxSkippedLines bounds Report.SkippedLines.
const maxSkippedLines = 20

// ColumnReport is what one mapped column held.
type ColumnReport struct {
	// Target is the target the column fills; Header the column's header.
	Target, Header string
	// Unmapped counts, per value, the cells its value map does not name
	// (kept as written, or given the map's default), or for a target
	// without a map the
	// values it does not know (kinds outside the catalogue, stages and
	// roles that are errors). At most 200 distinct values are counted;
	// OtherValues counts the cells of the others.
	Unmapped    map[string]int
	OtherValues int
	// Dates counts the column's times by how they are written; Order is
	// the order of numeric dates the column states (its date option, or
	// the mapping's date setting), "" when each date must say.
	Dates DateCounts
	Order string

	hasMap bool
}

// DateCounts counts a column's times by how they are written.
type DateCounts struct {
	// YearFirst (2026-03-02) and Named (2 Mar 2026) are unambiguous.
	YearFirst, Named int
	// DayFirst and MonthFirst are numeric dates that can be read only one
	// way (25/03/2026, 03/25/2026); Either those that read the same both
	// ways (05/05/2026); Ambiguous those that read as two different days
	// (03/04/2026), which are errors unless the column says its order.
	DayFirst, MonthFirst, Either, Ambiguous int
}

func (d *DateCounts) add(c dateClass) {
	switch c {
	case classISO:
		d.YearFirst++
	case classNamed:
		d.Named++
	case classDayFirst:
		d.DayFirst++
	case classMonthFirst:
		d.MonthFirst++
	case classEither:
		d.Either++
	case classAmbiguous:
		d.Ambiguous++
	}
}

func (d DateCounts) numeric() int { return d.DayFirst + d.MonthFirst + d.Either + d.Ambiguous }

func (r *Report) column(target, header string, hasMap bool) *ColumnReport {
	c := &ColumnReport{Target: target, Header: header, hasMap: hasMap}
	r.Columns = append(r.Columns, c)
	return c
}

func (c *ColumnReport) unmapped(v string) {
	if c.Unmapped == nil {
		c.Unmapped = map[string]int{}
	}
	if _, ok := c.Unmapped[v]; ok || len(c.Unmapped) < maxValues {
		c.Unmapped[v]++
		return
	}
	c.OtherValues++
}

func (r *Report) skip(line int, why string) {
	if r.Skipped == nil {
		r.Skipped = map[string]int{}
	}
	r.Skipped[why]++
	if len(r.SkippedLines) < maxSkippedLines {
		r.SkippedLines = append(r.SkippedLines, SkippedRow{Line: line, Why: why})
	}
}

// skipWhy explains the reasons of Skipped.
var skipWhy = map[string]string{
	"blank":  "blank rows",
	"header": "the header repeated",
	"totals": "a report's totals rows",
	"footer": "report footer lines",
}

// WriteText writes the report for a person: what was read, the rows that
// are not data, the columns read as custom fields or withheld, and every
// value a mapping does not translate, with its count, most frequent
// first. It is what an administrator reads to learn what their
// organisation's picklists mean before anything is scored.
func (r *Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "read %s", r.Format)
	if r.Encoding != "" {
		fmt.Fprintf(ew, ", %s", r.Encoding)
	}
	if r.Format == "csv" {
		fmt.Fprintf(ew, ", delimiter %s, %d columns", quoteRune(r.Delimiter), len(r.Header))
	}
	fmt.Fprintf(ew, ": %d rows, %d leads, %d bad\n", r.Rows, r.Leads, r.Bad)
	for _, why := range slices.Sorted(maps.Keys(r.Skipped)) {
		var lines []string
		for _, s := range r.SkippedLines {
			if s.Why == why {
				lines = append(lines, fmt.Sprint(s.Line))
			}
		}
		fmt.Fprintf(ew, "  skipped %d %s (line %s)\n", r.Skipped[why], skipWhy[why], strings.Join(lines, ", "))
	}
	if r.Windows1252Cells > 0 {
		fmt.Fprintf(ew, "  %d cells were not UTF-8 and were read as Windows-1252 (say encoding: utf-8 or windows-1252 to decide)\n", r.Windows1252Cells)
	}
	if r.Conflicts > 0 {
		fmt.Fprintf(ew, "  %s differed between the rows of a lead; the first row's were kept\n", plural(r.Conflicts, "value"))
	}
	if len(r.Custom) > 0 {
		fmt.Fprintf(ew, "  %d columns the mapping does not name, read as custom fields:", len(r.Custom))
		for _, c := range r.Custom {
			fmt.Fprintf(ew, " %q→%s", c.Header, c.Field)
		}
		fmt.Fprintln(ew)
	}
	if len(r.Ignored) > 0 {
		fmt.Fprintf(ew, "  %d columns read by nothing: %s\n", len(r.Ignored), quoteAll(r.Ignored))
	}
	if len(r.Withheld) > 0 {
		fmt.Fprintf(ew, "  withheld from the rules (outcome, after the fact, ignored): %s\n", quoteAll(r.Withheld))
	}
	for _, c := range r.Columns {
		if len(c.Unmapped) > 0 {
			what := "values it does not know"
			if c.hasMap {
				what = "values its map does not name (kept as written, or given the default *=)"
			}
			fmt.Fprintf(ew, "  column %q (%s): %s:\n", c.Header, c.Target, what)
			tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
			type vc struct {
				v string
				n int
			}
			var vs []vc
			for v, n := range c.Unmapped {
				vs = append(vs, vc{v, n})
			}
			slices.SortFunc(vs, func(a, b vc) int { return cmp.Or(b.n-a.n, strings.Compare(a.v, b.v)) })
			for _, x := range vs {
				fmt.Fprintf(tw, "    %d\t  %q\n", x.n, x.v)
			}
			if c.OtherValues > 0 {
				fmt.Fprintf(tw, "    %d\t  (other values)\n", c.OtherValues)
			}
			tw.Flush()
		}
		d := c.Dates
		if d.numeric() > 0 {
			fmt.Fprintf(ew, "  column %q (%s): numeric dates: %d day-first only, %d month-first only, %d either way, %d ambiguous",
				c.Header, c.Target, d.DayFirst, d.MonthFirst, d.Either, d.Ambiguous)
			switch {
			case c.Order != "":
				fmt.Fprintf(ew, ": read as %s", c.Order)
				if d.MonthFirst > 0 && c.Order[0] == 'D' || d.DayFirst > 0 && c.Order[0] == 'M' {
					fmt.Fprint(ew, ", but some dates can only be the other way")
				}
			case d.DayFirst > 0 && d.MonthFirst == 0 && d.Ambiguous > 0:
				fmt.Fprint(ew, ": day-first, say date(DD/MM/YYYY)")
			case d.MonthFirst > 0 && d.DayFirst == 0 && d.Ambiguous > 0:
				fmt.Fprint(ew, ": month-first, say date(MM/DD/YYYY)")
			case d.MonthFirst > 0 && d.DayFirst > 0:
				fmt.Fprint(ew, ": both orders appear, the column mixes formats")
			}
			fmt.Fprintln(ew)
		}
	}
	return ew.err
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func quoteRune(r rune) string {
	if r == '\t' {
		return "tab"
	}
	return fmt.Sprintf("%q", string(r))
}

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
