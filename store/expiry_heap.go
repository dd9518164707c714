package store

import (
	"container/heap"
	"slices"
	"time"
)

// expiryHeap is a min-heap of session IDs ordered by deadline. It is not
// safe for concurrent use; a memory shard guards it with its lock.
type expiryHeap []dueItem

// dueItem is one filing of a session. gen tells the session's current
// filing from one it superseded (see memoryEntry.gen). The deadline is kept
// as dueAt's two fields rather than a dueAt, so that gen fits in what would
// be dueAt's padding and an item stays 32 bytes.
type dueItem struct {
	sec  int64
	nsec int32
	gen  uint32
	id   string
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

// file adds id due at deadline, as the filing gen of its session. A session
// that never expires is not filed.
func (h *expiryHeap) file(id string, deadline time.Time, gen uint32) {
	if deadline.IsZero() {
		return
	}
	at := dueAtOf(deadline)
	heap.Push(h, dueItem{sec: at.sec, nsec: at.nsec, gen: gen, id: id})
}

// popDue removes and returns the earliest filing whose deadline is not
// after now.
func (h *expiryHeap) popDue(now time.Time) (dueItem, bool) {
	if len(*h) == 0 || dueAtOf(now).before((*h)[0].deadline()) {
		return dueItem{}, false
	}
	return heap.Pop(h).(dueItem), true
}

// retain drops every filing for which keep returns false.
func (h *expiryHeap) retain(keep func(id string, gen uint32) bool) {
	*h = slices.DeleteFunc(*h, func(item dueItem) bool { return !keep(item.id, item.gen) })
	heap.Init(h)
}

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].deadline().before(h[j].deadline()) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(dueItem)) }
func (h *expiryHeap) Pop() any {
	old := *h
	item := old[len(old)-1]
	old[len(old)-1] = dueItem{} // let the ID string be collected
	*h = old[:len(old)-1]
	return item
}
