package manager_test

import (
	"crypto/rand"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

// The tests of this file pin the rule "a write is never answered 200 and
// then lost": whatever keeps a request's session work from landing sends
// its response through the error handler, even when the handler ignored the
// error it was given.

// TestWriteRacingARenewalFailsInsteadOfVanishing: request A holds a change
// while request B (on another instance sharing the store) renews the
// session, as a login in another tab does. A's commit must not answer 200
// for a change that was lost, nor carry it into the renewed session.
func TestWriteRacingARenewalFailsInsteadOfVanishing(t *testing.T) {
	forEachStore(t, func(t *testing.T, st store.Store) {
		a := newStoreEnv(t, st, manager.Options{})
		b := newStoreEnv(t, st, manager.Options{})
		s, ck := a.create(t)
		require.NoError(t, s.Set("role", "user"))

		var renewedID string
		renew := b.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, err := b.m.RenewSession(r, w)
			require.NoError(t, err)
			renewedID = s.GetId()
		}))
		write := a.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			require.NoError(t, a.m.GetSession(r).Set("role", "admin"))
			require.Equal(t, http.StatusOK, serve(renew, "/renew", ck).Code, "the renewal in between")
			_, _ = w.Write([]byte("saved"))
		}))

		rec := serve(write, "/write", ck)
		assert.Equal(t, http.StatusConflict, rec.Code, "the response of a change lost to a renewal")
		assert.NotContains(t, rec.Body.String(), "saved", "the handler's body went out")
		assert.Equal(t, "user", valueOf(b.m, renewedID, "role"), "the renewed session")
		assert.Nil(t, a.m.GetSessionById(ck.Value), "the old ID came back")
	})
}

// TestWriteRacingALogoutIsDropped: a change held by a request while
// another one destroys the session is dropped, and the response goes on
// (logout wins): the session stays destroyed.
func TestWriteRacingALogoutIsDropped(t *testing.T) {
	forEachStore(t, func(t *testing.T, st store.Store) {
		env := newStoreEnv(t, st, manager.Options{})
		_, ck := env.create(t)
		logout := env.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			require.NoError(t, env.m.DestroySession(r, w))
		}))
		write := env.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			require.NoError(t, env.m.GetSession(r).Set("role", "admin"))
			serve(logout, "/logout", ck)
			_, _ = w.Write([]byte("saved"))
		}))

		rec := serve(write, "/write", ck)
		assert.Equal(t, http.StatusOK, rec.Code)
		assert.Nil(t, env.m.GetSessionById(ck.Value), "a late change brought a destroyed session back")
		assert.Equal(t, 1, env.events.countKind(manager.Destroyed))
	})
}

// TestFailedDestroyFailsTheResponse: when the store fails during logout the
// session lives on, so a handler that ignores DestroySession's error (as
// handlers that redirect after logout tend to) must not answer its redirect:
// the commit fails and the error handler answers.
func TestFailedDestroyFailsTheResponse(t *testing.T) {
	fs := &faultyStore{Store: store.NewMemory()}
	env := newEnv(t, manager.Options{Store: fs}, nil)
	_, ck := env.create(t)
	injected := errors.New("injected delete failure")
	fs.deleteErr = injected

	for name, destroy := range map[string]func(w http.ResponseWriter, r *http.Request){
		"DestroySession": func(w http.ResponseWriter, r *http.Request) { _ = env.m.DestroySession(r, w) },
		"Invalidate":     func(w http.ResponseWriter, r *http.Request) { env.m.GetSession(r).Invalidate() },
	} {
		t.Run(name, func(t *testing.T) {
			h := env.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				destroy(w, r)
				http.Redirect(w, r, "/", http.StatusSeeOther)
			}))
			rec := serve(h, "/logout", ck)
			assert.Equal(t, http.StatusInternalServerError, rec.Code, "a logout that failed answered")
			assert.Contains(t, env.logs.String(), injected.Error())
		})
	}
	fs.deleteErr = nil
	assert.NotNil(t, env.m.GetSessionById(ck.Value), "the session should have survived the failed deletes")
}

// TestFailedRenewalFailsTheResponse: a renewal the store failed leaves the
// old, possibly planted, ID working; a handler that ignores the error and
// logs the user in anyway must not answer 200.
func TestFailedRenewalFailsTheResponse(t *testing.T) {
	env := newEnv(t, manager.Options{Rand: &failAfter{n: 1}}, nil)
	_, ck := env.create(t) // the one read the source allows
	h := env.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = env.m.RenewSession(r, w)
		_ = env.m.GetSession(r).Set("user", "ada")
		_, _ = w.Write([]byte("welcome"))
	}))
	rec := serve(h, "/login", ck)
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.NotContains(t, rec.Body.String(), "welcome")
	assert.Nil(t, valueOf(env.m, ck.Value, "user"), "the old ID was logged in")
}

// failAfter is a random source that serves n reads from crypto/rand and then
// fails every read.
type failAfter struct {
	mu sync.Mutex
	n  int
}

func (f *failAfter) Read(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == 0 {
		return 0, errors.New("random source exhausted")
	}
	f.n--
	return rand.Read(p)
}
