package managertest

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

// SecurityFixationRenewKillsTheOldID proves requirement 4: renewal on login defeats fixation. An attacker who got a
// victim logs in; the victim keeps values and creation time.
func SecurityFixationRenewKillsTheOldID(t *testing.T, newStore NewStore) {
	st := newStore(t)
	env := testkit.NewStoreEnv(t, st, manager.Options{})
	h := testkit.App(env.M)

	attacker := testkit.Send(h, http.MethodPost, "/create")
	require.Equal(t, http.StatusOK, attacker.Code)
	planted := testkit.SessionCookie(t, attacker, env.CookieName)
	require.Equal(t, "ok", testkit.Send(h, http.MethodPost, "/set?k=cart&v=3", planted).Body.String())
	createdAt := env.M.GetSessionById(planted.Value).GetCreationTime()

	env.Clock.Advance(time.Minute)
	login := testkit.Send(h, http.MethodPost, "/login", planted) // the victim, with the planted cookie
	require.Equal(t, http.StatusOK, login.Code)
	victim := testkit.SessionCookie(t, login, env.CookieName)
	assert.NotEqual(t, planted.Value, victim.Value)
	assert.True(t, manager.IsValidID(victim.Value))
	assert.Equal(t, "no-store", login.Header().Get("Cache-Control"))

	t.Run("the old cookie finds nothing", func(t *testing.T) {
		assert.Equal(t, "none", testkit.Send(h, http.MethodGet, "/whoami", planted).Body.String())
		assert.Nil(t, env.M.GetSessionById(planted.Value))
		assert.Equal(t, http.StatusConflict, testkit.Send(h, http.MethodPost, "/renew", planted).Code)
		assert.Equal(t, http.StatusNotFound, testkit.Send(h, http.MethodPost, "/set?k=user&v=attacker", planted).Code)
		assert.Equal(t, http.StatusOK, testkit.Send(h, http.MethodPost, "/destroy", planted).Code)
		assert.ErrorIs(t, env.M.DestroySessionById(planted.Value), manager.ErrSessionGone)
	})
	t.Run("the new ID keeps values and creation time", func(t *testing.T) {
		s := env.M.GetSessionById(victim.Value)
		require.NotNil(t, s, "the old cookie's requests touched the new session")
		assert.Equal(t, []string{"cart=3", "user=victim"}, testkit.KeyValues(s))
		assert.Equal(t, createdAt, s.GetCreationTime())
		assert.Equal(t, env.Clock.Now().Unix(), s.GetLastAccessTime())
		assert.Equal(t, 1, env.M.GetSessionSize())
	})
}

// SecurityFixationUnissuedIDIsReplaced proves requirement 4: an ID the server did not issue, planted in a victim's
// browser, is replaced at login and never becomes a session.
func SecurityFixationUnissuedIDIsReplaced(t *testing.T, newStore NewStore) {
	st := newStore(t)
	env := testkit.NewStoreEnv(t, st, manager.Options{})
	h := testkit.App(env.M)
	planted := &http.Cookie{Name: env.CookieName, Value: testkit.RandomID(t)}

	login := testkit.Send(h, http.MethodPost, "/login", planted)
	require.Equal(t, http.StatusOK, login.Code)
	issued := testkit.SessionCookie(t, login, env.CookieName)
	assert.NotEqual(t, planted.Value, issued.Value)
	assert.Nil(t, env.M.GetSessionById(planted.Value))
	assert.Equal(t, "none", testkit.Send(h, http.MethodGet, "/whoami", planted).Body.String())
	assert.Contains(t, testkit.Send(h, http.MethodGet, "/whoami", issued).Body.String(), "user=victim")
	assert.Equal(t, 1, env.M.GetSessionSize())
}

