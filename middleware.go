package session

import (
	"bufio"
	"net"
	"net/http"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"

	"github.com/sessionkit/session/internal/seam"
	"github.com/sessionkit/session/manager"
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
	return func(c *gin.Context) {
		// The scope writes through cw.raw, which GinErrorHandler can reach
		// the gin.Context from; one allocation holds both writers.
		cw := &commitWriter{ResponseWriter: c.Writer, raw: ginResponse{ResponseWriter: c.Writer, c: c}}
		sc, err := hooks.Begin(m, &cw.raw, c.Request, ids)
		if err != nil {
			m.HandleError(&cw.raw, c.Request, err)
			c.Abort()
			return
		}
		cw.scope = sc
		// The request carries the scope: the helpers find it there (by
		// seam.ScopeKey, and by seam.NamedScopeKey for Named when several
		// managers serve the route), and the manager's own methods, called
		// with c.Request, act on it as the helpers do: looking the request
		// up again would read the cookie on a token route, and set one
		// there.
		c.Request = hooks.Attach(sc, c.Request)
		c.Writer = cw
		sc.Serve(c) // c, not c.Next: see seam.Scope's Serve
	}
}

// commitWriter stores the session before the first byte of the response, so
// that a failure can still become an error response.
type commitWriter struct {
	gin.ResponseWriter
	scope scope
	raw   ginResponse // see useCarrier; unused by Sessions
}

func (w *commitWriter) WriteHeader(code int) {
	if seam.IsInterimStatus(code) || w.scope.CommitBeforeWrite() {
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *commitWriter) WriteHeaderNow() {
	if w.scope.CommitBeforeWrite() {
		w.ResponseWriter.WriteHeaderNow()
	}
}

func (w *commitWriter) Write(b []byte) (int, error) {
	if !w.scope.CommitBeforeWrite() {
		return 0, manager.ErrCommitFailed
	}
	return w.ResponseWriter.Write(b)
}

func (w *commitWriter) WriteString(s string) (int, error) {
	if !w.scope.CommitBeforeWrite() {
		return 0, manager.ErrCommitFailed
	}
	return w.ResponseWriter.WriteString(s)
}

// Flush keeps streaming handlers working.
func (w *commitWriter) Flush() {
	if w.scope.CommitBeforeWrite() {
		w.ResponseWriter.Flush()
	}
}

// Hijack keeps WebSocket upgrades working; the session is stored first.
func (w *commitWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if !w.scope.CommitBeforeWrite() {
		return nil, nil, manager.ErrCommitFailed
	}
	return w.ResponseWriter.Hijack()
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *commitWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
