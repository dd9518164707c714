package seam

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
)

const (
	// idBytes is the entropy of a session ID: 256 bits, twice the floor that
	// OWASP ASVS sets.
	idBytes = 32
	// IDLength is the length of a session ID: idBytes in unpadded base64url.
	IDLength = 43
)

// ErrRandom is returned when the random source fails. Package manager
// exports it as manager.ErrRandom.
var ErrRandom = errors.New("session: random source failed")

// NewID reads a session ID from random. A short read is an error wrapping
// ErrRandom: an ID is never padded out or made from less randomness.
func NewID(random io.Reader) (string, error) {
	var b [idBytes]byte
	if _, err := io.ReadFull(random, b[:]); err != nil {
		return "", fmt.Errorf("%w: %w", ErrRandom, err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// base64URLValue maps each byte to its base64url value, or 0xFF for bytes
// outside the alphabet.
var base64URLValue = func() (t [256]byte) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := range t {
		t[i] = 0xFF
	}
	for i := range len(alphabet) {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// ValidID reports whether id has the form of a session ID: 43 base64url
// characters that decode to exactly 32 bytes.
func ValidID(id string) bool {
	if len(id) != IDLength {
		return false
	}
	for i := range len(id) {
		if base64URLValue[id[i]] == 0xFF {
			return false
		}
	}
	// 43 characters carry 258 bits; the canonical encoding of 256 bits
	// leaves the last character's two low bits zero.
	return base64URLValue[id[IDLength-1]]&0b11 == 0
}
