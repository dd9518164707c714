package redisstore_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/store/redisstore"
)

// loadAllocBudget is the most allocations one Load of a session bound to a
// user and holding one short string may make, go-redis's own included (its
// pool checks the connection on every use: 3 of them). It was 36 before the
// load reply was packed into one string (issue 12); a read that allocates
// more than this has lost that work.
const loadAllocBudget = 16

// TestLoadAllocations pins the allocations of a read, the call every request
// with a session makes, and that a session bound to a user (the per-user
// index) still reads in one round trip.
func TestLoadAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("measures allocations against a real Redis")
	}
	client := redistest.Client(t)
	trips := &redistest.RoundTrips{}
	client.AddHook(trips)
	s := redisstore.New(client, redisstore.WithPrefix(redistest.Prefix()))
	ctx, at := t.Context(), now()
	id := newID(t)
	rec := record(at, map[string]any{"key": "login"})
	rec.User = "user-1"
	require.NoError(t, s.Create(ctx, id, rec))
	_, _, _ = s.Load(ctx, id, at, true) // the first EVALSHA of a fresh server misses
	if n := trips.During(func() { _, _, _ = s.Load(ctx, id, at.Add(time.Minute), true) }); n != 1 {
		t.Errorf("a Load that touches a bound session took %d round trips, want 1", n)
	}
	got := testing.AllocsPerRun(50, func() {
		r, ok, err := s.Load(ctx, id, at.Add(time.Second), true)
		if err != nil || !ok || r.Values["key"] != "login" || r.User != "user-1" {
			t.Fatalf("Load: %v, %v, %v", r, ok, err)
		}
	})
	t.Logf("%.0f allocations per Load (budget %d)", got, loadAllocBudget)
	if got > loadAllocBudget {
		t.Errorf("Load made %.0f allocations; the budget is %d", got, loadAllocBudget)
	}
}
