package redisstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/redisstore"
)

// TestKeysHoldNoSessionID checks that a dump of Redis holds nothing a client
// could present as a cookie, and that every key has one of the shards' hash
// tags (or, the layout key, the prefix's own), so the multi-key scripts work
// in Redis Cluster. The markers that make writes safe to retry expire on
// their own.
func TestKeysHoldNoSessionID(t *testing.T) {
	s, client, prefix := storeOnOwnPrefix(t)
	ctx, at := t.Context(), now()
	id, renewed, gone := newID(t), newID(t), newID(t)
	require.NoError(t, s.Create(ctx, id, record(at, map[string]any{"user": "ada"})))
	require.NoError(t, s.Create(ctx, gone, record(at, map[string]any{"user": "bob"})))
	require.NoError(t, s.Renew(ctx, id, renewed, at))
	_, deleted, err := s.Delete(ctx, gone)
	require.NoError(t, err)
	require.True(t, deleted)
	ids := []string{id, renewed, gone}

	keys, err := client.Keys(ctx, "{"+prefix+"*").Result() // a test may scan; the store never does
	require.NoError(t, err)
	tags := map[string]bool{}
	for _, tag := range redisstore.ShardTags(prefix, 64) {
		tags["{"+tag+"}:"] = true
	}
	kinds := map[string]int{}
	for _, k := range keys {
		if k == "{"+prefix+"}:layout" {
			kinds["layout"]++
			continue
		}
		tag, name, ok := strings.Cut(k, "}:")
		require.True(t, ok && tags[tag+"}:"], "key %q lacks a shard's hash tag", k)
		kinds[strings.SplitN(name, ":", 2)[0]]++
	}
	assert.Equal(t, map[string]int{"layout": 1, "idx": 1, "s": 1, "create": 2, "renew": 1, "renewed": 1, "claim": 1, "r": 1}, kinds,
		"the layout key, one record, its shard's index, a marker per create and delete and two per renewal, and the renewed session's former key")
	for _, k := range keys {
		for _, id := range ids {
			assert.NotContains(t, k, id)
		}
		if strings.HasSuffix(k, "}:layout") {
			continue
		}
		if strings.Contains(k, "}:r:") {
			ttl, err := client.PTTL(ctx, k).Result()
			require.NoError(t, err)
			assert.Positive(t, ttl, "former key %q does not expire", k)
			assert.LessOrEqual(t, ttl, 30*time.Minute, "former key %q outlives the old record's deadline", k)
		} else if !strings.Contains(k, "}:s:") && !strings.HasSuffix(k, "}:idx") {
			ttl, err := client.PTTL(ctx, k).Result()
			require.NoError(t, err)
			assert.Positive(t, ttl, "marker %q does not expire", k)
			assert.LessOrEqual(t, ttl, 5*time.Minute, "marker %q outlives its purpose", k)
		}
		if v, err := client.Get(ctx, k).Result(); err == nil {
			for _, id := range ids {
				assert.NotContains(t, v, id, "%q holds an ID", k)
			}
		}
		fields, err := client.HGetAll(ctx, k).Result()
		if err == nil {
			for f, v := range fields {
				for _, id := range ids {
					assert.NotContains(t, f+v, id, "a field of %q holds an ID", k)
				}
			}
		}
		members, err := client.ZRange(ctx, k, 0, -1).Result()
		if err == nil {
			for _, m := range members {
				for _, id := range ids {
					assert.NotContains(t, m, id)
				}
			}
		}
	}
}

// TestKeyExpiryFollowsDeadline checks the backstop: each record's Redis
// expiry is its deadline (the earlier of idle and absolute), it slides when
// the session is used, and it never passes the absolute deadline.
func TestKeyExpiryFollowsDeadline(t *testing.T) {
	s, client, prefix := storeOnOwnPrefix(t)
	ctx, at := t.Context(), now()
	id := newID(t)
	rec := record(at, nil)
	require.NoError(t, s.Create(ctx, id, rec))
	key := recordKey(t, client, prefix)

	expireAt := func() time.Time {
		t.Helper()
		d, err := client.PExpireTime(ctx, key).Result()
		require.NoError(t, err)
		require.Positive(t, d, "the record has no expiry")
		return time.UnixMilli(d.Milliseconds())
	}
	assert.True(t, expireAt().Equal(at.Add(30*time.Minute)), "expiry %v, want the idle deadline", expireAt())

	later := at.Add(20 * time.Minute)
	_, found, err := s.Load(ctx, id, later, true)
	require.NoError(t, err)
	require.True(t, found)
	assert.True(t, expireAt().Equal(later.Add(30*time.Minute)), "expiry %v, want it slid by the touch", expireAt())

	for _, step := range []time.Duration{45 * time.Minute, 70 * time.Minute, 95 * time.Minute} {
		_, found, err = s.Load(ctx, id, at.Add(step), true)
		require.NoError(t, err)
		require.True(t, found)
	}
	assert.True(t, expireAt().Equal(at.Add(2*time.Hour)), "expiry %v, want the absolute deadline", expireAt())

	index, member := indexMember(t, client, prefix)
	score, err := client.ZScore(ctx, index, member).Result()
	require.NoError(t, err)
	assert.Equal(t, float64(at.Add(2*time.Hour).UnixMilli()), score, "the index orders by the same deadline")
}

