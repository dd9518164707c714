package store

import "errors"

var (
	// ErrNotFound is returned by writes to a session that does not exist
	// (never created, deleted or swept). Reads report a missing session with
	// found == false instead.
	ErrNotFound = errors.New("store: session not found")

	// ErrRenewed is returned by Update, Delete and Renew of an ID that Renew
	// moved to a new ID. Unlike ErrNotFound, the session lives on, so a
	// change (or a logout) meant for it must not be taken as done, as if the
	// session had ended; nor may it follow the record, because a request
	// that still holds the old ID (perhaps one an attacker planted before
	// the login that renewed it) must never act on the renewed session.
	// Stores report it for the latest eight former IDs of a session while it
	// lives, and at least until the idle deadline each had when it was
	// renewed; after that, or once the session ends, they answer as for an
	// unknown ID.
	ErrRenewed = errors.New("store: session was renewed to a new ID")

	// ErrExists is returned by Create and Renew when the target ID is taken.
	ErrExists = errors.New("store: session ID already exists")

	// ErrUnavailable marks a store that cannot be reached. Stores wrap their
	// connection failures with it so that callers can answer 503 instead of 500.
	ErrUnavailable = errors.New("store: unavailable")

	// ErrClosed is returned by a store used after Close.
	ErrClosed = errors.New("store: closed")

	// ErrTooManySessions is returned by Create of a store that holds as many
	// sessions as its cap allows (see [WithMaxSessions]). Nothing is
	// stored; room comes back as sessions are deleted or swept. The manager's
	// default error handler answers it with 503.
	ErrTooManySessions = errors.New("store: too many sessions")
)
