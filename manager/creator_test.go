package manager_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
)

func TestCustomCreator(t *testing.T) {
	id := testkit.ValidID(7)
	errCreator := errors.New("creator says no")
	withValues := func(*http.Request, http.ResponseWriter) (manager.Session, error) {
		s := manager.NewSession(id, time.Now().Unix())
		if err := s.Set("user", "ann"); err != nil {
			return nil, err
		}
		if err := s.Set("role", 3); err != nil {
			return nil, err
		}
		return s, nil
	}
	sessionWithID := func(id string) func(*http.Request, http.ResponseWriter) (manager.Session, error) {
		return func(*http.Request, http.ResponseWriter) (manager.Session, error) {
			return manager.NewSession(id, time.Now().Unix()), nil
		}
	}

	t.Run("session with values", func(t *testing.T) {
		env := testkit.NewEnv(t, manager.Options{}, withValues)
		s, ck := env.Create(t)
		assert.Equal(t, id, s.GetId())
		assert.Equal(t, id, ck.Value)
		assert.True(t, s.IsNew())
		assert.Equal(t, []string{"role", "user"}, s.Keys())
		v, ok := s.Get("user")
		assert.True(t, ok)
		assert.Equal(t, "ann", v)

		stored := env.M.GetSessionById(id)
		require.NotNil(t, stored)
		v, ok = stored.Get("role")
		assert.True(t, ok)
		assert.Equal(t, 3, v)
		assert.Equal(t, 1, env.Events.Count(id, manager.Created))
	})

	failures := []struct {
		name    string
		creator func(*http.Request, http.ResponseWriter) (manager.Session, error)
		is      error
	}{
		{name: "empty ID", creator: sessionWithID(""), is: manager.ErrInvalidID},
		{name: "short ID", creator: sessionWithID(id[:42]), is: manager.ErrInvalidID},
		{name: "non-canonical ID", creator: sessionWithID(id[:42] + "B"), is: manager.ErrInvalidID},
		{name: "creator error", creator: func(*http.Request, http.ResponseWriter) (manager.Session, error) {
			return nil, errCreator
		}, is: errCreator},
		{name: "nil session", creator: func(*http.Request, http.ResponseWriter) (manager.Session, error) {
			return nil, nil
		}},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			env := testkit.NewEnv(t, manager.Options{}, tt.creator)
			rec := httptest.NewRecorder()
			s, err := env.M.CreateSession(httptest.NewRequest(http.MethodGet, "/", nil), rec)
			require.Error(t, err)
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
			assertNothingCreated(t, env, s, rec)
		})
	}
}

// assertNothingCreated checks that a failed CreateSession returned no
// session, stored none, sent no cookie and reported no creation.
func assertNothingCreated(t *testing.T, env *testkit.Env, s manager.Session, rec *httptest.ResponseRecorder) {
	t.Helper()
	assert.Nil(t, s)
	assert.Equal(t, 0, env.M.GetSessionSize())
	assert.Empty(t, rec.Header().Values("Set-Cookie"))
	assert.Zero(t, env.Events.CountKind(manager.Created))
}

func TestSessionLoader(t *testing.T) {
	clock := testkit.NewClock()
	now := clock.Now().Unix()
	liveID, expiredID := testkit.ValidID(1), testkit.ValidID(2)

	loader := func() []manager.Session {
		live := manager.NewSession(liveID, now-60)
		if err := live.Set("user", "bob"); err != nil {
			panic(err)
		}
		expired := manager.NewSession(expiredID, now-3600) // idle timeout is 1800 s
		if err := expired.Set("user", "eve"); err != nil {
			panic(err)
		}
		invalid := manager.NewSession("not-a-session-id", now)
		return []manager.Session{live, expired, invalid, nil}
	}
	env := testkit.NewEnv(t, manager.Options{Clock: clock.Now, MaxInactiveInterval: 1800, SessionLoader: loader}, nil)

	t.Run("live session is restored with its values", func(t *testing.T) {
		s := env.M.GetSessionById(liveID)
		require.NotNil(t, s)
		v, ok := s.Get("user")
		assert.True(t, ok)
		assert.Equal(t, "bob", v)
		assert.Equal(t, now-60, s.GetLastAccessTime())
		assert.False(t, s.IsNew())
	})
	t.Run("expired session is skipped", func(t *testing.T) {
		assert.Nil(t, env.M.GetSessionById(expiredID))
		assert.Zero(t, env.Events.Count(expiredID, manager.Destroyed), "a skipped session was never live")
	})
	t.Run("only the live session is stored", func(t *testing.T) {
		assert.Equal(t, 1, env.M.GetSessionSize())
	})
	t.Run("invalid ID is skipped with a warning", func(t *testing.T) {
		assert.Contains(t, env.Logs.String(), "SessionLoader returned an invalid session ID")
		assert.NotContains(t, env.Logs.String(), "not-a-session-id")
	})
	t.Run("loading fires no Created", func(t *testing.T) {
		assert.Zero(t, env.Events.CountKind(manager.Created))
	})
	t.Run("restored session keeps its idle deadline", func(t *testing.T) {
		// Last used 60 s before start: 1740 s of idle time remain.
		clock.Advance(1740 * time.Second)
		assert.Nil(t, env.M.GetSessionById(liveID))
		assert.Equal(t, 1, env.Events.Count(liveID, manager.Destroyed))
	})
}

// TestSessionLoaderKeepsTheCreationTime: a restart must not extend a
// session's absolute lifetime. A session restored with RestoreSession keeps
// counting MaxAge from its creation; one from NewSession, which has no
// creation time, counts from its last access.
func TestSessionLoaderKeepsTheCreationTime(t *testing.T) {
	clock := testkit.NewClock()
	now := clock.Now().Unix()
	restoredID, legacyID := testkit.ValidID(1), testkit.ValidID(2)
	loader := func() []manager.Session {
		return []manager.Session{
			// Created 50 minutes ago, used a minute ago: 10 minutes of an
			// hour's lifetime are left.
			manager.RestoreSession(restoredID, now-3000, now-60, map[string]any{"user": "ada"}),
			manager.NewSession(legacyID, now-60),
		}
	}
	env := testkit.NewEnv(t, manager.Options{Clock: clock.Now, MaxAge: 3600, MaxInactiveInterval: -1, SessionLoader: loader}, nil)

	restored := env.M.GetSessionById(restoredID)
	require.NotNil(t, restored)
	assert.Equal(t, now-3000, restored.GetCreationTime())
	assert.Equal(t, now-60, restored.GetLastAccessTime())
	v, _ := restored.Get("user")
	assert.Equal(t, "ada", v)
	require.NotNil(t, env.M.GetSessionById(legacyID))
	assert.Equal(t, now-60, env.M.GetSessionById(legacyID).GetCreationTime())

	clock.Advance(10 * time.Minute)
	assert.Nil(t, env.M.GetSessionById(restoredID), "the restored session outlived its creation + MaxAge")
	assert.NotNil(t, env.M.GetSessionById(legacyID), "a NewSession session counts its lifetime from its last access")
}
