package session_test

import (
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/testkit"
)

// The commit writer the middleware puts in front of gin's ResponseWriter:
// a request's changes reach the store before the first byte of the body,
// and a commit that fails becomes the ErrorHandler's answer.

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
