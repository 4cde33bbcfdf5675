package recycle

import (
	"cmp"
	"context"
	"hash/maphash"
	"math"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/leadqual/leadqual/lead"
)

// MemStore is the in-memory [Store], the embedded default. It keeps the
// schedule in the process: nothing survives a restart unless the host saves
// [MemStore.Entries] and writes them back with Put.
//
// Its leases run on Clock, the store's own clock, whatever `now` its
// callers pass: one process, one clock, so that a worker replaying another
// day, or a caller with a clock of its own, never ends a lease another
// worker holds. Due times are compared with the callers' now, as for every
// Store.
//
// Put, Delete, Extend and Claim cost O(log n) for n entries (a claim of k
// entries O(k log n)); Get costs O(1); Stats costs O(d + l log l) for d
// entries due and l leases; Dead sorts the dead entries. Each entry costs
// under 80 bytes beyond its lead ID (see the package documentation for
// measured figures): entries live in fixed pages of 64-byte slots (growing
// never copies them), found through an open-addressing hash index of
// 4-byte cells (at most 6.7 bytes an entry), and ordered by two heaps of
// 4-byte positions, one of entries waiting to be due and one of running
// leases; a claimed entry's lease, and a Schedule other than the entry's
// Version, are kept apart. Reasons, tasks and
// errors are stored once per distinct (reason, task, error) triple, of
// which there may be 2^29. Memory freed by deleted entries is reused by new
// ones, not returned.
//
// The zero value is an empty store ready to use, on the wall clock. A
// MemStore is safe for concurrent use; it must not be copied after first
// use. Recycles, Attempt and Failures are kept up to [MaxCount]; Claims
// saturates at MaxCount.
type MemStore struct {
	// Clock is the store's clock, which decides when leases end. Nil means
	// time.Now; tests and examples on a fixed timeline set their own. Set
	// it before first use.
	Clock func() time.Time

	mu     sync.Mutex
	slots  slab    // the entries; free ones have state stateFree
	free   []int32 // indexes of free slots
	index  index   // lead ID -> slot
	due    []int32 // min-heap of waiting entries by (due, -rank, id)
	leased []int32 // min-heap of entries with a running lease, by (lease, id)
	dead   []int32 // dead entries, unordered
	what   interner
	seq    uint64       // last version handed out
	counts [nStates]int // entries per state
	n      int
	// What only some entries have lives beside the slots, so that the
	// slots of the many waiting entries stay small: the lease of each
	// claimed entry (leased or expired), and the Schedule of each entry
	// whose Schedule is not its Version (claimed, or rewritten within its
	// schedule; see Put).
	leases    map[int32]int64
	schedules map[int32]uint64
}

// slot is one entry, 64 bytes. Times are Unix nanoseconds.
type slot struct {
	id       string
	due      int64
	rank     int64
	since    int64
	version  uint64
	tag      uint32 // state << whatBits | interned (reason, task, error)
	pos      int32  // position in the heap, or the dead list, the entry is in
	recycles uint16
	attempt  uint16
	claims   uint16
	failures uint16
}

// lease returns the end of slot i's lease, 0 when it is not claimed.
func (m *MemStore) lease(i int32) int64 { return m.leases[i] }

func (m *MemStore) setLease(i int32, until int64) {
	if until == 0 {
		delete(m.leases, i)
		return
	}
	if m.leases == nil {
		m.leases = map[int32]int64{}
	}
	m.leases[i] = until
}

// schedule returns slot i's Schedule: its Version unless recorded apart.
func (m *MemStore) schedule(i int32) uint64 {
	if sc, ok := m.schedules[i]; ok {
		return sc
	}
	return m.slots.at(i).version
}

// setVersion gives slot i a new Version; keep keeps its Schedule, which
// else becomes the new Version.
func (m *MemStore) setVersion(i int32, keep bool) {
	sc := m.schedule(i)
	s := m.slots.at(i)
	s.version = m.next()
	if !keep || sc == s.version {
		delete(m.schedules, i)
		return
	}
	if m.schedules == nil {
		m.schedules = map[int32]uint64{}
	}
	m.schedules[i] = sc
}

