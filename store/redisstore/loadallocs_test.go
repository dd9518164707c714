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

// loadAllocBudget is the most allocations one Load of a session bound to a
// user and holding one short string may make, go-redis's own included (its
// pool checks the connection on every use: 3 of them). A read is a plain
// HGETALL, and go-redis allocates each field name and value of its reply
// (12 strings for this record) and the map that holds them: 24 in all. The
// load script's packed reply needed 16, but its Lua cost 0.4 GET round
// trips a read, far more than 8 small allocations (issue 12). A read that
// allocates more than this has gained work it should not have.
const loadAllocBudget = 24

// TestLoadAllocations pins the allocations of a read, the call every request
// with a session makes, and that a session bound to a user (the per-user
// index) still reads in one round trip, with no script, until a touch is due.
func TestLoadAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("measures allocations against a real Redis")
	}
	s, trips, id, at := boundLoginSession(t)
	ctx := t.Context()
	// A touch first, so that the touch script is on the server whatever ran
	// before this test: the first EVALSHA of a fresh server misses, and
	// go-redis sends the script with an EVAL.
	_, _, _ = s.Load(ctx, id, at.Add(10*time.Second), true)
	touch := trips.Names(func() { _, _, _ = s.Load(ctx, id, at.Add(time.Minute), true) })
	assert.Equal(t, []string{"hgetall", "evalsha"}, touch, "a Load that touches a bound session: the read, then the touch script")
	within := at.Add(time.Minute + time.Second) // within the granularity (5 s) of the touch above
	read := trips.Names(func() { _, _, _ = s.Load(ctx, id, within, true) })
	assert.Equal(t, []string{"hgetall"}, read, "a Load within the touch granularity: one plain read, no script")
	assertAllocs(t, "Load", loadAllocBudget, func() {
		r, ok, err := s.Load(ctx, id, within, true)
		if err != nil || !ok || r.Values["key"] != "login" || r.User != "user-1" {
			t.Fatalf("Load: %v, %v, %v", r, ok, err)
		}
	})
}

// boundLoginSession returns a store on a fresh prefix, the hook that
// records its commands, and the ID of a session created at `at`, bound to
// user-1 and holding key = "login": the session a request after login
// reads and writes, for the tests that count what that costs.
func boundLoginSession(t *testing.T) (s store.Store, trips *redistest.RoundTrips, id string, at time.Time) {
	t.Helper()
	client := redistest.Client(t)
	trips = &redistest.RoundTrips{}
	client.AddHook(trips)
	s = redisstore.New(client, redisstore.WithPrefix(redistest.Prefix()))
	at, id = now(), newID(t)
	rec := record(at, map[string]any{"key": "login"})
	rec.User = "user-1"
	require.NoError(t, s.Create(t.Context(), id, rec))
	return s, trips, id, at
}

// assertAllocs fails t when a run of call allocates more than budget times,
// on average over 50 runs.
func assertAllocs(t *testing.T, call string, budget int, run func()) {
	t.Helper()
	got := testing.AllocsPerRun(50, run)
	t.Logf("%.0f allocations per %s (budget %d)", got, call, budget)
	if got > float64(budget) {
		t.Errorf("%s made %.0f allocations; the budget is %d", call, got, budget)
	}
}
