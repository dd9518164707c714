package storetest

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/store"
)

// goroutines is how many callers the concurrency subtests run at once.
const goroutines = 32

func testConcurrentRenew(t *testing.T, e *env) {
	oldID := newID(t)
	rec := e.record(map[string]any{"user": "ada"})
	e.create(oldID, rec)

	targets := newIDs(t, goroutines)
	errs := make([]error, goroutines)
	now := e.at(time.Minute)
	together(goroutines, func(i int) {
		errs[i] = e.s.Renew(e.ctx, oldID, targets[i], now)
	})

	winner := -1
	for i, err := range errs {
		if err == nil {
			assert.Equal(t, -1, winner, "Renew: callers %d and %d both won", winner, i)
			winner = i
			continue
		}
		if !errors.Is(err, store.ErrRenewed) {
			assert.ErrorIs(t, err, store.ErrNotFound, "Renew that lost the race")
		}
	}
	require.NotEqual(t, -1, winner, "Renew: no caller won")

	want := rec
	want.Accessed = now
	assertRecord(t, want, e.mustLoad(targets[winner], now))
	for i, id := range targets {
		if i != winner {
			e.assertGone(id)
		}
	}
	e.assertGone(oldID)
	assert.Equal(t, 1, e.count(), "Count")
}

// testConcurrentRenewAndUpdate: an Update racing a Renew of the same ID
// either lands before the renewal (the renewed record has its value) or
// fails with ErrRenewed (it has not): never lost with success, never
// reported as a session that ended, never written into the renewed record.
func testConcurrentRenewAndUpdate(t *testing.T, e *env) {
	for round := range 20 {
		oldID, renewed := newID(t), newID(t)
		e.create(oldID, e.record(map[string]any{"user": "ada"}))
		var updateErr, renewErr error
		together(2, func(i int) {
			if i == 0 {
				updateErr = e.s.Update(e.ctx, oldID, map[string]any{"role": "admin"})
			} else {
				renewErr = e.s.Renew(e.ctx, oldID, renewed, e.at(time.Minute))
			}
		})
		require.NoError(t, renewErr, "round %d: Renew", round)
		got := e.mustLoad(renewed, e.at(time.Minute))
		switch {
		case updateErr == nil:
			assert.Equal(t, "admin", got.Values["role"], "round %d: an Update that succeeded is in the renewed record", round)
		case errors.Is(updateErr, store.ErrRenewed):
			assert.NotContains(t, got.Values, "role", "round %d: an Update refused with ErrRenewed reached the renewed record", round)
		default:
			assert.Failf(t, "Update racing Renew", "round %d: got %v, want nil or ErrRenewed", round, updateErr)
		}
	}
}

func testConcurrentUpdate(t *testing.T, e *env) {
	const keysEach = 4
	id := newID(t)
	rec := e.record(map[string]any{"kept": "before"})
	e.create(id, rec)

	errs := make([]error, goroutines*keysEach)
	together(goroutines, func(i int) {
		for k := range keysEach {
			key := fmt.Sprintf("g%d.k%d", i, k)
			errs[i*keysEach+k] = e.s.Update(e.ctx, id, map[string]any{key: key})
		}
	})
	for _, err := range errs {
		require.NoError(t, err, "Update")
	}

	want := map[string]any{"kept": "before"}
	for i := range goroutines {
		for k := range keysEach {
			key := fmt.Sprintf("g%d.k%d", i, k)
			want[key] = key
		}
	}
	assertValues(t, want, e.mustLoad(id, e.base).Values)
}

func testConcurrentDelete(t *testing.T, e *env) {
	id := newID(t)
	rec := e.record(map[string]any{"k": "v"})
	e.create(id, rec)

	recs := make([]store.Record, goroutines)
	deleted := make([]bool, goroutines)
	errs := make([]error, goroutines)
	together(goroutines, func(i int) {
		recs[i], deleted[i], errs[i] = e.s.Delete(e.ctx, id)
	})

	winners := 0
	for i := range goroutines {
		require.NoError(t, errs[i], "Delete")
		if deleted[i] {
			winners++
			assertRecord(t, rec, recs[i])
		}
	}
	assert.Equal(t, 1, winners, "Deletes that returned deleted == true")
	e.assertGone(id)
	assert.Equal(t, 0, e.count(), "Count")
}

