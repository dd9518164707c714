package session_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/testkit"
)

// TestAFailedCommitRenderedByAnOuterErrorMiddlewareIsNotA200: Gin's usual
// way with errors is c.Error(err) in the handler and one middleware, outside
// the others, that renders c.Errors after c.Next. An application that gives
// GinErrorHandler that way (h records the error; the outer middleware
// answers) must not have a failed commit answered 200: the outer
// middleware's answer goes through the session's commit writer, still
// c.Writer, which drops it since the commit failed, and gin then sends its
// default 200 with an empty body.
func TestAFailedCommitRenderedByAnOuterErrorMiddlewareIsNotA200(t *testing.T) {
	faulty := testkit.NewFaultyStore()
	opts := testOptions(testkit.NewClock())
	opts.Store = faulty
	opts.ErrorHandler = session.GinErrorHandler(func(c *gin.Context, err error) {
		_ = c.Error(err) // rendered by renderErrors
	})
	m := newTestManager(t, opts, nil)

	renderErrors := func(c *gin.Context) {
		c.Next()
		if len(c.Errors) > 0 && !c.Writer.Written() {
			c.JSON(http.StatusServiceUnavailable, gin.H{"error": "try again"})
		}
	}
	r := gin.New()
	r.Use(renderErrors, session.UseManager(m, nil))
	r.POST("/login", loginAliceRoute)
	r.POST("/set", func(c *gin.Context) {
		_ = session.GetSession(c).Set("theme", "dark")
		c.String(http.StatusOK, "saved")
	})
	cookie := loginAlice(t, r)

	faulty.FailUpdate.Store(true)
	req := httptest.NewRequest(http.MethodPost, "/set", nil)
	req.AddCookie(cookie)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	faulty.FailUpdate.Store(false)

	assert.NotEqual(t, http.StatusOK, rec.Code, "a failed commit was answered 200 (body %q)", rec.Body.String())
}
