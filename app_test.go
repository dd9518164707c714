package session_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-contrib/sessions/memstore"
	"github.com/gin-gonic/gin"
	gsessions "github.com/gorilla/sessions"
	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/seam"
	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

var carrierKey = []byte("a 32-byte key for signing tests!")

// carriers are the ways a session ID can travel: the built-in cookie, a
// signed gin-contrib cookie and a server-side gin-contrib store (see
// newServerSideCarrier).
var carriers = []struct {
	name string
	new  func() sessions.Store
}{
	{"built-in cookie", func() sessions.Store { return nil }},
	{"gin-contrib cookie", func() sessions.Store { return cookie.NewStore(carrierKey) }},
	{"server-side gin-contrib store", newServerSideCarrier},
}

// idCarrier is a way the session ID travels, for the tests that every way
// must pass (strict IDs, fixation, fail closed): each cookie carrier of
// carriers, and a token in Authorization or in a header of its own.
type idCarrier struct {
	name string
	use  func(m *session.Manager) gin.HandlerFunc
	// tokens are the headers of a token carrier; zero for a cookie.
	tokens tokenHeaders
}

// everyCarrier returns each cookie carrier and each kind of token carrier.
func everyCarrier() []idCarrier {
	var all []idCarrier
	for _, c := range carriers {
		all = append(all, idCarrier{name: c.name, use: func(m *session.Manager) gin.HandlerFunc { return session.UseManager(m, c.new()) }})
	}
	return append(all,
		idCarrier{name: "Authorization Bearer", tokens: tokenHeaders{"Authorization", session.TokenHeader},
			use: func(m *session.Manager) gin.HandlerFunc { return session.UseTokens(m, "") }},
		idCarrier{name: "X-Session-Token", tokens: tokenHeaders{"X-Session-Token", "X-Session-Token"},
			use: func(m *session.Manager) gin.HandlerFunc { return session.UseTokens(m, "x-session-token") }},
	)
}

// start serves newApp behind the carrier's middleware for m until the test
// ends.
func (c idCarrier) start(t *testing.T, m *session.Manager) *httptest.Server {
	t.Helper()
	return serve(t, newApp(c.use(m)))
}

// client returns a client of srv that carries its session as the carrier
// does: a browser, or an API client that keeps its token.
func (c idCarrier) client(t *testing.T, srv *httptest.Server) *client {
	t.Helper()
	cl := newClient(t, srv)
	cl.tokens = c.tokens
	return cl
}

// vary is the request header the carrier's responses name in Vary.
func (c idCarrier) vary() string {
	if c.tokens.request != "" {
		return c.tokens.request
	}
	return "Cookie"
}

// unrecognisedStore hides a store's type from the middleware, which then
// treats it as a store it does not know: allowed, with a warning.
type unrecognisedStore struct{ sessions.Store }

// newServerSideCarrier returns a server-side gin-contrib store that needs no
// server, for the tests that run through every carrier: the gin-contrib
// memstore, which the middleware refuses by name (its entries never expire,
// see TestContribCarrierRefusesMemstore), behind a wrapper that makes it an
// unknown store. It keeps the carrier's server-side path (an entry per
// carrier session, deleted on renewal and logout) under those tests; a test
// lives too short for the growth to matter.
func newServerSideCarrier() sessions.Store {
	return unrecognisedStore{memstore.NewStore(carrierKey)}
}

// decodeCounter is a gin-contrib store that counts the cookies it was asked
// to decode: all of them, and those over seam.MaxCookieSize.
type decodeCounter struct {
	sessions.Store
	decodes, oversized atomic.Int64
}

func (s *decodeCounter) count(r *http.Request, name string) {
	s.decodes.Add(1)
	if ck, err := r.Cookie(name); err == nil && len(ck.Value) > seam.MaxCookieSize {
		s.oversized.Add(1)
	}
}

// reset forgets the decodes so far: building the middleware reads the
// store's options with a request that has no cookie.
func (s *decodeCounter) reset() {
	s.decodes.Store(0)
	s.oversized.Store(0)
}

func (s *decodeCounter) New(r *http.Request, name string) (*gsessions.Session, error) {
	s.count(r, name)
	return s.Store.New(r, name)
}

func (s *decodeCounter) Get(r *http.Request, name string) (*gsessions.Session, error) {
	s.count(r, name)
	return s.Store.Get(r, name)
}

// testOptions are the options every test manager starts from: a fake clock,
// the sweeper stopped, and IDs recorded for the log check in TestMain.
func testOptions(clock *testkit.Clock) session.Options {
	return session.Options{
		MaxInactiveInterval: 60,
		MaxAge:              600,
		GcStopChan:          testkit.StoppedSweeper(),
		Clock:               clock.Now,
		Rand:                issued,
	}
}

