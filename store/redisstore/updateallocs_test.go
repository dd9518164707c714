package redisstore_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// updateAllocBudget is the most allocations one Update that changes a
// single value may make, go-redis's own included: its command, the boxing
// of the value and of each key, its pool's check of the connection. The
// store's own part is the field name ("v" and the key), the encoded value,
// one string holding both keys of the record (the record and its former
// key, from one SHA-256 of the ID) and the command's argument slice. Before
// issue 12 an update made 28: the fingerprint and each key had allocations
// of their own, the changed keys were sorted into a new slice even when
// there was one, and go-redis copied the arguments into a slice of its own.
// A write that allocates more than this has gained work it should not have.
const updateAllocBudget = 14

// TestUpdateAllocations pins the allocations of the write every request
// that changes a session makes, and that it is one round trip, the update
// script, whatever the record holds.
func TestUpdateAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("measures allocations against a real Redis")
	}
	s, trips, id, at := boundLoginSession(t)
	ctx := t.Context()
	n := 0
	changes := map[string]any{"n": n}
	require.NoError(t, s.Update(ctx, id, changes)) // the first EVALSHA of a fresh server misses
	update := trips.Names(func() { require.NoError(t, s.Update(ctx, id, changes)) })
	assert.Equal(t, []string{"evalsha"}, update, "an Update: the update script alone")
	assertAllocs(t, "Update", updateAllocBudget, func() {
		n++
		changes["n"] = n // a new value each time, as a counter's write would be
		if err := s.Update(ctx, id, changes); err != nil {
			t.Fatalf("Update: %v", err)
		}
	})
	loaded, ok, err := s.Load(ctx, id, at, false)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, n, loaded.Values["n"], "the last update landed")
	assert.Equal(t, "login", loaded.Values["key"], "a value the updates did not name is kept")
}
