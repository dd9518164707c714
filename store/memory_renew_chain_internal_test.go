package store

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMemoryRenewChainOverIDsOfEveryForm renews one session through more
// IDs than it keeps tombstones for, alternating the forms of ID the index
// keeps differently (decoded, in the rare part, empty): every former ID it
// keeps answers ErrRenewed to Update, Delete, SetUser, SetExpires and
// Renew, is found by no Load, and one it forgot answers as unknown; once
// the session ends (by Delete, DeleteUserSession or a sweep), every former
// ID is unknown, the store counts nothing and its shards hold nothing.
func TestMemoryRenewChainOverIDsOfEveryForm(t *testing.T) {
	forms := []func(i int) string{
		func(int) string { return testID(t) },
		func(i int) string { return fmt.Sprintf("short-%d", i) },
		func(int) string { id := testID(t); return id[:42] + "B" },
		func(int) string { return strings.ToUpper(testID(t)) },
		func(int) string { return "" },
	}
	for _, end := range []string{"Delete", "DeleteUserSession", "Sweep"} {
		t.Run(end, func(t *testing.T) {
			ctx := t.Context()
			m := newTestMemory()
			ids := []string{testID(t)}
			rec := testRecord(map[string]any{"k": "v"})
			rec.User = "alice"
			require.NoError(t, m.Create(ctx, ids[0], rec))
			for i := range 3 * maxFormerIDs {
				next := forms[i%len(forms)](i)
				if i%len(forms) == len(forms)-1 && i/len(forms) > 0 {
					next = fmt.Sprintf("again-%d", i) // "" once only
				}
				require.NoError(t, m.Renew(ctx, ids[len(ids)-1], next, testBase), "renew %d to %q", i, next)
				ids = append(ids, next)
			}
			current := ids[len(ids)-1]
			former := ids[:len(ids)-1]
			kept := former[len(former)-maxFormerIDs:]
			forgotten := former[:len(former)-maxFormerIDs]
			for _, id := range kept {
				assert.ErrorIs(t, m.Update(ctx, id, map[string]any{"x": 1}), ErrRenewed, "Update of former ID %q", id)
				_, _, err := m.Delete(ctx, id)
				assert.ErrorIs(t, err, ErrRenewed, "Delete of former ID %q", id)
				assert.ErrorIs(t, m.SetUser(ctx, id, "bob"), ErrRenewed, "SetUser of former ID %q", id)
				assert.ErrorIs(t, m.SetExpires(ctx, id, testBase.Add(time.Minute)), ErrRenewed, "SetExpires of former ID %q", id)
				assert.ErrorIs(t, m.Renew(ctx, id, testID(t), testBase), ErrRenewed, "Renew of former ID %q", id)
				_, found, err := m.Load(ctx, id, testBase, false)
				require.NoError(t, err)
				assert.False(t, found, "Load of former ID %q", id)
			}
			for _, id := range forgotten {
				assert.ErrorIs(t, m.Update(ctx, id, map[string]any{"x": 1}), ErrNotFound, "Update of forgotten ID %q", id)
			}
			got, found, err := m.Load(ctx, current, testBase, false)
			require.NoError(t, err)
			require.True(t, found)
			assert.Equal(t, map[string]any{"k": "v"}, got.Values)
			assert.Equal(t, "alice", got.User)

			switch end {
			case "Delete":
				_, deleted, err := m.Delete(ctx, current)
				require.NoError(t, err)
				require.True(t, deleted)
			case "DeleteUserSession":
				_, deleted, err := m.DeleteUserSession(ctx, "alice", MaskedID(current))
				require.NoError(t, err)
				require.True(t, deleted)
			case "Sweep":
				swept, err := m.Sweep(ctx, testBase.Add(time.Hour), 100)
				require.NoError(t, err)
				require.Len(t, swept, 1)
				assert.Equal(t, current, swept[0].ID)
				assert.Equal(t, MaskedID(current), swept[0].MaskedID)
			}
			for _, id := range former {
				assert.ErrorIs(t, m.Update(ctx, id, map[string]any{"x": 1}), ErrNotFound, "Update of former ID %q after the end", id)
			}
			n, err := m.Count(ctx)
			require.NoError(t, err)
			assert.Zero(t, n)
			for i := range m.shards {
				assert.Empty(t, m.shards[i].entries, "shard %d", i)
			}
			users, err := m.UserSessions(ctx, "alice", testBase)
			require.NoError(t, err)
			assert.Empty(t, users)
			// Every former ID is free again.
			for _, id := range former {
				require.NoError(t, m.Create(ctx, id, testRecord(nil)), "Create of former ID %q", id)
			}
		})
	}
}
