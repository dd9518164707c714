package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/store"
)

// testSetExpiresEarlier: an absolute deadline moved to now or before makes
// the session expired at once: Load hands it back untouched as expired,
// UserSessions leaves it out and Sweep claims it, with everything else in
// the record (values, access time, user) as it was.
func testSetExpiresEarlier(t *testing.T, e *env) {
	for _, c := range []struct {
		name string
		to   time.Duration // the new deadline, after the start of the clock
	}{{"before now", -time.Minute}, {"at now", 5 * time.Minute}} {
		id, rec := newID(t), e.record(map[string]any{"k": c.name})
		rec.User = "ada"
		e.create(id, rec)
		now := e.at(5 * time.Minute)

		e.setExpires(id, e.at(c.to))
		rec.Expires = e.at(c.to)
		got, found := e.load(id, now, true)
		require.True(t, found, "%s: Load of a session whose deadline passed", c.name)
		assert.True(t, got.ExpiredAt(now), "%s: Load: not expired", c.name)
		assertRecord(t, rec, got) // untouched: Accessed as created
		e.assertListed("ada", now)

		assertSwept(t, map[string]store.Record{id: rec}, e.drain(now, 10))
		e.assertGone(id)
	}
	assert.Equal(t, 0, e.count(), "Count")
}

// testSetExpiresLater: a later absolute deadline lets the session outlive
// the one it was created with, while its idle deadline still applies.
func testSetExpiresLater(t *testing.T, e *env) {
	id, rec := e.add(nil)
	e.setExpires(id, e.at(3*lifetime))
	rec.Expires = e.at(3 * lifetime)
	assertRecord(t, rec, e.mustLoad(id, e.base)) // Accessed unchanged

	// Used every 20 minutes, it lives past its first deadline.
	last := keepUsing(t, e, id)
	assert.Empty(t, e.drain(last, 10), "Sweep claimed a session whose deadline was extended")

	// Left idle, it expires by its idle deadline, long before the new one.
	rec.Accessed = last
	assert.Empty(t, e.sweep(last.Add(idle-time.Second), 10), "Sweep before the idle deadline")
	assertSwept(t, map[string]store.Record{id: rec}, e.drain(last.Add(idle), 10))
}

// keepUsing loads and touches id every 20 minutes until 20 minutes past
// the absolute deadline it was created with, requiring it found and not
// expired each time, and returns the last access.
func keepUsing(t *testing.T, e *env, id string) time.Time {
	t.Helper()
	var last time.Time
	for at := 20 * time.Minute; at <= lifetime+20*time.Minute; at += 20 * time.Minute {
		last = e.at(at)
		got, found := e.load(id, last, true)
		require.True(t, found, "Load at %v", at)
		require.False(t, got.ExpiredAt(last), "expired at %v, though used every 20 minutes", at)
	}
	return last
}

// testSetExpiresNone: the zero time removes the absolute deadline; the idle
// one still applies.
func testSetExpiresNone(t *testing.T, e *env) {
	id, rec := e.add(nil)
	e.setExpires(id, time.Time{})
	rec.Expires = time.Time{}
	assertRecord(t, rec, e.mustLoad(id, e.base))

	// Used every 20 minutes, it lives past the deadline it was created with.
	last := keepUsing(t, e, id)
	assert.Empty(t, e.drain(last, 10), "Sweep claimed a session without an absolute deadline")
	rec.Accessed = last
	assertSwept(t, map[string]store.Record{id: rec}, e.drain(last.Add(idle), 10))
}

// testSetExpiresOnNeverExpiring: a session created without any deadline
// that is given one expires by it, and Sweep finds it.
func testSetExpiresOnNeverExpiring(t *testing.T, e *env) {
	id, rec := newID(t), store.Record{Created: e.base, Accessed: e.base, User: "ada"}
	e.create(id, rec)
	assert.Empty(t, e.drain(e.at(time.Hour), 10), "Sweep of a session without a deadline")

	e.setExpires(id, e.at(2*time.Hour))
	rec.Expires = e.at(2 * time.Hour)
	e.assertListed("ada", e.at(2*time.Hour-time.Second), id)
	assert.Empty(t, e.drain(e.at(2*time.Hour-time.Second), 10), "Sweep before the new deadline")
	e.assertListed("ada", e.at(2*time.Hour))
	assertSwept(t, map[string]store.Record{id: rec}, e.drain(e.at(2*time.Hour), 10))
}

// testSetExpiresMissing: SetExpires answers as Update does for an unknown,
// ended or renewed ID, and changes nothing.
func testSetExpiresMissing(t *testing.T, e *env) {
	assert.ErrorIs(t, e.s.SetExpires(e.ctx, newID(t), e.at(time.Hour)), store.ErrNotFound,
		"SetExpires of an unknown ID")

	deleted, _ := e.add(nil)
	e.delete(deleted)
	assert.ErrorIs(t, e.s.SetExpires(e.ctx, deleted, e.at(time.Hour)), store.ErrNotFound,
		"SetExpires after Delete")
	e.assertGone(deleted)

	oldID, renewed := newID(t), newID(t)
	rec := e.record(nil)
	e.create(oldID, rec)
	now := e.at(time.Minute)
	e.renew(oldID, renewed, now)
	assert.ErrorIs(t, e.s.SetExpires(e.ctx, oldID, e.at(-time.Hour)), store.ErrRenewed,
		"SetExpires of a renewed ID")
	rec.Accessed = now
	assertRecord(t, rec, e.mustLoad(renewed, now))
	assert.Equal(t, 1, e.count(), "Count")
}
