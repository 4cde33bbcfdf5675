package qualify

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/leadqual/leadqual/lead"
)

// aggPlan is what Evaluate computes from a lead's activities in one pass,
// decided at Compile from the slots the rules read. The results are typed
// (ints, bools, durations) so that the fast path reads them unboxed.
type aggPlan struct {
	index kindIndex
	kinds []kindAgg // by index
	// windows are the distinct windows of count(); each count compares an
	// activity's time with its window's cut.
	windows []time.Duration
	// every are count("*", window): activities of every kind within a
	// window; lens the int positions of len(activities).
	every []countAgg
	lens  []int
	lasts []lastAgg // fresh() and since()
	// tracked is the number of kinds whose newest activity the pass keeps
	// (kindAgg.last), for fresh() and since().
	tracked int
	// signals holds the int position of signals(intent), -1 when unread.
	signals   [4]int
	topics    []topicAgg
	known     []knownAgg
	interests []int // int positions of len(interests)
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
	counts []countAgg
	// first is counts[0] (pos -1 when there is none) and more the others:
	// most kinds have one count at most, read without a loop.
	first countAgg
	more  []countAgg
	last  int // the kind's tracking position, or -1
}

// countAgg is one count slot: its int position and its window.
type countAgg struct {
	pos, win int
}

