package storetest

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/store"
)

// assertWallOnly fails unless t carries no monotonic clock reading. A time
// with one compares by the monotonic clock against another that has one and
// by the wall clock otherwise, so a deadline that keeps it disagrees with
// itself once the wall clock steps (NTP, a resumed VM or laptop).
func assertWallOnly(t *testing.T, got time.Time, what string) {
	t.Helper()
	assert.Truef(t, got == got.Round(0), "%s = %v carries a monotonic clock reading", what, got)
}

func assertRecordWallOnly(t *testing.T, rec store.Record, what string) {
	t.Helper()
	assertWallOnly(t, rec.Created, what+": Created")
	assertWallOnly(t, rec.Accessed, what+": Accessed")
	assertWallOnly(t, rec.Expires, what+": Expires")
	assertWallOnly(t, rec.Deadline(), what+": Deadline")
}

// testNoMonotonicReading hands the store times as time.Now returns them,
// with a monotonic reading, and checks that no time it hands back has one,
// whatever method returned it.
func testNoMonotonicReading(t *testing.T, e *env) {
	now := time.Now()
	require.False(t, now == now.Round(0), "time.Now carries no monotonic reading: the test proves nothing")
	rec := store.Record{
		Values:   map[string]any{"k": "v"},
		Created:  now,
		Accessed: now,
		Idle:     idle,
		Expires:  now.Add(lifetime),
	}
	id, renewed, swept := newID(t), newID(t), newID(t)
	e.create(id, rec)
	e.create(swept, rec)

	got, found := e.load(id, now, false)
	require.True(t, found, "Load")
	assertRecordWallOnly(t, got, "Load")

	touched := now.Add(time.Minute)
	got, found = e.load(id, touched, true)
	require.True(t, found, "touching Load")
	assertRecordWallOnly(t, got, "touching Load")
	assertRecordWallOnly(t, e.mustLoad(id, touched), "Load after a touch")

	e.renew(id, renewed, touched.Add(time.Minute))
	assertRecordWallOnly(t, e.mustLoad(renewed, touched), "Load after Renew")

	e.setExpires(renewed, now.Add(lifetime))
	e.setUser(renewed, "ada")
	assertRecordWallOnly(t, e.mustLoad(renewed, touched), "Load after SetExpires")
	listed := e.userSessions("ada", touched)
	require.Len(t, listed, 1, "UserSessions")
	assertRecordWallOnly(t, listed[0].Record, "UserSessions")

	got, deleted := e.delete(renewed)
	require.True(t, deleted, "Delete")
	assertRecordWallOnly(t, got, "Delete")

	out := e.drain(now.Add(lifetime), 10)
	require.Len(t, out, 1, "Sweep")
	assertRecordWallOnly(t, out[0].Record, "Sweep")
}

// farAway puts a deadline past the year 2262, where a time no longer fits
// in int64 Unix nanoseconds.
const farAway = 250 * 365 * 24 * time.Hour

// longestIdle is the longest idle limit a store must keep: the largest
// time.Duration, in whole seconds (the precision stores promise).
const longestIdle = time.Duration(math.MaxInt64) / time.Second * time.Second

// testFarDeadline stores records whose deadline lies past the year 2262.
// They are live until then, so Sweep takes none of them (and returns), and
// they expire when the clock reaches their deadline, not before and not
// never.
func testFarDeadline(t *testing.T, e *env) {
	absolute := store.Record{Values: map[string]any{"k": "absolute"}, Created: e.base, Accessed: e.base, Expires: e.at(farAway)}
	idleOnly := store.Record{Values: map[string]any{"k": "idle"}, Created: e.base, Accessed: e.base, Idle: farAway}
	longest := store.Record{Values: map[string]any{"k": "longest"}, Created: e.base, Accessed: e.base, Idle: longestIdle}
	records := map[string]store.Record{newID(t): absolute, newID(t): idleOnly, newID(t): longest}
	for id, rec := range records {
		require.True(t, rec.Deadline().After(e.at(farAway-time.Second)), "the deadline of %v is not far away", rec.Values)
		e.create(id, rec)
	}

	for _, now := range []time.Time{e.at(lifetime), e.at(farAway - time.Second)} {
		assert.Empty(t, e.sweep(now, 10), "Sweep at %v", now)
		for id, rec := range records {
			got := e.mustLoad(id, now)
			assertRecord(t, rec, got)
			assert.False(t, got.ExpiredAt(now), "%v expired at %v", rec.Values, now)
		}
	}
	assert.Equal(t, len(records), e.count(), "Count")

	due := map[string]store.Record{}
	for id, rec := range records {
		if rec.Idle != longestIdle {
			due[id] = rec
		}
	}
	assertSwept(t, due, e.drain(e.at(farAway), 10))
	assert.Equal(t, 1, e.count(), "Count after the far deadline")
}
