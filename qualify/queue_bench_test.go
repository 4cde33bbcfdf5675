package qualify

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/leadqual/leadqual/lead"
)

// queueDecisions returns n decisions of a sales team's day, in random
// order: need in time, late and without a deadline, qualified and pipeline
// work, nurture; values in three currencies, one without a rate, or none.
func queueDecisions(n int, seed uint64) []Decision {
	r := rand.New(rand.NewPCG(seed, 5))
	currencies := []lead.Currency{"GBP", "EUR", "USD", "JPY"}
	ds := make([]Decision, n)
	for i := range ds {
		d := Decision{Lead: fmt.Sprintf("L-%06d", r.IntN(n)), At: t0.Add(-time.Duration(r.IntN(60)) * time.Second),
			Fit: float64(r.IntN(8) * 5)}
		switch r.IntN(5) {
		case 0, 1:
			d.Route, d.Verdict, d.Priority = RouteSales, VerdictNeed, PriorityNeed
			d.NeedAt = t0.Add(-time.Duration(r.IntN(3*3600)) * time.Second)
			if r.IntN(6) > 0 {
				d.Deadline = d.NeedAt.Add(time.Duration(r.IntN(4)) * time.Hour)
			}
		case 2:
			d.Route, d.Qualified, d.Priority = RouteSales, true, PriorityQualified
		case 3:
			d.Route, d.Priority = RouteReview, PriorityReview
			d.NeedAt = t0.Add(-time.Duration(r.IntN(86400)) * time.Second)
		default:
			d.Route, d.Priority = RouteNurture, PriorityNone
		}
		if r.IntN(4) > 0 {
			d.Value = lead.Money{Amount: decimal.New(int64(r.IntN(200)), 3), Currency: currencies[r.IntN(len(currencies))]}
		}
		ds[i] = d
	}
	return ds
}

// yardstickQueue is SortQueue of the default queue written by hand, as a
// careful engineer would for this one order: every key computed once per
// decision into a row, the rows sorted by plain comparisons (the place in
// the input last, so that the order is total and stable), the decisions
// copied out in that order.
func yardstickQueue(ds []Decision, rates lead.Rates, now time.Time) {
	type row struct {
		rank, class    int
		value          decimal.Decimal
		hasValue       bool
		deadline, need time.Duration
		needZero       bool
		d              *Decision
		at             int
	}
	rows := make([]row, len(ds))
	for i := range ds {
		d := &ds[i]
		w := row{rank: d.Priority.queueRank(), class: deadlineClass(d, now), d: d, at: i, needZero: d.NeedAt.IsZero()}
		if v, err := rates.Convert(d.Value); err == nil {
			w.value, w.hasValue = v.Amount, true
		}
		if w.class != noDeadline {
			w.deadline = distance(d.Deadline, now)
		}
		if !w.needZero {
			w.need = distance(d.NeedAt, now)
		}
		rows[i] = w
	}
	lo := int32(0) // one exponent for every value: Cmp without rescaling
	for _, w := range rows {
		if w.hasValue {
			lo = min(lo, w.value.Exponent())
		}
	}
	for i := range rows {
		if rows[i].hasValue {
			rows[i].value = rows[i].value.Round(-lo)
		}
	}
	slices.SortFunc(rows, func(a, b row) int {
		if c := cmp.Compare(a.rank, b.rank); c != 0 {
			return c
		}
		if c := cmp.Compare(a.class, b.class); c != 0 {
			return c
		}
		if a.hasValue != b.hasValue {
			if a.hasValue {
				return -1
			}
			return 1
		}
		if a.hasValue {
			if c := b.value.Cmp(a.value); c != 0 {
				return c
			}
		}
		if c := cmp.Compare(a.deadline, b.deadline); c != 0 {
			return c
		}
		if a.needZero != b.needZero {
			if a.needZero {
				return 1
			}
			return -1
		}
		if c := cmp.Compare(a.need, b.need); c != 0 {
			return c
		}
		if c := cmp.Compare(b.d.Fit, a.d.Fit); c != 0 {
			return c
		}
		return cmp.Or(strings.Compare(a.d.Lead, b.d.Lead), a.d.At.Compare(b.d.At), cmp.Compare(a.at, b.at))
	})
	sorted := make([]Decision, len(ds))
	for i, w := range rows {
		sorted[i] = *w.d
	}
	copy(ds, sorted)
}

// TestQueueYardstickAgrees: the yardstick orders as SortQueue does with
// the default queue, on random days of work.
func TestQueueYardstickAgrees(t *testing.T) {
	p := mustCompile(t, DefaultSpec())
	for seed := range uint64(50) {
		ds := queueDecisions(1+int(seed)*37, seed)
		want := slices.Clone(ds)
		yardstickQueue(want, gbp, t0)
		require.NoError(t, p.SortQueue(ds, gbp, t0))
		require.Equal(t, ids(want), ids(ds), "seed %d", seed)
		require.Equal(t, want, ds, "seed %d", seed)
	}
}

// BenchmarkSortQueue orders 10,000 decisions with the default queue at
// the host's rates, against the yardstick on the same input (each run on
// a fresh copy of it, the copy counted in both).
func BenchmarkSortQueue(b *testing.B) {
	p := mustCompile(b, DefaultSpec())
	in := queueDecisions(10_000, 1)
	work := make([]Decision, len(in))
	against(b, func() {
		copy(work, in)
		if err := p.SortQueue(work, gbp, t0); err != nil {
			b.Fatal(err)
		}
	}, func() {
		copy(work, in)
		yardstickQueue(work, gbp, t0)
	})
}
