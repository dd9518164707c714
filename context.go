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
var ErrNoMiddleware = errors.New("session: no session middleware on this route (use UseSession, UseManager or UseTokens)")

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

// HandleError answers the request through Options.ErrorHandler and stops the
// handler chain. Use it for an error of CreateSession, RenewSession or
// DestroySession that the handler has no answer of its own for: the default
// handler answers with only the status text, 503 when the store is down,
// closed, slow or full, 409 when another request renewed the session first
// (manager.ErrSessionRenewed) and 500 otherwise (see manager.Options'
// ErrorHandler). Without the middleware it answers 500.
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
		sc.Manager().HandleError(&ginResponse{ResponseWriter: c.Writer, Context: c}, c.Request, err) // see GinErrorHandler
	}
}
