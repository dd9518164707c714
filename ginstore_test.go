package session_test

import (
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
)

// contribCookie is the cookie name of the gin-contrib app below.
const contribCookie = "mysession"

// installs are the two ways to put NewGinStore in front of an unchanged
// gin-contrib app: gin-contrib's own middleware, and Sessions.
var installs = []struct {
	name string
	use  func(sessions.Store) gin.HandlerFunc
}{
	{"sessions.Sessions", func(st sessions.Store) gin.HandlerFunc { return sessions.Sessions(contribCookie, st) }},
	{"session.Sessions", func(st sessions.Store) gin.HandlerFunc { return session.Sessions(contribCookie, st) }},
}

// forEachInstall runs test once for each of installs.
func forEachInstall(t *testing.T, test func(t *testing.T, use func(sessions.Store) gin.HandlerFunc)) {
	for _, in := range installs {
		t.Run(in.name, func(t *testing.T) { test(t, in.use) })
	}
}

// newGinStoreEngine returns a bare engine with a NewGinStore over a fresh
// manager installed by use, the manager, and the events it fired, for a
// test to add the routes it needs.
func newGinStoreEngine(t *testing.T, use func(sessions.Store) gin.HandlerFunc) (*gin.Engine, *session.Manager, *testkit.Events) {
	t.Helper()
	events := &testkit.Events{}
	m := newTestManager(t, testOptions(testkit.NewClock()), events.Handle)
	r := gin.New()
	r.Use(use(session.NewGinStore(m)))
	return r, m, events
}

// newContribApp is a gin-contrib/sessions application as its users write
// one, whose handlers know nothing of sessionkit; use installs the
// middleware. It ignores Save's errors, as most such apps do. Routes:
//
//	POST /login?user=u   Set("user", u), Save
//	GET  /whoami         the user, or "anonymous"
//	POST /logout         Options(MaxAge: -1), Save
//	POST /clear          Clear, Save
//	POST /flash?m=text   AddFlash(text), Save
//	GET  /flashes        Flashes, Save
//	GET  /id             ID
func newContribApp(use gin.HandlerFunc) *gin.Engine {
	r := gin.New()
	r.Use(gin.Recovery(), use)
	r.POST("/login", func(c *gin.Context) {
		s := sessions.Default(c)
		s.Set("user", c.Query("user"))
		_ = s.Save()
		c.String(http.StatusOK, "welcome")
	})
	r.GET("/whoami", func(c *gin.Context) {
		s := sessions.Default(c)
		if user, ok := s.Get("user").(string); ok {
			c.String(http.StatusOK, user)
			return
		}
		c.String(http.StatusOK, "anonymous")
	})
	r.POST("/logout", func(c *gin.Context) {
		s := sessions.Default(c)
		s.Options(sessions.Options{MaxAge: -1})
		_ = s.Save()
		c.String(http.StatusOK, "bye")
	})
	r.POST("/clear", func(c *gin.Context) {
		s := sessions.Default(c)
		s.Clear()
		_ = s.Save()
		c.String(http.StatusOK, "cleared")
	})
	r.POST("/flash", func(c *gin.Context) {
		s := sessions.Default(c)
		s.AddFlash(c.Query("m"))
		_ = s.Save()
		c.String(http.StatusOK, "flashed")
	})
	r.GET("/id", func(c *gin.Context) {
		c.String(http.StatusOK, "id=%s", sessions.Default(c).ID())
	})
	r.GET("/flashes", func(c *gin.Context) {
		s := sessions.Default(c)
		flashes := s.Flashes()
		_ = s.Save()
		c.String(http.StatusOK, "%v", flashes)
	})
	return r
}

// contribEnv is a test manager with a fake clock and recorded events, and
// the unchanged gin-contrib app over it.
type contribEnv struct {
	m      *session.Manager
	clock  *testkit.Clock
	events *testkit.Events
	srv    string
	server *httptest.Server
}

func newContribEnv(t *testing.T, use func(sessions.Store) gin.HandlerFunc, opts ...func(*session.Options)) *contribEnv {
	t.Helper()
	env := &contribEnv{clock: testkit.NewClock(), events: &testkit.Events{}}
	o := testOptions(env.clock)
	for _, f := range opts {
		f(&o)
	}
	env.m = newTestManager(t, o, env.events.Handle)
	env.server = serve(t, newContribApp(use(session.NewGinStore(env.m))))
	env.srv = env.server.URL
	return env
}

func (env *contribEnv) browser(t *testing.T) *client {
	t.Helper()
	return newClient(t, env.server)
}

// loggedIn returns a browser that logged in as user, and its cookie's value.
func (env *contribEnv) loggedIn(t *testing.T, user string) (*client, string) {
	t.Helper()
	b := env.browser(t)
	status, body := b.post("/login?user=" + user)
	require.Equal(t, http.StatusOK, status, body)
	id := b.cookie(contribCookie)
	require.True(t, manager.IsValidID(id), "the cookie carries the session ID and nothing else")
	return b, id
}

