package manager_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

func TestHandlerCommitsBeforeTheBody(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{}, nil)
	m := env.M
	var beforeWrite, afterWrite any
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var err error
		s := m.GetSession(r)
		if s == nil {
			s, err = m.CreateSession(r, w)
		}
		if err != nil {
			http.Error(w, "create failed", http.StatusInternalServerError)
			return
		}
		if v := r.URL.Query().Get("set"); v != "" {
			if err := s.Set("k", v); err != nil {
				http.Error(w, "set failed", http.StatusInternalServerError)
				return
			}
		}
		beforeWrite = testkit.ValueOf(m, s.GetId(), "k")
		v, _ := s.Get("k")
		_, _ = fmt.Fprintf(w, "k=%v", v)
		afterWrite = testkit.ValueOf(m, s.GetId(), "k")
	}))

	first := testkit.Get(h, "/?set=one", nil)
	require.Equal(t, http.StatusOK, first.Code)
	assert.Equal(t, "k=one", first.Body.String())
	assert.Nil(t, beforeWrite, "a change reached the store before the commit")
	assert.Equal(t, "one", afterWrite, "the change was not stored before the body")
	ck := testkit.SessionCookie(t, first, manager.DefaultCookieName)

	second := testkit.Get(h, "/", ck)
	require.Equal(t, http.StatusOK, second.Code)
	assert.Equal(t, "k=one", second.Body.String())
	assert.Empty(t, second.Header().Values("Set-Cookie"), "an existing session's cookie was sent again")

	third := testkit.Get(h, "/?set=two", ck)
	assert.Equal(t, "k=two", third.Body.String())
	assert.Equal(t, "two", testkit.ValueOf(m, ck.Value, "k"))
	assert.Equal(t, 1, m.GetSessionSize())
}

func TestHandlerCommitWithoutBody(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{}, nil)
	s, ck := env.Create(t)
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = env.M.GetSession(r).Set("k", "quiet")
	}))
	rec := testkit.Get(h, "/", ck)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "quiet", testkit.ValueOf(env.M, s.GetId(), "k"))
}

func TestHandlerCommitFailure(t *testing.T) {
	errUpdate := errors.New("disk full of secrets")
	tests := []struct {
		name string
		// write is how the handler starts its response after Set.
		write func(w http.ResponseWriter) error
	}{
		{name: "Write", write: func(w http.ResponseWriter) error {
			_, err := w.Write([]byte("secret body"))
			return err
		}},
		{name: "WriteHeader then Write", write: func(w http.ResponseWriter) error {
			w.WriteHeader(http.StatusCreated)
			_, err := w.Write([]byte("secret body"))
			return err
		}},
		{name: "nothing written", write: func(http.ResponseWriter) error { return nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := testkit.NewFaultyStore()
			env := testkit.NewEnv(t, manager.Options{Store: st}, nil)
			_, ck := env.Create(t)
			st.Err = errUpdate
			st.FailUpdate.Store(true)

			var writeErr error
			h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if err := env.M.GetSession(r).Set("k", "v"); err != nil {
					t.Errorf("Set: %v", err)
				}
				writeErr = tt.write(w)
			}))
			rec := testkit.Get(h, "/", ck)
			assert.Equal(t, http.StatusInternalServerError, rec.Code)
			assert.Equal(t, "Internal Server Error\n", rec.Body.String())
			assert.NotContains(t, rec.Body.String(), errUpdate.Error())
			assert.NotContains(t, rec.Body.String(), "secret body")
			if tt.name != "nothing written" {
				assert.ErrorIs(t, writeErr, manager.ErrCommitFailed)
			}
			assert.Contains(t, env.Logs.String(), errUpdate.Error(), "the failure was not logged")
			assert.NotContains(t, env.Logs.String(), ck.Value, "a log line holds a raw ID")
		})
	}
}

