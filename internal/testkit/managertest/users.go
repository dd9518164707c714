package managertest

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

// The users in these tests are e-mail addresses, which no log line may hold.
const (
	ada = "ada@example.com"
	bob = "bob@example.com"
)

// userApp is a handler of m for the per-user tests. Routes (the last
// element of the path):
//
//	login?user=U     Login as U; answers the session's masked ID
//	sessions?user=U  one line per session of U: masked ID, creation and
//	                 last access (Unix seconds), and "current" for the
//	                 request's
//	others?user=U    DestroyOtherSessions; answers how many ended
//	end?user=U&m=M   DestroyUserSession; 404 when there is no such session
//	whoami           "none", or the masked ID and user of the session
//
// Any other error answers 500 with the error's text.
func userApp(m *manager.Manager) http.Handler {
	return m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		user := q.Get("user")
		var err error
		switch r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:] {
		case "login":
			var s manager.Session
			if s, err = m.Login(r, w, user); err == nil {
				_, _ = io.WriteString(w, s.GetMaskedSessionId())
				return
			}
		case "sessions":
			var list []manager.UserSession
			if list, err = m.UserSessions(r, user); err == nil {
				for _, us := range list {
					current := ""
					if us.Current {
						current = " current"
					}
					_, _ = fmt.Fprintf(w, "%s %d %d%s\n", us.MaskedID, us.Created.Unix(), us.LastAccess.Unix(), current)
				}
				return
			}
		case "others":
			var n int
			if n, err = m.DestroyOtherSessions(r, user); err == nil {
				_, _ = io.WriteString(w, strconv.Itoa(n))
				return
			}
		case "end":
			if err = m.DestroyUserSession(user, q.Get("m")); errors.Is(err, manager.ErrSessionGone) {
				http.Error(w, "no such session", http.StatusNotFound)
				return
			}
		case "whoami":
			if s := m.GetSession(r); s != nil {
				_, _ = fmt.Fprintf(w, "%s %s", s.GetMaskedSessionId(), s.User())
			} else {
				_, _ = io.WriteString(w, "none")
			}
			return
		default:
			http.NotFound(w, r)
			return
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
}

// login logs a browser holding ck (nil: none) in as user through h and
// returns its new cookie.
func login(t *testing.T, env *testkit.Env, h http.Handler, user string, ck *http.Cookie) *http.Cookie {
	t.Helper()
	rec := testkit.Send(h, http.MethodPost, "/login?user="+user, ck)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	return testkit.SessionCookie(t, rec, env.CookieName)
}

// listed returns the lines of user's sessions as the request with ck sees
// them.
func listed(t *testing.T, h http.Handler, user string, ck *http.Cookie) []string {
	t.Helper()
	rec := testkit.Get(h, "/sessions?user="+user, ck)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	return strings.Fields(strings.ReplaceAll(rec.Body.String(), "\n", " | "))
}

// maskedOf returns the masked ID of a session cookie.
func maskedOf(t *testing.T, env *testkit.Env, ck *http.Cookie) string {
	t.Helper()
	s := env.M.GetSessionById(ck.Value)
	require.NotNil(t, s, "the session of the cookie is not live")
	return s.GetMaskedSessionId()
}

// sharedClockInstances returns two managers on st, as two instances of an
// application, whose clock is one: a.Clock moves both.
func sharedClockInstances(t *testing.T, st store.Store, opts manager.Options) (a, b *testkit.Env) {
	t.Helper()
	a = testkit.NewStoreEnv(t, st, opts)
	opts.Store, opts.Clock = st, a.Clock.Now
	b = testkit.NewEnv(t, opts, nil)
	b.Clock = a.Clock
	return a, b
}

// alive reports whether the session of ck is live.
func alive(env *testkit.Env, ck *http.Cookie) bool { return env.M.GetSessionById(ck.Value) != nil }

