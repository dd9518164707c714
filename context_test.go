package session_test

import (
	"errors"
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

// The context helpers on a route without the middleware: nothing to find,
// an error to return, and HandleError still answers without the error text.
func TestHelpersWithoutMiddleware(t *testing.T) {
	r := gin.New()
	r.GET("/", func(c *gin.Context) {
		assert.Nil(t, session.GetSession(c))
		_, err := session.CreateSession(c)
		assert.ErrorIs(t, err, session.ErrNoMiddleware)
		_, err = session.RenewSession(c)
		assert.ErrorIs(t, err, session.ErrNoMiddleware)
		assert.ErrorIs(t, session.DestroySession(c), session.ErrNoMiddleware)
		assert.Zero(t, session.GetSessionSize(c))
		c.Status(http.StatusNoContent)
	})
	var recorded []string
	r.GET("/handle-error", func(c *gin.Context) {
		session.HandleError(c, errors.New("session store detail"))
		recorded = c.Errors.Errors()
		assert.True(t, c.IsAborted(), "HandleError let the handler chain go on")
	})
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, http.StatusNoContent, rec.Code)

	rec = httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/handle-error", nil))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Equal(t, http.StatusText(http.StatusInternalServerError), rec.Body.String(), "internal text in the body")
	assert.Equal(t, []string{"session store detail"}, recorded, "the error is recorded for gin's error middleware")
}

// TestCreateSessionAtTheCapAnswers503 fills a UseSession manager capped at
// one session, then creates another from a second browser: CreateSession's
// error, passed to HandleError, reaches the ErrorHandler.
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
			ev := &testkit.Events{}
			app := newApp(session.UseSession(opts, nil, ev.Handle))
			var created error // what CreateSession returned
			app.POST("/create-and-keep-the-error", func(c *gin.Context) {
				if _, created = session.CreateSession(c); created != nil {
					session.HandleError(c, created)
					return
				}
				c.String(http.StatusOK, "created")
			})
			srv := serve(t, app)

			code, _ := newClient(t, srv).post("/create-and-keep-the-error")
			require.Equal(t, http.StatusOK, code)

			refused := newClient(t, srv)
			code, body := refused.post("/create-and-keep-the-error")
			assert.Equal(t, tt.wantCode, code)
			require.ErrorIs(t, created, store.ErrTooManySessions)
			assert.Empty(t, refused.cookies(), "a refused session sent a cookie")
			assert.Equal(t, 1, ev.CountKind(session.Created))
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
