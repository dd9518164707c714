package store

import (
	"slices"
	"time"
)

// expiryHeap is a min-heap of sessions ordered by deadline. It is not
// safe for concurrent use; a memory shard guards it with its lock.
//
// It is a heap of its own rather than a container/heap one: that package
// passes items through an interface, which boxed every dueItem pushed or
// popped, an allocation per filing made under the shard's write lock, and
// a million of them for the garbage collector when a wave of sessions
// expires.
type expiryHeap []dueItem

// dueItem is one filing of a session. gen tells the session's current
// filing from one it superseded (see memoryEntry.gen). The deadline is kept
// as dueAt's two fields rather than a dueAt, so that gen fits in what would
// be dueAt's padding; and the item points at the entry, which knows its
// ID, rather than holding the ID string: 24 bytes, where it was 32 (see
// TestMemoryEntryFitsIn128Bytes).
type dueItem struct {
	sec  int64
	nsec int32
	gen  uint32
	e    *memoryEntry
}

func (i dueItem) deadline() dueAt { return dueAt{sec: i.sec, nsec: i.nsec} }

// dueAt is a moment by the wall clock alone, as Unix seconds and
// nanoseconds. It holds every deadline a Record can have: Unix nanoseconds
// in one int64 end in the year 2262, and a later deadline (a MaxAge of 250
// years) wrapped into the past, was due at once and was refiled forever.
// Built from wall readings, it cannot disagree with a time compared by the
// monotonic clock: the store strips those readings anyway.
type dueAt struct {
	sec  int64
	nsec int32
}

func dueAtOf(t time.Time) dueAt {
	return dueAt{sec: t.Unix(), nsec: int32(t.Nanosecond())}
}

// before reports whether a is earlier than b.
func (a dueAt) before(b dueAt) bool {
	return a.sec < b.sec || a.sec == b.sec && a.nsec < b.nsec
}

// file adds the session e due at deadline, as its filing gen. A session
// that never expires is not filed.
func (h *expiryHeap) file(e *memoryEntry, deadline time.Time, gen uint32) {
	if deadline.IsZero() {
		return
	}
	at := dueAtOf(deadline)
	*h = append(*h, dueItem{sec: at.sec, nsec: at.nsec, gen: gen, e: e})
	h.up(len(*h) - 1)
}

// popDue removes and returns the earliest filing whose deadline is not
// after now.
func (h *expiryHeap) popDue(now time.Time) (dueItem, bool) {
	return h.popDueAt(dueAtOf(now))
}

// popDueAt is popDue with now already converted, so that a sweep converts
// it once rather than once per filing.
func (h *expiryHeap) popDueAt(now dueAt) (dueItem, bool) {
	old := *h
	if len(old) == 0 || now.before(old[0].deadline()) {
		return dueItem{}, false
	}
	item := old[0]
	last := len(old) - 1
	old[0] = old[last]
	old[last] = dueItem{} // let the entry be collected
	*h = old[:last]
	h.down(0)
	return item, true
}

// retain drops every filing for which keep returns false.
func (h *expiryHeap) retain(keep func(e *memoryEntry, gen uint32) bool) {
	*h = slices.DeleteFunc(*h, func(item dueItem) bool { return !keep(item.e, item.gen) })
	for i := len(*h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

// Len returns how many filings h holds.
func (h expiryHeap) Len() int { return len(h) }

func (h expiryHeap) less(i, j int) bool { return h[i].deadline().before(h[j].deadline()) }

// up moves the item at i towards the root until its parent is not later.
func (h expiryHeap) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !h.less(i, parent) {
			return
		}
		h[i], h[parent] = h[parent], h[i]
		i = parent
	}
}

// down moves the item at i towards the leaves until no child is earlier.
func (h expiryHeap) down(i int) {
	n := len(h)
	for {
		child := 2*i + 1
		if child >= n {
			return
		}
		if right := child + 1; right < n && h.less(right, child) {
			child = right
		}
		if !h.less(child, i) {
			return
		}
		h[i], h[child] = h[child], h[i]
		i = child
	}
}
