package store_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/storetest"
)

func TestMemoryConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) store.Store { return store.NewMemory() })
}

// base is a fixed clock for the memory tests: the memory store reads no
// clock of its own.
var base = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func newID(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 32)
	_, err := rand.Read(b)
	require.NoError(tb, err)
	return base64.RawURLEncoding.EncodeToString(b)
}

func newIDs(tb testing.TB, n int) []string {
	tb.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = newID(tb)
	}
	return ids
}

// record returns a session accessed at base that expires after 30 idle
// minutes.
func record(values map[string]any) store.Record {
	return store.Record{Values: values, Created: base, Accessed: base, Idle: 30 * time.Minute}
}

// TestMemoryCountConcurrent drives every method that changes the count from
// many goroutines at once; the O(1) counter must end equal to what is left.
func TestMemoryCountConcurrent(t *testing.T) {
	const workers, perWorker = 16, 60
	ctx := t.Context()
	m := store.NewMemory()
	t.Cleanup(func() { assert.NoError(t, m.Close()) })

	ids := make([][]string, workers)
	targets := make([][]string, workers)
	for w := range workers {
		ids[w], targets[w] = newIDs(t, perWorker), newIDs(t, perWorker)
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i, id := range ids[w] {
				rec := record(nil)
				switch i % 6 {
				case 0, 3:
					rec.Idle = 0 // never expires
				case 4, 5:
					rec.Idle = 5 * time.Minute // due for the sweeps below
				}
				assert.NoError(t, m.Create(ctx, id, rec))
				if rec.Idle == 0 { // other workers' sweeps may free the rest
					assert.ErrorIs(t, m.Create(ctx, id, rec), store.ErrExists)
				}
			}
			for i, id := range ids[w] {
				switch i % 6 {
				case 1:
					_, deleted, err := m.Delete(ctx, id)
					assert.NoError(t, err)
					assert.True(t, deleted)
				case 2:
					assert.NoError(t, m.Renew(ctx, id, targets[w][i], base))
					assert.ErrorIs(t, m.Renew(ctx, id, targets[w][i], base), store.ErrRenewed)
				case 3:
					_, found, err := m.Load(ctx, id, base.Add(time.Minute), true)
					assert.NoError(t, err)
					assert.True(t, found)
					_, deleted, err := m.Delete(ctx, id)
					assert.NoError(t, err)
					assert.True(t, deleted)
					_, deleted, err = m.Delete(ctx, id)
					assert.NoError(t, err)
					assert.False(t, deleted)
				}
			}
			// Sweeps of other workers run while this one works.
			_, err := m.Sweep(ctx, base.Add(10*time.Minute), 5)
			assert.NoError(t, err)
		})
	}
	wg.Wait()

	for {
		batch, err := m.Sweep(ctx, base.Add(time.Hour), 50)
		require.NoError(t, err)
		if len(batch) == 0 {
			break
		}
	}
	// Left: the sessions that never expire and were not deleted (i%6 == 0).
	// The others were deleted, or expired (renewed ones too) and swept.
	n, err := m.Count(ctx)
	require.NoError(t, err)
	assert.Equal(t, workers*perWorker/6, n)
}

// TestMemoryClosed checks that every method refuses to work after Close.
func TestMemoryClosed(t *testing.T) {
	ctx := t.Context()
	m := store.NewMemory()
	id := newID(t)
	require.NoError(t, m.Create(ctx, id, record(nil)))
	require.NoError(t, m.Close())
	require.NoError(t, m.Close(), "second Close")

	_, _, err := m.Load(ctx, id, base, true)
	assert.ErrorIs(t, err, store.ErrClosed, "Load")
	assert.ErrorIs(t, m.Create(ctx, newID(t), record(nil)), store.ErrClosed, "Create")
	assert.ErrorIs(t, m.Update(ctx, id, map[string]any{"k": "v"}), store.ErrClosed, "Update")
	_, _, err = m.Delete(ctx, id)
	assert.ErrorIs(t, err, store.ErrClosed, "Delete")
	assert.ErrorIs(t, m.Renew(ctx, id, newID(t), base), store.ErrClosed, "Renew")
	_, err = m.Count(ctx)
	assert.ErrorIs(t, err, store.ErrClosed, "Count")
	_, err = m.Sweep(ctx, base.Add(time.Hour), 10)
	assert.ErrorIs(t, err, store.ErrClosed, "Sweep")
}

