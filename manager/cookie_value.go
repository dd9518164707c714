package manager

import (
	"net/http"
	"net/textproto"
	"strings"
)

// CookieValue returns the value of the first cookie named name that r
// carries, with surrounding double quotes removed, as (*http.Request).Cookie
// does, but without parsing and allocating every other cookie of the
// request: it runs on every request. The value is not checked; callers check
// it for their own form.
func CookieValue(r *http.Request, name string) (string, bool) {
	for _, line := range r.Header["Cookie"] {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			key, value, _ := strings.Cut(textproto.TrimString(part), "=")
			if key != name {
				continue
			}
			if len(value) > 1 && value[0] == '"' && value[len(value)-1] == '"' {
				value = value[1 : len(value)-1]
			}
			return value, true
		}
	}
	return "", false
}
