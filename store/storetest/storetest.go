package storetest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/store"
)

// Run runs the conformance suite as subtests of t. It calls newStore once per
// subtest; see the package documentation for what it expects of the store.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, e *env)
	}{
		{"CreateLoad", testCreateLoad},
		{"CreateTakenID", testCreateTakenID},
		{"LoadUnknown", testLoadUnknown},
		{"LoadTouch", testLoadTouch},
		{"LoadExpiredIdle", testLoadExpiredIdle},
		{"LoadExpiredAbsolute", testLoadExpiredAbsolute},
		{"NeverExpires", testNeverExpires},
		{"Update", testUpdate},
		{"UpdateKeepsHandedOutRecords", testUpdateKeepsHandedOutRecords},
		{"UpdateMissing", testUpdateMissing},
		{"UpdateAfterDelete", testUpdateAfterEnd("Delete", func(e *env, id string) {
			_, deleted := e.delete(id)
			require.True(e.t, deleted, "Delete")
		})},
		{"UpdateAfterSweep", testUpdateAfterEnd("Sweep", func(e *env, _ string) {
			require.Len(e.t, e.drain(e.at(idle), 10), 1, "Sweep")
		})},
		{"Delete", testDelete},
		{"Renew", testRenew},
		{"RenewMissing", testRenewMissing},
		{"RenewExpired", testRenewExpired},
		{"RenewTakenID", testRenewTakenID},
		{"RenewChain", testRenewChain},
		{"SweepAfterRenew", testSweepAfterRenew},
		{"AccessNeverMovesBack", testAccessNeverMovesBack},
		{"Count", testCount},
		{"ConcurrentCount", testConcurrentCount},
		{"ConcurrentRenew", testConcurrentRenew},
		{"ConcurrentRenewAndUpdate", testConcurrentRenewAndUpdate},
		{"ConcurrentUpdate", testConcurrentUpdate},
		{"ConcurrentDelete", testConcurrentDelete},
		{"ConcurrentDeleteAndUpdate", testConcurrentDeleteAndUpdate},
		{"Sweep", testSweep},
		{"SweepLimit", testSweepLimit},
		{"SweepLeavesLive", testSweepLeavesLive},
		{"SweepAfterTouch", testSweepAfterTouch},
		{"SweepAndDeleteClaimOnce", testSweepAndDeleteClaimOnce},
		{"ConcurrentSweep", testConcurrentSweep},
		{"NoMonotonicReading", testNoMonotonicReading},
		{"FarDeadline", testFarDeadline},
		{"Values", testValues},
		{"UseAfterClose", testUseAfterClose},

		{"UserBind", testUserBind},
		{"UserBindAtCreate", testUserBindAtCreate},
		{"UserUnbind", testUserUnbind},
		{"UserRebindMoves", testUserRebindMoves},
		{"UserSetUserMissing", testUserSetUserMissing},
		{"UserSessionsOrder", testUserSessionsOrder},
		{"UserSessionsSkipExpired", testUserSessionsSkipExpired},
		{"UserRenewKeepsBinding", testUserRenewKeepsBinding},
		{"UserDeleteHandsBackUser", testUserDeleteHandsBackUser},
		{"UserSweepHandsBackUser", testUserSweepHandsBackUser},
		{"UserNamesOpaque", testUserNamesOpaque},
		{"UserManySessions", testUserManySessions},
		{"DeleteUserSession", testDeleteUserSession},
		{"DeleteUserSessionOtherUser", testDeleteUserSessionOtherUser},
		{"DeleteUserSessionClaimsOnce", testDeleteUserSessionClaimsOnce},
		{"ConcurrentUserIndex", testConcurrentUserIndex},
		{"SetExpiresEarlier", testSetExpiresEarlier},
		{"SetExpiresLater", testSetExpiresLater},
		{"SetExpiresNone", testSetExpiresNone},
		{"SetExpiresOnNeverExpiring", testSetExpiresOnNeverExpiring},
		{"SetExpiresMissing", testSetExpiresMissing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newEnv(t, newStore))
		})
	}
}

