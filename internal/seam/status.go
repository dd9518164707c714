package seam

import "net/http"

// IsInterimStatus reports whether code is an informational status (103
// Early Hints, say) that comes before the real headers, which can still
// carry the session cookie: a response writer wrapper lets it through
// without committing. 101 Switching Protocols ends the HTTP exchange, so it
// commits like any final status.
func IsInterimStatus(code int) bool {
	return code >= 100 && code < 200 && code != http.StatusSwitchingProtocols
}
