package session_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

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
		_, err = session.Login(c, "ada")
		assert.ErrorIs(t, err, session.ErrNoMiddleware)
		assert.ErrorIs(t, session.SetLifetime(c, time.Hour), session.ErrNoMiddleware)
		_, err = session.UserSessions(c, "ada")
		assert.ErrorIs(t, err, session.ErrNoMiddleware)
		assert.ErrorIs(t, session.DestroyUserSession(c, "ada", "AAAAAAAAAAAA"), session.ErrNoMiddleware)
		_, err = session.DestroyOtherSessions(c, "ada")
		assert.ErrorIs(t, err, session.ErrNoMiddleware)
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
// error, passed to HandleError, reaches the ErrorHandler as it is.
func TestCreateSessionAtTheCapAnswers503(t *testing.T) {
	t.Run("default ErrorHandler", func(t *testing.T) {
		code, body, _ := createPastTheCap(t, nil)
		assert.Equal(t, http.StatusServiceUnavailable, code)
		assert.Equal(t, http.StatusText(http.StatusServiceUnavailable), trimmed(body), "internal text in the body")
	})
	t.Run("custom ErrorHandler", func(t *testing.T) {
		var passed error
		code, _, created := createPastTheCap(t, func(w http.ResponseWriter, _ *http.Request, err error) {
			passed = err
			w.WriteHeader(http.StatusTeapot)
		})
		assert.Equal(t, http.StatusTeapot, code)
		assert.Same(t, created, passed, "the ErrorHandler got another error than CreateSession's")
	})
}

// createPastTheCap makes one session on a UseSession manager capped at one,
// with errorHandler as its ErrorHandler, then asks for a second from another
// browser through HandleError. It checks that the second was refused and
// returns its status, its body and the error CreateSession returned.
func createPastTheCap(t *testing.T, errorHandler func(http.ResponseWriter, *http.Request, error)) (int, string, error) {
	t.Helper()
	opts := testOptions(testkit.NewClock())
	opts.MaxSessions = 1
	opts.ErrorHandler = errorHandler
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
	require.ErrorIs(t, created, store.ErrTooManySessions)
	assert.Empty(t, refused.cookies(), "a refused session sent a cookie")
	assert.Equal(t, 1, ev.CountKind(session.Created))
	_, size := refused.get("/size")
	assert.Equal(t, "1", size)
	return code, body, created
}

// The helpers find the route's session where a handler takes the request:
// on c.Copy(), which handlers hand to a goroutine, and after a handler
// gives the request a context derived from its own (a deadline, a tracing
// span). The middleware keeps the session's scope on the request, not in
// gin's Keys, so these are what a user relies on.
func TestHelpersFollowTheRequest(t *testing.T) {
	m := newTestManager(t, testOptions(testkit.NewClock()), nil)
	r := gin.New()
	r.Use(session.UseManager(m, nil))
	r.POST("/login", func(c *gin.Context) {
		s, err := session.CreateSession(c)
		if err == nil {
			err = s.Set("key", "login")
		}
		reply(c, err, http.StatusInternalServerError, "ok")
	})
	r.GET("/copy", func(c *gin.Context) {
		cp := c.Copy()
		got := make(chan session.Session)
		go func() { got <- session.GetSession(cp) }()
		s := <-got
		if !assert.NotNil(t, s, "GetSession on c.Copy() found no session") {
			return
		}
		assert.Equal(t, session.GetSession(c).GetId(), s.GetId())
		c.Status(http.StatusNoContent)
	})
	r.GET("/derived", func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), time.Minute)
		defer cancel()
		c.Request = c.Request.WithContext(ctx)
		s := session.GetSession(c)
		if !assert.NotNil(t, s, "GetSession after a derived context found no session") {
			return
		}
		v, _ := s.Get("key")
		assert.Equal(t, "login", v)
		assert.NotNil(t, session.Named(c, session.DefaultKey).Session(), "Named after a derived context")
		c.Status(http.StatusNoContent)
	})

	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/login", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	cookies := rec.Result().Cookies()
	require.Len(t, cookies, 1)
	for _, path := range []string{"/copy", "/derived"} {
		t.Run(path, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.AddCookie(cookies[0])
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, req)
			assert.Equal(t, http.StatusNoContent, rec.Code)
		})
	}
}
