package seam

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/textproto"
	"strings"
	"sync/atomic"
)

// DefaultCookieName is the session cookie's name when Options.CookieName
// is empty; the root package exports it as DefaultKey.
const DefaultCookieName = "session-key"

// MaxCookieSize is the longest cookie value a carrier decodes. Browsers keep
// no more than 4096 bytes per cookie, so anything longer did not come from
// this server.
const MaxCookieSize = 4096

// CheckCookieSize refuses a cookie value longer than MaxCookieSize, before
// anything decodes it. The error gives the length, never the value.
func CheckCookieSize(value string) error {
	if len(value) > MaxCookieSize {
		return fmt.Errorf("session: cookie of %d bytes is over the %d-byte limit", len(value), MaxCookieSize)
	}
	return nil
}

// ReadCookieID is a cookie carrier's ReadID: the value of the cookie named
// name, "" when r has none, or an error when the value is over
// MaxCookieSize.
func ReadCookieID(r *http.Request, name string) (string, error) {
	value, ok := CookieValue(r, name)
	if !ok {
		return "", nil
	}
	if err := CheckCookieSize(value); err != nil {
		return "", err
	}
	return value, nil
}

// SetCookie is http.SetCookie without its silence: a cookie it would drop
// is an error.
func SetCookie(w http.ResponseWriter, ck *http.Cookie) error {
	if err := ck.Valid(); err != nil {
		return fmt.Errorf("session: invalid cookie: %w", err)
	}
	http.SetCookie(w, ck)
	return nil
}

// Cookie is how a manager's session cookie is set, for a carrier of another
// package to set it alike.
type Cookie struct {
	// Template is the session cookie without value or Max-Age: name, Path,
	// Domain, Secure, HttpOnly and SameSite.
	Template http.Cookie
	// Lifetime is the manager's Options.MaxAge in seconds: the most a
	// cookie lives. Negative means none (a cookie that ends with the
	// browser session).
	Lifetime int
	// Longest is the longest absolute lifetime a session may have, in
	// seconds: Options.MaxLifetime, or else MaxAge. 0 means no limit.
	Longest int
	// Logger is the manager's logger.
	Logger *slog.Logger
}

// CookieValue returns the value of the first cookie named name that r
// carries, with surrounding double quotes removed, as (*http.Request).Cookie
// does, but without parsing and allocating every other cookie of the
// request: it runs on every request. Like net/http, it skips a cookie whose
// value holds a byte no cookie value may hold. The value's form is not
// checked otherwise; callers check it for their own form.
//
// Like net/http, it reads no cookie at all from a request that carries more
// than net/http reads (3,000 by default, GODEBUG httpcookiemaxnum): the
// session a cookie carrier finds must be the one r.Cookie, and so a
// gin-contrib store, would find.
func CookieValue(r *http.Request, name string) (string, bool) {
	lines := r.Header["Cookie"]
	count := 0
	for _, line := range lines {
		count += strings.Count(line, ";") + 1 // net/http's count
	}
	if count == 0 || !cookieCountRead(count) {
		return "", false
	}
	for _, line := range lines {
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

// cookieValueBytes holds, for each byte, whether it may appear in a cookie
// value, by the rule net/http reads and writes cookies with.
var cookieValueBytes = func() (t [256]bool) {
	for b := 0x20; b < 0x7f; b++ {
		t[b] = b != '"' && b != ';' && b != '\\'
	}
	return t
}()

// isCookieValue reports whether every byte of v may appear in a cookie value.
// It runs over every request's cookie, some of them hundreds of bytes (a
// gin-contrib signed cookie): four table lookups a step take a third of
// the time that comparing each byte against the rule did.
func isCookieValue(v string) bool {
	i := 0
	for ; i+4 <= len(v); i += 4 {
		if !(cookieValueBytes[v[i]] && cookieValueBytes[v[i+1]] && cookieValueBytes[v[i+2]] && cookieValueBytes[v[i+3]]) {
			return false
		}
	}
	for ; i < len(v); i++ {
		if !cookieValueBytes[v[i]] {
			return false
		}
	}
	return true
}

// cookieCounts holds what net/http answered about how many cookies of one
// request it reads: every count up to within it reads, none from over on
// (0: no count found over yet). Its limit is the GODEBUG setting
// httpcookiemaxnum, which it does not export, so cookieCountRead asks it;
// the answer is monotonic in the count, so it is asked about few counts.
var cookieCounts struct{ within, over atomic.Int64 }

// cookieCountRead reports whether net/http reads the cookies of a request
// that carries count of them (by its count: one more than the semicolons of
// each Cookie line). A setting of httpcookiemaxnum changed while the
// process runs is not seen once both sides of it were asked about.
func cookieCountRead(count int) bool {
	n := int64(count)
	if n <= cookieCounts.within.Load() {
		return true
	}
	if over := cookieCounts.over.Load(); over != 0 && n >= over {
		return false
	}
	// ParseCookie applies the limit of readCookies to its line's count
	// before anything else; each "a=" part parses.
	_, err := http.ParseCookie(strings.Repeat("a=;", count-1) + "a=")
	if err == nil {
		for w := cookieCounts.within.Load(); n > w && !cookieCounts.within.CompareAndSwap(w, n); w = cookieCounts.within.Load() {
		}
		return true
	}
	for o := cookieCounts.over.Load(); (o == 0 || n < o) && !cookieCounts.over.CompareAndSwap(o, n); o = cookieCounts.over.Load() {
	}
	return false
}
