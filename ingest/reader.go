package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/leadqual/leadqual/internal/strictjson"
	"github.com/leadqual/leadqual/lead"
)

// Format is how an input is written.
type Format uint8

// The formats.
const (
	// FormatAuto reads JSON lines when the input's first character (after
	// a byte order mark and spaces) is "{", and CSV otherwise.
	FormatAuto Format = iota
	// FormatCSV is a header line, then one row per lead, or several rows
	// per lead (one per activity, or per contact and company pair) that
	// follow one another with the same ID, mapped by a Mapping.
	FormatCSV
	// FormatJSONLines is one JSON object per line: a lead in the JSON
	// form of package lead, or, with Options.History, a history record
	// {"lead": {...}, "at": "...", "converted": true, "won": {...}},
	// with "converted_at" when the conversion's time is known. Blank lines
	// are skipped; unknown keys are errors.
	FormatJSONLines
)

// String returns "auto", "csv" or "jsonl".
func (f Format) String() string {
	switch f {
	case FormatCSV:
		return "csv"
	case FormatJSONLines:
		return "jsonl"
	}
	return "auto"
}

// ParseFormat reads "auto", "csv" or "jsonl" (or "json").
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "", "auto":
		return FormatAuto, nil
	case "csv":
		return FormatCSV, nil
	case "jsonl", "json", "ndjson":
		return FormatJSONLines, nil
	}
	return 0, fmt.Errorf("unknown format %q (want auto, csv or jsonl)", s)
}

// DefaultMaxLineBytes is the default of Options.MaxLineBytes.
const DefaultMaxLineBytes = 4 << 20

// Options say how to read an input. The zero value reads CSV or JSON lines
// of leads in the default layout.
type Options struct {
	// Format is the input's format. Default FormatAuto.
	Format Format
	// Mapping maps a CSV export's columns. Nil is the default layout,
	// where each column is named after its field; it does nothing for
	// JSON lines.
	Mapping *Mapping
	// History reads history records: each lead with its decision time
	// (decided_at) and outcome (converted, converted_at, won). A CSV
	// mapping must then map decided_at, and converted or converted_at.
	History bool
	// Comma is the CSV field delimiter; 0 takes the mapping's delimiter
	// setting, else the one of ',', ';', tab and '|' the header line has
	// most of outside quotes (',' on a tie).
	Comma rune
	// Encoding is the input's encoding; EncodingAuto (the default) takes
	// the mapping's encoding setting, else decides per cell (see
	// Encoding).
	Encoding Encoding
	// TimeZone is where CSV times written without a zone are, when neither
	// their column nor the mapping says; nil makes such a time an error
	// (a date alone is midnight UTC).
	TimeZone *time.Location
	// Currency is the currency of amounts written without one, when
	// neither a currency column nor the mapping says; "" makes such an
	// amount an error.
	Currency lead.Currency
	// Now, when set, validates every lead with lead.Validate at Now: an
	// invalid lead is a bad record, its problems named with the columns
	// they came from. Leave it zero to validate later (a backtest
	// validates each lead at its decision time).
	Now time.Time
	// KeepRows keeps each CSV record's rows as read in Record.Rows, for a
	// file of rejected rows.
	KeepRows bool
	// MaxLineBytes bounds one line of the input (for CSV, a row with its
	// quoted line breaks): a file that is not what it should be, or a
	// quote never closed, cannot fill the memory. Default 4 MiB.
	MaxLineBytes int
}

// Record is one lead read from an input, and for a history its decision
// time and outcome; or, when Err is set, the row or rows that did not
// give one.
type Record struct {
	// Lead is the lead; nil when a CSV row does not parse. When Err is set
	// it holds what could be read.
	Lead *lead.Lead
	// Line is the line the lead's first row starts on, from 1.
	Line int
	// At is the decision time (history).
	At time.Time
	// Converted and Won are the outcome (history): whether the lead
	// converted, and the value won. ConvertedAt is when it converted, when
	// the input says so: a JSON record's "converted_at", or a CSV column
	// mapped to converted_at. It is never before At, and set only when
	// Converted: a record that says otherwise has Err set.
	Converted   bool
	Won         lead.Money
	ConvertedAt time.Time
	// Rows are the CSV rows as read (Options.KeepRows).
	Rows [][]string
	// Err is every problem of the record, or nil.
	Err *RowError
}

