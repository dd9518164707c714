package manager_test

import (
	"context"
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

// twoGateStore holds the first Update made while armed is set until
// releaseFirst is closed (having closed firstIn), and the second until
// releaseSecond is closed (having closed secondIn), failing that one
// without writing.
type twoGateStore struct {
	store.Store
	armed                   atomic.Bool
	n                       atomic.Int64
	firstIn, releaseFirst   chan struct{}
	secondIn, releaseSecond chan struct{}
}

func (s *twoGateStore) Update(ctx context.Context, id string, changes map[string]any) error {
	if s.armed.Load() {
		switch s.n.Add(1) {
		case 1:
			close(s.firstIn)
			<-s.releaseFirst
		case 2:
			close(s.secondIn)
			<-s.releaseSecond
			return errUpdateDown
		}
	}
	return s.Store.Update(ctx, id, changes)
}

// TestASetDuringTheCommitsLastWriteWaitsForIt: a Set made while the commit
// stores what joined its first write does not join again (the commit
// would then store for as long as Sets come): it waits for that write, and
// when that write fails, it fails too (ErrCommitFailed) rather than return
// nil for a value that the failed commit dropped.
func TestASetDuringTheCommitsLastWriteWaitsForIt(t *testing.T) {
	st := &twoGateStore{Store: store.NewMemory(),
		firstIn: make(chan struct{}), releaseFirst: make(chan struct{}),
		secondIn: make(chan struct{}), releaseSecond: make(chan struct{})}
	env := testkit.NewEnv(t, manager.Options{Store: st}, nil)
	created, ck := env.Create(t)

	var joinErr, waitErr error
	var returnedEarly bool
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := env.M.GetSession(r)
		require.NotNil(t, s)
		require.NoError(t, s.Set("theme", "light")) // held for the commit
		st.armed.Store(true)
		wrote := make(chan struct{})
		go func() {
			defer close(wrote)
			_, _ = w.Write([]byte("saved")) // commits
		}()
		<-st.firstIn
		joinErr = s.Set("lang", "fr") // joins: stored by the second write
		close(st.releaseFirst)
		<-st.secondIn
		setDone := make(chan struct{})
		go func() {
			defer close(setDone)
			waitErr = s.Set("user", "alice") // during the last write
		}()
		select {
		case <-setDone:
			returnedEarly = true
		case <-time.After(50 * time.Millisecond):
		}
		close(st.releaseSecond)
		<-setDone
		<-wrote
		st.armed.Store(false)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, testkit.RequestWith(ck))

	require.NoError(t, joinErr)
	assert.False(t, returnedEarly, "a Set made during the commit's last write returned before that write did")
	assert.ErrorIs(t, waitErr, manager.ErrCommitFailed, "the Set waited for a write that failed the commit")
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)

	stored := env.M.GetSessionById(created.GetId())
	require.NotNil(t, stored)
	theme, _ := stored.Get("theme")
	assert.Equal(t, "light", theme, "the commit's own write landed")
	for _, k := range []string{"lang", "user"} {
		_, ok := stored.Get(k)
		assert.False(t, ok, "%s reached the store behind a failed commit", k)
	}
}
