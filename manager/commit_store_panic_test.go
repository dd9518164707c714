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

// panicOnceStore panics in the next Update while armed is set, as a
// store with a bug (or a codec that panics on a value) does.
type panicOnceStore struct {
	store.Store
	armed atomic.Bool
}

func (s *panicOnceStore) Update(ctx context.Context, id string, changes map[string]any) error {
	if s.armed.CompareAndSwap(true, false) {
		panic("store: update exploded")
	}
	return s.Store.Update(ctx, id, changes)
}

// TestAStoreThatPanicsInTheCommitLeavesNoValueOnItsWay: the commit puts
// its changes in the session's written map and marks it storing before the
// store's write, and takes both back only when the write returns. A write
// that panics instead (recovered by the handler, or by a recovery
// middleware while a goroutine of the handler goes on) leaves the session
// storing for good: Get answers a value the store never took, and every
// later Set is held for a commit that will never store it, yet returns nil.
// Before, the commit's changes were simply lost with the panic, and a
// later Set wrote through.
func TestAStoreThatPanicsInTheCommitLeavesNoValueOnItsWay(t *testing.T) {
	st := &panicOnceStore{Store: store.NewMemory()}
	env := testkit.NewEnv(t, manager.Options{Store: st}, nil)
	created, ck := env.Create(t)

	var recovered any
	var after any
	var lateErr error
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := env.M.GetSession(r)
		require.NotNil(t, s)
		require.NoError(t, s.Set("theme", "dark")) // held for the commit
		st.armed.Store(true)
		func() {
			defer func() { recovered = recover() }()
			_, _ = w.Write([]byte("x")) // commits: the store panics
		}()
		after, _ = s.Get("theme")
		lateErr = s.Set("lang", "en") // after the commit: writes through
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, testkit.RequestWith(ck))

	require.NotNil(t, recovered, "the store's panic reached the handler")
	assert.Nil(t, after, "Get answers a value the store never took")

	stored := env.M.GetSessionById(created.GetId())
	require.NotNil(t, stored)
	_, themeStored := stored.Get("theme")
	assert.False(t, themeStored)
	lang, _ := stored.Get("lang")
	if lateErr == nil {
		assert.Equal(t, "en", lang, "a Set after the commit returned nil, and its value never reached the store")
	}
}