// TestRecordThatRedisExpiredIsSweptOnce checks that a session whose record
// Redis removed (its key expiry passed with no instance running) is still
// reported once by the sweep, by masked ID.
func TestRecordThatRedisExpiredIsSweptOnce(t *testing.T) {
	s, client, prefix := storeOnOwnPrefix(t)
	ctx, at := t.Context(), now()
	id := newID(t)
	// Long enough for recordKey to find the key on a loaded machine before
	// Redis expires it.
	rec := store.Record{Created: at, Accessed: at, Idle: time.Second}
	require.NoError(t, s.Create(ctx, id, rec))
	key := recordKey(t, client, prefix)

	require.Eventually(t, func() bool {
		n, err := client.Exists(ctx, key).Result()
		return err == nil && n == 0
	}, 10*time.Second, 10*time.Millisecond, "Redis did not expire the record")
	_, found, err := s.Load(ctx, id, at, false)
	require.NoError(t, err)
	assert.False(t, found)

	n, err := s.Count(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "counted until the sweep claims it")
	swept, err := s.Sweep(ctx, at.Add(time.Second), 10)
	require.NoError(t, err)
	require.Len(t, swept, 1)
	assert.Equal(t, store.MaskedID(id), swept[0].MaskedID)
	assert.Empty(t, swept[0].ID, "the store keeps no IDs")
	again, err := s.Sweep(ctx, at.Add(time.Second), 10)
	require.NoError(t, err)
	assert.Empty(t, again)
}

// TestRetentionKeepsValuesForTheSweep checks WithRetention: the record
// outlives its deadline in Redis, unusable, so the sweep can report its
// values.
func TestRetentionKeepsValuesForTheSweep(t *testing.T) {
	s, _, _ := storeOnOwnPrefix(t, redisstore.WithRetention(time.Minute))
	ctx, at := t.Context(), now()
	id := newID(t)
	require.NoError(t, s.Create(ctx, id, store.Record{
		Values: map[string]any{"user": "ada"}, Created: at, Accessed: at, Idle: 50 * time.Millisecond,
	}))
	time.Sleep(100 * time.Millisecond) // past the deadline on Redis's clock
	rec, found, err := s.Load(ctx, id, time.Now(), true)
	require.NoError(t, err)
	require.True(t, found, "retention keeps the record")
	assert.True(t, rec.ExpiredAt(time.Now()), "but it is handed out as expired, untouched")

	swept, err := s.Sweep(ctx, time.Now(), 10)
	require.NoError(t, err)
	require.Len(t, swept, 1)
	assert.Equal(t, "ada", swept[0].Record.Values["user"])
}

// TestNoKeyspaceScans runs every store operation on a private server and
// checks from its command statistics that none of them used KEYS or SCAN.
func TestNoKeyspaceScans(t *testing.T) {
	server := redistest.Start(t)
	client := server.NewClient(t)
	s := redisstore.New(client)
	ctx, at := t.Context(), now()
	ids := []string{newID(t), newID(t), newID(t)}
	for _, id := range ids {
		require.NoError(t, s.Create(ctx, id, record(at, map[string]any{"n": 1})))
	}
	_, _, err := s.Load(ctx, ids[0], at.Add(time.Minute), true)
	require.NoError(t, err)
	require.NoError(t, s.Update(ctx, ids[0], map[string]any{"n": 2, "gone": nil}))
	require.NoError(t, s.Renew(ctx, ids[1], newID(t), at.Add(time.Minute)))
	_, _, err = s.Delete(ctx, ids[2])
	require.NoError(t, err)
	_, err = s.Count(ctx)
	require.NoError(t, err)
	_, err = s.Sweep(ctx, at.Add(3*time.Hour), 10)
	require.NoError(t, err)

	stats, err := client.Info(ctx, "commandstats").Result()
	require.NoError(t, err)
	require.Contains(t, stats, "cmdstat_evalsha", "the statistics are of this workload")
	for _, scan := range []string{"cmdstat_keys:", "cmdstat_scan:", "cmdstat_hscan:", "cmdstat_zscan:"} {
		assert.NotContains(t, stats, scan)
	}
}

