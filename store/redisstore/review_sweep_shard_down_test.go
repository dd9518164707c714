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

// TestSweepWithOneShardFailing checks that a shard the sweep cannot list
// (on a Cluster: a master that is down) does not starve the others: the
// sessions due in every other shard are still claimed and returned, for
// their Destroyed events, along with the error. Here the failing shard's
// index is made a key of the wrong type, so that listing it fails while the
// other shards answer.
func TestSweepWithOneShardFailing(t *testing.T) {
	client := redistest.Client(t)
	ctx, at := t.Context(), now()
	prefix := redistest.Prefix()
	const shards = 4
	s, err := redisstore.Open(ctx, client, redisstore.WithPrefix(prefix), redisstore.WithShards(shards))
	require.NoError(t, err)
	for range 40 {
		require.NoError(t, s.Create(ctx, newID(t), store.Record{Created: at, Accessed: at, Idle: time.Minute}))
	}
	tags := redisstore.ShardTags(prefix, shards)
	broken := "{" + tags[0] + "}:idx"
	lost, err := client.ZCard(ctx, broken).Result()
	require.NoError(t, err)
	require.NoError(t, client.Del(ctx, broken).Err())
	require.NoError(t, client.Set(ctx, broken, "not an index", 0).Err())
	healthy := 40 - int(lost)
	require.Positive(t, healthy, "the other shards hold sessions")

	got, err := s.Sweep(ctx, at.Add(time.Hour), 100)
	require.Error(t, err, "the failing shard is reported")
	assert.Len(t, got, healthy, "every due session of the shards that answered is claimed")
}
