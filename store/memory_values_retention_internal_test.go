package store

import (
	"runtime"
	"testing"
	"weak"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// secretValue stands for a value a session should stop holding once it is
// deleted or replaced: a large cached object, or a one-time token.
type secretValue struct{ token []byte }

// collected reports whether the object behind w was garbage collected.
func collected(w weak.Pointer[secretValue]) bool {
	runtime.GC()
	runtime.GC()
	return w.Value() == nil
}

// TestMemoryDeletedValueOfReadSessionIsReleased: a session read once (so
// its values map was built) and then written keeps its first values as
// pairs inside the memoryValues that the in-place Update reuses. A user who
// deletes a value (Set(key, nil)) or replaces it sees the store keep the
// old value alive for as long as the session lives: a large cached object
// is never freed, and a one-time token or password-reset secret the
// program dropped is still in the process's memory (and in a core dump).
// An idle session, never read, frees it: only the read path retains it.
func TestMemoryDeletedValueOfReadSessionIsReleased(t *testing.T) {
	for _, tc := range []struct {
		name    string
		read    bool
		changes func() map[string]any
	}{
		{"never read, deleted", false, func() map[string]any { return map[string]any{"big": nil} }},
		{"read, deleted", true, func() map[string]any { return map[string]any{"big": nil} }},
		{"read, replaced", true, func() map[string]any { return map[string]any{"big": "small now"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			m := newTestMemory()
			id := testID(t)
			big := &secretValue{token: make([]byte, 1<<16)}
			w := weak.Make(big)
			require.NoError(t, m.Create(ctx, id, testRecord(map[string]any{"big": big, "other": 1})))
			big = nil
			if tc.read {
				_, found, err := m.Load(ctx, id, testBase, false)
				require.NoError(t, err)
				require.True(t, found)
			}
			require.NoError(t, m.Update(ctx, id, tc.changes()))
			rec, found, err := m.Load(ctx, id, testBase, false)
			require.NoError(t, err)
			require.True(t, found)
			_, still := rec.Values["big"].(*secretValue)
			require.False(t, still, "the store no longer reports the value")
			rec = Record{}
			assert.True(t, collected(w), "the store still holds the value the session deleted or replaced")
			runtime.KeepAlive(m)
		})
	}
}
