package store

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMemoryIdleSessionHeap pins what an idle session holding one short
// string costs the heap: the entry, its values, its slot in the shard's map
// and its filing in the expiry heap, without its ID (the caller's string,
// which the store keeps). It was about 550 bytes while the entry held
// time.Time values and the values were always a map of Go's smallest size.
func TestMemoryIdleSessionHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 100,000 sessions")
	}
	const n = 100_000
	const budget = 300 // bytes a session, ID not counted
	ctx := t.Context()
	ids := testIDs(t, n)
	m := newTestMemory()
	before := liveHeapBytes()
	for _, id := range ids {
		// A fresh map per session, as the manager hands the store.
		require.NoError(t, m.Create(ctx, id, testRecord(map[string]any{"key": "login"})))
	}
	perSession := float64(int64(liveHeapBytes())-int64(before)) / n
	runtime.KeepAlive(m)
	runtime.KeepAlive(ids)
	t.Logf("%.0f bytes a session", perSession)
	assert.LessOrEqual(t, perSession, float64(budget), "live heap per idle session")
}

// liveHeapBytes returns the bytes of heap objects in use after a full
// collection.
func liveHeapBytes() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestMemoryValuesBuiltOnceOnRead pins how values not read since they were
// written are kept: as pairs, until a read builds their map, which every
// later read gets without an allocation; an Update of a session read since
// publishes a new map and leaves the one handed out as it was.
func TestMemoryValuesBuiltOnceOnRead(t *testing.T) {
	ctx := t.Context()
	m := newTestMemory()
	id := testID(t)
	require.NoError(t, m.Create(ctx, id, testRecord(map[string]any{"a": 1})))
	e := m.entryOf(id)
	assert.Nil(t, e.values.Load().builtMap(), "values never read are kept as pairs")

	rec, found, err := m.Load(ctx, id, testBase, false)
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, map[string]any{"a": 1}, rec.Values)
	allocs := testing.AllocsPerRun(100, func() {
		again, _, _ := m.Load(ctx, id, testBase, false)
		if len(again.Values) != 1 {
			panic("values lost")
		}
	})
	assert.Zero(t, allocs, "a read after the first builds no map")

	require.NoError(t, m.Update(ctx, id, map[string]any{"a": nil, "b": 2}))
	assert.Equal(t, map[string]any{"a": 1}, rec.Values, "a map handed out never changes")
	after, _, err := m.Load(ctx, id, testBase, false)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"b": 2}, after.Values)
}

// TestMemoryValuesUpdateOfUnreadSession applies changes to values kept as
// pairs, past fewValues keys (where they become a map) and back below it.
func TestMemoryValuesUpdateOfUnreadSession(t *testing.T) {
	ctx := t.Context()
	m := newTestMemory()
	id := testID(t)
	require.NoError(t, m.Create(ctx, id, testRecord(nil)))
	want := map[string]any{}
	for i := range fewValues + 2 {
		k := fmt.Sprint("k", i)
		require.NoError(t, m.Update(ctx, id, map[string]any{k: i, "gone": nil}))
		want[k] = i
	}
	require.NoError(t, m.Update(ctx, id, map[string]any{"k0": "new", "k1": nil}))
	want["k0"] = "new"
	delete(want, "k1")
	rec, found, err := m.Load(ctx, id, testBase, false)
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, want, rec.Values)
}

// TestExpiryHeapAllocatesNothing pins that filing and popping a deadline,
// which a sweep does under a shard's write lock, allocates nothing once
// the heap has room: container/heap boxed every item in an interface.
func TestExpiryHeapAllocatesNothing(t *testing.T) {
	h := make(expiryHeap, 0, 16)
	e := &memoryEntry{}
	allocs := testing.AllocsPerRun(100, func() {
		h.file(e, testBase, 0)
		if _, ok := h.popDue(testBase); !ok {
			panic("the deadline filed is not due")
		}
	})
	assert.Zero(t, allocs)
}
