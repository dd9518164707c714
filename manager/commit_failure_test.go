package manager_test

import (
	"crypto/rand"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
)

// The tests of this file pin the rule "a write is never answered 200 and
// then lost": whatever keeps a request's session work from landing sends
// its response through the error handler, even when the handler ignored the
// error it was given.

// TestFailedDestroyFailsTheResponse: when the store fails during logout the
// session lives on, so a handler that ignores DestroySession's error (as
// handlers that redirect after logout tend to) must not answer its redirect:
// the commit fails and the error handler answers.
func TestFailedDestroyFailsTheResponse(t *testing.T) {
	fs := testkit.NewFaultyStore()
	env := testkit.NewEnv(t, manager.Options{Store: fs}, nil)
	_, ck := env.Create(t)
	injected := errors.New("injected delete failure")
	fs.Err = injected
	fs.FailDelete.Store(true)

	for name, destroy := range map[string]func(w http.ResponseWriter, r *http.Request){
		"DestroySession": func(w http.ResponseWriter, r *http.Request) { _ = env.M.DestroySession(r, w) },
		"Invalidate":     func(w http.ResponseWriter, r *http.Request) { env.M.GetSession(r).Invalidate() },
	} {
		t.Run(name, func(t *testing.T) {
			h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				destroy(w, r)
				http.Redirect(w, r, "/", http.StatusSeeOther)
			}))
			rec := testkit.Get(h, "/logout", ck)
			assert.Equal(t, http.StatusInternalServerError, rec.Code, "a logout that failed answered")
			assert.Contains(t, env.Logs.String(), injected.Error())
		})
	}
	fs.FailDelete.Store(false)
	assert.NotNil(t, env.M.GetSessionById(ck.Value), "the session should have survived the failed deletes")
}

// TestFailedRenewalFailsTheResponse: a renewal the store failed leaves the
// old, possibly planted, ID working; a handler that ignores the error and
// logs the user in anyway must not answer 200.
func TestFailedRenewalFailsTheResponse(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{Rand: &failAfter{n: 1}}, nil)
	_, ck := env.Create(t) // the one read the source allows
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = env.M.RenewSession(r, w)
		_ = env.M.GetSession(r).Set("user", "ada")
		_, _ = w.Write([]byte("welcome"))
	}))
	rec := testkit.Get(h, "/login", ck)
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.NotContains(t, rec.Body.String(), "welcome")
	assert.Nil(t, testkit.ValueOf(env.M, ck.Value, "user"), "the old ID was logged in")
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
