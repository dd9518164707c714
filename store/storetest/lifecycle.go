package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/store"
)

func testCreateLoad(t *testing.T, e *env) {
	id := newID(t)
	rec := e.record(map[string]any{"user": "ada", "visits": 1})
	e.create(id, rec)

	got, found := e.load(id, e.base, false)
	require.True(t, found, "Load after Create")
	assertRecord(t, rec, got)
	assert.False(t, got.ExpiredAt(e.base), "a new record is not expired")
	assert.Equal(t, 1, e.count(), "Count")
}

func testCreateTakenID(t *testing.T, e *env) {
	id := newID(t)
	first := e.record(map[string]any{"owner": "first"})
	e.create(id, first)

	second := e.record(map[string]any{"owner": "second"})
	second.Created = e.at(time.Minute)
	err := e.s.Create(e.ctx, id, second)
	require.ErrorIs(t, err, store.ErrExists, "Create on a taken ID")

	assertRecord(t, first, e.mustLoad(id, e.base))
	assert.Equal(t, 1, e.count(), "Count")
}

func testLoadUnknown(t *testing.T, e *env) {
	other := newID(t)
	e.create(other, e.record(nil))

	for _, touch := range []bool{false, true} {
		id := newID(t)
		_, found := e.load(id, e.base, touch)
		assert.False(t, found, "Load(touch=%v) of an unknown ID", touch)
		assert.Equal(t, 1, e.count(), "Count after Load(touch=%v) of an unknown ID", touch)
		// A write proves that the read created nothing.
		assert.ErrorIs(t, e.s.Update(e.ctx, id, map[string]any{"k": "v"}), store.ErrNotFound,
			"Update after Load(touch=%v) of an unknown ID", touch)
	}
}

func testLoadTouch(t *testing.T, e *env) {
	id := newID(t)
	rec := e.record(map[string]any{"k": "v"})
	e.create(id, rec)

	got, found := e.load(id, e.at(10*time.Minute), true)
	require.True(t, found, "Load(touch=true)")
	assertTime(t, e.at(10*time.Minute), got.Accessed, "Accessed returned by a touching Load")

	got, found = e.load(id, e.at(20*time.Minute), false)
	require.True(t, found, "Load(touch=false)")
	want := rec
	want.Accessed = e.at(10 * time.Minute)
	assertRecord(t, want, got)

	// The idle deadline slid: past the first one, the session is alive.
	late := e.at(idle + 5*time.Minute)
	got = e.mustLoad(id, late)
	assert.False(t, got.ExpiredAt(late), "idle deadline did not slide with the touch")
	assertRecord(t, want, got)
}

func testLoadExpiredIdle(t *testing.T, e *env) {
	id := newID(t)
	rec := e.record(map[string]any{"k": "v"})
	e.create(id, rec)

	// The deadline itself is expired: ExpiredAt means "not after now".
	for _, now := range []time.Time{e.at(idle), e.at(idle + time.Minute)} {
		got, found := e.load(id, now, true)
		require.True(t, found, "Load of an expired record at %v", now)
		assert.True(t, got.ExpiredAt(now), "ExpiredAt(%v)", now)
		assertRecord(t, rec, got) // untouched
	}
	assertClaimedOnce(t, e, id, rec)
	assert.Equal(t, 0, e.count(), "Count")
}

func testLoadExpiredAbsolute(t *testing.T, e *env) {
	id := newID(t)
	rec := e.record(map[string]any{"k": "v"})
	rec.Expires = e.at(time.Hour)
	e.create(id, rec)

	// Touches keep the idle deadline ahead of the absolute one.
	lastTouch := e.at(55 * time.Minute)
	for _, now := range []time.Time{e.at(20 * time.Minute), e.at(40 * time.Minute), lastTouch} {
		_, found := e.load(id, now, true)
		require.True(t, found, "Load at %v", now)
	}

	now := e.at(time.Hour)
	got, found := e.load(id, now, true)
	require.True(t, found, "Load at the absolute deadline")
	assert.True(t, got.ExpiredAt(now), "ExpiredAt at the absolute deadline")
	want := rec
	want.Accessed = lastTouch
	assertRecord(t, want, got)
	assertClaimedOnce(t, e, id, want)
	assert.Equal(t, 0, e.count(), "Count")
}

