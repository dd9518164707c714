package session

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gorilla/securecookie"
	gsessions "github.com/gorilla/sessions"

	"github.com/sessionkit/session/internal/seam"
	"github.com/sessionkit/session/store"
)

// contribIDKey is the key under which the session ID rides in the
// gin-contrib session.
const contribIDKey = "sessionkit.id"

// contribCarrier carries the session ID inside the session of a gin-contrib
// store, under the cookie name. The store's own encoding (signing,
// encryption, server-side state) protects it; the session itself lives in
// the manager's store.
type contribCarrier struct {
	store sessions.Store
	name  string // the cookie's name, and the gin-contrib session's
	// applied are the manager's cookie settings, as given to the store.
	applied sessions.Options
	// verified caches the IDs of cookie values the store accepted; nil for a
	// store it cannot follow (see verifiedCookies).
	verified *verifiedCookies
}

var _ seam.Carrier = (*contribCarrier)(nil)

// newContribCarrier makes st the carrier of a manager whose session cookie
// is ck. It panics on a store that cannot carry the ID (see checkCarrier),
// warns about one whose server-side state it cannot see, and logs the
// store's own cookie settings that the manager's replace.
func newContribCarrier(st sessions.Store, ck seam.Cookie) *contribCarrier {
	checkCarrier(st, ck.Lifetime)
	warnUnknownCarrier(ck.Logger, st)
	t := ck.Template
	applied := sessions.Options{
		Path:     t.Path,
		Domain:   t.Domain,
		MaxAge:   max(ck.Lifetime, 0),
		Secure:   t.Secure,
		HttpOnly: t.HttpOnly,
		SameSite: t.SameSite,
	}
	logReplacedCookieSettings(ck.Logger, st, t.Name, applied)
	setCodecMaxAge(st, ck.Longest)
	st.Options(applied)
	return &contribCarrier{store: st, name: t.Name, applied: applied, verified: newVerifiedCookies(st)}
}

// gorillaCodecMaxAge is the maximum age, in seconds, that gorilla's stores
// give their securecookie codecs unless told otherwise.
const gorillaCodecMaxAge = 30 * 86400

// setCodecMaxAge raises the maximum age of the securecookie codecs of a
// gorilla-based store to the longest lifetime a session may have (0: no
// limit, no check). They refuse a cookie signed longer ago than that,
// whatever its Max-Age: a session that SetLifetime (or MaxAge) made longer
// than 30 days was logged out on day 31. A shorter lifetime leaves the
// codecs as they are, since other sessions of the app's may share the
// store. The stores set the cookie's Max-Age too; st.Options, called
// after, puts the manager's back.
func setCodecMaxAge(st sessions.Store, seconds int) {
	if seconds != 0 && seconds <= gorillaCodecMaxAge {
		return
	}
	switch s := st.(type) {
	case interface{ MaxAge(int) }: // gorilla's CookieStore (gin-contrib cookie)
		s.MaxAge(seconds)
	case interface{ SetMaxAge(int) }: // boj/redistore (gin-contrib redis)
		s.SetMaxAge(seconds)
	}
}

// cookieOptions are the gorilla options of a cookie living maxAge seconds.
func (c *contribCarrier) cookieOptions(maxAge int) *gsessions.Options {
	o := c.applied.ToGorillaOptions()
	o.MaxAge = maxAge
	return o
}

// requestSession decodes the carrier session that r's cookie holds; nil,
// nil when r has no such cookie. Every method that looks at the request goes
// through it, so an oversized cookie is refused before the store decodes it.
// It uses New rather than Get so that the request is not modified (gorilla's
// registry would replace its context).
func (c *contribCarrier) requestSession(r *http.Request) (*gsessions.Session, error) {
	ck, err := r.Cookie(c.name)
	if err != nil {
		return nil, nil
	}
	if err := seam.CheckCookieSize(ck.Value); err != nil {
		return nil, err
	}
	s, err := c.store.New(r, c.name)
	var decodeErr securecookie.Error
	switch {
	case err == nil:
		return s, nil
	case errors.As(err, &decodeErr) && decodeErr.IsDecode():
		return nil, fmt.Errorf("session: the gin-contrib store refused the cookie: %w", err)
	default:
		// Not a cookie that fails to decode: the store itself failed (a
		// server-side store that cannot reach its backend). Fail closed,
		// as for a session store that is down, rather than treat a logged-in
		// user as anonymous.
		return nil, fmt.Errorf("session: the gin-contrib store failed: %w: %w", store.ErrUnavailable, err)
	}
}

func (c *contribCarrier) ReadID(r *http.Request) (string, error) {
	if c.verified == nil {
		return c.decodeID(r)
	}
	// The cookie net/http's r.Cookie would find, without parsing and
	// allocating every cookie of the request: a verified read allocates
	// nothing.
	value, ok := seam.CookieValue(r, c.name)
	if !ok {
		return "", nil
	}
	if err := seam.CheckCookieSize(value); err != nil {
		return "", err
	}
	now := time.Now()
	if id, ok := c.verified.lookup(value, now); ok {
		return id, nil
	}
	id, err := c.decodeID(r)
	if err == nil && id != "" {
		c.verified.add(value, id, now)
	}
	return id, err
}

// decodeID has the store decode r's cookie and returns the ID it carries.
func (c *contribCarrier) decodeID(r *http.Request) (string, error) {
	s, err := c.requestSession(r)
	if err != nil || s == nil {
		return "", err
	}
	id, _ := s.Values[contribIDKey].(string)
	return id, nil
}

// WriteID starts a new carrier session rather than reusing the request's:
// with a server-side carrier (redis), reusing it would let the old
// cookie lead to the new ID after a renewal. The old carrier session is
// deleted first.
func (c *contribCarrier) WriteID(w http.ResponseWriter, r *http.Request, id string, maxAge int) error {
	if old, err := c.requestSession(r); err == nil && old != nil && old.ID != "" {
		old.Options = c.cookieOptions(-1)
		if err := c.store.Save(r, discardResponse{}, old); err != nil {
			return fmt.Errorf("session: deleting the old gin-contrib session: %w", err)
		}
	}
	fresh := gsessions.NewSession(c.store, c.name)
	fresh.IsNew = true
	fresh.Options = c.cookieOptions(maxAge)
	fresh.Values[contribIDKey] = id
	if err := c.store.Save(r, w, fresh); err != nil {
		return fmt.Errorf("session: saving the gin-contrib session: %w", err)
	}
	return nil
}

// ClearID deletes the carrier session and sends an expiring cookie.
func (c *contribCarrier) ClearID(w http.ResponseWriter, r *http.Request) error {
	s, err := c.requestSession(r)
	if err != nil || s == nil {
		s = gsessions.NewSession(c.store, c.name)
	}
	s.Options = c.cookieOptions(-1)
	if err := c.store.Save(r, w, s); err != nil {
		return fmt.Errorf("session: expiring the gin-contrib session: %w", err)
	}
	return nil
}

// discardResponse takes a Save whose cookie must not reach the client: the
// one that deletes an old carrier session that a new cookie replaces.
type discardResponse struct{}

func (discardResponse) Header() http.Header         { return http.Header{} }
func (discardResponse) Write(b []byte) (int, error) { return len(b), nil }
func (discardResponse) WriteHeader(int)             {}
