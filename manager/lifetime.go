package manager

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// errLifetime is returned by SetLifetime for a lifetime that is not
// positive: ending a session is DestroySession's work.
var errLifetime = errors.New("session: lifetime must be positive (to end a session, destroy it)")

// SetLifetime gives the request's session an absolute lifetime of d from
// now, longer or shorter than Options.MaxAge gave it ("remember me"): its
// absolute deadline becomes now + d, but never later than its creation
// plus Options.MaxLifetime, so that no session extends itself forever. The
// idle timeout still applies. The deadline is stored at once, renewal keeps
// it, and the cookie is sent again with a Max-Age that ends with it.
//
// It returns ErrNoSession when the request has none, ErrHeadersWritten
// once the response has started (the cookie could no longer follow), and
// an error for a d that is not positive. A store failure is returned and,
// within [Manager.Handler], answers the request through the error handler
// even if the handler ignores it: the user asked to be remembered.
func (m *Manager) SetLifetime(r *http.Request, w http.ResponseWriter, d time.Duration) error {
	if d <= 0 {
		return errLifetime
	}
	sc, err := m.scopeFor(w, r)
	if err != nil {
		return err
	}
	return sc.setLifetime(d)
}

// setLifetime is SetLifetime on the request's scope.
func (sc *requestScope) setLifetime(d time.Duration) error {
	s := sc.current()
	if s == nil {
		return ErrNoSession
	}
	if sc.headersSent() {
		return ErrHeadersWritten
	}
	now := sc.m.opts.Clock()
	s.mu.Lock()
	id, created := s.id, s.created
	s.mu.Unlock()
	expires := now.Add(d)
	if longest := sc.m.opts.longestLifetime(); longest > 0 {
		if limit := created.Add(longest); expires.After(limit) {
			expires = limit
		}
	}
	ctx, cancel := sc.m.writeContext(sc.ctx())
	err := s.writeFailed(sc.m.store.SetExpires(ctx, id, expires), "setting the lifetime of", id)
	cancel()
	if err != nil {
		// A session ended meanwhile has nothing to remember (logout wins);
		// any other failure must not end in a 200.
		if !errors.Is(err, ErrSessionGone) || errors.Is(err, ErrSessionRenewed) {
			sc.fail(s, "setting the session's lifetime", err)
		}
		return err
	}
	s.mu.Lock()
	s.expires = expires
	s.mu.Unlock()
	if err := sc.sendID(id, expires); err != nil {
		return fmt.Errorf("session: sending the cookie of the new lifetime: %w", err)
	}
	return nil
}