// assertClaimedOnce deletes id twice: the first Delete claims rec, the second
// finds nothing, and afterwards id is gone.
func assertClaimedOnce(t *testing.T, e *env, id string, rec store.Record) {
	t.Helper()
	got, deleted := e.delete(id)
	require.True(t, deleted, "first Delete")
	assertRecord(t, rec, got)
	_, deleted = e.delete(id)
	assert.False(t, deleted, "second Delete")
	e.assertGone(id)
}

func testNeverExpires(t *testing.T, e *env) {
	id := newID(t)
	rec := store.Record{Created: e.base, Accessed: e.base}
	e.create(id, rec)

	far := e.at(10 * 365 * 24 * time.Hour)
	assert.Empty(t, e.sweep(far, 10), "Sweep took a record without a deadline")
	got, found := e.load(id, far, true)
	require.True(t, found, "Load of a record without a deadline")
	assert.False(t, got.ExpiredAt(far), "a record without a deadline expired")
	assertTime(t, time.Time{}, got.Expires, "Expires")
	assert.Equal(t, time.Duration(0), got.Idle, "Idle")
	assert.Empty(t, got.Values, "Values")
	assert.Equal(t, 1, e.count(), "Count")
}

func testUpdate(t *testing.T, e *env) {
	id := newID(t)
	rec := e.record(map[string]any{"replace": "old", "delete": "gone soon", "keep": "kept"})
	e.create(id, rec)

	e.update(id, map[string]any{"replace": "new", "delete": nil, "add": "added", "absent": nil})
	want := rec
	want.Values = map[string]any{"replace": "new", "add": "added", "keep": "kept"}
	assertRecord(t, want, e.mustLoad(id, e.base))

	e.update(id, map[string]any{})
	assertRecord(t, want, e.mustLoad(id, e.base))
}

func testUpdateKeepsHandedOutRecords(t *testing.T, e *env) {
	id := newID(t)
	e.create(id, e.record(map[string]any{"a": "1", "dropped": "x"}))

	before := e.mustLoad(id, e.base)
	e.update(id, map[string]any{"a": "2", "b": "3", "dropped": nil})
	assertValues(t, map[string]any{"a": "1", "dropped": "x"}, before.Values)

	after := e.mustLoad(id, e.base)
	_, deleted := e.delete(id)
	require.True(t, deleted, "Delete")
	assertValues(t, map[string]any{"a": "2", "b": "3"}, after.Values)
}

func testUpdateMissing(t *testing.T, e *env) {
	id := newID(t)
	err := e.s.Update(e.ctx, id, map[string]any{"k": "v"})
	require.ErrorIs(t, err, store.ErrNotFound, "Update of an unknown ID")
	e.assertGone(id)
	assert.Equal(t, 0, e.count(), "Count")
}

// testUpdateAfterEnd returns the subtest of a late write: once end has
// ended a session (by Delete or by Sweep), an Update of it fails with
// ErrNotFound and brings nothing back.
func testUpdateAfterEnd(how string, end func(e *env, id string)) func(*testing.T, *env) {
	return func(t *testing.T, e *env) {
		id, _ := e.add(map[string]any{"k": "v"})
		end(e, id)

		err := e.s.Update(e.ctx, id, map[string]any{"late": "write"})
		require.ErrorIs(t, err, store.ErrNotFound, "Update after %s", how)
		e.assertGone(id)
		assert.Equal(t, 0, e.count(), "Count")
	}
}

func testDelete(t *testing.T, e *env) {
	id, rec := e.add(map[string]any{"k": "v"})
	other, otherRec := e.add(map[string]any{"other": true})

	assertClaimedOnce(t, e, id, rec)
	assert.Equal(t, 1, e.count(), "Count")
	assertRecord(t, otherRec, e.mustLoad(other, e.base))

	_, deleted := e.delete(newID(t))
	assert.False(t, deleted, "Delete of an unknown ID")
	assert.Equal(t, 1, e.count(), "Count")
}

func testRenew(t *testing.T, e *env) {
	oldID, renewed := newID(t), newID(t)
	rec := e.record(map[string]any{"user": "ada"})
	e.create(oldID, rec)

	now := e.at(10 * time.Minute)
	e.renew(oldID, renewed, now)

	want := rec
	want.Accessed = now
	assertRecord(t, want, e.mustLoad(renewed, now))
	e.assertGone(oldID)
	assert.ErrorIs(t, e.s.Update(e.ctx, oldID, map[string]any{"k": "v"}), store.ErrRenewed,
		"Update of the old ID after Renew")
	_, deleted, err := e.s.Delete(e.ctx, oldID)
	assert.ErrorIs(t, err, store.ErrRenewed, "Delete of the old ID after Renew")
	assert.False(t, deleted, "Delete of the old ID after Renew")
	assert.ErrorIs(t, e.s.Renew(e.ctx, oldID, newID(t), now), store.ErrRenewed, "Renew of the old ID after Renew")
	e.assertGone(oldID)
	assert.Equal(t, 1, e.count(), "Count")
	assertRecord(t, want, e.mustLoad(renewed, now))

	e.update(renewed, map[string]any{"role": "admin"})
	want.Values = map[string]any{"user": "ada", "role": "admin"}
	assertRecord(t, want, e.mustLoad(renewed, now))
}

