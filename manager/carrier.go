package manager

import (
	"net/http"

	"github.com/sessionkit/session/internal/seam"
)

// cookieCarrier is the built-in carrier: the ID itself as the cookie value.
type cookieCarrier struct {
	opts Options
}

var _ seam.Carrier = (*cookieCarrier)(nil)

func (c *cookieCarrier) ReadID(r *http.Request) (string, error) {
	return seam.ReadCookieID(r, c.opts.CookieName)
}

func (c *cookieCarrier) WriteID(w http.ResponseWriter, _ *http.Request, id string, maxAge int) error {
	return seam.SetCookie(w, c.opts.cookie(id, maxAge))
}

func (c *cookieCarrier) ClearID(w http.ResponseWriter, _ *http.Request) error {
	return seam.SetCookie(w, c.opts.cookie("", -1))
}
