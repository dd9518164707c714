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

// renewedGateStore holds Renew, while gated is set, after the store moved
// the record and before it returns: entered is closed then, and the call
// returns once release is closed.
type renewedGateStore struct {
	store.Store
	gated   atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func (s *renewedGateStore) Renew(ctx context.Context, oldID, newID string, now time.Time) error {
	err := s.Store.Renew(ctx, oldID, newID, now)
	if s.gated.CompareAndSwap(true, false) {
		close(s.entered)
		<-s.release
	}
	return err
}

// TestACommitDoesNotFailOnItsOwnRequestsRenewal: a handler renews its
// session (RenewSession returns nil) while a goroutine of its own starts
// the response. The commit writes the change it held under the ID it read
// when it began, which the request's own renewal has just moved: the store
// answers ErrRenewed, the session is marked renewed away by "another
// request", the held change is lost and the request is answered 409, as if
// another request had won, although the renewal was this request's and
// succeeded; nor does the new ID's cookie reach the client, whose old ID
// is dead.
func TestACommitDoesNotFailOnItsOwnRequestsRenewal(t *testing.T) {
	st := &renewedGateStore{Store: store.NewMemory(), entered: make(chan struct{}), release: make(chan struct{})}
	env := testkit.NewEnv(t, manager.Options{Store: st}, nil)
	_, ck := env.Create(t)

	var renewErr error
	var renewed manager.Session
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := env.M.GetSession(r)
		require.NotNil(t, s)
		require.NoError(t, s.Set("theme", "dark")) // held for the commit
		st.gated.Store(true)
		renewDone := make(chan struct{})
		go func() {
			defer close(renewDone)
			renewed, renewErr = env.M.RenewSession(r, w)
		}()
		<-st.entered // the store moved the record; the session has its old ID yet
		wrote := make(chan struct{})
		go func() {
			defer close(wrote)
			_, _ = w.Write([]byte("ok")) // commits
		}()
		<-wrote
		close(st.release)
		<-renewDone
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, testkit.RequestWith(ck))

	require.NoError(t, renewErr, "the renewal succeeded")
	require.NotNil(t, renewed)
	assert.Equal(t, http.StatusOK, rec.Code, "the request's own renewal failed its commit as if another request had renewed the session")
	stored := env.M.GetSessionById(renewed.GetId())
	require.NotNil(t, stored, "the session lives on under its new ID")
	theme, _ := stored.Get("theme")
	assert.Equal(t, "dark", theme, "the change the request held was lost to its own renewal")
	var sent string // the ID the response's headers, as sent, carry
	for _, c := range rec.Result().Cookies() {
		if c.Name == ck.Name {
			sent = c.Value
		}
	}
	assert.Equal(t, renewed.GetId(), sent, "RenewSession returned nil, but its cookie came after the headers went out: the client keeps its old ID, which is dead")
}
