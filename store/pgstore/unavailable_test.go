package pgstore_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/pgtest"
	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/pgstore"
)

// TestServerDownIsUnavailable stops the server under a store: every call
// fails with an error wrapping store.ErrUnavailable (503, not 500) that
// holds no session ID, and once the server is back the same store works
// again, with what was committed before the stop.
func TestServerDownIsUnavailable(t *testing.T) {
	server := pgtest.Start(t)
	pool := server.NewPool(t)
	s, err := pgstore.New(t.Context(), pool)
	require.NoError(t, err)
	ctx, at := t.Context(), time.Now().Truncate(time.Millisecond)
	id := testkit.RandomID(t)
	require.NoError(t, s.Create(ctx, id, record(at, map[string]any{"user": "ada"})))

	server.Stop(t)
	calls := map[string]func() error{
		"Create": func() error { return s.Create(ctx, testkit.RandomID(t), record(at, nil)) },
		"Load":   func() error { _, _, err := s.Load(ctx, id, at, true); return err },
		"Update": func() error { return s.Update(ctx, id, map[string]any{"k": "v"}) },
		"Delete": func() error { _, _, err := s.Delete(ctx, id); return err },
		"Renew":  func() error { return s.Renew(ctx, id, testkit.RandomID(t), at) },
		"Count":  func() error { _, err := s.Count(ctx); return err },
		"Sweep":  func() error { _, err := s.Sweep(ctx, at, 10); return err },
	}
	for name, call := range calls {
		err := call()
		assert.ErrorIs(t, err, store.ErrUnavailable, "%s while the server is down", name)
		if err != nil {
			assert.NotContains(t, err.Error(), id, name)
		}
	}
	_, err = pgstore.New(ctx, pool, pgstore.WithTable("other"))
	assert.ErrorIs(t, err, store.ErrUnavailable, "New while the server is down")

	server.Restart(t)
	rec, found, err := s.Load(ctx, id, at, false)
	require.NoError(t, err, "Load after the restart")
	require.True(t, found)
	assert.Equal(t, map[string]any{"user": "ada"}, rec.Values)
}

// TestWithoutCreateTables checks that a store told not to create its
// tables fails New, clearly, where they are missing, and works where they
// were made (here by another store, as a migration would).
func TestWithoutCreateTables(t *testing.T) {
	pool := pgtest.Pool(t)
	table := pgtest.Table()
	_, err := pgstore.New(t.Context(), pool, pgstore.WithTable(table), pgstore.WithCreateTables(false))
	require.Error(t, err)
	assert.ErrorContains(t, err, "does not exist")
	assert.NotErrorIs(t, err, store.ErrUnavailable)

	_, err = pgstore.New(t.Context(), pool, pgstore.WithTable(table))
	require.NoError(t, err)
	t.Cleanup(func() { dropTables(t, pool, table) })
	s, err := pgstore.New(t.Context(), pool, pgstore.WithTable(table), pgstore.WithCreateTables(false))
	require.NoError(t, err)
	require.NoError(t, s.Create(t.Context(), testkit.RandomID(t), record(time.Now(), nil)))
}

// TestRowsHoldNoRawID checks that nothing the store writes holds the
// session ID: rows are keyed by its fingerprint.
func TestRowsHoldNoRawID(t *testing.T) {
	s, pool, table := newStore(t)
	ctx, at := t.Context(), time.Now().Truncate(time.Millisecond)
	id, renewed := testkit.RandomID(t), testkit.RandomID(t)
	require.NoError(t, s.Create(ctx, id, record(at, map[string]any{"user": "ada"})))
	require.NoError(t, s.Renew(ctx, id, renewed, at))
	for _, suffix := range []string{"", "_values", "_former"} {
		var dump string
		require.NoError(t, pool.QueryRow(ctx, `SELECT string_agg(t::text, ' ') FROM "`+table+suffix+`" AS t`).Scan(&dump))
		require.NotEmpty(t, dump)
		for _, raw := range []string{id, renewed} {
			assert.NotContains(t, dump, raw, "table %s%s holds a raw ID", table, suffix)
		}
	}
}

// TestSignedValueChangedInTheDatabase checks that, with signing keys, a
// value somebody changed in the database is refused before it is decoded,
// with an error wrapping ErrDecode.
func TestSignedValueChangedInTheDatabase(t *testing.T) {
	s, pool, table := newStore(t, pgstore.WithSigningKeys([]byte("pgstore-sign-key-pgstore-sign-k!")))
	ctx, at := t.Context(), time.Now().Truncate(time.Millisecond)
	id := testkit.RandomID(t)
	require.NoError(t, s.Create(ctx, id, record(at, map[string]any{"role": "user"})))
	_, err := pool.Exec(ctx, `UPDATE "`+table+`_values" SET value = overlay(value placing 'admin' from 2 for 4)`)
	require.NoError(t, err)
	_, _, err = s.Load(ctx, id, at, false)
	assert.ErrorIs(t, err, pgstore.ErrDecode)
	assert.NotErrorIs(t, err, store.ErrUnavailable, "a row that does not decode is not a database that is down (503)")
	assert.ErrorContains(t, err, "MAC does not match")
	assert.NotContains(t, err.Error(), id)
}
