package session_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/testkit"
)

// A "remember me" session carried by the gin-contrib cookie store lives as
// long as SetLifetime gave it. The store's signature carries the time it
// was made, and gorilla refuses one older than its codecs' own maximum age,
// 30 days unless set: a 90-day session was logged out on day 31 while the
// server still held it. The carrier now gives the codecs the longest
// lifetime a session may have.
func TestContribCookieCarrierKeepsARememberedSession(t *testing.T) {
	clock := testkit.NewClock()
	opts := testOptions(clock)
	opts.MaxInactiveInterval = -1
	opts.MaxAge = 86400
	opts.MaxLifetime = 90 * 86400
	m := newTestManager(t, opts, nil)
	r := gin.New()
	r.Use(session.UseManager(m, cookie.NewStore(carrierKey)))
	r.POST("/remember", func(c *gin.Context) {
		if _, err := session.CreateSession(c); err != nil {
			c.String(http.StatusInternalServerError, err.Error())
			return
		}
		if err := session.SetLifetime(c, 90*24*time.Hour); err != nil {
			c.String(http.StatusInternalServerError, err.Error())
			return
		}
		c.String(http.StatusOK, "remembered")
	})
	r.GET("/whoami", func(c *gin.Context) {
		if session.GetSession(c) == nil {
			c.String(http.StatusOK, "none")
			return
		}
		c.String(http.StatusOK, "known")
	})

	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/remember", nil))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	cookies := rec.Result().Cookies()
	require.NotEmpty(t, cookies)
	ck := cookies[len(cookies)-1]
	require.Equal(t, 90*86400, ck.MaxAge)

	// The browser sends the cookie back 60 days later: signed then.
	clock.Advance(60 * 24 * time.Hour)
	ck.Value = resignedAt(t, ck.Name, ck.Value, time.Now().Add(-60*24*time.Hour))
	req := httptest.NewRequest(http.MethodGet, "/whoami", nil)
	req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	rec = httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	assert.Equal(t, "known", rec.Body.String(), "a remembered session was logged out before its lifetime ended")
}

// resignedAt returns the securecookie value signed with carrierKey for the
// cookie name, as if it had been made at made: securecookie reads the time
// from the real clock, which a test cannot move.
func resignedAt(t *testing.T, name, value string, made time.Time) string {
	t.Helper()
	b, err := base64.URLEncoding.DecodeString(value)
	require.NoError(t, err)
	parts := bytes.SplitN(b, []byte("|"), 3) // date|value|mac
	require.Len(t, parts, 3)
	signed := []byte(name + "|" + strconv.FormatInt(made.Unix(), 10) + "|" + string(parts[1]))
	mac := hmac.New(sha256.New, carrierKey)
	mac.Write(signed)
	out := append(signed[len(name)+1:], '|')
	out = append(out, mac.Sum(nil)...)
	return base64.URLEncoding.EncodeToString(out)
}
