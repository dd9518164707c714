package session

import (
	"github.com/gin-gonic/gin"

	"github.com/sessionkit/session/internal/seam"
)

// NamedSession is one of several sessions on a route, each with a cookie
// of its own: the helpers of this package for the session of one name. Get
// it with [Named].
type NamedSession struct {
	sc scope
}

// Named returns the session whose cookie is called name, on a route with
// several session middlewares: [UseManager], [UseSession] or [UseTokens]
// once per manager, each manager with its own Options.CookieName (the name,
// also on token routes), or [SessionsMany] (its names). [GetSession] and the other helpers without a name act on
// the middleware installed last.
//
//	admin := session.Named(c, "admin-session")
//	if s := admin.Session(); s != nil { ... }
//
// When no middleware on the route has that cookie name, Session returns nil
// and the others return ErrNoMiddleware.
func Named(c *gin.Context, name string) NamedSession {
	return NamedSession{sc: scopeIn(c, seam.NamedScopeKey{Name: name})}
}

// Session returns the request's live session of this name, or nil.
func (n NamedSession) Session() Session {
	if n.sc == nil {
		return nil
	}
	return n.sc.Session()
}

// Create is [CreateSession] for the session of this name.
func (n NamedSession) Create() (Session, error) {
	if n.sc == nil {
		return nil, ErrNoMiddleware
	}
	return n.sc.Create()
}

// Renew is [RenewSession] for the session of this name.
func (n NamedSession) Renew() (Session, error) {
	if n.sc == nil {
		return nil, ErrNoMiddleware
	}
	return n.sc.Renew()
}

// Destroy is [DestroySession] for the session of this name.
func (n NamedSession) Destroy() error {
	if n.sc == nil {
		return ErrNoMiddleware
	}
	return n.sc.Destroy()
}