func TestHandlerLoadFailure(t *testing.T) {
	// A store wraps store.ErrUnavailable in an error saying it cannot be
	// reached; that is what the default handler answers with 503.
	errLoad := fmt.Errorf("%w: connection refused to 10.0.0.7", store.ErrUnavailable)
	st := testkit.NewFaultyStore()
	env := testkit.NewEnv(t, manager.Options{Store: st}, nil)
	_, ck := env.Create(t)
	st.Err = errLoad
	st.FailLoad.Store(true)

	var ran atomic.Bool
	h := env.M.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { ran.Store(true) }))
	rec := testkit.Get(h, "/", ck)
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Equal(t, "Service Unavailable\n", rec.Body.String())
	assert.False(t, ran.Load(), "the handler ran without its session")
	assert.Contains(t, env.Logs.String(), errLoad.Error())

	t.Run("no cookie, no store access, no failure", func(t *testing.T) {
		before := st.Loads()
		rec := testkit.Get(h, "/", nil)
		assert.Equal(t, http.StatusOK, rec.Code)
		assert.True(t, ran.Load())
		assert.Equal(t, before, st.Loads())
	})
}

func TestCustomErrorHandler(t *testing.T) {
	errStore := errors.New("store is down")
	tests := []struct {
		name      string
		breakIt   func(st *testkit.FaultyStore)
		wantIs    []error
		setInside bool
	}{
		{name: "load failure", breakIt: func(st *testkit.FaultyStore) { st.Err = errStore; st.FailLoad.Store(true) },
			wantIs: []error{errStore}},
		{name: "commit failure", breakIt: func(st *testkit.FaultyStore) { st.Err = errStore; st.FailUpdate.Store(true) },
			wantIs: []error{errStore}, setInside: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := testkit.NewFaultyStore()
			var got []error
			env := testkit.NewEnv(t, manager.Options{Store: st, ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
				got = append(got, err)
				http.Error(w, "custom", http.StatusTeapot)
			}}, nil)
			_, ck := env.Create(t)
			tt.breakIt(st)

			h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.setInside {
					_ = env.M.GetSession(r).Set("k", "v")
				}
				_, _ = io.WriteString(w, "handler body")
			}))
			rec := testkit.Get(h, "/", ck)
			assert.Equal(t, http.StatusTeapot, rec.Code)
			assert.Equal(t, "custom\n", rec.Body.String())
			require.Len(t, got, 1)
			for _, target := range tt.wantIs {
				assert.ErrorIs(t, got[0], target)
			}
		})
	}
}

// TestAnErrorHandlerThatWritesNothingIsNoSuccess: an ErrorHandler that only
// logs must not leave net/http to answer 200 for a request whose session
// could not be loaded or whose change was lost.
func TestAnErrorHandlerThatWritesNothingIsNoSuccess(t *testing.T) {
	for _, tt := range []struct {
		name      string
		breakIt   func(st *testkit.FaultyStore)
		setInside bool
	}{
		{name: "load failure", breakIt: func(st *testkit.FaultyStore) { st.FailLoad.Store(true) }},
		{name: "commit failure", breakIt: func(st *testkit.FaultyStore) { st.FailUpdate.Store(true) }, setInside: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := testkit.NewFaultyStore()
			logged := 0
			env := testkit.NewEnv(t, manager.Options{Store: st, ErrorHandler: func(http.ResponseWriter, *http.Request, error) {
				logged++
			}}, nil)
			_, ck := env.Create(t)
			st.Err = store.ErrUnavailable
			tt.breakIt(st)
			h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.setInside {
					_ = env.M.GetSession(r).Set("k", "v")
				}
				_, _ = io.WriteString(w, "saved")
			}))
			rec := testkit.Get(h, "/", ck)
			assert.Equal(t, 1, logged)
			assert.Equal(t, http.StatusServiceUnavailable, rec.Code, "the default status of a store that is down")
			assert.NotContains(t, rec.Body.String(), "saved")
		})
	}
}

