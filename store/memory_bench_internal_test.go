package store

import (
	"context"
	"fmt"
	"runtime"
	"slices"
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

// BenchmarkMemorySweepLockHold sweeps a million expired sessions (20,000
// with -short) and times every hold of a shard's write lock: each claimDue
// call, which takes the lock on entry and lets go on return, as sweepSteps
// makes them. It reports the longest hold, the 99th percentile and the
// mean, twice: by the wall clock, which on a loaded machine counts whole a
// hold that was descheduled, and by the CPU time of the sweeping thread
// (Linux only), which is the work done under the lock whatever else runs.
func BenchmarkMemorySweepLockHold(b *testing.B) {
	n := 1_000_000
	if testing.Short() {
		n = 20_000
	}
	const batch = 256 // the manager's sweep batch
	ctx := b.Context()
	now := testBase.Add(time.Hour) // past every session's 30-minute idle time
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var walls, cpus []time.Duration
	b.StopTimer()
	for range b.N {
		m := newTestMemory()
		rec := testRecord(map[string]any{"key": "login"})
		for _, id := range testIDs(b, n) {
			if err := m.Create(ctx, id, rec); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC() // the setup's garbage is not the sweep's
		b.StartTimer()
		swept := 0
		var claimed []claimedEntry
		for i := range shardCount {
			s := &m.shards[i]
			for {
				cpu0, cpuOK := threadCPU()
				start := time.Now()
				var done bool
				claimed, _, done = m.claimDue(s, now, batch, sweepStepsPerLock, claimed[:0])
				walls = append(walls, time.Since(start))
				if cpu1, ok := threadCPU(); cpuOK && ok {
					cpus = append(cpus, time.Duration(cpu1-cpu0))
				}
				swept += len(claimed)
				if done && len(claimed) < batch {
					break
				}
			}
		}
		b.StopTimer()
		if swept != n {
			b.Fatalf("swept %d sessions of %d", swept, n)
		}
		_ = m.Close()
	}
	reportHolds(b, walls, "")
	if len(cpus) > 0 {
		reportHolds(b, cpus, "cpu-")
	}
}

// reportHolds reports the longest, 99th percentile and mean of holds in
// microseconds, each metric's name starting with prefix.
func reportHolds(b *testing.B, holds []time.Duration, prefix string) {
	slices.Sort(holds)
	var total time.Duration
	for _, h := range holds {
		total += h
	}
	b.ReportMetric(float64(holds[len(holds)-1].Microseconds()), prefix+"max-hold-µs")
	b.ReportMetric(float64(holds[len(holds)*99/100].Microseconds()), prefix+"p99-hold-µs")
	b.ReportMetric(float64(total.Microseconds())/float64(len(holds)), prefix+"mean-hold-µs")
}
