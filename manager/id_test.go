package manager_test

import (
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
)

func TestCreatedIDs(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{}, nil)
	seen := map[string]bool{}
	for range 50 {
		s, _ := env.Create(t)
		id := s.GetId()
		require.Len(t, id, manager.IDLength)
		require.Len(t, id, 43)
		raw, err := base64.RawURLEncoding.Strict().DecodeString(id)
		require.NoError(t, err, "ID is not canonical base64url")
		require.Len(t, raw, 32)
		require.True(t, manager.IsValidID(id))
		require.False(t, seen[id], "ID issued twice")
		seen[id] = true
	}
	assert.Equal(t, 50, env.M.GetSessionSize())
}

func TestIsValidID(t *testing.T) {
	valid := testkit.ValidID(0)
	tests := []struct {
		name string
		id   string
		want bool
	}{
		{name: "empty", id: "", want: false},
		{name: "42 chars", id: valid[:42], want: false},
		{name: "44 chars", id: valid + "A", want: false},
		{name: "plus", id: "+" + valid[1:], want: false},
		{name: "slash", id: valid[:10] + "/" + valid[11:], want: false},
		{name: "padding", id: valid[:42] + "=", want: false},
		{name: "space", id: valid[:20] + " " + valid[21:], want: false},
		{name: "non-ASCII", id: valid[:41] + "é", want: false},
		{name: "non-canonical last char B", id: strings.Repeat("A", 42) + "B", want: false},
		{name: "non-canonical last char _", id: strings.Repeat("A", 42) + "_", want: false},
		{name: "all zero bytes", id: valid, want: true},
		{name: "all 0xFF bytes", id: testkit.ValidID(0xFF), want: true},
		{name: "canonical last char E", id: strings.Repeat("A", 42) + "E", want: true},
		{name: "dash and underscore", id: "-_" + valid[2:], want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, manager.IsValidID(tt.id))
		})
	}
}

// errReader fails every read.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// shortReader returns a few bytes per read, then EOF after n bytes in all.
type shortReader struct{ left int }

func (r *shortReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	n := min(len(p), r.left, 5)
	for i := range n {
		p[i] = 0x42
	}
	r.left -= n
	return n, nil
}

func TestFailingRandomSource(t *testing.T) {
	errBroken := errors.New("entropy pool on fire")
	tests := []struct {
		name  string
		rand  io.Reader
		cause error
	}{
		{name: "read error", rand: errReader{errBroken}, cause: errBroken},
		{name: "short reads then EOF", rand: &shortReader{left: 20}, cause: io.ErrUnexpectedEOF},
		{name: "immediate EOF", rand: &shortReader{left: 0}, cause: io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := testkit.NewEnv(t, manager.Options{Rand: tt.rand}, nil)
			rec := httptest.NewRecorder()
			s, err := env.M.CreateSession(httptest.NewRequest(http.MethodGet, "/", nil), rec)
			require.ErrorIs(t, err, manager.ErrRandom)
			assert.ErrorIs(t, err, tt.cause)
			assert.Nil(t, s)
			assert.Equal(t, 0, env.M.GetSessionSize())
			assert.Empty(t, rec.Header().Values("Set-Cookie"))
			assert.Zero(t, env.Events.CountKind(manager.Created))
		})
	}
}
