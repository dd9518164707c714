package session

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sessionkit/session/manager"
)

// Errors the helpers return, to compare with errors.Is.
var (
	// ErrNoMiddleware: the request did not pass through UseSession or
	// UseManager.
	ErrNoMiddleware = errors.New("session: no session middleware on this route (use UseSession or UseManager)")
	// ErrNoSession: RenewSession was called on a request without a session.
	ErrNoSession = manager.ErrNoSession
	// ErrSessionGone: another request destroyed, expired or renewed the
	// session first (of concurrent renewals, all but one get it).
	ErrSessionGone = manager.ErrSessionGone
	// ErrSessionRenewed: another request renewed the session first, so this
	// one's work on it (changes, a logout, a renewal) was not done. A
	// request whose changes or logout it stopped fails its commit with it
	// (default 409); a renewal that lost with nothing held only returns it.
	// It is also an ErrSessionGone.
	ErrSessionRenewed = manager.ErrSessionRenewed
	// ErrHeadersWritten: a cookie had to be sent after the response started.
	// Create, renew and destroy sessions before writing the response.
	ErrHeadersWritten = manager.ErrHeadersWritten
	// ErrTooManySessions: CreateSession made no session because the store
	// holds as many as its cap allows (Options.MaxSessions). The default
	// ErrorHandler answers it with 503.
	ErrTooManySessions = manager.ErrTooManySessions
)

// scopeOf returns the session work the middleware attached to c.
func scopeOf(c *gin.Context) *manager.Scope {
	v, _ := c.Get(DefaultKey)
	sc, _ := v.(*manager.Scope)
	return sc
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
// succeeds; the others get ErrSessionRenewed (also an ErrSessionGone).
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

// HandleError answers the request through Options.ErrorHandler and stops the
// handler chain. Use it for an error of CreateSession, RenewSession or
// DestroySession that the handler has no answer of its own for: the default
// handler answers 503 when the store is down or full and 500 otherwise,
// with only the status text. Without the middleware it answers 500.
func HandleError(c *gin.Context, err error) {
	defer c.Abort()
	sc := scopeOf(c)
	if sc == nil {
		_ = c.Error(err) // recorded for gin's logger and error middleware
		c.String(http.StatusInternalServerError, http.StatusText(http.StatusInternalServerError))
		return
	}
	// Commit first: if that fails too, the error handler has answered.
	if sc.CommitBeforeWrite() {
		sc.Manager().HandleError(c.Writer, c.Request, err)
	}
}
