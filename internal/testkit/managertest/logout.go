package managertest

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
)

// SecurityLogout proves requirement 6: logout deletes the record and sends an expiring cookie
// with the same name, Path, Domain and attributes; replaying the old
// cookie afterwards finds nothing.
func SecurityLogout(t *testing.T, newStore NewStore) {
	for _, route := range []string{"destroy", "invalidate"} {
		t.Run(route, func(t *testing.T) {
			st := newStore(t)
			opts := manager.Options{Path: "/app", Domain: "example.test", Secure: true, CookieName: "__Secure-sid"}
			env := testkit.NewStoreEnv(t, st, opts)
			h := testkit.App(env.M)
			login := testkit.Send(h, http.MethodPost, "https://example.test/app/login")
			require.Equal(t, http.StatusOK, login.Code)
			ck := testkit.SessionCookie(t, login, opts.CookieName)
			require.Equal(t, "/app", ck.Path)
			require.Equal(t, "example.test", ck.Domain)

			logout := testkit.Send(h, http.MethodPost, "https://example.test/app/"+route, ck)
			require.Equal(t, http.StatusOK, logout.Code)
			setCookies := logout.Header().Values("Set-Cookie")
			require.Len(t, setCookies, 1)
			assert.Contains(t, setCookies[0], "Max-Age=0")
			gone := testkit.SessionCookie(t, logout, opts.CookieName)
			assert.Empty(t, gone.Value)
			assert.Less(t, gone.MaxAge, 0)
			assert.Equal(t, ck.Path, gone.Path)
			assert.Equal(t, ck.Domain, gone.Domain)
			assert.Equal(t, ck.Secure, gone.Secure)
			assert.Equal(t, ck.HttpOnly, gone.HttpOnly)
			assert.Equal(t, ck.SameSite, gone.SameSite)
			assert.Equal(t, "no-store", logout.Header().Get("Cache-Control"))
			assert.Nil(t, env.M.GetSessionById(ck.Value), "the record outlived logout")
			assert.Equal(t, 0, env.M.GetSessionSize())
			assert.Equal(t, 1, env.Events.Count(ck.Value, manager.Destroyed))

			replay := testkit.Send(h, http.MethodGet, "https://example.test/app/whoami", ck)
			assert.Equal(t, "none", replay.Body.String())
			assert.Empty(t, replay.Header().Values("Set-Cookie"))
			assert.Equal(t, http.StatusConflict, testkit.Send(h, http.MethodPost, "https://example.test/app/renew", ck).Code)
			assert.Equal(t, http.StatusNotFound, testkit.Send(h, http.MethodPost, "https://example.test/app/set?k=a&v=b", ck).Code)
			assert.Equal(t, 0, env.M.GetSessionSize(), "the replay brought the session back")
		})
	}
}
