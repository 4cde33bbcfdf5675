package qualify

import (
	"math"
	"strings"
	"time"

	"github.com/leadqual/leadqual/lead"
)

// aggPlan is what Evaluate computes from a lead's activities in one pass,
// decided at Compile from the slots the rules read. The results are typed
// (ints, bools, durations) so that the fast path reads them unboxed.
type aggPlan struct {
	index  kindIndex
	kinds  []kindAgg // by index
	counts []countAgg
	lasts  []lastAgg // fresh() and since()
	// signals holds the int position of signals(intent), -1 when unread.
	signals [4]int
	topics  []topicAgg
	known   []knownAgg
	// nInts, nBools and nDurs size the typed slot arrays.
	nInts, nBools, nDurs int
	// accountSlots are the account aggregates the rules read (see
	// account.go); account reports any.
	accountSlots []*slot
	account      bool
}

// kindAgg is what the pass does for activities of one kind.
type kindAgg struct {
	kind   lead.Kind
	intent lead.Intent // under the policy's intent table
	counts []int       // indexes into aggPlan.counts
}

type countAgg struct {
	pos    int // in the int slots
	window time.Duration
}

type lastAgg struct {
	pos    int // in the duration slots for since(), the bool slots for fresh()
	kind   int
	since  bool
	window time.Duration // fresh(): the freshness of the kind's intent
	need   bool          // fresh() of a need kind: a loss answers what came before it
}

type topicAgg struct {
	pos   int
	topic string
}

type knownAgg struct {
	pos   int
	field string
}

// plan builds the aggregate plan from the slots the rules asked for, and
// gives each slot its position in the typed arrays. Every kind with an
// intent is indexed, so that signals() and the need deadline see them all.
func (c *compilation) plan(s Settings) aggPlan {
	p := aggPlan{signals: [4]int{-1, -1, -1, -1}}
	idx := map[lead.Kind]int{}
	kindOf := func(k lead.Kind) int {
		if i, ok := idx[k]; ok {
			return i
		}
		idx[k] = len(p.kinds)
		p.kinds = append(p.kinds, kindAgg{kind: k, intent: c.intents(k)})
		return idx[k]
	}
	for _, e := range c.vocab.entries {
		if e.intent != lead.IntentNone {
			kindOf(e.kind)
		}
	}
	next := func(n *int) int { *n++; return *n - 1 }
	for _, sl := range c.order {
		switch sl.op {
		case slotCount:
			sl.pos = next(&p.nInts)
			k := kindOf(sl.kind)
			p.kinds[k].counts = append(p.kinds[k].counts, len(p.counts))
			p.counts = append(p.counts, countAgg{pos: sl.pos, window: sl.window})
		case slotSignals:
			sl.pos = next(&p.nInts)
			p.signals[sl.intent] = sl.pos
		case slotSince:
			sl.pos = next(&p.nDurs)
			p.lasts = append(p.lasts, lastAgg{pos: sl.pos, kind: kindOf(sl.kind), since: true})
		case slotFresh:
			sl.pos = next(&p.nBools)
			k := kindOf(sl.kind)
			p.lasts = append(p.lasts, lastAgg{pos: sl.pos, kind: k, window: c.vocab.Freshness(p.kinds[k].intent), need: p.kinds[k].intent == lead.IntentNeed})
		case slotInterested:
			sl.pos = next(&p.nBools)
			p.topics = append(p.topics, topicAgg{pos: sl.pos, topic: sl.topic})
		case slotKnown:
			sl.pos = next(&p.nBools)
			p.known = append(p.known, knownAgg{pos: sl.pos, field: sl.field})
		default:
			if sl.isInt() {
				sl.pos = next(&p.nInts)
			} else {
				sl.pos = next(&p.nBools)
			}
			p.accountSlots = append(p.accountSlots, sl)
			p.account = true
		}
	}
	kinds := make([]lead.Kind, len(p.kinds))
	for i, k := range p.kinds {
		kinds[i] = k.kind
	}
	p.index = newKindIndex(kinds)
	return p
}

