package session_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/seam"
	"github.com/sessionkit/session/internal/testkit"
)

// The original package's README program (log in, see a private page, log
// out), through Gin with each carrier and through net/http, with the
// original names only.

func TestOriginalProgramThroughGin(t *testing.T) {
	for _, carrier := range carriers {
		t.Run(carrier.name, func(t *testing.T) {
			opts := testOptions(testkit.NewClock())
			opts.MaxInactiveInterval, opts.MaxAge, opts.HttpOnly = 1800, 84000, true
			ev := &testkit.Events{}
			srv := serve(t, newApp(session.UseSession(opts, carrier.new(), ev.Handle)))
			walkOriginalProgram(t, newClient(t, srv), http.MethodPost, "hello login")
			assert.Equal(t, 1, ev.CountKind(session.Created))
			assert.Equal(t, 2, ev.CountKind(session.Update), "set on login, delete on logout")
			assert.Equal(t, 0, ev.CountKind(session.Destroyed))
		})
	}
}

func TestOriginalProgramThroughNetHTTP(t *testing.T) {
	opts := testOptions(testkit.NewClock())
	opts.MaxInactiveInterval, opts.MaxAge, opts.HttpOnly = 1800, 84000, true
	ev := &testkit.Events{}
	m := newTestManager(t, opts, ev.Handle)

	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		s := m.GetSession(r)
		if s == nil {
			var err error
			if s, err = m.CreateSession(r, w); err != nil {
				http.Error(w, "create failed", http.StatusInternalServerError)
				return
			}
		}
		if err := s.Set("key", "login"); err != nil {
			http.Error(w, "set failed", http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("/private", func(w http.ResponseWriter, r *http.Request) {
		if s := m.GetSession(r); s != nil {
			if _, ok := s.Get("key"); ok {
				fmt.Fprint(w, "private")
				return
			}
		}
		http.Error(w, "forbidden", http.StatusForbidden)
	})
	mux.HandleFunc("/logout", func(w http.ResponseWriter, r *http.Request) {
		if s := m.GetSession(r); s != nil {
			_ = s.Set("key", nil)
		}
	})

	for name, handler := range map[string]http.Handler{
		"without middleware":   mux,
		"with manager.Handler": m.Handler(mux),
	} {
		t.Run(name, func(t *testing.T) {
			walkOriginalProgram(t, newClient(t, serve(t, handler)), http.MethodGet, "private")
		})
	}
	assert.Equal(t, 2, ev.CountKind(session.Created))
	assert.Equal(t, 4, ev.CountKind(session.Update))
	assert.Equal(t, 2, m.GetSessionSize(), "logout drops the key, not the session")
}

// walkOriginalProgram is the original program's user: the private page is
// forbidden, then shows privateBody after a login, then is forbidden again
// after a logout. The program logs in and out with method.
func walkOriginalProgram(t *testing.T, browser *client, method, privateBody string) {
	t.Helper()
	status, _ := browser.get("/private")
	assert.Equal(t, http.StatusForbidden, status, "private before login")

	status, _ = browser.do(method, "/login")
	require.Equal(t, http.StatusOK, status)
	status, body := browser.get("/private")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, privateBody, body)

	status, _ = browser.do(method, "/logout")
	require.Equal(t, http.StatusOK, status)
	status, _ = browser.get("/private")
	assert.Equal(t, http.StatusForbidden, status, "private after logout")
}

// TestCreateMemSessionAsCreator: the original package's creator, passed to
// NewManager, makes sessions with IDs of the checked form, a different one
// each time, that the manager stores and finds again; it reads
// crypto/rand, not Options.Rand, which it cannot see.
func TestCreateMemSessionAsCreator(t *testing.T) {
	opts := testOptions(testkit.NewClock())
	source := &testkit.IDRecorder{}
	opts.Rand = source
	m := session.NewManager(opts, session.CreateMemSession, nil)
	t.Cleanup(func() { require.NoError(t, m.Close()) })

	ids := map[string]bool{}
	for range 3 {
		s, err := m.CreateSession(httptest.NewRequest(http.MethodPost, "/login", nil), httptest.NewRecorder())
		require.NoError(t, err)
		id := s.GetId()
		require.True(t, seam.ValidID(id), "a 43-character base64url ID: %q", id)
		ids[id] = true
		found := m.GetSessionById(id)
		require.NotNil(t, found, "the manager stored the session")
		assert.Equal(t, id, found.GetId())
	}
	assert.Len(t, ids, 3, "a fresh ID each time")
	assert.Equal(t, 3, m.GetSessionSize())
	assert.Empty(t, source.Issued(), "Options.Rand is not read")
}
