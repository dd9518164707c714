package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

func benchStore(b *testing.B, n int, rec Record) (*memory, []string) {
	b.Helper()
	m := newTestMemory()
	b.Cleanup(func() { _ = m.Close() })
	ids := testIDs(b, n)
	for _, id := range ids {
		if err := m.Create(b.Context(), id, rec); err != nil {
			b.Fatal(err)
		}
	}
	return m, ids
}

func BenchmarkMemoryLoad(b *testing.B) {
	m, ids := benchStore(b, 10_000, testRecord(map[string]any{"user": "ada"}))
	var next atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		i := next.Add(7919) // each goroutine starts elsewhere
		for pb.Next() {
			i++
			now := testBase.Add(time.Duration(i%1000) * time.Millisecond)
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
	m, ids := benchStore(b, 1024, testRecord(values))
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
	m := newTestMemory()
	b.Cleanup(func() { _ = m.Close() })
	ctx := b.Context()
	ids := testIDs(b, 1024)
	rec := testRecord(map[string]any{"user": "ada"})
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
		m, _ := benchStore(b, batch, testRecord(nil))
		live := testRecord(nil)
		live.Accessed = testBase.Add(time.Hour)
		for range batch {
			if err := m.Create(ctx, testID(b), live); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		out, err := m.Sweep(ctx, testBase.Add(time.Hour), batch)
		if err != nil || len(out) != batch {
			b.Fatal("Sweep:", len(out), err)
		}
	}
}
