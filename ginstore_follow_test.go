package session_test

// The gin-contrib session follows the request's session
// (ginRequest.follow, called from the carrier's WriteID and ClearID): what a
// handler holding sessions.Default(c) sees and saves around the calls that
// send a cookie.

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
)

// capTurnCartApp serves, behind use over a fresh manager:
//   - POST /first: the first Save of a request with no session yet sets
//     "cart", saves, then reads the cart back and, as a handler that
//     saves at two points does, sets "page" and saves again;
//   - GET /read: the stored cart and page, as a later request sees them.
func capTurnCartApp(t *testing.T, use func(sessions.Store) gin.HandlerFunc) *client {
	t.Helper()
	r, _, _ := newGinStoreEngine(t, use)
	r.POST("/first", func(c *gin.Context) {
		gs := sessions.Default(c)
		gs.Set("cart", "ring")
		require.NoError(t, gs.Save())
		after := gs.Get("cart") // e.g. to render "1 item in your cart"
		gs.Set("page", "2")
		require.NoError(t, gs.Save())
		c.String(http.StatusOK, "after=%v", after)
	})
	r.GET("/read", func(c *gin.Context) {
		gs := sessions.Default(c)
		c.String(http.StatusOK, "cart=%v page=%v", gs.Get("cart"), gs.Get("page"))
	})
	return newClient(t, serve(t, r))
}

// TestFirstSaveKeepsTheHandlersValues: the first Save of a visitor
// with no session creates one and sends its cookie, which calls follow. It
// must not take the new session for "another session that replaced the one
// shown" and empty the gin-contrib session the handler holds: right after
// Save, Get returns what the handler set, and a second Save keeps it. (q.shown
// is set before the create.)
func TestFirstSaveKeepsTheHandlersValues(t *testing.T) {
	forEachInstall(t, func(t *testing.T, use func(sessions.Store) gin.HandlerFunc) {
		browser := capTurnCartApp(t, use)
		status, body := browser.post("/first")
		require.Equal(t, http.StatusOK, status, body)
		assert.Equal(t, "after=ring", body, "right after the first Save the handler's session still holds what it set")
		_, body = browser.get("/read")
		assert.Equal(t, "cart=ring page=2", body, "a second Save of the handler keeps what the first stored")
	})
}

// TestRenewalKeepsUnsavedChangesOnce: a handler that set a value,
// not yet saved, then renews the session (RenewSession beside gin-contrib's
// API, or Login as the same user, which renews) and saves. The renewal
// keeps the session, so the unsaved change must reach the renewed session,
// once: one Update for the value, stored under the new ID only.
func TestRenewalKeepsUnsavedChangesOnce(t *testing.T) {
	for _, renew := range []struct {
		name string
		do   func(*gin.Context) error
	}{
		{"RenewSession", func(c *gin.Context) error { _, err := session.RenewSession(c); return err }},
		{"Login as the same user", func(c *gin.Context) error { _, err := session.Login(c, "ada"); return err }},
	} {
		t.Run(renew.name, func(t *testing.T) {
			{ // Login and RenewSession need session.Sessions, not gin-contrib's own middleware
				r, _, events := newGinStoreEngine(t, func(st sessions.Store) gin.HandlerFunc { return session.Sessions(contribCookie, st) })
				r.POST("/login", func(c *gin.Context) {
					_, err := session.Login(c, "ada")
					require.NoError(t, err)
					c.String(http.StatusOK, "ok")
				})
				r.POST("/renew", func(c *gin.Context) {
					gs := sessions.Default(c)
					gs.Set("cart", "ring") // unsaved when the session is renewed
					if err := renew.do(c); err != nil {
						session.HandleError(c, err)
						return
					}
					require.NoError(t, gs.Save())
					c.String(http.StatusOK, "cart=%v", gs.Get("cart"))
				})
				r.GET("/read", func(c *gin.Context) {
					s := session.GetSession(c)
					if s == nil {
						c.String(http.StatusOK, "none")
						return
					}
					cart, _ := s.Get("cart")
					c.String(http.StatusOK, "%s cart=%v", s.User(), cart)
				})
				browser := newClient(t, serve(t, r))
				status, body := browser.post("/login")
				require.Equal(t, http.StatusOK, status, body)
				before := browser.cookie(contribCookie)
				require.NotEmpty(t, before)
				updatesBefore := events.CountKind(session.Update)

				status, body = browser.post("/renew")
				require.Equal(t, http.StatusOK, status, body)
				assert.Equal(t, "cart=ring", body)
				assert.NotEqual(t, before, browser.cookie(contribCookie), "the session was renewed")
				_, body = browser.get("/read")
				assert.Equal(t, "ada cart=ring", body, "the unsaved change reached the renewed session")
				// One Update for the renewal, one for the cart: the value is
				// written once, not once per ID.
				assert.Equal(t, 2, events.CountKind(session.Update)-updatesBefore,
					fmt.Sprintf("events: %+v", events.All()))
			}
		})
	}
}
