package pgstore

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sessionkit/session/internal/pgtest"
)

// TestQueriesReadIndexesNotTheTable checks, with EXPLAIN on a table of
// 20,000 sessions of one value each, that UserSessions reads the user's index and the sweep's
// claim reads the deadline index, never the whole table, as the package
// documentation and store.Store promise.
func TestQueriesReadIndexesNotTheTable(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	table := pgtest.Table()
	st, err := New(ctx, pool, WithTable(table))
	if err != nil {
		t.Fatal(err)
	}
	s := st.(*pgStore)
	t.Cleanup(func() {
		_, _ = pool.Exec(ctx, "DROP TABLE "+s.t.values+", "+s.t.former+", "+s.t.counts+", "+s.t.sessions+
			"; DROP FUNCTION "+pgx.Identifier{table + "_count_in"}.Sanitize()+"(), "+pgx.Identifier{table + "_count_out"}.Sanitize()+"(), "+pgx.Identifier{table + "_count_reset"}.Sanitize()+"()")
	})
	now := time.Now().UnixMilli()
	if _, err := pool.Exec(ctx, `INSERT INTO `+s.t.sessions+` (fp, created, accessed, idle, expires, usr)
		SELECT sha256(g::text::bytea), $1::bigint, $1::bigint, 1800000, $1::bigint + 7200000, ('user' || (g % 5000))::bytea
		FROM generate_series(1, 20000) g`, now); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO `+s.t.values+` (sid, key, value) SELECT sid, 'user'::bytea, 'sada'::bytea FROM `+s.t.sessions); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "ANALYZE "+s.t.sessions+", "+s.t.values); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, sql, index string
		args             []any
	}{
		{"UserSessions", s.userSessionsSQL(), table + "_user", []any{[]byte("user7"), now}},
		{"Sweep claim", s.sweepClaimSQL(), table + "_deadline", []any{newToken(), now + 1000, 100}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := pool.Query(ctx, "EXPLAIN "+tc.sql, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			text := strings.Join(plan, "\n")
			if !strings.Contains(text, tc.index) {
				t.Errorf("the plan does not use %s:\n%s", tc.index, text)
			}
			for _, name := range []string{table, table + "_values"} {
				if strings.Contains(text, "Seq Scan on "+name+" ") {
					t.Errorf("the plan scans the table %s:\n%s", name, text)
				}
			}
		})
	}
}
