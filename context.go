package session

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sessionkit/session/internal/seam"
)

// ErrNoMiddleware is returned by the helpers when the request did not pass
// through UseSession or UseManager. The other errors they return are
// manager's (manager.ErrNoSession, manager.ErrSessionGone,
// manager.ErrSessionRenewed, manager.ErrHeadersWritten) and store's
// (store.ErrTooManySessions, store.ErrUnavailable); compare with errors.Is.
var ErrNoMiddleware = errors.New("session: no session middleware on this route (use UseSession or UseManager)")

// scope is the session work of one request, as package manager carries it
// to this package.
type scope = seam.Scope[*Manager, Session]

// hooks are package manager's functions for this package, installed by its
// init (which runs before this package's variables are set).
var hooks = seam.Installed[*Manager, Session]()

// scopeKey is the gin.Context key under which the middleware keeps the
// request's scope: a type of its own, so that no other key can collide.
type scopeKey struct{}

// scopeOf returns the session work the middleware attached to c.
func scopeOf(c *gin.Context) scope {
	v, _ := c.Get(scopeKey{})
	sc, _ := v.(scope)
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
// succeeds; the others get manager.ErrSessionRenewed (also a manager.ErrSessionGone).
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
