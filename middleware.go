package session

import (
	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"

	"github.com/sessionkit/session/internal/seam"
)

// UseManager returns Gin middleware that serves the sessions of m. carrier
// carries the session ID as in [UseSession]; the manager's cookie options
// replace the store's own, and each attribute that changes is logged once,
// as a warning when the cookie gets weaker (Secure or HttpOnly dropped, a
// looser SameSite). It panics on a store that cannot carry the ID: the
// gin-contrib memstore, whose entries never expire, and the gin-contrib
// redis store with a negative Options.MaxAge. A store it does not recognise
// is used with a warning that its server-side entries may never expire.
//
// For each request the middleware looks the session up, lets the handlers
// use it, and writes its changes to the store before the first byte of the
// response. A store failure, at lookup or at commit, is answered through
// Options.ErrorHandler and the request goes no further. A handler that
// panics commits none of its session changes, even when gin.Recovery then
// answers through the commit writer. The manager's own methods, called with
// c.Request (m.GetSession(c.Request), m.CreateSession(c.Request, c.Writer),
// ...), act on the route's session as the helpers do.
func UseManager(m *Manager, carrier sessions.Store) gin.HandlerFunc {
	var ids seam.Carrier // nil: the manager's built-in cookie
	if carrier != nil {
		ids = newContribCarrier(carrier, hooks.Cookie(m))
	}
	return useCarrier(m, ids)
}

// useCarrier returns the middleware of UseManager and UseTokens: it serves
// the sessions of m, whose IDs travel by ids (nil: the built-in cookie).
func useCarrier(m *Manager, ids seam.Carrier) gin.HandlerFunc {
	// Boxed once: a key made per request would cost an allocation.
	var named any = namedScopeKey{hooks.Cookie(m).Template.Name}
	return func(c *gin.Context) {
		// The scope holds the commit writer, and the writer it sends cookies
		// and errors to (which GinErrorHandler reaches the gin.Context
		// from), in its own allocation.
		sc, ws, err := hooks.BeginGin(m, c.Writer, c, c.Request, ids)
		if err != nil {
			m.HandleError(&ginResponse{ResponseWriter: c.Writer, Context: c}, c.Request, err)
			c.Abort()
			return
		}
		c.Set(scopeKey{}, sc)
		c.Set(named, sc) // for Named, when several managers serve the route
		// The manager's own methods, called with c.Request, then act on
		// this scope as the helpers do: looking the request up again would
		// read the cookie on a token route, and set one there.
		c.Request = hooks.Attach(sc, c.Request)
		c.Writer = &ws.Commit
		sc.Serve(c) // c, not c.Next: see seam.Scope's Serve
	}
}

// commitWriter stores the session before the first byte of the response, so
// that a failure can still become an error response (see
// seam.CommitWriter, which package manager can hold in a request's scope).
type commitWriter = seam.CommitWriter

// gin.ResponseWriter and seam.ResponseWriter have the same methods, so that
// a commitWriter wraps any writer gin hands out and is one itself.
var (
	_ seam.ResponseWriter = gin.ResponseWriter(nil)
	_ gin.ResponseWriter  = seam.ResponseWriter(nil)
	_ gin.ResponseWriter  = (*commitWriter)(nil)
)
