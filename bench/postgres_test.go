package bench

import (
	"net/http"
	"testing"

	"github.com/alexedwards/scs/postgresstore"
	scs "github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/sessionkit/session/internal/pgtest"
	"github.com/sessionkit/session/store/pgstore"
)

// The PostgreSQL contenders use PG_URL when it is set, or else a private
// server that internal/pgtest starts on a free loopback port (fsync off, as
// for the tests: the benchmark measures the store, not the disk). Without
// one they skip, or fail under SESSION_REQUIRE_POSTGRES=1.

// sessionkitPostgres is sessionkit's pgstore on a table of its own.
func sessionkitPostgres(b *testing.B) http.Handler {
	pool := pgtest.Pool(b)
	st, err := pgstore.New(b.Context(), pool, pgstore.WithTable(pgtest.Table()))
	if err != nil {
		b.Fatalf("pgstore.New: %v", err)
	}
	b.Cleanup(func() { _ = st.Close() })
	opts := sessionkitOptions()
	opts.Store = st
	return sessionkitApp(newSessionkitManager(b, opts), nil)
}

// scsPostgresstore is scs's postgresstore (database/sql, here over pgx's
// driver on the same kind of pool), on the table its documentation
// prescribes, without its cleanup goroutine.
func scsPostgresstore(b *testing.B) http.Handler {
	pool := pgtest.Pool(b)
	db := stdlib.OpenDBFromPool(pool)
	b.Cleanup(func() { _ = db.Close() })
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS sessions (
		token TEXT PRIMARY KEY, data BYTEA NOT NULL, expiry TIMESTAMPTZ NOT NULL);
		CREATE INDEX IF NOT EXISTS sessions_expiry_idx ON sessions (expiry)`); err != nil {
		b.Fatalf("scs sessions table: %v", err)
	}
	sm := scs.New()
	sm.Store = postgresstore.NewWithCleanupInterval(db, 0)
	return scsApp(sm)
}
