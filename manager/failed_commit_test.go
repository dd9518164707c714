package manager_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

// renewFailingStore fails Renew while failRenew is set, as a store that
// cannot be reached for a moment does.
type renewFailingStore struct {
	store.Store
	failRenew atomic.Bool
}

var errRenewDown = fmt.Errorf("%w: renew refused by the test", store.ErrUnavailable)

func (s *renewFailingStore) Renew(ctx context.Context, oldID, newID string, now time.Time) error {
	if s.failRenew.Load() {
		return errRenewDown
	}
	return s.Store.Renew(ctx, oldID, newID, now)
}

// TestSetAfterAFailedCommitStoresNothing: a login whose renewal fails must
// not leave the user logged in on the old, possibly planted, ID. The commit
// fails and the error handler answers; a handler that ignored the renewal's
// error and sets the user after writing its response must not have that
// change stored either, even once the store answers again, or the old ID
// becomes a logged-in session (fixation) behind an error response.
func TestSetAfterAFailedCommitStoresNothing(t *testing.T) {
	st := &renewFailingStore{Store: store.NewMemory()}
	env := testkit.NewEnv(t, manager.Options{Store: st}, nil)
	planted, ck := env.Create(t)

	var setErr error
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := env.M.GetSession(r)
		require.NotNil(t, s)
		st.failRenew.Store(true)
		_, err := env.M.RenewSession(r, w)
		require.ErrorIs(t, err, store.ErrUnavailable)
		st.failRenew.Store(false) // the store is back
		// The handler ignores the error, answers, then logs the user in.
		_, _ = w.Write([]byte("welcome"))
		setErr = s.Set("user", "alice")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, testkit.RequestWith(ck))

	assert.Equal(t, http.StatusServiceUnavailable, rec.Code, "the failed renewal is answered through the error handler")
	assert.NotContains(t, rec.Body.String(), "welcome")
	assert.True(t, errors.Is(setErr, manager.ErrCommitFailed), "Set after the failed commit returned %v", setErr)
	old := env.M.GetSessionById(planted.GetId())
	require.NotNil(t, old, "the old session lives on: the renewal failed")
	_, loggedIn := old.Get("user")
	assert.False(t, loggedIn, "a Set after the failed commit logged the old ID in")
}
