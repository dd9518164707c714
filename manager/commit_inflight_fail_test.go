package manager_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

// failGateStore holds Update, while gated is set, until release is closed,
// having closed entered, and then fails it without writing: a store that
// goes away while the commit's write is on its way.
type failGateStore struct {
	store.Store
	gated   atomic.Bool
	entered chan struct{}
	release chan struct{}
}

var errUpdateDown = fmt.Errorf("%w: update refused by the test", store.ErrUnavailable)

func (s *failGateStore) Update(ctx context.Context, id string, changes map[string]any) error {
	if s.gated.CompareAndSwap(true, false) {
		close(s.entered)
		<-s.release
		return errUpdateDown
	}
	return s.Store.Update(ctx, id, changes)
}

// TestACommitThatFailsWhileStoringDropsWhatItHeld: while the commit stores,
// Get finds the values the request set, and a Set from another goroutine
// joins the commit. When the store then fails, the error handler answers,
// and none of it stays: not in the store, not in what Get reads after (no
// value comes back that the store never took), and a later Set stores
// nothing, as after any failed commit.
func TestACommitThatFailsWhileStoringDropsWhatItHeld(t *testing.T) {
	st := &failGateStore{Store: store.NewMemory(), entered: make(chan struct{}), release: make(chan struct{})}
	env := testkit.NewEnv(t, manager.Options{Store: st}, nil)
	created, ck := env.Create(t)
	require.NoError(t, env.M.GetSessionById(created.GetId()).Set("theme", "light"))

	var during, after any
	var joinErr, lateErr error
	var langAfter bool
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := env.M.GetSession(r)
		require.NotNil(t, s)
		require.NoError(t, s.Set("theme", "dark"))
		st.gated.Store(true)
		wrote := make(chan struct{})
		go func() {
			defer close(wrote)
			_, _ = w.Write([]byte("streaming")) // commits: the Update waits, then fails
		}()
		<-st.entered
		during, _ = s.Get("theme")
		joinErr = s.Set("lang", "fr") // joins the commit on its way
		close(st.release)
		<-wrote
		after, _ = s.Get("theme")
		_, langAfter = s.Get("lang")
		lateErr = s.Set("user", "alice")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, testkit.RequestWith(ck))

	assert.Equal(t, http.StatusServiceUnavailable, rec.Code, "the failed commit is answered through the error handler")
	assert.NotContains(t, rec.Body.String(), "streaming")
	assert.Equal(t, "dark", during, "Get during the commit lost the value the handler set")
	require.NoError(t, joinErr)
	assert.Equal(t, "light", after, "the failed commit left its value in the session")
	assert.False(t, langAfter, "the failed commit left the joined value in the session")
	assert.ErrorIs(t, lateErr, manager.ErrCommitFailed)

	stored := env.M.GetSessionById(created.GetId())
	require.NotNil(t, stored)
	theme, _ := stored.Get("theme")
	assert.Equal(t, "light", theme)
	for _, k := range []string{"lang", "user"} {
		_, ok := stored.Get(k)
		assert.False(t, ok, "%s reached the store behind a failed commit", k)
	}
}
