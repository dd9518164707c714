package manager

import (
	"bufio"
	"context"
	"net"
	"net/http"
)

// Handler is the net/http middleware: it looks the request's session up,
// lets next use it through m.GetSession(r) and the other methods, and stores
// the session's changes before the response's headers go out. A store
// failure is answered through the error handler; next does not run. When
// next panics, its session changes are discarded (see [Scope.Serve]).
func (m *Manager) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sc, err := m.Begin(w, r, nil)
		if err != nil {
			m.HandleError(w, r, err)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), scopeContextKey{}, sc))
		sc.r = r
		sc.Serve(func() { next.ServeHTTP(&commitWriter{ResponseWriter: w, scope: sc}, r) })
	})
}

// commitWriter commits the session before the first byte of the response.
type commitWriter struct {
	http.ResponseWriter
	scope *Scope
}

func (w *commitWriter) WriteHeader(code int) {
	if IsInterimStatus(code) || w.scope.CommitBeforeWrite() {
		w.ResponseWriter.WriteHeader(code)
	}
}

// IsInterimStatus reports whether code is an informational status (103
// Early Hints, say) that comes before the real headers, which can still
// carry the session cookie: a response writer wrapper lets it through
// without committing. 101 Switching Protocols ends the HTTP exchange, so it
// commits like any final status.
func IsInterimStatus(code int) bool {
	return code >= 100 && code < 200 && code != http.StatusSwitchingProtocols
}

func (w *commitWriter) Write(b []byte) (int, error) {
	if !w.scope.CommitBeforeWrite() {
		return 0, ErrCommitFailed
	}
	return w.ResponseWriter.Write(b)
}

// Flush keeps streaming handlers working.
func (w *commitWriter) Flush() { _ = w.FlushError() }

// FlushError is what http.ResponseController calls: it reports a failed
// commit or a writer that cannot flush, where Flush must stay silent.
func (w *commitWriter) FlushError() error {
	if !w.scope.CommitBeforeWrite() {
		return ErrCommitFailed
	}
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack keeps WebSocket upgrades working; the session is stored first.
func (w *commitWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if !w.scope.CommitBeforeWrite() {
		return nil, nil, ErrCommitFailed
	}
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *commitWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
