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

// TestReleasedClaimKeepsFormerIDs checks that a claim taken back after every
// reply was lost leaves the session exactly as it was, former IDs included.
// The failed Delete "did not happen": the session is back under its current
// ID, so a late Update, Delete or Renew of the ID it was renewed from must
// still learn that it was renewed (store.ErrRenewed), not that it ended. An
// ErrNotFound there lets the manager answer 200 for a logout or a save of
// the old ID while the session lives on under the new one.
func TestReleasedClaimKeepsFormerIDs(t *testing.T) {
	for _, tc := range []struct {
		name  string
		claim func(t *testing.T, s store.Store, id string, at time.Time)
	}{
		{"Delete", func(t *testing.T, s store.Store, id string, at time.Time) {
			_, _, err := s.Delete(t.Context(), id)
			require.ErrorIs(t, err, store.ErrUnavailable)
		}},
		{"Sweep", func(t *testing.T, s store.Store, id string, at time.Time) {
			_, err := s.Sweep(t.Context(), at.Add(3*time.Hour), 10)
			require.ErrorIs(t, err, store.ErrUnavailable)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, lose := lossy(t)
			ctx, at := t.Context(), now()
			oldID, curID := newID(t), newID(t)
			require.NoError(t, s.Create(ctx, oldID, record(at, map[string]any{"user": "ada"})))
			require.NoError(t, s.Renew(ctx, oldID, curID, at))
			require.ErrorIs(t, s.Update(ctx, oldID, map[string]any{"k": "v"}), store.ErrRenewed, "before the claim")

			lose.Lose(redistest.Script(redisstore.DeleteScriptSHA), 0, -1)
			tc.claim(t, s, curID, at)
			lose.Stop()

			n, err := s.Count(ctx) // settles: the claim is taken back
			require.NoError(t, err)
			require.Equal(t, 1, n, "the session is back")
			_, found, err := s.Load(ctx, curID, at, false)
			require.NoError(t, err)
			require.True(t, found, "under its current ID")

			assert.ErrorIs(t, s.Update(ctx, oldID, map[string]any{"k": "v"}), store.ErrRenewed,
				"Update of the former ID after the claim was taken back")
			_, deleted, err := s.Delete(ctx, oldID)
			assert.ErrorIs(t, err, store.ErrRenewed, "Delete of the former ID after the claim was taken back")
			assert.False(t, deleted)
			assert.ErrorIs(t, s.Renew(ctx, oldID, newID(t), at), store.ErrRenewed,
				"Renew of the former ID after the claim was taken back")
		})
	}
}
