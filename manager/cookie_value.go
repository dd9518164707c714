package manager

import (
	"net/http"
	"net/textproto"
	"strings"
)

// CookieValue returns the value of the first cookie named name that r
// carries, with surrounding double quotes removed, as (*http.Request).Cookie
// does, but without parsing and allocating every other cookie of the
// request: it runs on every request. Like net/http, it skips a cookie whose
// value holds a byte no cookie value may hold. The value's form is not
// checked otherwise; callers check it for their own form.
func CookieValue(r *http.Request, name string) (string, bool) {
	for _, line := range r.Header["Cookie"] {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			key, value, _ := strings.Cut(textproto.TrimString(part), "=")
			if textproto.TrimString(key) != name {
				continue
			}
			if len(value) > 1 && value[0] == '"' && value[len(value)-1] == '"' {
				value = value[1 : len(value)-1]
			}
			if !isCookieValue(value) {
				continue
			}
			return value, true
		}
	}
	return "", false
}

// isCookieValue reports whether every byte of v may appear in a cookie value,
// by the rule net/http reads and writes cookies with.
func isCookieValue(v string) bool {
	for i := range len(v) {
		if b := v[i]; b < 0x20 || b >= 0x7f || b == '"' || b == ';' || b == '\\' {
			return false
		}
	}
	return true
}
