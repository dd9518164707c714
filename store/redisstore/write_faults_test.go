package redisstore_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/redisstore"
)

// Faults on the write path, which builds EVALSHA by hand and shares its
// retry and doubt handling between Update and SetExpires (writeRecord) and
// between Delete and DeleteUserSession (claimRetried).

// An update sent after SCRIPT FLUSH gets NOSCRIPT, then goes out as EVAL
// with the source; when that EVAL's reply is lost, the retry must still
// land the update (it goes out as EVALSHA again, which the EVAL loaded).
func TestUpdateNoscriptThenLostReply(t *testing.T) {
	s, lose, client := lossyStore(t, redistest.Prefix())
	ctx, at := t.Context(), now()
	id := newID(t)
	require.NoError(t, s.Create(ctx, id, record(at, map[string]any{"gone": 1})))
	require.NoError(t, client.ScriptFlush(ctx).Err())

	lose.Lose(redistest.Script(redisstore.UpdateScriptSHA), 1, 1) // skip the NOSCRIPT, lose the EVAL's reply
	require.NoError(t, s.Update(ctx, id, map[string]any{"user": "ada", "gone": nil}))
	require.Equal(t, 1, lose.Lost())

	rec, found, err := s.Load(ctx, id, at, false)
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, map[string]any{"user": "ada"}, rec.Values)
}

// An update whose every reply is lost fails with store.ErrUnavailable
// after a bounded number of attempts, so that the manager answers it
// through the error handler instead of a 200.
func TestUpdateReplyLostEveryTime(t *testing.T) {
	s, lose := lossy(t)
	ctx, at := t.Context(), now()
	id := newID(t)
	require.NoError(t, s.Create(ctx, id, record(at, nil)))

	lose.Lose(redistest.Script(redisstore.UpdateScriptSHA), 0, -1)
	err := s.Update(ctx, id, map[string]any{"user": "ada"})
	require.ErrorIs(t, err, store.ErrUnavailable)
	assert.Equal(t, redisstore.WriteAttempts, lose.Lost())
}

// SetExpires shares writeRecord with Update: a lost reply is retried and
// the call succeeds with the deadline moved; every reply lost is
// store.ErrUnavailable.
func TestSetExpiresReplyLost(t *testing.T) {
	t.Run("once", func(t *testing.T) {
		s, lose := lossy(t)
		ctx, at := t.Context(), now()
		id := newID(t)
		require.NoError(t, s.Create(ctx, id, record(at, map[string]any{"n": 1})))
		lose.Lose(redistest.Script(redisstore.SetExpiresScriptSHA), 0, 1)
		require.NoError(t, s.SetExpires(ctx, id, at.Add(time.Hour)))
		require.Equal(t, 1, lose.Lost())
		rec, found, err := s.Load(ctx, id, at, false)
		require.NoError(t, err)
		require.True(t, found)
		assert.True(t, rec.Expires.Equal(at.Add(time.Hour)), "expires %v", rec.Expires)
	})
	t.Run("every time", func(t *testing.T) {
		s, lose := lossy(t)
		ctx, at := t.Context(), now()
		id := newID(t)
		require.NoError(t, s.Create(ctx, id, record(at, nil)))
		lose.Lose(redistest.Script(redisstore.SetExpiresScriptSHA), 0, -1)
		require.ErrorIs(t, s.SetExpires(ctx, id, at.Add(time.Hour)), store.ErrUnavailable)
		assert.Equal(t, redisstore.WriteAttempts, lose.Lost())
	})
}

// DeleteUserSession shares claimRetried with Delete. A lost reply is
// retried under the same token and reports the session it removed, once,
// and the user's index no longer lists it.
func TestDeleteUserSessionReplyLostOnce(t *testing.T) {
	s, lose := lossy(t)
	ctx, at := t.Context(), now()
	id := newID(t)
	require.NoError(t, s.Create(ctx, id, record(at, map[string]any{"n": 1})))
	require.NoError(t, s.SetUser(ctx, id, "ada"))

	lose.Lose(redistest.Script(redisstore.DeleteScriptSHA), 0, 1)
	rec, deleted, err := s.DeleteUserSession(ctx, "ada", store.MaskedID(id))
	require.NoError(t, err)
	require.Equal(t, 1, lose.Lost())
	assert.True(t, deleted, "the retry learns that this call removed it")
	assert.Equal(t, 1, rec.Values["n"])

	listed, err := s.UserSessions(ctx, "ada", at)
	require.NoError(t, err)
	assert.Empty(t, listed)
	_, again, err := s.DeleteUserSession(ctx, "ada", store.MaskedID(id))
	require.NoError(t, err)
	assert.False(t, again)
	swept, err := s.Sweep(ctx, at.Add(3*time.Hour), 10)
	require.NoError(t, err)
	assert.Empty(t, swept, "nor does a sweep report it")
}

