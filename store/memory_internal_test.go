package store

import (
	"crypto/rand"
	"encoding/base64"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testBase is a fixed clock for the memory tests: the memory store reads no
// clock of its own.
var testBase = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func testID(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 32)
	_, err := rand.Read(b)
	require.NoError(tb, err)
	return base64.RawURLEncoding.EncodeToString(b)
}

func testIDs(tb testing.TB, n int) []string {
	tb.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = testID(tb)
	}
	return ids
}

// testRecord returns a session accessed at testBase that expires after 30
// idle minutes.
func testRecord(values map[string]any) Record {
	return Record{Values: values, Created: testBase, Accessed: testBase, Idle: 30 * time.Minute}
}

// newTestMemory returns NewMemory's store as its own type, for the tests
// that look inside it.
func newTestMemory(opts ...MemoryOption) *memory { return NewMemory(opts...).(*memory) }

// TestMemoryIsInProcess pins how the manager recognises the memory store,
// whose type is unexported: by this method, which spares each of its writes
// a detached, bounded context.
func TestMemoryIsInProcess(t *testing.T) {
	s, ok := NewMemory().(interface{ InProcess() bool })
	require.True(t, ok, "the memory store has no InProcess method")
	assert.True(t, s.InProcess())
}

// TestMemoryKeepsGoValues pins what NewMemory's documentation says: values
// are kept as set, without encoding, so any Go value round-trips.
func TestMemoryKeepsGoValues(t *testing.T) {
	ctx := t.Context()
	m := newTestMemory()
	type unexported struct{ n int }
	ch := make(chan int)
	values := map[string]any{"unexported": unexported{n: 1}, "chan": ch, "bytes": []byte("raw")}

	id := testID(t)
	require.NoError(t, m.Create(ctx, id, testRecord(values)))
	rec, found, err := m.Load(ctx, id, testBase, false)
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, values, rec.Values)
	_, isChecker := any(m).(ValueChecker)
	assert.False(t, isChecker, "the memory store refuses no value")
}

// idsInTwoShards returns an ID of some shard and one of another shard.
func idsInTwoShards(t *testing.T, m *memory) (a, b string) {
	t.Helper()
	a = testID(t)
	for {
		b = testID(t)
		if m.shardIndex(b) != m.shardIndex(a) {
			return a, b
		}
	}
}

// TestMemoryLoadDuringSweepOfAnotherShard holds one shard's write lock, as a
// sweep of that shard does, and loads a session of another shard: the load
// must not wait for it.
func TestMemoryLoadDuringSweepOfAnotherShard(t *testing.T) {
	ctx := t.Context()
	m := newTestMemory()
	swept, loaded := idsInTwoShards(t, m)
	rec := Record{Created: testBase, Accessed: testBase, Idle: time.Minute}
	require.NoError(t, m.Create(ctx, swept, rec))
	require.NoError(t, m.Create(ctx, loaded, rec))

	s := m.shard(swept)
	s.mu.Lock()
	defer s.mu.Unlock()
	done := make(chan error, 1)
	go func() {
		_, found, err := m.Load(ctx, loaded, testBase, true)
		if err == nil && !found {
			err = ErrNotFound
		}
		done <- err
	}()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Load waited for the lock of another shard")
	}
}

func TestExpiryHeap(t *testing.T) {
	var h expiryHeap
	h.file(&memoryEntry{}, time.Time{}, 0)
	sessionsByID := map[string]*memoryEntry{}
	idOf := map[*memoryEntry]string{}
	for _, id := range []string{"a", "b", "c", "d"} {
		sessionsByID[id] = &memoryEntry{}
		idOf[sessionsByID[id]] = id
	}
	assert.Zero(t, h.Len(), "a session without a deadline is not filed")

	for _, c := range []struct {
		id  string
		due time.Duration
	}{{"c", 3 * time.Minute}, {"a", time.Minute}, {"d", 4 * time.Minute}, {"b", 2 * time.Minute}} {
		h.file(sessionsByID[c.id], testBase.Add(c.due), 0)
	}
	_, ok := h.popDue(testBase)
	assert.False(t, ok, "nothing is due before the first deadline")

	var got []string
	for {
		item, ok := h.popDue(testBase.Add(3 * time.Minute)) // a deadline equal to now is due
		if !ok {
			break
		}
		got = append(got, idOf[item.e])
	}
	assert.Equal(t, []string{"a", "b", "c"}, got)
	assert.Equal(t, 1, h.Len())
}

