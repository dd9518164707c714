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

// TestAnErrorHandlerRedirectUnderGinIsNotTurnedInto503: an error handler
// may answer a session failure with a redirect (to a maintenance or login
// page). For a POST, net/http's Redirect writes only the status and the
// Location header, no body, and Gin's writer holds that status without
// sending it: Written() is false. The error handler has answered, yet the
// code that records the default error status for a handler that "wrote
// nothing" looks only at Written() and Status() < 400, so it replaces the
// 303 with 503: the client gets a 503 carrying a Location header. Both the
// GinErrorHandler path and a plain ErrorHandler under Gin (customAnswer),
// at load and at commit.
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