// LoginRenewsTheSessionAndBindsIt: Login on a live session renews it (new
// ID, values and creation time kept, old ID dead), binds it to the user,
// and fires Update once, with the user bound; later renewals keep the
// binding, and the user's index names only the current ID.
func LoginRenewsTheSessionAndBindsIt(t *testing.T, newStore NewStore) {
	env := storeEnv(t, newStore)
	h := userApp(env.M)
	s, anon := env.Create(t)
	require.NoError(t, s.Set("cart", "3"))
	created := s.GetCreationTime()
	env.Clock.Advance(time.Minute)

	ck := login(t, env, h, ada, anon)
	assert.NotEqual(t, anon.Value, ck.Value, "the ID did not change at login")
	assert.False(t, alive(env, anon), "the pre-login ID still works")
	bound := env.M.GetSessionById(ck.Value)
	require.NotNil(t, bound)
	assert.Equal(t, ada, bound.User())
	assert.Equal(t, []string{"cart=3"}, testkit.KeyValues(bound))
	assert.Equal(t, created, bound.GetCreationTime())
	assert.Equal(t, 1, env.Events.Count(ck.Value, manager.Update), "Update of the login")
	for _, ev := range env.Events.All() {
		if ev.ID == ck.Value {
			assert.Equal(t, ada, ev.User, "the login's event fired before the binding")
		}
	}

	renewed, err := env.M.RenewSession(testkit.RequestWith(ck), httptest.NewRecorder())
	require.NoError(t, err)
	assert.Equal(t, ada, renewed.User(), "renewal dropped the binding")
	list, err := env.M.UserSessions(nil, ada)
	require.NoError(t, err)
	require.Len(t, list, 1, "the index holds the IDs the session had")
	assert.Equal(t, renewed.GetMaskedSessionId(), list[0].MaskedID)
	assert.Equal(t, created, list[0].Created.Unix())
}

// LoginCreatesASessionWhenThereIsNone: a request without a live session
// (no cookie, or one another instance destroyed while the request ran)
// gets a new bound session; Created fires once, with the user bound.
func LoginCreatesASessionWhenThereIsNone(t *testing.T, newStore NewStore) {
	t.Run("no cookie", func(t *testing.T) {
		env := storeEnv(t, newStore)
		ck := login(t, env, userApp(env.M), ada, nil)
		assert.Equal(t, ada, env.M.GetSessionById(ck.Value).User())
		require.Equal(t, 1, env.Events.CountKind(manager.Created))
		assert.Equal(t, ada, env.Events.All()[0].User, "Created fired before the binding")
	})
	t.Run("destroyed while the request ran", func(t *testing.T) {
		a, b, old := twoInstances(t, newStore, "", "")
		h := a.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			require.NotNil(t, a.M.GetSession(r))
			require.NoError(t, b.M.DestroySessionById(old.Value))
			_, err := a.M.Login(r, w, ada)
			require.NoError(t, err)
		}))
		rec := testkit.Send(h, http.MethodPost, "/login", old)
		require.Equal(t, http.StatusOK, rec.Code)
		ck := testkit.SessionCookie(t, rec, a.CookieName)
		assert.NotEqual(t, old.Value, ck.Value)
		assert.Equal(t, ada, a.M.GetSessionById(ck.Value).User())
		assert.Equal(t, 2, a.Events.CountKind(manager.Created), "the first session and the login's")
	})
}

// LoginLosingARenewalFails: of two logins of one session on two instances,
// the second to renew fails with ErrSessionRenewed and binds nothing; the
// winner's session is bound to the winner's user alone.
func LoginLosingARenewalFails(t *testing.T, newStore NewStore) {
	a, b, ck := twoInstances(t, newStore, "", "")
	var winner *http.Cookie
	h := a.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.NotNil(t, a.M.GetSession(r))
		winner = login(t, b, userApp(b.M), bob, ck)
		_, err := a.M.Login(r, w, ada)
		assert.ErrorIs(t, err, manager.ErrSessionRenewed)
	}))
	testkit.Send(h, http.MethodPost, "/login", ck)
	assert.Equal(t, bob, a.M.GetSessionById(winner.Value).User())
	list, err := a.M.UserSessions(nil, ada)
	require.NoError(t, err)
	assert.Empty(t, list, "the losing login bound a session")
}

