package manager_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

// deadlineStore records the deadline of each Update made while watching
// is set, and holds the first until release is closed, having closed
// entered.
type deadlineStore struct {
	store.Store
	watching  atomic.Bool
	gated     atomic.Bool
	entered   chan struct{}
	release   chan struct{}
	mu        sync.Mutex
	deadlines []time.Time
}

func (s *deadlineStore) Update(ctx context.Context, id string, changes map[string]any) error {
	if s.watching.Load() {
		d, _ := ctx.Deadline()
		s.mu.Lock()
		s.deadlines = append(s.deadlines, d)
		s.mu.Unlock()
	}
	if s.gated.CompareAndSwap(true, false) {
		close(s.entered)
		<-s.release
	}
	return s.Store.Update(ctx, id, changes)
}

// TestACommitsWritesShareOneDeadline: the commit stores what joined its
// write in one more write; the response waits for both, so both run within
// one StoreWriteTimeout, not one each.
func TestACommitsWritesShareOneDeadline(t *testing.T) {
	st := &deadlineStore{Store: store.NewMemory(), entered: make(chan struct{}), release: make(chan struct{})}
	env := testkit.NewEnv(t, manager.Options{Store: st, StoreWriteTimeout: time.Minute}, nil)
	_, ck := env.Create(t)

	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := env.M.GetSession(r)
		require.NotNil(t, s)
		require.NoError(t, s.Set("theme", "light")) // held for the commit
		st.watching.Store(true)
		st.gated.Store(true)
		wrote := make(chan struct{})
		go func() {
			defer close(wrote)
			_, _ = w.Write([]byte("ok")) // commits: its Update waits
		}()
		<-st.entered
		require.NoError(t, s.Set("lang", "fr")) // joins: a second write
		close(st.release)
		<-wrote
		st.watching.Store(false)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, testkit.RequestWith(ck))

	require.Equal(t, http.StatusOK, rec.Code)
	st.mu.Lock()
	defer st.mu.Unlock()
	require.Len(t, st.deadlines, 2, "the commit's own write and the joined one")
	require.False(t, st.deadlines[0].IsZero(), "the commit's write has a deadline")
	assert.Equal(t, st.deadlines[0], st.deadlines[1], "the joined write got a deadline of its own")
}
