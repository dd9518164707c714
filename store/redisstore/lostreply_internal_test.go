package redisstore

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/store"
)

// lost is a lost reply, as a read timeout reports it.
type lost struct{}

func (lost) Error() string   { return "i/o timeout" }
func (lost) Timeout() bool   { return true }
func (lost) Temporary() bool { return true }

// TestRetryHonoursContext checks that a write whose replies are lost is sent
// again only while the caller's context allows: not once it is cancelled,
// and not when its deadline leaves no time for the pause before a retry.
func TestRetryHonoursContext(t *testing.T) {
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	soon, stop := context.WithDeadline(t.Context(), time.Now().Add(retryPause/2))
	defer stop()
	tests := []struct {
		name string
		ctx  context.Context
		want int
	}{
		{"no deadline: every attempt", t.Context(), writeAttempts},
		{"cancelled", cancelled, 1},
		{"deadline before the pause ends", soon, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sent := 0
			doubtful, err := retry(tc.ctx, func() error { sent++; return lost{} })
			assert.Equal(t, tc.want, sent)
			assert.ErrorIs(t, err, lost{})
			assert.True(t, doubtful, "a lost reply leaves the call in doubt")
		})
	}
}

// answer is an error reply from Redis.
type answer string

func (a answer) Error() string { return string(a) }
func (answer) RedisError()     {}

// TestRetryStopsAtAnAnswer checks that only lost replies are retried, and
// that a call whose first reply was lost stays in doubt whatever a later
// attempt answered.
func TestRetryStopsAtAnAnswer(t *testing.T) {
	tests := []struct {
		name         string
		replies      []error
		wantSent     int
		wantDoubtful bool
	}{
		{"success", []error{nil}, 1, false},
		{"an error reply", []error{answer("ERR refused")}, 1, false},
		{"lost, then success", []error{lost{}, nil}, 2, false},
		{"lost, then an error reply", []error{lost{}, answer("LOADING")}, 2, true},
		{"lost, then the context ended", []error{lost{}, context.DeadlineExceeded}, 2, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sent := 0
			doubtful, err := retry(t.Context(), func() error { sent++; return tc.replies[sent-1] })
			assert.Equal(t, tc.wantSent, sent)
			assert.Equal(t, tc.replies[len(tc.replies)-1], err)
			assert.Equal(t, tc.wantDoubtful, doubtful)
		})
	}
}

// TestLateCopyAfterReleaseDoesNothing checks the tombstone a release leaves:
// a copy of the claim or create that reaches Redis after the store took it
// back (it was sent before the store gave up, and delayed) must not claim
// the session again, or create it again, where nobody hears the answer.
func TestLateCopyAfterReleaseDoesNothing(t *testing.T) {
	ctx := t.Context()
	s := newStore(redistest.Client(t), WithPrefix(redistest.Prefix()))
	at := time.Now().Truncate(time.Millisecond)
	rec := store.Record{Created: at, Accessed: at, Idle: 30 * time.Minute}
	count := func() int {
		t.Helper()
		n, err := s.Count(ctx)
		require.NoError(t, err)
		return n
	}

	t.Run("claim", func(t *testing.T) {
		id := "claim-" + redistest.Prefix()
		require.NoError(t, s.Create(ctx, id, rec))
		fp, token := fingerprint(id), "late-claim"
		_, _, claimed, _, err := s.claim(ctx, fp, token, "") // ran; say its reply was lost
		require.NoError(t, err)
		require.True(t, claimed)
		s.doubts.add(doubt{kind: claimMarker, token: token, fp: fp})
		assert.Equal(t, 1, count(), "taken back")

		_, _, claimed, _, err = s.claim(ctx, fp, token, "") // the late copy
		require.NoError(t, err)
		assert.False(t, claimed)
		assert.Equal(t, 1, count())
		_, deleted, err := s.Delete(ctx, id)
		require.NoError(t, err)
		assert.True(t, deleted, "a new Delete claims it")
	})

	t.Run("create", func(t *testing.T) {
		id := "create-" + redistest.Prefix()
		fp, token := fingerprint(id), "late-create"
		shard := s.shardOf(fp)
		keys := []string{s.recordKey(fp), s.indexKey(shard), s.markerKey(shard, createMarker, token)}
		args := []any{fp, millis(rec.Deadline()), int64(0), markerTTL.Milliseconds(),
			"c", millis(at), "a", millis(at), "i", rec.Idle.Milliseconds(), "e", int64(0)}
		require.NoError(t, createScript.Run(ctx, s.client, keys, args...).Err()) // reply "lost"
		s.doubts.add(doubt{kind: createMarker, token: token, fp: fp})
		assert.Zero(t, count(), "taken back")

		require.NoError(t, createScript.Run(ctx, s.client, keys, args...).Err()) // the late copy
		assert.Zero(t, count())
		_, found, err := s.Load(ctx, id, at, false)
		require.NoError(t, err)
		assert.False(t, found)
	})
}
