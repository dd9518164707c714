package pgstore_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/store"
)

// A session renewed on every request keeps only its latest eight former IDs
// (which answer ErrRenewed): the former-ID table must not grow with the
// session's age, and an older former ID is simply not found.
func TestFormerIDsAreTheLatestEight(t *testing.T) {
	s, pool, table := newStore(t)
	ctx := t.Context()
	now := time.Now()
	id := func(i int) string { return fmt.Sprintf("renewed-%02d", i) }
	require.NoError(t, s.Create(ctx, id(0), record(now, nil)))
	const renewals = 20
	for i := 1; i <= renewals; i++ {
		require.NoError(t, s.Renew(ctx, id(i-1), id(i), now.Add(time.Duration(i)*time.Second)))
	}
	for i := range renewals {
		err := s.Update(ctx, id(i), map[string]any{"k": "v"})
		if i >= renewals-8 {
			require.ErrorIs(t, err, store.ErrRenewed, "former ID %d", i)
		} else {
			require.ErrorIs(t, err, store.ErrNotFound, "former ID %d", i)
		}
	}
	var n int
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{table + "_former"}.Sanitize()).Scan(&n))
	require.Equal(t, 8, n, "former rows kept")

	_, deleted, err := s.Delete(ctx, id(renewals))
	require.NoError(t, err)
	require.True(t, deleted)
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{table + "_former"}.Sanitize()).Scan(&n))
	require.Zero(t, n, "former rows of an ended session")
}
