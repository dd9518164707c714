package manager_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
)

func TestRenewSession(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{}, nil)
	s, ck := env.Create(t)
	require.NoError(t, s.Set("user", "ann"))
	require.NoError(t, s.Set("cart", 3))
	oldID, created := s.GetId(), s.GetCreationTime()

	env.Clock.Advance(time.Minute)
	rec := httptest.NewRecorder()
	renewed, err := env.M.RenewSession(testkit.RequestWith(ck), rec)
	require.NoError(t, err)
	newID := renewed.GetId()
	newCk := testkit.SessionCookie(t, rec, manager.DefaultCookieName)

	t.Run("new ID", func(t *testing.T) {
		assert.NotEqual(t, oldID, newID)
		assert.True(t, manager.IsValidID(newID))
		assert.Equal(t, newID, newCk.Value)
		assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	})
	t.Run("old ID dead at once", func(t *testing.T) {
		assert.Nil(t, env.M.GetSessionById(oldID))
		assert.Nil(t, env.M.GetSession(testkit.RequestWith(ck)))
		assert.ErrorIs(t, env.M.DestroySessionById(oldID), manager.ErrSessionGone)
	})
	t.Run("same values and creation time", func(t *testing.T) {
		found := env.M.GetSessionById(newID)
		require.NotNil(t, found)
		assert.Equal(t, []string{"cart", "user"}, found.Keys())
		v, _ := found.Get("user")
		assert.Equal(t, "ann", v)
		assert.Equal(t, created, found.GetCreationTime())
		assert.Equal(t, created, renewed.GetCreationTime())
		assert.Equal(t, env.Clock.Now().Unix(), found.GetLastAccessTime())
	})
	t.Run("events", func(t *testing.T) {
		assert.Zero(t, env.Events.Count(oldID, manager.Destroyed), "renewal is not destruction")
		assert.Zero(t, env.Events.Count(newID, manager.Created), "renewal is not creation")
		assert.Equal(t, 1, env.Events.Count(newID, manager.Update))
		assert.Equal(t, 1, env.M.GetSessionSize())
	})
	t.Run("the renewed session keeps working", func(t *testing.T) {
		require.NoError(t, renewed.Set("user", "bob"))
		v, _ := env.M.GetSessionById(newID).Get("user")
		assert.Equal(t, "bob", v)
	})
	t.Run("no session", func(t *testing.T) {
		_, err := env.M.RenewSession(testkit.RequestWith(nil), httptest.NewRecorder())
		assert.ErrorIs(t, err, manager.ErrNoSession)
	})
}

// TestConcurrentRenewal renews one session from many requests at once. Each
// request has loaded the session before any renews it, so every loser finds
// it renewed away rather than missing.
func TestConcurrentRenewal(t *testing.T) {
	const requests = 20
	env := testkit.NewEnv(t, manager.Options{}, nil)
	s, ck := env.Create(t)
	require.NoError(t, s.Set("user", "ann"))
	oldID := s.GetId()

	var loaded sync.WaitGroup
	loaded.Add(requests)
	type result struct {
		id  string
		err error
	}
	results := make(chan result, requests)
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hasSession := env.M.GetSession(r) != nil
		loaded.Done()
		loaded.Wait()
		if !hasSession {
			results <- result{err: manager.ErrNoSession}
			return
		}
		renewed, err := env.M.RenewSession(r, w)
		if err != nil {
			results <- result{err: err}
			return
		}
		results <- result{id: renewed.GetId()}
	}))

	var done sync.WaitGroup
	recs := make([]*httptest.ResponseRecorder, requests)
	for i := range requests {
		recs[i] = httptest.NewRecorder()
		done.Go(func() { h.ServeHTTP(recs[i], testkit.RequestWith(ck)) })
	}
	done.Wait()
	close(results)

	var winners []string
	for res := range results {
		if res.err == nil {
			winners = append(winners, res.id)
			continue
		}
		assert.ErrorIs(t, res.err, manager.ErrSessionGone)
	}
	require.Len(t, winners, 1, "exactly one renewal must win")

	withCookie := 0
	for _, rec := range recs {
		assert.Equal(t, http.StatusOK, rec.Code)
		if len(rec.Header().Values("Set-Cookie")) > 0 {
			withCookie++
			assert.Equal(t, winners[0], testkit.SessionCookie(t, rec, manager.DefaultCookieName).Value)
		}
	}
	assert.Equal(t, 1, withCookie, "only the winner sends a cookie")
	assert.Nil(t, env.M.GetSessionById(oldID))
	found := env.M.GetSessionById(winners[0])
	require.NotNil(t, found)
	v, _ := found.Get("user")
	assert.Equal(t, "ann", v)
	assert.Equal(t, 1, env.M.GetSessionSize())
	assert.Zero(t, env.Events.CountKind(manager.Destroyed))
}

// TestConcurrentRenewalWithoutMiddleware renews from plain calls racing each
// other: a call that looks the session up after the winner renewed it finds
// no session at all, so it may fail with ErrNoSession instead.
func TestConcurrentRenewalWithoutMiddleware(t *testing.T) {
	const calls = 20
	env := testkit.NewEnv(t, manager.Options{}, nil)
	_, ck := env.Create(t)

	errs := make([]error, calls)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range calls {
		done.Go(func() {
			start.Wait()
			_, errs[i] = env.M.RenewSession(testkit.RequestWith(ck), httptest.NewRecorder())
		})
	}
	start.Done()
	done.Wait()

	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
			continue
		}
		assert.Truef(t, errorIsAny(err, manager.ErrSessionGone, manager.ErrNoSession), "unexpected error %v", err)
	}
	assert.Equal(t, 1, wins)
	assert.Equal(t, 1, env.M.GetSessionSize())
}

func errorIsAny(err error, targets ...error) bool {
	for _, target := range targets {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}