func TestGinStoreAppGetsIdleExpiry(t *testing.T) {
	forEachInstall(t, func(t *testing.T, use func(sessions.Store) gin.HandlerFunc) {
		env := newContribEnv(t, use)
		b, id := env.loggedIn(t, "alice")
		assert.Equal(t, 1, env.events.Count(id, session.Created))

		env.clock.Advance(30 * time.Second)
		_, body := b.get("/whoami")
		assert.Equal(t, "alice", body, "use within the idle timeout keeps the session")

		env.clock.Advance(61 * time.Second) // testOptions: 60 seconds idle
		_, body = b.get("/whoami")
		assert.Equal(t, "anonymous", body)
		assert.Equal(t, 1, env.events.Count(id, session.Destroyed))
		assert.Zero(t, env.m.GetSessionSize())
	})
}

func TestGinStoreAppGetsAbsoluteExpiry(t *testing.T) {
	forEachInstall(t, func(t *testing.T, use func(sessions.Store) gin.HandlerFunc) {
		env := newContribEnv(t, use)
		b, id := env.loggedIn(t, "alice")
		for range 11 { // used every 55 seconds: never idle, past 600 seconds
			env.clock.Advance(55 * time.Second)
			b.get("/whoami")
		}
		_, body := b.get("/whoami")
		assert.Equal(t, "anonymous", body)
		assert.Equal(t, 1, env.events.Count(id, session.Destroyed))
	})
}

// TestGinStoreLogoutEndsTheSessionOnTheServer: gin-contrib's logout idiom,
// Options(MaxAge: -1) and Save, destroys the session on the server, fires
// Destroyed once and expires the cookie; the old cookie, replayed, finds
// nothing (with gin-contrib's cookie store it would still log in).
func TestGinStoreLogoutEndsTheSessionOnTheServer(t *testing.T) {
	forEachInstall(t, func(t *testing.T, use func(sessions.Store) gin.HandlerFunc) {
		env := newContribEnv(t, use)
		b, id := env.loggedIn(t, "alice")
		require.Equal(t, 1, env.m.GetSessionSize())

		x := roundTrip(t, env.srv, newRequest(t, http.MethodPost, "/logout", nil, &http.Cookie{Name: contribCookie, Value: id}))
		require.Equal(t, http.StatusOK, x.status)
		expired := x.cookie(contribCookie)
		require.NotNil(t, expired, "the logout expires the cookie")
		assert.Negative(t, expired.MaxAge)
		assert.Equal(t, "/", expired.Path, "with the Path it was set with, though Options left it out")

		assert.Equal(t, 1, env.events.Count(id, session.Destroyed))
		assert.Zero(t, env.m.GetSessionSize())
		_, body := b.get("/whoami") // the browser ignored the expiring cookie: a replay
		assert.Equal(t, "anonymous", body)
		b.post("/logout")
		assert.Equal(t, 1, env.events.Count(id, session.Destroyed), "Destroyed fires once")
	})
}

// TestGinStoreClearKeepsTheSession: Clear and Save empty the values, as in
// gin-contrib, and the session lives on: no Destroyed, the same ID.
func TestGinStoreClearKeepsTheSession(t *testing.T) {
	forEachInstall(t, func(t *testing.T, use func(sessions.Store) gin.HandlerFunc) {
		env := newContribEnv(t, use)
		b, id := env.loggedIn(t, "alice")
		status, _ := b.post("/clear")
		require.Equal(t, http.StatusOK, status)
		_, body := b.get("/whoami")
		assert.Equal(t, "anonymous", body)
		assert.Zero(t, env.events.Count(id, session.Destroyed))
		assert.Equal(t, 1, env.m.GetSessionSize())
		assert.Equal(t, id, b.cookie(contribCookie))
		assert.Empty(t, env.m.GetSessionById(id).Keys())

		_, body = b.get("/id")
		assert.Equal(t, "id="+env.m.GetSessionById(id).GetMaskedSessionId(), body, "ID is the masked ID, safe to log")
		_, body = env.browser(t).get("/id")
		assert.Equal(t, "id=", body, "no session yet")
	})
}

// TestGinStoreAdminLogout: the app gains the live count and
// DestroySessionById.
func TestGinStoreAdminLogout(t *testing.T) {
	forEachInstall(t, func(t *testing.T, use func(sessions.Store) gin.HandlerFunc) {
		env := newContribEnv(t, use)
		alice, aliceID := env.loggedIn(t, "alice")
		bob, _ := env.loggedIn(t, "bob")
		assert.Equal(t, 2, env.m.GetSessionSize())

		require.NoError(t, env.m.DestroySessionById(aliceID))
		_, body := alice.get("/whoami")
		assert.Equal(t, "anonymous", body)
		_, body = bob.get("/whoami")
		assert.Equal(t, "bob", body)
		assert.Equal(t, 1, env.m.GetSessionSize())
	})
}