type lastAgg struct {
	pos    int // in the duration slots for since(), the bool slots for fresh()
	track  int // the kind's tracking position
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

// everyKind is the kind of count("*", window): activities of every kind.
const everyKind lead.Kind = "*"

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
		p.kinds = append(p.kinds, kindAgg{kind: k, intent: c.intents(k), last: -1})
		return idx[k]
	}
	track := func(k int) int {
		if p.kinds[k].last < 0 {
			p.kinds[k].last = p.tracked
			p.tracked++
		}
		return p.kinds[k].last
	}
	window := func(w time.Duration) int {
		if i := slices.Index(p.windows, w); i >= 0 {
			return i
		}
		p.windows = append(p.windows, w)
		return len(p.windows) - 1
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
			switch {
			case sl.kind == everyKind && sl.window == 0: // len(activities)
				p.lens = append(p.lens, sl.pos)
			case sl.kind == everyKind:
				p.every = append(p.every, countAgg{pos: sl.pos, win: window(sl.window)})
			default:
				k := kindOf(sl.kind)
				p.kinds[k].counts = append(p.kinds[k].counts, countAgg{pos: sl.pos, win: window(sl.window)})
			}
		case slotSignals:
			sl.pos = next(&p.nInts)
			p.signals[sl.intent] = sl.pos
		case slotInterests:
			sl.pos = next(&p.nInts)
			p.interests = append(p.interests, sl.pos)
		case slotSince:
			sl.pos = next(&p.nDurs)
			p.lasts = append(p.lasts, lastAgg{pos: sl.pos, track: track(kindOf(sl.kind)), since: true})
		case slotFresh:
			sl.pos = next(&p.nBools)
			k := kindOf(sl.kind)
			p.lasts = append(p.lasts, lastAgg{pos: sl.pos, track: track(k), window: c.vocab.Freshness(p.kinds[k].intent), need: p.kinds[k].intent == lead.IntentNeed})
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
	for i := range p.kinds {
		k := &p.kinds[i]
		kinds[i] = k.kind
		k.first = countAgg{pos: -1}
		if len(k.counts) > 0 {
			k.first, k.more = k.counts[0], k.counts[1:]
		}
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
// the typed slots, which also refuses an activity beyond the limits (see
// checkLead) and looks at done every 256 activities. Activities after now
// are ignored, so that a lead evaluated "as it was" at a past time sees no
// future, and a loss answers the need before it: need activities at or
// before l.LostAt(now) are not fresh. It records in the state the indexes
// of the newest fresh need and interest activities (-1 for none) and the
// number of activities after now.
func (p *Policy) aggregate(st *state, l *lead.Lead, now time.Time, done <-chan struct{}) error {
	a := &p.agg
	clear(st.ints)
	for i := range st.lastIdx {
		st.lastIdx[i] = -1
	}
	nowN := nanos(now)
	for i, w := range a.windows {
		st.cuts[i] = before(nowN, w)
	}
	needFloor := int64(math.MinInt64)
	if len(l.History) > 0 {
		if lost := l.LostAt(now); !lost.IsZero() {
			needFloor = floorOf(lost) // saturating, as the lines' floors
		}
	}
	if st.floor != 0 {
		needFloor = max(needFloor, st.floor) // an account's loss: see EvaluateAccount
	}
	needCut := max(before(nowN, p.settings.NeedFresh), needFloor)
	interestCut := before(nowN, p.settings.InterestFresh)
	// Per intent: the cut of its freshness (none: never fresh), the fresh
	// activities, and the newest of them.
	cut := [4]int64{math.MaxInt64, interestCut, needCut, interestCut}
	var sig [4]int
	newest := [4]int{-1, -1, -1, -1}
	var newestN [4]int64
	maxText, attrs := p.limits.MaxTextBytes, p.needAttrs
	ints, cuts, lastIdx, lastN := st.ints, st.cuts, st.lastIdx, st.lastN
	kinds, index := a.kinds, &a.index
	every0, every := countAgg{pos: -1}, a.every // the first count of every kind, read without a loop
	if len(every) > 0 {
		every0, every = every[0], every[1:]
	}
	future := 0
	var lineFloors []int64 // nil unless a product line of the lead (or its account) was lost
	if len(l.Lines) > 0 || st.accFloors != nil {
		lineFloors = p.lineFloors(st, l, now)
	}
	acts := l.Activities
	for i := range acts {
		act := &acts[i]
		if max(len(act.Kind), len(act.Asset), len(act.Product), len(act.Channel)) > maxText || attrs && len(act.Attrs) > 0 {
			if err := p.checkActivity(l, i); err != nil {
				return err
			}
		}
		if i&255 == 255 && done != nil {
			select {
			case <-done:
				return errStopped
			default:
			}
		}
		at := nanos(act.At)
		if at > nowN {
			future++
			continue
		}
		if every0.pos >= 0 {
			if at >= cuts[every0.win] {
				ints[every0.pos]++
			}
			for _, c := range every {
				if at >= cuts[c.win] {
					ints[c.pos]++
				}
			}
		}
		k := index.lookup(act.Kind)
		if k < 0 {
			continue
		}
		ka := &kinds[k]
		if c := ka.first; c.pos >= 0 {
			if at >= cuts[c.win] {
				ints[c.pos]++
			}
			for _, c := range ka.more {
				if at >= cuts[c.win] {
					ints[c.pos]++
				}
			}
		}
		if lineFloors != nil && ka.intent == lead.IntentNeed && at < p.lineFloor(lineFloors, act) {
			// Answered by the loss of its product line, as a loss of the
			// lead answers the need before it: counted, never fresh.
			continue
		}
		if t := ka.last; t >= 0 && (lastIdx[t] < 0 || at > lastN[t]) {
			lastIdx[t], lastN[t] = int32(i), at
		}
		if in := ka.intent & 3; at >= cut[in] {
			sig[in]++
			if newest[in] < 0 || at > newestN[in] {
				newest[in], newestN[in] = i, at
			}
		}
	}
	lastNeed, lastInterest := newest[lead.IntentNeed], newest[lead.IntentInterest]
	st.lastNeed, st.lastInterest, st.future = lastNeed, lastInterest, future
	for _, pos := range a.lens {
		ints[pos] = len(acts) - future
	}
	for _, pos := range a.interests {
		ints[pos] = len(l.Interests)
	}
	for in, pos := range a.signals {
		if pos >= 0 {
			ints[pos] = sig[in]
		}
	}
	st.sig = sig
	for _, la := range a.lasts {
		li := lastIdx[la.track]
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
			st.bools[la.pos] = li >= 0 && lastN[la.track] >= cut
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
	return nil
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

// kindIndex maps an activity kind to its index in the plan: one hash of
// the kind's first, middle and last eight bytes, and, for a kind of up to
// 24 bytes (every kind of the catalogue), a comparison of those three
// words instead of the string. The multiplier of the hash is chosen when
// the index is built so that, if it can be, every kind sits in a slot of
// its own. Immutable after newKindIndex.
type kindIndex struct {
	mask    uint64
	shift   uint64
	mult    uint64
	slots   []kindSlot
	perfect bool // every kind is in its home slot
}

type kindSlot struct {
	w    kindWords
	kind lead.Kind // for kinds longer than the words hold
	idx  int32     // -1: empty
}

// kindWords are a kind's length and its first, middle and last eight
// bytes (the words overlap for a kind shorter than 24 bytes; a kind
// shorter than 8 is in first only): for a kind of up to 24 bytes, equal
// words are equal kinds.
type kindWords struct {
	first, mid, last uint64
	n                int
}

func wordsOf(k lead.Kind) kindWords {
	n := len(k)
	w := kindWords{n: n}
	switch {
	case n >= 8:
		w.first, w.last = load64(string(k[:8])), load64(string(k[n-8:]))
		if n > 16 {
			w.mid = load64(string(k[8:16]))
		}
	case n >= 4: // two overlapping halves
		w.first = uint64(load32(string(k[:4]))) | uint64(load32(string(k[n-4:])))<<32
	default:
		for i := n - 1; i >= 0; i-- {
			w.first = w.first<<8 | uint64(k[i])
		}
	}
	return w
}

// load32 reads 4 bytes little-endian: one load.
func load32(s string) uint32 {
	_ = s[3]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

// load64 reads 8 bytes little-endian: one load.
func load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func (x *kindIndex) home(w kindWords) uint64 {
	return ((w.first ^ w.last>>1 ^ w.mid>>2 ^ uint64(w.n)) * x.mult) >> (x.shift & 63)
}

func newKindIndex(kinds []lead.Kind) kindIndex {
	// Four slots per kind: a multiplier that gives every kind a slot of
	// its own is then found in a few tries (the catalogue's 27 kinds need
	// a handful; see TestKindIndexIsPerfect).
	bits := uint64(3)
	for 1<<bits < 4*len(kinds) {
		bits++
	}
	x := kindIndex{mask: 1<<bits - 1, shift: 64 - bits, mult: 0x9E3779B97F4A7C15}
	words := make([]kindWords, len(kinds))
	for i, k := range kinds {
		words[i] = wordsOf(k)
	}
	seen := make([]uint64, (1<<bits+63)/64) // a bit per slot
	for try := uint64(0); try < 1024; try++ {
		x.mult = 0x9E3779B97F4A7C15 + 2*try*0x2545F4914F6CDD1D
		clear(seen)
		distinct := true
		for _, w := range words {
			h := x.home(w)
			if seen[h/64]&(1<<(h%64)) != 0 {
				distinct = false
				break
			}
			seen[h/64] |= 1 << (h % 64)
		}
		if distinct {
			x.perfect = true
			break
		}
	}
	x.slots = make([]kindSlot, 1<<bits)
	for i := range x.slots {
		x.slots[i].idx = -1
	}
	for i, k := range kinds {
		w := wordsOf(k)
		h := x.home(w)
		for x.slots[h].idx >= 0 {
			h = (h + 1) & x.mask
		}
		x.slots[h] = kindSlot{w: w, kind: k, idx: int32(i)}
	}
	return x
}

// lookup returns the index of k, or -1. A kind of 4 to 24 bytes found in
// its home slot (every kind of the catalogue, in a policy whose index has
// a slot for each) costs one hash and one comparison of its words.
func (x *kindIndex) lookup(k lead.Kind) int {
	if n := len(k); n < 4 || n > 24 {
		return x.probe(k)
	}
	w := wordsOf(k)
	s := &x.slots[x.home(w)]
	switch {
	case s.w == w:
		return int(s.idx)
	case s.idx < 0 || x.perfect: // every kind is in its home slot: not one
		return -1
	}
	return x.probe(k)
}

// probe is lookup the long way: every kind, and the slots after its home.
func (x *kindIndex) probe(k lead.Kind) int {
	w := wordsOf(k)
	for h := x.home(w); ; h = (h + 1) & x.mask {
		s := &x.slots[h]
		if s.idx < 0 {
			return -1
		}
		if s.w == w && (w.n <= 24 || s.kind == k) {
			return int(s.idx)
		}
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
