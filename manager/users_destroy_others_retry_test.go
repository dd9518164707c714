package manager_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

// TestDestroyOtherSessionsRenewedOwnSessionOnARetry: "log out everywhere
// else" whose first pass ends one session and misses another (renewed on
// another instance meanwhile, so its delete finds nothing and the call
// lists again), and whose own session is renewed by another tab before the
// second pass. The call stops there with ErrSessionRenewed; what it returns
// must say what it did: the count of the sessions it ended, and an error
// that says so, not the "no other session was ended" of a first pass.
func TestDestroyOtherSessionsRenewedOwnSessionOnARetry(t *testing.T) {
	racing := &testkit.RacingStore{Store: store.NewMemory()}
	t.Cleanup(func() { require.NoError(t, racing.Store.Close()) })
	env := testkit.NewEnv(t, manager.Options{Store: racing}, nil)
	login := func() *http.Cookie {
		t.Helper()
		rec := httptest.NewRecorder()
		_, err := env.M.Login(httptest.NewRequest(http.MethodPost, "/login", nil), rec, "ada@example.com")
		require.NoError(t, err)
		return testkit.SessionCookie(t, rec, env.CookieName)
	}
	current, other, renewing := login(), login(), login()
	racing.AfterNextListing(func() {
		// After the first listing: another instance renews a listed
		// session, so that the first pass misses it and lists again.
		_, err := env.M.RenewSession(testkit.RequestWith(renewing), httptest.NewRecorder())
		require.NoError(t, err)
		racing.AfterNextListing(func() {
			// After the second listing: another tab renews the request's
			// own session.
			_, err := env.M.RenewSession(testkit.RequestWith(current), httptest.NewRecorder())
			require.NoError(t, err)
		})
	})

	n, err := env.M.DestroyOtherSessions(testkit.RequestWith(current), "ada@example.com")
	require.ErrorIs(t, err, manager.ErrSessionRenewed)
	require.Nil(t, env.M.GetSessionById(other.Value), "the first pass ended the other session")
	assert.Equal(t, 1, n, "the count of the sessions ended before the call stopped")
	assert.Contains(t, err.Error(), "after 1 other sessions were ended", "the error says that one was")
	assert.NotContains(t, err.Error(), "no other session was ended")
}