// Durations of the default test record (see [env.record]).
const (
	idle     = 30 * time.Minute
	lifetime = 2 * time.Hour
)

// env is one subtest's store and clock, with helpers that fail the test on
// any store error.
type env struct {
	t    *testing.T
	s    store.Store
	ctx  context.Context
	base time.Time
}

func newEnv(t *testing.T, newStore func(t *testing.T) store.Store) *env {
	t.Helper()
	s := newStore(t)
	require.NotNil(t, s, "newStore returned nil")
	t.Cleanup(func() { assert.NoError(t, s.Close(), "Close") })
	e := &env{t: t, s: s, ctx: t.Context(), base: time.Now().UTC().Truncate(time.Second)}
	require.Equal(t, 0, e.count(), "newStore must return an empty store")
	return e
}

// at returns the suite's clock d after its start.
func (e *env) at(d time.Duration) time.Time { return e.base.Add(d) }

// record returns a session created and last accessed at the start of the
// clock, with a 30-minute idle limit and a 2-hour absolute one.
func (e *env) record(values map[string]any) store.Record {
	return store.Record{
		Values:   values,
		Created:  e.base,
		Accessed: e.base,
		Idle:     idle,
		Expires:  e.at(lifetime),
	}
}

// newID returns a valid session ID: 32 random bytes, base64url without
// padding (43 characters).
func newID(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	_, err := rand.Read(b)
	require.NoError(t, err, "crypto/rand")
	return base64.RawURLEncoding.EncodeToString(b)
}

func newIDs(t *testing.T, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = newID(t)
	}
	return ids
}

func (e *env) create(id string, rec store.Record) {
	e.t.Helper()
	require.NoError(e.t, e.s.Create(e.ctx, id, rec), "Create")
}

// add creates a session under a new ID with the default record holding
// values, and returns both.
func (e *env) add(values map[string]any) (string, store.Record) {
	e.t.Helper()
	id, rec := newID(e.t), e.record(values)
	e.create(id, rec)
	return id, rec
}

func (e *env) load(id string, now time.Time, touch bool) (store.Record, bool) {
	e.t.Helper()
	rec, found, err := e.s.Load(e.ctx, id, now, touch)
	require.NoError(e.t, err, "Load")
	return rec, found
}

// mustLoad loads id without touching it and fails the test when it is gone.
func (e *env) mustLoad(id string, now time.Time) store.Record {
	e.t.Helper()
	rec, found := e.load(id, now, false)
	require.True(e.t, found, "Load: session not found")
	return rec
}

func (e *env) assertGone(id string) {
	e.t.Helper()
	_, found := e.load(id, e.base, false)
	assert.False(e.t, found, "Load found a session that should be gone")
}

func (e *env) update(id string, changes map[string]any) {
	e.t.Helper()
	require.NoError(e.t, e.s.Update(e.ctx, id, changes), "Update")
}

func (e *env) delete(id string) (store.Record, bool) {
	e.t.Helper()
	rec, deleted, err := e.s.Delete(e.ctx, id)
	require.NoError(e.t, err, "Delete")
	return rec, deleted
}

func (e *env) renew(oldID, newID string, now time.Time) {
	e.t.Helper()
	require.NoError(e.t, e.s.Renew(e.ctx, oldID, newID, now), "Renew")
}

func (e *env) setUser(id, user string) {
	e.t.Helper()
	require.NoError(e.t, e.s.SetUser(e.ctx, id, user), "SetUser")
}

func (e *env) setExpires(id string, expires time.Time) {
	e.t.Helper()
	require.NoError(e.t, e.s.SetExpires(e.ctx, id, expires), "SetExpires")
}

