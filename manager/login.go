package manager

import (
	"errors"
	"net/http"
)

// errNoUser is returned for an empty user name: no session is bound to ""
// (binding to "" unbinds), so Login to it would be a logout in disguise and
// listing it would list nothing.
var errNoUser = errors.New("session: user name must not be empty")

// Login is what a handler calls once the user's credentials checked out: it
// renews the request's live session (new ID; values, creation time and
// absolute deadline kept; the old ID dead at once) or, when the request has
// none, creates one; then it binds the session to user, so that
// [Manager.UserSessions] lists it and [Session.User] names user. The
// cookie of the new ID is set on w, and the session's Update event (after a
// renewal) or Created event (after a creation) fires once it is bound.
//
// Call it only after the password checked out: a failed login must leave
// the current session alone, and Login always changes its ID. A session
// bound to another user is not renewed but destroyed (cause "replaced") and
// a new one created, so that on a shared computer nothing the previous user
// stored reaches the next one; a session bound to user, or to nobody (an
// anonymous visitor's cart, say), keeps its values.
//
// With Options.MaxSessionsPerUser set, the user's oldest other sessions
// beyond the cap are destroyed afterwards (see there); a store failure
// while doing so is logged, not returned: the login itself succeeded.
//
// Of concurrent logins on one session exactly one renews it; the others
// return ErrSessionRenewed, as [Manager.RenewSession] does. A session that
// another request destroyed meanwhile is replaced by a new one. When the
// binding fails, the session is renewed or created but not bound, the error
// is returned and, within [Manager.Handler], the response goes through the
// error handler even if the handler ignores the error.
func (m *Manager) Login(r *http.Request, w http.ResponseWriter, user string) (Session, error) {
	if user == "" {
		return nil, errNoUser
	}
	sc, err := m.scopeFor(w, r)
	if err != nil {
		return nil, err
	}
	return sc.login(user)
}

// login is Login on the request's scope.
func (sc *requestScope) login(user string) (Session, error) {
	if sc.headersSent() {
		return nil, ErrHeadersWritten
	}
	s, event, err := sc.renewOrCreate(user)
	if err != nil {
		return nil, err
	}
	bindErr := sc.bindUser(s, user)
	sc.m.fire(s, event) // the session was made or renewed, bound or not
	if bindErr != nil {
		sc.fail(s, "binding the session to its user", bindErr)
		return nil, bindErr
	}
	sc.m.capUserSessions(sc.ctx(), user, s.GetMaskedSessionId())
	return s, nil
}

// renewOrCreate renews the request's session, or creates one when it has
// none, when it belongs to another user than user, or when another request
// ended it meanwhile. It returns the event to fire for it.
func (sc *requestScope) renewOrCreate(user string) (*MemSession, int, error) {
	if cur := sc.current(); cur != nil && (cur.User() == "" || cur.User() == user) {
		s, err := sc.renew(renewByLogin)
		if err == nil {
			return s, Update, nil
		}
		// A renewal lost to another one keeps the exactly-one-winner rule of
		// RenewSession; a session destroyed meanwhile is simply not live.
		if !errors.Is(err, ErrSessionGone) || errors.Is(err, ErrSessionRenewed) {
			return nil, 0, err
		}
	}
	s, err := sc.create()
	if err != nil {
		return nil, 0, err
	}
	return s, Created, nil
}

// bindUser binds s to user in the store.
func (sc *requestScope) bindUser(s *MemSession, user string) error {
	id := s.GetId()
	ctx, cancel := sc.m.writeContext(sc.ctx())
	defer cancel()
	if err := s.writeFailed(sc.m.store.SetUser(ctx, id, user), "binding the user of", id); err != nil {
		return err
	}
	s.mu.Lock()
	s.user = user
	s.mu.Unlock()
	return nil
}
