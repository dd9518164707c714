package session_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/testkit"
)

// With the session middleware installed for every route (r.Use), gin's
// HandleContext runs it again for the target route: the target gets a
// scope of its own, loaded from the store, while the first route's scope
// still holds what the first handler set, to be committed only when the
// first route's middleware returns, after the target's response went out.

// TestRerouteTargetReadsWhatTheFirstRouteSet: a value the first handler
// set before re-routing is the request's own write; the target handler of
// the same request must read it back.
func TestRerouteTargetReadsWhatTheFirstRouteSet(t *testing.T) {
	m := newTestManager(t, testOptions(testkit.NewClock()), nil)
	r := gin.New()
	r.Use(session.UseManager(m, nil))
	r.POST("/login", loginAliceRoute)
	r.POST("/old", func(c *gin.Context) {
		require.NoError(t, session.GetSession(c).Set("step", "checkout"))
		c.Request.URL.Path = "/new"
		r.HandleContext(c)
	})
	r.POST("/new", func(c *gin.Context) {
		v, _ := session.GetSession(c).Get("step")
		c.String(http.StatusOK, "step=%v", v)
	})
	cookie := loginAlice(t, r)

	req := httptest.NewRequest(http.MethodPost, "/old", nil)
	req.AddCookie(cookie)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	assert.Equal(t, "step=checkout", rec.Body.String(), "the target route did not see the request's own write")
}

// TestRerouteTargetWriteIsNotOverwrittenAfterItsResponse: the target
// handler sets a value and answers 200; the first route's commit, which
// runs after that response, must not then overwrite it with the older value
// the first handler held: the user was told the new value was saved.
func TestRerouteTargetWriteIsNotOverwrittenAfterItsResponse(t *testing.T) {
	m := newTestManager(t, testOptions(testkit.NewClock()), nil)
	r := gin.New()
	r.Use(session.UseManager(m, nil))
	r.POST("/login", loginAliceRoute)
	r.POST("/old", func(c *gin.Context) {
		require.NoError(t, session.GetSession(c).Set("theme", "light"))
		c.Request.URL.Path = "/new"
		r.HandleContext(c)
	})
	r.POST("/new", func(c *gin.Context) {
		if err := session.GetSession(c).Set("theme", "dark"); err != nil {
			c.String(http.StatusInternalServerError, "failed")
			return
		}
		c.String(http.StatusOK, "saved dark")
	})
	cookie := loginAlice(t, r)

	req := httptest.NewRequest(http.MethodPost, "/old", nil)
	req.AddCookie(cookie)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "saved dark", rec.Body.String())

	s := m.GetSessionById(cookie.Value)
	require.NotNil(t, s)
	v, _ := s.Get("theme")
	assert.Equal(t, "dark", v, "the response said dark was saved; the first route's late commit overwrote it")
}
