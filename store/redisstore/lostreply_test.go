package redisstore_test

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/redisstore"
)

// These tests let a write run on the server and then drop its reply, as a
// network that times out after the request went through would. The store
// must retry it and still report the right outcome, and each session must
// still be reported destroyed exactly once.

// lossyStore returns a store whose client drops the replies the returned
// hook is armed to drop, and the client itself.
func lossyStore(t *testing.T, prefix string) (store.Store, *redistest.LoseReplies, *redis.Client) {
	t.Helper()
	return lossyStoreWith(t, prefix)
}

// lossy is lossyStore on a prefix of its own, for tests that use no other
// client on it.
func lossy(t *testing.T) (store.Store, *redistest.LoseReplies) {
	t.Helper()
	s, lose, _ := lossyStore(t, redistest.Prefix())
	return s, lose
}

// lossyStoreWith is lossyStore with options.
func lossyStoreWith(t *testing.T, prefix string, opts ...redisstore.Option) (store.Store, *redistest.LoseReplies, *redis.Client) {
	t.Helper()
	client := redistest.Client(t)
	lose := &redistest.LoseReplies{}
	client.AddHook(lose)
	// Load the scripts, so that the runs under test are single EVALSHAs.
	warm := redisstore.New(client, redisstore.WithPrefix(redistest.Prefix()))
	id, at := newID(t), now()
	require.NoError(t, warm.Create(t.Context(), id, record(at, nil)))
	require.NoError(t, warm.Update(t.Context(), id, map[string]any{"k": 1}))
	next := newID(t)
	require.NoError(t, warm.Renew(t.Context(), id, next, at))
	_, _, err := warm.Delete(t.Context(), next)
	require.NoError(t, err)
	return redisstore.New(client, append([]redisstore.Option{redisstore.WithPrefix(prefix)}, opts...)...), lose, client
}

// TestDeleteReplyLostOnce checks that a Delete whose first reply is lost
// still reports the session it removed, with its values, and that nobody
// reports it again.
func TestDeleteReplyLostOnce(t *testing.T) {
	s, lose := lossy(t)
	ctx, at := t.Context(), now()
	id := newID(t)
	require.NoError(t, s.Create(ctx, id, record(at, map[string]any{"user": "ada"})))

	lose.Lose(redistest.Script(redisstore.DeleteScriptSHA), 0, 1)
	rec, deleted, err := s.Delete(ctx, id)
	require.NoError(t, err)
	require.Equal(t, 1, lose.Lost(), "the first reply was dropped")
	assert.True(t, deleted, "the retry learns that this call removed it")
	assert.Equal(t, "ada", rec.Values["user"])
	assert.True(t, rec.Created.Equal(at))

	_, again, err := s.Delete(ctx, id)
	require.NoError(t, err)
	assert.False(t, again, "a second Delete reports nothing")
	swept, err := s.Sweep(ctx, at.Add(3*time.Hour), 10)
	require.NoError(t, err)
	assert.Empty(t, swept, "nor does a sweep")
	n, err := s.Count(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
}

// TestSweepReplyLostOnce checks that a sweep whose pipeline loses replies
// runs the claims that have none again and returns every session it
// removed, once.
func TestSweepReplyLostOnce(t *testing.T) {
	s, lose := lossy(t)
	ctx, at := t.Context(), now()
	ids := []string{newID(t), newID(t), newID(t), newID(t)}
	for i, id := range ids {
		require.NoError(t, s.Create(ctx, id, record(at, map[string]any{"n": i})))
	}

	// Drop the reply of the second claim, and so of all after it. The
	// claims are picked by their marker's key, as tests outside this package
	// pick them.
	lose.Lose(redistest.ScriptWithKey("}:claim:"), 1, 1)
	swept, err := s.Sweep(ctx, at.Add(3*time.Hour), 10)
	require.NoError(t, err)
	require.Equal(t, 1, lose.Lost())
	require.Len(t, swept, len(ids), "every removed session is returned")
	seen := map[string]bool{}
	for _, e := range swept {
		seen[e.MaskedID] = true
		assert.Contains(t, e.Record.Values, "n", "with its values")
	}
	for _, id := range ids {
		assert.True(t, seen[store.MaskedID(id)], "session %s missing", store.MaskedID(id))
	}

	again, err := s.Sweep(ctx, at.Add(3*time.Hour), 10)
	require.NoError(t, err)
	assert.Empty(t, again, "a second sweep reports nothing")
	for _, id := range ids {
		_, deleted, err := s.Delete(ctx, id)
		require.NoError(t, err)
		assert.False(t, deleted, "nor does a Delete")
	}
}

// renewSteps are the three scripts of a renewal (see renew.go), by name.
var renewSteps = []struct {
	name string
	sha  string
}{
	{"start", redisstore.MoveStartScriptSHA},
	{"create", redisstore.MoveCreateScriptSHA},
	{"end", redisstore.MoveEndScriptSHA},
}

// TestRenewReplyLostOnce checks that a Renew whose reply is lost at any of
// its three steps succeeds: the retry of the step learns from what the
// first run left that it went through.
func TestRenewReplyLostOnce(t *testing.T) {
	for _, step := range renewSteps {
		t.Run(step.name, func(t *testing.T) {
			s, lose := lossy(t)
			ctx, at := t.Context(), now()
			oldID, newID := newID(t), newID(t)
			require.NoError(t, s.Create(ctx, oldID, record(at, map[string]any{"user": "ada"})))

			lose.Lose(redistest.Script(step.sha), 0, 1)
			require.NoError(t, s.Renew(ctx, oldID, newID, at.Add(time.Minute)))
			require.Equal(t, 1, lose.Lost())

			rec, found, err := s.Load(ctx, newID, at.Add(time.Minute), false)
			require.NoError(t, err)
			require.True(t, found)
			assert.Equal(t, "ada", rec.Values["user"])
			_, found, err = s.Load(ctx, oldID, at.Add(time.Minute), false)
			require.NoError(t, err)
			assert.False(t, found, "the old ID is dead")
			n, err := s.Count(ctx)
			require.NoError(t, err)
			assert.Equal(t, 1, n)
		})
	}
}

// TestCreateReplyLostOnce checks that a Create whose reply is lost succeeds
// instead of reporting its own session as taken.
func TestCreateReplyLostOnce(t *testing.T) {
	s, lose := lossy(t)
	ctx, at := t.Context(), now()
	id := newID(t)

	lose.Lose(redistest.Script(redisstore.CreateScriptSHA), 0, 1)
	require.NoError(t, s.Create(ctx, id, record(at, map[string]any{"user": "ada"})))
	require.Equal(t, 1, lose.Lost())

	rec, found, err := s.Load(ctx, id, at, false)
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, "ada", rec.Values["user"])
	assert.ErrorIs(t, s.Create(ctx, id, record(at, nil)), store.ErrExists, "another Create still finds it taken")
}

