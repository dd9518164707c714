package testkit

import (
	"context"
	"sync"
	"time"

	"github.com/sessionkit/session/store"
)

// RacingStore wraps a store and runs a function once, between a
// UserSessions call's listing and its return: another instance's change
// (a renewal, say) landing between a listing and what the caller does with
// it.
type RacingStore struct {
	store.Store

	mu      sync.Mutex
	between func()
}

var _ store.Store = (*RacingStore)(nil)

// AfterNextListing makes f run once, after the next UserSessions lists.
func (s *RacingStore) AfterNextListing(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.between = f
}

// UserSessions lists, then runs the function AfterNextListing set, if any.
func (s *RacingStore) UserSessions(ctx context.Context, user string, now time.Time) ([]store.Entry, error) {
	entries, err := s.Store.UserSessions(ctx, user, now)
	s.mu.Lock()
	f := s.between
	s.between = nil
	s.mu.Unlock()
	if f != nil {
		f()
	}
	return entries, err
}
