package redisstore_test

import (
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"

	"github.com/sessionkit/session/store/redisstore"
)

// TestClientThatReadsFromReplicasIsRefused: Load reads with a plain
// HGETALL, which a client routing reads to replicas would send to one that
// may lag behind a logout; such a client is a configuration mistake, refused
// when the store is made. Nothing dials: go-redis connects lazily.
func TestClientThatReadsFromReplicasIsRefused(t *testing.T) {
	for name, opts := range map[string]*redis.ClusterOptions{
		"ReadOnly":       {Addrs: []string{"127.0.0.1:1"}, ReadOnly: true},
		"RouteByLatency": {Addrs: []string{"127.0.0.1:1"}, RouteByLatency: true},
		"RouteRandomly":  {Addrs: []string{"127.0.0.1:1"}, RouteRandomly: true},
	} {
		t.Run(name, func(t *testing.T) {
			c := redis.NewClusterClient(opts)
			t.Cleanup(func() { _ = c.Close() })
			assert.PanicsWithValue(t, "redisstore: the client sends read-only commands to replicas (ReadOnly, RouteByLatency or RouteRandomly), "+
				"where a replica that lags could answer a session that was just logged out; give the store a client without them",
				func() { redisstore.New(c) })
		})
	}
	t.Run("masters only", func(t *testing.T) {
		c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}})
		t.Cleanup(func() { _ = c.Close() })
		assert.NotPanics(t, func() { _ = redisstore.New(c).Close() })
	})
}