// SecurityFixationCreateReplacesTheOldSession proves requirement 4: CreateSession over an existing session destroys the old
// one; it never reuses its ID or its values.
func SecurityFixationCreateReplacesTheOldSession(t *testing.T, newStore NewStore) {
	st := newStore(t)
	env := testkit.NewStoreEnv(t, st, manager.Options{})
	h := testkit.App(env.M)
	first := testkit.SessionCookie(t, testkit.Send(h, http.MethodPost, "/create"), env.CookieName)
	require.Equal(t, "ok", testkit.Send(h, http.MethodPost, "/set?k=user&v=ann", first).Body.String())

	rec := testkit.Send(h, http.MethodPost, "/create", first)
	require.Equal(t, http.StatusOK, rec.Code)
	second := testkit.SessionCookie(t, rec, env.CookieName)
	assert.NotEqual(t, first.Value, second.Value)
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	assert.Equal(t, "none", testkit.Send(h, http.MethodGet, "/whoami", first).Body.String())
	assert.Nil(t, env.M.GetSessionById(first.Value))
	s := env.M.GetSessionById(second.Value)
	require.NotNil(t, s)
	assert.Empty(t, s.Keys(), "the new session inherited the old one's values")
	assert.Equal(t, 1, env.Events.Count(first.Value, manager.Destroyed))
	assert.Equal(t, 1, env.M.GetSessionSize())
}

// SecurityFixationConcurrentRenewal proves requirement 4: of concurrent
// renewals of one session exactly one wins; the others get ErrSessionGone
// and send no cookie, and the session keeps its values under the winner's
// ID. Through the middleware every request has loaded the session before
// any renews it, so every loser finds it renewed away; plain calls racing
// each other may also look it up after the winner renewed it, and find no
// session at all.
func SecurityFixationConcurrentRenewal(t *testing.T, newStore NewStore) {
	const requests = 20
	env := testkit.NewStoreEnv(t, newStore(t), manager.Options{})
	s, ck := env.Create(t)
	require.NoError(t, s.Set("user", "ann"))

	var loaded sync.WaitGroup
	loaded.Add(requests)
	type result struct {
		id  string
		err error
	}
	results := make(chan result, requests)
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		has := env.M.GetSession(r) != nil
		loaded.Done()
		loaded.Wait() // every request holds the session before any renews it
		if !has {
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
	recs := make([]*httptest.ResponseRecorder, requests)
	var done sync.WaitGroup
	for i := range recs {
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
		assert.NotContains(t, res.err.Error(), ck.Value, "an error names the session's ID")
	}
	require.Len(t, winners, 1, "exactly one renewal wins")

	var winner string
	for _, rec := range recs {
		assert.Equal(t, http.StatusOK, rec.Code)
		if len(rec.Header().Values("Set-Cookie")) > 0 {
			require.Empty(t, winner, "two responses sent a cookie")
			winner = testkit.SessionCookie(t, rec, env.CookieName).Value
		}
	}
	assert.Equal(t, winners[0], winner, "the cookie sent is not the winner's ID")
	assert.Nil(t, env.M.GetSessionById(ck.Value))
	found := env.M.GetSessionById(winners[0])
	require.NotNil(t, found)
	assert.Equal(t, []string{"user=ann"}, testkit.KeyValues(found))
	assert.Equal(t, 1, env.M.GetSessionSize())
	assert.Zero(t, env.Events.CountKind(manager.Destroyed), "renewal is not destruction")

	t.Run("without the middleware", func(t *testing.T) {
		env := testkit.NewStoreEnv(t, newStore(t), manager.Options{})
		_, ck := env.Create(t)
		errs := make([]error, requests)
		var start, done sync.WaitGroup
		start.Add(1)
		for i := range requests {
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
			assert.Truef(t, errors.Is(err, manager.ErrSessionGone) || errors.Is(err, manager.ErrNoSession), "unexpected error %v", err)
		}
		assert.Equal(t, 1, wins, "exactly one renewal wins")
		assert.Equal(t, 1, env.M.GetSessionSize())
	})
}
