package manager_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/manager"
)

func TestConcurrentRequestsSettingDifferentKeys(t *testing.T) {
	const requests = 10
	env := newEnv(t, manager.Options{}, nil)
	_, ck := env.create(t)

	var loaded sync.WaitGroup
	loaded.Add(requests)
	h := env.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := env.m.GetSession(r)
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
			r := requestWith(ck)
			r.URL.RawQuery = "key=k" + string(rune('a'+i))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			assert.Equal(t, http.StatusOK, rec.Code)
		})
	}
	done.Wait()

	s := env.m.GetSessionById(ck.Value)
	require.NotNil(t, s)
	assert.Len(t, s.Keys(), requests, "a request's commit overwrote another's keys")
}

func TestDestroyedSessionIsNotBroughtBackByASlowerRequest(t *testing.T) {
	env := newEnv(t, manager.Options{}, nil)
	_, ck := env.create(t)

	loaded, destroyed := make(chan struct{}), make(chan struct{})
	slow := env.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := env.m.GetSession(r)
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
		slow.ServeHTTP(rec, requestWith(ck))
	}()
	<-loaded
	require.NoError(t, env.m.DestroySession(requestWith(ck), httptest.NewRecorder()))
	close(destroyed)
	<-finished

	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "done", rec.Body.String())
	assert.Nil(t, env.m.GetSessionById(ck.Value))
	assert.Equal(t, 0, env.m.GetSessionSize())
	assert.Equal(t, 1, env.events.count(ck.Value, manager.Destroyed))
}

func TestInvalidateWithinARequest(t *testing.T) {
	env := newEnv(t, manager.Options{}, nil)
	_, ck := env.create(t)
	h := env.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := env.m.GetSession(r)
		_ = s.Set("k", "v")
		s.Invalidate()
		if env.m.GetSession(r) != nil {
			http.Error(w, "still has a session", http.StatusConflict)
			return
		}
		_, _ = w.Write([]byte("bye"))
	}))
	rec := serve(h, "/", ck)
	assert.Equal(t, http.StatusOK, rec.Code)
	gone := sessionCookie(t, rec, manager.DefaultCookieName)
	assert.Less(t, gone.MaxAge, 0)
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	assert.Nil(t, env.m.GetSessionById(ck.Value))
	assert.Equal(t, 1, env.events.count(ck.Value, manager.Destroyed))
}

func TestCreateSessionReplacesTheCurrentOne(t *testing.T) {
	env := newEnv(t, manager.Options{}, nil)
	old, ck := env.create(t)
	require.NoError(t, old.Set("k", "old"))
	var fresh manager.Session
	h := env.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var err error
		if fresh, err = env.m.CreateSession(r, w); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	}))
	rec := serve(h, "/", ck)
	require.Equal(t, http.StatusOK, rec.Code)
	require.NotNil(t, fresh)
	assert.NotEqual(t, ck.Value, fresh.GetId())
	assert.Empty(t, fresh.Keys())
	assert.Equal(t, fresh.GetId(), sessionCookie(t, rec, manager.DefaultCookieName).Value)
	assert.Nil(t, env.m.GetSessionById(ck.Value))
	assert.Equal(t, 1, env.events.count(ck.Value, manager.Destroyed))
	assert.Equal(t, 1, env.m.GetSessionSize())
}