// Reader reads leads from a CSV export or JSON lines. Range over All,
// then check Err, as with a bufio.Scanner:
//
//	r := ingest.NewReader(f, ingest.Options{Mapping: m, Now: now})
//	for rec := range r.All() {
//		if rec.Err != nil { /* report the row, go on */ }
//	}
//	if err := r.Err(); err != nil { /* the input could not be read */ }
//
// It streams: memory holds one lead's rows at a time, whatever the
// input's length. A Reader reads its input once and is not safe for
// concurrent use; its records are the caller's.
type Reader struct {
	src    io.Reader
	opts   Options
	err    error
	used   bool
	report Report
	header []string
	schema *schema // the mapping bound to the header (CSV)
}

// NewReader returns a Reader of r.
func NewReader(r io.Reader, opts Options) *Reader {
	return &Reader{src: r, opts: opts}
}

// Err returns the error that stopped reading: an *MappingError
// (errors.Is(err, ErrMapping)) when the mapping does not fit the header,
// an error matching ErrInput when the input cannot be read, or nil. Bad
// rows are not errors of the Reader: each is a Record with Err set.
func (r *Reader) Err() error { return r.err }

// Report returns what reading found besides the leads; complete once the
// range over All has ended.
func (r *Reader) Report() *Report { return &r.report }

// Header returns the CSV header, once the range over All has started.
func (r *Reader) Header() []string { return r.header }

// Validate validates rec's lead with v at now, as Options.Now does while
// reading, and adds its problems to rec.Err, each named with the column
// it came from; a field that did not parse is not reported again. It lets
// a caller validate on several goroutines while the reader reads: Validate
// is safe for concurrent use on different records, once the range over
// All has started. A record without a lead is left as it is.
func (r *Reader) Validate(rec *Record, now time.Time, v *lead.Validator) {
	if rec.Lead == nil {
		return
	}
	var ve *lead.ValidationError
	if !errors.As(v.Validate(rec.Lead, now), &ve) {
		return
	}
	for _, fe := range ve.Problems {
		if rec.Err.has(fe.Path) {
			continue
		}
		at := place{line: rec.Line}
		if r.schema != nil {
			if b := r.schema.columnOf(fe.Path); b != nil {
				at.column, at.header = b.cols[0]+1, b.label
			}
		}
		if rec.Err == nil {
			rec.Err = &RowError{Line: rec.Line, ID: rec.Lead.ID}
		}
		rec.Err.add(at, fe.Path, "%s", fe.Problem)
	}
}

// RowError returns a problem of rec that the reader's caller found (a
// policy that refuses the lead, say): a *RowError with rec's line and ID
// and the problem at the lead's field path, located in the column that
// fills it. path may be "" for a problem of the lead as a whole.
func (r *Reader) RowError(rec *Record, path, problem string) *RowError {
	e := &RowError{Line: rec.Line}
	if rec.Lead != nil {
		e.ID = rec.Lead.ID
	}
	at := place{line: rec.Line}
	if r.schema != nil && path != "" {
		if b := r.schema.columnOf(path); b != nil {
			at.column, at.header = b.cols[0]+1, b.label
		}
	}
	e.add(at, path, "%s", problem)
	return e
}

