package manager

import (
	"io"

	"github.com/sessionkit/session/internal/seam"
)

// newID reads a session ID from random: 32 bytes, base64url encoded. A short
// read is an error wrapping ErrRandom: an ID is never padded out or made
// from less randomness.
func newID(random io.Reader) (string, error) { return seam.NewID(random) }

// IsValidID reports whether id has the form of a session ID: 43 base64url
// characters that decode to exactly 32 bytes. Anything else is rejected
// before any store sees it.
func IsValidID(id string) bool { return seam.ValidID(id) }
