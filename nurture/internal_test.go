package nurture

import (
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWall(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	for _, tc := range []struct {
		t   time.Time
		loc *time.Location
	}{
		{time.Date(1969, 12, 31, 23, 0, 0, 5, time.UTC), time.UTC},
		{time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), time.UTC},
		{time.Date(1900, 3, 4, 5, 6, 7, 8, time.UTC), ny},
		{time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC), ny},
		{time.Date(2026, 11, 1, 5, 59, 59, 999, time.UTC), ny},
		{time.Date(2400, 2, 29, 12, 0, 0, 0, time.UTC), ny},
	} {
		_, tod, wd := wall(tc.t, tc.loc)
		lt := tc.t.In(tc.loc)
		h, m, s := lt.Clock()
		want := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second + time.Duration(lt.Nanosecond())
		assert.Equal(t, want, tod, "%s", lt)
		assert.Equal(t, lt.Weekday(), wd, "%s", lt)
	}
}

func TestAccumulatorIsExact(t *testing.T) {
	var acc accumulator
	want := decimal.Zero
	for _, s := range []string{
		"0.10", "0.2", "25000.00", "25000", "999999999999999999", "999999999999999999",
		"12345678901234567890.5", "-3.333", "9223372036854775807", "1e-30",
	} {
		d := decimal.RequireFromString(s)
		acc.add(d)
		want = want.Add(d)
	}
	assert.True(t, want.Equal(acc.total()), "want %s, got %s", want, acc.total())

	var empty accumulator
	assert.True(t, empty.total().IsZero())
}

func TestTopKKeepsTheBest(t *testing.T) {
	k := topK{max: 3, valued: true}
	for i, v := range []int64{5, 1, 9, 7, 3, 9, 2, 8} {
		k.offer(&Finding{Lead: string(rune('a' + i)), Value: moneyOf(v), Overdue: time.Duration(i)})
	}
	got := k.sorted()
	require.Len(t, got, 3)
	// 9 (f, more overdue than c), 9 (c), 8 (h).
	assert.Equal(t, []string{"f", "c", "h"}, []string{got[0].Lead, got[1].Lead, got[2].Lead})
}

func moneyOf(v int64) lead.Money { return lead.Money{Amount: decimal.NewFromInt(v), Currency: "GBP"} }
