package store

import "errors"

var (
	// ErrNotFound is returned by writes to a session that does not exist
	// (never created, deleted, renewed away or swept). Reads report a missing
	// session with found == false instead.
	ErrNotFound = errors.New("store: session not found")

	// ErrExists is returned by Create and Renew when the target ID is taken.
	ErrExists = errors.New("store: session ID already exists")

	// ErrUnavailable marks a store that cannot be reached. Stores wrap their
	// connection failures with it so that callers can answer 503 instead of 500.
	ErrUnavailable = errors.New("store: unavailable")

	// ErrClosed is returned by a store used after Close.
	ErrClosed = errors.New("store: closed")
)