// A DeleteUserSession whose every reply is lost fails with
// store.ErrUnavailable, and the session is put back at the store's next
// call: still listed for its user, deletable, and reported once.
func TestDeleteUserSessionReplyLostEveryTime(t *testing.T) {
	s, lose := lossy(t)
	ctx, at := t.Context(), now()
	id := newID(t)
	require.NoError(t, s.Create(ctx, id, record(at, map[string]any{"n": 1})))
	require.NoError(t, s.SetUser(ctx, id, "ada"))

	lose.Lose(redistest.Script(redisstore.DeleteScriptSHA), 0, -1)
	_, deleted, err := s.DeleteUserSession(ctx, "ada", store.MaskedID(id))
	require.ErrorIs(t, err, store.ErrUnavailable)
	assert.False(t, deleted)
	lose.Stop()

	listed, err := s.UserSessions(ctx, "ada", at)
	require.NoError(t, err)
	require.Len(t, listed, 1, "the failed delete did not happen: the session is back in its user's index")
	assert.Equal(t, store.MaskedID(id), listed[0].MaskedID)

	rec, deleted, err := s.DeleteUserSession(ctx, "ada", store.MaskedID(id))
	require.NoError(t, err)
	assert.True(t, deleted)
	assert.Equal(t, 1, rec.Values["n"])
	swept, err := s.Sweep(ctx, at.Add(3*time.Hour), 10)
	require.NoError(t, err)
	assert.Empty(t, swept)
}

// The update builds the record key and the former key as two halves of one
// string. Whatever the ID's length, the shard count or the prefix, the
// update must reach the record Create made (ErrNotFound would mean another
// key), and an update of an ID renewed away must find its former key and
// answer store.ErrRenewed (the manager then follows the renewal instead of
// dropping the write).
func TestUpdateKeysOfUnusualIDs(t *testing.T) {
	ids := map[string]string{
		"one byte":   "x",
		"empty":      "",
		"44 bytes":   newID(t) + "A",
		"100 bytes":  string(make([]byte, 100)),
		"1000 bytes": string(make([]byte, 1000)) + "z",
		"braces":     "{}:s:{",
	}
	for _, shards := range []int{1, 3, 16} {
		for _, prefix := range []string{redistest.Prefix(), redistest.Prefix() + "-a-much-longer-prefix-of-its-own"} {
			s := redisstore.New(redistest.Client(t), redisstore.WithPrefix(prefix), redisstore.WithShards(shards))
			for name, id := range ids {
				t.Run(name, func(t *testing.T) {
					ctx, at := t.Context(), now()
					require.NoError(t, s.Create(ctx, id, record(at, map[string]any{"a": 1, "b": 2})))
					require.NoError(t, s.Update(ctx, id, map[string]any{"a": nil, "c": 3}))
					rec, found, err := s.Load(ctx, id, at, false)
					require.NoError(t, err)
					require.True(t, found)
					assert.Equal(t, map[string]any{"b": 2, "c": 3}, rec.Values)

					next := newID(t)
					require.NoError(t, s.Renew(ctx, id, next, at))
					assert.ErrorIs(t, s.Update(ctx, id, map[string]any{"d": 4}), store.ErrRenewed, "an update of the ID renewed away")
					_, _, err = s.Delete(ctx, next)
					require.NoError(t, err)
				})
			}
		}
	}
}

// Concurrent updates of different keys of one session, each of one key
// (the path that skips the sort) and of many keys, all survive: the write
// is per key, not a whole-record overwrite.
func TestConcurrentUpdatesOfDifferentKeys(t *testing.T) {
	s := redisstore.New(redistest.Client(t), redisstore.WithPrefix(redistest.Prefix()), redisstore.WithShards(4))
	ctx, at := t.Context(), now()
	id := newID(t)
	require.NoError(t, s.Create(ctx, id, record(at, nil)))
	const writers = 16
	errs := make(chan error, writers)
	want := map[string]any{}
	for w := range writers {
		changes := map[string]any{string(rune('a' + w)): w}
		if w%2 == 1 {
			for k := range 5 {
				changes[string(rune('a'+w))+string(rune('0'+k))] = k
			}
		}
		for k, v := range changes {
			want[k] = v
		}
		go func() { errs <- s.Update(ctx, id, changes) }()
	}
	for range writers {
		require.NoError(t, <-errs)
	}
	rec, found, err := s.Load(ctx, id, at, false)
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, want, rec.Values)
}