func (r *Reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// All returns the records of the input, in order. A second range yields
// nothing and sets Err.
func (r *Reader) All() iter.Seq[*Record] {
	return func(yield func(*Record) bool) {
		if r.used {
			r.fail(errors.New("ingest: the input was already read"))
			return
		}
		r.used = true
		if r.src == nil {
			r.fail(errors.New("ingest: nil input"))
			return
		}
		max := r.opts.MaxLineBytes
		if max <= 0 {
			max = DefaultMaxLineBytes
		}
		lim := &lineLimit{r: r.src, max: max}
		br := bufio.NewReaderSize(lim, 64<<10)
		r.report.Encoding = "utf-8"
		head, _ := br.Peek(3)
		switch {
		case bytes.HasPrefix(head, bomUTF8):
			r.report.Encoding = "utf-8 (byte order mark)"
		case bytes.HasPrefix(head, bomUTF16LE):
			r.report.Encoding = "utf-16le"
		case bytes.HasPrefix(head, bomUTF16BE):
			r.report.Encoding = "utf-16be"
		}
		var src io.Reader = br
		if u := unmark(br); u != io.Reader(br) {
			src = bufio.NewReaderSize(u, 64<<10)
		}
		in := src.(*bufio.Reader)
		format := r.opts.Format
		if format == FormatAuto {
			format = FormatCSV
			for i := 1; ; i++ {
				b, err := in.Peek(i)
				if err != nil || i > 4096 {
					break
				}
				c := b[i-1]
				if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
					continue
				}
				if c == '{' {
					format = FormatJSONLines
				}
				break
			}
		}
		if format == FormatJSONLines {
			r.report.Format = "jsonl"
			lim.max = 0 // a long line is a bad record, not the end
			r.readJSON(in, max, yield)
			return
		}
		r.report.Format = "csv"
		if r.opts.Encoding == EncodingWindows1252 || r.opts.Encoding == EncodingAuto && r.opts.Mapping != nil && r.opts.Mapping.settings.encoding == EncodingWindows1252 {
			r.report.Encoding = "windows-1252"
		}
		r.readCSV(in, lim, yield)
	}
}

// lineLimit fails a read once a line runs longer than max bytes.
type lineLimit struct {
	r     io.Reader
	max   int
	lines int // line breaks read
	run   int // bytes since the last line break
}

// lineTooLongError is a line over Options.MaxLineBytes.
type lineTooLongError struct{ line, max int }

func (e *lineTooLongError) Error() string {
	return fmt.Sprintf("line %d is longer than %d bytes", e.line, e.max)
}

func (l *lineLimit) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if l.max <= 0 {
		return n, err
	}
	for chunk := p[:n]; ; {
		i := bytes.IndexByte(chunk, '\n')
		if i < 0 {
			l.run += len(chunk)
			break
		}
		if l.run += i; l.run > l.max {
			break
		}
		l.lines++
		l.run, chunk = 0, chunk[i+1:]
	}
	if l.run > l.max {
		return n, &lineTooLongError{line: l.lines + 1, max: l.max}
	}
	return n, err
}

// rowLimit fails a read that goes on for more than max bytes since the
// last reset: it bounds the memory one CSV row takes, quoted line breaks
// and all. The bound is loose by the csv reader's read-ahead.
type rowLimit struct {
	r    io.Reader
	max  int
	used int
}

// rowReadAhead is the most the csv reader reads beyond the row it returns.
const rowReadAhead = 4096

var errRowTooLong = errors.New("row too long")

func (l *rowLimit) Read(p []byte) (int, error) {
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

// sniff returns the delimiter the header line has most of, outside
// quotes: ',', ';', tab or '|', ',' on a tie.
func sniff(in *bufio.Reader) rune {
	var line []byte
	for n := 512; ; n *= 2 {
		b, err := in.Peek(n)
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line = b[:i]
			break
		}
		if err != nil {
			line = b
			break
		}
	}
	counts := map[byte]int{}
	inQuote := false
	for _, c := range line {
		switch {
		case c == '"':
			inQuote = !inQuote
		case !inQuote && (c == ',' || c == ';' || c == '\t' || c == '|'):
			counts[c]++
		}
	}
	best := byte(',')
	for _, c := range []byte{';', '\t', '|'} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return rune(best)
}

// totalsRow matches the label of a report's totals row: "Total",
// "Grand Totals (10000 records)", "Count: 12", "Sum".
var totalsRow = regexp.MustCompile(`(?i)^(grand\s+)?(totals?|sum|count|subtotal)(\s*\(.*\))?\s*:?\s*[\d.,]*$`)

