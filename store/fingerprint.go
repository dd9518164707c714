package store

import (
	"crypto/sha256"
	"encoding/base64"
)

// Fingerprint returns the SHA-256 digest of a session ID. Stores outside the
// process key their records by it, so that a dump of the store holds nothing a
// client could present as a session cookie.
func Fingerprint(id string) [sha256.Size]byte {
	return sha256.Sum256([]byte(id))
}

// maskedBytes is how much of the fingerprint a masked ID shows: 72 bits keep
// masked IDs distinct among many millions of sessions.
const maskedBytes = 9

// MaskedID returns a short, stable name for a session ID that is safe to log:
// the first bytes of its fingerprint, base64url encoded (12 characters). It
// cannot be turned back into the ID. A store that keeps only fingerprints
// masks them the same way.
func MaskedID(id string) string {
	fp := Fingerprint(id)
	return base64.RawURLEncoding.EncodeToString(fp[:maskedBytes])
}
