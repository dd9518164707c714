package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sessionkit/session/store"
)

// retry runs f, and runs it again, up to the store's retries, when
// PostgreSQL aborted it with a serialization failure or a deadlock, or when
// it failed before anything was sent: both leave the database as it was.
func (s *pgStore) retry(ctx context.Context, f func(context.Context) error) error {
	for attempt := 0; ; attempt++ {
		err := f(ctx)
		if err == nil || attempt >= s.retries || !retryable(err) || ctx.Err() != nil {
			return err
		}
	}
}

// retryable reports whether err left nothing done, so that running the
// statement again is safe.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40001" || pgErr.Code == "40P01" // serialization_failure, deadlock_detected
	}
	return pgconn.SafeToRetry(err)
}

// fail wraps a database error. Errors that mean PostgreSQL cannot be reached
// or cannot serve right now wrap store.ErrUnavailable, so the manager
// answers 503; the text of the error never holds a session ID.
func (s *pgStore) fail(op string, err error) error {
	if isUnavailable(err) {
		return fmt.Errorf("pgstore: %s: %w: %w", op, store.ErrUnavailable, err)
	}
	return fmt.Errorf("pgstore: %s: %w", op, err)
}

func isUnavailable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(err, ErrDecode) {
		// The database answered; what it holds is wrong. Not a 503.
		return false
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		// No reply from PostgreSQL (a refused dial, a reset connection, an
		// EOF mid-reply, a closed pool): the connection failed.
		return true
	}
	switch pgErr.Code[:2] {
	case "08", // connection exception
		"53", // insufficient resources: too many connections, disk full
		"57": // operator intervention: shutdown, crash recovery, cannot connect now
		return true
	}
	// Still aborted after the retries: the database is too busy to serve
	// this call now.
	return pgErr.Code == "40001" || pgErr.Code == "40P01"
}
