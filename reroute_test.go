package session_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/testkit"
)

// The Gin helpers find a route's scope through the gin.Context (its Keys),
// not through the request's context alone: these tests pin what that keeps
// for a handler that replaces its request or re-routes. (Finding the scope
// on c.Request.Context() saved two allocations a request and failed both.)

// loginAlice serves POST /login (CreateSession, Set("user", "alice")) on r
// and returns the session cookie it answered with.
func loginAlice(t *testing.T, r *gin.Engine) *http.Cookie {
	t.Helper()
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/login", nil))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	cookies := rec.Result().Cookies()
	require.Len(t, cookies, 1)
	return cookies[0]
}

func loginAliceRoute(c *gin.Context) {
	s, err := session.CreateSession(c)
	if err == nil {
		err = s.Set("user", "alice")
	}
	reply(c, err, http.StatusInternalServerError, "ok")
}

// A handler (or a middleware installed after the session middleware) that
// gives the request a context of its own, not derived from the request's:
// context.Background() to outlive a client that went away, or a clone of
// the request for work of its own. The session middleware ran on this
// route and the request carries a live session's cookie, yet since the
// scope rides on the request's context GetSession answers nil and
// CreateSession ErrNoMiddleware: the user sees a logged-in user treated as
// logged out (or a 500) on that route. With the scope in gin's Keys the
// helpers find it: c is still the route's gin.Context, whatever request it
// holds.
func TestHelpersSurviveAReplacedRequest(t *testing.T) {
	m := newTestManager(t, testOptions(testkit.NewClock()), nil)
	r := gin.New()
	r.Use(session.UseManager(m, nil))
	r.POST("/login", loginAliceRoute)
	replace := map[string]func(*http.Request) *http.Request{
		"/background": func(req *http.Request) *http.Request { return req.WithContext(context.Background()) },
		"/clone":      func(req *http.Request) *http.Request { return req.Clone(context.Background()) },
	}
	for path, with := range replace {
		r.GET(path, func(c *gin.Context) {
			c.Request = with(c.Request)
			s := session.GetSession(c)
			if !assert.NotNil(t, s, "GetSession after the handler replaced the request's context") {
				c.Status(http.StatusUnauthorized)
				return
			}
			v, _ := s.Get("user")
			assert.Equal(t, "alice", v)
			c.Status(http.StatusNoContent)
		})
	}
	cookie := loginAlice(t, r)
	for path := range replace {
		t.Run(path, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.AddCookie(cookie)
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, req)
			assert.Equal(t, http.StatusNoContent, rec.Code)
		})
	}
}

// gin's documented re-routing: a handler sets c.Request.URL.Path and calls
// engine.HandleContext(c). HandleContext resets the gin.Context (Keys, and
// c.Writer back to gin's own writer, without the session's commit writer)
// but keeps c.Request, which carries the first route's scope. Were the
// helpers to look on the request's context, a handler of the target route,
// which has no session middleware of its own, would get the session, and
// its Set would be held for a commit that only runs when the first route's
// middleware returns: after the target handler's response went out. When
// that commit failed, the user would get 200 "saved" and the value would be
// lost, which the design forbids ("a write is never answered 200 and then
// lost"). With the Keys reset, GetSession answers nil there.
func TestRerouteNeverAnswers200ForALostWrite(t *testing.T) {
	m, faulty := newFaultyManager(t, nil, nil)
	r := gin.New()
	r.POST("/login", session.UseManager(m, nil), loginAliceRoute)
	r.POST("/old", session.UseManager(m, nil), func(c *gin.Context) {
		c.Request.URL.Path = "/new"
		r.HandleContext(c)
	})
	r.POST("/new", func(c *gin.Context) {
		s := session.GetSession(c)
		if s == nil {
			c.String(http.StatusOK, "no session")
			return
		}
		if err := s.Set("theme", "dark"); err != nil {
			c.String(http.StatusInternalServerError, "failed")
			return
		}
		c.String(http.StatusOK, "saved")
	})
	cookie := loginAlice(t, r)

	faulty.FailUpdate.Store(true)
	req := httptest.NewRequest(http.MethodPost, "/old", nil)
	req.AddCookie(cookie)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	faulty.FailUpdate.Store(false)

	// What the user gets today: 200 with the body "saved" and the error
	// handler's text written behind it, and no value in the store.
	if rec.Code == http.StatusOK && strings.HasPrefix(rec.Body.String(), "saved") {
		s := m.GetSessionById(cookie.Value)
		require.NotNil(t, s)
		v, _ := s.Get("theme")
		assert.Equal(t, "dark", v, "the response said saved, but the store never got the value")
	}
}
