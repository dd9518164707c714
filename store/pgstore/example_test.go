package pgstore_test

import (
	"context"
	"log"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/store/pgstore"
)

// Keep sessions in the PostgreSQL the application already runs, so that
// every instance shares them. New creates the store's tables when they are
// missing. The store does not own the pool: close it after the manager.
func ExampleNew() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://app@127.0.0.1:5432/app")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	st, err := pgstore.New(ctx, pool, pgstore.WithTable("shop_sessions"))
	if err != nil {
		log.Fatal(err) // wraps store.ErrUnavailable when the database cannot be reached
	}
	m := session.NewManager(session.Options{Store: st}, nil, nil)
	defer m.Close()

	r := gin.New()
	r.Use(session.UseManager(m, nil))
	_ = r // r.Run(":8080")
}

// Teams that migrate by hand run the SQL of the package documentation in
// their migration, and tell the store not to create anything: New then
// only checks that the tables are there.
func ExampleWithCreateTables() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://app@127.0.0.1:5432/app")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	st, err := pgstore.New(ctx, pool, pgstore.WithCreateTables(false))
	if err != nil {
		log.Fatal(err) // names the missing table
	}
	_ = st // session.Options{Store: st}
}