// testRenewChain: a session renewed several times in a row still answers
// ErrRenewed for each of its recent former IDs, not only the latest, so
// that a request that loaded it two renewals ago learns of the renewal.
func testRenewChain(t *testing.T, e *env) {
	ids := newIDs(t, 4)
	e.create(ids[0], e.record(nil))
	for i := 1; i < len(ids); i++ {
		e.renew(ids[i-1], ids[i], e.at(time.Duration(i)*time.Minute))
	}
	for _, former := range ids[:len(ids)-1] {
		assert.ErrorIs(t, e.s.Update(e.ctx, former, map[string]any{"k": "v"}), store.ErrRenewed,
			"Update of a former ID")
	}
	_, deleted := e.delete(ids[len(ids)-1])
	require.True(t, deleted, "Delete of the session")
	for _, former := range ids[:len(ids)-1] {
		assert.ErrorIs(t, e.s.Update(e.ctx, former, map[string]any{"k": "v"}), store.ErrNotFound,
			"Update of a former ID of a session that ended")
	}
}

// testSweepAfterRenew: what Renew leaves under the old ID is neither counted
// nor reported; the sweep reports the session once, under its new ID.
func testSweepAfterRenew(t *testing.T, e *env) {
	oldID, renewed := newID(t), newID(t)
	want := e.record(map[string]any{"user": "ada"})
	e.create(oldID, want)
	want.Accessed = e.at(time.Minute)
	e.renew(oldID, renewed, want.Accessed)
	assert.Equal(t, 1, e.count(), "Count after Renew")

	assertSwept(t, map[string]store.Record{renewed: want}, e.sweep(e.at(lifetime), 10))
	assert.Empty(t, e.sweep(e.at(2*lifetime), 10), "second Sweep")
	assert.Equal(t, 0, e.count(), "Count after Sweep")
	assert.ErrorIs(t, e.s.Update(e.ctx, renewed, map[string]any{"k": "v"}), store.ErrNotFound,
		"Update of the swept session")
}

// testAccessNeverMovesBack: a touch or a renewal at a time before the last
// access (the clock stepped back, or a slower request came late) leaves the
// access time, and so the idle deadline, where it was.
func testAccessNeverMovesBack(t *testing.T, e *env) {
	id, renewed := newID(t), newID(t)
	rec := e.record(map[string]any{"k": "v"})
	rec.Accessed = e.at(10 * time.Minute)
	e.create(id, rec)

	got, found := e.load(id, e.at(5*time.Minute), true)
	require.True(t, found, "Load")
	assertTime(t, rec.Accessed, got.Accessed, "Accessed after a touch at an earlier time")
	assertRecord(t, rec, e.mustLoad(id, e.at(5*time.Minute)))

	e.renew(id, renewed, e.at(5*time.Minute))
	assertRecord(t, rec, e.mustLoad(renewed, e.at(5*time.Minute)))
}

func testRenewMissing(t *testing.T, e *env) {
	unknown, deletedID, target := newID(t), newID(t), newID(t)
	e.create(deletedID, e.record(nil))
	_, deleted := e.delete(deletedID)
	require.True(t, deleted, "Delete")

	for name, oldID := range map[string]string{"unknown": unknown, "deleted": deletedID} {
		err := e.s.Renew(e.ctx, oldID, target, e.base)
		assert.ErrorIs(t, err, store.ErrNotFound, "Renew of an %s ID", name)
		e.assertGone(target)
		e.assertGone(oldID)
	}
	assert.Equal(t, 0, e.count(), "Count")
}

func testRenewExpired(t *testing.T, e *env) {
	idleID, absID := newID(t), newID(t)
	e.create(idleID, e.record(map[string]any{"k": "idle"}))
	absRec := e.record(map[string]any{"k": "absolute"})
	absRec.Expires = e.at(time.Hour)
	absRec.Accessed = e.at(50 * time.Minute)
	e.create(absID, absRec)

	for _, c := range []struct {
		name string
		id   string
		now  time.Time
	}{
		{"idle", idleID, e.at(idle)},
		{"absolute", absID, e.at(time.Hour)},
	} {
		target := newID(t)
		err := e.s.Renew(e.ctx, c.id, target, c.now)
		assert.ErrorIs(t, err, store.ErrNotFound, "Renew of a record past its %s deadline", c.name)
		e.assertGone(target)
	}
}