// TestGinStoreWritesOnlyWhatChanged: two requests of one session that set
// different keys both keep theirs, since Save writes the keys that changed
// rather than the whole session.
func TestGinStoreWritesOnlyWhatChanged(t *testing.T) {
	forEachInstall(t, func(t *testing.T, use func(sessions.Store) gin.HandlerFunc) {
		env := newContribEnv(t, use)
		_, id := env.loggedIn(t, "alice")
		var bothRead sync.WaitGroup
		bothRead.Add(2)
		r := gin.New()
		r.Use(use(session.NewGinStore(env.m)))
		r.POST("/set/:k", func(c *gin.Context) {
			s := sessions.Default(c)
			_ = s.Get("user") // load the session, then wait for the other request to load it too
			bothRead.Done()
			bothRead.Wait()
			s.Set(c.Param("k"), "v")
			require.NoError(t, s.Save())
		})
		srv := serve(t, r).URL
		var wg sync.WaitGroup
		for _, k := range []string{"a", "b"} {
			wg.Go(func() {
				roundTrip(t, srv, newRequest(t, http.MethodPost, "/set/"+k, nil, &http.Cookie{Name: contribCookie, Value: id}))
			})
		}
		wg.Wait()
		assert.Equal(t, []string{"a", "b", "user"}, env.m.GetSessionById(id).Keys())
	})
}

// TestGinStoreCookieDefaults: where the app sets no options, the cookie is
// sessionkit's: HttpOnly, SameSite=Lax, Path=/, a Max-Age that ends with the
// absolute deadline, and "Cache-Control: no-store" on the response.
func TestGinStoreCookieDefaults(t *testing.T) {
	forEachInstall(t, func(t *testing.T, use func(sessions.Store) gin.HandlerFunc) {
		env := newContribEnv(t, use)
		x := roundTrip(t, env.srv, newRequest(t, http.MethodPost, "/login?user=alice", nil))
		ck := x.cookie(contribCookie)
		require.NotNil(t, ck)
		assert.True(t, ck.HttpOnly)
		assert.Equal(t, http.SameSiteLaxMode, ck.SameSite)
		assert.Equal(t, "/", ck.Path)
		assert.Equal(t, 600, ck.MaxAge, "testOptions: MaxAge 600")
		assert.Equal(t, "no-store", x.header.Get("Cache-Control"))
		assert.Contains(t, x.header.Values("Vary"), "Cookie")
		big := roundTrip(t, env.srv, newRequest(t, http.MethodPost, "/login?user="+strings.Repeat("x", 8000), nil))
		assert.True(t, manager.IsValidID(big.cookie(contribCookie).Value), "the cookie carries the ID alone, however large the values")

		empty := roundTrip(t, env.srv, newRequest(t, http.MethodPost, "/clear", nil))
		assert.Empty(t, empty.header.Values("Set-Cookie"), "no session and no values: nothing stored, no cookie")
		assert.Equal(t, 2, env.m.GetSessionSize())

		if strings.HasSuffix(t.Name(), "session.Sessions") {
			x = roundTrip(t, env.srv, newRequest(t, http.MethodGet, "/whoami", nil, ck))
			assert.Contains(t, x.header.Values("Vary"), "Cookie", "also on a response that saved nothing")
		}
	})
}

// TestGinStoreAppOptionsReplaceTheCookie: options the app gives replace the
// whole set, as in gin-contrib; turning HttpOnly or SameSite off logs one
// warning per store.
func TestGinStoreAppOptionsReplaceTheCookie(t *testing.T) {
	logs := &testkit.Buffer{}
	m := newTestManager(t, withLogger(testOptions(testkit.NewClock()), logs), nil)
	st := session.NewGinStore(m)
	st.Options(sessions.Options{Path: "/app", MaxAge: 3600, Secure: true}) // HttpOnly and SameSite off
	r := newContribApp(sessions.Sessions(contribCookie, st))
	srv := serve(t, r).URL
	for range 2 {
		x := roundTrip(t, srv, newRequest(t, http.MethodPost, "/login?user=alice", nil))
		ck := x.cookie(contribCookie)
		require.NotNil(t, ck)
		assert.Equal(t, "/app", ck.Path)
		assert.Equal(t, 3600, ck.MaxAge)
		assert.True(t, ck.Secure)
		assert.False(t, ck.HttpOnly, "the app's set, as in gin-contrib")
	}
	assert.Equal(t, 1, strings.Count(logs.String(), "turn the session cookie's HttpOnly or SameSite off"), logs.String())
}

// TestGinStoreWarnsWhenAppOptionsDropSecure: a manager set up with Secure
// behind an app whose gin-contrib options (written before the migration)
// leave Secure out sends the ID over plain HTTP too: gin-contrib's rule
// keeps the app's set, and one warning per store says what it costs.
func TestGinStoreWarnsWhenAppOptionsDropSecure(t *testing.T) {
	const warning = "without Secure though the manager's Options.Secure is on"
	for _, where := range []string{"store", "session"} {
		t.Run(where, func(t *testing.T) {
			logs := &testkit.Buffer{}
			opts := withLogger(testOptions(testkit.NewClock()), logs)
			opts.Secure = true
			m := newTestManager(t, opts, nil)
			st := session.NewGinStore(m)
			appOptions := sessions.Options{Path: "/", MaxAge: 3600, HttpOnly: true, SameSite: http.SameSiteLaxMode}
			r := gin.New()
			r.Use(sessions.Sessions(contribCookie, st))
			if where == "store" {
				st.Options(appOptions)
			}
			r.POST("/login", func(c *gin.Context) {
				s := sessions.Default(c)
				if where == "session" {
					s.Options(appOptions)
				}
				s.Set("user", "alice")
				_ = s.Save()
			})
			srv := serve(t, r).URL
			for range 2 {
				ck := roundTrip(t, srv, newRequest(t, http.MethodPost, "/login", nil)).cookie(contribCookie)
				require.NotNil(t, ck)
				assert.False(t, ck.Secure, "the app's set, as in gin-contrib")
			}
			assert.Equal(t, 1, strings.Count(logs.String(), warning), logs.String())
			assert.NotContains(t, logs.String(), "HttpOnly or SameSite off")
		})
	}
}

