package lead_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestZones(t *testing.T) {
	var z lead.Zones
	london, err := z.Load("Europe/London")
	require.NoError(t, err)
	again, err := z.Load("Europe/London")
	require.NoError(t, err)
	assert.Same(t, london, again, "a loaded zone is kept")

	utc, err := z.Load("")
	require.NoError(t, err)
	assert.Same(t, time.UTC, utc)

	for _, bad := range []string{"Local", "Europe/Londres", "../../etc/passwd", "\xff"} {
		_, err := z.Load(bad)
		assert.Error(t, err, bad)
		_, err = z.Load(bad)
		assert.Error(t, err, "%s: an error is not cached as a zone", bad)
	}
}

func TestLoadZone(t *testing.T) {
	loc, err := lead.LoadZone("Europe/Berlin")
	require.NoError(t, err)
	assert.Equal(t, "Europe/Berlin", loc.String())
	loc, err = lead.LoadZone("")
	require.NoError(t, err)
	assert.Same(t, time.UTC, loc)
	for name, msg := range map[string]string{
		"Local":                      `lead: unknown time zone "Local": the machine's own zone is not an IANA name`,
		strings.Repeat("Europe", 30): "lead: unknown time zone: a name of 180 bytes is longer than 128",
		"Mars/Base":                  "lead: unknown time zone Mars/Base",
	} {
		_, err := lead.LoadZone(name)
		assert.EqualError(t, err, msg)
	}
}

func TestZonesConcurrent(t *testing.T) {
	var z lead.Zones
	names := []string{"Europe/London", "America/New_York", "Asia/Tokyo", "Nope/Nope", ""}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				name := names[(g+i)%len(names)]
				_, err := z.Load(name)
				assert.Equal(t, name == "Nope/Nope", err != nil, name)
			}
		}()
	}
	wg.Wait()
}

// A Validator gives the same answer as Lead.Validate, for valid and
// invalid leads alike.
func TestValidatorAgrees(t *testing.T) {
	var v lead.Validator
	now := time.Date(2025, 3, 12, 9, 0, 0, 0, time.UTC)
	for _, tz := range []string{"", "Europe/London", "Europe/Londres", "Local"} {
		for _, id := range []string{"L-1", ""} {
			l := &lead.Lead{ID: id, Contact: lead.Contact{TimeZone: tz}}
			want := l.Validate(now)
			for range 2 { // the second time from the cache
				got := v.Validate(l, now)
				assert.Equal(t, fmt.Sprint(want), fmt.Sprint(got), "tz %q id %q", tz, id)
			}
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	now := time.Date(2025, 3, 12, 9, 0, 0, 0, time.UTC)
	l := &lead.Lead{ID: "L-1", Contact: lead.Contact{Email: "ada@example.co.uk", TimeZone: "Europe/London"},
		Activities: []lead.Activity{{Kind: lead.KindWhitePaper, At: now.Add(-time.Hour)}}}
	b.Run("Lead.Validate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := l.Validate(now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Validator", func(b *testing.B) {
		var v lead.Validator
		b.ReportAllocs()
		for b.Loop() {
			if err := v.Validate(l, now); err != nil {
				b.Fatal(err)
			}
		}
	})
}
