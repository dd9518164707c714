package manager_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/internal/testkit/managertest"
	"github.com/sessionkit/session/manager"
)

func TestRenewSession(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{}, nil)
	s, ck := env.Create(t)
	require.NoError(t, s.Set("user", "ann"))
	require.NoError(t, s.Set("cart", 3))
	oldID, created := s.GetId(), s.GetCreationTime()

	env.Clock.Advance(time.Minute)
	rec := httptest.NewRecorder()
	renewed, err := env.M.RenewSession(testkit.RequestWith(ck), rec)
	require.NoError(t, err)
	newID := renewed.GetId()
	newCk := testkit.SessionCookie(t, rec, manager.DefaultCookieName)

	t.Run("new ID", func(t *testing.T) {
		assert.NotEqual(t, oldID, newID)
		assert.True(t, manager.IsValidID(newID))
		assert.Equal(t, newID, newCk.Value)
		assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	})
	t.Run("old ID dead at once", func(t *testing.T) {
		assert.Nil(t, env.M.GetSessionById(oldID))
		assert.Nil(t, env.M.GetSession(testkit.RequestWith(ck)))
		assert.ErrorIs(t, env.M.DestroySessionById(oldID), manager.ErrSessionGone)
	})
	t.Run("same values and creation time", func(t *testing.T) {
		found := env.M.GetSessionById(newID)
		require.NotNil(t, found)
		assert.Equal(t, []string{"cart", "user"}, found.Keys())
		v, _ := found.Get("user")
		assert.Equal(t, "ann", v)
		assert.Equal(t, created, found.GetCreationTime())
		assert.Equal(t, created, renewed.GetCreationTime())
		assert.Equal(t, env.Clock.Now().Unix(), found.GetLastAccessTime())
	})
	t.Run("events", func(t *testing.T) {
		assert.Zero(t, env.Events.Count(oldID, manager.Destroyed), "renewal is not destruction")
		assert.Zero(t, env.Events.Count(newID, manager.Created), "renewal is not creation")
		assert.Equal(t, 1, env.Events.Count(newID, manager.Update))
		assert.Equal(t, 1, env.M.GetSessionSize())
	})
	t.Run("the renewed session keeps working", func(t *testing.T) {
		require.NoError(t, renewed.Set("user", "bob"))
		v, _ := env.M.GetSessionById(newID).Get("user")
		assert.Equal(t, "bob", v)
	})
	t.Run("no session", func(t *testing.T) {
		_, err := env.M.RenewSession(testkit.RequestWith(nil), httptest.NewRecorder())
		assert.ErrorIs(t, err, manager.ErrNoSession)
	})
}

// Renewal defeats fixation (SECURITY.md, requirement 4). These tests rest
// on the store, so they are in internal/testkit/managertest; internal/e2e
// runs them on Redis.

func TestSecurityFixationRenewKillsTheOldID(t *testing.T) {
	managertest.SecurityFixationRenewKillsTheOldID(t, managertest.Memory)
}
func TestSecurityFixationUnissuedIDIsReplaced(t *testing.T) {
	managertest.SecurityFixationUnissuedIDIsReplaced(t, managertest.Memory)
}
func TestSecurityFixationCreateReplacesTheOldSession(t *testing.T) {
	managertest.SecurityFixationCreateReplacesTheOldSession(t, managertest.Memory)
}
func TestSecurityFixationConcurrentRenewal(t *testing.T) {
	managertest.SecurityFixationConcurrentRenewal(t, managertest.Memory)
}

// A request's change, logout or renewal that races a renewal or a logout
// on another instance lands, or fails the response; it is never answered
// 200 and lost (SECURITY.md, requirement 15). The tests are in
// internal/testkit/managertest, run here on the memory store and by
// internal/e2e on Redis.

func TestWriteRacingARenewalFailsInsteadOfVanishing(t *testing.T) {
	managertest.WriteRacingARenewalFailsInsteadOfVanishing(t, managertest.Memory)
}
func TestWriteRacingALogoutIsDropped(t *testing.T) {
	managertest.WriteRacingALogoutIsDropped(t, managertest.Memory)
}
func TestLogoutRacingARenewalFailsInsteadOfVanishing(t *testing.T) {
	managertest.LogoutRacingARenewalFailsInsteadOfVanishing(t, managertest.Memory)
}
func TestWriteRacingTwoRenewalsFailsInsteadOfVanishing(t *testing.T) {
	managertest.WriteRacingTwoRenewalsFailsInsteadOfVanishing(t, managertest.Memory)
}
func TestChangesOfTheLoserOfTwoRenewalsFailTheResponse(t *testing.T) {
	managertest.ChangesOfTheLoserOfTwoRenewalsFailTheResponse(t, managertest.Memory)
}
