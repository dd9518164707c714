package store

import (
	"container/heap"
	"slices"
	"time"
)

// expiryHeap is a min-heap of session IDs ordered by deadline. It is not
// safe for concurrent use; a memory shard guards it with its lock.
type expiryHeap []dueItem

type dueItem struct {
	deadline dueAt
	id       string
}

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

// file adds id due at deadline. A session that never expires is not filed.
func (h *expiryHeap) file(id string, deadline time.Time) {
	if deadline.IsZero() {
		return
	}
	heap.Push(h, dueItem{deadline: dueAtOf(deadline), id: id})
}

// popDue removes and returns the earliest ID whose filed deadline is not
// after now.
func (h *expiryHeap) popDue(now time.Time) (string, bool) {
	if len(*h) == 0 || dueAtOf(now).before((*h)[0].deadline) {
		return "", false
	}
	return heap.Pop(h).(dueItem).id, true
}

// retain drops every filed ID for which keep returns false.
func (h *expiryHeap) retain(keep func(id string) bool) {
	*h = slices.DeleteFunc(*h, func(item dueItem) bool { return !keep(item.id) })
	heap.Init(h)
}

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].deadline.before(h[j].deadline) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(dueItem)) }
func (h *expiryHeap) Pop() any {
	old := *h
	item := old[len(old)-1]
	old[len(old)-1] = dueItem{} // let the ID string be collected
	*h = old[:len(old)-1]
	return item
}
