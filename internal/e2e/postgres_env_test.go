package e2e_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/pgtest"
	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/pgstore"
)

// sharedPostgres returns a maker of PostgreSQL stores that share one fresh
// table of the test database, each through a pool of its own: the stores
// of instances of one application, for newInstances. The table is dropped
// when the test ends.
func sharedPostgres(t *testing.T) func(t *testing.T) store.Store {
	t.Helper()
	return postgresStores(t, pgtest.URL(t))
}

// postgresStores is sharedPostgres on the server at url.
func postgresStores(t *testing.T, url string) func(t *testing.T) store.Store {
	t.Helper()
	table := pgtest.Table()
	t.Cleanup(func() { dropPostgresTables(t, url, table) })
	return func(t *testing.T) store.Store {
		t.Helper()
		pool, err := pgxpool.New(context.Background(), url)
		require.NoError(t, err)
		t.Cleanup(pool.Close)
		s, err := pgstore.New(t.Context(), pool, pgstore.WithTable(table))
		require.NoError(t, err, "pgstore.New")
		return s
	}
}

// dropPostgresTables removes what pgstore.New created for table, so that a
// database named by PG_URL is left as it was.
func dropPostgresTables(t *testing.T, url, table string) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Logf("drop tables: %v", err)
		return
	}
	defer conn.Close(context.Background())
	id := func(suffix string) string { return pgx.Identifier{table + suffix}.Sanitize() }
	_, err = conn.Exec(context.Background(), "DROP TABLE IF EXISTS "+id("_values")+", "+id("_former")+", "+id("_count")+", "+id("")+
		"; DROP FUNCTION IF EXISTS "+id("_count_in")+"(), "+id("_count_out")+"(), "+id("_count_reset")+"()")
	if err != nil {
		t.Logf("drop tables: %v", err)
	}
}
