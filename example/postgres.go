package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/pgstore"
)

// openPostgres connects to the PostgreSQL at rawURL and makes the session
// store there (creating its tables when they are missing), so that a wrong
// URL or a stopped server stops the program at startup rather than failing
// its first request. Errors never quote the password: pgx hides it.
func openPostgres(rawURL string) (*pgxpool.Pool, store.Store, error) {
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, nil, fmt.Errorf("-postgres: not a PostgreSQL URL (want postgres://[user[:password]@]host[:port]/db): %w", err)
	}
	// A request answers its 503 within a few seconds while the database
	// is down, rather than waiting for the operating system to give up.
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("-postgres: %w", err)
	}
	st, err := pgstore.New(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, nil, fmt.Errorf("-postgres: PostgreSQL at %s: %w", cfg.ConnConfig.Host, err)
	}
	return pool, st, nil
}
