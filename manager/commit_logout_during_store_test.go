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

// gatedFaultyStore is a FaultyStore whose Update waits, while gated is
// set, until release is closed, having closed entered.
type gatedFaultyStore struct {
	*testkit.FaultyStore
	gate *updateGateStore
}

// newGatedFaultyStore returns a gatedFaultyStore over a new memory store.
func newGatedFaultyStore() *gatedFaultyStore {
	fs := testkit.NewFaultyStore()
	fs.Err = store.ErrUnavailable
	return &gatedFaultyStore{
		FaultyStore: fs,
		gate:        &updateGateStore{Store: fs, entered: make(chan struct{}), release: make(chan struct{})},
	}
}

// logoutWhileCommitStores runs a request that holds a change, starts the
// response from a goroutine of the handler (so that the commit stores the
// change) and, while that write is on its way, calls Invalidate, as a
// handler whose logout runs beside a streaming writer does.
func logoutWhileCommitStores(t *testing.T, st *gatedFaultyStore, env *testkit.Env, ck *http.Cookie) *httptest.ResponseRecorder {
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := env.M.GetSession(r)
		require.NotNil(t, s)
		require.NoError(t, s.Set("theme", "dark")) // held for the commit
		st.gate.gated.Store(true)
		wrote := make(chan struct{})
		go func() {
			defer close(wrote)
			_, _ = w.Write([]byte("bye")) // commits: its Update waits
		}()
		<-st.gate.entered
		s.Invalidate() // the response has not started yet
		close(st.gate.release)
		<-wrote
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, testkit.RequestWith(ck))
	return rec
}

// TestALogoutThatFailsWhileTheCommitStoresIsNotAnswered200: a Set made
// while the commit stores joins the commit, and its failure answers the
// request through the error handler, since the response has not started.
// An Invalidate made in that same moment whose destroy fails is only
// logged ("after the response started", which it had not), and the
// response is a 200 for a logout that did not happen: the session lives
// on. Invalidate returns no error, so the handler cannot know.
func TestALogoutThatFailsWhileTheCommitStoresIsNotAnswered200(t *testing.T) {
	st := newGatedFaultyStore()
	env := testkit.NewEnv(t, manager.Options{Store: st.gate}, nil)
	created, ck := env.Create(t)

	st.FailDelete.Store(true)
	rec := logoutWhileCommitStores(t, st, env, ck)
	st.FailDelete.Store(false)

	require.NotNil(t, env.M.GetSessionById(created.GetId()), "the logout failed: the session lives on")
	assert.NotEqual(t, http.StatusOK, rec.Code, "a logout that failed before the response started was answered 200")
	assert.NotContains(t, rec.Body.String(), "bye")
}

// TestALogoutWhileTheCommitStoresExpiresTheCookie: Invalidate within a
// request expires the session's cookie. Made while the commit stores,
// before the response's first byte, it destroys the session but sends no
// cookie: the commit read the scope's cookie work before it began to store.
func TestALogoutWhileTheCommitStoresExpiresTheCookie(t *testing.T) {
	st := newGatedFaultyStore()
	env := testkit.NewEnv(t, manager.Options{Store: st.gate}, nil)
	created, ck := env.Create(t)

	rec := logoutWhileCommitStores(t, st, env, ck)

	require.Nil(t, env.M.GetSessionById(created.GetId()), "the session was destroyed")
	got := testkit.SessionCookie(t, rec, ck.Name) // fails the test when none was sent
	assert.Negative(t, got.MaxAge, "the cookie must expire")
}
