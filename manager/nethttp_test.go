package manager_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/manager"
)

// TestNetHTTPWithoutMiddleware uses the manager the way the original package
// was used: plain handlers calling GetSession and CreateSession, no wrapper.
func TestNetHTTPWithoutMiddleware(t *testing.T) {
	env := newEnv(t, manager.Options{}, nil)
	m := env.m

	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		s, err := m.CreateSession(r, w)
		if err != nil {
			http.Error(w, "create failed", http.StatusInternalServerError)
			return
		}
		if err := s.Set("key", "login"); err != nil {
			http.Error(w, "set failed", http.StatusInternalServerError)
			return
		}
	})
	mux.HandleFunc("/private", func(w http.ResponseWriter, r *http.Request) {
		s := m.GetSession(r)
		if s == nil {
			http.Error(w, "no session", http.StatusForbidden)
			return
		}
		if _, ok := s.Get("key"); !ok {
			http.Error(w, "not logged in", http.StatusForbidden)
			return
		}
	})
	mux.HandleFunc("/logout", func(w http.ResponseWriter, r *http.Request) {
		s := m.GetSession(r)
		if s == nil {
			http.Error(w, "no session", http.StatusBadRequest)
			return
		}
		if err := s.Set("key", nil); err != nil {
			http.Error(w, "set failed", http.StatusInternalServerError)
			return
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	client := &http.Client{Jar: jar}
	get := func(t *testing.T, path string) int {
		t.Helper()
		resp, err := client.Get(srv.URL + path)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		return resp.StatusCode
	}

	steps := []struct {
		name string
		path string
		want int
	}{
		{name: "private before login", path: "/private", want: http.StatusForbidden},
		{name: "login", path: "/login", want: http.StatusOK},
		{name: "private after login", path: "/private", want: http.StatusOK},
		{name: "private again", path: "/private", want: http.StatusOK},
		{name: "logout", path: "/logout", want: http.StatusOK},
		{name: "private after logout", path: "/private", want: http.StatusForbidden},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			assert.Equal(t, step.want, get(t, step.path))
		})
	}
	assert.Equal(t, 1, m.GetSessionSize(), "logout keeps the session, without the key")
	assert.Equal(t, 1, env.events.countKind(manager.Created))
	assert.Equal(t, 2, env.events.countKind(manager.Update))
}
