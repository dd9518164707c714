package manager_test

// What the manager does and says when the store fails: a lookup that
// fails closed, a logout or renewal that fails its response, and logs,
// events and errors that never hold a raw ID (SECURITY.md, requirements 10,
// 11 and 14).

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/internal/testkit/managertest"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

// TestSecurityFailClosed runs on the memory store; internal/e2e runs it on
// Redis.
func TestSecurityFailClosed(t *testing.T) { managertest.SecurityFailClosed(t, managertest.Memory) }

// Requirement 11: no raw session ID in any log line, event text or error
// text, whatever happens to the session. Every ID the manager issues is
// recorded from its random source; every log line, every error and every
// way of printing an event's session is searched for each.
func TestSecurityNoRawIDInLogsEventsOrErrors(t *testing.T) {
	source := &testkit.IDRecorder{}
	logs := &testkit.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var eventText testkit.Buffer
	eventLogger := slog.New(slog.NewJSONHandler(&eventText, nil))
	onEvent := func(s manager.Session, event int) {
		// Ways a user may print a session in an event handler.
		_, _ = fmt.Fprintf(&eventText, "%v %+v %#v %s %q %x %d\n", s, s, s, s, s, s, s)
		logger.Info("event", "session", s, "event", event)
		eventLogger.Info("event", "session", s)
		if event == manager.Destroyed {
			panic(s) // recovered and logged by the manager
		}
	}
	var mu sync.Mutex
	var texts []string // errors and response bodies
	keep := func(err error) {
		if err != nil {
			mu.Lock()
			texts = append(texts, err.Error())
			mu.Unlock()
		}
	}

	clock := testkit.NewClockAt(time.Now().Truncate(time.Second))
	fs := &testkit.FaultyStore{Store: store.NewMemory()}
	t.Cleanup(func() { require.NoError(t, fs.Store.Close()) })
	opts := manager.Options{
		Store: fs, Rand: source, Logger: logger, Clock: clock.Now, GcStopChan: testkit.StoppedSweeper(),
		MaxInactiveInterval: 60, MaxAge: 600,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			keep(err)
			logger.Error("request failed", "err", err)
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
		},
	}
	m := manager.NewManager(opts, nil, onEvent)
	t.Cleanup(func() { require.NoError(t, m.Close()) })
	h := testkit.App(m)
	do := func(method, target string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
		rec := testkit.Send(h, method, target, cookies...)
		keep(errors.New(rec.Body.String()))
		return rec
	}
	cookieOf := func(rec *httptest.ResponseRecorder) *http.Cookie {
		return testkit.SessionCookie(t, rec, manager.DefaultCookieName)
	}

	// The lifecycle: create, use, renew, replace, destroy, expire.
	ck := cookieOf(do(http.MethodPost, "/create"))
	do(http.MethodPost, "/set?k=user&v=ann", ck)
	old := ck
	ck = cookieOf(do(http.MethodPost, "/renew", ck))
	do(http.MethodGet, "/whoami", old)
	do(http.MethodPost, "/renew", old)
	ck = cookieOf(do(http.MethodPost, "/create", ck))
	do(http.MethodPost, "/destroy", ck)
	do(http.MethodPost, "/invalidate", cookieOf(do(http.MethodPost, "/create")))
	byID := cookieOf(do(http.MethodPost, "/create"))
	keep(m.DestroySessionById(byID.Value))
	keep(m.DestroySessionById(byID.Value))
	idle := cookieOf(do(http.MethodPost, "/create"))
	swept := cookieOf(do(http.MethodPost, "/create"))
	clock.Advance(time.Minute)
	do(http.MethodGet, "/whoami", idle)
	_, err := m.Sweep(t.Context())
	keep(err)
	do(http.MethodGet, "/whoami", swept)
	direct, err := m.CreateSession(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
	require.NoError(t, err)
	keep(direct.Set("", "x"))
	keep(direct.Set("k", "v"))
	direct.Invalidate()
	keep(direct.Set("k", "after"))

	// Store failures at every step.
	live := cookieOf(do(http.MethodPost, "/create"))
	for i, fail := range []*atomic.Bool{&fs.FailLoad, &fs.FailUpdate, &fs.FailDelete, &fs.FailRenew, &fs.FailCreate, &fs.FailCount} {
		fail.Store(true)
		for _, route := range []string{"/whoami", fmt.Sprintf("/set?k=a&v=%d", i), "/renew", "/create", "/destroy", "/invalidate"} {
			do(http.MethodPost, route, live)
		}
		_, err := m.RenewSession(testkit.RequestWith(live), httptest.NewRecorder())
		keep(err)
		keep(m.DestroySession(testkit.RequestWith(live), httptest.NewRecorder()))
		keep(m.DestroySessionById(live.Value))
		m.GetSessionById(live.Value)
		m.GetSession(testkit.RequestWith(live))
		m.GetSessionSize()
		fail.Store(false)
		live = cookieOf(do(http.MethodPost, "/create"))
	}
	clock.Advance(time.Minute)
	fs.FailDelete.Store(true)
	do(http.MethodGet, "/whoami", live) // expired, and its removal fails
	fs.FailDelete.Store(false)

	// IDs that a creator or a loader hand over: taken, or refused.
	taken := cookieOf(do(http.MethodPost, "/create")).Value
	reuse := func(*http.Request, http.ResponseWriter) (manager.Session, error) {
		return manager.NewSession(taken, clock.Now().Unix()), nil
	}
	withCreator := manager.NewManager(manager.Options{Store: fs, Logger: logger, Clock: clock.Now, GcStopChan: testkit.StoppedSweeper()}, reuse, onEvent)
	_, err = withCreator.CreateSession(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
	require.Error(t, err)
	keep(err)
	require.NoError(t, withCreator.Close())
	loader := func() []manager.Session { return []manager.Session{manager.NewSession(taken, clock.Now().Unix())} }
	withLoader := manager.NewManager(manager.Options{Store: fs, Logger: logger, Clock: clock.Now, GcStopChan: testkit.StoppedSweeper(), SessionLoader: loader}, nil, onEvent)
	require.NoError(t, withLoader.Close())

	ids := source.Issued()
	require.Greater(t, len(ids), 20, "control: the run issued IDs")
	everything := logs.String() + eventText.String() + strings.Join(texts, "\n")
	require.Contains(t, everything, "event handler panicked", "control: the panics were logged")
	require.Contains(t, everything, testkit.ErrInjected.Error(), "control: the store failures were logged")
	for _, story := range []string{"session: renewed", "previous=", "cause=logout", "cause=replaced", "cause=idle"} {
		require.Contains(t, everything, story, "control: the lifecycle lines, which name sessions, were logged")
	}
	for _, id := range ids {
		if strings.Contains(everything, id) {
			i := strings.Index(everything, id)
			t.Errorf("a raw ID (masked %s) appears in: %q", store.MaskedID(id), everything[max(0, i-200):i])
		}
	}
}

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
