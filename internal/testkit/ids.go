package testkit

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/store"
)

// ValidID returns a well-formed session ID made of b repeated: the same
// for every call, so that a test can name one ID without a manager.
func ValidID(b byte) string {
	return base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32))
}

// RandomID returns a well-formed session ID that no manager issued.
func RandomID(t testing.TB) string {
	t.Helper()
	var b [32]byte
	_, err := rand.Read(b[:])
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ErrEntropy is what an IDRecorder returns while Fail is on.
var ErrEntropy = errors.New("test: random source failed")

// IDRecorder is a random source (Options.Rand) that reads crypto/rand and
// records, base64url-encoded, every read it serves. A manager makes one ID
// from one 32-byte read, so the record holds every ID it issued, refused
// ones included, for a test to look for in logs, events and errors.
type IDRecorder struct {
	// Fail makes every read fail with ErrEntropy while it is on.
	Fail atomic.Bool

	mu  sync.Mutex
	ids []string
}

// Read fills p from crypto/rand and records it.
func (r *IDRecorder) Read(p []byte) (int, error) {
	if r.Fail.Load() {
		return 0, ErrEntropy
	}
	n, err := io.ReadFull(rand.Reader, p)
	if n > 0 { // an empty record would be "found" in any text
		r.mu.Lock()
		r.ids = append(r.ids, base64.RawURLEncoding.EncodeToString(p[:n]))
		r.mu.Unlock()
	}
	return n, err
}

// Issued returns every read served so far, in order.
func (r *IDRecorder) Issued() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids...)
}

// FoundIn returns the masked form of the first recorded ID that text holds,
// or "" when it holds none.
func (r *IDRecorder) FoundIn(text string) string {
	for _, id := range r.Issued() {
		if strings.Contains(text, id) {
			return store.MaskedID(id)
		}
	}
	return ""
}
