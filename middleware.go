package session

import (
	"bufio"
	"net"
	"net/http"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"

	"github.com/sessionkit/session/manager"
)

// UseSession returns Gin middleware with a manager of its own, configured by
// options. store carries the session ID to the browser: any gin-contrib
// sessions.Store, or nil for the built-in cookie; a store that cannot carry
// the ID panics here, as in [UseManager]. sessionHandler, when not nil,
// receives every session event.
//
// The manager made here lives as long as the program. To close it, to share
// it with admin code, or to serve several route groups from one manager,
// make it with [NewManager] and use [UseManager].
func UseSession(options Options, store sessions.Store, sessionHandler func(Session, int)) gin.HandlerFunc {
	if store != nil {
		checkCarrier(store, options.MaxAge) // before a manager starts its sweeper
	}
	return UseManager(manager.NewManager(options, nil, sessionHandler), store)
}

// UseManager returns Gin middleware that serves the sessions of m. store
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
// answers through the commit writer (see manager.Scope.Serve).
func UseManager(m *Manager, store sessions.Store) gin.HandlerFunc {
	var carrier manager.Carrier // nil: the manager's built-in cookie
	if store != nil {
		carrier = newContribCarrier(store, m.Options())
	}
	return func(c *gin.Context) {
		sc, err := m.Begin(c.Writer, c.Request, carrier)
		if err != nil {
			m.HandleError(c.Writer, c.Request, err)
			c.Abort()
			return
		}
		c.Set(DefaultKey, sc)
		c.Writer = &commitWriter{ResponseWriter: c.Writer, scope: sc}
		sc.Serve(c.Next)
	}
}

// commitWriter stores the session before the first byte of the response, so
// that a failure can still become an error response.
type commitWriter struct {
	gin.ResponseWriter
	scope *manager.Scope
}

func (w *commitWriter) WriteHeader(code int) {
	if manager.IsInterimStatus(code) || w.scope.CommitBeforeWrite() {
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
