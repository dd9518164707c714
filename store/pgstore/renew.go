package pgstore

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sessionkit/session/store"
)

// maxFormer is how many former IDs of a session answer store.ErrRenewed,
// as in the Redis store: the latest eight, for as long as the session lives.
const maxFormer = 8

// Renew implements [store.Store] in one statement, so one transaction: it
// changes the row's fingerprint in place (the values are keyed by the
// row's own number, so they stay where they are) and records the old
// fingerprint as a former ID of the session, dropping all but the latest
// eight.
//
// Exactly one of concurrent renewals of an ID wins: each updates the row
// only where its fingerprint is still the old one; the row lock makes the
// others wait, and PostgreSQL checks the condition again on the row as the
// winner left it, so they find nothing and learn from the former IDs that
// the session was renewed. An update of the old ID either committed first
// (its key-share lock holds the renewal back) or finds no row.
func (s *pgStore) Renew(ctx context.Context, oldID, newID string, now time.Time) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	oldFP := fingerprint(oldID)
	sql := `WITH m AS (
	UPDATE ` + s.t.sessions + ` SET fp = $2, accessed = GREATEST(accessed, $3)
	WHERE fp = $1 AND claim IS NULL AND (deadline IS NULL OR deadline > $3)
	RETURNING sid
), f AS (
	INSERT INTO ` + s.t.former + ` (fp, sid) SELECT $1, sid FROM m ON CONFLICT (fp) DO NOTHING
), trim AS (
	DELETE FROM ` + s.t.former + ` WHERE sid IN (SELECT sid FROM m) AND fp NOT IN (
		SELECT fp FROM ` + s.t.former + ` WHERE sid IN (SELECT sid FROM m) ORDER BY seq DESC LIMIT $4)
)
SELECT count(*) FROM m`
	var n int
	err := s.retry(ctx, func(ctx context.Context) error {
		// The statement sees the former IDs as they were before it, so it
		// keeps the latest maxFormer-1 of those and adds the new one.
		return s.pool.QueryRow(ctx, sql, oldFP, fingerprint(newID), now.UnixMilli(), maxFormer-1).Scan(&n)
	})
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" { // unique_violation: the new ID is taken
		return store.ErrExists
	}
	if err != nil {
		return s.fail("Renew", err)
	}
	if n == 0 {
		return s.missing(ctx, "Renew", oldFP)
	}
	return nil
}
