package manager_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
)

// recoverWith500 is a recovery middleware of the usual kind: it answers a
// panic with a 500 through the writer it was given.
func recoverWith500(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if recover() != nil {
				w.WriteHeader(http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// TestPanickingHandlerCommitsNothing: a handler that panics halfway must not
// leave half its changes in the store. What reached the store before the
// panic (a new session, an invalidation) stands, and its cookie goes out
// with the recovery's 500, so that the client never holds a dead ID.
func TestPanickingHandlerCommitsNothing(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{}, nil)
	m := env.M
	s, ck := env.Create(t)
	require.NoError(t, s.Set("balance", 100))

	t.Run("pending changes", func(t *testing.T) {
		h := recoverWith500(m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s := m.GetSession(r)
			require.NoError(t, s.Set("balance", 0))
			require.NoError(t, s.Set("paid", true))
			panic("payment service failed")
		})))
		rec := testkit.Get(h, "/pay", ck)
		assert.Equal(t, http.StatusInternalServerError, rec.Code)
		assert.Equal(t, 100, testkit.ValueOf(m, ck.Value, "balance"))
		assert.Nil(t, testkit.ValueOf(m, ck.Value, "paid"))
	})

	t.Run("created session", func(t *testing.T) {
		h := recoverWith500(m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, err := m.CreateSession(r, w)
			require.NoError(t, err)
			require.NoError(t, s.Set("user", "ada"))
			panic("profile service failed")
		})))
		rec := testkit.Get(h, "/login", nil)
		assert.Equal(t, http.StatusInternalServerError, rec.Code)
		created := testkit.SessionCookie(t, rec, manager.DefaultCookieName)
		require.NotNil(t, m.GetSessionById(created.Value), "the session created before the panic")
		assert.Nil(t, testkit.ValueOf(m, created.Value, "user"))
	})

	t.Run("invalidated session", func(t *testing.T) {
		h := recoverWith500(m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			m.GetSession(r).Invalidate()
			panic("audit log failed")
		})))
		rec := testkit.Get(h, "/logout", ck)
		assert.Equal(t, http.StatusInternalServerError, rec.Code)
		assert.Nil(t, m.GetSessionById(ck.Value), "the session invalidated before the panic")
		expired := testkit.SessionCookie(t, rec, manager.DefaultCookieName)
		assert.Negative(t, expired.MaxAge, "the expiring cookie did not go out")
	})
}

// TestPanickingHandlerPanicGoesOn: the middleware must not swallow the
// panic: the recovery middleware (or net/http) decides what to do with it.
func TestPanickingHandlerPanicGoesOn(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{}, nil)
	h := env.M.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }))
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	})
}
