package redisstore_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
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

// A read that finds a touch due sends it as a second round trip; these
// tests put another client's work between the two, and check that the
// touch acts only on what the read saw.

// storedTimes is what a touch would change: the record's access time, its
// key's expiry and its index score; absent parts are "", 0 and "".
func storedTimes(t *testing.T, client *redis.Client, prefix, fp string) (accessed string, expiry time.Duration, score string) {
	t.Helper()
	ctx := t.Context()
	keys, err := client.Keys(ctx, "{"+prefix+":*}:s:"+fp).Result() // a test may scan
	require.NoError(t, err)
	if len(keys) == 1 {
		accessed = client.HGet(ctx, keys[0], "a").Val()
		expiry = client.PExpireTime(ctx, keys[0]).Val()
	}
	indexes, err := client.Keys(ctx, "{"+prefix+":*}:idx").Result()
	require.NoError(t, err)
	for _, index := range indexes {
		if s, err := client.ZScore(ctx, index, fp).Result(); err == nil {
			score = time.UnixMilli(int64(s)).UTC().Format(time.RFC3339Nano)
		}
	}
	return accessed, expiry, score
}

// TestTouchAfterConcurrentEnd checks that a touch racing the end or the
// renewal of its session (a Delete, a Renew, a Sweep of another instance
// whose clock is ahead, between the read and the touch) brings nothing back
// and extends nothing: the old ID stays dead, the record a renewal made
// keeps its own times, and the session is reported once. The Load itself
// answers what its read saw, the session as it was before the other call.
func TestTouchAfterConcurrentEnd(t *testing.T) {
	tests := []struct {
		name string
		// end ends or moves id at the read's time plus a minute; renewed
		// is the ID it moved the session to, if any.
		end func(t *testing.T, s store.Store, cut *unreachableScript, id, renewed string, at time.Time)
		// renews is set when end moves the session to renewed.
		renews bool
	}{
		{"Delete", func(t *testing.T, s store.Store, _ *unreachableScript, id, _ string, _ time.Time) {
			_, claimed, err := s.Delete(t.Context(), id)
			require.NoError(t, err)
			assert.True(t, claimed)
		}, false},
		{"Sweep", func(t *testing.T, s store.Store, _ *unreachableScript, _, _ string, at time.Time) {
			swept, err := s.Sweep(t.Context(), at.Add(3*time.Hour), 10)
			require.NoError(t, err)
			assert.Len(t, swept, 1)
		}, false},
		{"Renew", func(t *testing.T, s store.Store, _ *unreachableScript, id, renewed string, at time.Time) {
			require.NoError(t, s.Renew(t.Context(), id, renewed, at.Add(time.Second)))
		}, true},
		// The old record is still there, marked as moving, when the
		// renewal's last step has not run yet.
		{"Renew, its last step not yet run", func(t *testing.T, s store.Store, cut *unreachableScript, id, renewed string, at time.Time) {
			cut.on.Store(true)
			defer cut.on.Store(false)
			require.NoError(t, s.Renew(t.Context(), id, renewed, at.Add(time.Second)))
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			client := redistest.Client(t)
			prefix := redistest.Prefix()
			between := redistest.NewInterject("hgetall")
			cut := &unreachableScript{sha: redisstore.MoveEndScriptSHA}
			client.AddHook(between)
			client.AddHook(cut)
			s := redisstore.New(client, redisstore.WithPrefix(prefix))
			ctx, at := t.Context(), now()
			id, renewed := newID(t), newID(t)
			require.NoError(t, s.Create(ctx, id, record(at, map[string]any{"k": "v"})))
			var renewedBefore [3]any
			between.Arm(func() {
				tc.end(t, s, cut, id, renewed, at)
				a, x, sc := storedTimes(t, client, prefix, redisstore.Fingerprint(renewed))
				renewedBefore = [3]any{a, x, sc}
			})

			read := at.Add(time.Minute) // a touch is due
			rec, found, err := s.Load(ctx, id, read, true)
			require.NoError(t, err)
			require.True(t, between.Fired())
			require.True(t, found, "the read came first: it answers the session as it was")
			assert.Equal(t, "v", rec.Values["k"])
			assert.True(t, rec.Accessed.Equal(at), "not touched, so the access time handed back is the stored one")

			a, x, sc := storedTimes(t, client, prefix, redisstore.Fingerprint(id))
			if tc.name == "Renew, its last step not yet run" {
				assert.Equal(t, "", sc, "the old ID's index entry is the renewal's now")
				assert.NotEqual(t, millisText(read), a, "the record being moved away was not touched")
			} else {
				assert.Equal(t, [3]any{"", time.Duration(0), ""}, [3]any{a, x, sc}, "nothing of the old ID came back")
			}
			_, found, err = s.Load(ctx, id, read, true)
			require.NoError(t, err)
			assert.False(t, found, "the old ID stays dead")
			if tc.renews {
				a, x, sc := storedTimes(t, client, prefix, redisstore.Fingerprint(renewed))
				assert.Equal(t, renewedBefore, [3]any{a, x, sc}, "the renewed record keeps its own times")
				assert.NotEqual(t, millisText(read), a)
			}
			if tc.name != "Renew, its last step not yet run" { // the renewal under way counts too
				n, err := s.Count(ctx)
				require.NoError(t, err)
				want := 0
				if tc.renews {
					want = 1
				}
				assert.Equal(t, want, n, "reported or kept once")
			}
		})
	}
}

// TestTouchSkipsRecordExpiredSinceRead checks that a touch does not slide
// a session whose absolute deadline was moved to before the read's time
// between the read and the touch: its access time, key expiry and index
// score stay as that change left them, so the session ends when it says.
func TestTouchSkipsRecordExpiredSinceRead(t *testing.T) {
	client := redistest.Client(t)
	prefix := redistest.Prefix()
	between := redistest.NewInterject("hgetall")
	client.AddHook(between)
	s := redisstore.New(client, redisstore.WithPrefix(prefix))
	ctx, at := t.Context(), now()
	id := newID(t)
	require.NoError(t, s.Create(ctx, id, record(at, nil)))
	read := at.Add(time.Minute)
	var before [3]any
	between.Arm(func() {
		require.NoError(t, s.SetExpires(ctx, id, at.Add(30*time.Second)))
		a, x, sc := storedTimes(t, client, prefix, redisstore.Fingerprint(id))
		before = [3]any{a, x, sc}
	})
	rec, found, err := s.Load(ctx, id, read, true)
	require.NoError(t, err)
	require.True(t, between.Fired())
	require.True(t, found)
	assert.True(t, rec.Accessed.Equal(at), "not touched")
	a, x, sc := storedTimes(t, client, prefix, redisstore.Fingerprint(id))
	assert.Equal(t, before, [3]any{a, x, sc}, "the touch changed nothing")
	assert.Equal(t, millisText(at), a)

	rec, found, err = s.Load(ctx, id, read, true)
	require.NoError(t, err)
	require.True(t, found)
	assert.False(t, rec.Deadline().After(read), "the next read sees it expired")
}

// millisText is t as the record stores it.
func millisText(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
