package manager_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
)

// TestDestroyUserSessionOfAnExpiredSessionIsNoLogout: a "sign out that
// device" button pressed on a listing that is older than the session it
// names. The session idled out (no sweep has come round yet), so it is not
// live: DestroyUserSession documents ErrSessionGone for "no such live
// session", and DestroySessionById, for the same case, clears the record
// away with the expiry's cause and returns ErrSessionGone.
//
// What a user and an operator see on main: DestroyUserSession answers nil
// ("signed out"), the Destroyed event and the log line say cause "logout",
// and Metrics counts Destroyed.Logout, which its doc defines as "ended a
// live session", instead of Destroyed.Idle: dashboards of logouts versus
// idle expiries are wrong, and the app tells the user it signed out a
// device that had already been signed out by the idle timeout.
func TestDestroyUserSessionOfAnExpiredSessionIsNoLogout(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{MaxInactiveInterval: 60}, nil)
	_, ck := env.Create(t)
	s, err := env.M.Login(testkit.RequestWith(ck), httptest.NewRecorder(), "ada@example.com")
	require.NoError(t, err)
	listed, err := env.M.UserSessions(nil, "ada@example.com")
	require.NoError(t, err)
	require.Len(t, listed, 1)
	require.Equal(t, s.GetMaskedSessionId(), listed[0].MaskedID)

	env.Clock.Advance(2 * time.Minute) // past the 60 s idle timeout; no sweep runs

	err = env.M.DestroyUserSession("ada@example.com", listed[0].MaskedID)
	assert.ErrorIs(t, err, manager.ErrSessionGone, "the session had idled out: it was not live")
	// Whether this call clears the record away (as DestroySessionById does)
	// or leaves it to the sweeper, an end it reports is an idle expiry.
	got := env.M.Metrics().Destroyed
	assert.Equal(t, uint64(0), got.Logout, "an idle expiry counted as a logout")
	assert.Equal(t, uint64(env.Events.CountKind(manager.Destroyed)), got.Idle, "each end reported is the idle timeout's")
	assert.LessOrEqual(t, env.Events.CountKind(manager.Destroyed), 1)
}
