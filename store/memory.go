package store

import (
	"context"
	"hash/maphash"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// shardCount spreads sessions over independent locks so that requests of
// different sessions rarely wait for each other. A power of two.
const shardCount = 64

// memory is the in-process [Store] that [NewMemory] returns. It is
// unexported so that the package's API is the Store interface and the
// options: nothing outside can depend on its internals.
type memory struct {
	shards [shardCount]memoryShard
	// users is the per-user index, spread over its own locks by user name:
	// Load never takes them, and one user's sessions never wait for
	// another's. A shard lock may be held when one of these is taken, never
	// the other way round.
	users [shardCount]userShard
	seed  maphash.Seed
	count atomic.Int64
	// limit caps count; 0 means no cap. It never changes after construction.
	limit   int64
	refused atomic.Uint64 // Creates refused by the cap
	// sweepFrom rotates the shard a sweep starts at, so that a sweep cut short
	// by its limit does not always favour the same shards.
	sweepFrom atomic.Uint32
	closed    atomic.Bool
	// file, when set, is where Close saves the sessions (see OpenMemory).
	// inflight is then read-held by every call that may change a session,
	// and write-held by Close, so that no write lands after the save that
	// would have to hold it.
	file     *memoryFile
	inflight sync.RWMutex
}

var _ Store = (*memory)(nil)

type memoryShard struct {
	mu sync.RWMutex
	// entries holds the shard's sessions and tombstones by the hash of
	// their IDs, collided those whose hash another entry took (see
	// memory_shard_index.go): nil unless two of the n IDs' 64-bit hashes
	// agree, about n²/2^65 of a chance.
	entries  map[uint64]*memoryEntry
	collided map[string]*memoryEntry
	// due orders this shard's sessions by the deadline they had when filed.
	// Access slides a deadline without refiling (that would take the shard
	// lock on every read); a sweep that finds an entry filed too early files
	// it again under its current deadline.
	due expiryHeap
	// stale counts sessions that left by Delete or Renew since due was last
	// compacted: their filings stay until then (see dropStale).
	stale int
}

// minStaleToCompact keeps small shards from compacting often: a few stale
// IDs cost less than rebuilding the heap.
const minStaleToCompact = 64

// dropStale records that a session left s before a sweep reached it (or
// that SetExpires superseded a session's filing), and rebuilds s.due
// without the filings of such sessions once they outnumber the
// sessions left. Without it, a session deleted long before its deadline (at
// logout, with a month-long MaxAge) would stay filed for that month. The
// rebuild costs O(len(s.due)), paid for by the removals since the last one.
// The caller holds s.mu for writing.
func (s *memoryShard) dropStale() {
	s.stale++
	if s.stale < minStaleToCompact || s.stale <= s.len() {
		return
	}
	s.due.retain(func(e *memoryEntry, gen uint32) bool { return !e.gone && e.gen == gen })
	s.stale = 0
}

// memoryEntry is one live session. Fields without a lock are set before the
// entry is published and never change. There is one per session, so its
// size is most of what an idle session costs: its times are kept as Unix
// nanoseconds rather than as time.Time values (24 bytes each, with a
// location pointer), and what most sessions never have (a bound user,
// former IDs, a time past 2262, an ID not of the manager's form) sits
// behind one pointer. With its ID decoded and one value inline, 128 bytes,
// where it was 144 and then 72, each time with the caller's 48-byte ID
// string and an 80-byte values object beside it (see
// TestMemoryEntryFitsIn128Bytes).
type memoryEntry struct {
	// values holds the current values (see memoryValues), replaced whole
	// by an Update of a session not read since it was last written; nil
	// while first holds them (see memory_inline_values.go).
	values atomic.Pointer[memoryValues]
	// mu serialises the writers of this session's values: Update, Delete and
	// Renew.
	mu sync.Mutex
	// gen numbers the entry's filings in its shard's expiry heap: a filing
	// of another gen was superseded by SetExpires and is dropped when
	// popped. Written under the shard's write lock.
	gen  uint32
	dead bool // set under mu when the entry leaves its shard or is renewed
	// gone is set under the shard's write lock when the entry leaves the
	// shard's map (as a session or as a tombstone): its filings in the
	// shard's expiry heap are then dropped.
	gone bool
	// idInRare tells where the session's ID is: in rare.id, or in rawID
	// (see memory_shard_index.go). Set before the entry is published.
	idInRare bool
	// renewed marks the tombstone Renew leaves under the old ID, so that
	// Update, Delete and Renew can tell a renewed session (ErrRenewed) from
	// an ended one. It is set under the shard's write lock, so readers
	// holding the read lock see it. A tombstone is not counted; it goes when
	// the session it was renewed to ends or forgets it (see dropTombstones),
	// or when the sweep finds its deadline passed, so there are never more
	// than maxFormerIDs tombstones per session.
	renewed bool
	// created and expires are Created and Expires by the wall clock (see
	// wallNanos; read them with createdTime and expiresTime). Expires and
	// rare change only under the shard's write lock (SetExpires, SetUser),
	// while the entry is in the shard: a reader holding the shard's lock,
	// or one that took the entry out, reads them without a race.
	created, expires wallNanos
	idle             time.Duration
	// accessed is in Unix nanoseconds, stored atomically because readers
	// touch it under the shard's read lock.
	accessed atomic.Int64
	rare     *entryRare // nil: bound to no user, renewed from no ID, times near, ID in rawID
	// rawID is the ID decoded, unless idInRare.
	rawID [rawIDBytes]byte
	// first is the session's only value while values is nil, and nothing
	// once values is set (see memory_inline_values.go for its locks).
	first valuePair
}

// entryRare is what a session has only once bound to a user or renewed, or
// with a time outside the years 1678 to 2262, or an ID not of the
// manager's form. It never changes: SetUser, SetExpires and Renew replace
// it (see editRare).
type entryRare struct {
	// binding is the session's user and masked ID; user "" means none.
	binding
	// formerIDs are the IDs this session was renewed from, latest last, at
	// most maxFormerIDs: their tombstones go when this entry leaves.
	formerIDs []string
	far       *farTimes // nil: every time fits in the entry
	id        string    // the ID when not of the manager's form: see idInRare
}

// bound returns the user e is bound to, or nil for none.
func (e *memoryEntry) bound() *binding {
	if e.rare == nil || e.rare.user == "" {
		return nil
	}
	return &e.rare.binding
}

// formerIDs returns the IDs e was renewed from.
func (e *memoryEntry) formerIDs() []string {
	if e.rare == nil {
		return nil
	}
	return e.rare.formerIDs
}

// editRare replaces e's rare part with a copy that edit changed, or with
// nil when the copy holds nothing. The caller may write e.rare (e is not
// published yet, or its shard's write lock is held).
func (e *memoryEntry) editRare(edit func(r *entryRare)) {
	var r entryRare
	if e.rare != nil {
		r = *e.rare
	}
	edit(&r)
	if r.user == "" && len(r.formerIDs) == 0 && r.far == nil && r.id == "" {
		e.rare = nil
		return
	}
	e.rare = &r
}

// bindTo sets the binding of e, not yet published or under its shard's
// write lock, to b (nil: none).
func (e *memoryEntry) bindTo(b *binding) {
	e.editRare(func(r *entryRare) {
		r.binding = binding{}
		if b != nil {
			r.binding = *b
		}
	})
}

// NewMemory returns an empty in-process store: nothing to install, nothing
// shared between processes. With no options it has no cap on the number of
// sessions; a store that anyone on the network can fill by making sessions
// should have one: see [WithMaxSessions].
//
// Values are kept as the Go values that were set, without encoding: a value
// that holds a pointer, slice or map shares it with the code that set it.
func NewMemory(opts ...MemoryOption) Store { return newMemory(opts) }

func newMemory(opts []MemoryOption) *memory {
	m := &memory{seed: maphash.MakeSeed()}
	for _, opt := range opts {
		opt(m)
	}
	for i := range m.shards {
		m.shards[i].entries = make(map[uint64]*memoryEntry)
	}
	return m
}

// MemoryOption configures the store that [NewMemory] returns.
type MemoryOption func(*memory)

// WithMaxSessions caps the number of sessions the store holds at n: past
// that, Create fails with [ErrTooManySessions] and stores nothing, so that a
// flood of new sessions costs no memory. Renew moves a session and does not
// count as a new one. n < 1 means no cap, which is the default. Any int is
// valid.
func WithMaxSessions(n int) MemoryOption {
	return func(m *memory) { m.limit = int64(max(n, 0)) }
}

// InProcess reports that the store lives in this process: it neither waits
// nor looks at a context, so a caller need not give its writes a detached,
// bounded one. The manager asks for it through an interface of its own, so
// that the store's type can stay unexported.
func (*memory) InProcess() bool { return true }

// full reports whether the store holds as many sessions as its cap allows.
func (m *memory) full() bool {
	return m.limit > 0 && m.count.Load() >= m.limit
}

// reserve counts one more session, or reports false when the cap is
// reached. Sessions are counted under their shard's lock, but shards fill
// concurrently, so the check and the increment are one compare-and-swap.
func (m *memory) reserve() bool {
	if m.limit == 0 {
		m.count.Add(1)
		return true
	}
	for {
		n := m.count.Load()
		if n >= m.limit {
			return false
		}
		if m.count.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

func shardIndexOf(p parsedID) int { return int(p.hash & (shardCount - 1)) }

func (m *memory) shardIndex(id string) int { return shardIndexOf(m.parse(id)) }

func (m *memory) shardOf(p parsedID) *memoryShard { return &m.shards[shardIndexOf(p)] }

func (m *memory) shard(id string) *memoryShard { return m.shardOf(m.parse(id)) }

// newMemoryEntry keeps rec's times without their monotonic readings: see
// [wallClock].
func newMemoryEntry(rec Record) *memoryEntry {
	e := &memoryEntry{idle: rec.Idle}
	e.setTimes(rec.Created, rec.Expires)
	e.setValues(rec.Values)
	e.accessed.Store(rec.Accessed.UnixNano())
	return e
}

func (e *memoryEntry) record() Record {
	rec := Record{
		Values:   e.loadValues(),
		Created:  e.createdTime(),
		Accessed: time.Unix(0, e.accessed.Load()),
		Idle:     e.idle,
		Expires:  e.expiresTime(),
	}
	if b := e.bound(); b != nil {
		rec.User = b.user
	}
	return rec
}

// deadline is e.record().Deadline() without building the record.
func (e *memoryEntry) deadline() time.Time {
	return Record{Accessed: time.Unix(0, e.accessed.Load()), Idle: e.idle, Expires: e.expiresTime()}.Deadline()
}

// wallClock returns t without its monotonic reading. The store compares
// every deadline by the wall clock alone: the expiry heap files deadlines by
// it, and a time.Time that keeps a monotonic reading compares by that
// reading with another that has one. After the wall clock stepped, the heap
// would call a session due that ExpiredAt calls live, and a sweep would pop
// and refile it until the monotonic deadline came. So every time the store
// keeps, and every now it compares with, goes through here, whether or not
// the caller stripped it already.
func wallClock(t time.Time) time.Time { return t.Round(0) }

// Create implements [Store]. At the store's cap it returns
// [ErrTooManySessions] without allocating, whether or not id is taken.
func (m *memory) Create(_ context.Context, id string, rec Record) error {
	if err := m.enter(); err != nil {
		return err
	}
	defer m.leave()
	// Refuse before building the entry, so that a flood of refusals costs
	// neither memory nor a shard lock. reserve below has the last word.
	if m.full() {
		m.refused.Add(1)
		return ErrTooManySessions
	}
	p := m.parse(id)
	e := newMemoryEntry(rec)
	e.setID(p)
	if rec.User != "" {
		e.bindTo(&binding{user: rec.User, masked: maskedKeyOf(id)})
	}
	s := m.shardOf(p)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lookup(p) != nil {
		return ErrExists
	}
	if !m.reserve() {
		m.refused.Add(1)
		return ErrTooManySessions
	}
	s.insert(p, e)
	s.due.file(e, rec.Deadline(), e.gen)
	m.index(e.bound(), id)
	return nil
}

// Load implements [Store]. It takes only a read lock: concurrent loads of
// any sessions do not block each other.
func (m *memory) Load(_ context.Context, id string, now time.Time, touch bool) (Record, bool, error) {
	if err := m.enter(); err != nil {
		return Record{}, false, err
	}
	defer m.leave()
	now = wallClock(now)
	p := m.parse(id)
	s := m.shardOf(p)
	s.mu.RLock()
	defer s.mu.RUnlock()
	e := s.lookup(p)
	if e == nil || e.renewed {
		return Record{}, false, nil
	}
	rec := e.record()
	if touch && !rec.ExpiredAt(now) && e.touch(now) {
		// A sweep needs the write lock, so it cannot see the deadline between
		// the check above and the touch.
		rec.Accessed = now
	}
	return rec, true, nil
}

// touch moves the access time forward to now, and never back: after the
// clock stepped back, or when a slower concurrent load brings an earlier
// now, moving it back would cut the session's idle time short. It reports
// whether it moved.
func (e *memoryEntry) touch(now time.Time) bool {
	n := now.UnixNano()
	for {
		old := e.accessed.Load()
		if n <= old {
			return false
		}
		if e.accessed.CompareAndSwap(old, n) {
			return true
		}
	}
}

// Update implements [Store]. It copies the current values, applies changes
// and publishes the copy, so a Record handed out earlier never changes.
func (m *memory) Update(_ context.Context, id string, changes map[string]any) error {
	if err := m.enter(); err != nil {
		return err
	}
	defer m.leave()
	p := m.parse(id)
	s := m.shardOf(p)
	s.mu.RLock()
	e := s.lookup(p)
	locked := e != nil && e.needsShardLock()
	s.mu.RUnlock()
	if locked {
		// Rare: the first Updates of a session whose entry holds a value.
		s.mu.Lock()
		defer s.mu.Unlock()
		e = s.lookup(p)
	}
	if e == nil {
		return ErrNotFound
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.renewed {
		return ErrRenewed
	}
	if e.dead {
		return ErrNotFound
	}
	if locked {
		e.applyLocked(changes)
		return nil
	}
	if next, inPlace := e.values.Load().apply(changes); !inPlace {
		e.values.Store(next)
	}
	return nil
}

// Delete implements [Store].
func (m *memory) Delete(_ context.Context, id string) (Record, bool, error) {
	if err := m.enter(); err != nil {
		return Record{}, false, err
	}
	defer m.leave()
	p := m.parse(id)
	s := m.shardOf(p)
	s.mu.Lock()
	e := s.lookup(p)
	ok := e != nil
	renewed := ok && e.renewed // a tombstone is no session
	if ok && !renewed {
		m.remove(s, e, p.hash)
		s.dropStale()
	}
	s.mu.Unlock()
	switch {
	case renewed:
		return Record{}, false, ErrRenewed
	case !ok:
		return Record{}, false, nil
	}
	m.dropTombstones(e.formerIDs())
	return e.record(), true, nil
}

// remove takes e, filed under key (see keyOf), out of s and out of its
// user's index. The caller holds s.mu for writing.
func (m *memory) remove(s *memoryShard, e *memoryEntry, key uint64) {
	s.delete(e, key)
	m.unindex(e.bound(), e)
	m.count.Add(-1)
	e.mu.Lock()
	e.dead = true
	e.mu.Unlock()
}

// maxFormerIDs bounds the tombstones one session keeps: a session renewed
// more often than this within its idle time (a loop of renewals) forgets
// its oldest former IDs, so tombstones never outnumber sessions by more
// than this factor.
const maxFormerIDs = 8

// dropTombstones removes the tombstones of former IDs that are still there.
// The caller holds no shard lock: a tombstone may live in any shard.
func (m *memory) dropTombstones(formerIDs []string) {
	for _, id := range formerIDs {
		p := m.parse(id)
		s := m.shardOf(p)
		s.mu.Lock()
		if e := s.lookup(p); e != nil && e.renewed {
			s.delete(e, p.hash)
			s.dropStale()
		}
		s.mu.Unlock()
	}
}

// Renew implements [Store].
func (m *memory) Renew(_ context.Context, oldID, newID string, now time.Time) error {
	if err := m.enter(); err != nil {
		return err
	}
	defer m.leave()
	forgotten, err := m.renew(oldID, newID, wallClock(now))
	m.dropTombstones(forgotten)
	return err
}

// renew moves the entry and returns the former IDs the session no longer
// keeps, whose tombstones the caller drops once the shard locks are free.
func (m *memory) renew(oldID, newID string, now time.Time) (forgotten []string, err error) {
	oldP, newP := m.parse(oldID), m.parse(newID)
	from, to := shardIndexOf(oldP), shardIndexOf(newP)
	unlock := m.lockPair(from, to)
	defer unlock()
	e := m.shards[from].lookup(oldP)
	if e == nil {
		return nil, ErrNotFound
	}
	if e.renewed {
		return nil, ErrRenewed
	}
	if m.shards[to].lookup(newP) != nil {
		return nil, ErrExists
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	rec := e.record()
	if rec.ExpiredAt(now) {
		return nil, ErrNotFound // expired: renewal must not bring it back
	}
	if now.After(rec.Accessed) { // never back: see touch
		rec.Accessed = now
	}
	moved := newMemoryEntry(rec)
	moved.setID(newP)
	var movedBound *binding
	if b := e.bound(); b != nil {
		// The binding goes with the session; only the masked ID changes.
		movedBound = &binding{user: b.user, masked: maskedKeyOf(newID)}
		m.unindex(b, e)
	}
	formerIDs := append(slices.Clone(e.formerIDs()), oldID)
	if n := len(formerIDs) - maxFormerIDs; n > 0 {
		forgotten = formerIDs[:n]
		formerIDs = formerIDs[n:]
	}
	moved.editRare(func(r *entryRare) {
		r.formerIDs = formerIDs
		if movedBound != nil {
			r.binding = *movedBound
		}
	})
	m.index(moved.bound(), newID)
	// The old entry stays as a tombstone, still filed under its deadline,
	// so that a late Update of the old ID learns the session was renewed.
	e.dead, e.renewed = true, true
	m.shards[to].insert(newP, moved)
	m.shards[to].due.file(moved, rec.Deadline(), moved.gen)
	return forgotten, nil
}

// lockPair write-locks two shards in index order, so that two renewals
// crossing the same pair of shards cannot deadlock.
func (m *memory) lockPair(a, b int) (unlock func()) {
	if a == b {
		m.shards[a].mu.Lock()
		return m.shards[a].mu.Unlock
	}
	if b < a {
		a, b = b, a
	}
	first, second := &m.shards[a], &m.shards[b]
	first.mu.Lock()
	second.mu.Lock()
	return func() {
		second.mu.Unlock()
		first.mu.Unlock()
	}
}

// Count implements [Store] in O(1).
func (m *memory) Count(context.Context) (int, error) {
	if m.closed.Load() {
		return 0, ErrClosed
	}
	return int(m.count.Load()), nil
}

// enter admits a call unless the store is closed. For a store that saves
// on Close, it holds Close off until the matching leave.
func (m *memory) enter() error {
	if m.file != nil {
		m.inflight.RLock()
	}
	if m.closed.Load() {
		m.leave()
		return ErrClosed
	}
	return nil
}

func (m *memory) leave() {
	if m.file != nil {
		m.inflight.RUnlock()
	}
}

// Close implements [Store]. Later calls to any method return ErrClosed. A
// store from OpenMemory saves its sessions first (see there); the first
// Close returns the save's error, and so does every later one.
func (m *memory) Close() error {
	if m.file == nil {
		m.closed.Store(true)
		return nil
	}
	return m.file.close(m)
}