func testRenewTakenID(t *testing.T, e *env) {
	a, recA := e.add(map[string]any{"owner": "a"})
	b, recB := e.add(map[string]any{"owner": "b"})

	err := e.s.Renew(e.ctx, a, b, e.at(time.Minute))
	require.ErrorIs(t, err, store.ErrExists, "Renew onto a taken ID")
	assertRecord(t, recA, e.mustLoad(a, e.base))
	assertRecord(t, recB, e.mustLoad(b, e.base))
	assert.Equal(t, 2, e.count(), "Count")
}

func testCount(t *testing.T, e *env) {
	ids := newIDs(t, 6)
	short := e.record(nil) // expires with the idle limit
	long := store.Record{Created: e.base, Accessed: e.base}
	for i, id := range ids {
		if i < 3 {
			e.create(id, short)
		} else {
			e.create(id, long)
		}
		require.Equal(t, i+1, e.count(), "Count after %d creates", i+1)
	}

	require.ErrorIs(t, e.s.Create(e.ctx, ids[0], short), store.ErrExists, "Create on a taken ID")
	assert.Equal(t, 6, e.count(), "Count after a refused Create")

	_, deleted := e.delete(ids[5])
	require.True(t, deleted, "Delete")
	assert.Equal(t, 5, e.count(), "Count after Delete")
	_, deleted = e.delete(ids[5])
	require.False(t, deleted, "second Delete")
	assert.Equal(t, 5, e.count(), "Count after a second Delete")

	e.renew(ids[4], newID(t), e.base)
	assert.Equal(t, 5, e.count(), "Count after Renew")
	require.ErrorIs(t, e.s.Renew(e.ctx, ids[4], newID(t), e.base), store.ErrRenewed, "Renew of a renewed ID")
	assert.Equal(t, 5, e.count(), "Count after a refused Renew")

	_, found := e.load(newID(t), e.base, true)
	require.False(t, found, "Load of an unknown ID")
	assert.Equal(t, 5, e.count(), "Count after Load of an unknown ID")

	require.Len(t, e.drain(e.at(idle), 2), 3, "Sweep")
	assert.Equal(t, 2, e.count(), "Count after Sweep")
}

// testUseAfterClose: Close is safe twice, and a closed store refuses
// every call with ErrClosed instead of answering from what it held.
func testUseAfterClose(t *testing.T, e *env) {
	id, _ := e.add(nil)
	require.NoError(t, e.s.Close(), "Close")
	require.NoError(t, e.s.Close(), "second Close")

	_, _, err := e.s.Load(e.ctx, id, e.base, true)
	assert.ErrorIs(t, err, store.ErrClosed, "Load")
	assert.ErrorIs(t, e.s.Create(e.ctx, newID(t), e.record(nil)), store.ErrClosed, "Create")
	assert.ErrorIs(t, e.s.Update(e.ctx, id, map[string]any{"k": "v"}), store.ErrClosed, "Update")
	_, _, err = e.s.Delete(e.ctx, id)
	assert.ErrorIs(t, err, store.ErrClosed, "Delete")
	assert.ErrorIs(t, e.s.Renew(e.ctx, id, newID(t), e.base), store.ErrClosed, "Renew")
	_, err = e.s.Count(e.ctx)
	assert.ErrorIs(t, err, store.ErrClosed, "Count")
	_, err = e.s.Sweep(e.ctx, e.at(lifetime), 10)
	assert.ErrorIs(t, err, store.ErrClosed, "Sweep")
	assert.ErrorIs(t, e.s.SetUser(e.ctx, id, "ada"), store.ErrClosed, "SetUser")
	assert.ErrorIs(t, e.s.SetExpires(e.ctx, id, e.at(time.Hour)), store.ErrClosed, "SetExpires")
	_, err = e.s.UserSessions(e.ctx, "ada", e.base)
	assert.ErrorIs(t, err, store.ErrClosed, "UserSessions")
	_, _, err = e.s.DeleteUserSession(e.ctx, "ada", store.MaskedID(id))
	assert.ErrorIs(t, err, store.ErrClosed, "DeleteUserSession")
}
