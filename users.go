package session

import (
	"github.com/gin-gonic/gin"

	"github.com/sessionkit/session/manager"
)

// UserSession is one live session of a user, as [UserSessions] lists it;
// see [manager.UserSession].
type UserSession = manager.UserSession

// Login renews the request's live session, or creates one when it has
// none, and binds it to user; see [manager.Manager.Login]. Call it once
// the credentials checked out, never before: a failed login must leave the
// current session alone.
func Login(c *gin.Context, user string) (Session, error) {
	sc := scopeOf(c)
	if sc == nil {
		return nil, ErrNoMiddleware
	}
	return sc.Manager().Login(hooks.Attach(sc, c.Request), c.Writer, user)
}

// UserSessions returns the live sessions bound to user, oldest first, with
// the request's own marked Current; see [manager.Manager.UserSessions].
func UserSessions(c *gin.Context, user string) ([]UserSession, error) {
	sc := scopeOf(c)
	if sc == nil {
		return nil, ErrNoMiddleware
	}
	return sc.Manager().UserSessions(hooks.Attach(sc, c.Request), user)
}

// DestroyUserSession destroys the session of user with the masked ID that
// [UserSessions] listed ("sign out that device"); see
// [manager.Manager.DestroyUserSession].
func DestroyUserSession(c *gin.Context, user, maskedID string) error {
	sc := scopeOf(c)
	if sc == nil {
		return ErrNoMiddleware
	}
	return sc.Manager().DestroyUserSession(user, maskedID)
}

// DestroyOtherSessions destroys every session of user except the request's
// ("log out everywhere else") and returns how many it ended; see
// [manager.Manager.DestroyOtherSessions].
func DestroyOtherSessions(c *gin.Context, user string) (int, error) {
	sc := scopeOf(c)
	if sc == nil {
		return 0, ErrNoMiddleware
	}
	return sc.Manager().DestroyOtherSessions(hooks.Attach(sc, c.Request), user)
}