// newTestManager returns a manager on opts that closes with the test.
func newTestManager(t *testing.T, opts session.Options, handler func(session.Session, int)) *session.Manager {
	t.Helper()
	m := session.NewManager(opts, nil, handler)
	t.Cleanup(func() { require.NoError(t, m.Close()) })
	return m
}

// errStoreDown is what a FaultyStore fails with in the tests of a store that
// cannot be reached: the default ErrorHandler answers it with 503.
var errStoreDown = fmt.Errorf("%w: %w", store.ErrUnavailable, testkit.ErrInjected)

// newFaultyManager returns a test manager on a FaultyStore, which counts its
// loads and fails with err (nil: testkit.ErrInjected) where the test says.
func newFaultyManager(t *testing.T, err error, handler func(session.Session, int)) (*session.Manager, *testkit.FaultyStore) {
	t.Helper()
	faulty := testkit.NewFaultyStore()
	faulty.Err = err
	opts := testOptions(testkit.NewClock())
	opts.Store = faulty
	return newTestManager(t, opts, handler), faulty
}

// startApp serves newApp behind UseManager(m, carrier) until the test ends.
func startApp(t *testing.T, m *session.Manager, carrier sessions.Store) *httptest.Server {
	t.Helper()
	return serve(t, newApp(session.UseManager(m, carrier)))
}

// serve serves h until the test ends.
func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// newApp returns the tests' Gin application behind middleware, which ends
// with UseSession or UseManager. Routes:
//
//	POST /login          the original package's README program: log in,
//	GET  /private        see a private page,
//	POST /logout         and log out (Set(key, nil))
//	POST /secure-login   a login done right: renew the session, or create one
//	POST /create         CreateSession; HandleError on failure
//	POST /renew          RenewSession; 409 on failure
//	POST /destroy        DestroySession
//	POST /set/:key/:value
//	GET  /whoami         "none", or "<masked ID> created=<unix> keys=<k=v,...>"
//	GET  /size           GetSessionSize
func newApp(middleware ...gin.HandlerFunc) *gin.Engine {
	r := gin.New()
	r.Use(middleware...)
	r.POST("/login", func(c *gin.Context) {
		s := session.GetSession(c)
		if s == nil {
			var err error
			if s, err = session.CreateSession(c); err != nil {
				session.HandleError(c, err)
				return
			}
		}
		if err := s.Set("key", "login"); err != nil {
			c.String(http.StatusInternalServerError, "set failed")
			return
		}
		c.String(http.StatusOK, "logged in")
	})
	r.GET("/private", func(c *gin.Context) {
		if s := session.GetSession(c); s != nil {
			if v, ok := s.Get("key"); ok {
				c.String(http.StatusOK, "hello %v", v)
				return
			}
		}
		c.String(http.StatusForbidden, "forbidden")
	})
	r.POST("/logout", func(c *gin.Context) {
		if s := session.GetSession(c); s != nil {
			_ = s.Set("key", nil)
		}
		c.String(http.StatusOK, "logged out")
	})
	r.POST("/secure-login", func(c *gin.Context) {
		s, err := session.RenewSession(c)
		if errors.Is(err, manager.ErrNoSession) {
			s, err = session.CreateSession(c)
		}
		if err == nil {
			err = s.Set("user", "victim")
		}
		if err != nil {
			c.String(http.StatusInternalServerError, "login failed")
			return
		}
		c.String(http.StatusOK, "welcome")
	})
	r.POST("/create", func(c *gin.Context) {
		if _, err := session.CreateSession(c); err != nil {
			session.HandleError(c, err)
			return
		}
		c.String(http.StatusOK, "created")
	})
	r.POST("/renew", func(c *gin.Context) {
		_, err := session.RenewSession(c)
		reply(c, err, http.StatusConflict, "renewed")
	})
	r.POST("/destroy", func(c *gin.Context) {
		reply(c, session.DestroySession(c), http.StatusInternalServerError, "destroyed")
	})
	r.POST("/set/:key/:value", func(c *gin.Context) {
		s := session.GetSession(c)
		if s == nil {
			c.String(http.StatusNotFound, "no session")
			return
		}
		reply(c, s.Set(c.Param("key"), c.Param("value")), http.StatusInternalServerError, "set")
	})
	r.GET("/whoami", func(c *gin.Context) {
		s := session.GetSession(c)
		if s == nil {
			c.String(http.StatusOK, "none")
			return
		}
		c.String(http.StatusOK, "%s created=%d keys=%s", s.GetMaskedSessionId(), s.GetCreationTime(), strings.Join(testkit.KeyValues(s), ","))
	})
	r.GET("/size", func(c *gin.Context) {
		c.String(http.StatusOK, "%d", session.GetSessionSize(c))
	})
	return r
}

// reply answers ok when err is nil, else status with "failed".
func reply(c *gin.Context, err error, status int, ok string) {
	if err != nil {
		c.String(status, "failed")
		return
	}
	c.String(http.StatusOK, ok)
}
