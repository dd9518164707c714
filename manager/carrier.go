package manager

import (
	"fmt"
	"net/http"
)

// MaxCookieSize is the longest cookie value a carrier decodes. Browsers keep
// no more than 4096 bytes per cookie, so anything longer did not come from
// this server.
const MaxCookieSize = 4096

// Carrier moves the session ID between server and client: the client half
// of a session. The built-in carrier is a plain cookie; the root package
// adapts any gin-contrib sessions.Store.
type Carrier interface {
	// ReadID returns the session ID the request carries, "" when it carries
	// none, or an error saying why what it carries is refused (an error
	// must not quote the value); the request then has no session. An error
	// that wraps store.ErrUnavailable means the carrier could not look
	// (its backend is down): the request fails closed, through the error
	// handler. The manager checks the ID's form itself.
	ReadID(r *http.Request) (string, error)
	// WriteID sends id to the client. maxAge is the cookie's lifetime in
	// seconds; 0 means until the browser closes.
	WriteID(w http.ResponseWriter, r *http.Request, id string, maxAge int) error
	// ClearID tells the client to forget its session ID.
	ClearID(w http.ResponseWriter, r *http.Request) error
}

// cookieCarrier is the built-in carrier: the ID itself as the cookie value.
type cookieCarrier struct {
	opts Options
}

var _ Carrier = (*cookieCarrier)(nil)

func (c *cookieCarrier) ReadID(r *http.Request) (string, error) {
	value, ok := CookieValue(r, c.opts.CookieName)
	if !ok {
		return "", nil
	}
	if len(value) > MaxCookieSize {
		return "", fmt.Errorf("session: cookie of %d bytes is over the %d-byte limit", len(value), MaxCookieSize)
	}
	return value, nil
}

func (c *cookieCarrier) WriteID(w http.ResponseWriter, _ *http.Request, id string, maxAge int) error {
	return setCookie(w, c.opts.cookie(id, maxAge))
}

func (c *cookieCarrier) ClearID(w http.ResponseWriter, _ *http.Request) error {
	return setCookie(w, c.opts.cookie("", -1))
}

// setCookie is http.SetCookie without its silence: a cookie it would drop is
// an error.
func setCookie(w http.ResponseWriter, ck *http.Cookie) error {
	if err := ck.Valid(); err != nil {
		return fmt.Errorf("session: invalid cookie: %w", err)
	}
	http.SetCookie(w, ck)
	return nil
}
