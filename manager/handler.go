package manager

import (
	"context"
	"net/http"

	"github.com/sessionkit/session/internal/seam"
)

// Handler is the net/http middleware: it looks the request's session up,
// lets next use it through m.GetSession(r) and the other methods, and stores
// the session's changes before the response's headers go out. A store
// failure is answered through the error handler; next does not run. When
// next panics, the session changes it held are discarded and the panic
// goes on; what already reached the store stands.
func (m *Manager) Handler(next http.Handler) http.Handler {
	return m.handle(nil, next)
}

// handle is Handler with the given carrier (nil: the built-in cookie).
func (m *Manager) handle(carrier seam.Carrier, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sc, err := m.begin(w, r, carrier)
		if err != nil {
			m.HandleError(w, r, err)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), scopeContextKey{m}, sc))
		sc.r = r
		sc.Serve(func() { next.ServeHTTP(&commitWriter{ResponseWriter: w, scope: sc}, r) })
	})
}