// TestUpdateReplyLostOnce checks that an Update whose reply is lost is sent
// again and succeeds.
func TestUpdateReplyLostOnce(t *testing.T) {
	s, lose := lossy(t)
	ctx, at := t.Context(), now()
	id := newID(t)
	require.NoError(t, s.Create(ctx, id, record(at, map[string]any{"gone": 1})))

	lose.Lose(redistest.Script(redisstore.UpdateScriptSHA), 0, 1)
	require.NoError(t, s.Update(ctx, id, map[string]any{"user": "ada", "gone": nil}))
	require.Equal(t, 1, lose.Lost())

	rec, found, err := s.Load(ctx, id, at, false)
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, map[string]any{"user": "ada"}, rec.Values)
}

// TestDeleteReplyLostEveryTime checks the case the retries cannot fix: every
// reply of a Delete is lost. The call fails with store.ErrUnavailable after
// a bounded number of attempts, and the session is not lost with the
// replies: once the store reaches Redis again it puts the session back, so
// that the sweep of any instance reports it at its deadline, exactly once.
func TestDeleteReplyLostEveryTime(t *testing.T) {
	for _, tc := range []struct {
		name string
		// settle is the store's next call after the failure.
		settle func(t *testing.T, s store.Store, at time.Time) []store.Entry
	}{
		{"a sweep of the same store reports it", func(t *testing.T, s store.Store, at time.Time) []store.Entry {
			swept, err := s.Sweep(t.Context(), at.Add(3*time.Hour), 10)
			require.NoError(t, err)
			return swept
		}},
		{"after the store's next call any sweep reports it", func(t *testing.T, s store.Store, at time.Time) []store.Entry {
			n, err := s.Count(t.Context())
			require.NoError(t, err)
			assert.Equal(t, 1, n, "the failed delete did not happen")
			return nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prefix := redistest.Prefix()
			s, lose, client := lossyStore(t, prefix)
			other := redisstore.New(redistest.Client(t), redisstore.WithPrefix(prefix))
			ctx, at := t.Context(), now()
			id := newID(t)
			require.NoError(t, s.Create(ctx, id, record(at, map[string]any{"user": "ada"})))

			lose.Lose(redistest.Script(redisstore.DeleteScriptSHA), 0, -1)
			_, deleted, err := s.Delete(ctx, id)
			require.ErrorIs(t, err, store.ErrUnavailable)
			assert.False(t, deleted)
			assert.Equal(t, redisstore.WriteAttempts, lose.Lost(), "a bounded number of attempts")
			lose.Stop()

			swept := tc.settle(t, s, at)
			if len(swept) == 0 {
				rec, found, err := other.Load(ctx, id, at, false)
				require.NoError(t, err)
				require.True(t, found, "the session is back until its deadline")
				assert.Equal(t, "ada", rec.Values["user"])
				expiry, err := client.PExpireTime(ctx, recordKey(t, client, prefix)).Result()
				require.NoError(t, err)
				assert.Equal(t, at.Add(30*time.Minute).UnixMilli(), expiry.Milliseconds(), "with its expiry")
			}
			more, err := other.Sweep(ctx, at.Add(3*time.Hour), 10)
			require.NoError(t, err)
			swept = append(swept, more...)
			require.Len(t, swept, 1, "reported once")
			assert.Equal(t, store.MaskedID(id), swept[0].MaskedID)
			assert.Equal(t, "ada", swept[0].Record.Values["user"])

			for _, st := range []store.Store{s, other} {
				again, err := st.Sweep(ctx, at.Add(3*time.Hour), 10)
				require.NoError(t, err)
				assert.Empty(t, again, "and only once")
				_, deleted, err := st.Delete(ctx, id)
				require.NoError(t, err)
				assert.False(t, deleted)
			}
		})
	}
}

