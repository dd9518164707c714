package pgstore_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/store"
)

// A claim left by an instance that crashed between claiming rows and
// deleting them must not hold the rows for ever (counted, passed by as gone,
// never swept): once it is older than the claim grace (five minutes, by the
// database's clock), a sweep removes them, unreported; a younger claim is
// left to its owner.
func TestStaleClaimIsRemoved(t *testing.T) {
	s, pool, table := newStore(t)
	ctx, at := t.Context(), time.Now().Truncate(time.Millisecond)
	stale, young := testkit.RandomID(t), testkit.RandomID(t)
	for _, id := range []string{stale, young} {
		require.NoError(t, s.Create(ctx, id, record(at, nil)))
	}
	claim := func(id string, age time.Duration) {
		fp := store.Fingerprint(id)
		_, err := pool.Exec(ctx, "UPDATE "+pgx.Identifier{table}.Sanitize()+
			" SET claim = $1, claimed = clock_timestamp() - $2::interval WHERE fp = $1", fp[:], age.String())
		require.NoError(t, err)
	}
	claim(stale, 6*time.Minute)
	claim(young, 4*time.Minute)

	got, err := s.Sweep(ctx, at, 10) // nothing is due: only the cleanup runs
	require.NoError(t, err)
	assert.Empty(t, got, "a stale claim is removed, not reported")
	n, err := s.Count(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "Count once the stale claim is removed; the young one stays")
	_, found, err := s.Load(ctx, young, at, false)
	require.NoError(t, err)
	assert.False(t, found, "a claimed session is passed by as gone")
}
