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

// updateGateStore holds Update, while gated is set, until release is
// closed, having closed entered: a store whose write is on its way.
type updateGateStore struct {
	store.Store
	gated   atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func (s *updateGateStore) Update(ctx context.Context, id string, changes map[string]any) error {
	if s.gated.CompareAndSwap(true, false) {
		close(s.entered)
		<-s.release
	}
	return s.Store.Update(ctx, id, changes)
}

// TestAValueSetIsReadBackWhileTheCommitStoresIt: a handler that sets a
// value and reads it back must find it, also while the commit is storing
// it (the response is written by a goroutine of the handler's, a stream
// say). The commit takes the changes out of the session's pending map
// before the store's write and folds them back only after it returns: in
// between, Get answers the value from before the Set.
func TestAValueSetIsReadBackWhileTheCommitStoresIt(t *testing.T) {
	st := &updateGateStore{Store: store.NewMemory(), entered: make(chan struct{}), release: make(chan struct{})}
	env := testkit.NewEnv(t, manager.Options{Store: st}, nil)
	_, ck := env.Create(t)

	var during any
	var seen bool
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := env.M.GetSession(r)
		require.NotNil(t, s)
		require.NoError(t, s.Set("theme", "dark"))
		st.gated.Store(true)
		wrote := make(chan struct{})
		go func() {
			defer close(wrote)
			_, _ = w.Write([]byte("streaming")) // commits: the Update waits
		}()
		<-st.entered
		during, seen = s.Get("theme") // the handler reads back what it set
		close(st.release)
		<-wrote
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, testkit.RequestWith(ck))

	require.Equal(t, http.StatusOK, rec.Code)
	assert.True(t, seen, "Get during the commit lost the value the handler set")
	assert.Equal(t, "dark", during)
}
