package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
)

// BenchmarkCount1M measures Count on a table of 1,000,000 sessions, beside
// the count(*) it replaces. The rows go in with one INSERT ... SELECT, so
// the count triggers see them as any insert would.
//
//	go test -run '^$' -bench Count1M -benchtime 200x ./store/pgstore/
func BenchmarkCount1M(b *testing.B) {
	const n = 1_000_000
	s, pool, table := newStore(b)
	ctx := context.Background()
	now := time.Now().UnixMilli()
	_, err := pool.Exec(ctx, `INSERT INTO `+pgx.Identifier{table}.Sanitize()+` (fp, created, accessed, idle, expires)
		SELECT sha256(g::text::bytea), $1::bigint, $1::bigint, 1800000, $1::bigint + 7200000 FROM generate_series(1, $2::int) g`, now, n)
	require.NoError(b, err)
	_, err = pool.Exec(ctx, `VACUUM ANALYZE `+pgx.Identifier{table}.Sanitize())
	require.NoError(b, err)

	b.Run("Count", func(b *testing.B) {
		for b.Loop() {
			got, err := s.Count(ctx)
			if err != nil || got != n {
				b.Fatalf("Count = %d, %v; want %d", got, err, n)
			}
		}
	})
	b.Run("count(*)", func(b *testing.B) {
		for b.Loop() {
			var got int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{table}.Sanitize()).Scan(&got); err != nil || got != n {
				b.Fatalf("count(*) = %d, %v; want %d", got, err, n)
			}
		}
	})
}

// BenchmarkCreateCountCost measures what keeping the count costs a
// create: Create with the count triggers, then with them dropped.
//
//	go test -run '^$' -bench CreateCountCost -benchtime 3000x ./store/pgstore/
func BenchmarkCreateCountCost(b *testing.B) {
	s, pool, table := newStore(b)
	ctx := context.Background()
	at := time.Now()
	create := func(b *testing.B) {
		for b.Loop() {
			if err := s.Create(ctx, testkit.RandomID(b), record(at, map[string]any{"user": "ada"})); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("with count triggers", create)
	_, err := pool.Exec(ctx, `DROP TRIGGER `+pgx.Identifier{table + "_count_in"}.Sanitize()+` ON `+pgx.Identifier{table}.Sanitize())
	require.NoError(b, err)
	b.Run("without", create)
}