// LoginAsAnotherUserStartsAfresh: logging in as bob on a browser whose
// session is ada's (a shared computer) ends ada's session and gives bob a
// new one: nothing ada stored reaches bob, and ada's list loses it.
func LoginAsAnotherUserStartsAfresh(t *testing.T, newStore NewStore) {
	env := storeEnv(t, newStore)
	h := userApp(env.M)
	ck := login(t, env, h, ada, nil)
	require.NoError(t, env.M.GetSessionById(ck.Value).Set("cart", "ada's"))
	adas := maskedOf(t, env, ck)

	ck = login(t, env, h, bob, ck)
	assert.Empty(t, listed(t, h, ada, ck))
	assert.Len(t, listed(t, h, bob, ck), 5, "one line: masked ID, created, last access, current, separator")
	s := env.M.GetSessionById(ck.Value)
	assert.Equal(t, bob, s.User())
	_, found := s.Get("cart")
	assert.False(t, found, "ada's values reached bob's session")
	assert.Equal(t, map[string]int{adas: 1}, env.Events.DestroyedByMask(), "ada's session ends, once")

	// The same user logging in again keeps the session's values.
	require.NoError(t, s.Set("cart", "bob's"))
	ck = login(t, env, h, bob, ck)
	v, _ := env.M.GetSessionById(ck.Value).Get("cart")
	assert.Equal(t, "bob's", v)
}

// UserSessionsListsTheUsersLiveSessions: the list holds the user's live
// sessions alone, oldest first, with their creation and last access times
// and the request's own marked; a session that ends or expires leaves it.
func UserSessionsListsTheUsersLiveSessions(t *testing.T, newStore NewStore) {
	env := storeEnv(t, newStore)
	h := userApp(env.M)
	t0 := env.Clock.Now().Unix()
	first := login(t, env, h, ada, nil)
	env.Clock.Advance(time.Minute)
	second := login(t, env, h, ada, nil)
	login(t, env, h, bob, nil)
	env.Clock.Advance(time.Minute)
	require.Equal(t, http.StatusOK, testkit.Get(h, "/whoami", first).Code) // first is used again

	m1, m2 := maskedOf(t, env, first), maskedOf(t, env, second)
	assert.Equal(t, []string{
		m1, fmt.Sprint(t0), fmt.Sprint(t0 + 120), "|",
		m2, fmt.Sprint(t0 + 60), fmt.Sprint(t0 + 120), "current", "|", // listing is a use
	}, listed(t, h, ada, second))
	assert.Contains(t, listed(t, h, ada, first), "current")
	assert.Len(t, listed(t, h, bob, nil), 4, "bob's one session, none current")

	require.NoError(t, env.M.DestroySessionById(first.Value))
	assert.Equal(t, []string{m2}, listed(t, h, ada, nil)[:1])
	assert.Len(t, listed(t, h, ada, nil), 4, "a destroyed session is still listed")

	env.Clock.Advance(31 * time.Minute) // past the default idle timeout
	assert.Empty(t, listed(t, h, ada, nil), "an expired session is still listed")
}

