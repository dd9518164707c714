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

// TestTouchGranularity checks that a read which would move the idle
// deadline by less than the granularity writes nothing (the record's
// access time, key expiry and index score stay), that one which moves it by
// at least the granularity writes, and that the idle timeout stays exact to
// within the granularity: the session expires no later than its last read
// plus its idle timeout, and no more than the granularity before.
func TestTouchGranularity(t *testing.T) {
	const idle = 30 * time.Minute
	tests := []struct {
		name        string
		opts        []redisstore.Option
		idle        time.Duration
		granularity time.Duration
	}{
		{"set", []redisstore.Option{redisstore.WithTouchGranularity(10 * time.Second)}, idle, 10 * time.Second},
		{"default for a long idle timeout: 5 s", nil, idle, 5 * time.Second},
		{"default for one idle minute: 0.6 s", nil, time.Minute, 600 * time.Millisecond},
		{"set above half the idle timeout: half of it", []redisstore.Option{redisstore.WithTouchGranularity(time.Hour)}, 10 * time.Second, 5 * time.Second},
		// Two milliseconds, for the test's first read to come after the
		// creation (a read at the access time itself never writes).
		{"zero: every read writes", []redisstore.Option{redisstore.WithTouchGranularity(0)}, idle, 2 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			client := redistest.Client(t)
			prefix := redistest.Prefix()
			s := redisstore.New(client, append([]redisstore.Option{redisstore.WithPrefix(prefix)}, tc.opts...)...)
			ctx, at := t.Context(), now()
			id := newID(t)
			require.NoError(t, s.Create(ctx, id, store.Record{Created: at, Accessed: at, Idle: tc.idle}))
			key := recordKey(t, client, prefix)
			stored := func() (accessed string, expiry time.Duration) {
				t.Helper()
				accessed, err := client.HGet(ctx, key, "a").Result()
				require.NoError(t, err)
				expiry, err = client.PExpireTime(ctx, key).Result()
				require.NoError(t, err)
				return accessed, expiry
			}
			before, expiryBefore := stored()

			// Just under the granularity: nothing is written.
			early := at.Add(tc.granularity - time.Millisecond)
			rec, found, err := s.Load(ctx, id, early, true)
			require.NoError(t, err)
			require.True(t, found)
			after, expiryAfter := stored()
			if tc.granularity > 2*time.Millisecond {
				assert.Equal(t, before, after, "access time written")
				assert.Equal(t, expiryBefore, expiryAfter, "key expiry moved")
				assert.True(t, rec.Accessed.Equal(at), "the access time handed back is the stored one")
				// Exact to within the granularity: the session expires at
				// the stored access plus idle, before the last read plus
				// idle, by less than the granularity.
				deadline := rec.Deadline()
				lastReadDeadline := early.Add(tc.idle)
				assert.False(t, deadline.After(lastReadDeadline), "never later than the last read allows")
				assert.Less(t, lastReadDeadline.Sub(deadline), tc.granularity, "earlier by less than the granularity")
				_, found, err = s.Load(ctx, id, deadline.Add(-time.Millisecond), false)
				require.NoError(t, err)
				require.True(t, found)
			} else {
				assert.NotEqual(t, before, after, "every read writes")
			}

			// At the granularity: written.
			later := at.Add(tc.granularity)
			rec, found, err = s.Load(ctx, id, later, true)
			require.NoError(t, err)
			require.True(t, found)
			assert.True(t, rec.Accessed.Equal(later))
			_, expiryNow := stored()
			assert.Equal(t, later.Add(tc.idle).UnixMilli(), expiryNow.Milliseconds(), "the key expiry slid")
		})
	}
}
