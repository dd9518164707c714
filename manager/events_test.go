package manager_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

func TestPanickingEventHandlerIsRecovered(t *testing.T) {
	logs := &testkit.Buffer{}
	m := manager.NewManager(manager.Options{
		GcStopChan: testkit.StoppedSweeper(),
		Logger:     slog.New(slog.NewTextHandler(logs, nil)),
	}, nil, func(manager.Session, int) { panic("handler bug") })
	t.Cleanup(func() { require.NoError(t, m.Close()) })

	t.Run("direct call", func(t *testing.T) {
		s, err := m.CreateSession(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
		require.NoError(t, err)
		require.NotNil(t, s)
		require.NoError(t, s.Set("k", "v"))
		assert.NotNil(t, m.GetSessionById(s.GetId()))
		assert.Contains(t, logs.String(), "event handler panicked")
		assert.Contains(t, logs.String(), "handler bug")
		assert.NotContains(t, logs.String(), s.GetId(), "a log line holds a raw ID")
	})
	t.Run("within a request", func(t *testing.T) {
		h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, err := m.CreateSession(r, w)
			if err != nil {
				http.Error(w, err.Error(), http.StatusTeapot)
				return
			}
			_ = s.Set("k", "v")
			_, _ = w.Write([]byte("ok"))
		}))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		assert.Equal(t, http.StatusOK, rec.Code)
		assert.Equal(t, "ok", rec.Body.String())
		ck := testkit.SessionCookie(t, rec, manager.DefaultCookieName)
		s := m.GetSessionById(ck.Value)
		require.NotNil(t, s)
		v, _ := s.Get("k")
		assert.Equal(t, "v", v)
	})
}

func TestCreatedAndUpdateEvents(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{}, nil)
	s, _ := env.Create(t)
	id := s.GetId()
	require.Equal(t, 1, env.Events.Count(id, manager.Created))

	steps := []struct {
		name    string
		do      func() error
		updates int // Update events so far
	}{
		{name: "set new key", do: func() error { return s.Set("k", "a") }, updates: 1},
		{name: "set same value", do: func() error { return s.Set("k", "a") }, updates: 1},
		{name: "set other value", do: func() error { return s.Set("k", "b") }, updates: 2},
		{name: "set a slice", do: func() error { return s.Set("list", []string{"x"}) }, updates: 3},
		// A map, slice or pointer may have been changed in place since it
		// was read, so setting one always counts as a change.
		{name: "set equal slice again", do: func() error { return s.Set("list", []string{"x"}) }, updates: 4},
		{name: "delete absent key with nil", do: func() error { return s.Set("absent", nil) }, updates: 4},
		{name: "Delete absent key", do: func() error { return s.Delete("absent") }, updates: 4},
		{name: "delete present key", do: func() error { return s.Set("k", nil) }, updates: 5},
		{name: "delete it again", do: func() error { return s.Set("k", nil) }, updates: 5},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			require.NoError(t, step.do())
			assert.Equal(t, step.updates, env.Events.Count(id, manager.Update))
		})
	}
	assert.Equal(t, 1, env.Events.Count(id, manager.Created), "Created fired again")
	assert.Zero(t, env.Events.Count(id, manager.Destroyed))
}

