package store

import (
	"testing"
	"time"

	"github.com/sessionkit/session/internal/sweephold"
)

// TestSweepReportsEveryLockHold checks that a benchmark observing the
// sweep's lock holds (internal/sweephold) sees each of them: as many as the
// sweep's holds of a shard's write lock, each no shorter than zero.
func TestSweepReportsEveryLockHold(t *testing.T) {
	const n = 3 * sweepStepsPerLock
	m := newTestMemory()
	t.Cleanup(func() { _ = m.Close() })
	for _, id := range testIDs(t, n) {
		if err := m.Create(t.Context(), id, testRecord(nil)); err != nil {
			t.Fatal(err)
		}
	}
	var holds int
	stop := sweephold.Observe(func(held time.Duration) {
		if held < 0 {
			t.Errorf("a hold took %v", held)
		}
		holds++
	})
	defer stop()
	out, err := m.Sweep(t.Context(), testBase.Add(time.Hour), n)
	if err != nil || len(out) != n {
		t.Fatalf("Sweep = %d entries, %v; want %d", len(out), err, n)
	}
	stop()
	// Every shard that holds a due session is locked at least once, and n
	// sessions take at least n/sweepStepsPerLock holds.
	if holds < n/sweepStepsPerLock {
		t.Errorf("observed %d holds; want at least %d", holds, n/sweepStepsPerLock)
	}
	before := holds
	if _, err := m.Sweep(t.Context(), testBase.Add(time.Hour), n); err != nil {
		t.Fatal(err)
	}
	if holds != before {
		t.Errorf("observed %d holds after the observer stopped", holds-before)
	}
}
