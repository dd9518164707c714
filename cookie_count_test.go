package session_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/testkit"
)

// TestBuiltInCookieCountFollowsNetHTTP: the built-in cookie carrier reads
// the session cookie of a request as net/http does, so a request with more
// cookies than net/http reads (3,000 by default, GODEBUG
// httpcookiemaxnum) has no session, as it had when the carrier asked
// r.Cookie; the same request within the limit has one.
func TestBuiltInCookieCountFollowsNetHTTP(t *testing.T) {
	m := newTestManager(t, testOptions(testkit.NewClock()), nil)
	r := gin.New()
	r.Use(session.UseManager(m, nil))
	r.POST("/login", loginAliceRoute)
	r.GET("/who", func(c *gin.Context) {
		var user any
		if s := session.GetSession(c); s != nil {
			user, _ = s.Get("user")
		}
		c.String(http.StatusOK, "%v", user)
	})
	cookie := loginAlice(t, r)

	for _, tc := range []struct {
		junk int
		want string
	}{{2999, "alice"}, {3000, "<nil>"}} {
		req := httptest.NewRequest(http.MethodGet, "/who", nil)
		req.Header.Set("Cookie", strings.Repeat("x=1; ", tc.junk)+cookie.Name+"="+cookie.Value)
		if _, err := req.Cookie(cookie.Name); (err == nil) != (tc.want == "alice") {
			t.Skip("this net/http reads another number of cookies; nothing to compare")
		}
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		assert.Equal(t, http.StatusOK, rec.Code)
		assert.Equal(t, tc.want, rec.Body.String(), "%d other cookies", tc.junk)
	}
}
