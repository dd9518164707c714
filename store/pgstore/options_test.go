package pgstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/pgstore"
)

// TestWithMaxValueSizeMovesTheLimit checks that WithMaxValueSize replaces
// the 64 KiB default: a value of exactly the limit fits, one byte more is
// refused with ErrValueTooLarge, at Set time (through store.ValueChecker,
// which New's store.Store implements) and by Update.
func TestWithMaxValueSizeMovesTheLimit(t *testing.T) {
	const limit = 100
	s, _, _ := newStore(t, pgstore.WithMaxValueSize(limit))
	checker, ok := s.(store.ValueChecker)
	require.True(t, ok, "the store implements store.ValueChecker")
	fits, over := strings.Repeat("x", limit), strings.Repeat("x", limit+1) // a string is stored as its bytes
	require.NoError(t, checker.CheckValue("note", fits), "exactly the limit fits")
	assert.ErrorIs(t, checker.CheckValue("note", over), pgstore.ErrValueTooLarge)

	ctx, at, id := t.Context(), time.Now(), testkit.RandomID(t)
	require.NoError(t, s.Create(ctx, id, record(at, nil)))
	assert.ErrorIs(t, s.Update(ctx, id, map[string]any{"note": over}), pgstore.ErrValueTooLarge)
	require.NoError(t, s.Update(ctx, id, map[string]any{"note": fits}))
	rec, _, err := s.Load(ctx, id, at, false)
	require.NoError(t, err)
	assert.Equal(t, fits, rec.Values["note"])
}
