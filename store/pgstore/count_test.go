package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/store"
)

// rowCount is the number of session rows in table, counted the slow way.
func rowCount(t *testing.T, pool *pgxpool.Pool, table string) int {
	t.Helper()
	var n int
	require.NoError(t, pool.QueryRow(context.Background(), "SELECT count(*) FROM "+pgx.Identifier{table}.Sanitize()).Scan(&n))
	return n
}

// An operator who empties the table with TRUNCATE (as after a breach, to log
// everybody out) fires no DELETE trigger: Count must still read zero, and
// keep counting from there, not report the old number for ever.
func TestCountAfterTruncate(t *testing.T) {
	s, pool, table := newStore(t)
	ctx := t.Context()
	now := time.Now()
	for i := range 5 {
		require.NoError(t, s.Create(ctx, fmt.Sprintf("truncated-%d", i), record(now, nil)))
	}
	_, err := pool.Exec(ctx, "TRUNCATE "+pgx.Identifier{table}.Sanitize()+" CASCADE")
	require.NoError(t, err)
	require.NoError(t, s.Create(ctx, "after-truncate", record(now, nil)))

	n, err := s.Count(ctx)
	require.NoError(t, err)
	require.Equal(t, rowCount(t, pool, table), n, "Count after TRUNCATE")
	require.Equal(t, 1, n)
}

// Count is kept by triggers, not by reading the table; after creates,
// deletes, renewals, updates and sweeps from many goroutines at once (each
// racing the others for the same sessions), it must equal the number of
// rows, and again once everything is swept.
func TestCountAfterConcurrencyStorm(t *testing.T) {
	s, pool, table := newStore(t)
	ctx := t.Context()
	start := time.Now()
	const workers, ids = 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ids {
				id := fmt.Sprintf("storm-%d", i)
				now := start.Add(time.Duration(i) * time.Millisecond)
				rec := record(now, map[string]any{"w": w})
				rec.Idle = time.Duration(1+i%3) * time.Millisecond
				ops := []func() error{
					func() error { return s.Create(ctx, id, rec) },
					func() error { return s.Update(ctx, id, map[string]any{fmt.Sprint(w): i}) },
					func() error { return s.Renew(ctx, id, fmt.Sprintf("%s-renewed-%d", id, w), now) },
					func() error { _, _, err := s.Delete(ctx, id); return err },
					func() error { _, err := s.Sweep(ctx, now.Add(2*time.Millisecond), 5); return err },
					func() error { return s.SetUser(ctx, id, "storm") },
				}
				if err := ops[(w+i)%len(ops)](); err != nil && !errors.Is(err, store.ErrNotFound) &&
					!errors.Is(err, store.ErrRenewed) && !errors.Is(err, store.ErrExists) {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	n, err := s.Count(ctx)
	require.NoError(t, err)
	require.Equal(t, rowCount(t, pool, table), n, "Count after the storm")

	for {
		out, err := s.Sweep(ctx, start.Add(time.Hour), 1000)
		require.NoError(t, err)
		if len(out) == 0 {
			break
		}
	}
	n, err = s.Count(ctx)
	require.NoError(t, err)
	require.Equal(t, 0, n, "Count once all is swept")
	require.Equal(t, 0, rowCount(t, pool, table))
}
