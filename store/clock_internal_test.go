package store

import (
	"math"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// timeLayout mirrors the fields of time.Time (wall, ext, loc), so that a test
// can build a reading that time.Now returns after the wall clock stepped but
// that the time package offers no way to make.
type timeLayout struct {
	wall uint64
	ext  int64
	loc  *time.Location
}

// stepped returns t with its wall reading moved by step and its monotonic
// reading kept: what time.Now returns at the same instant as t once the
// wall clock has been stepped by step (an NTP step, a resumed VM or laptop).
func stepped(t *testing.T, at time.Time, step time.Duration) time.Time {
	t.Helper()
	require.Equal(t, unsafe.Sizeof(timeLayout{}), unsafe.Sizeof(time.Time{}), "time.Time changed layout")
	require.False(t, at == at.Round(0), "stepped needs a time with a monotonic reading")
	moved := at.Add(step) // moves both readings
	(*timeLayout)(unsafe.Pointer(&moved)).ext -= int64(step)
	require.Equal(t, step, moved.Round(0).Sub(at.Round(0)), "wall reading of the stepped time")
	require.Zero(t, moved.Sub(at), "monotonic reading of the stepped time")
	return moved
}

// sweepOrHang runs m.Sweep and fails the test, instead of hanging it, when
// the sweep does not return.
func sweepOrHang(t *testing.T, m *memory, now time.Time, limit int) []Entry {
	t.Helper()
	type result struct {
		out []Entry
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := m.Sweep(t.Context(), now, limit)
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		require.NoError(t, r.err, "Sweep")
		return r.out
	case <-time.After(10 * time.Second):
		t.Fatal("Sweep did not return: it spins on a deadline it never reaches")
		return nil
	}
}

// filedDeadlines returns the number of deadlines filed in all shards.
func filedDeadlines(m *memory) int {
	n := 0
	for i := range m.shards {
		m.shards[i].mu.Lock()
		n += m.shards[i].due.Len()
		m.shards[i].mu.Unlock()
	}
	return n
}

// steppedPastAbsolute stores a session whose deadline is its absolute one,
// as the manager makes it from time.Now, and returns a time read after the
// wall clock stepped forward past that deadline while the monotonic clock
// did not.
func steppedPastAbsolute(t *testing.T) (m *memory, id string, now time.Time) {
	t.Helper()
	m = newTestMemory()
	start := time.Now()
	rec := Record{Created: start, Accessed: start, Idle: time.Hour, Expires: start.Add(10 * time.Minute)}
	id = testID(t)
	require.NoError(t, m.Create(t.Context(), id, rec))
	return m, id, stepped(t, start, time.Hour)
}

// TestMemorySweepAfterWallClockStep sweeps a session at a time read after
// the wall clock stepped past its deadline (see steppedPastAbsolute).
// Comparing the deadline by the wall clock in the heap and by the monotonic
// one in ExpiredAt made the sweep pop and refile the session, holding the
// shard lock, until the monotonic deadline came.
func TestMemorySweepAfterWallClockStep(t *testing.T) {
	m, id, now := steppedPastAbsolute(t)
	swept := sweepOrHang(t, m, now, 10)

	// One clock: the wall clock says the absolute deadline passed, and
	// Sweep, Load and ExpiredAt all agree.
	require.Len(t, swept, 1, "the session whose wall-clock deadline passed")
	assert.Equal(t, id, swept[0].ID)
	assert.True(t, swept[0].Record.ExpiredAt(now), "ExpiredAt of the swept record")
	_, found, err := m.Load(t.Context(), id, now, true)
	require.NoError(t, err)
	assert.False(t, found, "Load after Sweep")
	assert.Zero(t, filedDeadlines(m), "filed deadlines left")
}

// TestMemoryLoadAfterWallClockStep checks that Load, Renew and Sweep judge
// a session by the same clock after a step: a session Load calls expired
// cannot be renewed, and Sweep takes it.
func TestMemoryLoadAfterWallClockStep(t *testing.T) {
	ctx := t.Context()
	m, id, now := steppedPastAbsolute(t)
	got, found, err := m.Load(ctx, id, now, true)
	require.NoError(t, err)
	require.True(t, found, "Load")
	assert.True(t, got.ExpiredAt(now), "ExpiredAt after the wall clock passed the deadline")
	assert.ErrorIs(t, m.Renew(ctx, id, testID(t), now), ErrNotFound, "Renew of a session expired by the wall clock")
	assert.Len(t, sweepOrHang(t, m, now, 10), 1, "Sweep")
}

// TestMemoryDeadlinePast2262 files deadlines that int64 Unix nanoseconds
// cannot hold (MaxAge of 250 years with no idle limit). Filed as wrapped
// nanoseconds, such a deadline was due at once and was refiled forever.
// Beyond the suite's FarDeadline, it checks the heap (each deadline is filed
// once, and a sweep before it returns) and a deadline near the end of
// time.Time.
func TestMemoryDeadlinePast2262(t *testing.T) {
	ctx := t.Context()
	const farAway = 250 * 365 * 24 * time.Hour
	for _, c := range []struct {
		name string
		rec  Record
	}{
		{"absolute", Record{Created: testBase, Accessed: testBase, Expires: testBase.Add(farAway)}},
		{"idle", Record{Created: testBase, Accessed: testBase, Idle: farAway}},
		{"largest idle", Record{Created: testBase, Accessed: testBase, Idle: math.MaxInt64}},
		{"latest time", Record{Created: testBase, Accessed: testBase, Expires: time.Unix(math.MaxInt64/2, 0)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			deadline := c.rec.Deadline()
			require.True(t, deadline.After(time.Date(2262, 12, 31, 0, 0, 0, 0, time.UTC)), "deadline %v", deadline)
			require.True(t, deadline.After(testBase), "Deadline overflowed to %v", deadline)
			m := newTestMemory()
			id := testID(t)
			require.NoError(t, m.Create(ctx, id, c.rec))

			for _, now := range []time.Time{testBase.Add(time.Hour), deadline.Add(-time.Second)} {
				assert.Empty(t, sweepOrHang(t, m, now, 10), "Sweep at %v", now)
				got, found, err := m.Load(ctx, id, now, false)
				require.NoError(t, err)
				require.True(t, found, "Load at %v", now)
				assert.False(t, got.ExpiredAt(now), "ExpiredAt(%v)", now)
			}
			assert.Equal(t, 1, filedDeadlines(m), "the deadline is filed once")
			assert.Len(t, sweepOrHang(t, m, deadline, 10), 1, "Sweep at the deadline")
		})
	}
}

// TestMemorySweepStepsPerLock fills one shard's heap with deadlines that
// are due but whose sessions are gone, ahead of one that expired: one hold
// of the shard's lock pops no more than its steps, and Sweep still gets
// through them all to the expired session.
func TestMemorySweepStepsPerLock(t *testing.T) {
	// steps is the hold's bound this test asks for; Sweep, with its own,
	// still needs several holds to get past the gone sessions' deadlines.
	const steps = 100
	const gone = 3 * max(sweepStepsPerLock, steps)
	ctx := t.Context()
	m := newTestMemory()
	id := testID(t)
	require.NoError(t, m.Create(ctx, id, Record{Created: testBase, Accessed: testBase, Idle: time.Minute}))
	s := m.shard(id)
	s.mu.Lock()
	for range gone {
		s.due.file(&memoryEntry{gone: true}, testBase, 0) // due before the session, deleted since
	}
	s.mu.Unlock()

	now := testBase.Add(time.Minute)
	var formerIDs []string
	out, popped, done := m.sweepSteps(s, now, 10, nil, steps, &formerIDs, nil)
	assert.Empty(t, out)
	assert.Equal(t, steps, popped, "deadlines popped in one hold of the lock")
	assert.False(t, done, "done with deadlines still due")
	assert.Equal(t, gone+1-steps, filedDeadlines(m))

	swept := sweepOrHang(t, m, now, 10)
	require.Len(t, swept, 1)
	assert.Equal(t, id, swept[0].ID)
	assert.Zero(t, filedDeadlines(m))
}