// userSessions lists user's sessions at now and checks what every listing
// promises: each entry once, with its masked ID, an ID that is "" or the
// one its masked ID names, the record's User, and oldest Created first.
func (e *env) userSessions(user string, now time.Time) []store.Entry {
	e.t.Helper()
	out, err := e.s.UserSessions(e.ctx, user, now)
	require.NoError(e.t, err, "UserSessions")
	seen := make(map[string]bool, len(out))
	for i, x := range out {
		assert.NotEmpty(e.t, x.MaskedID, "UserSessions: an entry without MaskedID")
		assert.Falsef(e.t, seen[x.MaskedID], "UserSessions listed %q twice", x.MaskedID)
		seen[x.MaskedID] = true
		if x.ID != "" {
			assert.Equal(e.t, store.MaskedID(x.ID), x.MaskedID, "UserSessions: Entry.ID does not match its MaskedID")
		}
		assert.Equal(e.t, user, x.Record.User, "UserSessions: Record.User")
		assert.False(e.t, x.Record.ExpiredAt(now), "UserSessions listed a session expired at now")
		if i > 0 {
			assert.False(e.t, x.Record.Created.Before(out[i-1].Record.Created),
				"UserSessions: not oldest Created first")
		}
	}
	return out
}

// assertListed checks that UserSessions(user, now) lists exactly the
// sessions of ids, in that order.
func (e *env) assertListed(user string, now time.Time, ids ...string) {
	e.t.Helper()
	want := make([]string, len(ids))
	for i, id := range ids {
		want[i] = store.MaskedID(id)
	}
	got := make([]string, 0, len(ids))
	for _, x := range e.userSessions(user, now) {
		got = append(got, x.MaskedID)
	}
	assert.Equalf(e.t, want, got, "UserSessions(%.40q): masked IDs", user)
}

func (e *env) deleteUserSession(user, maskedID string) (store.Record, bool) {
	e.t.Helper()
	rec, deleted, err := e.s.DeleteUserSession(e.ctx, user, maskedID)
	require.NoError(e.t, err, "DeleteUserSession")
	return rec, deleted
}

func (e *env) count() int {
	e.t.Helper()
	n, err := e.s.Count(e.ctx)
	require.NoError(e.t, err, "Count")
	return n
}

func (e *env) sweep(now time.Time, limit int) []store.Entry {
	e.t.Helper()
	out, err := e.s.Sweep(e.ctx, now, limit)
	require.NoError(e.t, err, "Sweep")
	require.LessOrEqual(e.t, len(out), limit, "Sweep returned more than its limit")
	return out
}

// drain sweeps at now until a sweep returns nothing, and returns all it got.
func (e *env) drain(now time.Time, limit int) []store.Entry {
	e.t.Helper()
	var all []store.Entry
	for range 10_000 {
		batch := e.sweep(now, limit)
		if len(batch) == 0 {
			return all
		}
		all = append(all, batch...)
	}
	require.FailNow(e.t, "Sweep never ran out of expired records")
	return nil
}

// assertRecord compares records field by field: times with Equal, since a
// store may hand them back in another location; empty and nil Values alike.
func assertRecord(t *testing.T, want, got store.Record) {
	t.Helper()
	assertTime(t, want.Created, got.Created, "Created")
	assertTime(t, want.Accessed, got.Accessed, "Accessed")
	assertTime(t, want.Expires, got.Expires, "Expires")
	assert.Equal(t, want.Idle, got.Idle, "Idle")
	assert.Equal(t, want.User, got.User, "User")
	assertValues(t, want.Values, got.Values)
}

func assertTime(t *testing.T, want, got time.Time, field string) {
	t.Helper()
	if want.IsZero() {
		assert.Truef(t, got.IsZero(), "%s = %v, want the zero time", field, got)
		return
	}
	assert.Truef(t, want.Equal(got), "%s = %v, want %v", field, got, want)
}

func assertValues(t *testing.T, want, got map[string]any) {
	t.Helper()
	if len(want) == 0 && len(got) == 0 {
		return
	}
	assert.Equal(t, want, got, "Values")
}

// together runs f(0) to f(n-1) in n goroutines released at the same moment,
// so that they reach the store together, and waits for them all. f runs off
// the test goroutine: it may use assert but not require.
func together(n int, f func(i int)) {
	var wg sync.WaitGroup
	release := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-release
			f(i)
		})
	}
	close(release)
	wg.Wait()
}
