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

// TestASetAfterTheCommitIsNotLostToTheCommitsOlderWrite: once the commit
// has begun, a Set writes through. A Set that lands while the commit is
// still storing the value held before it returns nil, and the store must
// then keep the newer value: the commit's older write arriving last must
// not overwrite it (a write answered as saved, then lost).
func TestASetAfterTheCommitIsNotLostToTheCommitsOlderWrite(t *testing.T) {
	st := &updateGateStore{Store: store.NewMemory(), entered: make(chan struct{}), release: make(chan struct{})}
	env := testkit.NewEnv(t, manager.Options{Store: st}, nil)
	created, ck := env.Create(t)

	var lateErr error
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := env.M.GetSession(r)
		require.NotNil(t, s)
		require.NoError(t, s.Set("theme", "light")) // held for the commit
		st.gated.Store(true)
		wrote := make(chan struct{})
		go func() {
			defer close(wrote)
			_, _ = w.Write([]byte("ok")) // commits: its Update waits
		}()
		<-st.entered
		lateErr = s.Set("theme", "dark") // after the commit began: writes through
		close(st.release)
		<-wrote
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, testkit.RequestWith(ck))

	require.Equal(t, http.StatusOK, rec.Code)
	require.NoError(t, lateErr)
	s := env.M.GetSessionById(created.GetId())
	require.NotNil(t, s)
	v, _ := s.Get("theme")
	assert.Equal(t, "dark", v, "the later Set returned nil, but the commit's older value overwrote it")
}
