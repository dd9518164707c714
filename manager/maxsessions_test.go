package manager_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
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
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

// issuedIDs is a crypto/rand Options.Rand that remembers every ID it gave,
// refused ones included, so that a test can look for them in logs and errors.
type issuedIDs struct {
	mu  sync.Mutex
	ids []string
}

func (r *issuedIDs) Read(p []byte) (int, error) {
	n, err := io.ReadFull(rand.Reader, p)
	if n == 32 { // the size of one ID
		r.mu.Lock()
		r.ids = append(r.ids, base64.RawURLEncoding.EncodeToString(p))
		r.mu.Unlock()
	}
	return n, err
}

// requireNoneIn fails when text holds an ID the recorder gave.
func (r *issuedIDs) requireNoneIn(t *testing.T, text string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	require.NotEmpty(t, r.ids, "no ID was issued")
	for _, id := range r.ids {
		require.NotContains(t, text, id, "a raw session ID leaked")
	}
}

// fullWarnings counts the "store is full" warnings in logged.
func fullWarnings(logged string) int {
	n := 0
	for line := range strings.Lines(logged) {
		if strings.Contains(line, "level=WARN") && strings.Contains(line, "store is full") {
			n++
		}
	}
	return n
}

// createAtCap asks env's manager, which must be full, for one more session,
// and checks that it made none.
func createAtCap(t *testing.T, env *testEnv) error {
	t.Helper()
	rec := httptest.NewRecorder()
	s, err := env.m.CreateSession(httptest.NewRequest(http.MethodGet, "/", nil), rec)
	require.Error(t, err)
	assert.Nil(t, s)
	assert.Empty(t, rec.Header().Values("Set-Cookie"), "a refused session sent a cookie")
	return err
}

func TestMaxSessionsOption(t *testing.T) {
	tests := []struct {
		name string
		set  int
		want int
	}{
		{name: "zero means the default", set: 0, want: 1_000_000},
		{name: "negative means no cap", set: -1, want: -1},
		{name: "positive is kept", set: 5, want: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, manager.Options{MaxSessions: tt.set}, nil)
			assert.Equal(t, tt.want, env.m.Options().MaxSessions)
		})
	}
}

func TestMaxSessionsCapsTheDefaultStore(t *testing.T) {
	tests := []struct {
		name    string
		opts    manager.Options
		refused bool // whether a third session is refused
	}{
		{name: "cap of 2", opts: manager.Options{MaxSessions: 2}, refused: true},
		{name: "no cap", opts: manager.Options{MaxSessions: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, tt.opts, nil)
			env.create(t)
			env.create(t)
			if tt.refused {
				require.ErrorIs(t, createAtCap(t, env), store.ErrTooManySessions)
				assert.Equal(t, 2, env.m.GetSessionSize())
				return
			}
			env.create(t)
			assert.Equal(t, 3, env.m.GetSessionSize())
		})
	}
}

func TestCreateSessionAtTheCap(t *testing.T) {
	ids := &issuedIDs{}
	env := newEnv(t, manager.Options{MaxSessions: 2, Rand: ids}, nil)
	first, _ := env.create(t)
	env.create(t)

	err := createAtCap(t, env)
	assert.ErrorIs(t, err, store.ErrTooManySessions)
	ids.requireNoneIn(t, err.Error())
	assert.Equal(t, 2, env.m.GetSessionSize())
	assert.Equal(t, 2, env.events.countKind(manager.Created), "a refused session fired Created")

	require.NoError(t, env.m.DestroySessionById(first.GetId()))
	env.create(t) // an ended session makes room
	assert.ErrorIs(t, createAtCap(t, env), store.ErrTooManySessions)
}

// TestCreateOverASessionAtTheCapExpiresTheOldCookie: CreateSession destroys
// the request's session before it makes the new one. When the store then
// refuses the new one (it filled up meanwhile), the client must not keep
// the cookie of the session that was destroyed.
func TestCreateOverASessionAtTheCapExpiresTheOldCookie(t *testing.T) {
	st := &refusingStore{Store: store.NewMemory()}
	env := newEnv(t, manager.Options{Store: st}, nil)
	_, ck := env.create(t)
	st.refuse.Store(true)
	h := env.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := env.m.CreateSession(r, w)
		require.ErrorIs(t, err, store.ErrTooManySessions)
		env.m.HandleError(w, r, err)
	}))
	rec := serve(h, "/login", ck)
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Nil(t, env.m.GetSessionById(ck.Value), "the replaced session")
	expired := sessionCookie(t, rec, manager.DefaultCookieName)
	assert.Negative(t, expired.MaxAge, "the cookie of the destroyed session was not expired")
}

