package pgstore

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sessionkit/session/store"
)

// claimGrace is how long a sweep's claim is honoured. A claim older than
// that belongs to an instance that stopped, or lost the database, between
// claiming rows and deleting them; the next sweep deletes those rows without
// reporting them (the instance may have reported them already), as the
// Redis store leaves such a session unreported.
const claimGrace = 5 * time.Minute

// Sweep implements [store.Store]. It claims due rows under a token of its
// own, then deletes what it claimed; both steps are idempotent under the
// token, so a step whose reply is lost is sent again and answers as the
// first did:
//
//  1. One round trip, in one transaction: mark up to limit due, unclaimed
//     rows with the token, skipping rows that other sweeps, deletes,
//     renewals or updates hold (FOR UPDATE SKIP LOCKED), then read every
//     row marked with the token and its values. Run again, it claims only
//     what the first run left of the limit, and returns all it holds.
//  2. Delete the rows marked with the token.
//
// Once a row is claimed, Load, Update, Delete and Renew pass it by, so it
// is returned by this Sweep alone: Destroyed fires once across instances. A
// row is never handed out expired: Load returns it as expired, untouched.
func (s *pgStore) Sweep(ctx context.Context, now time.Time, limit int) ([]store.Entry, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	if limit < 1 {
		return nil, nil
	}
	token := newToken()
	claim := s.sweepClaimSQL()
	read := `SELECT r.sid, r.fp, r.created, r.accessed, r.idle, r.expires, r.usr, v.key, v.value
FROM ` + s.t.sessions + ` AS r LEFT JOIN ` + s.t.values + ` AS v ON v.sid = r.sid
WHERE r.claim = $1 ORDER BY r.sid`
	stale := `DELETE FROM ` + s.t.sessions + ` WHERE claim IS NOT NULL AND claimed < clock_timestamp() - $1::interval`
	s.release(ctx)
	var out []store.Entry
	err := s.claimThenRead(ctx, token, func(b *pgx.Batch) {
		b.Queue(stale, claimGrace.String())
		b.Queue(claim, token, now.UnixMilli(), limit)
		b.Queue(read, token)
	}, func(rows pgx.Rows) (err error) {
		out, err = s.scanEntries(rows)
		return err
	})
	if err != nil {
		return nil, s.fail("Sweep", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	// The rows are this sweep's whatever happens now: if the delete fails
	// too often, the next sweep removes them once the claim is stale.
	s.deleteClaimed(ctx, token)
	return out, nil
}

// sweepClaimSQL marks with the token $1 up to $3 due rows ($2: now in Unix
// ms), less what the token already holds.
func (s *pgStore) sweepClaimSQL() string {
	return `UPDATE ` + s.t.sessions + ` AS r SET claim = $1, claimed = clock_timestamp() FROM (
	SELECT sid FROM ` + s.t.sessions + ` WHERE claim IS NULL AND deadline <= $2 ORDER BY deadline
	LIMIT GREATEST(0, $3 - (SELECT count(*) FROM ` + s.t.sessions + ` WHERE claim = $1))
	FOR UPDATE SKIP LOCKED
) AS c WHERE r.sid = c.sid`
}

// settle runs an idempotent step, and runs it again when it failed for any
// reason but the caller's context: its reply may have been lost after the
// database did it, and only running it again tells.
func (s *pgStore) settle(ctx context.Context, f func(context.Context) error) error {
	var err error
	for attempt := 0; attempt <= s.retries; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return err
			case <-time.After(time.Duration(attempt) * 50 * time.Millisecond):
			}
		}
		if err = f(ctx); err == nil || ctx.Err() != nil {
			return err
		}
	}
	return err
}
