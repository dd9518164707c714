package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/store"
)

// testUserBind: SetUser binds a session, Load hands the user back, the
// session is listed for that user only, and the access time stays.
func testUserBind(t *testing.T, e *env) {
	id, rec := e.add(map[string]any{"k": "v"})
	e.assertListed("ada", e.base)

	e.setUser(id, "ada")
	want := rec
	want.User = "ada"
	assertRecord(t, want, e.mustLoad(id, e.base)) // Accessed unchanged
	e.assertListed("ada", e.base, id)
	e.assertListed("bob", e.base)
	assertRecord(t, want, e.userSessions("ada", e.base)[0].Record)

	e.setUser(id, "ada") // binding again changes nothing
	e.assertListed("ada", e.base, id)
	assert.Equal(t, 1, e.count(), "Count")
}

// testUserBindAtCreate: a record created with User is bound as if SetUser
// had bound it.
func testUserBindAtCreate(t *testing.T, e *env) {
	id, rec := newID(t), e.record(nil)
	rec.User = "ada"
	e.create(id, rec)
	assertRecord(t, rec, e.mustLoad(id, e.base))
	e.assertListed("ada", e.base, id)
}

// testUserUnbind: SetUser with "" unbinds; the session lives on, unlisted.
func testUserUnbind(t *testing.T, e *env) {
	id, rec := e.add(nil)
	e.setUser(id, "ada")
	e.setUser(id, "")
	assertRecord(t, rec, e.mustLoad(id, e.base))
	e.assertListed("ada", e.base)
	e.setUser(id, "") // unbinding an unbound session is fine
	e.assertListed("", e.base)
}

// testUserRebindMoves: binding to another user moves the session out of the
// first user's list.
func testUserRebindMoves(t *testing.T, e *env) {
	id, _ := e.add(nil)
	other, _ := e.add(nil)
	e.setUser(id, "ada")
	e.setUser(other, "ada")
	e.setUser(id, "bob")
	e.assertListed("ada", e.base, other)
	e.assertListed("bob", e.base, id)
	assert.Equal(t, "bob", e.mustLoad(id, e.base).User, "User after rebinding")

	_, deleted := e.deleteUserSession("ada", store.MaskedID(id))
	assert.False(t, deleted, "DeleteUserSession through the user it was moved away from")
	e.mustLoad(id, e.base)
}

// testUserSetUserMissing: SetUser answers as Update does for an unknown,
// ended or renewed ID, and binds nothing.
func testUserSetUserMissing(t *testing.T, e *env) {
	assert.ErrorIs(t, e.s.SetUser(e.ctx, newID(t), "ada"), store.ErrNotFound, "SetUser of an unknown ID")

	deleted, _ := e.add(nil)
	e.delete(deleted)
	assert.ErrorIs(t, e.s.SetUser(e.ctx, deleted, "ada"), store.ErrNotFound, "SetUser after Delete")

	oldID, renewed := newID(t), newID(t)
	e.create(oldID, e.record(nil))
	e.renew(oldID, renewed, e.at(time.Minute))
	assert.ErrorIs(t, e.s.SetUser(e.ctx, oldID, "ada"), store.ErrRenewed, "SetUser of a renewed ID")

	e.assertListed("ada", e.at(time.Minute))
	assert.Empty(t, e.mustLoad(renewed, e.at(time.Minute)).User, "a refused SetUser bound the renewed session")
	assert.Equal(t, 1, e.count(), "Count")
}

// testUserSessionsOrder: oldest Created first, whatever order the sessions
// were made or bound in.
func testUserSessionsOrder(t *testing.T, e *env) {
	ids := newIDs(t, 4)
	for _, i := range []int{2, 0, 3, 1} {
		rec := e.record(nil)
		rec.Created = e.at(time.Duration(i) * time.Second)
		rec.Accessed = rec.Created
		e.create(ids[i], rec)
	}
	for _, i := range []int{3, 1, 0, 2} {
		e.setUser(ids[i], "ada")
	}
	e.assertListed("ada", e.at(time.Minute), ids...)
}

// testUserSessionsSkipExpired: a session whose deadline passed is not
// listed, before and after Sweep claims it.
func testUserSessionsSkipExpired(t *testing.T, e *env) {
	short, long := newID(t), newID(t)
	shortRec := e.record(nil)
	shortRec.User = "ada"
	longRec := shortRec
	longRec.Created, longRec.Accessed = e.at(time.Second), e.at(10*time.Minute)
	e.create(short, shortRec)
	e.create(long, longRec)

	e.assertListed("ada", e.at(idle-time.Second), short, long)
	e.assertListed("ada", e.at(idle), long) // a deadline equal to now has passed
	require.Len(t, e.drain(e.at(idle), 10), 1, "Sweep")
	e.assertListed("ada", e.at(idle), long)
	e.assertListed("ada", e.at(lifetime))
}

