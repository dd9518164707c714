package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sessionFileOf returns the bytes of a session file holding sessions, whole
// and with a checksum that matches, as a save would write them.
func sessionFileOf(t *testing.T, sessions ...savedSession) []byte {
	t.Helper()
	var body bytes.Buffer
	enc := gob.NewEncoder(&body)
	for i := range sessions {
		require.NoError(t, enc.Encode(&sessions[i]))
	}
	var out bytes.Buffer
	out.WriteString(fileMagic)
	binary.Write(&out, binary.BigEndian, uint32(fileVersion))
	binary.Write(&out, binary.BigEndian, uint64(headerSize+body.Len()+trailerSize))
	out.Write(body.Bytes())
	var count [8]byte
	binary.BigEndian.PutUint64(count[:], uint64(len(sessions)))
	sum := sha256.New()
	sum.Write(body.Bytes())
	sum.Write(count[:])
	out.Write(count[:])
	out.Write(sum.Sum(nil))
	return out.Bytes()
}

// TestOpenMemoryRefusesASessionWhoseIDWasLost: a session of ID "" is saved
// with a mark that says so, so that a message that lost its ID (forged, or
// from a bug of the writer) is still refused rather than loaded as the
// session "", and so is a message with both an ID and the mark.
func TestOpenMemoryRefusesASessionWhoseIDWasLost(t *testing.T) {
	good := savedSession{ID: testID(t), Created: testBase, Accessed: testBase, Idle: time.Hour}
	for name, tc := range map[string]struct {
		bad     savedSession
		problem string
	}{
		"no ID":              {savedSession{Created: testBase, Accessed: testBase, Idle: time.Hour}, "a session without an ID"},
		"an ID marked empty": {savedSession{ID: testID(t), EmptyID: true, Accessed: testBase, Idle: time.Hour}, "an ID said to be empty"},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sessions")
			require.NoError(t, os.WriteFile(path, sessionFileOf(t, good, tc.bad), 0o600))
			st, err := OpenMemory(path)
			require.ErrorIs(t, err, ErrBadSessionFile)
			assert.Contains(t, err.Error(), tc.problem)
			assert.Nil(t, st)
		})
	}
	// The same file with the empty ID marked loads both sessions.
	path := filepath.Join(t.TempDir(), "sessions")
	empty := savedSession{EmptyID: true, Created: testBase, Accessed: testBase, Idle: time.Hour}
	require.NoError(t, os.WriteFile(path, sessionFileOf(t, good, empty), 0o600))
	st, err := OpenMemory(path)
	require.NoError(t, err)
	defer st.Close()
	for _, id := range []string{good.ID, ""} {
		_, found, err := st.Load(t.Context(), id, testBase, false)
		require.NoError(t, err)
		assert.True(t, found, "session %q", id)
	}
}