// TestMemoryKeepsGoValues pins what the type's documentation says: values
// are kept as set, without encoding, so any Go value round-trips.
func TestMemoryKeepsGoValues(t *testing.T) {
	ctx := t.Context()
	m := store.NewMemory()
	t.Cleanup(func() { assert.NoError(t, m.Close()) })
	type unexported struct{ n int }
	ch := make(chan int)
	values := map[string]any{"unexported": unexported{n: 1}, "chan": ch, "bytes": []byte("raw")}

	id := newID(t)
	require.NoError(t, m.Create(ctx, id, record(values)))
	rec, found, err := m.Load(ctx, id, base, false)
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, values, rec.Values)
	_, isChecker := any(m).(store.ValueChecker)
	assert.False(t, isChecker, "Memory refuses no value")
}

// TestMemoryIsInProcess pins how the manager recognises the memory store,
// whose type is unexported: by this method, which spares each of its writes
// a detached, bounded context.
func TestMemoryIsInProcess(t *testing.T) {
	m := store.NewMemory()
	t.Cleanup(func() { assert.NoError(t, m.Close()) })
	s, ok := m.(interface{ InProcess() bool })
	require.True(t, ok, "the memory store has no InProcess method")
	assert.True(t, s.InProcess())
}

func benchStore(b *testing.B, n int, rec store.Record) (store.Store, []string) {
	b.Helper()
	m := store.NewMemory()
	b.Cleanup(func() { _ = m.Close() })
	ids := newIDs(b, n)
	for _, id := range ids {
		if err := m.Create(b.Context(), id, rec); err != nil {
			b.Fatal(err)
		}
	}
	return m, ids
}

func BenchmarkMemoryLoad(b *testing.B) {
	m, ids := benchStore(b, 10_000, record(map[string]any{"user": "ada"}))
	var next atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		i := next.Add(7919) // each goroutine starts elsewhere
		for pb.Next() {
			i++
			now := base.Add(time.Duration(i%1000) * time.Millisecond)
			if _, found, err := m.Load(ctx, ids[i%uint64(len(ids))], now, true); err != nil || !found {
				b.Fatal("Load:", found, err)
			}
		}
	})
}

func BenchmarkMemoryUpdate(b *testing.B) {
	values := map[string]any{}
	for k := range 8 {
		values[fmt.Sprint("key", k)] = k
	}
	m, ids := benchStore(b, 1024, record(values))
	var next atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		i := next.Add(7919)
		for pb.Next() {
			i++
			changes := map[string]any{"key3": int(i)}
			if err := m.Update(ctx, ids[i%uint64(len(ids))], changes); err != nil {
				b.Fatal("Update:", err)
			}
		}
	})
}

func BenchmarkMemoryCreateDelete(b *testing.B) {
	m := store.NewMemory()
	b.Cleanup(func() { _ = m.Close() })
	ctx := b.Context()
	ids := newIDs(b, 1024)
	rec := record(map[string]any{"user": "ada"})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		id := ids[i%len(ids)]
		if err := m.Create(ctx, id, rec); err != nil {
			b.Fatal("Create:", err)
		}
		if _, deleted, err := m.Delete(ctx, id); err != nil || !deleted {
			b.Fatal("Delete:", deleted, err)
		}
	}
}

// BenchmarkMemorySweep measures a sweep that finds batches of expired
// sessions among as many live ones; each op claims one batch.
func BenchmarkMemorySweep(b *testing.B) {
	const batch = 100
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		m, _ := benchStore(b, batch, record(nil))
		live := record(nil)
		live.Accessed = base.Add(time.Hour)
		for range batch {
			if err := m.Create(ctx, newID(b), live); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		out, err := m.Sweep(ctx, base.Add(time.Hour), batch)
		if err != nil || len(out) != batch {
			b.Fatal("Sweep:", len(out), err)
		}
	}
}