// withLogger returns opts logging to buf.
func withLogger(opts session.Options, buf *testkit.Buffer) session.Options {
	opts.Logger = slog.New(slog.NewTextHandler(buf, nil))
	return opts
}

// TestGinStoreFlashesAreTheNativeFlashes: a flash added through gin-contrib's
// AddFlash is read once, and is the list the native Flashes reads.
func TestGinStoreFlashesAreTheNativeFlashes(t *testing.T) {
	env := newContribEnv(t, installs[1].use)
	b, id := env.loggedIn(t, "alice")
	b.post("/flash?m=saved")
	flashes, err := session.Flashes(env.m.GetSessionById(id))
	require.NoError(t, err)
	assert.Equal(t, []any{"saved"}, flashes)

	b.post("/flash?m=again")
	_, body := b.get("/flashes")
	assert.Equal(t, "[again]", body)
	_, body = b.get("/flashes")
	assert.Equal(t, "[]", body)
}

// TestGinStoreRefusesKeysThatAreNotStrings: Save returns
// manager.ErrInvalidKey and stores nothing.
func TestGinStoreRefusesKeysThatAreNotStrings(t *testing.T) {
	m := newTestManager(t, testOptions(testkit.NewClock()), nil)
	r := gin.New()
	r.Use(session.Sessions(contribCookie, session.NewGinStore(m)))
	var saveErr error
	r.POST("/", func(c *gin.Context) {
		s := sessions.Default(c)
		s.Set("ok", "v")
		s.Set(42, "v")
		saveErr = s.Save()
	})
	x := roundTrip(t, serve(t, r).URL, newRequest(t, http.MethodPost, "/", nil))
	assert.ErrorIs(t, saveErr, manager.ErrInvalidKey)
	assert.Equal(t, http.StatusInternalServerError, x.status, "through ErrorHandler")
	assert.Zero(t, m.GetSessionSize())
}

// faultyContribEnv is newContribEnv over a FaultyStore that fails with
// errStoreDown where the test says.
func faultyContribEnv(t *testing.T, use func(sessions.Store) gin.HandlerFunc) (*contribEnv, *testkit.FaultyStore) {
	t.Helper()
	faulty := testkit.NewFaultyStore()
	faulty.Err = errStoreDown
	return newContribEnv(t, use, func(o *session.Options) { o.Store = faulty }), faulty
}

// TestGinStoreStoreDownAtLoadNeverGivesAnEmptySession: with the store down,
// a logged-in user is never served as anonymous. Through Sessions the
// request is answered by ErrorHandler (503) before any handler runs;
// through gin-contrib's own middleware, which swallows Get's error, the
// handler's first use of the nil session panics and gin's Recovery answers
// 500.
func TestGinStoreStoreDownAtLoadNeverGivesAnEmptySession(t *testing.T) {
	forEachInstall(t, func(t *testing.T, use func(sessions.Store) gin.HandlerFunc) {
		env, faulty := faultyContribEnv(t, use)
		b, _ := env.loggedIn(t, "alice")
		faulty.FailLoad.Store(true)
		status, body := b.get("/whoami")
		want := http.StatusInternalServerError // gin's Recovery
		if strings.HasSuffix(t.Name(), "session.Sessions") {
			want = http.StatusServiceUnavailable // ErrorHandler
		}
		assert.Equal(t, want, status)
		assert.NotContains(t, body, "anonymous")
		assert.NotContains(t, body, "injected", "no internal detail in the response")
	})
}

// TestGinStoreFailedSaveReachesErrorHandler: a Save that cannot reach the
// store is answered through ErrorHandler (503 for a store that is down)
// though the handler ignores its error and answers 200. Through Sessions
// the handler's own answer is dropped.
func TestGinStoreFailedSaveReachesErrorHandler(t *testing.T) {
	forEachInstall(t, func(t *testing.T, use func(sessions.Store) gin.HandlerFunc) {
		env, faulty := faultyContribEnv(t, use)
		b, id := env.loggedIn(t, "alice")

		faulty.FailUpdate.Store(true)
		status, body := b.post("/login?user=mallory")
		assert.Equal(t, http.StatusServiceUnavailable, status, body)
		if strings.HasSuffix(t.Name(), "session.Sessions") {
			assert.NotContains(t, body, "welcome")
		}
		faulty.FailUpdate.Store(false)
		_, body = b.get("/whoami")
		assert.Equal(t, "alice", body, "nothing of the failed save was stored")

		faulty.FailCreate.Store(true)
		status, _ = env.browser(t).post("/login?user=bob")
		assert.Equal(t, http.StatusServiceUnavailable, status)
		assert.Equal(t, 1, env.m.GetSessionSize())
		assert.NotNil(t, env.m.GetSessionById(id))
	})
}