// readCSV reads a CSV export, grouping the rows of each lead.
func (r *Reader) readCSV(in *bufio.Reader, lim *lineLimit, yield func(*Record) bool) {
	comma := r.opts.Comma
	if comma == 0 && r.opts.Mapping != nil {
		comma = r.opts.Mapping.settings.comma
	}
	if comma == 0 {
		comma = sniff(in)
	}
	r.report.Delimiter = comma
	rows := &rowLimit{r: in, max: lim.max + rowReadAhead}
	cr := csv.NewReader(rows)
	cr.Comma = comma
	cr.FieldsPerRecord = -1 // checked per row, so that a bad row is reported, not fatal
	cr.ReuseRecord = true
	readErr := func(err error) {
		var tl *lineTooLongError
		if errors.As(err, &tl) {
			r.fail(fmt.Errorf("%w: %v", ErrInput, tl))
			return
		}
		if errors.Is(err, errRowTooLong) {
			r.fail(fmt.Errorf("%w: a row longer than %d bytes, near line %d (a quote that is not closed?)", ErrInput, lim.max, lim.lines+1))
			return
		}
		r.fail(fmt.Errorf("%w: reading near line %d: %w", ErrInput, lim.lines+1, err))
	}
	rawHeader, err := cr.Read()
	var pe *csv.ParseError
	switch {
	case errors.Is(err, io.EOF):
		r.fail(fmt.Errorf("%w: it is empty: want a header line", ErrInput))
		return
	case errors.As(err, &pe):
		r.fail(fmt.Errorf("%w: the header: line %d, column %d: %v", ErrInput, pe.Line, pe.Column, pe.Err))
		return
	case err != nil:
		readErr(err)
		return
	}
	enc := r.opts.Encoding
	if enc == EncodingAuto && r.opts.Mapping != nil && r.opts.Mapping.settings.encodingSet {
		enc = r.opts.Mapping.settings.encoding
	}
	header := make([]string, len(rawHeader))
	for i, h := range rawHeader {
		t, fell, err := cellText(h, enc)
		if err != nil {
			r.fail(fmt.Errorf("%w: the header, column %d: %v", ErrInput, i+1, err))
			return
		}
		if fell {
			r.report.Windows1252Cells++
		}
		header[i] = strings.TrimSpace(t)
	}
	r.header = header
	r.report.Header = header
	s, err := r.opts.Mapping.bind(header, &r.opts, &r.report)
	if err != nil {
		r.fail(err)
		return
	}
	s.enc = enc
	r.schema = s
	var validator *lead.Validator
	if !r.opts.Now.IsZero() {
		validator = &lead.Validator{}
	}

	var free [][]string    // the cells of decoded rows, to reuse
	var group []row        // the rows of the lead being read
	var groupBad *RowError // a row of it that did not parse
	var groupKey [2]string
	trailer := false
	flush := func() bool {
		if len(group) == 0 && groupBad == nil {
			return true
		}
		var rec *Record
		if len(group) > 0 {
			rec = s.decode(group, r.opts.Now, validator)
		}
		if groupBad != nil {
			if rec == nil {
				rec = &Record{Line: groupBad.Line}
			}
			if rec.Err == nil {
				rec.Err = &RowError{Line: rec.Line, ID: groupBad.ID}
				if rec.Lead != nil {
					rec.Err.ID = rec.Lead.ID
				}
			}
			rec.Err.Problems = append(rec.Err.Problems, groupBad.Problems...)
			rec.Err.at = append(rec.Err.at, groupBad.at...)
			if rec.Line == 0 || groupBad.Line < rec.Line {
				rec.Line, rec.Err.Line = groupBad.Line, groupBad.Line
			}
		}
		if r.opts.KeepRows {
			for _, g := range group {
				rec.Rows = append(rec.Rows, g.raw)
			}
		}
		for i := range group {
			free = append(free, group[i].cells)
			group[i] = row{}
		}
		group, groupBad = group[:0], nil
		if rec.Err != nil {
			r.report.Bad++
		} else {
			r.report.Leads++
		}
		return yield(rec)
	}
	// badRow reports a row that cannot be read as the lead's: it stands
	// alone, or spoils the lead being read when a history groups rows.
	badRow := func(bad *RowError, raw []string) bool {
		if r.opts.History && len(group) > 0 {
			if groupBad == nil {
				groupBad = bad
			}
			return true
		}
		if !flush() {
			return false
		}
		rec := &Record{Line: bad.Line, Err: bad}
		if raw != nil {
			rec.Rows = [][]string{raw}
		}
		r.report.Bad++
		return yield(rec)
	}
	for {
		rows.used = 0
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			flush()
			return
		}
		if err != nil && (!errors.As(err, &pe) || errors.Is(err, errRowTooLong)) {
			// The lead being read may have more rows: it is not yielded
			// half read.
			readErr(err)
			return
		}
		r.report.Rows++
		if err != nil {
			msg := "CSV: " + pe.Err.Error()
			if pe.Line != pe.StartLine {
				msg += fmt.Sprintf(" (the row runs from line %d to line %d: look for a quote that is not closed)", pe.StartLine, pe.Line)
			}
			bad := &RowError{Line: pe.StartLine}
			at := place{line: pe.StartLine}
			if pe.Line == pe.StartLine {
				at.column = pe.Column
			}
			bad.add(at, "", "%s", msg)
			if !badRow(bad, nil) {
				return
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		// The cells of the rows of a lead already decoded are free again.
		var cells []string
		if n := len(free); n > 0 {
			cells, free = free[n-1], free[:n-1]
		}
		cells = slices.Grow(cells[:0], len(rec))[:len(rec)]
		blank := true
		var encBad *RowError
		for i, c := range rec {
			t, fell, err := cellText(c, enc)
			if err != nil {
				if encBad == nil {
					encBad = &RowError{Line: line}
				}
				h := ""
				if i < len(header) {
					h = header[i]
				}
				encBad.add(place{line: line, column: i + 1, header: h}, "", "%v", err)
				t = c
			}
			if fell {
				r.report.Windows1252Cells++
			}
			cells[i] = strings.TrimSpace(t)
			if cells[i] != "" {
				blank = false
			}
		}
		switch {
		case blank:
			r.report.Rows--
			r.report.skip(line, "blank")
			trailer = true
			continue
		case slices.EqualFunc(cells, header, strings.EqualFold):
			r.report.Rows--
			r.report.skip(line, "header")
			continue
		case isTotals(cells, s):
			r.report.Rows--
			r.report.skip(line, "totals")
			trailer = true
			continue
		case trailer && len(cells) != len(header):
			r.report.Rows--
			r.report.skip(line, "footer")
			continue
		}
		trailer = false
		var raw []string
		if r.opts.KeepRows {
			raw = slices.Clone(rec)
		}
		if encBad != nil {
			if !badRow(encBad, raw) {
				return
			}
			continue
		}
		if len(cells) != len(header) {
			bad := &RowError{Line: line}
			bad.add(place{line: line}, "", "%d fields, but the header has %d", len(cells), len(header))
			if !badRow(bad, raw) {
				return
			}
			continue
		}
		key := [2]string{cells[s.id.cols[0]], ""}
		if s.decided != nil {
			key[1] = cells[s.decided.cols[0]]
		}
		if len(group) > 0 && key != groupKey {
			if !flush() {
				return
			}
		}
		groupKey = key
		group = append(group, row{line: line, cells: cells, raw: raw})
	}
}

// isTotals reports whether a row is a report's totals row: its first
// non-empty cell is a totals label ("Total", "Grand Totals (42 records)",
// "Count: 12"), and its ID is empty, a number, or that label.
func isTotals(cells []string, s *schema) bool {
	id := ""
	if c := s.id.cols[0]; c < len(cells) {
		id = cells[c]
	}
	if id != "" && strings.Trim(id, "0123456789.,") != "" && !totalsRow.MatchString(id) {
		return false
	}
	for _, c := range cells {
		if c != "" {
			return len(c) < 64 && totalsRow.MatchString(c)
		}
	}
	return false
}

// record is the JSON form of a history record.
type record struct {
	Lead        *lead.Lead `json:"lead"`
	At          time.Time  `json:"at"`
	Converted   bool       `json:"converted"`
	Won         lead.Money `json:"won,omitzero"`
	ConvertedAt time.Time  `json:"converted_at,omitzero"`
}

// readJSON reads JSON lines.
func (r *Reader) readJSON(in *bufio.Reader, max int, yield func(*Record) bool) {
	switch {
	case r.opts.Mapping != nil:
		r.fail(fmt.Errorf("%w: the input is JSON lines: a mapping is for CSV exports", ErrInput))
		return
	case r.opts.Comma != 0:
		r.fail(fmt.Errorf("%w: the input is JSON lines: a delimiter is for CSV exports", ErrInput))
		return
	}
	var validator *lead.Validator
	if !r.opts.Now.IsZero() {
		validator = &lead.Validator{}
	}
	var buf []byte
	for line := 1; ; line++ {
		text, tooLong, err := readLine(in, max, &buf)
		if err != nil && err != io.EOF {
			r.fail(fmt.Errorf("%w: reading line %d: %w", ErrInput, line, err))
			return
		}
		if tooLong {
			r.report.Rows++
			r.report.Bad++
			rec := &Record{Line: line, Err: &RowError{Line: line}}
			rec.Err.add(place{line: line}, "", "longer than %d bytes", max)
			if !yield(rec) {
				return
			}
		} else if len(bytes.TrimSpace(text)) > 0 {
			r.report.Rows++
			rec := r.decodeJSON(text, line, validator)
			if r.opts.KeepRows {
				rec.Rows = [][]string{{string(text)}}
			}
			if rec.Err != nil {
				r.report.Bad++
			} else {
				r.report.Leads++
			}
			if !yield(rec) {
				return
			}
		}
		if err == io.EOF {
			return
		}
	}
}

// readLine reads one line, without its line break, into *buf (reused). A
// line longer than max is consumed and reported as tooLong. err is io.EOF
// at the end of input (text may still hold a last line).
func readLine(br *bufio.Reader, max int, buf *[]byte) (text []byte, tooLong bool, err error) {
	*buf = (*buf)[:0]
	for {
		chunk, e := br.ReadSlice('\n')
		if !tooLong {
			if len(*buf)+len(chunk) > max+2 { // +2: the line break itself
				tooLong = true
				*buf = (*buf)[:0]
			} else {
				*buf = append(*buf, chunk...)
			}
		}
		switch e {
		case nil:
			return trimEOL(*buf), tooLong, nil
		case bufio.ErrBufferFull:
			continue
		case io.EOF:
			return trimEOL(*buf), tooLong, io.EOF
		default:
			return nil, false, e
		}
	}
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// decodeJSON decodes one JSON line: a lead, or a history record.
func (r *Reader) decodeJSON(text []byte, line int, validator *lead.Validator) *Record {
	rec := &Record{Line: line}
	fail := func(col int, path, format string, args ...any) *Record {
		rec.Err = &RowError{Line: line}
		if rec.Lead != nil {
			rec.Err.ID = rec.Lead.ID
		}
		rec.Err.add(place{line: line, column: col}, path, format, args...)
		return rec
	}
	var err error
	if r.opts.History {
		var h record
		err = strictjson.Decode(text, &h)
		rec.Lead, rec.At, rec.Converted, rec.Won, rec.ConvertedAt = h.Lead, h.At, h.Converted, h.Won, h.ConvertedAt
	} else {
		var l lead.Lead
		err = strictjson.Decode(text, &l)
		rec.Lead = &l
	}
	if err != nil {
		problems := strictjson.Problems(err)
		rec = fail(problems[0].Column, problems[0].Path, "%s", problems[0].Problem)
		for _, fe := range problems[1:] {
			rec.Err.add(place{line: line, column: fe.Column}, fe.Path, "%s", fe.Problem)
		}
		return rec
	}
	problem := func(path, format string, args ...any) {
		if rec.Err == nil {
			rec.Err = &RowError{Line: line}
			if rec.Lead != nil {
				rec.Err.ID = rec.Lead.ID
			}
		}
		rec.Err.add(place{line: line}, path, format, args...)
	}
	if r.opts.History && !rec.ConvertedAt.IsZero() {
		// As a CSV column mapped to converted_at is held (see
		// leadState.convertedAt).
		switch {
		case !rec.Converted:
			problem("converted_at", "set, but the lead did not convert")
		case !rec.At.IsZero() && rec.ConvertedAt.Before(rec.At):
			problem("converted_at", "%s", convertedBefore("", rec.ConvertedAt, false, rec.At))
		}
	}
	if validator != nil && rec.Lead != nil {
		var ve *lead.ValidationError
		if errors.As(validator.Validate(rec.Lead, r.opts.Now), &ve) {
			for _, fe := range ve.Problems {
				problem(fe.Path, "%s", fe.Problem)
			}
		}
	}
	return rec
}
