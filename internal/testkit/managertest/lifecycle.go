package managertest

import (
	"context"
	"errors"
	"fmt"
	"net"
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

// SecurityFixationRenewKillsTheOldID proves requirement 4: renewal on login
// defeats fixation. An attacker who got a victim to use the attacker's own
// session cookie finds nothing after the victim logs in; the victim keeps
// values and creation time.
func SecurityFixationRenewKillsTheOldID(t *testing.T, newStore NewStore) {
	env := storeEnv(t, newStore)
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

// SecurityFixationUnissuedIDIsReplaced proves requirement 4: an ID the
// server did not issue, planted in a victim's browser, is replaced at login
// and never becomes a session.
func SecurityFixationUnissuedIDIsReplaced(t *testing.T, newStore NewStore) {
	env := storeEnv(t, newStore)
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

// SecurityFixationCreateReplacesTheOldSession proves requirement 4:
// CreateSession over an existing session destroys the old one; it never
// reuses its ID or its values.
func SecurityFixationCreateReplacesTheOldSession(t *testing.T, newStore NewStore) {
	env := storeEnv(t, newStore)
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
// ID. Through the middleware every request has loaded the session before any
// renews it, so every loser finds it renewed away; plain calls racing each
// other may also look it up after the winner renewed it, and find no session
// at all.
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

// SecurityTimeoutsWithGCStopped proves requirement 5: both timeouts are
// enforced by every lookup, with the sweeper stopped; renewal does not
// extend the absolute deadline.
func SecurityTimeoutsWithGCStopped(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		opts manager.Options
		// every is how often the browser comes back, until it is refused.
		every time.Duration
		// renewAt is the time after creation at which the browser renews;
		// 0 means never.
		renewAt time.Duration
		// deadAt is the time after creation from which the session must be
		// refused.
		deadAt time.Duration
	}{
		{name: "idle", opts: manager.Options{MaxInactiveInterval: 60, MaxAge: 3600}, every: 60 * time.Second, deadAt: 60 * time.Second},
		{name: "idle, used in time", opts: manager.Options{MaxInactiveInterval: 60, MaxAge: 300}, every: 59 * time.Second, deadAt: 300 * time.Second},
		{name: "absolute", opts: manager.Options{MaxInactiveInterval: 60, MaxAge: 300}, every: 5 * time.Second, deadAt: 300 * time.Second},
		{name: "renewal keeps the absolute deadline", opts: manager.Options{MaxInactiveInterval: 60, MaxAge: 300}, every: 5 * time.Second, renewAt: 200 * time.Second, deadAt: 300 * time.Second},
		{name: "idle, no absolute limit", opts: manager.Options{MaxInactiveInterval: 60, MaxAge: -1}, every: 61 * time.Second, deadAt: 61 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := &testkit.RecordingStore{Store: newStore(t)}
			env := testkit.NewStoreEnv(t, rs, tt.opts)
			h := testkit.App(env.M)
			ck := testkit.SessionCookie(t, testkit.Send(h, http.MethodPost, "/create"), env.CookieName)
			if tt.opts.MaxAge > 0 {
				require.Equal(t, tt.opts.MaxAge, ck.MaxAge, "the cookie lives as long as the session")
			}
			firstID := ck.Value

			var elapsed time.Duration
			for {
				env.Clock.Advance(tt.every)
				elapsed += tt.every
				if tt.renewAt > 0 && elapsed == tt.renewAt {
					rec := testkit.Send(h, http.MethodPost, "/renew", ck)
					require.Equal(t, http.StatusOK, rec.Code)
					ck = testkit.SessionCookie(t, rec, env.CookieName)
					assert.Equal(t, int((tt.deadAt-elapsed)/time.Second), ck.MaxAge, "the renewed cookie outlives the session")
					continue
				}
				if elapsed < tt.deadAt {
					alive := testkit.Send(h, http.MethodGet, "/whoami", ck).Body.String() != "none"
					require.Truef(t, alive, "refused %v after creation", elapsed)
					continue
				}
				// Past the deadline: refused without the middleware, and then
				// through it.
				require.Nilf(t, env.M.GetSession(testkit.RequestWith(ck)), "still alive %v after creation", elapsed)
				require.Equalf(t, "none", testkit.Send(h, http.MethodGet, "/whoami", ck).Body.String(), "still alive %v after creation", elapsed)
				break
			}
			assert.Zero(t, rs.Sweeps(), "the store was swept: the timeouts were not enforced by the lookups alone")
			assert.Nil(t, env.M.GetSessionById(ck.Value))
			assert.Equal(t, 1, env.Events.Count(ck.Value, manager.Destroyed))
			assert.Equal(t, 0, env.M.GetSessionSize())
			if tt.renewAt > 0 {
				assert.NotEqual(t, firstID, ck.Value)
			}
		})
	}
}

// SecurityLogout proves requirement 6: logout deletes the record and sends
// an expiring cookie with the same name, Path, Domain and attributes;
// replaying the old cookie afterwards finds nothing.
func SecurityLogout(t *testing.T, newStore NewStore) {
	for _, route := range []string{"destroy", "invalidate"} {
		t.Run(route, func(t *testing.T) {
			st := newStore(t)
			opts := manager.Options{Path: "/app", Domain: "example.test", Secure: true, CookieName: "__Secure-sid"}
			env := testkit.NewStoreEnv(t, st, opts)
			h := testkit.App(env.M)
			login := testkit.Send(h, http.MethodPost, "https://example.test/app/login")
			require.Equal(t, http.StatusOK, login.Code)
			ck := testkit.SessionCookie(t, login, opts.CookieName)
			require.Equal(t, "/app", ck.Path)
			require.Equal(t, "example.test", ck.Domain)

			logout := testkit.Send(h, http.MethodPost, "https://example.test/app/"+route, ck)
			require.Equal(t, http.StatusOK, logout.Code)
			setCookies := logout.Header().Values("Set-Cookie")
			require.Len(t, setCookies, 1)
			assert.Contains(t, setCookies[0], "Max-Age=0")
			gone := testkit.SessionCookie(t, logout, opts.CookieName)
			assert.Empty(t, gone.Value)
			assert.Less(t, gone.MaxAge, 0)
			assert.Equal(t, ck.Path, gone.Path)
			assert.Equal(t, ck.Domain, gone.Domain)
			assert.Equal(t, ck.Secure, gone.Secure)
			assert.Equal(t, ck.HttpOnly, gone.HttpOnly)
			assert.Equal(t, ck.SameSite, gone.SameSite)
			assert.Equal(t, "no-store", logout.Header().Get("Cache-Control"))
			assert.Nil(t, env.M.GetSessionById(ck.Value), "the record outlived logout")
			assert.Equal(t, 0, env.M.GetSessionSize())
			assert.Equal(t, 1, env.Events.Count(ck.Value, manager.Destroyed))

			replay := testkit.Send(h, http.MethodGet, "https://example.test/app/whoami", ck)
			assert.Equal(t, "none", replay.Body.String())
			assert.Empty(t, replay.Header().Values("Set-Cookie"))
			assert.Equal(t, http.StatusConflict, testkit.Send(h, http.MethodPost, "https://example.test/app/renew", ck).Code)
			assert.Equal(t, http.StatusNotFound, testkit.Send(h, http.MethodPost, "https://example.test/app/set?k=a&v=b", ck).Code)
			assert.Equal(t, 0, env.M.GetSessionSize(), "the replay brought the session back")
		})
	}
}

// internalDetail is in the text of every injected store error: no response
// may show it.
const internalDetail = "dial tcp 10.0.0.7:6379: secret internal detail"

// SecurityFailClosed proves requirement 10: a store error while loading
// fails closed through the error handler (503 when the store cannot answer:
// store.ErrUnavailable, a network error, a deadline or a closed store; 500 for
// any other failure, such as a record that cannot be read), with a
// body without internal text, no Set-Cookie, and never a new anonymous
// session.
func SecurityFailClosed(t *testing.T, newStore NewStore) {
	causes := []struct {
		name     string
		err      error
		wantCode int
	}{
		{name: "plain error", err: errors.New(internalDetail), wantCode: http.StatusInternalServerError},
		{name: "store unavailable", err: fmt.Errorf("%w: %s", store.ErrUnavailable, internalDetail), wantCode: http.StatusServiceUnavailable},
		{name: "deadline", err: fmt.Errorf("%s: %w", internalDetail, context.DeadlineExceeded), wantCode: http.StatusServiceUnavailable},
		{name: "store closed", err: fmt.Errorf("%s: %w", internalDetail, store.ErrClosed), wantCode: http.StatusServiceUnavailable},
		// A store of the application's own that hands back its driver's
		// network error without wrapping store.ErrUnavailable.
		{name: "network error", err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New(internalDetail)}, wantCode: http.StatusServiceUnavailable},
	}
	for _, cause := range causes {
		t.Run(cause.name, func(t *testing.T) {
			st := newStore(t)
			fs := &testkit.FaultyStore{Store: st, Err: cause.err}
			env := testkit.NewStoreEnv(t, fs, manager.Options{})
			app := testkit.App(env.M)
			s, ck := env.Create(t)
			require.NoError(t, s.Set("user", "ann"))
			fs.FailLoad.Store(true)

			for _, route := range []string{"/whoami", "/create", "/login", "/renew", "/destroy", "/set?k=user&v=mallory"} {
				rec := testkit.Send(app, http.MethodPost, route, ck)
				assert.Equal(t, cause.wantCode, rec.Code, route)
				// Only the status text: the application's handler did not run.
				assert.Equal(t, http.StatusText(cause.wantCode)+"\n", rec.Body.String(), route)
				assert.Empty(t, rec.Header().Values("Set-Cookie"), route)
				assert.Contains(t, rec.Header().Values("Vary"), "Cookie", route)
			}
			assert.Equal(t, 1, env.Events.CountKind(manager.Created), "a session was created during the outage")
			assert.Zero(t, env.Events.CountKind(manager.Destroyed))

			t.Run("without the middleware", func(t *testing.T) {
				rec := httptest.NewRecorder()
				_, err := env.M.CreateSession(testkit.RequestWith(ck), rec)
				assert.ErrorIs(t, err, cause.err)
				_, err = env.M.RenewSession(testkit.RequestWith(ck), rec)
				assert.ErrorIs(t, err, cause.err)
				assert.ErrorIs(t, env.M.DestroySession(testkit.RequestWith(ck), rec), cause.err)
				assert.Nil(t, env.M.GetSession(testkit.RequestWith(ck)))
				assert.Empty(t, rec.Header().Values("Set-Cookie"))
			})

			fs.FailLoad.Store(false)
			assert.Equal(t, 1, env.M.GetSessionSize(), "a session was made during the outage")
			assert.Contains(t, testkit.Send(app, http.MethodGet, "/whoami", ck).Body.String(), "user=ann", "the session did not survive the outage")
			assert.Contains(t, env.Logs.String(), internalDetail, "the failure was not logged")
		})
	}

	t.Run("custom ErrorHandler", func(t *testing.T) {
		st := newStore(t)
		fs := &testkit.FaultyStore{Store: st, Err: errors.New(internalDetail)}
		var got []error
		env := testkit.NewStoreEnv(t, fs, manager.Options{ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			got = append(got, err)
			http.Error(w, "try again later", http.StatusServiceUnavailable)
		}})
		_, ck := env.Create(t)
		fs.FailLoad.Store(true)

		rec := testkit.Send(testkit.App(env.M), http.MethodGet, "/whoami", ck)
		assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
		assert.Equal(t, "try again later\n", rec.Body.String())
		assert.Empty(t, rec.Header().Values("Set-Cookie"))
		require.Len(t, got, 1)
		assert.ErrorIs(t, got[0], fs.Err)
		assert.NotContains(t, got[0].Error(), ck.Value, "the error holds the raw ID")
	})
}