// TestGinErrorHandlerAnswersWithTheAppsJSON: an app answers session errors
// with its own JSON through the gin.Context, at load and at commit, with
// UseManager and with Sessions.
func TestGinErrorHandlerAnswersWithTheAppsJSON(t *testing.T) {
	const answer = `{"error":"sessions are down"}`
	for _, mw := range []string{"UseManager", "Sessions"} {
		t.Run(mw, func(t *testing.T) {
			faulty := testkit.NewFaultyStore()
			faulty.Err = errStoreDown
			opts := testOptions(testkit.NewClock())
			opts.Store = faulty
			var seen error
			opts.ErrorHandler = session.GinErrorHandler(func(c *gin.Context, err error) {
				seen = err
				c.JSON(http.StatusServiceUnavailable, gin.H{"error": "sessions are down"})
			})
			m := newTestManager(t, opts, nil)
			r := gin.New()
			if mw == "UseManager" {
				r.Use(session.UseManager(m, nil))
			} else {
				r.Use(session.Sessions(session.DefaultKey, session.NewGinStore(m)))
			}
			r.POST("/login", func(c *gin.Context) {
				s := session.GetSession(c)
				if s == nil {
					s, _ = session.CreateSession(c)
				}
				_ = s.Set("user", c.Query("user"))
				c.String(http.StatusOK, "welcome")
			})
			srv := serve(t, r)
			b := newClient(t, srv)
			status, _ := b.post("/login?user=alice")
			require.Equal(t, http.StatusOK, status)

			faulty.FailUpdate.Store(true) // at commit
			status, body := b.post("/login?user=bob")
			assert.Equal(t, http.StatusServiceUnavailable, status)
			assert.JSONEq(t, answer, body)
			assert.ErrorIs(t, seen, testkit.ErrInjected)

			faulty.FailLoad.Store(true) // at load
			status, body = b.post("/login?user=carol")
			assert.Equal(t, http.StatusServiceUnavailable, status)
			assert.JSONEq(t, answer, body)
		})
	}
}

// TestGinStoreSessionsMany: SessionsMany serves several gin-contrib
// sessions of one manager, each with its cookie, reachable through
// sessions.DefaultMany and through Named.
func TestGinStoreSessionsMany(t *testing.T) {
	m := newTestManager(t, testOptions(testkit.NewClock()), nil)
	r := gin.New()
	r.Use(session.SessionsMany([]string{"a", "b"}, session.NewGinStore(m)))
	r.POST("/set", func(c *gin.Context) {
		for _, name := range []string{"a", "b"} {
			s := sessions.DefaultMany(c, name)
			s.Set("name", name)
			require.NoError(t, s.Save())
		}
	})
	r.GET("/get", func(c *gin.Context) {
		for _, name := range []string{"a", "b"} {
			assert.Equal(t, name, sessions.DefaultMany(c, name).Get("name"))
			v, _ := session.Value[string](session.Named(c, name).Session(), "name")
			assert.Equal(t, name, v)
		}
		c.String(http.StatusOK, "checked")
	})
	b := newClient(t, serve(t, r))
	status, _ := b.post("/set")
	require.Equal(t, http.StatusOK, status)
	assert.NotEqual(t, b.cookie("a"), b.cookie("b"))
	assert.Equal(t, 2, m.GetSessionSize())
	_, body := b.get("/get")
	assert.Equal(t, "checked", body)
}

// TestGinStoreBadCookiesNeverReachTheStore: a malformed or oversized cookie
// means no session, without a store access, and an unknown ID is never
// adopted, as with the built-in cookie.
func TestGinStoreBadCookiesNeverReachTheStore(t *testing.T) {
	forEachInstall(t, func(t *testing.T, use func(sessions.Store) gin.HandlerFunc) {
		env, faulty := faultyContribEnv(t, use)
		for name, value := range map[string]string{
			"malformed": "not-an-id",
			"oversized": strings.Repeat("A", 5000),
		} {
			x := roundTrip(t, env.srv, newRequest(t, http.MethodGet, "/whoami", nil, &http.Cookie{Name: contribCookie, Value: value}))
			assert.Equal(t, "anonymous", x.body, name)
		}
		assert.Zero(t, faulty.Loads())

		unknown := testkit.RandomID(t)
		x := roundTrip(t, env.srv, newRequest(t, http.MethodPost, "/login?user=mallory", nil, &http.Cookie{Name: contribCookie, Value: unknown}))
		ck := x.cookie(contribCookie)
		require.NotNil(t, ck)
		assert.NotEqual(t, unknown, ck.Value, "a planted ID is replaced, never adopted")
		assert.Nil(t, env.m.GetSessionById(unknown))
	})
}

