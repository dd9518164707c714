package session_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/testkit"
)

// The commit writer the middleware puts in front of gin's ResponseWriter:
// a request's changes reach the store before the first byte of the body, a
// commit that fails becomes the ErrorHandler's answer, and a handler that
// panics commits nothing when gin.Recovery answers through the writer.

func TestAValueSetBeforeTheBodyIsStored(t *testing.T) {
	m := newTestManager(t, testOptions(testkit.NewClock()), nil)
	r := newApp(session.UseManager(m, nil))
	r.GET("/stream", func(c *gin.Context) {
		_ = session.GetSession(c).Set("seen", "yes")
		c.Writer.WriteHeaderNow()
		_, _ = c.Writer.WriteString("partial ")
		c.Writer.Flush()
		_, _ = c.Writer.WriteString("body")
		// Headers are gone; a later Set still reaches the store.
		_ = session.GetSession(c).Set("late", "too")
	})
	srv := serve(t, r)
	browser := newClient(t, srv)
	browser.post("/create")

	status, body := browser.get("/stream")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "partial body", body)
	_, who := browser.get("/whoami")
	assert.Contains(t, who, "keys=late=too,seen=yes")
}

func TestAFailedCommitIsAnErrorNotA200(t *testing.T) {
	m, failing := newFaultyManager(t, nil, nil)
	browser := newClient(t, startApp(t, m, nil))
	browser.post("/create")

	failing.FailUpdate.Store(true)
	status, body := browser.post("/set/a/1")
	assert.Equal(t, http.StatusInternalServerError, status)
	assert.Equal(t, http.StatusText(http.StatusInternalServerError), trimmed(body))
	assert.NotContains(t, body, "secret", "no error text reaches the client")

	failing.FailUpdate.Store(false)
	_, who := browser.get("/whoami")
	assert.NotContains(t, who, "a=1", "the failed change is not half-stored")
}

// TestPanickingHandlerCommitsNothingUnderRecovery: gin.Recovery answers a
// panic with a 500 written through the session's commit writer. The
// changes the handler made before it panicked must not be committed then.
func TestPanickingHandlerCommitsNothingUnderRecovery(t *testing.T) {
	m := newTestManager(t, testOptions(testkit.NewClock()), nil)
	r := newApp(gin.Recovery(), session.UseManager(m, nil))
	r.POST("/panic", func(c *gin.Context) {
		s, err := session.CreateSession(c)
		require.NoError(t, err)
		require.NoError(t, s.Set("user", "ada"))
		panic("profile service failed")
	})
	srv := serve(t, r)
	browser := newClient(t, srv)

	code, _ := browser.post("/panic")
	assert.Equal(t, http.StatusInternalServerError, code)
	id := browser.cookie(session.DefaultKey)
	require.NotEmpty(t, id, "the session created before the panic sent no cookie")
	s := m.GetSessionById(id)
	require.NotNil(t, s, "the session created before the panic is gone")
	_, set := s.Get("user")
	assert.False(t, set, "a change made before the panic was committed")
}

// recoverWithoutHeaders is the recovery of the README's quick start: it logs
// the panic without the request's headers, which hold the session cookie.
func recoverWithoutHeaders(c *gin.Context, err any) {
	slog.Error("handler panicked", "err", err, "path", c.Request.URL.Path)
	c.AbortWithStatus(http.StatusInternalServerError)
}

// TestQuickStartLogsNoRawIDWhenAHandlerPanics: in debug mode, the Recovery of
// gin.Default() prints the request's headers, Cookie included, when a
// handler panics; the setup the README shows does not, so no log line holds
// the session ID.
func TestQuickStartLogsNoRawIDWhenAHandlerPanics(t *testing.T) {
	gin.SetMode(gin.DebugMode)
	t.Cleanup(func() { gin.SetMode(gin.TestMode) })

	// serve runs a router whose recovery is rec and whose /boom panics, and
	// returns the session ID the browser held.
	serve := func(t *testing.T, rec gin.HandlerFunc) string {
		m := newTestManager(t, testOptions(testkit.NewClock()), nil)
		r := newApp(gin.Logger(), rec, session.UseManager(m, nil))
		r.GET("/boom", func(*gin.Context) { panic("boom") })
		srv := serve(t, r)
		browser := newClient(t, srv)
		browser.post("/create")
		code, _ := browser.get("/boom")
		assert.Equal(t, http.StatusInternalServerError, code)
		return browser.cookie(session.DefaultKey)
	}

	t.Run("gin.Default's recovery", func(t *testing.T) {
		var out bytes.Buffer // not the run's log: this one holds the ID
		id := serve(t, gin.RecoveryWithWriter(&out))
		assert.Contains(t, out.String(), id, "gin's recovery no longer prints the cookie: the README's advice can go")
	})
	t.Run("the README's recovery", func(t *testing.T) {
		id := serve(t, gin.CustomRecoveryWithWriter(nil, recoverWithoutHeaders))
		assert.Contains(t, logs.String(), "handler panicked")
		assert.NotContains(t, logs.String(), id)
	})
}
