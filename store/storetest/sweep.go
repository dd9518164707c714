package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/store"
)

// assertSwept checks that got holds each record of want (by session ID)
// exactly once and nothing else. A swept record is known by its masked ID,
// since a store may keep only the fingerprint of the ID.
func assertSwept(t *testing.T, want map[string]store.Record, got []store.Entry) {
	t.Helper()
	byMask := make(map[string]string, len(want))
	for id := range want {
		byMask[store.MaskedID(id)] = id
	}
	seen := make(map[string]bool, len(got))
	for _, x := range got {
		id, ok := byMask[x.MaskedID]
		if !assert.Truef(t, ok, "Sweep returned %q, which it should not have", x.MaskedID) {
			continue
		}
		assert.Falsef(t, seen[id], "Sweep returned %q more than once", x.MaskedID)
		seen[id] = true
		if x.ID != "" {
			assert.Equal(t, id, x.ID, "Entry.ID does not match its MaskedID")
		}
		assertRecord(t, want[id], x.Record)
	}
	assert.Len(t, seen, len(want), "records swept")
}

func testSweep(t *testing.T, e *env) {
	idleID, absID, liveID := newID(t), newID(t), newID(t)
	idleRec := e.record(map[string]any{"k": "idle"})
	absRec := e.record(map[string]any{"k": "absolute"})
	absRec.Accessed = e.at(20 * time.Minute)
	absRec.Expires = e.at(idle) // due at the same moment, by the other deadline
	liveRec := e.record(map[string]any{"k": "live"})
	liveRec.Accessed = e.at(time.Minute)
	e.create(idleID, idleRec)
	e.create(absID, absRec)
	e.create(liveID, liveRec)

	assert.Empty(t, e.sweep(e.at(idle-time.Second), 10), "Sweep before any deadline")

	// A deadline equal to now has passed.
	swept := e.sweep(e.at(idle), 10)
	assertSwept(t, map[string]store.Record{idleID: idleRec, absID: absRec}, swept)
	assert.Empty(t, e.sweep(e.at(idle), 10), "second Sweep")

	for _, id := range []string{idleID, absID} {
		e.assertGone(id)
		_, deleted := e.delete(id)
		assert.False(t, deleted, "Delete after Sweep")
	}
	assertRecord(t, liveRec, e.mustLoad(liveID, e.at(idle)))
	assert.Equal(t, 1, e.count(), "Count")
}

func testSweepLimit(t *testing.T, e *env) {
	const n = 10
	want := make(map[string]store.Record, n)
	for i := range n {
		id, rec := newID(t), e.record(map[string]any{"i": i})
		e.create(id, rec)
		want[id] = rec
	}

	now := e.at(idle)
	var got []store.Entry
	for _, limit := range []int{4, 1} {
		batch := e.sweep(now, limit) // fails above limit
		assert.NotEmpty(t, batch, "Sweep(limit=%d) with %d records due", limit, n-len(got))
		got = append(got, batch...)
	}
	assert.Equal(t, n-len(got), e.count(), "Count after limited sweeps")
	got = append(got, e.drain(now, 3)...)
	assertSwept(t, want, got)
	assert.Equal(t, 0, e.count(), "Count")
}

func testSweepLeavesLive(t *testing.T, e *env) {
	noDeadline := store.Record{Created: e.base, Accessed: e.base, Values: map[string]any{"k": "none"}}
	longIdle := e.record(map[string]any{"k": "long idle"})
	longIdle.Idle = 3 * time.Hour
	longIdle.Expires = time.Time{}
	absOnly := e.record(map[string]any{"k": "absolute only"})
	absOnly.Idle = 0
	absOnly.Expires = e.at(3 * time.Hour)
	live := map[string]store.Record{newID(t): noDeadline, newID(t): longIdle, newID(t): absOnly}
	for id, rec := range live {
		e.create(id, rec)
	}
	expiredID, expiredRec := newID(t), e.record(map[string]any{"k": "expired"})
	e.create(expiredID, expiredRec)

	now := e.at(2 * time.Hour)
	assertSwept(t, map[string]store.Record{expiredID: expiredRec}, e.drain(now, 100))
	for id, rec := range live {
		got := e.mustLoad(id, now)
		assertRecord(t, rec, got)
		assert.False(t, got.ExpiredAt(now), "live record expired")
	}
	assert.Equal(t, len(live), e.count(), "Count")
}

