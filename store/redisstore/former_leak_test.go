package redisstore_test

import (
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/redisstore"
)

// TestFormerKeysGoWithAResetSession checks that the former keys of a
// session without deadlines (MaxAge and MaxInactiveInterval both off) go
// when the session ends after Load reset its record
// (WithResetOnDecodeError). Such keys never expire, so only the end of the
// session removes them; a claim that finds the index entry but no record
// must still remove them, or they stay in Redis for ever and the old ID
// answers ErrRenewed for a session that no longer exists.
func TestFormerKeysGoWithAResetSession(t *testing.T) {
	s, client, prefix := storeOnOwnPrefix(t, redisstore.WithResetOnDecodeError())
	ctx, at := t.Context(), now()
	oldID, curID := newID(t), newID(t)
	forever := store.Record{Values: map[string]any{"user": "ada"}, Created: at, Accessed: at}
	require.NoError(t, s.Create(ctx, oldID, forever))
	require.NoError(t, s.Renew(ctx, oldID, curID, at))

	// A value that no longer decodes (a type that changed between releases).
	fp := store.Fingerprint(curID)
	rec := recordKeyOf(t, client, prefix, base64.RawURLEncoding.EncodeToString(fp[:]))
	require.NoError(t, client.HSet(ctx, rec, "vuser", "\xffnot a value").Err())
	_, found, err := s.Load(ctx, curID, at, true)
	require.NoError(t, err)
	require.False(t, found, "the record was reset")

	_, deleted, err := s.Delete(ctx, curID) // an administrator ends it
	require.NoError(t, err)
	require.True(t, deleted, "the session is reported once")

	former, err := client.Keys(ctx, "{"+prefix+":*}:r:*").Result() // a test may scan; the store never does
	require.NoError(t, err)
	assert.Empty(t, former, "former keys left after the session ended")
	assert.ErrorIs(t, s.Update(ctx, oldID, map[string]any{"k": "v"}), store.ErrNotFound,
		"the old ID of an ended session")
}
