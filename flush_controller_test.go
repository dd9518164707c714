package session_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/manager"
)

// TestGinResponseControllerFlushReportsAFailedCommit is the Gin face of
// manager's TestHandlerFlushReportsAFailedCommit: a streaming handler that
// flushes through http.ResponseController (as net/http recommends) must
// learn that the commit failed and its stream goes nowhere. The Gin commit
// writer has Flush but no FlushError, so the controller reports success.
func TestGinResponseControllerFlushReportsAFailedCommit(t *testing.T) {
	m, faulty := newFaultyManager(t, nil, nil)
	r := gin.New()
	r.Use(session.UseManager(m, nil))
	r.POST("/login", loginAliceRoute)
	var flushErr error
	r.GET("/stream", func(c *gin.Context) {
		require.NoError(t, session.GetSession(c).Set("k", "v"))
		flushErr = http.NewResponseController(c.Writer).Flush()
	})
	cookie := loginAlice(t, r)

	faulty.FailUpdate.Store(true)
	req := httptest.NewRequest(http.MethodGet, "/stream", nil)
	req.AddCookie(cookie)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	faulty.FailUpdate.Store(false)

	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.ErrorIs(t, flushErr, manager.ErrCommitFailed, "ResponseController.Flush hid the failed commit")
}