// TestAnErrorHandlerKeepsTheWritersFlusher: an Options.ErrorHandler gets a
// writer it may stream its answer on (an SSE error event, a long
// maintenance page): w.(http.Flusher) holds wherever the server's writer
// is one, though HandleError hands the handler a writer of its own to see
// whether it answered.
func TestAnErrorHandlerKeepsTheWritersFlusher(t *testing.T) {
	for _, tt := range []struct {
		name      string
		breakIt   func(st *testkit.FaultyStore)
		setInside bool
	}{
		{name: "load failure", breakIt: func(st *testkit.FaultyStore) { st.FailLoad.Store(true) }},
		{name: "commit failure", breakIt: func(st *testkit.FaultyStore) { st.FailUpdate.Store(true) }, setInside: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := testkit.NewFaultyStore()
			flusher := false
			env := testkit.NewEnv(t, manager.Options{Store: st, ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) {
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = io.WriteString(w, "event: error\n\n")
				var f http.Flusher
				f, flusher = w.(http.Flusher)
				if flusher {
					f.Flush()
				}
			}}, nil)
			_, ck := env.Create(t)
			st.Err = store.ErrUnavailable
			tt.breakIt(st)
			h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.setInside {
					_ = env.M.GetSession(r).Set("k", "v")
				}
				_, _ = io.WriteString(w, "saved")
			}))
			rec := testkit.Get(h, "/", ck)
			assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
			assert.True(t, flusher, "the error handler's writer lost http.Flusher")
			assert.True(t, rec.Flushed, "the error handler's answer was not flushed")
		})
	}
}

func TestHandlerHeaders(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{}, nil)
	m := env.M
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" {
			if _, err := m.CreateSession(r, w); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
		}
		_, _ = io.WriteString(w, "ok")
	}))

	login := testkit.Get(h, "/login", nil)
	require.Equal(t, http.StatusOK, login.Code)
	ck := testkit.SessionCookie(t, login, manager.DefaultCookieName)

	t.Run("Vary: Cookie", func(t *testing.T) {
		for _, rec := range []*httptest.ResponseRecorder{login, testkit.Get(h, "/", nil), testkit.Get(h, "/", ck)} {
			assert.Contains(t, rec.Header().Values("Vary"), "Cookie")
		}
	})
	t.Run("Cache-Control: no-store only when the cookie is set", func(t *testing.T) {
		assert.Equal(t, "no-store", login.Header().Get("Cache-Control"))
		assert.Empty(t, testkit.Get(h, "/", ck).Header().Get("Cache-Control"))
		assert.Empty(t, testkit.Get(h, "/", nil).Header().Get("Cache-Control"))
	})
	t.Run("default cookie attributes", func(t *testing.T) {
		assert.True(t, ck.HttpOnly)
		assert.Equal(t, http.SameSiteLaxMode, ck.SameSite)
		assert.Equal(t, "/", ck.Path)
		assert.Empty(t, ck.Domain)
		assert.False(t, ck.Secure)
		assert.Equal(t, 86400, ck.MaxAge)
		assert.True(t, manager.IsValidID(ck.Value))
		assert.NoError(t, ck.Valid())
	})
}

func TestDestroySessionExpiresTheCookie(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{Domain: "example.test", Path: "/app"}, nil)
	m := env.M
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var err error
		switch r.URL.Path {
		case "/app/login":
			_, err = m.CreateSession(r, w)
		case "/app/logout":
			err = m.DestroySession(r, w)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	}))

	login := testkit.Get(h, "/app/login", nil)
	require.Equal(t, http.StatusOK, login.Code)
	ck := testkit.SessionCookie(t, login, manager.DefaultCookieName)
	assert.Equal(t, "/app", ck.Path)
	assert.Equal(t, "example.test", ck.Domain)

	logout := testkit.Get(h, "/app/logout", ck)
	require.Equal(t, http.StatusOK, logout.Code)
	setCookie := logout.Header().Values("Set-Cookie")
	require.Len(t, setCookie, 1)
	assert.Contains(t, setCookie[0], "Max-Age=0")
	gone := testkit.SessionCookie(t, logout, manager.DefaultCookieName)
	assert.Less(t, gone.MaxAge, 0)
	assert.Empty(t, gone.Value)
	assert.Equal(t, "/app", gone.Path)
	assert.Equal(t, "example.test", gone.Domain)
	assert.True(t, gone.HttpOnly)
	assert.Equal(t, "no-store", logout.Header().Get("Cache-Control"))

	assert.Nil(t, m.GetSessionById(ck.Value))
	assert.Equal(t, 1, env.Events.Count(ck.Value, manager.Destroyed))
}