// TestGinStoreSessionMaxAgeSetsTheLifetime: gin-contrib's "remember me",
// a session's Options with a positive MaxAge and Save, sets that session's
// absolute lifetime on the server, within Options.MaxLifetime, and the
// cookie's Max-Age follows it; one cookie goes out.
func TestGinStoreSessionMaxAgeSetsTheLifetime(t *testing.T) {
	forEachInstall(t, func(t *testing.T, use func(sessions.Store) gin.HandlerFunc) {
		clock := testkit.NewClock()
		opts := testOptions(clock)
		opts.MaxInactiveInterval = -1 // absolute lifetimes alone
		opts.MaxLifetime = 3600       // MaxAge is 600
		m := newTestManager(t, opts, nil)
		r := gin.New()
		r.Use(use(session.NewGinStore(m)))
		r.POST("/login", func(c *gin.Context) {
			s := sessions.Default(c)
			s.Set("user", "alice")
			if c.Query("remember") != "" {
				s.Options(sessions.Options{Path: "/", MaxAge: 1800, HttpOnly: true, SameSite: http.SameSiteLaxMode})
			}
			require.NoError(t, s.Save())
		})
		r.POST("/remember/:seconds", func(c *gin.Context) {
			s := sessions.Default(c)
			n, _ := strconv.Atoi(c.Param("seconds"))
			s.Options(sessions.Options{Path: "/", MaxAge: n, HttpOnly: true, SameSite: http.SameSiteLaxMode})
			require.NoError(t, s.Save())
		})
		srv := serve(t, r).URL
		sessionCookie := func(x exchange) *http.Cookie {
			t.Helper()
			require.Len(t, x.header.Values("Set-Cookie"), 1, "one cookie")
			return x.cookie(contribCookie)
		}

		// A new session.
		ck := sessionCookie(roundTrip(t, srv, newRequest(t, http.MethodPost, "/login?remember=1", nil)))
		assert.Equal(t, 1800, ck.MaxAge)
		clock.Advance(1799 * time.Second)
		assert.NotNil(t, m.GetSessionById(ck.Value), "alive past MaxAge (600)")
		clock.Advance(2 * time.Second)
		assert.Nil(t, m.GetSessionById(ck.Value), "gone at its own lifetime")

		// A session that exists, asking for more than MaxLifetime.
		ck = roundTrip(t, srv, newRequest(t, http.MethodPost, "/login", nil)).cookie(contribCookie)
		assert.Equal(t, 600, ck.MaxAge)
		clock.Advance(100 * time.Second)
		again := sessionCookie(roundTrip(t, srv, newRequest(t, http.MethodPost, "/remember/7200", nil, ck)))
		assert.Equal(t, ck.Value, again.Value, "the same session")
		assert.Equal(t, 3500, again.MaxAge, "MaxLifetime from creation, not the 7200 asked")
		clock.Advance(3499 * time.Second)
		assert.NotNil(t, m.GetSessionById(ck.Value))
		clock.Advance(2 * time.Second)
		assert.Nil(t, m.GetSessionById(ck.Value))

		// "Forever": a MaxAge past what a time.Duration holds (292 years)
		// overflowed into a negative lifetime, and the session silently
		// kept its default one.
		ck = roundTrip(t, srv, newRequest(t, http.MethodPost, "/login", nil)).cookie(contribCookie)
		forever := sessionCookie(roundTrip(t, srv, newRequest(t, http.MethodPost, "/remember/"+strconv.Itoa(math.MaxInt), nil, ck)))
		assert.Equal(t, 3600, forever.MaxAge, "MaxLifetime, as for any lifetime past it")
		clock.Advance(3599 * time.Second)
		assert.NotNil(t, m.GetSessionById(ck.Value), "the session kept its default lifetime")
	})
}

// TestGinStoreIsNotACarrier: a store from NewGinStore given to UseManager
// or UseSession as the ID's carrier is a configuration mistake, refused at
// startup with a message saying how to install it.
func TestGinStoreIsNotACarrier(t *testing.T) {
	m := newTestManager(t, testOptions(testkit.NewClock()), nil)
	st := session.NewGinStore(m)
	assert.PanicsWithError(t, errGinStoreCarrierText, func() { session.UseManager(m, st) })
	assert.PanicsWithError(t, errGinStoreCarrierText, func() { session.UseSession(session.Options{}, st, nil) })
	assert.Panics(t, func() { session.Sessions("s", sessions.Store(nil)) }, "Sessions takes only NewGinStore's stores")
	assert.Panics(t, func() { session.NewGinStore(nil) })
}

const errGinStoreCarrierText = "session: a store from NewGinStore holds the manager's sessions itself and cannot carry an ID:" +
	" install it with Sessions (or gin-contrib's sessions.Sessions), not as UseManager's or UseSession's store"

// TestGinStoreSecondSave: a Save after one that stored something, in the
// same request: through Sessions it may still expire the cookie; through
// gin-contrib's middleware it returns ErrHeadersWritten, and a logout still
// ends the session on the server.
func TestGinStoreSecondSave(t *testing.T) {
	forEachInstall(t, func(t *testing.T, use func(sessions.Store) gin.HandlerFunc) {
		m := newTestManager(t, testOptions(testkit.NewClock()), nil)
		r := gin.New()
		r.Use(use(session.NewGinStore(m)))
		var second error
		r.POST("/", func(c *gin.Context) {
			s := sessions.Default(c)
			s.Set("user", "alice")
			require.NoError(t, s.Save())
			s.Options(sessions.Options{MaxAge: -1})
			second = s.Save()
			c.String(http.StatusOK, "done")
		})
		x := roundTrip(t, serve(t, r).URL, newRequest(t, http.MethodPost, "/", nil))
		assert.Zero(t, m.GetSessionSize(), "the session ended on the server")
		if strings.HasSuffix(t.Name(), "session.Sessions") {
			assert.NoError(t, second)
			assert.Equal(t, http.StatusOK, x.status)
		} else {
			assert.ErrorIs(t, second, manager.ErrHeadersWritten)
		}
	})
}