// TestSweepReplyLostEveryTime checks that a sweep whose claims lose every
// reply fails with store.ErrUnavailable, and that the sessions it took are
// put back and reported by a later sweep, each once.
func TestSweepReplyLostEveryTime(t *testing.T) {
	prefix := redistest.Prefix()
	s, lose, _ := lossyStore(t, prefix)
	other := redisstore.New(redistest.Client(t), redisstore.WithPrefix(prefix))
	ctx, at := t.Context(), now()
	ids := []string{newID(t), newID(t), newID(t)}
	for _, id := range ids {
		require.NoError(t, s.Create(ctx, id, record(at, nil)))
	}

	lose.Lose(redistest.Script(redisstore.DeleteScriptSHA), 0, -1)
	swept, err := s.Sweep(ctx, at.Add(3*time.Hour), 10)
	require.ErrorIs(t, err, store.ErrUnavailable)
	assert.Empty(t, swept)
	lose.Stop()

	_, err = s.Count(ctx) // the store's next call puts the sessions back
	require.NoError(t, err)
	swept, err = other.Sweep(ctx, at.Add(3*time.Hour), 10)
	require.NoError(t, err)
	assert.Len(t, swept, len(ids), "each reported once")
	again, err := s.Sweep(ctx, at.Add(3*time.Hour), 10)
	require.NoError(t, err)
	assert.Empty(t, again)
}

// TestCreateReplyLostEveryTime checks that a Create that loses every reply
// fails with store.ErrUnavailable and is taken back at the store's next
// call: nobody saw the session created, so nobody may see it destroyed.
func TestCreateReplyLostEveryTime(t *testing.T) {
	s, lose := lossy(t)
	ctx, at := t.Context(), now()
	id := newID(t)

	lose.Lose(redistest.Script(redisstore.CreateScriptSHA), 0, -1)
	require.ErrorIs(t, s.Create(ctx, id, record(at, nil)), store.ErrUnavailable)
	require.Equal(t, redisstore.WriteAttempts, lose.Lost())
	lose.Stop()

	n, err := s.Count(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "the create was taken back")
	_, found, err := s.Load(ctx, id, at, false)
	require.NoError(t, err)
	assert.False(t, found)
	swept, err := s.Sweep(ctx, at.Add(3*time.Hour), 10)
	require.NoError(t, err)
	assert.Empty(t, swept, "and is never reported destroyed")
}

