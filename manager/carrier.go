package manager

import (
	"fmt"
	"net/http"

	"github.com/sessionkit/session/internal/seam"
)

// cookieCarrier is the built-in carrier: the ID itself as the cookie value.
type cookieCarrier struct {
	opts Options
}

var _ seam.Carrier = (*cookieCarrier)(nil)

func (c *cookieCarrier) ReadID(r *http.Request) (string, error) {
	value, ok := seam.CookieValue(r, c.opts.CookieName)
	if !ok {
		return "", nil
	}
	if err := seam.CheckCookieSize(value); err != nil {
		return "", err
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