// testSweepAfterTouch checks that a Sweep reads the idle deadline as a
// touching Load left it, not as it was when the record was created.
func testSweepAfterTouch(t *testing.T, e *env) {
	id := newID(t)
	rec := e.record(map[string]any{"k": "v"})
	e.create(id, rec)

	touched := e.at(20 * time.Minute)
	assert.Empty(t, e.sweep(touched, 10), "Sweep before the deadline")
	_, found := e.load(id, touched, true)
	require.True(t, found, "touching Load")

	// Past the deadline the record had when it was created.
	assert.Empty(t, e.sweep(e.at(idle+10*time.Minute), 10), "Sweep before the slid deadline")
	got := e.mustLoad(id, e.at(idle+10*time.Minute))
	assert.False(t, got.ExpiredAt(e.at(idle+10*time.Minute)), "record expired before its slid deadline")

	want := rec
	want.Accessed = touched
	assertSwept(t, map[string]store.Record{id: want}, e.sweep(touched.Add(idle), 10))
	assert.Equal(t, 0, e.count(), "Count")
}

func testSweepAndDeleteClaimOnce(t *testing.T, e *env) {
	deletedFirst, recD := e.add(map[string]any{"k": "deleted first"})
	sweptFirst, recS := e.add(map[string]any{"k": "swept first"})

	got, deleted := e.delete(deletedFirst)
	require.True(t, deleted, "Delete of an expired record")
	assertRecord(t, recD, got)

	assertSwept(t, map[string]store.Record{sweptFirst: recS}, e.drain(e.at(idle), 10))
	_, deleted = e.delete(sweptFirst)
	assert.False(t, deleted, "Delete of a swept record")
	assert.Equal(t, 0, e.count(), "Count")
}

// testConcurrentSweep runs sweepers with small limits at once: each expired
// record comes back from exactly one of them.
func testConcurrentSweep(t *testing.T, e *env) {
	const (
		expired  = 200
		live     = 20
		sweepers = 8
		limit    = 3
	)
	want := make(map[string]store.Record, expired)
	for i := range expired {
		id, rec := newID(t), e.record(map[string]any{"i": fmt.Sprint(i)})
		if i%2 == 1 {
			rec.Accessed = e.at(lifetime - 15*time.Minute) // due by the absolute deadline
		}
		e.create(id, rec)
		want[id] = rec
	}
	liveIDs := newIDs(t, live)
	for _, id := range liveIDs {
		rec := e.record(nil)
		rec.Accessed = e.at(lifetime - 10*time.Minute)
		rec.Expires = e.at(2 * lifetime)
		e.create(id, rec)
	}

	now := e.at(lifetime)
	batches := make([][]store.Entry, sweepers)
	errs := make([]error, sweepers)
	together(sweepers, func(i int) {
		for range 10 * expired {
			batch, err := e.s.Sweep(e.ctx, now, limit)
			if err != nil {
				errs[i] = err
				return
			}
			assert.LessOrEqual(t, len(batch), limit, "Sweep returned more than its limit")
			batches[i] = append(batches[i], batch...)
			// Fewer than limit means none were left when it looked, even
			// while others sweep: the manager's sweeper stops there.
			if len(batch) < limit {
				return
			}
		}
	})

	var got []store.Entry
	for i, batch := range batches {
		require.NoError(t, errs[i], "Sweep")
		got = append(got, batch...)
	}
	got = append(got, e.drain(now, limit)...)
	assertSwept(t, want, got)
	assert.Equal(t, live, e.count(), "Count")
	for _, id := range liveIDs {
		e.mustLoad(id, now)
	}
}
