package manager

import (
	"errors"

	"github.com/sessionkit/session/store"
)

var (
	// ErrInvalidID is returned when a session creator returns an ID that is
	// not 43 base64url characters (32 random bytes), the only form a cookie
	// can bring back.
	ErrInvalidID = errors.New("session: session ID must be 43 base64url characters (32 random bytes)")

	// ErrRandom is returned when the random source fails. No session is made
	// with a weaker ID instead.
	ErrRandom = errors.New("session: random source failed")

	// ErrInvalidKey is returned by Set and Delete for a key that is not a
	// non-empty string.
	ErrInvalidKey = errors.New("session: key must be a non-empty string")

	// ErrSessionGone is returned when a session was destroyed, expired or
	// renewed by another request while this one was using it.
	ErrSessionGone = errors.New("session: session no longer exists")

	// ErrNoSession is returned by operations that need a current session
	// when the request has none.
	ErrNoSession = errors.New("session: request has no session")

	// ErrHeadersWritten is returned when a cookie had to be sent after the
	// response's headers went out.
	ErrHeadersWritten = errors.New("session: response headers already written")

	// ErrUnavailable wraps a store failure while looking a session up. The
	// default error handler answers it with 503.
	ErrUnavailable = errors.New("session: session store unavailable")

	// ErrCommitFailed is returned by writes to a response whose session
	// changes could not be stored; the error handler has answered instead.
	ErrCommitFailed = errors.New("session: session changes could not be stored")

	// ErrTooManySessions is [store.ErrTooManySessions], re-exported: the
	// store holds as many sessions as its cap allows (see
	// [Options.MaxSessions]), so CreateSession made none. The default error
	// handler answers it with 503.
	ErrTooManySessions = store.ErrTooManySessions
)
