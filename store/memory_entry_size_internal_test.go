package store

import (
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMemoryEntryFitsIn128Bytes pins the entry, ID and one value included,
// in the 128-byte size class: there is one per session. With Created and
// Expires as Unix seconds plus nanoseconds it took 8 more bytes than its
// fields needed; keeping its ID decoded costs 32 bytes where the caller's
// ID string cost a 48-byte allocation and a 16-byte header in each of the
// shard's map slot and heap filing; and one value inline costs 32 where a
// values object of its own cost 48.
func TestMemoryEntryFitsIn128Bytes(t *testing.T) {
	assert.LessOrEqual(t, unsafe.Sizeof(memoryEntry{}), uintptr(128), "memoryEntry left the 128-byte size class")
	assert.LessOrEqual(t, unsafe.Sizeof(dueItem{}), uintptr(24), "a filing in the expiry heap grew")
}

// TestMemoryFarTimesSurviveRareChanges: Created or Expires outside the
// years 1678 to 2262 live in the entry's rare part, which SetUser, Renew
// and SetExpires replace; each must carry them over, or a session bound to
// a user after it was made with a 250-year Expires would lose its deadline.
func TestMemoryFarTimesSurviveRareChanges(t *testing.T) {
	ctx := t.Context()
	created := time.Date(1500, 6, 1, 0, 0, 0, 1, time.UTC)
	far := time.Date(2300, 1, 1, 0, 0, 0, 7, time.UTC)
	near := testBase.Add(time.Hour)
	m := newTestMemory()
	id := testID(t)
	require.NoError(t, m.Create(ctx, id, Record{Created: created, Accessed: testBase, Expires: far}))
	check := func(step string, expires time.Time) {
		t.Helper()
		rec, found, err := m.Load(ctx, id, testBase, false)
		require.NoError(t, err)
		require.True(t, found, step)
		assert.True(t, rec.Created.Equal(created), "%s: Created %v", step, rec.Created)
		assert.True(t, rec.Expires.Equal(expires), "%s: Expires %v, want %v", step, rec.Expires, expires)
	}
	check("created", far)
	require.NoError(t, m.SetUser(ctx, id, "alice"))
	check("bound", far)
	renewed := testID(t)
	require.NoError(t, m.Renew(ctx, id, renewed, testBase))
	id = renewed
	check("renewed", far)
	require.NoError(t, m.SetExpires(ctx, id, near))
	check("expires near", near)
	require.NoError(t, m.SetUser(ctx, id, ""))
	check("unbound", near)
	require.NoError(t, m.SetExpires(ctx, id, far))
	check("expires far again", far)
}

// entryOf returns the entry of id (a session or a tombstone), or nil.
func (m *memory) entryOf(id string) *memoryEntry {
	return m.shard(id).lookup(m.parse(id))
}

// TestMemoryIdleSessionHeapWithItsID pins what an idle session holding one
// short string costs the heap, its ID included this time (the caller's
// string is garbage once Create returned): at most 200 bytes. It was about
// 285 at this count while the store kept the caller's ID string as its map
// key, a separate entry and values object, and filings of 32 bytes.
func TestMemoryIdleSessionHeapWithItsID(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 100,000 sessions")
	}
	const n = 100_000
	const budget = 200 // bytes a session, ID included
	ctx := t.Context()
	m := newTestMemory()
	before := liveHeapBytes()
	for range n {
		// A fresh ID and map per session, as the manager hands the store.
		require.NoError(t, m.Create(ctx, testID(t), testRecord(map[string]any{"key": "login"})))
	}
	perSession := float64(int64(liveHeapBytes())-int64(before)) / n
	runtime.KeepAlive(m)
	t.Logf("%.0f bytes a session", perSession)
	assert.LessOrEqual(t, perSession, float64(budget), "live heap per idle session, ID included")
}
