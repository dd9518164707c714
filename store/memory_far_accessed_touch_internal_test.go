package store

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMemoryFarAccessedThroughTouchAndRareChanges: an Accessed outside the
// years 1678 to 2262 lives in the entry's rare part behind a mark. A touch
// compares the mark with now as the time it stands for (one in 1600 moves
// to now, one in 2300 never moves back), and SetExpires and SetUser, which
// replace the rare part, carry it over, so the session keeps its deadline.
func TestMemoryFarAccessedThroughTouchAndRareChanges(t *testing.T) {
	ctx := t.Context()
	m := newTestMemory()

	past := testID(t)
	require.NoError(t, m.Create(ctx, past, Record{Created: testBase, Accessed: time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), Expires: testBase.Add(time.Hour)}))
	got, found, err := m.Load(ctx, past, testBase, true)
	require.NoError(t, err)
	require.True(t, found)
	assert.True(t, got.Accessed.Equal(testBase), "touched: Accessed %v", got.Accessed)
	got, _, err = m.Load(ctx, past, testBase, false)
	require.NoError(t, err)
	assert.True(t, got.Accessed.Equal(testBase), "after the touch: Accessed %v", got.Accessed)

	later := time.Date(2300, 1, 1, 0, 0, 0, 5, time.UTC)
	future := testID(t)
	require.NoError(t, m.Create(ctx, future, Record{Created: testBase, Accessed: later, Idle: time.Hour}))
	check := func(step string) {
		t.Helper()
		got, found, err := m.Load(ctx, future, testBase, true)
		require.NoError(t, err)
		require.True(t, found, step)
		assert.True(t, got.Accessed.Equal(later), "%s: Accessed %v, want %v", step, got.Accessed, later)
		assert.False(t, got.ExpiredAt(testBase), step)
	}
	check("touched")
	require.NoError(t, m.SetExpires(ctx, future, testBase.Add(2*time.Hour)))
	check("expires set")
	require.NoError(t, m.SetUser(ctx, future, "alice"))
	check("bound")
	require.NoError(t, m.SetExpires(ctx, future, time.Time{}))
	check("expires cleared")
	entries, err := m.Sweep(ctx, testBase.Add(time.Minute), 10)
	require.NoError(t, err)
	assert.Empty(t, entries)
	check("swept")
}
