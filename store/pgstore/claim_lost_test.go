package pgstore_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/pgtest"
	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/store"
)

// A claim whose every reply is lost (the connection breaks after PostgreSQL
// ran it, on each retry) fails the call, which cannot know whether it claimed
// the rows. The store must take such a claim back, as the Redis store does,
// so that the session is reported exactly once later, and not left claimed
// until the stale-claim cleanup deletes it unreported (a lost Destroyed).
func TestClaimWithEveryReplyLostIsTakenBack(t *testing.T) {
	for name, tc := range map[string]struct {
		// marker picks the write that runs the claim by its parameters: the
		// statement's text travels only when the connection prepares it, a
		// round trip of its own that runs nothing.
		marker func(id string, at time.Time) string
		call   func(s store.Store, id string, at time.Time) error
	}{
		"sweep": {func(_ string, at time.Time) string { return nowParam(at.Add(time.Hour)) }, func(s store.Store, _ string, at time.Time) error {
			_, err := s.Sweep(t.Context(), at.Add(time.Hour), 10)
			return err
		}},
		"delete": {func(id string, _ time.Time) string { return fpParam(id) }, func(s store.Store, id string, _ time.Time) error {
			_, _, err := s.Delete(t.Context(), id)
			return err
		}},
	} {
		t.Run(name, func(t *testing.T) {
			w := &pgtest.Wire{}
			s := wiredStore(t, w)
			ctx, at := t.Context(), time.Now().Truncate(time.Millisecond)
			id := testkit.RandomID(t)
			require.NoError(t, s.Create(ctx, id, record(at, map[string]any{"user": "ada"})))

			const attempts = 4 // the default retries, 3, and the first
			for range attempts {
				w.LoseReplyOnce(tc.marker(id, at))
			}
			require.Error(t, tc.call(s, id, at), "a call whose every reply was lost")
			require.Equal(t, attempts, w.Lost(), "replies lost")

			got, err := s.Sweep(ctx, at.Add(time.Hour), 10)
			require.NoError(t, err)
			require.Len(t, got, 1, "the session whose claim was lost, reported by the next sweep")
			assert.Equal(t, store.MaskedID(id), got[0].MaskedID)
			assert.Equal(t, map[string]any{"user": "ada"}, got[0].Record.Values)
			again, err := s.Sweep(ctx, at.Add(time.Hour), 10)
			require.NoError(t, err)
			assert.Empty(t, again, "reported once")
		})
	}
}
