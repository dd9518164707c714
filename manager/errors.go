package manager

import (
	"errors"

	"github.com/sessionkit/session/internal/seam"
)

var (
	// ErrInvalidID is returned when a session creator returns an ID that is
	// not 43 base64url characters (32 random bytes), the only form a cookie
	// can bring back.
	ErrInvalidID = errors.New("session: session ID must be 43 base64url characters (32 random bytes)")

	// ErrRandom is returned when the random source fails. No session is made
	// with a weaker ID instead.
	ErrRandom = seam.ErrRandom

	// ErrInvalidKey is returned by Set and Delete for a key that is not a
	// non-empty string.
	ErrInvalidKey = errors.New("session: key must be a non-empty string")

	// ErrSessionGone is returned when a session was destroyed, expired or
	// renewed by another request while this one was using it.
	ErrSessionGone = errors.New("session: session no longer exists")

	// ErrSessionRenewed is returned when a request's work on a session could
	// not be done because another request renewed the session meanwhile (a
	// login in another tab, say): changes, a logout, or a renewal of its
	// own. Nothing is carried over to the new ID: a request holding the old
	// ID, which may be one an attacker planted, never acts on the session
	// renewed at login. Within a request whose changes or logout it stopped,
	// the commit fails with it, so the response goes through the error
	// handler (default 409 Conflict) instead of a 200 for work that did not
	// happen; a renewal that lost with no changes held only returns it. It is
	// also an ErrSessionGone (errors.Is reports true): the ID the request
	// holds is gone.
	ErrSessionRenewed error = renewedError{}

	// ErrNoSession is returned by operations that need a current session
	// when the request has none.
	ErrNoSession = errors.New("session: request has no session")

	// ErrHeadersWritten is returned when a cookie had to be sent after the
	// response's headers went out.
	ErrHeadersWritten = errors.New("session: response headers already written")

	// ErrCommitFailed is returned by writes to a response whose session
	// changes could not be stored; the error handler has answered instead.
	// Set on the request's session returns it too from then on: nothing the
	// handler sets after the failure is stored.
	ErrCommitFailed = seam.ErrCommitFailed
)

// renewedError is ErrSessionRenewed: an ErrSessionGone whose session lives
// on under another ID.
type renewedError struct{}

func (renewedError) Error() string {
	return "session: session was renewed by another request; this request's work on it was not done"
}

func (renewedError) Is(target error) bool { return target == ErrSessionGone }
