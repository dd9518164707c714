package manager_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
)

func TestConcurrentRequestsSettingDifferentKeys(t *testing.T) {
	const requests = 10
	env := testkit.NewEnv(t, manager.Options{}, nil)
	_, ck := env.Create(t)

	var loaded sync.WaitGroup
	loaded.Add(requests)
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := env.M.GetSession(r)
		loaded.Done()
		loaded.Wait() // every request holds the same starting state
		if s == nil {
			http.Error(w, "no session", http.StatusForbidden)
			return
		}
		_ = s.Set(r.URL.Query().Get("key"), "set")
	}))
	var done sync.WaitGroup
	for i := range requests {
		done.Go(func() {
			r := testkit.RequestWith(ck)
			r.URL.RawQuery = "key=k" + string(rune('a'+i))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			assert.Equal(t, http.StatusOK, rec.Code)
		})
	}
	done.Wait()

	s := env.M.GetSessionById(ck.Value)
	require.NotNil(t, s)
	assert.Len(t, s.Keys(), requests, "a request's commit overwrote another's keys")
}

func TestDestroyedSessionIsNotBroughtBackByASlowerRequest(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{}, nil)
	_, ck := env.Create(t)

	loaded, destroyed := make(chan struct{}), make(chan struct{})
	slow := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := env.M.GetSession(r)
		close(loaded)
		<-destroyed
		if s == nil {
			http.Error(w, "no session", http.StatusForbidden)
			return
		}
		_ = s.Set("k", "late write")
		_, _ = w.Write([]byte("done"))
	}))
	rec := httptest.NewRecorder()
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		slow.ServeHTTP(rec, testkit.RequestWith(ck))
	}()
	<-loaded
	require.NoError(t, env.M.DestroySession(testkit.RequestWith(ck), httptest.NewRecorder()))
	close(destroyed)
	<-finished

	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "done", rec.Body.String())
	assert.Nil(t, env.M.GetSessionById(ck.Value))
	assert.Equal(t, 0, env.M.GetSessionSize())
	assert.Equal(t, 1, env.Events.Count(ck.Value, manager.Destroyed))
}

func TestInvalidateWithinARequest(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{}, nil)
	_, ck := env.Create(t)
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := env.M.GetSession(r)
		_ = s.Set("k", "v")
		s.Invalidate()
		if env.M.GetSession(r) != nil {
			http.Error(w, "still has a session", http.StatusConflict)
			return
		}
		_, _ = w.Write([]byte("bye"))
	}))
	rec := testkit.Get(h, "/", ck)
	assert.Equal(t, http.StatusOK, rec.Code)
	gone := testkit.SessionCookie(t, rec, manager.DefaultCookieName)
	assert.Less(t, gone.MaxAge, 0)
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	assert.Nil(t, env.M.GetSessionById(ck.Value))
	assert.Equal(t, 1, env.Events.Count(ck.Value, manager.Destroyed))
}
