package session_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/testkit"
)

// newUserApp returns newApp behind middleware with routes for the per-user
// helpers:
//
//	POST /login-as/:user   Login; answers the masked ID
//	GET  /sessions/:user   UserSessions: "<masked ID>[ current]" a line
//	POST /others/:user     DestroyOtherSessions; answers the count
//	POST /end/:user/:m     DestroyUserSession
//	POST /remember         SetLifetime(7 days)
func newUserApp(middleware gin.HandlerFunc) *gin.Engine {
	r := newApp(middleware)
	answer := func(c *gin.Context, body string, err error) {
		if err != nil {
			session.HandleError(c, err)
			return
		}
		c.String(http.StatusOK, body)
	}
	r.POST("/login-as/:user", func(c *gin.Context) {
		s, err := session.Login(c, c.Param("user"))
		if err != nil {
			answer(c, "", err)
			return
		}
		answer(c, s.GetMaskedSessionId(), nil)
	})
	r.GET("/sessions/:user", func(c *gin.Context) {
		list, err := session.UserSessions(c, c.Param("user"))
		var b strings.Builder
		for _, us := range list {
			b.WriteString(us.MaskedID)
			if us.Current {
				b.WriteString(" current")
			}
			b.WriteString("\n")
		}
		answer(c, b.String(), err)
	})
	r.POST("/others/:user", func(c *gin.Context) {
		n, err := session.DestroyOtherSessions(c, c.Param("user"))
		answer(c, fmt.Sprint(n), err)
	})
	r.POST("/end/:user/:m", func(c *gin.Context) {
		answer(c, "ended", session.DestroyUserSession(c, c.Param("user"), c.Param("m")))
	})
	r.POST("/remember", func(c *gin.Context) {
		answer(c, "remembered", session.SetLifetime(c, 7*24*time.Hour))
	})
	return r
}

// TestUserHelpersActOnTheRequestsSession: through every carrier, the Gin
// helpers act on the session the middleware found (not on a cookie they
// read again, which a gin-contrib carrier does not hold): Login sends the
// new ID through the carrier, UserSessions marks the request's session,
// DestroyOtherSessions spares it, DestroyUserSession ends another, and
// SetLifetime sends the carrier's cookie again with the new Max-Age (on a
// token route, the same token again, and no cookie).
func TestUserHelpersActOnTheRequestsSession(t *testing.T) {
	const ada = "ada@example.com"
	for _, cr := range everyCarrier() {
		t.Run(cr.name, func(t *testing.T) {
			clock := testkit.NewClock()
			opts := testOptions(clock)
			opts.MaxLifetime = 7 * 86400
			m := newTestManager(t, opts, nil)
			srv := serve(t, newUserApp(cr.use(m)))
			first, second, third := cr.client(t, srv), cr.client(t, srv), cr.client(t, srv)
			_, m1 := first.post("/login-as/" + ada)
			clock.Advance(time.Second) // the list is oldest first
			_, m2 := second.post("/login-as/" + ada)
			clock.Advance(time.Second)
			_, m3 := third.post("/login-as/" + ada)

			status, list := second.get("/sessions/" + ada)
			require.Equal(t, http.StatusOK, status, list)
			assert.Equal(t, m1+"\n"+m2+" current\n"+m3+"\n", list)

			status, body := second.post("/end/" + ada + "/" + m3)
			require.Equal(t, http.StatusOK, status, body)
			_, ended := second.post("/others/" + ada)
			assert.Equal(t, "1", ended)
			_, whoami := first.get("/whoami")
			assert.Equal(t, "none", whoami, "log out everywhere else left another session")
			_, whoami = second.get("/whoami")
			assert.Contains(t, whoami, m2, "log out everywhere else ended the request's own session")

			if cr.tokens.request != "" {
				token := second.id()
				ex := second.send(http.MethodPost, "/remember")
				require.Equal(t, http.StatusOK, ex.status, ex.body)
				assert.Equal(t, []string{token}, ex.header.Values(cr.tokens.reply), "SetLifetime did not send the token again")
				assert.Empty(t, ex.header.Values("Set-Cookie"))
				return
			}
			ex := roundTrip(t, srv.URL, newRequest(t, http.MethodPost, "/remember", nil, second.cookies()...))
			require.Equal(t, http.StatusOK, ex.status, ex.body)
			ck := ex.cookie(session.DefaultKey)
			require.NotNil(t, ck, "SetLifetime sent no cookie")
			assert.Equal(t, 7*86400-1, ck.MaxAge, "capped at creation (a second ago) + MaxLifetime")
		})
	}
}
