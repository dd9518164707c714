package redisstore_test

import (
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/store/redisstore"
)

// TestClusterSpreadsSessions checks on a real 3-master Cluster that the
// sessions of one store spread over every master: of 1,000 sessions made
// through the store, each master holds at least 20% of the records (an even
// split is 33%), so adding masters adds capacity.
func TestClusterSpreadsSessions(t *testing.T) {
	const sessions = 1000
	client := redistest.ClusterSet.Client(t)
	cluster, ok := client.(*redis.ClusterClient)
	require.True(t, ok, "the cluster topology gives a *redis.ClusterClient, not %T", client)
	prefix := redistest.Prefix()
	st := redisstore.New(client, redisstore.WithPrefix(prefix))
	ctx, at := t.Context(), now()

	ids := make(chan string)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for id := range ids {
				assert.NoError(t, st.Create(ctx, id, record(at, map[string]any{"user": "ada"})))
			}
		})
	}
	for range sessions {
		ids <- newID(t)
	}
	close(ids)
	wg.Wait()
	require.False(t, t.Failed())

	// A session record is a Redis hash named "{<tag>}:s:<fingerprint>" (see
	// the package doc); count them on each master. A test may scan; the
	// store never does.
	assertSpreadOverMasters(t, cluster, "*"+prefix+"*:s:*", "hash", sessions)
}
