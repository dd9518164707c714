package pgstore

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sessionkit/session/store"
)

// TestRetryIsBounded checks that a statement PostgreSQL aborts with a
// serialization failure or a deadlock runs again, at most the store's
// retries more times, and then fails as unavailable (503: the database is
// too busy now); that one it refused for another reason runs once; and that
// a retry that succeeds hides the failures before it.
func TestRetryIsBounded(t *testing.T) {
	serialization := &pgconn.PgError{Code: "40001", Message: "could not serialize access"}
	deadlock := &pgconn.PgError{Code: "40P01", Message: "deadlock detected"}
	unique := &pgconn.PgError{Code: "23505", Message: "duplicate key"}
	s := &pgStore{retries: 3}
	for _, tc := range []struct {
		name        string
		errs        []error // returned by the calls in turn; nil after the end
		calls       int
		unavailable bool
		ok          bool
	}{
		{"serialization failures forever", []error{serialization, serialization, serialization, serialization, serialization}, 4, true, false},
		{"deadlocks forever", []error{deadlock, deadlock, deadlock, deadlock, deadlock}, 4, true, false},
		{"two failures, then done", []error{serialization, deadlock}, 3, false, true},
		{"a refusal runs once", []error{unique}, 1, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			err := s.retry(context.Background(), func(context.Context) error {
				calls++
				if calls <= len(tc.errs) {
					return tc.errs[calls-1]
				}
				return nil
			})
			if calls != tc.calls {
				t.Errorf("%d calls, want %d", calls, tc.calls)
			}
			if tc.ok {
				if err != nil {
					t.Errorf("err = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("err = nil, want the last failure")
			}
			if got := errors.Is(s.fail("Update", err), store.ErrUnavailable); got != tc.unavailable {
				t.Errorf("unavailable = %v, want %v (%v)", got, tc.unavailable, err)
			}
		})
	}
}

// TestWithRetriesSetsTheBound checks that WithRetries replaces the default
// of 3: a statement that keeps failing with a serialization failure runs
// once and then n more times.
func TestWithRetriesSetsTheBound(t *testing.T) {
	serialization := &pgconn.PgError{Code: "40001", Message: "could not serialize access"}
	for _, n := range []int{0, 1, 5} {
		s := &pgStore{retries: 3}
		WithRetries(n)(s)
		calls := 0
		err := s.retry(context.Background(), func(context.Context) error {
			calls++
			return serialization
		})
		if calls != n+1 {
			t.Errorf("WithRetries(%d): %d runs, want %d", n, calls, n+1)
		}
		if !errors.Is(err, serialization) {
			t.Errorf("WithRetries(%d): err = %v, want the last failure", n, err)
		}
	}
}
