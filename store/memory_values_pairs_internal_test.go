package store

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMemorySetExpiresKeepsValuesAsPairs: the layout keeps a session's
// values as pairs "until the first read builds a map", so that an idle
// session (a login nobody came back to) costs 80 bytes of values rather
// than Go's smallest map of 336. SetExpires reads no values, yet it builds
// the map (it calls record() twice to compute the deadlines). The manager
// calls it for "remember me" on the login request, right after Create and
// Update and before any Load: every remembered login then pays for a map it
// may never use, which is the idle session the layout was made for.
func TestMemorySetExpiresKeepsValuesAsPairs(t *testing.T) {
	ctx := t.Context()
	m := newTestMemory()
	id := testID(t)
	require.NoError(t, m.Create(ctx, id, testRecord(nil)))
	require.NoError(t, m.Update(ctx, id, map[string]any{"user": "alice"}))
	require.NoError(t, m.SetUser(ctx, id, "alice"))
	e := m.entryOf(id)
	require.Nil(t, e.values.Load().builtMap(), "written, not read: kept as pairs")
	require.NoError(t, m.SetExpires(ctx, id, testBase.Add(30*24*time.Hour)))
	assert.Nil(t, e.values.Load().builtMap(), "SetExpires built the values map of a session nobody read")
}