// DestroyOtherSessionsEndsTheRestOnce: "log out everywhere else" ends every
// other session of the user, each with exactly one Destroyed naming the
// user, and a log line with its cause that holds no user name; the
// request's session and other users' sessions live on.
func DestroyOtherSessionsEndsTheRestOnce(t *testing.T, newStore NewStore) {
	env := storeEnv(t, newStore)
	h := userApp(env.M)
	first, second, third := login(t, env, h, ada, nil), login(t, env, h, ada, nil), login(t, env, h, ada, nil)
	other := login(t, env, h, bob, nil)
	m1, m3 := maskedOf(t, env, first), maskedOf(t, env, third)

	rec := testkit.Send(h, http.MethodPost, "/others?user="+ada, second)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Equal(t, "2", rec.Body.String())
	assert.False(t, alive(env, first))
	assert.False(t, alive(env, third))
	assert.True(t, alive(env, second), "the request's own session ended")
	assert.True(t, alive(env, other), "another user's session ended")
	assert.Equal(t, map[string]int{m1: 1, m3: 1}, env.Events.DestroyedByMask())
	for _, ev := range env.Events.All() {
		if ev.Kind == manager.Destroyed {
			assert.Equal(t, ada, ev.User, "Destroyed does not say whose session ended")
		}
	}
	logs := env.Logs.String()
	assert.Contains(t, logs, "session="+m1+" cause=logout by=logout-others")
	assert.NotContains(t, logs, "ada@", "a log line holds a user name")

	assert.Equal(t, "0", testkit.Send(h, http.MethodPost, "/others?user="+ada, second).Body.String())
	assert.Len(t, env.Events.DestroyedByMask(), 2, "a second call fired Destroyed again")
}

// DestroyUserSessionEndsOnlyThatUsersSession: a masked ID ends a session
// only through its own user: another user's masked ID, a malformed one or
// one already ended finds nothing; all of a user's sessions end at once
// through DestroyUserSessions.
func DestroyUserSessionEndsOnlyThatUsersSession(t *testing.T, newStore NewStore) {
	env := storeEnv(t, newStore)
	h := userApp(env.M)
	first, second := login(t, env, h, ada, nil), login(t, env, h, ada, nil)
	other := login(t, env, h, bob, nil)
	mb := maskedOf(t, env, other)

	assert.ErrorIs(t, env.M.DestroyUserSession(ada, mb), manager.ErrSessionGone, "ended bob's session as ada's")
	assert.True(t, alive(env, other))
	for _, bad := range []string{"", "short", strings.Repeat("A", 13), "AAAAAAAAAAA*", strings.Repeat("é", 6)} {
		assert.ErrorIs(t, env.M.DestroyUserSession(ada, bad), manager.ErrSessionGone, "masked ID %q", bad)
	}

	m1 := maskedOf(t, env, first)
	assert.Equal(t, http.StatusOK, testkit.Send(h, http.MethodPost, "/end?user="+ada+"&m="+m1, second).Code)
	assert.False(t, alive(env, first))
	assert.Equal(t, http.StatusNotFound, testkit.Send(h, http.MethodPost, "/end?user="+ada+"&m="+m1, second).Code)
	assert.Equal(t, map[string]int{m1: 1}, env.Events.DestroyedByMask())

	n, err := env.M.DestroyUserSessions(ada)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.False(t, alive(env, second))
	assert.True(t, alive(env, other))
	assert.Len(t, env.Events.DestroyedByMask(), 2)
}

// DestroyOtherSessionsSparesTheRequestsOwnRenewedSession: "log out
// everywhere else" is clicked in one tab while another tab of the same
// browser logs in again (Login renews the session the two tabs share). The
// renewal lands after the first request loaded the session and before it
// lists the user's sessions. DestroyOtherSessions keeps the masked ID the
// request loaded, finds the session under its new ID, takes it for another
// device's and ends it.
//
// What a user saw before the fix: the browser now holds the renewed cookie of a
// session that "log out everywhere else" just destroyed; the click that
// was meant to keep this browser signed in and end the others signs this
// browser out too (its next page asks for the password), and the answer
// counts it among the "other" sessions. The call should spare the
// request's own session under its new ID, or fail (ErrSessionRenewed,
// 409) and let the user click again, rather than end it.
func DestroyOtherSessionsSparesTheRequestsOwnRenewedSession(t *testing.T, newStore NewStore) {
	env := storeEnv(t, newStore)
	login := func(ck *http.Cookie) *http.Cookie {
		t.Helper()
		rec := httptest.NewRecorder()
		_, err := env.M.Login(testkit.RequestWith(ck), rec, ada)
		require.NoError(t, err)
		return testkit.SessionCookie(t, rec, env.CookieName)
	}
	mine, other := login(nil), login(nil)

	var renewedID string
	var ended int
	var err error
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The other tab's login lands now, after this request loaded the session.
		renewedID = login(mine).Value
		ended, err = env.M.DestroyOtherSessions(r, ada)
	}))
	testkit.Send(h, http.MethodPost, "/logout-others", mine)

	assert.NotNil(t, env.M.GetSessionById(renewedID), "this browser's own session, renewed by its other tab, was ended by log out everywhere else")
	if err != nil {
		assert.ErrorIs(t, err, manager.ErrSessionRenewed, "a call that cannot tell its own session may only refuse")
		return
	}
	assert.Nil(t, env.M.GetSessionById(other.Value), "the other device is signed out")
	assert.Equal(t, 1, ended, "only the other device's session counts as another session")
}

