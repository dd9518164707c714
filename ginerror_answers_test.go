package session_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/store"
)

// TestAFailedCommitRenderedByAnOuterErrorMiddlewareIsNotA200: Gin's usual
// way with errors is c.Error(err) in the handler and one middleware, outside
// the others, that renders c.Errors after c.Next. An application that gives
// GinErrorHandler that way (h records the error; the outer middleware
// answers) must not have a failed commit answered 200: the outer
// middleware's answer goes through the session's commit writer, still
// c.Writer, which must let an error answer through after a failed commit
// rather than drop it and leave gin its default 200 with an empty body.
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

// TestAFailedCommitRecordedButNotRenderedAnswersItsErrorStatus: when h only
// records the error and no middleware renders it, the response carries the
// status the default error handler would have sent (503 for a store that is
// down), not Gin's default 200; and an outer renderer's answer goes out
// while the handler's own success body stays dropped.
func TestAFailedCommitRecordedButNotRenderedAnswersItsErrorStatus(t *testing.T) {
	faulty := testkit.NewFaultyStore()
	faulty.Err = fmt.Errorf("redis: %w", store.ErrUnavailable)
	opts := testOptions(testkit.NewClock())
	opts.Store = faulty
	opts.ErrorHandler = session.GinErrorHandler(func(c *gin.Context, err error) {
		_ = c.Error(err)
	})
	m := newTestManager(t, opts, nil)

	render := false
	renderErrors := func(c *gin.Context) {
		c.Next()
		if render && len(c.Errors) > 0 && !c.Writer.Written() {
			c.JSON(http.StatusServiceUnavailable, gin.H{"error": "try again"})
		}
	}
	r := gin.New()
	r.Use(renderErrors, session.UseManager(m, nil))
	r.POST("/login", loginAliceRoute)
	r.POST("/set", func(c *gin.Context) {
		_ = session.GetSession(c).Set("theme", "dark")
		c.String(http.StatusOK, "saved")
		c.String(http.StatusOK, " twice") // a success write after the failure is dropped too
	})
	cookie := loginAlice(t, r)

	faulty.FailUpdate.Store(true)
	defer faulty.FailUpdate.Store(false)
	for _, render = range []bool{false, true} {
		req := httptest.NewRequest(http.MethodPost, "/set", nil)
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		assert.Equal(t, http.StatusServiceUnavailable, rec.Code, "rendered: %v", render)
		assert.NotContains(t, rec.Body.String(), "saved")
		assert.NotContains(t, rec.Body.String(), "twice")
		if render {
			assert.JSONEq(t, `{"error":"try again"}`, rec.Body.String())
		} else {
			assert.Empty(t, rec.Body.String())
		}
	}
}

// TestAPlainErrorHandlerThatWritesNothingUnderGinIsNoSuccess: an
// Options.ErrorHandler of net/http's shape that only logs, given to a Gin
// application, must not leave Gin to send its default 200 for a lost write.
func TestAPlainErrorHandlerThatWritesNothingUnderGinIsNoSuccess(t *testing.T) {
	faulty := testkit.NewFaultyStore()
	faulty.Err = fmt.Errorf("redis: %w", store.ErrUnavailable)
	opts := testOptions(testkit.NewClock())
	opts.Store = faulty
	logged := 0
	opts.ErrorHandler = func(http.ResponseWriter, *http.Request, error) { logged++ }
	m := newTestManager(t, opts, nil)

	r := gin.New()
	r.Use(session.UseManager(m, nil))
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

	assert.Equal(t, 1, logged)
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code, "body %q", rec.Body.String())
	assert.NotContains(t, rec.Body.String(), "saved")
}

// TestAnErrorHandlerRedirectUnderGinIsNotTurnedInto503: an error handler
// may answer a session failure with a redirect (to a maintenance or login
// page). For a POST, net/http's Redirect writes only the status and the
// Location header, and Gin's writer holds that status unsent: the handler
// answered all the same, and the default error status must not replace its
// 303. Both GinErrorHandler and a plain ErrorHandler under Gin, at load and
// at commit.
func TestAnErrorHandlerRedirectUnderGinIsNotTurnedInto503(t *testing.T) {
	handlers := map[string]func(http.ResponseWriter, *http.Request, error){
		"GinErrorHandler": session.GinErrorHandler(func(c *gin.Context, err error) {
			c.Redirect(http.StatusSeeOther, "/maintenance")
		}),
		"plain": func(w http.ResponseWriter, r *http.Request, err error) {
			http.Redirect(w, r, "/maintenance", http.StatusSeeOther)
		},
	}
	for name, eh := range handlers {
		for _, fail := range []string{"load", "commit"} {
			t.Run(name+"/"+fail, func(t *testing.T) {
				faulty := testkit.NewFaultyStore()
				faulty.Err = fmt.Errorf("redis: %w", store.ErrUnavailable)
				opts := testOptions(testkit.NewClock())
				opts.Store = faulty
				opts.ErrorHandler = eh
				m := newTestManager(t, opts, nil)
				r := gin.New()
				r.Use(session.UseManager(m, nil))
				r.POST("/login", loginAliceRoute)
				r.POST("/set", func(c *gin.Context) {
					_ = session.GetSession(c).Set("theme", "dark")
					c.String(http.StatusOK, "saved")
				})
				cookie := loginAlice(t, r)

				if fail == "load" {
					faulty.FailLoad.Store(true)
				} else {
					faulty.FailUpdate.Store(true)
				}
				req := httptest.NewRequest(http.MethodPost, "/set", nil)
				req.AddCookie(cookie)
				rec := httptest.NewRecorder()
				r.ServeHTTP(rec, req)

				assert.Equal(t, http.StatusSeeOther, rec.Code, "the error handler's redirect was replaced (body %q)", rec.Body.String())
				assert.Equal(t, "/maintenance", rec.Header().Get("Location"))
			})
		}
	}
}
