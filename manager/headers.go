package manager

import (
	"bufio"
	"net"
	"net/http"
	"net/textproto"
	"strings"

	"github.com/sessionkit/session/internal/seam"
)

// This file holds what the session does to a response's headers: the
// writer that commits before the first byte, "Vary: Cookie" (or the token
// carrier's header) on every response, and "Cache-Control: no-store" on one
// that carries the cookie or a token.

// commitWriter commits the session before the first byte of the response.
type commitWriter struct {
	http.ResponseWriter
	scope *requestScope
}

func (w *commitWriter) WriteHeader(code int) {
	if seam.IsInterimStatus(code) || w.scope.CommitBeforeWrite() {
		w.ResponseWriter.WriteHeader(code)
	}
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

// varyCookie is shared by every response, as gin shares its Content-Type
// values: a header value slice is only ever replaced or appended to.
var varyCookie = []string{"Cookie"}

// varyOf returns the request header that carrier reads the ID from, as a
// shared Vary value: Cookie, or a token carrier's header.
func varyOf(carrier seam.Carrier) []string {
	if tc, ok := carrier.(*tokenCarrier); ok {
		return tc.vary
	}
	return varyCookie
}

// addVary adds "Vary: <name>" for the one-element shared, without
// allocating when the response has no Vary header yet: responses that
// depend on the session's carrier must not be served from a shared cache to
// another user.
func addVary(h http.Header, shared []string) {
	if v, ok := h["Vary"]; ok {
		h["Vary"] = append(v, shared[0])
		return
	}
	h["Vary"] = shared[:1:1]
}

// noStore marks a response that sets or expires the cookie as not to be
// stored by any cache; commit marks it again, should the handler have
// changed Cache-Control since.
func (sc *requestScope) noStore() {
	sc.w.Header().Set("Cache-Control", "no-store")
	sc.mu.Lock()
	sc.cookieSent = true
	sc.mu.Unlock()
}

// guardHeaders restores what the session needs of the response headers,
// which the handler may have replaced since begin: Vary naming the carrier's
// header on every response, and Cache-Control: no-store on one that carries
// the cookie or a token (cookieSent, which the caller read).
func (sc *requestScope) guardHeaders(cookieSent bool) {
	h := sc.w.Header()
	if !varyNames(h["Vary"], sc.vary[0]) {
		addVary(h, sc.vary)
	}
	if cookieSent {
		h.Set("Cache-Control", "no-store")
	}
}

// varyNames reports whether Vary values already name header (or "*").
func varyNames(values []string, header string) bool {
	for _, v := range values {
		if v == header {
			return true // the usual case, addVary's own value: no parse
		}
		for v != "" {
			var token string
			token, v, _ = strings.Cut(v, ",")
			token = textproto.TrimString(token)
			if token == "*" || strings.EqualFold(token, header) {
				return true
			}
		}
	}
	return false
}
