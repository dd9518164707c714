package store

import (
	"testing"
	"time"
	"weak"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMemoryTombstoneAndSweptEntryKeepNoValues: the tombstone Renew leaves
// under the old ID lives until the session ends, and a swept session's
// entry until its last filing is popped (one SetExpires superseded, still
// filed under the deadline the session had before). Neither may keep a
// value alive: once the renewed session deletes a value, or the sweep's
// caller let go of the Entry it reported, the value must be collectable.
func TestMemoryTombstoneAndSweptEntryKeepNoValues(t *testing.T) {
	t.Run("tombstone", func(t *testing.T) {
		ctx := t.Context()
		m := newTestMemory()
		id, renewed := testID(t), testID(t)
		big := &secretValue{token: make([]byte, 1<<16)}
		w := weak.Make(big)
		require.NoError(t, m.Create(ctx, id, testRecord(map[string]any{"big": big, "n": 1})))
		big = nil
		require.NoError(t, m.SetUser(ctx, id, "alice"))
		require.NoError(t, m.Renew(ctx, id, renewed, testBase))
		require.NoError(t, m.Update(ctx, renewed, map[string]any{"big": nil}))
		assert.True(t, collected(w), "the tombstone of the old ID holds the session's values")
		require.ErrorIs(t, m.Update(ctx, id, map[string]any{"k": 1}), ErrRenewed, "the tombstone still answers")
	})
	t.Run("swept", func(t *testing.T) {
		ctx := t.Context()
		m := newTestMemory()
		id := testID(t)
		big := &secretValue{token: make([]byte, 1<<16)}
		w := weak.Make(big)
		require.NoError(t, m.Create(ctx, id, testRecord(map[string]any{"big": big})))
		big = nil
		require.NoError(t, m.SetExpires(ctx, id, testBase.Add(time.Minute)))
		entries, err := m.Sweep(ctx, testBase.Add(2*time.Minute), 10)
		require.NoError(t, err)
		require.Len(t, entries, 1)
		assert.Equal(t, id, entries[0].ID)
		assert.Contains(t, entries[0].Record.Values, "big", "the sweep reports the whole record")
		entries = nil
		assert.True(t, collected(w), "the filing SetExpires superseded holds the swept session's values")
		n, err := m.Count(ctx) // m stays reachable through the check
		require.NoError(t, err)
		assert.Zero(t, n)
	})
}