// TestRoundTrips pins what the package documentation promises: every
// operation a request makes is one round trip once the scripts are loaded,
// but a read that slides the idle deadline (the read, then the touch), a
// renewal, which moves the record between shards in three steps, and
// the end of a renewed session, which then forgets the IDs it was renewed
// from in their own shards.
func TestRoundTrips(t *testing.T) {
	client := redistest.Client(t)
	trips := &redistest.RoundTrips{}
	client.AddHook(trips)
	s := redisstore.New(client, redisstore.WithPrefix(redistest.Prefix()))
	ctx, at := t.Context(), now()

	// Load each script once: the first EVALSHA of a fresh server misses.
	warm := newID(t)
	require.NoError(t, s.Create(ctx, warm, record(at, nil)))
	_, _, _ = s.Load(ctx, warm, at.Add(time.Minute), true)
	_ = s.Update(ctx, warm, map[string]any{"k": 1})
	next := newID(t)
	_ = s.Renew(ctx, warm, next, at)
	_, _, _ = s.Delete(ctx, next)
	_, _ = s.Count(ctx)

	id, renewed := newID(t), newID(t)
	tests := []struct {
		name string
		op   func()
		want int64
	}{
		{"Create", func() { require.NoError(t, s.Create(ctx, id, record(at, map[string]any{"a": 1, "b": "x"}))) }, 1},
		{"Load and touch", func() { _, _, err := s.Load(ctx, id, at.Add(time.Minute), true); require.NoError(t, err) }, 2},
		{"Load within the touch granularity", func() { _, _, err := s.Load(ctx, id, at.Add(time.Minute+time.Second), true); require.NoError(t, err) }, 1},
		{"Update", func() { require.NoError(t, s.Update(ctx, id, map[string]any{"a": 2, "b": nil})) }, 1},
		{"Renew", func() { require.NoError(t, s.Renew(ctx, id, renewed, at.Add(time.Minute))) }, 3},
		{"Count", func() { _, err := s.Count(ctx); require.NoError(t, err) }, 1},
		{"Delete of a renewed session", func() { _, _, err := s.Delete(ctx, renewed); require.NoError(t, err) }, 2},
		{"Delete", func() {
			require.NoError(t, s.Create(ctx, id, record(at, nil)))
			_, _, err := s.Delete(ctx, id)
			require.NoError(t, err)
		}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, trips.During(tc.op))
		})
	}
}

// TestCloseLeavesClientOpen checks that Close stops the store but not the
// caller's client, and that a closed store says so.
func TestCloseLeavesClientOpen(t *testing.T) {
	client := redistest.Client(t)
	s := redisstore.New(client, redisstore.WithPrefix(redistest.Prefix()))
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close twice")
	_, err := s.Count(t.Context())
	assert.ErrorIs(t, err, store.ErrClosed)
	assert.NoError(t, client.Ping(t.Context()).Err())
}

// recordKey returns the one record key under prefix (tests only: it scans).
func recordKey(t *testing.T, client *redis.Client, prefix string) string {
	t.Helper()
	keys, err := client.Keys(t.Context(), "{"+prefix+":*}:s:*").Result()
	require.NoError(t, err)
	require.Len(t, keys, 1)
	return keys[0]
}

// indexMember returns the one index shard under prefix that holds a member,
// and that member (tests only: it scans).
func indexMember(t *testing.T, client *redis.Client, prefix string) (index, member string) {
	t.Helper()
	keys, err := client.Keys(t.Context(), "{"+prefix+":*}:idx").Result()
	require.NoError(t, err)
	require.Len(t, keys, 1)
	members, err := client.ZRange(t.Context(), keys[0], 0, -1).Result()
	require.NoError(t, err)
	require.Len(t, members, 1)
	return keys[0], members[0]
}

// TestFormerKeysNeverOutnumberSessions: the keys renewal leaves under old
// fingerprints (so that a late Update learns of the renewal) are at most
// eight per session however often it renews, and go when the session ends.
func TestFormerKeysNeverOutnumberSessions(t *testing.T) {
	s, client, prefix := storeOnOwnPrefix(t)
	ctx, at := t.Context(), now()
	formerKeys := func() int {
		t.Helper()
		keys, err := client.Keys(ctx, "{"+prefix+":*}:r:*").Result() // a test may scan; the store never does
		require.NoError(t, err)
		return len(keys)
	}
	id := newID(t)
	require.NoError(t, s.Create(ctx, id, record(at, nil)))
	former := id
	for range 50 {
		next := newID(t)
		require.NoError(t, s.Renew(ctx, id, next, at))
		former, id = id, next
	}
	assert.Equal(t, 8, formerKeys(), "former keys after 50 renewals of one session: the last eight")
	assert.ErrorIs(t, s.Update(ctx, former, map[string]any{"k": "v"}), store.ErrRenewed)

	_, deleted, err := s.Delete(ctx, id)
	require.NoError(t, err)
	require.True(t, deleted)
	assert.Equal(t, 0, formerKeys(), "former keys once the session ended")
	assert.ErrorIs(t, s.Update(ctx, former, map[string]any{"k": "v"}), store.ErrNotFound)
}

// recordKeyOf returns the record key of the fingerprint fp under prefix
// (tests only: it scans).
func recordKeyOf(t *testing.T, client *redis.Client, prefix, fp string) string {
	t.Helper()
	keys, err := client.Keys(t.Context(), "{"+prefix+":*}:s:"+fp).Result()
	require.NoError(t, err)
	require.Len(t, keys, 1)
	return keys[0]
}