// testConcurrentDeleteAndUpdate races writers against a Delete: once the
// session is deleted, no late write brings it back.
func testConcurrentDeleteAndUpdate(t *testing.T, e *env) {
	const writesEach = 20
	id := newID(t)
	e.create(id, e.record(map[string]any{"k": "v"}))

	var deletes atomic.Int32
	errs := make([]error, goroutines*writesEach)
	together(goroutines+1, func(i int) {
		if i == goroutines {
			_, deleted, err := e.s.Delete(e.ctx, id)
			assert.NoError(t, err, "Delete")
			if deleted {
				deletes.Add(1)
			}
			return
		}
		for w := range writesEach {
			key := fmt.Sprintf("g%d.w%d", i, w)
			errs[i*writesEach+w] = e.s.Update(e.ctx, id, map[string]any{key: w})
		}
	})

	require.Equal(t, int32(1), deletes.Load(), "Delete racing writers")
	for _, err := range errs {
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			require.NoError(t, err, "Update racing a Delete")
		}
	}
	e.assertGone(id)
	assert.Equal(t, 0, e.count(), "Count")
	assert.ErrorIs(t, e.s.Update(e.ctx, id, map[string]any{"late": "write"}), store.ErrNotFound,
		"Update after Delete")
	e.assertGone(id)
}

// testConcurrentCount drives every method that changes the count from many
// goroutines at once, sweeps of the others among them: once the sweeps have
// taken what expired, Count equals what is left.
func testConcurrentCount(t *testing.T, e *env) {
	const workers, perWorker = 16, 60 // perWorker: a multiple of the 6 roles below
	ids := make([][]string, workers)
	targets := make([][]string, workers)
	for w := range workers {
		ids[w], targets[w] = newIDs(t, perWorker), newIDs(t, perWorker)
	}
	together(workers, func(w int) {
		for i, id := range ids[w] {
			rec := e.record(nil)
			switch i % 6 {
			case 0, 3: // never expire
				rec.Idle, rec.Expires = 0, time.Time{}
			case 4, 5: // due for the sweeps below
				rec.Idle = 5 * time.Minute
			}
			assert.NoError(t, e.s.Create(e.ctx, id, rec), "Create")
			if rec.Idle == 0 { // other workers' sweeps may take the rest
				assert.ErrorIs(t, e.s.Create(e.ctx, id, rec), store.ErrExists, "Create on a taken ID")
			}
		}
		for i, id := range ids[w] {
			switch i % 6 {
			case 1:
				_, deleted, err := e.s.Delete(e.ctx, id)
				assert.NoError(t, err, "Delete")
				assert.True(t, deleted, "Delete")
			case 2:
				assert.NoError(t, e.s.Renew(e.ctx, id, targets[w][i], e.base), "Renew")
				assert.ErrorIs(t, e.s.Renew(e.ctx, id, targets[w][i], e.base), store.ErrRenewed, "second Renew")
			case 3:
				_, found, err := e.s.Load(e.ctx, id, e.at(time.Minute), true)
				assert.NoError(t, err, "Load")
				assert.True(t, found, "Load")
				_, deleted, err := e.s.Delete(e.ctx, id)
				assert.NoError(t, err, "Delete")
				assert.True(t, deleted, "Delete")
				_, deleted, err = e.s.Delete(e.ctx, id)
				assert.NoError(t, err, "second Delete")
				assert.False(t, deleted, "second Delete")
			}
		}
		_, err := e.s.Sweep(e.ctx, e.at(10*time.Minute), 5)
		assert.NoError(t, err, "Sweep")
	})

	e.drain(e.at(time.Hour), 50)
	// Left: the sessions that never expire and were not deleted (i%6 == 0).
	// The others were deleted, or expired (renewed ones too) and swept.
	assert.Equal(t, workers*perWorker/6, e.count(), "Count")
}