// DestroyUserSessionOfAnExpiredSessionIsNoLogout: a "sign out that
// device" button pressed on a listing that is older than the session it
// names. The session idled out (no sweep has come round yet), so it is not
// live: DestroyUserSession documents ErrSessionGone for "no such live
// session", and DestroySessionById, for the same case, clears the record
// away with the expiry's cause and returns ErrSessionGone.
//
// What a user and an operator saw before the fix: DestroyUserSession answers nil
// ("signed out"), the Destroyed event and the log line say cause "logout",
// and Metrics counts Destroyed.Logout, which its doc defines as "ended a
// live session", instead of Destroyed.Idle: dashboards of logouts versus
// idle expiries are wrong, and the app tells the user it signed out a
// device that had already been signed out by the idle timeout.
func DestroyUserSessionOfAnExpiredSessionIsNoLogout(t *testing.T, newStore NewStore) {
	env := testkit.NewStoreEnv(t, newStore(t), manager.Options{MaxInactiveInterval: 60})
	_, ck := env.Create(t)
	s, err := env.M.Login(testkit.RequestWith(ck), httptest.NewRecorder(), ada)
	require.NoError(t, err)
	listed, err := env.M.UserSessions(nil, ada)
	require.NoError(t, err)
	require.Len(t, listed, 1)
	require.Equal(t, s.GetMaskedSessionId(), listed[0].MaskedID)

	env.Clock.Advance(2 * time.Minute) // past the 60 s idle timeout; no sweep runs

	err = env.M.DestroyUserSession(ada, listed[0].MaskedID)
	assert.ErrorIs(t, err, manager.ErrSessionGone, "the session had idled out: it was not live")
	// Whether this call clears the record away (as DestroySessionById does)
	// or leaves it to the sweeper, an end it reports is an idle expiry.
	got := env.M.Metrics().Destroyed
	assert.Equal(t, uint64(0), got.Logout, "an idle expiry counted as a logout")
	assert.Equal(t, uint64(env.Events.CountKind(manager.Destroyed)), got.Idle, "each end reported is the idle timeout's")
	assert.LessOrEqual(t, env.Events.CountKind(manager.Destroyed), 1)
}

// PerUserCapDestroysTheOldest: with MaxSessionsPerUser, each login ends the
// user's oldest sessions beyond the cap, with one Destroyed each and the
// cause in the log, but never the session it just bound, even when that one
// is the oldest (a login that renewed a session made long before).
func PerUserCapDestroysTheOldest(t *testing.T, newStore NewStore) {
	env := testkit.NewStoreEnv(t, newStore(t), manager.Options{MaxSessionsPerUser: 2})
	h := userApp(env.M)
	_, early := env.Create(t) // anonymous, the oldest of all
	env.Clock.Advance(time.Second)
	first := login(t, env, h, ada, nil)
	env.Clock.Advance(time.Second)
	second := login(t, env, h, ada, nil)
	env.Clock.Advance(time.Second)
	m1 := maskedOf(t, env, first)
	third := login(t, env, h, ada, nil)
	assert.False(t, alive(env, first), "the oldest session beyond the cap lives on")
	assert.True(t, alive(env, second))
	assert.True(t, alive(env, third))
	assert.Equal(t, map[string]int{m1: 1}, env.Events.DestroyedByMask())
	assert.Contains(t, env.Logs.String(), "session="+m1+" cause=user_cap by=\"per-user cap\"")

	m2 := maskedOf(t, env, second)
	bound := login(t, env, h, ada, early) // renews the oldest session of all
	assert.True(t, alive(env, bound), "the cap ended the session it had just bound")
	assert.False(t, alive(env, second))
	assert.True(t, alive(env, third))
	assert.Equal(t, map[string]int{m1: 1, m2: 1}, env.Events.DestroyedByMask())
	assert.NotContains(t, env.Logs.String(), "ada@")
}

