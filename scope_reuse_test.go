package session_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/testkit"
)

// Attacks on the request-context scope that held: they pin what a user
// relies on, so that a later change of where the scope lives keeps it.

// gin pools its Contexts: a request without a cookie, served on a context
// that just served a logged-in request, has no session, under load.
func TestNoScopeLeaksAcrossPooledContexts(t *testing.T) {
	m := newTestManager(t, testOptions(testkit.NewClock()), nil)
	r := gin.New()
	r.Use(session.UseManager(m, nil))
	r.POST("/login", loginAliceRoute)
	r.GET("/whoami", func(c *gin.Context) {
		if s := session.GetSession(c); s != nil {
			v, _ := s.Get("user")
			c.String(http.StatusOK, "%v", v)
			return
		}
		c.String(http.StatusOK, "none")
	})
	cookie := loginAlice(t, r)
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			req := httptest.NewRequest(http.MethodGet, "/whoami", nil)
			want := "none"
			if i%2 == 0 {
				req.AddCookie(cookie)
				want = "alice"
			}
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, req)
			assert.Equal(t, want, rec.Body.String())
		})
	}
	wg.Wait()
}

// A goroutine given c.Copy() that sets a value after the response went out
// writes it through to the store (the scope has committed).
func TestCopyAfterTheRequestWritesThrough(t *testing.T) {
	m := newTestManager(t, testOptions(testkit.NewClock()), nil)
	r := gin.New()
	r.Use(session.UseManager(m, nil))
	r.POST("/login", loginAliceRoute)
	ended, done := make(chan struct{}), make(chan error, 1)
	r.GET("/later", func(c *gin.Context) {
		cp := c.Copy()
		c.Status(http.StatusAccepted)
		go func() {
			<-ended
			s := session.GetSession(cp)
			if s == nil {
				done <- assert.AnError
				return
			}
			done <- s.Set("late", "yes")
		}()
	})
	cookie := loginAlice(t, r)
	req := httptest.NewRequest(http.MethodGet, "/later", nil)
	req.AddCookie(cookie)
	r.ServeHTTP(httptest.NewRecorder(), req)
	close(ended)
	require.NoError(t, <-done)
	s := m.GetSessionById(cookie.Value)
	require.NotNil(t, s)
	v, _ := s.Get("late")
	assert.Equal(t, "yes", v)
}

// An engine mounted in another (gin.WrapH), whose route has a manager of
// its own with the same cookie name: its helpers act on its own manager,
// not on the outer one whose scope the request's context also carries.
func TestMountedEngineUsesItsOwnManager(t *testing.T) {
	outer := newTestManager(t, testOptions(testkit.NewClock()), nil)
	inner := newTestManager(t, testOptions(testkit.NewClock()), nil)
	in := gin.New()
	in.Use(session.UseManager(inner, nil))
	in.GET("/app/whoami", func(c *gin.Context) {
		s := session.GetSession(c)
		n := session.Named(c, session.DefaultKey).Session()
		assert.Nil(t, s, "the outer manager's session through the inner route")
		assert.Nil(t, n, "Named: the outer manager's session through the inner route")
		c.Status(http.StatusNoContent)
	})
	out := gin.New()
	out.Use(session.UseManager(outer, nil))
	out.POST("/login", loginAliceRoute)
	out.Any("/app/*rest", gin.WrapH(in))
	cookie := loginAlice(t, out)
	req := httptest.NewRequest(http.MethodGet, "/app/whoami", nil)
	req.AddCookie(cookie)
	rec := httptest.NewRecorder()
	out.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusNoContent, rec.Code)
}
