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
// writer that commits before the first byte, "Vary: Cookie" on every
// response, and "Cache-Control: no-store" on one that carries the cookie.

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

// addVaryCookie adds "Vary: Cookie", without allocating when the response
// has no Vary header yet: responses that depend on the cookie must not be
// served from a shared cache to another user.
func addVaryCookie(h http.Header) {
	if v, ok := h["Vary"]; ok {
		h["Vary"] = append(v, "Cookie")
		return
	}
	h["Vary"] = varyCookie[:1:1]
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
// which the handler may have replaced since begin: Vary: Cookie on every
// response, and Cache-Control: no-store on one that carries the cookie.
func (sc *requestScope) guardHeaders() {
	h := sc.w.Header()
	if !varyHasCookie(h["Vary"]) {
		addVaryCookie(h)
	}
	sc.mu.Lock()
	cookieSent := sc.cookieSent
	sc.mu.Unlock()
	if cookieSent {
		h.Set("Cache-Control", "no-store")
	}
}

// varyHasCookie reports whether Vary values already name Cookie (or "*").
func varyHasCookie(values []string) bool {
	for _, v := range values {
		for v != "" {
			var token string
			token, v, _ = strings.Cut(v, ",")
			token = textproto.TrimString(token)
			if token == "*" || strings.EqualFold(token, "Cookie") {
				return true
			}
		}
	}
	return false
}