// nanos returns t as nanoseconds since 1970, saturated outside the years
// 1685 to 2255, so that the hot loop compares integers.
func nanos(t time.Time) int64 {
	const lim = 9_000_000_000 // seconds, about 285 years either side of 1970
	s := t.Unix()
	switch {
	case s > lim:
		return math.MaxInt64
	case s < -lim:
		return math.MinInt64
	}
	return s*1e9 + int64(t.Nanosecond())
}

// before returns n - d, saturated at math.MinInt64.
func before(n int64, d time.Duration) int64 {
	if r := n - int64(d); r <= n {
		return r
	}
	return math.MinInt64
}

// aggregate runs the plan over a lead: one pass over its activities into
// the typed slots. Activities after now are ignored, so that a lead
// evaluated "as it was" at a past time sees no future, and a loss answers
// the need before it: need activities at or before l.LostAt(now) are not
// fresh. It returns the indexes of the newest fresh need and interest
// activities, or -1.
func (p *Policy) aggregate(st *state, l *lead.Lead, now time.Time) (lastNeed, lastInterest int) {
	a := &p.agg
	clear(st.ints)
	for i := range st.lastIdx {
		st.lastIdx[i] = -1
	}
	nowN := nanos(now)
	for i, c := range a.counts {
		st.cuts[i] = before(nowN, c.window)
	}
	needFloor := int64(math.MinInt64)
	if len(l.History) > 0 {
		if lost := l.LostAt(now); !lost.IsZero() {
			needFloor = nanos(lost) + 1
		}
	}
	if st.floor != 0 {
		needFloor = max(needFloor, st.floor) // an account's loss: see EvaluateAccount
	}
	needCut := max(before(nowN, p.settings.NeedFresh), needFloor)
	interestCut := before(nowN, p.settings.InterestFresh)
	var sig [4]int
	lastNeed, lastInterest = -1, -1
	var lastNeedN, lastInterestN int64
	var lineFloors []int64 // nil unless a product line of the lead (or its account) was lost
	if len(l.Lines) > 0 || st.accFloors != nil {
		lineFloors = p.lineFloors(st, l, now)
	}
	acts := l.Activities
	for i := range acts {
		act := &acts[i]
		at := nanos(act.At)
		if at > nowN {
			continue
		}
		k := a.index.lookup(act.Kind)
		if k < 0 {
			continue
		}
		ka := &a.kinds[k]
		if lineFloors != nil && ka.intent == lead.IntentNeed && at < p.lineFloor(lineFloors, act) {
			// Answered by the loss of its product line, as a loss of the
			// lead answers the need before it.
			for _, ci := range ka.counts {
				if at >= st.cuts[ci] {
					st.ints[a.counts[ci].pos]++
				}
			}
			continue
		}
		if st.lastIdx[k] < 0 || at > st.lastN[k] {
			st.lastIdx[k], st.lastN[k] = int32(i), at
		}
		for _, ci := range ka.counts {
			if at >= st.cuts[ci] {
				st.ints[a.counts[ci].pos]++
			}
		}
		switch ka.intent {
		case lead.IntentNeed:
			if at >= needCut {
				sig[lead.IntentNeed]++
				if lastNeed < 0 || at > lastNeedN {
					lastNeed, lastNeedN = i, at
				}
			}
		case lead.IntentInterest:
			if at >= interestCut {
				sig[lead.IntentInterest]++
				if lastInterest < 0 || at > lastInterestN {
					lastInterest, lastInterestN = i, at
				}
			}
		case lead.IntentNegative:
			if at >= interestCut {
				sig[lead.IntentNegative]++
			}
		}
	}
	for in, pos := range a.signals {
		if pos >= 0 {
			st.ints[pos] = sig[in]
		}
	}
	st.sig = sig
	for _, la := range a.lasts {
		li := st.lastIdx[la.kind]
		if la.since {
			d := time.Duration(math.MaxInt64)
			if li >= 0 {
				d = now.Sub(acts[li].At)
			}
			st.durs[la.pos] = d
		} else {
			cut := before(nowN, la.window)
			if la.need {
				cut = max(cut, needFloor)
			}
			st.bools[la.pos] = li >= 0 && st.lastN[la.kind] >= cut
		}
	}
	if len(a.topics) > 0 {
		cut := now.Add(-p.settings.InterestFresh)
		for _, t := range a.topics {
			st.bools[t.pos] = interestedIn(l, t.topic, now, cut)
		}
	}
	for _, k := range a.known {
		var known bool
		switch k.field {
		case "budget":
			known = l.Budget.Known()
		case "value":
			known = l.Value.Known()
		case "expected_purchase":
			known = !l.ExpectedPurchase.IsZero()
		case "renewal":
			known = !l.Renewal.IsZero()
		}
		st.bools[k.pos] = known
	}
	return lastNeed, lastInterest
}

