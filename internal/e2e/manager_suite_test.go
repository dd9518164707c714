package e2e_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/internal/testkit/managertest"
	"github.com/sessionkit/session/store"
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
