package ingest_test

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadqual/leadqual/ingest"
	"github.com/leadqual/leadqual/lead"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// benchHeader is the export the benchmarks read: a CRM's own headers,
// mapped by benchMapping.
const benchHeader = "Lead ID,Email,Role,Employees,Country,Amount,Currency,Created,Activities,Plan\n"

var benchMapping = ingest.MustParseMapping("bench", "id = Lead ID, contact.email = Email, contact.role = Role, company.employees = Employees, "+
	"company.country = Country, value = Amount, value.currency = Currency, created_at = Created, activities = Activities, fields.plan = Plan")

// exportReader generates an export of n rows as it is read, so that a
// test of memory holds none of it.
type exportReader struct {
	n, i int
	buf  bytes.Buffer
}

func newExport(n int) *exportReader {
	e := &exportReader{n: n}
	e.buf.WriteString(benchHeader)
	return e
}

var roles = []string{"decision_maker", "influencer", "user", "unknown"}
var countries = []string{"GB", "DE", "FR", "US", "IE"}

func (e *exportReader) Read(p []byte) (int, error) {
	for e.buf.Len() < len(p) && e.i < e.n {
		i := e.i
		e.i++
		day := 1 + i%27
		fmt.Fprintf(&e.buf, "L-%07d,lead%d@example.com,%s,%d,%s,%d.00,GBP,2026-02-%02dT09:%02d:00Z,white_paper@2026-02-%02dT10:00:00Z;pricing_request@2026-02-%02dT11:30:00Z,pro\n",
			i, i, roles[i%len(roles)], 10+i%5000, countries[i%len(countries)], 1000+i%90000, day, i%60, day, day)
	}
	if e.buf.Len() == 0 {
		return 0, io.EOF
	}
	return e.buf.Read(p)
}

func exportBytes(n int) []byte {
	b, err := io.ReadAll(newExport(n))
	if err != nil {
		panic(err)
	}
	return b
}

// BenchmarkReadCSV reads an export of 10,000 rows through the mapping,
// and, in the same run, the hand-written yardstick that reads the same
// rows into the same leads with encoding/csv and a fixed column order: no
// mapping, no messy-export handling, no report. Compare the x-yardstick
// ratio, which both halves of one run share.
//
//	go test -run '^$' -bench ReadCSV -benchmem ./ingest
func BenchmarkReadCSV(b *testing.B) {
	const rows = 10_000
	data := exportBytes(rows)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var yard time.Duration
	for b.Loop() {
		r := ingest.NewReader(bytes.NewReader(data), ingest.Options{Mapping: benchMapping})
		n := 0
		for rec := range r.All() {
			if rec.Err != nil {
				b.Fatal(rec.Err)
			}
			n++
		}
		if r.Err() != nil || n != rows {
			b.Fatal(r.Err(), n)
		}
		b.StopTimer()
		start := time.Now()
		if got, err := yardstick(bytes.NewReader(data)); err != nil || got != rows {
			b.Fatal(err, got)
		}
		yard += time.Since(start)
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
	b.ReportMetric(float64(b.Elapsed())/float64(yard), "x-yardstick")
}

// BenchmarkYardstick is the yardstick alone, with its allocations.
func BenchmarkYardstick(b *testing.B) {
	const rows = 10_000
	data := exportBytes(rows)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if n, err := yardstick(bytes.NewReader(data)); err != nil || n != rows {
			b.Fatal(err, n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
}

// yardstick reads the benchmark's export the plain way: encoding/csv,
// columns by position, each cell parsed by the standard library into a
// new lead.Lead. It returns the leads read.
func yardstick(in io.Reader) (int, error) {
	cr := csv.NewReader(bufio.NewReaderSize(in, 64<<10))
	cr.ReuseRecord = true
	if _, err := cr.Read(); err != nil {
		return 0, err
	}
	n := 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		l := &lead.Lead{ID: rec[0]}
		l.Contact.Email = rec[1]
		if l.Contact.Role, err = lead.ParseRole(rec[2]); err != nil {
			return n, err
		}
		if l.Company.Employees, err = strconv.Atoi(rec[3]); err != nil {
			return n, err
		}
		l.Company.Country = rec[4]
		if l.Value, err = lead.ParseMoney(rec[5], lead.Currency(rec[6])); err != nil {
			return n, err
		}
		if l.CreatedAt, err = time.Parse(time.RFC3339, rec[7]); err != nil {
			return n, err
		}
		for entry := range strings.SplitSeq(rec[8], ";") {
			kind, at, _ := strings.Cut(entry, "@")
			t, err := time.Parse(time.RFC3339, at)
			if err != nil {
				return n, err
			}
			l.Activities = append(l.Activities, lead.Activity{Kind: lead.Kind(kind), At: t})
		}
		l.Fields = map[string]any{"plan": rec[9]}
		n++
	}
}

// TestFlatMemory reads a generated export of 100,000 rows, never held in
// memory, and checks that the live heap does not grow with the rows read.
func TestFlatMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 100,000 rows")
	}
	const rows = 100_000
	r := ingest.NewReader(newExport(rows), ingest.Options{Mapping: benchMapping, Now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)})
	var samples []uint64
	n := 0
	for rec := range r.All() {
		require.Nil(t, rec.Err)
		if n++; n%5000 == 0 {
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			samples = append(samples, ms.HeapAlloc)
		}
	}
	require.NoError(t, r.Err())
	require.Equal(t, rows, n)
	early, late := max(samples[0], samples[1]), max(samples[len(samples)-2], samples[len(samples)-1])
	t.Logf("live heap: %.1f MiB after 10,000 rows, %.1f MiB after 100,000", float64(early)/(1<<20), float64(late)/(1<<20))
	// A reader that kept its rows would grow by ~90,000 × 1 KiB.
	assert.Less(t, late, early+2<<20, "the live heap grew with the rows read")
}