// refusingStore is a store that is full whenever refuse is set.
type refusingStore struct {
	store.Store
	refuse atomic.Bool
}

func (s *refusingStore) Create(ctx context.Context, id string, rec store.Record) error {
	if s.refuse.Load() {
		return store.ErrTooManySessions
	}
	return s.Store.Create(ctx, id, rec)
}

// TestStoreFullWarnsOncePerInterval: a flood of refusals logs one warning a
// minute, with the running count and no session ID.
func TestStoreFullWarnsOncePerInterval(t *testing.T) {
	ids := &issuedIDs{}
	env := newEnv(t, manager.Options{MaxSessions: 1, Rand: ids}, nil)
	env.create(t)

	steps := []struct {
		advance  time.Duration
		refusals int
		warnings int // in the log so far
	}{
		{refusals: 5, warnings: 1},
		{advance: 59 * time.Second, refusals: 3, warnings: 1},
		{advance: time.Second, refusals: 1, warnings: 2},
		{advance: 30 * time.Second, refusals: 4, warnings: 2},
	}
	for _, step := range steps {
		env.clock.Advance(step.advance)
		for range step.refusals {
			require.ErrorIs(t, createAtCap(t, env), store.ErrTooManySessions)
		}
		assert.Equal(t, step.warnings, fullWarnings(env.logs.String()), env.logs.String())
	}
	logged := env.logs.String()
	assert.Contains(t, logged, "refused_total=9", "the second warning counts every refusal so far")
	assert.Contains(t, logged, "max_sessions=1")
	ids.requireNoneIn(t, logged)
}

func TestSessionLoaderPastTheCap(t *testing.T) {
	clock := testkit.NewClock()
	loader := func() []manager.Session {
		var loaded []manager.Session
		for b := range byte(5) {
			loaded = append(loaded, manager.NewSession(validID(b), clock.Now().Unix()))
		}
		return loaded
	}
	env := newEnv(t, manager.Options{MaxSessions: 2, SessionLoader: loader, Clock: clock.Now}, nil)
	assert.Equal(t, 2, env.m.GetSessionSize())
	assert.Equal(t, 1, fullWarnings(env.logs.String()), "each skipped session logged a line")
}

func TestHandleErrorTooManySessions(t *testing.T) {
	var passed error
	tests := []struct {
		name     string
		handler  func(http.ResponseWriter, *http.Request, error)
		wantCode int
	}{
		{name: "default handler", wantCode: http.StatusServiceUnavailable},
		{name: "custom handler", wantCode: http.StatusTeapot, handler: func(w http.ResponseWriter, _ *http.Request, err error) {
			passed = err
			w.WriteHeader(http.StatusTeapot)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			passed = nil
			env := newEnv(t, manager.Options{MaxSessions: 1, ErrorHandler: tt.handler}, nil)
			m := env.m
			var created error
			h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if _, created = m.CreateSession(r, w); created != nil {
					m.HandleError(w, r, created)
					return
				}
				_, _ = io.WriteString(w, "created")
			}))
			require.Equal(t, http.StatusOK, serve(h, "/", nil).Code)

			rec := serve(h, "/", nil)
			assert.Equal(t, tt.wantCode, rec.Code)
			require.ErrorIs(t, created, store.ErrTooManySessions)
			if tt.handler != nil {
				assert.Same(t, created, passed, "the handler got another error than CreateSession's")
				return
			}
			assert.Equal(t, http.StatusText(http.StatusServiceUnavailable), strings.TrimSpace(rec.Body.String()))
			assert.NotContains(t, env.logs.String(), "level=ERROR", "a refusal logged an error line per request")
		})
	}
}

// TestStoreFullWarningSurvivesAClockStepBack: after the wall clock steps
// back (NTP, an operator fixing a wrong date), the "store is full" warning
// comes back within its interval of the new time: a time before the last
// warning counts as due, or a clock stepped back by a day would silence a
// full store for a day.
func TestStoreFullWarningSurvivesAClockStepBack(t *testing.T) {
	env := newEnv(t, manager.Options{MaxSessions: 1}, nil)
	env.create(t)
	require.ErrorIs(t, createAtCap(t, env), store.ErrTooManySessions)
	require.Equal(t, 1, fullWarnings(env.logs.String()))

	env.clock.Step(-24 * time.Hour)
	env.clock.Advance(2 * time.Minute) // well past the interval, on the new clock
	require.ErrorIs(t, createAtCap(t, env), store.ErrTooManySessions)
	assert.Equal(t, 2, fullWarnings(env.logs.String()), "a full store went unreported after the clock stepped back")
}