// interestedIn reports a fresh interest in topic: an interest of that
// topic last seen within the interest freshness (an undated interest
// counts), or an activity about that product within it. Case is ignored.
func interestedIn(l *lead.Lead, topic string, now, cut time.Time) bool {
	for i := range l.Interests {
		in := &l.Interests[i]
		if !strings.EqualFold(in.Topic, topic) {
			continue
		}
		seen := in.LastSeen
		if seen.IsZero() {
			seen = in.FirstSeen
		}
		if seen.IsZero() || !seen.After(now) && !seen.Before(cut) {
			return true
		}
	}
	for i := range l.Activities {
		a := &l.Activities[i]
		if a.Product != "" && strings.EqualFold(a.Product, topic) && !a.At.After(now) && !a.At.Before(cut) {
			return true
		}
	}
	return false
}

// kindIndex maps an activity kind to its index in the plan with one hash
// probe and one string comparison: cheaper than a map for the handful of
// short strings a policy reads. Immutable after newKindIndex.
type kindIndex struct {
	mask  uint32
	slots []kindSlot
}

type kindSlot struct {
	kind lead.Kind
	idx  int32 // -1: empty
}

func hashKind(k lead.Kind) uint32 {
	n := len(k)
	if n == 0 {
		return 0
	}
	h := uint32(n)*0x9E3779B1 ^ uint32(k[0])<<7 ^ uint32(k[n-1])<<15 ^ uint32(k[n/2])<<23 ^ uint32(k[n/3])<<3
	return h ^ h>>13
}

func newKindIndex(kinds []lead.Kind) kindIndex {
	size := 8
	for size < 4*len(kinds) {
		size <<= 1
	}
	x := kindIndex{mask: uint32(size - 1), slots: make([]kindSlot, size)}
	for i := range x.slots {
		x.slots[i].idx = -1
	}
	for i, k := range kinds {
		h := hashKind(k) & x.mask
		for x.slots[h].idx >= 0 {
			h = (h + 1) & x.mask
		}
		x.slots[h] = kindSlot{kind: k, idx: int32(i)}
	}
	return x
}

// lookup returns the index of k, or -1.
func (x *kindIndex) lookup(k lead.Kind) int {
	h := hashKind(k) & x.mask
	for {
		s := &x.slots[h]
		if s.idx < 0 {
			return -1
		}
		if s.kind == k {
			return int(s.idx)
		}
		h = (h + 1) & x.mask
	}
}

// intentOf is p.vocab.Intent(k) in one probe of the plan's kind index,
// which holds every kind whose intent is not none: a map lookup would hash
// the whole kind, up to MaxTextBytes, for every activity.
func (p *Policy) intentOf(k lead.Kind) lead.Intent {
	if i := p.agg.index.lookup(k); i >= 0 {
		return p.agg.kinds[i].intent
	}
	return lead.IntentNone
}
