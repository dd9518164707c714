package main

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/sessionkit/session"
	"github.com/sessionkit/session/manager"
)

// userKey is the session key that marks a logged-in session.
const userKey = "user"

// timeLayout shows session times to the second, with the server's zone so
// that the reader knows which clock they come from.
const timeLayout = "2006-01-02 15:04:05 MST"

// newRouter returns the app's routes over the sessions of m. It is separate
// from main so that tests can serve it with httptest.
//
// The forms carry no CSRF token: the session cookie is SameSite=Lax, so
// browsers leave it off cross-site POSTs. A real app that changes data
// should still add tokens.
func newRouter(m *session.Manager) *gin.Engine {
	r := gin.New()
	// Trust no proxy headers: ClientIP, which the log shows, is then the
	// peer's address and cannot be forged with X-Forwarded-For.
	_ = r.SetTrustedProxies(nil)
	r.Use(gin.Recovery(), requestLogger(), session.UseManager(m, nil))

	r.GET("/", home)
	r.POST("/login", login)
	r.GET("/private", private)
	r.POST("/renew", renew)
	r.POST("/logout", logout)
	return r
}

// home shows the login form, or sends a logged-in user to their page.
func home(c *gin.Context) {
	if _, ok := currentUser(c); ok {
		c.Redirect(http.StatusSeeOther, "/private")
		return
	}
	render(c, http.StatusOK, "login.html", loginPage{Sessions: session.GetSessionSize(c)})
}

// login starts a logged-in session for the user name in the form.
func login(c *gin.Context) {
	raw := c.PostForm("user")
	name, problem := userName(raw)
	if problem != "" {
		render(c, http.StatusBadRequest, "login.html", loginPage{
			User: raw, Problem: problem, Sessions: session.GetSessionSize(c),
		})
		return
	}

	s, err := loginSession(c)
	if err != nil {
		fail(c, err)
		return
	}
	if err := s.Set(userKey, name); err != nil {
		fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/private")
}

// loginSession returns the session to log in with, always under an ID the
// client did not have before: an attacker who planted a session ID in the
// victim's browser (session fixation) must not share the logged-in session.
// A session from before the login is renewed rather than replaced, so that
// what it holds (a cart, say) survives.
func loginSession(c *gin.Context) (session.Session, error) {
	if session.GetSession(c) != nil {
		s, err := session.RenewSession(c)
		if !isGone(err) {
			return s, err
		}
		// Another request destroyed or renewed it meanwhile: start afresh.
	}
	return session.CreateSession(c)
}

// private shows the logged-in user's session.
func private(c *gin.Context) {
	user, ok := currentUser(c)
	if !ok {
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
	s := session.GetSession(c)
	// The page shows who is logged in: no cache may keep it, so that Back
	// after logout does not show it again.
	c.Header("Cache-Control", "no-store")
	render(c, http.StatusOK, "private.html", privatePage{
		User:       user,
		MaskedID:   s.GetMaskedSessionId(),
		Created:    formatUnix(s.GetCreationTime()),
		LastAccess: formatUnix(s.GetLastAccessTime()),
		Sessions:   session.GetSessionSize(c),
	})
}

// renew gives the session a new ID on request, to show that its data stays.
func renew(c *gin.Context) {
	if session.GetSession(c) == nil {
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
	if _, err := session.RenewSession(c); err != nil && !isGone(err) {
		fail(c, err)
		return
	}
	// After a lost race the session is gone; /private then sends the user on
	// to the login form.
	c.Redirect(http.StatusSeeOther, "/private")
}

// logout destroys the session on the server and expires its cookie.
func logout(c *gin.Context) {
	if err := session.DestroySession(c); err != nil {
		fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/")
}

// currentUser returns the logged-in user of the request, if any.
func currentUser(c *gin.Context) (string, bool) {
	s := session.GetSession(c)
	if s == nil {
		return "", false
	}
	user, ok := s.Get(userKey)
	if !ok {
		return "", false
	}
	name, ok := user.(string)
	return name, ok && name != ""
}

// isGone reports whether err says the session vanished under the request:
// an expected race between two tabs, not a failure.
func isGone(err error) bool {
	return errors.Is(err, manager.ErrSessionGone) || errors.Is(err, manager.ErrNoSession)
}

// fail answers a session failure through the manager's ErrorHandler, as the
// middleware answers its own: 503 while the store is unavailable, 500 for
// anything else, and the error text only in the log. The manager's errors
// name sessions by masked ID, so logging them is safe.
func fail(c *gin.Context, err error) {
	session.HandleError(c, err)
}

// formatUnix formats a session time, which the API gives in Unix seconds.
func formatUnix(sec int64) string {
	return time.Unix(sec, 0).Format(timeLayout)
}