// The states of a slot. A claimed entry whose lease has ended, seen by a
// Claim, goes back into the due heap as stateExpired: it keeps its lease
// and Version, so that its claim can still be acknowledged or extended
// until someone claims it again.
const (
	stateFree      uint8 = iota
	stateScheduled       // in the due heap, not claimed
	stateLeased          // claimed, in the leased heap
	stateExpired         // claimed, lease ended, in the due heap
	stateDead            // in the dead list
	nStates
)

// A slot's tag holds its state in the top bits and its interned (reason,
// task, error) below.
const (
	stateBits = 3
	whatBits  = 32 - stateBits
	maxWhat   = 1<<whatBits - 1
)

func (s *slot) state() uint8   { return uint8(s.tag >> whatBits) }
func (s *slot) whatID() uint32 { return s.tag & maxWhat }

// NewMemStore returns an empty MemStore on the wall clock.
func NewMemStore() *MemStore { return &MemStore{} }

var _ Store = (*MemStore)(nil)

// Len returns the number of entries, dead ones included.
func (m *MemStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n
}

// Entries returns every entry in claim order (Due, then Rank highest
// first, then LeadID), dead ones included: a snapshot a host can save and
// restore with Put.
func (m *MemStore) Entries() []Entry {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Entry, 0, m.n)
	for i := range m.slots.n {
		if m.slots.at(i).state() != stateFree {
			out = append(out, m.entry(i))
		}
	}
	slices.SortFunc(out, func(a, b Entry) int {
		return cmp.Or(a.Due.Compare(b.Due), cmp.Compare(b.Rank, a.Rank), strings.Compare(a.LeadID, b.LeadID))
	})
	return out
}

// clock reads the store's clock, in Unix nanoseconds.
func (m *MemStore) clock() (int64, error) {
	now := time.Now
	if m.Clock != nil {
		now = m.Clock
	}
	t := now()
	var p problems
	checkTime(&p, "MemStore.Clock", t, true)
	if err := p.err(); err != nil {
		return 0, err
	}
	return t.UnixNano(), nil
}

