package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sessionkit/session"
	"github.com/sessionkit/session/manager"
)

// rememberFor is how long "Keep me logged in" keeps a session: the
// manager's MaxLifetime, set in options.
const rememberFor = 30 * 24 * time.Hour

// rememberKey is the session key that marks a session kept by "Keep me
// logged in", so that the page can say so.
const rememberKey = "remembered"

// countTimeout bounds the live-session count a page shows, so that a slow
// store delays the page by little; the page then says the count is unknown.
const countTimeout = 500 * time.Millisecond

// app is the example's state beside the manager: what its pages show.
type app struct {
	m        *session.Manager
	feed     *feed
	instance string       // the name of this instance, shown on every page
	started  time.Time    // when it started, for its counters
	metrics  http.Handler // /metrics: the manager's metrics for Prometheus
	// metricsWithApp serves metrics on the app's routes too (see metricsWithApp).
	metricsWithApp bool
}

// newRouter returns the app's routes. It is separate from main so that
// tests can serve it with httptest.
//
// The forms carry no CSRF token: the session cookie is SameSite=Lax, so
// browsers leave it off cross-site POSTs. A real app that changes data
// should still add tokens.
func newRouter(a *app) *gin.Engine {
	r := gin.New()
	// Trust no proxy headers: ClientIP, which the log shows, is then the
	// peer's address and cannot be forged with X-Forwarded-For.
	_ = r.SetTrustedProxies(nil)
	r.Use(gin.CustomRecovery(a.panicPage), requestLogger(), securityHeaders())
	r.NoRoute(a.notFound)

	// Static files need no session: they are served before the session
	// middleware, so that loading them neither touches nor needs the store.
	r.GET("/favicon.svg", staticFile("favicon.svg", "image/svg+xml"))
	r.GET("/static/style.css", staticFile("style.css", "text/css; charset=utf-8"))
	r.GET("/static/feed.js", staticFile("feed.js", "text/javascript; charset=utf-8"))
	if a.metricsWithApp {
		// Before the session middleware too: a scrape neither has nor
		// needs a session.
		r.GET("/metrics", gin.WrapH(a.metrics))
	}

	s := r.Group("/", session.UseManager(a.m, nil))
	s.GET("/", a.home)
	s.POST("/login", a.login)
	s.GET("/private", a.private)
	s.POST("/renew", a.renew)
	s.POST("/logout", a.logout)
	s.GET("/sessions", a.sessions)
	s.POST("/sessions/end", a.endSession)
	s.POST("/sessions/others", a.endOtherSessions)
	s.GET("/events", a.events)
	s.GET("/events/stream", a.eventStream)
	s.GET("/instance", a.instancePage)
	return r
}

// home shows the login form, or sends a logged-in user to their page.
func (a *app) home(c *gin.Context) {
	if _, ok := currentUser(c); ok {
		c.Redirect(http.StatusSeeOther, "/private")
		return
	}
	a.render(c, http.StatusOK, "login.html", "Log in", loginPage{})
}

// login logs the user in: Login gives the session a new ID (or creates
// one), so that an ID an attacker planted in the browser before the login
// (session fixation) never becomes a logged-in session, and binds it to
// the user so that the sessions page can list it. There is no password: the
// example shows the session, not authentication.
func (a *app) login(c *gin.Context) {
	raw := c.PostForm("user")
	remember := c.PostForm("remember") == "on"
	name, problem := userName(raw)
	if problem != "" {
		a.render(c, http.StatusBadRequest, "login.html", "Log in", loginPage{
			Name: raw, Remember: remember, Problem: problem,
		})
		return
	}

	s, err := session.Login(c, name)
	if err != nil {
		session.HandleError(c, err)
		return
	}
	if remember {
		// Within the manager's MaxLifetime; the cookie is sent again with a
		// Max-Age that ends with the new deadline.
		if err := session.SetLifetime(c, rememberFor); err != nil {
			session.HandleError(c, err)
			return
		}
		if err := s.Set(rememberKey, true); err != nil {
			session.HandleError(c, err)
			return
		}
	}
	c.Redirect(http.StatusSeeOther, "/private")
}

// private shows the logged-in user's session.
func (a *app) private(c *gin.Context) {
	if _, ok := currentUser(c); !ok {
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
	s := session.GetSession(c)
	_, remembered := s.Get(rememberKey)
	a.render(c, http.StatusOK, "private.html", "Your session", privatePage{
		MaskedID:   s.GetMaskedSessionId(),
		Created:    formatUnix(s.GetCreationTime()),
		LastAccess: formatUnix(s.GetLastAccessTime()),
		Remembered: remembered,
		Days:       int(rememberFor / (24 * time.Hour)),
	})
}

// renew gives the session a new ID on request, to show that its data stays.
func (a *app) renew(c *gin.Context) {
	if session.GetSession(c) == nil {
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
	if _, err := session.RenewSession(c); err != nil && !isGone(err) {
		session.HandleError(c, err)
		return
	}
	// After a lost race the session is gone; /private then sends the user on
	// to the login form.
	c.Redirect(http.StatusSeeOther, "/private")
}

// logout destroys the session on the server and expires its cookie.
func (a *app) logout(c *gin.Context) {
	if err := session.DestroySession(c); err != nil && !isGone(err) {
		session.HandleError(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/")
}

// currentUser returns the user the request's session is logged in as.
func currentUser(c *gin.Context) (string, bool) {
	s := session.GetSession(c)
	if s == nil || s.User() == "" {
		return "", false
	}
	return s.User(), true
}

// isGone reports whether err says the session vanished under the request:
// an expected race between two tabs, not a failure.
func isGone(err error) bool {
	return errors.Is(err, manager.ErrSessionGone) || errors.Is(err, manager.ErrNoSession)
}

// liveCount is the number of live sessions a page shows; Known is false
// when the store could not tell.
type liveCount struct {
	N     int
	Known bool
}

// liveSessions counts the live sessions of every instance sharing the
// store. It uses CountSessions rather than GetSessionSize, which answers 0
// when the store fails: a page must not claim that nobody is logged in while
// Redis is down.
func (a *app) liveSessions(ctx context.Context) liveCount {
	ctx, cancel := context.WithTimeout(ctx, countTimeout)
	defer cancel()
	n, err := a.m.CountSessions(ctx)
	if err != nil {
		slog.Warn("counting the live sessions failed", "err", err)
		return liveCount{}
	}
	return liveCount{N: n, Known: true}
}

// formatUnix formats a session time, which the API gives in Unix seconds.
func formatUnix(sec int64) string {
	return formatTime(time.Unix(sec, 0))
}

// formatTime shows a session time to the second, with the server's zone so
// that the reader knows which clock it comes from.
func formatTime(t time.Time) string {
	return t.Local().Format("2006-01-02 15:04:05 MST")
}
