package e2e_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/internal/testkit/managertest"
	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/redisstore"
)

// TestManagerSuiteOnRedis runs the manager's tests whose outcome rests on
// its store (internal/testkit/managertest: the security requirements that
// involve a store, the races with a renewal or a logout, the values a store
// hands back) on the Redis store. Package manager runs the same tests on
// the memory store, so that its own tests need no redis-server.
func TestManagerSuiteOnRedis(t *testing.T) {
	forEachTopology(t, func(t *testing.T, tp redistest.Topology) {
		managertest.Run(t, func(t *testing.T) store.Store {
			st := newTopologyStore(t, tp)
			t.Cleanup(func() { require.NoError(t, st.Close()) })
			return st
		})
	})
}

// TestManagerSuiteOnPostgres runs the same manager tests on the PostgreSQL
// store, each on a table of its own.
func TestManagerSuiteOnPostgres(t *testing.T) {
	managertest.Run(t, func(t *testing.T) store.Store {
		st := sharedPostgres(t)(t)
		t.Cleanup(func() { require.NoError(t, st.Close()) })
		return st
	})
}

// TestFlashesOnRedisJSONCodec: flashes and numbers read with manager.Value
// survive the JSON codec too (the suite above runs the default, gob).
func TestFlashesOnRedisJSONCodec(t *testing.T) {
	managertest.FlashesAreReadOnce(t, func(t *testing.T) store.Store {
		st := redisstore.New(redistest.Client(t), redisstore.WithPrefix(redistest.Prefix()), redisstore.WithCodec(store.JSON()))
		t.Cleanup(func() { require.NoError(t, st.Close()) })
		return st
	})
}
