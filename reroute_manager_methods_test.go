package session_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
)

// TestRerouteManagerMethodsNeverAnswer200ForALostWrite is
// TestRerouteNeverAnswers200ForALostWrite for the manager's own methods:
// gin's HandleContext resets the Keys, so the helpers find no session on the
// target route, but c.Request still carries the first route's scope, and
// m.GetSession(c.Request) finds it there. Its Set is held for a commit that
// only runs when the first route's middleware returns, after the target
// handler's 200 went out; when that commit fails, the user is told "saved"
// and the value is lost, which the design forbids.
func TestRerouteManagerMethodsNeverAnswer200ForALostWrite(t *testing.T) {
	m, faulty := newFaultyManager(t, nil, nil)
	r := gin.New()
	r.POST("/login", session.UseManager(m, nil), loginAliceRoute)
	r.POST("/old", session.UseManager(m, nil), func(c *gin.Context) {
		c.Request.URL.Path = "/new"
		r.HandleContext(c)
	})
	r.POST("/new", func(c *gin.Context) {
		s := m.GetSession(c.Request)
		if s == nil {
			c.String(http.StatusOK, "no session")
			return
		}
		if err := s.Set("theme", "dark"); err != nil {
			c.String(http.StatusInternalServerError, "failed")
			return
		}
		c.String(http.StatusOK, "saved")
	})
	cookie := loginAlice(t, r)

	faulty.FailUpdate.Store(true)
	req := httptest.NewRequest(http.MethodPost, "/old", nil)
	req.AddCookie(cookie)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	faulty.FailUpdate.Store(false)

	if rec.Code == http.StatusOK && strings.HasPrefix(rec.Body.String(), "saved") {
		s := m.GetSessionById(cookie.Value)
		require.NotNil(t, s)
		v, _ := s.Get("theme")
		assert.Equal(t, "dark", v, "the response said saved (%q), but the store never got the value", rec.Body.String())
	}
}
