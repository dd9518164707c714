package session

import (
	"cmp"
	"net/http"

	"github.com/gin-contrib/sessions"

	"github.com/sessionkit/session/internal/seam"
)

// This file holds the cookie of a NewGinStore session: the gin-contrib
// options in force, and the carrier that sends the ID with them.

// options are the gin-contrib options in force: the session's own, else the
// store's; the manager's cookie, as gin-contrib options, when neither was
// given.
func (q *ginRequest) options() sessions.Options {
	if q.own != nil {
		return *q.own
	}
	return q.baseOptions()
}

// baseOptions are the options in force where the session gave none.
func (q *ginRequest) baseOptions() sessions.Options {
	if o, ok := q.store.appOptions(); ok {
		return o
	}
	t := hooks.Cookie(q.store.m).Template
	return sessions.Options{Path: t.Path, Domain: t.Domain, Secure: t.Secure, HttpOnly: t.HttpOnly, SameSite: t.SameSite}
}

// resendCookie sends the cookie of the session id again, with the options
// now in force.
func (q *ginRequest) resendCookie(w http.ResponseWriter, r *http.Request, id string) error {
	if err := q.WriteID(w, r, id, 0); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return nil
}

// ReadID implements seam.Carrier: the ID is the cookie's value.
func (q *ginRequest) ReadID(r *http.Request) (string, error) {
	return seam.ReadCookieID(r, q.name)
}

// WriteID implements seam.Carrier. maxAge, the session's remaining
// lifetime, is the cookie's Max-Age, unless the application gave options
// whose MaxAge then applies (gin-contrib's rule): the store's, or a
// session's of 0 (a cookie for the browser session). A session's positive
// MaxAge became the session's lifetime, which maxAge ends with.
func (q *ginRequest) WriteID(w http.ResponseWriter, _ *http.Request, id string, maxAge int) error {
	if q.holdCookie {
		return nil
	}
	ck := q.cookie(id)
	_, storeSet := q.store.appOptions()
	if (q.own == nil && !storeSet) || (q.own != nil && q.own.MaxAge > 0) {
		ck.MaxAge = maxAge
	}
	return seam.SetCookie(w, ck)
}

// ClearID implements seam.Carrier: an expiring cookie with the Path,
// Domain and Secure the cookie was set with, even when the handler's
// Options (MaxAge: -1, say) leave them out, so that the browser drops the
// right cookie (it ignores one without Secure for a "__Secure-" or
// "__Host-" name).
func (q *ginRequest) ClearID(w http.ResponseWriter, _ *http.Request) error {
	ck := q.cookie("")
	base := q.baseOptions()
	ck.Path, ck.Domain = cmp.Or(ck.Path, base.Path), cmp.Or(ck.Domain, base.Domain)
	ck.Secure = ck.Secure || base.Secure
	ck.MaxAge = -1
	return seam.SetCookie(w, ck)
}

// cookie returns the session cookie carrying value, with the options in
// force.
func (q *ginRequest) cookie(value string) *http.Cookie {
	o := q.options()
	return &http.Cookie{
		Name: q.name, Value: value,
		Path: o.Path, Domain: o.Domain, MaxAge: o.MaxAge,
		Secure: o.Secure, HttpOnly: o.HttpOnly, SameSite: o.SameSite,
	}
}
