package manager_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/redisstore"
)

// securityStore names a way to make a fresh, empty store for the security
// tests, which run against each one.
type securityStore struct {
	name string
	// new returns an empty store that no other test shares, closed when the
	// test ends.
	new func(t *testing.T) store.Store
}

// securityStores are the stores the security tests run against. Add each
// new store here.
func securityStores() []securityStore {
	return []securityStore{
		{name: "memory", new: func(t *testing.T) store.Store {
			st := store.NewMemory()
			t.Cleanup(func() { require.NoError(t, st.Close()) })
			return st
		}},
		{name: "redis", new: func(t *testing.T) store.Store {
			st := redisstore.New(redistest.Client(t), redisstore.WithPrefix(redistest.Prefix()))
			t.Cleanup(func() { require.NoError(t, st.Close()) })
			return st
		}},
	}
}

// TestMain stops the private redis-server the Redis security store starts.
func TestMain(m *testing.M) { redistest.Main(m) }

// forEachStore runs test once per security store, as a subtest.
func forEachStore(t *testing.T, test func(t *testing.T, st store.Store)) {
	t.Helper()
	for _, s := range securityStores() {
		t.Run(s.name, func(t *testing.T) { test(t, s.new(t)) })
	}
}
