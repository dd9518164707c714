package session_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/testkit"
)

// TestGinStoreLoginAsAnotherUserHidesThePreviousUsersValues: a gin-contrib
// app behind session.Sessions whose login handler reads its session before
// it logs the user in (a CSRF token, the anonymous cart to merge) and calls
// session.Login, as the README's users section shows. Login as another
// user destroys the session and starts afresh, "so that on a shared
// computer nothing the previous user stored reaches the next". The
// gin-contrib session the handler holds is not told: it still shows the
// previous user's values, and a Save of one it changed stores it in the new
// user's session.
//
// What a user sees on main: alice logged in on a shared computer and left
// her cart; bob logs in on it, the handler merges "the session's cart"
// into bob's, and bob's session now holds alice's cart (her order lines,
// and whatever else the handler copies). Through the native API (the
// Session Login returns) the new session is empty, as documented.
func TestGinStoreLoginAsAnotherUserHidesThePreviousUsersValues(t *testing.T) {
	m := newTestManager(t, testOptions(testkit.NewClock()), nil)
	r := gin.New()
	r.Use(session.Sessions(contribCookie, session.NewGinStore(m)))
	r.POST("/login", func(c *gin.Context) {
		gs := sessions.Default(c)
		_ = gs.Get("csrf") // the handler looks at its session first
		if _, err := session.Login(c, c.Query("user")); err != nil {
			session.HandleError(c, err)
			return
		}
		// Merge "the session's" cart into the user's.
		cart, _ := gs.Get("cart").(string)
		gs.Set("cart", cart+"+"+c.Query("item"))
		require.NoError(t, gs.Save())
		c.String(http.StatusOK, "cart=%s", cart)
	})
	r.GET("/cart", func(c *gin.Context) {
		s := session.GetSession(c)
		if s == nil {
			c.String(http.StatusOK, "none")
			return
		}
		cart, _ := s.Get("cart")
		c.String(http.StatusOK, "%s:%v", s.User(), cart)
	})
	shared := newClient(t, serve(t, r)) // one browser, two users

	status, body := shared.post("/login?user=alice&item=alices-ring")
	require.Equal(t, http.StatusOK, status, body)
	_, body = shared.get("/cart")
	require.Equal(t, "alice:+alices-ring", body)

	status, body = shared.post("/login?user=bob&item=bobs-book")
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, "cart=", body, "bob's login handler was shown alice's cart")
	_, body = shared.get("/cart")
	assert.Equal(t, fmt.Sprintf("bob:%s", "+bobs-book"), body, "alice's cart reached bob's new session")
}
