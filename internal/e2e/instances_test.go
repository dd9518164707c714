package e2e_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/store"
)

// The tests of this file run several instances of the Gin app, each with
// its own manager and Redis client, over one Redis: a browser behind a load
// balancer reaches any of them with its one cookie. Each runs on every
// topology (single server, Sentinel set, Cluster).

// ginApps returns the Gin app of each instance.
func ginApps(ins []*env) []http.Handler {
	apps := make([]http.Handler, len(ins))
	for i, in := range ins {
		apps[i] = ginApp(in.m, nil)
	}
	return apps
}

// TestRedisInstancesShareSessions runs testInstancesShareSessions on every
// Redis topology.
func TestRedisInstancesShareSessions(t *testing.T) {
	forEachTopology(t, func(t *testing.T, tp redistest.Topology) {
		testInstancesShareSessions(t, sharedRedis(tp.Client))
	})
}

// TestPostgresInstancesShareSessions runs testInstancesShareSessions on
// PostgreSQL.
func TestPostgresInstancesShareSessions(t *testing.T) {
	testInstancesShareSessions(t, sharedPostgres(t))
}

// testInstancesShareSessions: a session made on one instance is read and
// changed on the others, concurrent changes of different keys on different
// instances all survive, and every instance counts the same.
func testInstancesShareSessions(t *testing.T, newStore func(t *testing.T) store.Store) {
	ins := newInstances(t, 3, newStore)
	apps := ginApps(ins)
	ada := ins[0].newBrowser()
	ins[0].login(t, apps[0], ada)

	for i, app := range apps {
		rec := ada.send(app, http.MethodGet, "/get?k=user")
		assert.Equal(t, http.StatusOK, rec.Code, ins[i].name)
		assert.Equal(t, "ada", body(rec), ins[i].name)
	}
	rec := ada.send(apps[1], http.MethodPost, "/set?k=theme&v=dark")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "dark", body(ada.send(apps[2], http.MethodGet, "/get?k=theme")), "a change on one instance is seen on another")

	// Many keys set at once, each through another instance: per-key writes
	// mean none is lost.
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Go(func() {
			rec := ada.clone().send(apps[i%3], http.MethodPost, fmt.Sprintf("/set?k=k%d&v=v%d", i, i))
			assert.Equal(t, http.StatusOK, rec.Code)
		})
	}
	wg.Wait()
	for i := range 30 {
		got := body(ada.send(apps[(i+1)%3], http.MethodGet, fmt.Sprintf("/get?k=k%d", i)))
		assert.Equal(t, fmt.Sprintf("v%d", i), got, "key k%d", i)
	}

	ins[2].login(t, apps[2], ins[2].newBrowser())
	for i, app := range apps {
		assert.Equal(t, "2", body(ada.send(app, http.MethodGet, "/size")), "count on %s", ins[i].name)
	}
	created := []int64{ins[0].created.Load(), ins[1].created.Load(), ins[2].created.Load()}
	assert.Equal(t, []int64{1, 0, 1}, created, "Created fires on the instance that made the session")
}

// TestRedisInstancesDestroyExactlyOnce runs testInstancesDestroyExactlyOnce
// on every Redis topology, for 300 sessions.
func TestRedisInstancesDestroyExactlyOnce(t *testing.T) {
	forEachTopology(t, func(t *testing.T, tp redistest.Topology) {
		testInstancesDestroyExactlyOnce(t, sharedRedis(tp.Client), 300)
	})
}

// TestPostgresInstancesDestroyExactlyOnce runs
// testInstancesDestroyExactlyOnce on PostgreSQL, for 1,000 sessions.
func TestPostgresInstancesDestroyExactlyOnce(t *testing.T) {
	testInstancesDestroyExactlyOnce(t, sharedPostgres(t), 1000)
}

// testInstancesDestroyExactlyOnce: n sessions expire while three instances
// sweep and look them up at once; exactly n Destroyed events fire in total,
// one per session.
func testInstancesDestroyExactlyOnce(t *testing.T, newStore func(t *testing.T) store.Store, n int) {
	ins := newInstances(t, 3, newStore)
	apps := ginApps(ins)
	browsers := make([]*browser, n)
	for i := range browsers {
		browsers[i] = ins[i%3].newBrowser()
		ins[i%3].login(t, apps[i%3], browsers[i])
	}
	require.Equal(t, fmt.Sprint(n), body(browsers[0].send(apps[1], http.MethodGet, "/size")))

	ins[0].clock.Advance((stressIdle + 1) * time.Second)
	var wg sync.WaitGroup
	for i, in := range ins {
		wg.Go(func() {
			_, err := in.m.Sweep(t.Context())
			assert.NoError(t, err)
		})
		wg.Go(func() {
			// Lookups of expired sessions claim them too.
			for _, b := range browsers[:n/3] {
				rec := b.clone().send(apps[i], http.MethodGet, "/get?k=user")
				assert.Equal(t, statusNoSession, rec.Code)
			}
		})
	}
	wg.Wait()

	l := ins[0].ledger
	created, destroyed := l.totals()
	assert.Equal(t, n, created)
	assert.Equal(t, n, destroyed, "Destroyed events across all instances")
	l.mu.Lock()
	assert.Len(t, l.destroyed, n, "one per session")
	l.mu.Unlock()
	assert.Empty(t, l.violations(), "a session was destroyed other than once")
	for i, app := range apps {
		assert.Equal(t, "0", body(browsers[0].send(app, http.MethodGet, "/size")), "count on %s", ins[i].name)
	}
}

