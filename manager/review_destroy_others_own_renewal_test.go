package manager_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
)

// TestDestroyOtherSessionsSparesTheRequestsOwnRenewedSession: "log out
// everywhere else" is clicked in one tab while another tab of the same
// browser logs in again (Login renews the session the two tabs share). The
// renewal lands after the first request loaded the session and before it
// lists the user's sessions. DestroyOtherSessions keeps the masked ID the
// request loaded, finds the session under its new ID, takes it for another
// device's and ends it.
//
// What a user sees on main: the browser now holds the renewed cookie of a
// session that "log out everywhere else" just destroyed; the click that
// was meant to keep this browser signed in and end the others signs this
// browser out too (its next page asks for the password), and the answer
// counts it among the "other" sessions. The call should spare the
// request's own session under its new ID, or fail (ErrSessionRenewed,
// 409) and let the user click again, rather than end it.
func TestDestroyOtherSessionsSparesTheRequestsOwnRenewedSession(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{}, nil)
	login := func(ck *http.Cookie) *http.Cookie {
		t.Helper()
		rec := httptest.NewRecorder()
		_, err := env.M.Login(testkit.RequestWith(ck), rec, "ada@example.com")
		require.NoError(t, err)
		return testkit.SessionCookie(t, rec, env.CookieName)
	}
	mine, other := login(nil), login(nil)

	var renewedID string
	var ended int
	var err error
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The other tab's login lands now, after this request loaded the session.
		renewedID = login(mine).Value
		ended, err = env.M.DestroyOtherSessions(r, "ada@example.com")
	}))
	testkit.Send(h, http.MethodPost, "/logout-others", mine)

	assert.NotNil(t, env.M.GetSessionById(renewedID), "this browser's own session, renewed by its other tab, was ended by log out everywhere else")
	if err != nil {
		assert.ErrorIs(t, err, manager.ErrSessionRenewed, "a call that cannot tell its own session may only refuse")
		return
	}
	assert.Nil(t, env.M.GetSessionById(other.Value), "the other device is signed out")
	assert.Equal(t, 1, ended, "only the other device's session counts as another session")
}
