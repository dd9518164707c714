package manager_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

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
func createAtCap(t *testing.T, env *testkit.Env) error {
	t.Helper()
	rec := httptest.NewRecorder()
	s, err := env.M.CreateSession(httptest.NewRequest(http.MethodGet, "/", nil), rec)
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
			env := testkit.NewEnv(t, manager.Options{MaxSessions: tt.set}, nil)
			assert.Equal(t, tt.want, env.M.Options().MaxSessions)
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
			env := testkit.NewEnv(t, tt.opts, nil)
			env.Create(t)
			env.Create(t)
			if tt.refused {
				require.ErrorIs(t, createAtCap(t, env), store.ErrTooManySessions)
				assert.Equal(t, 2, env.M.GetSessionSize())
				return
			}
			env.Create(t)
			assert.Equal(t, 3, env.M.GetSessionSize())
		})
	}
}

func TestCreateSessionAtTheCap(t *testing.T) {
	ids := &testkit.IDRecorder{}
	env := testkit.NewEnv(t, manager.Options{MaxSessions: 2, Rand: ids}, nil)
	first, _ := env.Create(t)
	env.Create(t)

	err := createAtCap(t, env)
	assert.ErrorIs(t, err, store.ErrTooManySessions)
	require.NotEmpty(t, ids.Issued(), "no ID was issued")
	assert.Empty(t, ids.FoundIn(err.Error()), "a raw session ID leaked")
	assert.Equal(t, 2, env.M.GetSessionSize())
	assert.Equal(t, 2, env.Events.CountKind(manager.Created), "a refused session fired Created")

	require.NoError(t, env.M.DestroySessionById(first.GetId()))
	env.Create(t) // an ended session makes room
	assert.ErrorIs(t, createAtCap(t, env), store.ErrTooManySessions)
}

// TestCreateOverASessionAtTheCapExpiresTheOldCookie: CreateSession destroys
// the request's session before it makes the new one. When the store then
// refuses the new one (it filled up meanwhile), the client must not keep
// the cookie of the session that was destroyed.
func TestCreateOverASessionAtTheCapExpiresTheOldCookie(t *testing.T) {
	st := &refusingStore{Store: store.NewMemory()}
	env := testkit.NewEnv(t, manager.Options{Store: st}, nil)
	_, ck := env.Create(t)
	st.refuse.Store(true)
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := env.M.CreateSession(r, w)
		require.ErrorIs(t, err, store.ErrTooManySessions)
		env.M.HandleError(w, r, err)
	}))
	rec := testkit.Get(h, "/login", ck)
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Nil(t, env.M.GetSessionById(ck.Value), "the replaced session")
	expired := testkit.SessionCookie(t, rec, manager.DefaultCookieName)
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
	ids := &testkit.IDRecorder{}
	env := testkit.NewEnv(t, manager.Options{MaxSessions: 1, Rand: ids}, nil)
	env.Create(t)

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
		env.Clock.Advance(step.advance)
		for range step.refusals {
			require.ErrorIs(t, createAtCap(t, env), store.ErrTooManySessions)
		}
		assert.Equal(t, step.warnings, fullWarnings(env.Logs.String()), env.Logs.String())
	}
	logged := env.Logs.String()
	assert.Contains(t, logged, "refused_total=9", "the second warning counts every refusal so far")
	assert.Contains(t, logged, "max_sessions=1")
	require.NotEmpty(t, ids.Issued(), "no ID was issued")
	assert.Empty(t, ids.FoundIn(logged), "a raw session ID leaked")
}

func TestSessionLoaderPastTheCap(t *testing.T) {
	clock := testkit.NewClock()
	loader := func() []manager.Session {
		var loaded []manager.Session
		for b := range byte(5) {
			loaded = append(loaded, manager.NewSession(testkit.ValidID(b), clock.Now().Unix()))
		}
		return loaded
	}
	env := testkit.NewEnv(t, manager.Options{MaxSessions: 2, SessionLoader: loader, Clock: clock.Now}, nil)
	assert.Equal(t, 2, env.M.GetSessionSize())
	assert.Equal(t, 1, fullWarnings(env.Logs.String()), "each skipped session logged a line")
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
			env := testkit.NewEnv(t, manager.Options{MaxSessions: 1, ErrorHandler: tt.handler}, nil)
			m := env.M
			var created error
			h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if _, created = m.CreateSession(r, w); created != nil {
					m.HandleError(w, r, created)
					return
				}
				_, _ = io.WriteString(w, "created")
			}))
			require.Equal(t, http.StatusOK, testkit.Get(h, "/", nil).Code)

			rec := testkit.Get(h, "/", nil)
			assert.Equal(t, tt.wantCode, rec.Code)
			require.ErrorIs(t, created, store.ErrTooManySessions)
			if tt.handler != nil {
				assert.Same(t, created, passed, "the handler got another error than CreateSession's")
				return
			}
			assert.Equal(t, http.StatusText(http.StatusServiceUnavailable), strings.TrimSpace(rec.Body.String()))
			assert.NotContains(t, env.Logs.String(), "level=ERROR", "a refusal logged an error line per request")
		})
	}
}

// TestStoreFullWarningSurvivesAClockStepBack: after the wall clock steps
// back (NTP, an operator fixing a wrong date), the "store is full" warning
// comes back within its interval of the new time: a time before the last
// warning counts as due, or a clock stepped back by a day would silence a
// full store for a day.
func TestStoreFullWarningSurvivesAClockStepBack(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{MaxSessions: 1}, nil)
	env.Create(t)
	require.ErrorIs(t, createAtCap(t, env), store.ErrTooManySessions)
	require.Equal(t, 1, fullWarnings(env.Logs.String()))

	env.Clock.Step(-24 * time.Hour)
	env.Clock.Advance(2 * time.Minute) // well past the interval, on the new clock
	require.ErrorIs(t, createAtCap(t, env), store.ErrTooManySessions)
	assert.Equal(t, 2, fullWarnings(env.Logs.String()), "a full store went unreported after the clock stepped back")
}
