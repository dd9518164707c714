package session_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
)

// fixationEnv is the unchanged gin-contrib app (newContribApp) over a
// NewGinStore made with opts, and a cookie an attacker planted in the
// victim's browser: that of a session made before login, by a flash.
type fixationEnv struct {
	m       *session.Manager
	events  *testkit.Events
	srv     string
	planted *http.Cookie
}

func newFixationEnv(t *testing.T, use func(sessions.Store) gin.HandlerFunc, opts ...session.GinStoreOption) *fixationEnv {
	t.Helper()
	env := &fixationEnv{events: &testkit.Events{}}
	env.m = newTestManager(t, testOptions(testkit.NewClock()), env.events.Handle)
	env.srv = serve(t, newContribApp(use(session.NewGinStore(env.m, opts...)))).URL
	env.planted = roundTrip(t, env.srv, newRequest(t, http.MethodPost, "/flash?m=hi", nil)).cookie(contribCookie)
	require.NotNil(t, env.planted, "the pre-login session the attacker plants")
	return env
}

// whoami is the user the session behind ck is logged in as.
func (env *fixationEnv) whoami(t *testing.T, ck *http.Cookie) string {
	t.Helper()
	return roundTrip(t, env.srv, newRequest(t, http.MethodGet, "/whoami", nil, ck)).body
}

// TestGinStoreRenewWhenSetDefeatsFixation is the attack: the victim logs in
// through an unchanged gin-contrib handler (Set("user", u), Save) with a
// session cookie the attacker planted. With RenewWhenSet("user") the login
// lands on a new ID, the values kept, and the attacker's cookie finds
// nothing, under both installs. Without the option the planted cookie is
// logged in too: the hole SECURITY.md documents, kept as it was.
func TestGinStoreRenewWhenSetDefeatsFixation(t *testing.T) {
	forEachInstall(t, func(t *testing.T, use func(sessions.Store) gin.HandlerFunc) {
		t.Run("with RenewWhenSet", func(t *testing.T) {
			env := newFixationEnv(t, use, session.RenewWhenSet("user"))
			login := roundTrip(t, env.srv, newRequest(t, http.MethodPost, "/login?user=victim", nil, env.planted))
			require.Equal(t, http.StatusOK, login.status, login.body)
			renewed := login.cookie(contribCookie)
			require.NotNil(t, renewed, "the login sends the new cookie")
			assert.NotEqual(t, env.planted.Value, renewed.Value)
			assert.True(t, manager.IsValidID(renewed.Value))

			assert.Equal(t, "victim", env.whoami(t, renewed))
			assert.Equal(t, "anonymous", env.whoami(t, env.planted), "the attacker's cookie is not logged in")
			assert.Nil(t, env.m.GetSessionById(env.planted.Value), "the old ID is dead")
			assert.NotNil(t, testkit.ValueOf(env.m, renewed.Value, "_flash"), "the pre-login values are kept")
			assert.Equal(t, 2, env.events.Count(renewed.Value, session.Update), "the renewal's Update, as RenewSession fires it, and the login value's")
			assert.Zero(t, env.events.CountKind(session.Destroyed), "as RenewSession: the old ID ends without a Destroyed, the session lives on")
			assert.Equal(t, 1, env.events.CountKind(session.Created), "a renewal, not a new session")
			assert.Equal(t, 1, env.m.GetSessionSize())
		})
		t.Run("without", func(t *testing.T) {
			env := newFixationEnv(t, use)
			login := roundTrip(t, env.srv, newRequest(t, http.MethodPost, "/login?user=victim", nil, env.planted))
			require.Equal(t, http.StatusOK, login.status, login.body)
			assert.Nil(t, login.cookie(contribCookie), "the ID is kept: no new cookie")
			assert.Equal(t, "victim", env.whoami(t, env.planted), "the planted cookie is logged in (documented)")
		})
	})
}

// TestGinStoreRenewWhenSetRenewsOnlyANewValue: setting the key to the value
// it holds, setting another key, or deleting it renews nothing; a login
// as someone else renews again; a Save that makes the first session needs
// no renewal.
func TestGinStoreRenewWhenSetRenewsOnlyANewValue(t *testing.T) {
	forEachInstall(t, func(t *testing.T, use func(sessions.Store) gin.HandlerFunc) {
		env := newFixationEnv(t, use, session.RenewWhenSet("user"))
		fresh := roundTrip(t, env.srv, newRequest(t, http.MethodPost, "/login?user=alice", nil)).cookie(contribCookie)
		require.NotNil(t, fresh)
		assert.Equal(t, 1, env.events.Count(fresh.Value, session.Update), "a new session is not renewed: the login value's Update only")

		ck := roundTrip(t, env.srv, newRequest(t, http.MethodPost, "/login?user=victim", nil, env.planted)).cookie(contribCookie)
		require.NotNil(t, ck)
		for _, path := range []string{"/login?user=victim", "/flash?m=again", "/clear"} {
			x := roundTrip(t, env.srv, newRequest(t, http.MethodPost, path, nil, ck))
			require.Equal(t, http.StatusOK, x.status, path)
			assert.Nil(t, x.cookie(contribCookie), "%s keeps the ID", path)
		}
		assert.Equal(t, "anonymous", env.whoami(t, ck), "cleared, on the same ID")

		again := roundTrip(t, env.srv, newRequest(t, http.MethodPost, "/login?user=mallory", nil, ck)).cookie(contribCookie)
		require.NotNil(t, again, "a new user on the session renews it")
		assert.NotEqual(t, ck.Value, again.Value)
		assert.Equal(t, "anonymous", env.whoami(t, ck))
		assert.Equal(t, "mallory", env.whoami(t, again))
	})
}