// TestRedisInstancesRenewal runs testInstancesRenewal on every Redis
// topology.
func TestRedisInstancesRenewal(t *testing.T) {
	forEachTopology(t, func(t *testing.T, tp redistest.Topology) {
		testInstancesRenewal(t, sharedRedis(tp.Client))
	})
}

// TestPostgresInstancesRenewal runs testInstancesRenewal on PostgreSQL.
func TestPostgresInstancesRenewal(t *testing.T) { testInstancesRenewal(t, sharedPostgres(t)) }

// testInstancesRenewal: renewal on one instance kills the old ID on all of
// them at once, and the new ID works everywhere.
func testInstancesRenewal(t *testing.T, newStore func(t *testing.T) store.Store) {
	ins := newInstances(t, 3, newStore)
	apps := ginApps(ins)
	ada := ins[0].newBrowser()
	ins[0].login(t, apps[0], ada)
	old := ada.clone()

	rec := ada.send(apps[1], http.MethodPost, "/renew")
	require.Equal(t, http.StatusOK, rec.Code)
	require.NotEqual(t, old.cookie.load(), ada.cookie.load())
	for i, app := range apps {
		rec := old.clone().send(app, http.MethodGet, "/get?k=user")
		assert.Equal(t, statusNoSession, rec.Code, "old ID on %s", ins[i].name)
		rec = ada.send(app, http.MethodGet, "/get?k=user")
		assert.Equal(t, http.StatusOK, rec.Code, "new ID on %s", ins[i].name)
		assert.Equal(t, "ada", body(rec))
	}

	last := ada.clone()
	rec = ada.send(apps[2], http.MethodPost, "/logout")
	require.Equal(t, http.StatusOK, rec.Code)
	for i, app := range apps {
		rec := last.clone().send(app, http.MethodGet, "/get?k=user")
		assert.Equal(t, statusNoSession, rec.Code, "logged out ID on %s", ins[i].name)
	}
}

// TestRedisRoundTripsPerRequest pins what the README promises: a request
// that only reads its session costs one Redis round trip and one that writes
// costs two. A login costs two as well: the create, then the commit of the
// values set after it.
func TestRedisRoundTripsPerRequest(t *testing.T) {
	forEachTopology(t, func(t *testing.T, tp redistest.Topology) {
		trips := &redistest.RoundTrips{}
		in := newInstances(t, 1, sharedRedis(tp.Client, trips))[0]
		app := ginApp(in.m, nil)
		// The first use of a script on a server loads it, and a Cluster
		// keeps scripts per master: warm with enough sessions that every
		// master has run each script (30 sessions over 64 shards miss one
		// of 3 masters with odds of 3 in 100,000).
		for range 30 {
			warm := in.newBrowser()
			in.login(t, app, warm)
			warm.send(app, http.MethodGet, "/get?k=user")
			warm.send(app, http.MethodPost, "/set?k=a&v=b")
			warm.send(app, http.MethodGet, "/size")
		}

		ada := in.newBrowser()
		tests := []struct {
			name, method, target string
			want                 int64
		}{
			{"login: create, then commit", http.MethodPost, "/login?user=ada", 2},
			{"read-only", http.MethodGet, "/get?k=user", 1},
			{"write: load, then commit", http.MethodPost, "/set?k=theme&v=dark", 2},
			{"count: load, then ZCARD", http.MethodGet, "/size", 2},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				code := 0
				got := trips.During(func() { code = ada.send(app, tc.method, tc.target).Code })
				require.Equal(t, http.StatusOK, code)
				assert.Equal(t, tc.want, got)
			})
		}
	})
}

// TestRedisSetRefusesWhatCannotBeStored checks that a value the Redis store
// cannot encode is refused by Set, at once and with an error naming its
// key, and that the session keeps its other values.
func TestRedisSetRefusesWhatCannotBeStored(t *testing.T) {
	forEachTopology(t, func(t *testing.T, tp redistest.Topology) {
		in := newInstances(t, 1, sharedRedis(tp.Client))[0]
		app := ginApp(in.m, nil)
		b := in.newBrowser()
		id := in.login(t, app, b)

		s := in.m.GetSessionById(id)
		require.NotNil(t, s)
		type unregistered struct{ A int }
		for name, v := range map[string]any{
			"channel":      make(chan int),
			"unregistered": unregistered{A: 1},
			"over 64 KiB":  strings.Repeat("x", 64<<10+1),
			"function":     func() {},
		} {
			err := s.Set("cart", v)
			require.Error(t, err, name)
			assert.Contains(t, err.Error(), `"cart"`, name)
			assert.NotContains(t, err.Error(), id, name)
		}
		assert.Equal(t, "ada", body(b.send(app, http.MethodGet, "/get?k=user")))
		v, ok := s.Get("cart")
		assert.False(t, ok, "a refused value is not kept: %v", v)
	})
}