// Get implements [Store.Get].
func (m *MemStore) Get(ctx context.Context, leadID string) (Entry, error) {
	if err := ctx.Err(); err != nil {
		return Entry{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	i, ok := m.index.find(&m.slots, leadID)
	if !ok {
		return Entry{}, ErrNotFound
	}
	return m.entry(i), nil
}

// Put implements [Store.Put]. An entry that [Entry.Validate] refuses is an
// error wrapping ErrInvalid.
func (m *MemStore) Put(ctx context.Context, e Entry, expect uint64) (Entry, error) {
	if err := ctx.Err(); err != nil {
		return Entry{}, err
	}
	if err := e.Validate(); err != nil {
		return Entry{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	i, ok := m.index.find(&m.slots, e.LeadID)
	switch {
	case !ok && expect != 0:
		return Entry{}, ErrNotFound
	case ok && expect == 0:
		return Entry{}, ErrStale
	case ok && m.slots.at(i).version != expect:
		return Entry{}, ErrStale
	}
	// Before the old triple is released: it may be the same.
	w, err := m.what.add(what{e.Reason, e.Task, e.LastError})
	if err != nil {
		return Entry{}, err
	}
	if ok {
		m.detach(i)
		m.what.release(m.slots.at(i).whatID())
	} else {
		if m.n >= math.MaxInt32-1 {
			m.what.release(w)
			return Entry{}, invalid("entry.lead_id", "the store is full")
		}
		i = m.alloc(strings.Clone(e.LeadID))
	}
	s := m.slots.at(i)
	keep := ok && e.Schedule != 0 && e.Schedule == m.schedule(i)
	s.due = e.Due.UnixNano()
	s.rank = e.Rank
	s.since = e.Since.UnixNano()
	s.recycles = uint16(e.Recycles)
	s.attempt = uint16(e.Attempt)
	s.failures = uint16(e.Failures)
	s.claims = 0
	m.setLease(i, 0)
	m.setVersion(i, keep)
	if e.Dead {
		m.attach(i, stateDead, w)
	} else {
		m.attach(i, stateScheduled, w)
	}
	return m.entry(i), nil
}

// Delete implements [Store.Delete].
func (m *MemStore) Delete(ctx context.Context, leadID string, expect uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	i, ok := m.index.find(&m.slots, leadID)
	switch {
	case !ok:
		return ErrNotFound
	case expect != 0 && m.slots.at(i).version != expect:
		return ErrStale
	}
	m.detach(i)
	m.what.release(m.slots.at(i).whatID())
	m.index.remove(&m.slots, leadID)
	m.setLease(i, 0)
	delete(m.schedules, i)
	*m.slots.at(i) = slot{}
	m.free = append(m.free, i)
	m.n--
	return nil
}

// Claim implements [Store.Claim]. A limit below 1 or a lease that is not
// positive is an error wrapping ErrInvalid.
func (m *MemStore) Claim(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var p problems
	checkTime(&p, "now", now, true)
	if limit < 1 {
		p.add("limit", "%d is not positive", limit)
	}
	if lease <= 0 {
		p.add("lease", "%s is not positive", lease)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	clock, err := m.clock()
	if err != nil {
		return nil, err
	}
	until := addClamped(clock, lease)
	m.expire(clock)
	t := now.UnixNano()
	var out []Entry
	for len(out) < limit && len(m.due) > 0 && m.slots.at(m.due[0]).due <= t {
		if out == nil {
			out = make([]Entry, 0, min(limit, len(m.due)))
		}
		i := m.due[0]
		m.detach(i)
		s := m.slots.at(i)
		m.setVersion(i, true) // a claim keeps the schedule
		m.setLease(i, until)
		if s.claims < math.MaxUint16 {
			s.claims++
		}
		m.attach(i, stateLeased, s.whatID())
		out = append(out, m.entry(i))
	}
	return out, nil
}

// expire moves the entries whose lease ended at clock back among the
// waiting entries, at their due time.
func (m *MemStore) expire(clock int64) {
	for len(m.leased) > 0 && m.lease(m.leased[0]) <= clock {
		i := m.leased[0]
		m.detach(i)
		m.attach(i, stateExpired, m.slots.at(i).whatID())
	}
}

// addClamped returns t + d, at most the latest time an entry may hold.
func addClamped(t int64, d time.Duration) int64 {
	if limit := maxTime.UnixNano(); t > limit-int64(d) {
		return limit
	}
	return t + int64(d)
}

// Extend implements [Store.Extend]. A negative lease is an error wrapping
// ErrInvalid.
func (m *MemStore) Extend(ctx context.Context, leadID string, version uint64, lease time.Duration) (Entry, error) {
	if err := ctx.Err(); err != nil {
		return Entry{}, err
	}
	if lease < 0 {
		return Entry{}, invalid("lease", "%s is negative", lease)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	i, ok := m.index.find(&m.slots, leadID)
	if !ok {
		return Entry{}, ErrNotFound
	}
	s := m.slots.at(i)
	if s.version != version || (s.state() != stateLeased && s.state() != stateExpired) {
		return Entry{}, ErrStale
	}
	clock, err := m.clock()
	if err != nil {
		return Entry{}, err
	}
	if lease == 0 && s.state() == stateLeased && m.lease(i) > clock && s.claims > 0 {
		s.claims-- // a release of a running lease: the claim does not count
	}
	m.detach(i)
	m.setLease(i, max(addClamped(clock, lease), 1)) // 0 would mean no lease
	m.attach(i, stateLeased, s.whatID())
	return m.entry(i), nil
}

// Dead implements [Store.Dead]. A limit below 1 is an error wrapping
// ErrInvalid.
func (m *MemStore) Dead(ctx context.Context, after string, limit int) ([]Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit < 1 {
		return nil, invalid("limit", "%d is not positive", limit)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var page []int32
	for _, i := range m.dead {
		if m.slots.at(i).id > after {
			page = append(page, i)
		}
	}
	slices.SortFunc(page, func(a, b int32) int { return strings.Compare(m.slots.at(a).id, m.slots.at(b).id) })
	page = page[:min(limit, len(page))]
	out := make([]Entry, len(page))
	for k, i := range page {
		out[k] = m.entry(i)
	}
	return out, nil
}

// Stats implements [Store.Stats]. It reads the entries due at now and the
// running leases, not the whole store.
func (m *MemStore) Stats(ctx context.Context, now time.Time) (Stats, error) {
	if err := ctx.Err(); err != nil {
		return Stats{}, err
	}
	var p problems
	checkTime(&p, "now", now, true)
	if err := p.err(); err != nil {
		return Stats{}, err
	}
	t := now.UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	clock, err := m.clock()
	if err != nil {
		return Stats{}, err
	}
	st := Stats{
		Scheduled: int64(m.counts[stateScheduled] + m.counts[stateLeased] + m.counts[stateExpired]),
		Leased:    int64(len(m.leased)),
		Expired:   int64(m.counts[stateExpired]),
		Dead:      int64(m.counts[stateDead]),
	}
	oldest := int64(math.MaxInt64)
	seen := func(due int64) {
		if due <= t {
			st.Due++
			oldest = min(oldest, due)
		}
	}
	// The waiting entries due at now: the heap's nodes with due <= t form
	// a subtree at its root.
	for stack := []int{0}; len(stack) > 0; {
		j := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if j >= len(m.due) || m.slots.at(m.due[j]).due > t {
			continue
		}
		seen(m.slots.at(m.due[j]).due)
		stack = append(stack, 2*j+1, 2*j+2)
	}
	// The leases that ended and that no Claim has moved yet.
	for stack := []int{0}; len(stack) > 0; {
		j := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if j >= len(m.leased) || m.lease(m.leased[j]) > clock {
			continue
		}
		st.Leased--
		st.Expired++
		seen(m.slots.at(m.leased[j]).due)
		stack = append(stack, 2*j+1, 2*j+2)
	}
	if st.Due > 0 {
		st.OldestDue = time.Unix(0, oldest).UTC()
	}
	return st, nil
}

func (m *MemStore) next() uint64 {
	m.seq++
	return m.seq
}

// alloc takes a free slot (or a new one) for id and indexes it; the caller
// attaches it.
func (m *MemStore) alloc(id string) int32 {
	var i int32
	if n := len(m.free); n > 0 {
		i = m.free[n-1]
		m.free = m.free[:n-1]
	} else {
		i = m.slots.grow()
	}
	m.slots.at(i).id = id
	m.index.insert(&m.slots, id, i)
	m.n++
	return i
}

// attach gives slot i state st and interned triple w, and puts it in the
// heap or list of that state.
func (m *MemStore) attach(i int32, st uint8, w uint32) {
	s := m.slots.at(i)
	s.tag = uint32(st)<<whatBits | w
	m.counts[st]++
	switch st {
	case stateScheduled, stateExpired:
		m.push(&m.due, m.dueLess, i)
	case stateLeased:
		m.push(&m.leased, m.leaseLess, i)
	case stateDead:
		s.pos = int32(len(m.dead))
		m.dead = append(m.dead, i)
	}
}

// detach takes slot i out of whichever heap or list holds it; its state
// stays recorded until the next attach.
func (m *MemStore) detach(i int32) {
	s := m.slots.at(i)
	m.counts[s.state()]--
	switch s.state() {
	case stateScheduled, stateExpired:
		m.remove(&m.due, m.dueLess, int(s.pos))
	case stateLeased:
		m.remove(&m.leased, m.leaseLess, int(s.pos))
	case stateDead:
		last := m.dead[len(m.dead)-1]
		m.dead[s.pos] = last
		m.slots.at(last).pos = s.pos
		m.dead = m.dead[:len(m.dead)-1]
	}
}

func (m *MemStore) entry(i int32) Entry {
	s := m.slots.at(i)
	w := m.what.get(s.whatID())
	e := Entry{
		LeadID:    s.id,
		Due:       time.Unix(0, s.due).UTC(),
		Reason:    w.reason,
		Task:      w.task,
		Rank:      s.rank,
		Recycles:  int(s.recycles),
		Attempt:   int(s.attempt),
		Since:     time.Unix(0, s.since).UTC(),
		Failures:  int(s.failures),
		LastError: w.err,
		Dead:      s.state() == stateDead,
		Version:   s.version,
		Schedule:  m.schedule(i),
		Claims:    int(s.claims),
	}
	if st := s.state(); st == stateLeased || st == stateExpired {
		e.LeaseUntil = time.Unix(0, m.lease(i)).UTC()
	}
	return e
}

func (m *MemStore) dueLess(a, b int32) bool {
	x, y := m.slots.at(a), m.slots.at(b)
	if x.due != y.due {
		return x.due < y.due
	}
	if x.rank != y.rank {
		return x.rank > y.rank
	}
	return x.id < y.id
}

func (m *MemStore) leaseLess(a, b int32) bool {
	if x, y := m.lease(a), m.lease(b); x != y {
		return x < y
	}
	return m.slots.at(a).id < m.slots.at(b).id
}

// The heaps hold slot indexes; each slot records its position in pos.

func (m *MemStore) push(h *[]int32, less func(a, b int32) bool, i int32) {
	if len(*h) == cap(*h) {
		// Grow by an eighth, not by append's quarter: a heap of a million
		// waiting entries keeps at most 0.5 spare bytes an entry.
		grown := make([]int32, len(*h), len(*h)+max(64, len(*h)/8))
		copy(grown, *h)
		*h = grown
	}
	*h = append(*h, i)
	m.slots.at(i).pos = int32(len(*h) - 1)
	m.up(*h, less, len(*h)-1)
}

// remove takes the element at position j out of the heap and returns it.
func (m *MemStore) remove(h *[]int32, less func(a, b int32) bool, j int) int32 {
	a := *h
	last := len(a) - 1
	i := a[j]
	if j != last {
		a[j] = a[last]
		m.slots.at(a[j]).pos = int32(j)
	}
	*h = a[:last]
	if j != last {
		m.fix(*h, less, j)
	}
	return i
}

// fix restores the heap order after the element at position j changed.
func (m *MemStore) fix(a []int32, less func(a, b int32) bool, j int) {
	if !m.down(a, less, j) {
		m.up(a, less, j)
	}
}

func (m *MemStore) up(a []int32, less func(a, b int32) bool, j int) {
	for j > 0 {
		p := (j - 1) / 2
		if !less(a[j], a[p]) {
			break
		}
		a[j], a[p] = a[p], a[j]
		m.slots.at(a[j]).pos = int32(j)
		m.slots.at(a[p]).pos = int32(p)
		j = p
	}
}

// down reports whether the element moved.
func (m *MemStore) down(a []int32, less func(a, b int32) bool, j0 int) bool {
	j, n := j0, len(a)
	for {
		c := 2*j + 1
		if c >= n || c < 0 {
			break
		}
		if r := c + 1; r < n && less(a[r], a[c]) {
			c = r
		}
		if !less(a[c], a[j]) {
			break
		}
		a[j], a[c] = a[c], a[j]
		m.slots.at(a[j]).pos = int32(j)
		m.slots.at(a[c]).pos = int32(c)
		j = c
	}
	return j > j0
}

// pageBits sets the size of a page of slots: 1024 slots, 72 KiB.
const pageBits = 10

// slab holds the slots in pages of fixed size, so that growing never
// copies the entries and wastes at most one page.
type slab struct {
	pages []*[1 << pageBits]slot
	n     int32 // slots in use or free
}

func (s *slab) at(i int32) *slot { return &s.pages[i>>pageBits][i&(1<<pageBits-1)] }

// grow adds a slot and returns its index.
func (s *slab) grow() int32 {
	if int(s.n)>>pageBits == len(s.pages) {
		s.pages = append(s.pages, new([1 << pageBits]slot))
	}
	s.n++
	return s.n - 1
}

// index maps lead IDs to slots: open addressing with linear probing over a
// table of slot indexes plus one (0 is an empty cell), at most three
// quarters full, with backward-shift deletion (no tombstones). The table
// grows by a quarter (its size need not be a power of two: a hash is
// mapped onto it by multiplication), so that it is always between 60% and
// 75% full: 5.3 to 6.7 bytes an entry.
type index struct {
	seed  maphash.Seed
	cells []int32
	n     int
}

func (x *index) home(id string) int {
	hi, _ := bits.Mul64(maphash.String(x.seed, id), uint64(len(x.cells)))
	return int(hi)
}

// next is the cell after j, wrapping around.
func (x *index) next(j int) int {
	if j++; j == len(x.cells) {
		return 0
	}
	return j
}

func (x *index) find(slots *slab, id string) (int32, bool) {
	if x.n == 0 {
		return 0, false
	}
	for j := x.home(id); ; j = x.next(j) {
		c := x.cells[j]
		if c == 0 {
			return 0, false
		}
		if slots.at(c-1).id == id {
			return c - 1, true
		}
	}
}

// insert adds id -> i; id must not be present.
func (x *index) insert(slots *slab, id string, i int32) {
	if (x.n+1)*4 > len(x.cells)*3 {
		x.grow(slots)
	}
	j := x.home(id)
	for x.cells[j] != 0 {
		j = x.next(j)
	}
	x.cells[j] = i + 1
	x.n++
}

func (x *index) grow(slots *slab) {
	if len(x.cells) == 0 {
		x.seed = maphash.MakeSeed()
	}
	old := x.cells
	x.cells = make([]int32, max(16, len(old)+len(old)/4))
	for _, c := range old {
		if c == 0 {
			continue
		}
		j := x.home(slots.at(c - 1).id)
		for x.cells[j] != 0 {
			j = x.next(j)
		}
		x.cells[j] = c
	}
}

// remove deletes id, which must be present, shifting back the cells of
// its probe run so that no lookup stops short.
func (x *index) remove(slots *slab, id string) {
	i := x.home(id)
	for slots.at(x.cells[i]-1).id != id {
		i = x.next(i)
	}
	for j := i; ; {
		j = x.next(j)
		c := x.cells[j]
		if c == 0 {
			break
		}
		k := x.home(slots.at(c - 1).id)
		// The cell at j may move to i unless its home lies cyclically in (i, j].
		if i <= j && i < k && k <= j || i > j && (i < k || k <= j) {
			continue
		}
		x.cells[i] = c
		i = j
	}
	x.cells[i] = 0
	x.n--
}

// what is the (reason, task, last error) triple of an entry.
type what struct {
	reason lead.Reason
	task   string
	err    string
}

// interner stores each distinct triple once, counting its users so that a
// triple no entry uses any more is forgotten.
type interner struct {
	ids   map[what]uint32
	whats []what
	refs  []uint32
	free  []uint32
}

func (t *interner) add(w what) (uint32, error) {
	if id, ok := t.ids[w]; ok {
		t.refs[id]++
		return id, nil
	}
	var id uint32
	if n := len(t.free); n > 0 {
		id = t.free[n-1]
	} else {
		if len(t.whats) > maxWhat {
			return 0, invalid("entry.task", "the store holds too many distinct (reason, task, error) triples")
		}
		id = uint32(len(t.whats))
	}
	if t.ids == nil {
		t.ids = make(map[what]uint32)
	}
	w = what{lead.Reason(strings.Clone(string(w.reason))), strings.Clone(w.task), strings.Clone(w.err)}
	if n := len(t.free); n > 0 {
		t.free = t.free[:n-1]
		t.whats[id], t.refs[id] = w, 1
	} else {
		t.whats = append(t.whats, w)
		t.refs = append(t.refs, 1)
	}
	t.ids[w] = id
	return id, nil
}

func (t *interner) get(id uint32) what { return t.whats[id] }

func (t *interner) release(id uint32) {
	if t.refs[id]--; t.refs[id] == 0 {
		delete(t.ids, t.whats[id])
		t.whats[id] = what{}
		t.free = append(t.free, id)
	}
}
