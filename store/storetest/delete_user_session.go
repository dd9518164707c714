package storetest

import (
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/store"
)

// testDeleteUserSession: DeleteUserSession deletes the session named by its
// masked ID, hands back its record, and reports false the second time and
// for a masked ID the user has no session under.
func testDeleteUserSession(t *testing.T, e *env) {
	id, rec := e.add(map[string]any{"k": "v"})
	kept, keptRec := e.add(nil)
	e.setUser(id, "ada")
	e.setUser(kept, "ada")

	_, deleted := e.deleteUserSession("ada", store.MaskedID(newID(t)))
	assert.False(t, deleted, "DeleteUserSession of an unknown masked ID")
	_, deleted = e.deleteUserSession("nobody", store.MaskedID(id))
	assert.False(t, deleted, "DeleteUserSession for a user without sessions")

	got, deleted := e.deleteUserSession("ada", store.MaskedID(id))
	require.True(t, deleted, "DeleteUserSession")
	rec.User = "ada"
	assertRecord(t, rec, got)
	e.assertGone(id)
	_, deleted = e.deleteUserSession("ada", store.MaskedID(id))
	assert.False(t, deleted, "second DeleteUserSession")
	_, deleted = e.delete(id)
	assert.False(t, deleted, "Delete after DeleteUserSession")
	assert.ErrorIs(t, e.s.Update(e.ctx, id, map[string]any{"late": "write"}), store.ErrNotFound,
		"Update after DeleteUserSession")

	keptRec.User = "ada"
	assertRecord(t, keptRec, e.mustLoad(kept, e.base))
	e.assertListed("ada", e.base, kept)
	assert.Equal(t, 1, e.count(), "Count")
}

// testDeleteUserSessionOtherUser: a session is never deleted through a user
// it is not bound to, whether it is bound to another user, unbound, or was
// unbound from this user.
func testDeleteUserSessionOtherUser(t *testing.T, e *env) {
	bobs, unbound, former := newID(t), newID(t), newID(t)
	for _, id := range []string{bobs, unbound, former} {
		e.create(id, e.record(nil))
	}
	e.setUser(bobs, "bob")
	e.setUser(former, "ada")
	e.setUser(former, "")

	for _, id := range []string{bobs, unbound, former} {
		_, deleted := e.deleteUserSession("ada", store.MaskedID(id))
		assert.False(t, deleted, "DeleteUserSession deleted a session not bound to the user")
		e.mustLoad(id, e.base)
	}
	e.assertListed("bob", e.base, bobs)
	assert.Equal(t, 3, e.count(), "Count")
}

// testDeleteUserSessionClaimsOnce: DeleteUserSession, Delete and Sweep
// racing for one expired bound session: exactly one of them claims it.
func testDeleteUserSessionClaimsOnce(t *testing.T, e *env) {
	for round := range 10 {
		id, rec := newID(t), e.record(map[string]any{"round": round})
		rec.User = "ada"
		e.create(id, rec)
		now := e.at(idle) // expired: Sweep may claim it too

		var claims atomic.Int32
		together(goroutines, func(i int) {
			switch i % 3 {
			case 0:
				got, deleted, err := e.s.DeleteUserSession(e.ctx, "ada", store.MaskedID(id))
				if assert.NoError(t, err, "DeleteUserSession") && deleted {
					claims.Add(1)
					assertRecord(t, rec, got)
				}
			case 1:
				got, deleted, err := e.s.Delete(e.ctx, id)
				if assert.NoError(t, err, "Delete") && deleted {
					claims.Add(1)
					assertRecord(t, rec, got)
				}
			default:
				out, err := e.s.Sweep(e.ctx, now, 10)
				if assert.NoError(t, err, "Sweep") {
					for _, x := range out {
						claims.Add(1)
						assertRecord(t, rec, x.Record)
					}
				}
			}
		})
		assert.Equal(t, int32(1), claims.Load(), "round %d: claims of one session", round)
		e.assertGone(id)
		e.assertListed("ada", e.base)
	}
	assert.Equal(t, 0, e.count(), "Count")
}