func TestDestroyedFiresOnce(t *testing.T) {
	const idle, lifetime = 60, 120
	tests := []struct {
		name string
		// end ends s, the session that cookie ck carries.
		end func(t *testing.T, env *testkit.Env, s manager.Session, ck *http.Cookie)
	}{
		{name: "Invalidate", end: func(t *testing.T, env *testkit.Env, s manager.Session, _ *http.Cookie) {
			s.Invalidate()
			s.Invalidate()
		}},
		{name: "Invalidate of a session looked up by ID", end: func(t *testing.T, env *testkit.Env, s manager.Session, _ *http.Cookie) {
			byID := env.M.GetSessionById(s.GetId())
			require.NotNil(t, byID)
			byID.Invalidate()
			s.Invalidate()
		}},
		{name: "DestroySessionById", end: func(t *testing.T, env *testkit.Env, s manager.Session, _ *http.Cookie) {
			require.NoError(t, env.M.DestroySessionById(s.GetId()))
			require.ErrorIs(t, env.M.DestroySessionById(s.GetId()), manager.ErrSessionGone)
		}},
		{name: "DestroySession", end: func(t *testing.T, env *testkit.Env, _ manager.Session, ck *http.Cookie) {
			require.NoError(t, env.M.DestroySession(testkit.RequestWith(ck), httptest.NewRecorder()))
			require.NoError(t, env.M.DestroySession(testkit.RequestWith(ck), httptest.NewRecorder()))
		}},
		{name: "idle expiry found on lookup", end: func(t *testing.T, env *testkit.Env, s manager.Session, _ *http.Cookie) {
			env.Clock.Advance(idle * time.Second)
			require.Nil(t, env.M.GetSessionById(s.GetId()))
		}},
		{name: "absolute expiry found on lookup of an active session", end: func(t *testing.T, env *testkit.Env, _ manager.Session, ck *http.Cookie) {
			for range lifetime/10 - 1 {
				env.Clock.Advance(10 * time.Second)
				require.NotNil(t, env.M.GetSession(testkit.RequestWith(ck)))
			}
			env.Clock.Advance(10 * time.Second)
			require.Nil(t, env.M.GetSession(testkit.RequestWith(ck)))
		}},
		{name: "expiry found by Sweep", end: func(t *testing.T, env *testkit.Env, _ manager.Session, _ *http.Cookie) {
			env.Clock.Advance(idle * time.Second)
			n, err := env.M.Sweep(context.Background())
			require.NoError(t, err)
			require.Equal(t, 1, n)
		}},
		{name: "expired session destroyed by ID", end: func(t *testing.T, env *testkit.Env, s manager.Session, _ *http.Cookie) {
			env.Clock.Advance(idle * time.Second)
			require.ErrorIs(t, env.M.DestroySessionById(s.GetId()), manager.ErrSessionGone)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := testkit.NewEnv(t, manager.Options{MaxInactiveInterval: idle, MaxAge: lifetime}, nil)
			s, ck := env.Create(t)
			require.NoError(t, s.Set("k", "last value"))
			id := s.GetId()

			tt.end(t, env, s, ck)
			require.Equal(t, 1, env.Events.Count(id, manager.Destroyed))

			// Whatever looks for it later finds nothing and fires nothing.
			env.Clock.Advance(lifetime * time.Second)
			assert.Nil(t, env.M.GetSessionById(id))
			assert.Nil(t, env.M.GetSession(testkit.RequestWith(ck)))
			n, err := env.M.Sweep(context.Background())
			require.NoError(t, err)
			assert.Zero(t, n)
			assert.ErrorIs(t, env.M.DestroySessionById(id), manager.ErrSessionGone)
			assert.Equal(t, 1, env.Events.Count(id, manager.Destroyed))
			assert.Equal(t, 0, env.M.GetSessionSize())

			// The Destroyed event still shows the session's values.
			for _, e := range env.Events.All() {
				if e.Kind == manager.Destroyed {
					assert.Equal(t, "last value", e.Value)
				}
			}
		})
	}
}

// barrierStore holds every Load, after it read the record, until n loads
// have read it: they all see the same record before any of them acts on it.
type barrierStore struct {
	store.Store
	loaded sync.WaitGroup
}

func (s *barrierStore) Load(ctx context.Context, id string, now time.Time, touch bool) (store.Record, bool, error) {
	rec, found, err := s.Store.Load(ctx, id, now, touch)
	s.loaded.Done()
	s.loaded.Wait()
	return rec, found, err
}

func TestConcurrentLookupsOfAnExpiredSession(t *testing.T) {
	const lookups = 20
	st := &barrierStore{Store: store.NewMemory()}
	env := testkit.NewEnv(t, manager.Options{Store: st, MaxInactiveInterval: 60}, nil)
	s, ck := env.Create(t)
	id := s.GetId()
	env.Clock.Advance(time.Minute)

	st.loaded.Add(lookups)
	found := make([]manager.Session, lookups)
	var done sync.WaitGroup
	for i := range lookups {
		done.Go(func() {
			if i%2 == 0 {
				found[i] = env.M.GetSessionById(id)
			} else {
				found[i] = env.M.GetSession(testkit.RequestWith(ck))
			}
		})
	}
	done.Wait()

	for i := range found {
		assert.Nil(t, found[i], "lookup %d adopted an expired session", i)
	}
	assert.Equal(t, 1, env.Events.Count(id, manager.Destroyed))
	assert.Equal(t, 0, env.M.GetSessionSize())
}

// An event handler may use the manager and the session it is given: events
// fire outside every store, scope and session lock. A handler run under one
// would deadlock here.
func TestEventHandlerMayUseTheManager(t *testing.T) {
	clock := testkit.NewClock()
	var m *manager.Manager
	var seen sync.Map // event -> whether the handler got through
	m = manager.NewManager(manager.Options{Clock: clock.Now, GcStopChan: testkit.StoppedSweeper()}, nil,
		func(s manager.Session, event int) {
			_ = m.GetSessionSize()
			_ = m.GetSessionById(s.GetId())
			_, _ = s.Get("k")
			_ = s.Keys()
			seen.Store(event, true)
		})
	t.Cleanup(func() { require.NoError(t, m.Close()) })

	done := make(chan struct{})
	go func() {
		defer close(done)
		h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, err := m.CreateSession(r, w)
			if assert.NoError(t, err) {
				assert.NoError(t, s.Set("k", "v"))
				s.Invalidate()
			}
		}))
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))

		_, err := m.CreateSession(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
		assert.NoError(t, err)
		clock.Advance(time.Hour)
		n, err := m.Sweep(context.Background())
		assert.NoError(t, err)
		assert.Equal(t, 1, n)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("an event handler that calls the manager deadlocked")
	}
	for _, event := range []int{manager.Created, manager.Update, manager.Destroyed} {
		_, ok := seen.Load(event)
		assert.True(t, ok, "event %d did not reach the handler", event)
	}
}