// TestGinStoreSaveAfterTheResponseStarted: a handler that answers first and
// saves after (c.JSON, then Save) cannot send a cookie any more. On an
// anonymous request its Save says so (ErrHeadersWritten) and makes no
// session that no cookie would ever carry; on a logged-in one the change is
// stored, as the cookie already carries the session.
func TestGinStoreSaveAfterTheResponseStarted(t *testing.T) {
	forEachInstall(t, func(t *testing.T, use func(sessions.Store) gin.HandlerFunc) {
		r, m, events := newGinStoreEngine(t, use)
		saved := make(chan error, 1)
		r.POST("/late", func(c *gin.Context) {
			s := sessions.Default(c)
			c.JSON(http.StatusOK, gin.H{"ok": true})
			s.Set("seen", c.Query("v"))
			saved <- s.Save()
		})
		r.POST("/login", func(c *gin.Context) {
			s := sessions.Default(c)
			s.Set("user", "alice")
			saved <- s.Save()
			c.String(http.StatusOK, "welcome")
		})
		srv := serve(t, r)

		x := roundTrip(t, srv.URL, newRequest(t, http.MethodPost, "/late?v=anon", nil))
		assert.Equal(t, http.StatusOK, x.status)
		assert.Nil(t, x.cookie(contribCookie))
		assert.ErrorIs(t, <-saved, manager.ErrHeadersWritten, "the handler learns that nothing was kept")
		assert.Zero(t, m.GetSessionSize(), "no session that no cookie carries")
		assert.Zero(t, events.CountKind(session.Created))

		b := newClient(t, srv)
		status, _ := b.post("/login")
		require.Equal(t, http.StatusOK, status)
		require.NoError(t, <-saved)
		status, _ = b.post("/late?v=later")
		assert.Equal(t, http.StatusOK, status)
		assert.NoError(t, <-saved)
		assert.Equal(t, "later", testkit.ValueOf(m, b.cookie(contribCookie), "seen"))
	})
}

// TestGinStoreLoginRenewalThroughSessions: an unchanged gin-contrib login
// handler keeps the session ID the browser came with, so a session that
// existed before login (a flash, a CSRF token) and was planted in the
// victim's browser would be logged in too (see SECURITY.md). Under
// Sessions one added line, session.RenewSession(c), fixes it: the login
// lands on a new ID, which gin-contrib's ID then names, and the planted
// cookie finds nothing.
func TestGinStoreLoginRenewalThroughSessions(t *testing.T) {
	m := newTestManager(t, testOptions(testkit.NewClock()), nil)
	r := gin.New()
	r.Use(session.Sessions(contribCookie, session.NewGinStore(m)))
	r.GET("/form", func(c *gin.Context) {
		s := sessions.Default(c)
		s.Set("csrf", "token")
		_ = s.Save()
	})
	r.POST("/login", func(c *gin.Context) {
		s := sessions.Default(c)
		if s.Get("user") != nil {
			c.String(http.StatusOK, "already")
			return
		}
		if _, err := session.RenewSession(c); err != nil { // the added line
			session.HandleError(c, err)
			return
		}
		s.Set("user", "victim")
		_ = s.Save()
		c.String(http.StatusOK, "%s", s.ID())
	})
	r.GET("/whoami", func(c *gin.Context) {
		c.String(http.StatusOK, "%v", sessions.Default(c).Get("user"))
	})
	srv := serve(t, r).URL

	planted := roundTrip(t, srv, newRequest(t, http.MethodGet, "/form", nil)).cookie(contribCookie)
	require.NotNil(t, planted)
	login := roundTrip(t, srv, newRequest(t, http.MethodPost, "/login", nil, planted))
	require.Equal(t, http.StatusOK, login.status)
	renewed := login.cookie(contribCookie)
	require.NotNil(t, renewed)
	assert.NotEqual(t, planted.Value, renewed.Value)
	assert.Equal(t, m.GetSessionById(renewed.Value).GetMaskedSessionId(), login.body, "ID names the session as it is now")

	assert.Equal(t, "victim", roundTrip(t, srv, newRequest(t, http.MethodGet, "/whoami", nil, renewed)).body)
	assert.Equal(t, "<nil>", roundTrip(t, srv, newRequest(t, http.MethodGet, "/whoami", nil, planted)).body,
		"the planted cookie is not logged in")
	assert.Equal(t, "token", testkit.ValueOf(m, renewed.Value, "csrf"), "values kept through the renewal")
}

