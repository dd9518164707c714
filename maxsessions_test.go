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
	"github.com/sessionkit/session/store"
)

// TestCreateSessionAtTheCapAnswers503 fills a UseSession manager capped at
// one session, then creates another from a second browser.
func TestCreateSessionAtTheCapAnswers503(t *testing.T) {
	var passed error
	tests := []struct {
		name     string
		handler  func(http.ResponseWriter, *http.Request, error)
		wantCode int
	}{
		{name: "default ErrorHandler", wantCode: http.StatusServiceUnavailable},
		{name: "custom ErrorHandler", wantCode: http.StatusTeapot, handler: func(w http.ResponseWriter, _ *http.Request, err error) {
			passed = err
			w.WriteHeader(http.StatusTeapot)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			passed = nil
			opts := testOptions(testkit.NewClock())
			opts.MaxSessions = 1
			opts.ErrorHandler = tt.handler
			ev := newEvents()
			var created error
			r := gin.New()
			r.Use(session.UseSession(opts, nil, ev.handle))
			r.POST("/create", func(c *gin.Context) {
				if _, created = session.CreateSession(c); created != nil {
					session.HandleError(c, created)
					return
				}
				c.String(http.StatusOK, "created")
			})
			r.GET("/size", func(c *gin.Context) {
				c.String(http.StatusOK, "%d", session.GetSessionSize(c))
			})
			srv := httptest.NewServer(r)
			t.Cleanup(srv.Close)

			code, _ := newClient(t, srv).post("/create")
			require.Equal(t, http.StatusOK, code)

			refused := newClient(t, srv)
			code, body := refused.post("/create")
			assert.Equal(t, tt.wantCode, code)
			require.ErrorIs(t, created, store.ErrTooManySessions)
			assert.Empty(t, refused.cookies(), "a refused session sent a cookie")
			assert.Equal(t, 1, ev.count(session.Created))
			_, size := refused.get("/size")
			assert.Equal(t, "1", size)
			if tt.handler != nil {
				assert.Same(t, created, passed, "the ErrorHandler got another error than CreateSession's")
				return
			}
			assert.Equal(t, http.StatusText(http.StatusServiceUnavailable), trimmed(body), "internal text in the body")
		})
	}
}
