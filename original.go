package session

import (
	"crypto/rand"
	"net/http"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"

	"github.com/sessionkit/session/internal/seam"
	"github.com/sessionkit/session/manager"
)

// This file holds the kept names listed in the package doc. They are
// sessionkit's API like any other; where a Go-style name does the same, the
// doc says which.

// DefaultKey is the default cookie name: the session-key cookie that
// Options.CookieName names when it is empty.
const DefaultKey = seam.DefaultCookieName

// Session events, passed to the session handler.
const (
	// Created fires once when a session is made.
	Created = manager.Created
	// Destroyed fires exactly once when a session ends, however it ends.
	Destroyed = manager.Destroyed
	// Update fires on each Set or Delete that changes a value, and on renewal.
	Update = manager.Update
)

type (
	// Options configures sessions; see [manager.Options] for each field and
	// its default.
	Options = manager.Options
	// Session is one user's server-side session; see [manager.Session].
	Session = manager.Session
	// Manager creates, finds and destroys sessions; see [manager.Manager].
	Manager = manager.Manager
	// MemSession is the Session the manager hands out; see
	// [manager.MemSession].
	MemSession = manager.MemSession
)

// NewManager returns a session manager; see [manager.NewManager]. Share it
// with the middleware through [UseManager].
func NewManager(options Options, sessionCreator func(*http.Request, http.ResponseWriter) (Session, error), sessionHandler func(Session, int)) *Manager {
	return manager.NewManager(options, sessionCreator, sessionHandler)
}

// CreateMemSession is a session creator for [NewManager]: a session with a
// fresh random ID from crypto/rand, belonging to no manager yet. It is not
// the default: a nil creator does the same with the manager's
// Options.Rand, which this function cannot see. Pass nil unless an
// application must name a creator.
func CreateMemSession(r *http.Request, w http.ResponseWriter) (Session, error) {
	id, err := seam.NewID(rand.Reader)
	if err != nil {
		return nil, err
	}
	return manager.NewSession(id, time.Now().Unix()), nil
}

// NewSession returns a session with the given ID and last access time (Unix
// seconds) that belongs to no manager yet, for a session creator or an
// Options.SessionLoader; see [manager.NewSession]. [manager.RestoreSession]
// does the same and also keeps the time the session was created, so that a
// restart does not extend its absolute lifetime.
func NewSession(id string, timeAccessed int64) Session {
	return manager.NewSession(id, timeAccessed)
}

// UseSession returns Gin middleware with a manager of its own, configured by
// options. carrier carries the session ID to the browser: any gin-contrib
// sessions.Store, or nil for the built-in cookie; a store that cannot carry
// the ID panics here, as in [UseManager]. sessionHandler, when not nil,
// receives every session event.
//
// The manager made here lives as long as the program. [UseManager] does the
// same with a manager made by [NewManager]: one that can be closed, shared
// with admin code, or serve several route groups.
func UseSession(options Options, carrier sessions.Store, sessionHandler func(Session, int)) gin.HandlerFunc {
	if carrier != nil {
		checkCarrier(carrier, options.MaxAge) // before a manager starts its sweeper
	}
	return UseManager(manager.NewManager(options, nil, sessionHandler), carrier)
}

// GetSession returns the request's live session, or nil when it has none
// (or the route has no session middleware).
func GetSession(c *gin.Context) Session {
	if sc := scopeOf(c); sc != nil {
		return sc.Session()
	}
	return nil
}

// CreateSession makes a new session for the request and sets its cookie.
// It always gives a fresh ID: a session the request already has is
// destroyed first. Call it before writing the response.
func CreateSession(c *gin.Context) (Session, error) {
	sc := scopeOf(c)
	if sc == nil {
		return nil, ErrNoMiddleware
	}
	return sc.Create()
}

// RenewSession gives the request's session a new ID, keeping its values and
// creation time; the old ID stops working at once. Call it on login, to
// defeat session fixation. Of concurrent renewals of one session exactly one
// succeeds; the others get manager.ErrSessionRenewed (also a
// manager.ErrSessionGone).
func RenewSession(c *gin.Context) (Session, error) {
	sc := scopeOf(c)
	if sc == nil {
		return nil, ErrNoMiddleware
	}
	return sc.Renew()
}

// DestroySession destroys the request's session on the server and sends a
// cookie that expires it. Call it on logout.
func DestroySession(c *gin.Context) error {
	sc := scopeOf(c)
	if sc == nil {
		return ErrNoMiddleware
	}
	return sc.Destroy()
}

// GetSessionSize returns the number of live sessions: with a shared store,
// across every instance that uses it. It returns 0 without the middleware.
func GetSessionSize(c *gin.Context) int {
	if sc := scopeOf(c); sc != nil {
		return sc.Manager().GetSessionSize()
	}
	return 0
}