// TestGinStoreRefusedFirstValueMakesNoSession: a first Save whose value the
// store cannot keep (here a flash that contains itself) fails, and leaves
// no empty session behind: no record, no Created event, no cookie.
func TestGinStoreRefusedFirstValueMakesNoSession(t *testing.T) {
	forEachInstall(t, func(t *testing.T, use func(sessions.Store) gin.HandlerFunc) {
		r, m, events := newGinStoreEngine(t, use)
		saved := make(chan error, 1)
		r.POST("/", func(c *gin.Context) {
			s := sessions.Default(c)
			loop := []any{"a", nil}
			loop[1] = loop
			s.AddFlash(loop)
			saved <- s.Save()
		})
		x := roundTrip(t, serve(t, r).URL, newRequest(t, http.MethodPost, "/", nil))
		assert.ErrorContains(t, <-saved, "contains itself")
		assert.Equal(t, http.StatusInternalServerError, x.status)
		assert.Nil(t, x.cookie(contribCookie))
		assert.Zero(t, m.GetSessionSize())
		assert.Zero(t, events.CountKind(session.Created))
	})
}

// TestGinStoreNegativeStoreMaxAgeStoresNothing: with gin-contrib, store
// options whose MaxAge is negative make every Save expire the cookie (the
// cookie store) or delete the record (the redis store): nothing is kept.
// Over NewGinStore it is the logout idiom too, rather than a new session
// per Save whose cookie the browser drops at once.
func TestGinStoreNegativeStoreMaxAgeStoresNothing(t *testing.T) {
	forEachInstall(t, func(t *testing.T, use func(sessions.Store) gin.HandlerFunc) {
		events := &testkit.Events{}
		m := newTestManager(t, testOptions(testkit.NewClock()), events.Handle)
		st := session.NewGinStore(m)
		st.Options(sessions.Options{Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		srv := serve(t, newContribApp(use(st))).URL
		for range 3 {
			x := roundTrip(t, srv, newRequest(t, http.MethodPost, "/login?user=alice", nil))
			assert.Equal(t, http.StatusOK, x.status)
			if ck := x.cookie(contribCookie); ck != nil {
				assert.Negative(t, ck.MaxAge, "only an expiring cookie")
			}
		}
		assert.Zero(t, m.GetSessionSize(), "no session kept that no browser holds")
		assert.Zero(t, events.CountKind(session.Created))
	})
}

// TestGinStoreUnchangedNaNIsNotWritten: a value holding a NaN, which is not
// equal to itself, is still "unchanged" when the handler leaves it alone: a
// Save of another key neither writes it back (which would undo another
// request's change to it) nor fires an Update for it.
func TestGinStoreUnchangedNaNIsNotWritten(t *testing.T) {
	r, _, events := newGinStoreEngine(t, func(st sessions.Store) gin.HandlerFunc { return session.Sessions(contribCookie, st) })
	r.POST("/set", func(c *gin.Context) {
		s := sessions.Default(c)
		s.Set("score", math.NaN())
		s.Set("scores", []any{1.5, math.NaN()})
		require.NoError(t, s.Save())
	})
	r.POST("/touch", func(c *gin.Context) {
		s := sessions.Default(c)
		s.Set("page", c.Query("p"))
		require.NoError(t, s.Save())
	})
	b := newClient(t, serve(t, r))
	status, _ := b.post("/set")
	require.Equal(t, http.StatusOK, status)
	before := events.CountKind(session.Update)
	for _, p := range []string{"1", "2", "3"} {
		status, _ = b.post("/touch?p=" + p)
		require.Equal(t, http.StatusOK, status)
	}
	assert.Equal(t, 3, events.CountKind(session.Update)-before, "one Update per Save: the page only")
}

// TestGinStoreLogoutCookieKeepsSecure: gin-contrib's logout idiom,
// Options(MaxAge: -1), names no attribute but the MaxAge; the expiring
// cookie keeps the Secure the cookie was set with, without which a browser
// ignores it for a "__Secure-" or "__Host-" name and keeps the cookie.
func TestGinStoreLogoutCookieKeepsSecure(t *testing.T) {
	opts := testOptions(testkit.NewClock())
	opts.Secure = true
	m := newTestManager(t, opts, nil)
	const name = "__Host-sid"
	r := gin.New()
	r.Use(session.Sessions(name, session.NewGinStore(m)))
	r.POST("/login", func(c *gin.Context) {
		s := sessions.Default(c)
		s.Set("user", "alice")
		_ = s.Save()
	})
	r.POST("/logout", func(c *gin.Context) {
		s := sessions.Default(c)
		s.Options(sessions.Options{MaxAge: -1})
		_ = s.Save()
	})
	srv := serve(t, r).URL
	login := roundTrip(t, srv, newRequest(t, http.MethodPost, "/login", nil)).cookie(name)
	require.NotNil(t, login)
	require.True(t, login.Secure)
	logout := roundTrip(t, srv, newRequest(t, http.MethodPost, "/logout", nil, login)).cookie(name)
	require.NotNil(t, logout)
	assert.Negative(t, logout.MaxAge)
	assert.True(t, logout.Secure)
	assert.Equal(t, "/", logout.Path)
	assert.Zero(t, m.GetSessionSize())
}