// testUserRenewKeepsBinding: after Renew the session is listed under its
// new masked ID, never the old, and DeleteUserSession reaches it only by
// the new one.
func testUserRenewKeepsBinding(t *testing.T, e *env) {
	oldID, renewed := newID(t), newID(t)
	rec := e.record(map[string]any{"k": "v"})
	e.create(oldID, rec)
	e.setUser(oldID, "ada")

	now := e.at(time.Minute)
	e.renew(oldID, renewed, now)
	want := rec
	want.User, want.Accessed = "ada", now
	assertRecord(t, want, e.mustLoad(renewed, now))
	e.assertListed("ada", now, renewed)

	_, deleted := e.deleteUserSession("ada", store.MaskedID(oldID))
	assert.False(t, deleted, "DeleteUserSession by the masked ID from before the renewal")
	got, deleted := e.deleteUserSession("ada", store.MaskedID(renewed))
	require.True(t, deleted, "DeleteUserSession by the renewed masked ID")
	assertRecord(t, want, got)
	e.assertListed("ada", now)
}

// testUserDeleteHandsBackUser: Delete returns the record with its User, so
// that the caller knows whose session ended, and the session leaves the
// user's list at once.
func testUserDeleteHandsBackUser(t *testing.T, e *env) {
	id, rec := e.add(nil)
	other, _ := e.add(nil)
	e.setUser(id, "ada")
	e.setUser(other, "ada")

	got, deleted := e.delete(id)
	require.True(t, deleted, "Delete")
	rec.User = "ada"
	assertRecord(t, rec, got)
	e.assertListed("ada", e.base, other)
}

// testUserSweepHandsBackUser: Sweep returns each swept record with its
// User, and the swept sessions leave their users' lists.
func testUserSweepHandsBackUser(t *testing.T, e *env) {
	ada, bob, unbound := newID(t), newID(t), newID(t)
	want := map[string]store.Record{}
	for id, user := range map[string]string{ada: "ada", bob: "bob", unbound: ""} {
		rec := e.record(nil)
		rec.User = user
		e.create(id, rec)
		want[id] = rec
	}
	assertSwept(t, want, e.drain(e.at(idle), 10))
	e.assertListed("ada", e.base)
	e.assertListed("bob", e.base)
	assert.Equal(t, 0, e.count(), "Count")
}

// testUserNamesOpaque: user names are opaque strings. Names that a store
// might split, escape or truncate (e-mail addresses, key separators, hash
// tags, unicode, a NUL byte, a 1 KiB name, names that differ only in a
// suffix) each get a list of their own.
func testUserNamesOpaque(t *testing.T, e *env) {
	names := []string{
		"ada@example.com",
		"Ada@example.com",
		"ada@example.com ",
		"ada",
		"a:b",
		"a:b:",
		"{ada}",
		"{ada}x",
		"ünïcødé 用户 🔑",
		"nul\x00byte",
		"line\nbreak",
		"*",
		strings.Repeat("x", 1024),
		strings.Repeat("x", 1023) + "y",
	}
	ids := newIDs(t, len(names))
	for i, name := range names {
		e.create(ids[i], e.record(nil))
		e.setUser(ids[i], name)
	}
	for i, name := range names {
		assert.Equalf(t, name, e.mustLoad(ids[i], e.base).User, "User of %.40q", name)
		e.assertListed(name, e.base, ids[i])
	}
	for i, name := range names {
		_, deleted := e.deleteUserSession(name, store.MaskedID(ids[i]))
		assert.Truef(t, deleted, "DeleteUserSession(%.40q)", name)
	}
	for _, name := range names {
		e.assertListed(name, e.base)
	}
	assert.Equal(t, 0, e.count(), "Count")
}

// testUserManySessions: a user with many sessions (more than a store might
// keep inline) has them all listed in order, and each reachable by
// DeleteUserSession, as they are deleted down to none.
func testUserManySessions(t *testing.T, e *env) {
	const n = 40
	ids := newIDs(t, n)
	for i, id := range ids {
		rec := e.record(nil)
		rec.Created = e.at(time.Duration(i) * time.Second)
		rec.Accessed, rec.User = rec.Created, "ada"
		e.create(id, rec)
	}
	now := e.at(time.Minute)
	e.assertListed("ada", now, ids...)
	for len(ids) > 0 {
		// Delete from both ends and the middle, so that what is left is
		// never a prefix of what was made.
		for _, i := range []int{len(ids) - 1, len(ids) / 2, 0} {
			if i >= len(ids) {
				continue
			}
			_, deleted := e.deleteUserSession("ada", store.MaskedID(ids[i]))
			require.True(t, deleted, "DeleteUserSession with %d sessions left", len(ids))
			ids = append(ids[:i:i], ids[i+1:]...)
		}
		e.assertListed("ada", now, ids...)
	}
	assert.Equal(t, 0, e.count(), "Count")
}
