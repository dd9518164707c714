package pgstore_test

import (
	"context"
	"encoding/gob"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/pgtest"
	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/pgstore"
	"github.com/sessionkit/session/store/storetest"
)

func TestMain(m *testing.M) {
	// The Values subtest stores a Profile; gob must know its type.
	gob.Register(storetest.Profile{})
	pgtest.Main(m)
}

// newStore returns a store on a table of its own in the test database, and
// the pool and table name, for tests that look at the rows. The tables are
// dropped when the test ends, so that a database named by PG_URL is left
// as it was.
func newStore(t testing.TB, opts ...pgstore.Option) (store.Store, *pgxpool.Pool, string) {
	t.Helper()
	pool := pgtest.Pool(t)
	table := pgtest.Table()
	s, err := pgstore.New(t.Context(), pool, append([]pgstore.Option{pgstore.WithTable(table)}, opts...)...)
	require.NoError(t, err, "New")
	t.Cleanup(func() { dropTables(t, pool, table) })
	return s, pool, table
}

// dropTables removes what New created for table.
func dropTables(t testing.TB, pool *pgxpool.Pool, table string) {
	t.Helper()
	id := func(suffix string) string { return pgx.Identifier{table + suffix}.Sanitize() }
	_, err := pool.Exec(context.Background(), "DROP TABLE IF EXISTS "+id("_values")+", "+id("_former")+", "+id("_count")+", "+id("")+
		"; DROP FUNCTION IF EXISTS "+id("_count_in")+"(), "+id("_count_out")+"(), "+id("_count_reset")+"()")
	require.NoError(t, err, "drop tables")
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, _, _ := newStore(t)
		return s
	})
}

func TestConformanceJSONSigned(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, _, _ := newStore(t, pgstore.WithCodec(store.JSON()), pgstore.WithSigningKeys([]byte("pgstore-test-key-pgstore-test-k!")))
		return s
	})
}
