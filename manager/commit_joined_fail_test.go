package manager_test

import (
	"context"
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

// laterFailGateStore holds Update, while gated is set, until release is
// closed, having closed entered, and then stores it; while failLater is
// set, it fails the next Update after that one without writing.
type laterFailGateStore struct {
	store.Store
	gated     atomic.Bool
	failLater atomic.Bool
	entered   chan struct{}
	release   chan struct{}
}

func (s *laterFailGateStore) Update(ctx context.Context, id string, changes map[string]any) error {
	if s.gated.CompareAndSwap(true, false) {
		close(s.entered)
		<-s.release
		return s.Store.Update(ctx, id, changes)
	}
	if s.failLater.CompareAndSwap(true, false) {
		return errUpdateDown
	}
	return s.Store.Update(ctx, id, changes)
}

// TestASetThatJoinsTheCommitFailsWithIt: a Set made while the commit
// stores joins it and returns nil, as a held Set does; the commit stores it
// after its own write. When that write fails, the value is not in the
// store, so the response must not be a 200: the commit fails and the error
// handler answers. The commit's own write landed and stays; the joined
// value does not come back in the session, and a later Set stores nothing.
func TestASetThatJoinsTheCommitFailsWithIt(t *testing.T) {
	st := &laterFailGateStore{Store: store.NewMemory(), entered: make(chan struct{}), release: make(chan struct{})}
	env := testkit.NewEnv(t, manager.Options{Store: st}, nil)
	created, ck := env.Create(t)

	var joinErr, lateErr error
	var after any
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := env.M.GetSession(r)
		require.NotNil(t, s)
		require.NoError(t, s.Set("theme", "light")) // held for the commit
		st.gated.Store(true)
		wrote := make(chan struct{})
		go func() {
			defer close(wrote)
			_, _ = w.Write([]byte("saved")) // commits: its Update waits
		}()
		<-st.entered
		st.failLater.Store(true)
		joinErr = s.Set("theme", "dark") // joins the commit on its way
		close(st.release)
		<-wrote
		after, _ = s.Get("theme")
		lateErr = s.Set("user", "alice")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, testkit.RequestWith(ck))

	require.NoError(t, joinErr)
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code, "the joined Set returned nil and was not stored, yet the response went on")
	assert.NotContains(t, rec.Body.String(), "saved")
	assert.Equal(t, "light", after, "the session shows a value the store never took")
	assert.ErrorIs(t, lateErr, manager.ErrCommitFailed)

	stored := env.M.GetSessionById(created.GetId())
	require.NotNil(t, stored)
	theme, _ := stored.Get("theme")
	assert.Equal(t, "light", theme, "the commit's own write landed")
	_, ok := stored.Get("user")
	assert.False(t, ok, "a Set after the failed commit reached the store")
}