// TestRenewReplyLostEveryTime checks a Renew whose every reply is lost at
// one of its steps. Lost at the start or the create, it fails with
// store.ErrUnavailable; lost at the end, the renewal took effect and it
// succeeds. Either way the old ID is dead at once and stays so, and the
// session, which lives on under the new ID (nobody was given it when the
// call failed), is reported exactly once, by the sweep at its deadline, with
// its values: the sweep of any instance finishes the half-done renewal.
func TestRenewReplyLostEveryTime(t *testing.T) {
	for _, step := range renewSteps {
		t.Run(step.name, func(t *testing.T) {
			prefix := redistest.Prefix()
			s, lose, _ := lossyStore(t, prefix)
			other := redisstore.New(redistest.Client(t), redisstore.WithPrefix(prefix))
			ctx, at := t.Context(), now()
			oldID, newID, third := newID(t), newID(t), newID(t)
			require.NoError(t, s.Create(ctx, oldID, record(at, map[string]any{"user": "ada"})))

			lose.Lose(redistest.Script(step.sha), 0, -1)
			err := s.Renew(ctx, oldID, newID, at)
			if step.name == "end" {
				require.NoError(t, err, "the renewal took effect")
			} else {
				require.ErrorIs(t, err, store.ErrUnavailable)
			}
			require.Equal(t, redisstore.WriteAttempts, lose.Lost())
			lose.Stop()

			for _, st := range []store.Store{s, other} {
				_, found, err := st.Load(ctx, oldID, at, false)
				require.NoError(t, err)
				assert.False(t, found, "the old ID is dead")
				assert.ErrorIs(t, st.Update(ctx, oldID, map[string]any{"k": "v"}), store.ErrRenewed)
				assert.ErrorIs(t, st.Renew(ctx, oldID, third, at), store.ErrRenewed, "a second renewal loses")
			}

			// Before the session's deadline, the sweep finishes the renewal
			// and reports nothing.
			early, err := other.Sweep(ctx, at.Add(redisstore.MoveGrace), 10)
			require.NoError(t, err)
			assert.Empty(t, early, "the session lives on")
			rec, found, err := other.Load(ctx, newID, at, false)
			require.NoError(t, err)
			require.True(t, found, "under the new ID")
			assert.Equal(t, "ada", rec.Values["user"])
			n, err := other.Count(ctx)
			require.NoError(t, err)
			assert.Equal(t, 1, n, "counted once")

			swept := sweepAll(t, []store.Store{other, s}, at.Add(3*time.Hour))
			require.Len(t, swept, 1)
			assert.Equal(t, store.MaskedID(newID), swept[0].MaskedID)
			assert.Equal(t, "ada", swept[0].Record.Values["user"])
			_, deleted, err := s.Delete(ctx, oldID)
			require.NoError(t, err, "the old ID of a session that ended is unknown")
			assert.False(t, deleted)
		})
	}
}

// sweepAll sweeps with each store in turn until a round of all of them
// finds nothing, and returns what they swept.
func sweepAll(t *testing.T, stores []store.Store, at time.Time) []store.Entry {
	t.Helper()
	var all []store.Entry
	for range 10 {
		found := 0
		for _, st := range stores {
			swept, err := st.Sweep(t.Context(), at, 100)
			require.NoError(t, err)
			found += len(swept)
			all = append(all, swept...)
		}
		if found == 0 {
			return all
		}
	}
	t.Fatal("the sweeps never ran dry")
	return nil
}

// TestWriteErrorReplyNotRetried checks that an error Redis answers (here,
// a record of the wrong type) is returned at once: the command did not take
// effect, so there is nothing to learn by sending it again.
func TestWriteErrorReplyNotRetried(t *testing.T) {
	client := redistest.Client(t)
	trips := &redistest.RoundTrips{}
	client.AddHook(trips)
	prefix := redistest.Prefix()
	s := redisstore.New(client, redisstore.WithPrefix(prefix))
	ctx, at := t.Context(), now()
	id := newID(t)
	require.NoError(t, s.Create(ctx, id, record(at, nil)))
	key := recordKey(t, client, prefix)
	require.NoError(t, client.Del(ctx, key).Err())
	require.NoError(t, client.Set(ctx, key, "not a hash", 0).Err())

	var err error
	n := trips.During(func() { _, _, err = s.Delete(ctx, id) })
	require.Error(t, err)
	assert.NotErrorIs(t, err, store.ErrUnavailable)
	assert.LessOrEqual(t, n, int64(2), "one EVALSHA, and one EVAL on a NOSCRIPT miss")
}