// SetLifetimeMovesTheDeadline: SetLifetime gives the session a deadline of
// now + d, stored (another instance sees it) and kept by renewal, capped
// at creation + Options.MaxLifetime; the cookie's Max-Age follows it.
func SetLifetimeMovesTheDeadline(t *testing.T, newStore NewStore) {
	const day = 24 * time.Hour
	a, b := sharedClockInstances(t, newStore(t), manager.Options{MaxAge: 3600, MaxLifetime: 30 * 86400, MaxInactiveInterval: 40 * 86400})
	setLifetime := func(ck *http.Cookie, d time.Duration) *http.Cookie {
		t.Helper()
		h := a.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			require.NoError(t, a.M.SetLifetime(r, w, d))
		}))
		rec := testkit.Send(h, http.MethodPost, "/remember", ck)
		require.Equal(t, http.StatusOK, rec.Code)
		sent := testkit.SessionCookie(t, rec, a.CookieName)
		assert.Equal(t, ck.Value, sent.Value)
		assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
		return sent
	}

	t.Run("longer", func(t *testing.T) {
		_, ck := a.Create(t)
		a.Clock.Advance(time.Hour / 2)
		assert.Equal(t, int((7 * day).Seconds()), setLifetime(ck, 7*day).MaxAge)
		a.Clock.Advance(2 * time.Hour) // past MaxAge
		require.NotNil(t, b.M.GetSessionById(ck.Value), "the longer lifetime was not stored")
		a.Clock.Advance(7*day - 2*time.Hour)
		assert.Nil(t, b.M.GetSessionById(ck.Value), "the session outlived its new deadline")
	})
	t.Run("capped at creation plus MaxLifetime", func(t *testing.T) {
		_, ck := a.Create(t)
		a.Clock.Advance(time.Hour / 2)
		left := 30*day - time.Hour/2
		assert.Equal(t, int(left.Seconds()), setLifetime(ck, 365*day).MaxAge)
		a.Clock.Advance(10 * day)
		left -= 10 * day
		assert.Equal(t, int(left.Seconds()), setLifetime(ck, 365*day).MaxAge, "asking again extended it")
		a.Clock.Advance(left - time.Second)
		require.NotNil(t, b.M.GetSessionById(ck.Value))
		a.Clock.Advance(time.Second)
		assert.Nil(t, b.M.GetSessionById(ck.Value), "the session outlived creation + MaxLifetime")
	})
	t.Run("shorter", func(t *testing.T) {
		_, ck := a.Create(t)
		assert.Equal(t, 600, setLifetime(ck, 10*time.Minute).MaxAge)
		a.Clock.Advance(10 * time.Minute)
		assert.Nil(t, b.M.GetSessionById(ck.Value), "the session outlived its shorter lifetime")
	})
	t.Run("kept by renewal", func(t *testing.T) {
		_, ck := a.Create(t)
		setLifetime(ck, 7*day)
		a.Clock.Advance(day)
		rec := httptest.NewRecorder()
		s, err := b.M.RenewSession(testkit.RequestWith(ck), rec)
		require.NoError(t, err)
		assert.Equal(t, int((6 * day).Seconds()), testkit.SessionCookie(t, rec, b.CookieName).MaxAge)
		a.Clock.Advance(6*day - time.Second)
		assert.NotNil(t, b.M.GetSessionById(s.GetId()), "renewal dropped the longer lifetime")
	})
}
