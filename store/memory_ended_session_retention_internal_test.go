package store

import (
	"testing"
	"time"
	"weak"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMemoryEndedSessionValuesAreReleased: once a session ends before its
// deadline (a logout with Delete, a user's "sign out that device" with
// DeleteUserSession, or the end of a session renewed from another ID), the
// store must not keep its values alive: a large cached object stays in the
// heap, and a token the session held is still in the process's memory and
// in a core dump, until the deadline passes, a month later with a long
// MaxAge. The expiry heap keeps filing the session until its deadline or a
// compaction: it may hold the session's ID, not its values.
func TestMemoryEndedSessionValuesAreReleased(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values func(big *secretValue) map[string]any
		end    func(t *testing.T, m *memory, id string)
	}{
		{
			name:   "one value, Delete",
			values: func(big *secretValue) map[string]any { return map[string]any{"big": big} },
			end: func(t *testing.T, m *memory, id string) {
				_, deleted, err := m.Delete(t.Context(), id)
				require.NoError(t, err)
				require.True(t, deleted)
			},
		},
		{
			name:   "two values, Delete",
			values: func(big *secretValue) map[string]any { return map[string]any{"big": big, "n": 1} },
			end: func(t *testing.T, m *memory, id string) {
				_, deleted, err := m.Delete(t.Context(), id)
				require.NoError(t, err)
				require.True(t, deleted)
			},
		},
		{
			name:   "one value, DeleteUserSession",
			values: func(big *secretValue) map[string]any { return map[string]any{"big": big} },
			end: func(t *testing.T, m *memory, id string) {
				require.NoError(t, m.SetUser(t.Context(), id, "alice"))
				_, deleted, err := m.DeleteUserSession(t.Context(), "alice", MaskedID(id))
				require.NoError(t, err)
				require.True(t, deleted)
			},
		},
		{
			name:   "one value, renewed then Delete",
			values: func(big *secretValue) map[string]any { return map[string]any{"big": big} },
			end: func(t *testing.T, m *memory, id string) {
				renewed := testID(t)
				require.NoError(t, m.Renew(t.Context(), id, renewed, testBase))
				_, deleted, err := m.Delete(t.Context(), renewed)
				require.NoError(t, err)
				require.True(t, deleted)
				require.ErrorIs(t, m.Update(t.Context(), id, map[string]any{"k": 1}), ErrNotFound,
					"the former ID is dropped with the session")
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			m := newTestMemory()
			// Other sessions in the store, as in any real one: the heap is
			// not compacted for one deletion among them.
			for range 200 {
				require.NoError(t, m.Create(ctx, testID(t), testRecord(map[string]any{"k": "v"})))
			}
			id := testID(t)
			big := &secretValue{token: make([]byte, 1<<16)}
			w := weak.Make(big)
			rec := testRecord(tc.values(big))
			rec.Idle = 30 * 24 * time.Hour
			require.NoError(t, m.Create(ctx, id, rec))
			big, rec = nil, Record{}
			tc.end(t, m, id)
			assert.True(t, collected(w), "the store still holds a value of a session that ended")
			n, err := m.Count(ctx)
			require.NoError(t, err)
			assert.Equal(t, 200, n)
		})
	}
}
