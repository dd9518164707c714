package e2e_test

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/redisstore"
)

// forEachTopology runs test once on each Redis topology (single server,
// Sentinel set, Cluster), as a subtest named after it: what holds on one
// server must hold wherever users deploy Redis.
func forEachTopology(t *testing.T, test func(t *testing.T, tp redistest.Topology)) {
	t.Helper()
	for _, tp := range redistest.Topologies() {
		t.Run(tp.Name, func(t *testing.T) { test(t, tp) })
	}
}

// newTopologyStore returns a store on the package's shared deployment of
// tp under a fresh prefix, through a client of its own with hooks added.
func newTopologyStore(t *testing.T, tp redistest.Topology, hooks ...redis.Hook) store.Store {
	t.Helper()
	c := tp.Client(t)
	for _, h := range hooks {
		c.AddHook(h)
	}
	return redisstore.New(c, redisstore.WithPrefix(redistest.Prefix()))
}

// newDeploymentClient returns a new client of d, closed when the test
// ends.
func newDeploymentClient(t *testing.T, d redistest.Deployment) redis.UniversalClient {
	t.Helper()
	c := d.NewUniversalClient()
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// deploymentClients returns a maker of clients of d, each closed when its
// test ends: newClient for sharedRedis on a private deployment.
func deploymentClients(d redistest.Deployment) func(testing.TB) redis.UniversalClient {
	return func(t testing.TB) redis.UniversalClient {
		t.Helper()
		c := d.NewUniversalClient()
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
}

// killAll kills every redis-server of d that holds data (not the
// sentinels, which only point at servers): no server is left to fail over
// to, so Redis is down, whatever the topology.
func killAll(d redistest.Deployment) {
	switch d := d.(type) {
	case *redistest.Server:
		d.Kill()
	case *redistest.Sentinel:
		for _, s := range d.Data {
			s.Kill()
		}
	case *redistest.Cluster:
		for _, s := range d.Nodes {
			s.Kill()
		}
	}
}

// deploymentKeys returns every key of a private deployment, from each of
// its masters (a private deployment: KEYS is fine here).
func deploymentKeys(t *testing.T, d redistest.Deployment) []string {
	t.Helper()
	ctx := context.Background()
	masters, err := d.Masters(ctx)
	require.NoError(t, err)
	var keys []string
	for _, m := range masters {
		c := m.NewUniversalClient()
		some, err := c.Keys(ctx, "*").Result()
		_ = c.Close()
		require.NoError(t, err)
		keys = append(keys, some...)
	}
	return keys
}
