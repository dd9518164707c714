package redisstore_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/store/redisstore"
)

// TestOpenBesideAStoreWhosePrefixIsAShardTag checks that no key a sharded
// store writes looks like the single-tag layout's index to another store:
// store "app" has a shard tagged "app:<k>", and a second store whose prefix
// is exactly that tag must open, not be refused as holding legacy data.
func TestOpenBesideAStoreWhosePrefixIsAShardTag(t *testing.T) {
	client := redistest.Client(t)
	ctx := t.Context()
	prefix := redistest.Prefix()

	first, err := redisstore.Open(ctx, client, redisstore.WithPrefix(prefix), redisstore.WithShards(2))
	require.NoError(t, err)
	for range 8 { // enough IDs that both shards hold a session and an index
		require.NoError(t, first.Create(ctx, newID(t), record(now(), nil)))
	}

	for _, tag := range redisstore.ShardTags(prefix, 2) {
		_, err := redisstore.Open(ctx, client, redisstore.WithPrefix(tag), redisstore.WithShards(2))
		require.NoError(t, err, "a store whose prefix is the shard tag %q", tag)
	}
}
