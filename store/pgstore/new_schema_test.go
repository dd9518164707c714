package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/store/pgstore"
)

// An instance that starts while another holds a write on the sessions table
// open (a slow request, a sweep) must not wait for it: the schema is there,
// so New has nothing to change. Waiting would also queue every later
// session write of every instance behind New's table lock.
func TestNewDoesNotLockAnExistingTable(t *testing.T) {
	s, pool, table := newStore(t)
	ctx := t.Context()
	id := testkit.RandomID(t)
	require.NoError(t, s.Create(ctx, id, record(time.Now(), nil)))

	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(context.Background()) }()
	_, err = tx.Exec(ctx, `UPDATE "`+table+`" SET idle = idle`)
	require.NoError(t, err)

	start, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	_, err = pgstore.New(start, pool, pgstore.WithTable(table))
	require.NoError(t, err, "New while a write is open")
}

// A schema that lacks a part (made by an older release, or half by hand) is
// completed by New, not taken as it is.
func TestNewCompletesAPartialSchema(t *testing.T) {
	_, pool, table := newStore(t)
	ctx := t.Context()
	_, err := pool.Exec(ctx, `DROP TRIGGER "`+table+`_count_reset" ON "`+table+`"`)
	require.NoError(t, err)
	_, err = pgstore.New(ctx, pool, pgstore.WithTable(table))
	require.NoError(t, err)
	var n int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM pg_trigger WHERE tgname = $1`, table+"_count_reset").Scan(&n))
	require.Equal(t, 1, n, "the missing trigger, made again")
}

// A team that migrates by hand and left out a trigger would get a Count
// that silently drifts from the rows: New refuses such a schema.
func TestWithoutCreateTablesRefusesAnIncompleteSchema(t *testing.T) {
	_, pool, table := newStore(t)
	ctx := t.Context()
	_, err := pool.Exec(ctx, `DROP TRIGGER "`+table+`_count_out" ON "`+table+`"`)
	require.NoError(t, err)
	_, err = pgstore.New(ctx, pool, pgstore.WithTable(table), pgstore.WithCreateTables(false))
	require.ErrorContains(t, err, "incomplete")
}