// TestGinStoreRenewWhenSetFailureKeepsNoLogin: when the renewal cannot be
// made, Save fails and the login is stored nowhere, so the planted cookie
// never gains it: a renewal lost to a concurrent one (ErrSessionRenewed,
// answered 409 through the ErrorHandler), and a Save after the response
// started (ErrHeadersWritten: no new cookie could follow).
func TestGinStoreRenewWhenSetFailureKeepsNoLogin(t *testing.T) {
	forEachInstall(t, func(t *testing.T, use func(sessions.Store) gin.HandlerFunc) {
		m := newTestManager(t, testOptions(testkit.NewClock()), nil)
		r := gin.New()
		r.Use(gin.Recovery(), use(session.NewGinStore(m, session.RenewWhenSet("user"))))
		r.POST("/flash", func(c *gin.Context) {
			s := sessions.Default(c)
			s.AddFlash("hi")
			_ = s.Save()
		})
		gate, entered := make(chan struct{}), make(chan struct{})
		saved := make(chan error, 1)
		r.POST("/slow-login", func(c *gin.Context) {
			s := sessions.Default(c)
			_ = s.Get("user") // the session is loaded before the other login
			entered <- struct{}{}
			<-gate
			s.Set("user", "slow")
			saved <- s.Save()
		})
		r.POST("/login", func(c *gin.Context) {
			s := sessions.Default(c)
			s.Set("user", c.Query("user"))
			_ = s.Save()
			c.String(http.StatusOK, "welcome")
		})
		r.POST("/answered-then-login", func(c *gin.Context) {
			s := sessions.Default(c)
			c.String(http.StatusOK, "welcome")
			s.Set("user", "late")
			saved <- s.Save()
		})
		r.GET("/whoami", func(c *gin.Context) {
			c.String(http.StatusOK, "%v", sessions.Default(c).Get("user"))
		})
		srv := serve(t, r).URL
		plant := func() *http.Cookie {
			ck := roundTrip(t, srv, newRequest(t, http.MethodPost, "/flash", nil)).cookie(contribCookie)
			require.NotNil(t, ck)
			return ck
		}
		whoami := func(ck *http.Cookie) string {
			return roundTrip(t, srv, newRequest(t, http.MethodGet, "/whoami", nil, ck)).body
		}

		t.Run("lost to a concurrent renewal", func(t *testing.T) {
			planted := plant()
			slow := make(chan exchange, 1)
			go func() {
				slow <- roundTrip(t, srv, newRequest(t, http.MethodPost, "/slow-login", nil, planted))
			}()
			<-entered
			won := roundTrip(t, srv, newRequest(t, http.MethodPost, "/login?user=fast", nil, planted)).cookie(contribCookie)
			require.NotNil(t, won)
			close(gate)
			lost := <-slow
			err := <-saved
			assert.True(t, errors.Is(err, manager.ErrSessionRenewed), "Save returns %v", err)
			assert.Equal(t, http.StatusConflict, lost.status)
			assert.Nil(t, lost.cookie(contribCookie))
			assert.Equal(t, "fast", whoami(won), "the winner's login stands")
			assert.Equal(t, "<nil>", whoami(planted))
		})
		t.Run("after the response started", func(t *testing.T) {
			planted := plant()
			x := roundTrip(t, srv, newRequest(t, http.MethodPost, "/answered-then-login", nil, planted))
			assert.ErrorIs(t, <-saved, manager.ErrHeadersWritten)
			assert.Nil(t, x.cookie(contribCookie))
			assert.Equal(t, "<nil>", whoami(planted), "the login is not kept on the planted ID")
		})
	})
}

// TestGinStoreRenewWhenSetAfterRenewSession: a login handler that already
// calls RenewSession (under Sessions) is not renewed a second time by its
// Save: one new cookie goes out, and it is the one the login lands on.
func TestGinStoreRenewWhenSetAfterRenewSession(t *testing.T) {
	events := &testkit.Events{}
	m := newTestManager(t, testOptions(testkit.NewClock()), events.Handle)
	r := gin.New()
	r.Use(session.Sessions(contribCookie, session.NewGinStore(m, session.RenewWhenSet("user"))))
	r.POST("/flash", func(c *gin.Context) {
		s := sessions.Default(c)
		s.AddFlash("hi")
		_ = s.Save()
	})
	r.POST("/login", func(c *gin.Context) {
		if _, err := session.RenewSession(c); err != nil {
			session.HandleError(c, err)
			return
		}
		s := sessions.Default(c)
		s.Set("user", "victim")
		_ = s.Save()
	})
	srv := serve(t, r).URL
	planted := roundTrip(t, srv, newRequest(t, http.MethodPost, "/flash", nil)).cookie(contribCookie)
	require.NotNil(t, planted)
	login := roundTrip(t, srv, newRequest(t, http.MethodPost, "/login", nil, planted))
	require.Equal(t, http.StatusOK, login.status)
	require.Len(t, login.header.Values("Set-Cookie"), 1, "one renewal, one cookie")
	renewed := login.cookie(contribCookie)
	assert.Equal(t, "victim", testkit.ValueOf(m, renewed.Value, "user"))
	assert.Equal(t, 2, events.Count(renewed.Value, session.Update), "RenewSession's Update and the login value's")
}
