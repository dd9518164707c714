package manager_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
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

// newStoreEnv returns a test manager over st. Its fake clock starts at the
// current wall time, not testkit.NewClock's fixed moment, because stores
// such as Redis give their keys real expiry times: a session made "in 2023"
// would be gone from them at once.
func newStoreEnv(t *testing.T, st store.Store, opts manager.Options) *testEnv {
	t.Helper()
	clock := testkit.NewClockAt(time.Now().Truncate(time.Second))
	opts.Store, opts.Clock = st, clock.Now
	env := newEnv(t, opts, nil)
	env.clock = clock
	return env
}

// recordingStore wraps a store and records every session ID it is asked
// about, and counts the records it is asked to create.
type recordingStore struct {
	store.Store
	mu      sync.Mutex
	ids     []string
	creates int
}

func (s *recordingStore) saw(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ids = append(s.ids, ids...)
}

// seen returns every ID the store was asked about, in order.
func (s *recordingStore) seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ids...)
}

// createCount returns how many times Create was called.
func (s *recordingStore) createCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.creates
}

func (s *recordingStore) Create(ctx context.Context, id string, rec store.Record) error {
	s.saw(id)
	s.mu.Lock()
	s.creates++
	s.mu.Unlock()
	return s.Store.Create(ctx, id, rec)
}

func (s *recordingStore) Load(ctx context.Context, id string, now time.Time, touch bool) (store.Record, bool, error) {
	s.saw(id)
	return s.Store.Load(ctx, id, now, touch)
}

func (s *recordingStore) Update(ctx context.Context, id string, changes map[string]any) error {
	s.saw(id)
	return s.Store.Update(ctx, id, changes)
}

func (s *recordingStore) Delete(ctx context.Context, id string) (store.Record, bool, error) {
	s.saw(id)
	return s.Store.Delete(ctx, id)
}

func (s *recordingStore) Renew(ctx context.Context, oldID, newID string, now time.Time) error {
	s.saw(oldID, newID)
	return s.Store.Renew(ctx, oldID, newID, now)
}