// TestMemoryDeletedSessionsLeaveTheHeap churns sessions with a distant
// deadline: those deleted or renewed away must not stay filed until their
// deadline, or a busy store grows without bound between sweeps.
func TestMemoryDeletedSessionsLeaveTheHeap(t *testing.T) {
	const live, churned = 100, 20_000
	ctx := t.Context()
	m := newTestMemory()
	rec := Record{Created: testBase, Accessed: testBase, Expires: testBase.Add(30 * 24 * time.Hour)}
	for range live {
		require.NoError(t, m.Create(ctx, testID(t), rec))
	}
	for i := range churned {
		id := testID(t)
		require.NoError(t, m.Create(ctx, id, rec))
		if i%2 == 0 {
			_, deleted, err := m.Delete(ctx, id)
			require.NoError(t, err)
			require.True(t, deleted)
			continue
		}
		renewed := testID(t)
		require.NoError(t, m.Renew(ctx, id, renewed, testBase))
		_, deleted, err := m.Delete(ctx, renewed)
		require.NoError(t, err)
		require.True(t, deleted)
	}

	filed := 0
	for i := range m.shards {
		filed += m.shards[i].due.Len()
	}
	assert.LessOrEqual(t, filed, 4*live+shardCount*(minStaleToCompact+1),
		"filed deadlines after %d deletes, with %d sessions left", churned, live)
}

// tombstones counts the entries Renew left under former IDs.
func (m *memory) tombstones() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.RLock()
		for _, e := range s.all() {
			if e.renewed {
				n++
			}
		}
		s.mu.RUnlock()
	}
	return n
}

// TestMemoryTombstonesNeverOutnumberSessions: what Renew leaves under an old
// ID (so that a late Update learns of the renewal) is bounded by
// maxFormerIDs per live session, however often one session renews, and goes
// when it ends.
func TestMemoryTombstonesNeverOutnumberSessions(t *testing.T) {
	ctx := t.Context()
	m := newTestMemory()
	rec := Record{Created: testBase, Accessed: testBase, Expires: testBase.Add(30 * 24 * time.Hour)}
	id := testID(t)
	require.NoError(t, m.Create(ctx, id, rec))
	former := id
	for range 1_000 {
		next := testID(t)
		require.NoError(t, m.Renew(ctx, id, next, testBase))
		former, id = id, next
	}
	assert.Equal(t, maxFormerIDs, m.tombstones(), "tombstones after 1,000 renewals of one session")
	assert.ErrorIs(t, m.Update(ctx, former, map[string]any{"k": "v"}), ErrRenewed, "Update of the latest former ID")

	_, deleted, err := m.Delete(ctx, id)
	require.NoError(t, err)
	require.True(t, deleted)
	assert.Equal(t, 0, m.tombstones(), "tombstones once the session ended")
	assert.ErrorIs(t, m.Update(ctx, former, map[string]any{"k": "v"}), ErrNotFound, "Update of a former ID of an ended session")

	swept := testID(t)
	require.NoError(t, m.Create(ctx, swept, rec))
	renewed := testID(t)
	require.NoError(t, m.Renew(ctx, swept, renewed, testBase))
	out, err := m.Sweep(ctx, rec.Expires, 10)
	require.NoError(t, err)
	require.Len(t, out, 1)
	assert.Equal(t, 0, m.tombstones(), "tombstones once the sweep took the session")
}