func TestHandlerFlush(t *testing.T) {
	tests := []struct {
		name  string
		flush func(t *testing.T, w http.ResponseWriter)
	}{
		{name: "http.Flusher", flush: func(t *testing.T, w http.ResponseWriter) {
			f, ok := w.(http.Flusher)
			require.True(t, ok, "the wrapper hides Flush")
			f.Flush()
		}},
		{name: "ResponseController", flush: func(t *testing.T, w http.ResponseWriter) {
			require.NoError(t, http.NewResponseController(w).Flush())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := testkit.NewEnv(t, manager.Options{}, nil)
			_, ck := env.Create(t)
			var afterFlush any
			h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_ = env.M.GetSession(r).Set("k", "streamed")
				_, _ = io.WriteString(w, "part one;")
				_ = env.M.GetSession(r).Set("k2", "late")
				tt.flush(t, w)
				afterFlush = testkit.ValueOf(env.M, ck.Value, "k")
				_, _ = io.WriteString(w, "part two")
			}))
			rec := testkit.Get(h, "/", ck)
			assert.True(t, rec.Flushed, "Flush did not reach the server's writer")
			assert.Equal(t, "part one;part two", rec.Body.String())
			assert.Equal(t, "streamed", afterFlush)
			assert.Equal(t, "late", testkit.ValueOf(env.M, ck.Value, "k2"), "a Set after the commit was lost")
		})
	}

	t.Run("Flush first commits", func(t *testing.T) {
		env := testkit.NewEnv(t, manager.Options{}, nil)
		_, ck := env.Create(t)
		var afterFlush any
		h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_ = env.M.GetSession(r).Set("k", "flushed")
			require.NoError(t, http.NewResponseController(w).Flush())
			afterFlush = testkit.ValueOf(env.M, ck.Value, "k")
		}))
		rec := testkit.Get(h, "/", ck)
		assert.True(t, rec.Flushed)
		assert.Equal(t, "flushed", afterFlush)
		assert.True(t, strings.HasPrefix(rec.Header().Get("Vary"), "Cookie"))
	})
}

func TestHandlerInterimStatusDoesNotCommit(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{}, nil)
	var createErr error
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		_, createErr = env.M.CreateSession(r, w)
		_, _ = io.WriteString(w, "done")
	}))
	rec := testkit.Get(h, "/", nil)
	require.NoError(t, createErr, "a 103 must leave room for the session cookie")
	// The recorder snapshots headers at the 103; the final ones are live.
	assert.NotEmpty(t, rec.Header().Values("Set-Cookie"))
}

func TestHandlerFlushReportsAFailedCommit(t *testing.T) {
	faulty := &testkit.FaultyStore{Store: store.NewMemory(), Err: errors.New("store down")}
	faulty.FailUpdate.Store(true)
	env := testkit.NewEnv(t, manager.Options{Store: faulty}, nil)
	_, ck := env.Create(t)
	var flushErr error
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = env.M.GetSession(r).Set("k", "v")
		flushErr = http.NewResponseController(w).Flush()
	}))
	rec := testkit.Get(h, "/", ck)
	assert.ErrorIs(t, flushErr, manager.ErrCommitFailed)
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
}

// TestCookieChangesAfterTheResponseStarted: once the headers are out, a new
// cookie cannot follow, so CreateSession and RenewSession refuse with
// ErrHeadersWritten and change nothing in the store.
func TestCookieChangesAfterTheResponseStarted(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{}, nil)
	_, ck := env.Create(t)
	var createErr, renewErr error
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "started")
		_, createErr = env.M.CreateSession(r, w)
		_, renewErr = env.M.RenewSession(r, w)
	}))
	rec := testkit.Get(h, "/", ck)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.ErrorIs(t, createErr, manager.ErrHeadersWritten)
	assert.ErrorIs(t, renewErr, manager.ErrHeadersWritten)
	assert.Equal(t, 1, env.M.GetSessionSize(), "a session was made or lost")
	assert.NotNil(t, env.M.GetSessionById(ck.Value), "the session was renewed away")
}

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
