package testkit

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/sessionkit/session/store"
)

// ErrInjected is what a FaultyStore's failing operations return when the
// test gave no error of its own. Its text stands for an internal detail
// (an address, a password) that no response may show.
var ErrInjected = errors.New("injected store failure: secret detail")

// FaultyStore wraps a store, counts its loads, and fails each operation
// whose switch the test turns on. The switches are atomic so that a test
// may flip them while requests run.
type FaultyStore struct {
	store.Store
	// Err is what a failing operation returns; nil means ErrInjected.
	Err error

	FailLoad, FailCreate, FailUpdate, FailDelete, FailRenew, FailCount atomic.Bool
	FailSetUser, FailSetExpires, FailUserSessions                      atomic.Bool

	loads atomic.Int64
}

var _ store.Store = (*FaultyStore)(nil)

// NewFaultyStore returns a FaultyStore over a new memory store, with every
// switch off.
func NewFaultyStore() *FaultyStore { return &FaultyStore{Store: store.NewMemory()} }

// Loads returns how many times Load was called, failed calls included.
func (s *FaultyStore) Loads() int64 { return s.loads.Load() }

func (s *FaultyStore) fault() error {
	if s.Err != nil {
		return s.Err
	}
	return ErrInjected
}

// Load counts the call, then fails if FailLoad is on.
func (s *FaultyStore) Load(ctx context.Context, id string, now time.Time, touch bool) (store.Record, bool, error) {
	s.loads.Add(1)
	if s.FailLoad.Load() {
		return store.Record{}, false, s.fault()
	}
	return s.Store.Load(ctx, id, now, touch)
}

// Create fails if FailCreate is on.
func (s *FaultyStore) Create(ctx context.Context, id string, rec store.Record) error {
	if s.FailCreate.Load() {
		return s.fault()
	}
	return s.Store.Create(ctx, id, rec)
}

// Update fails if FailUpdate is on.
func (s *FaultyStore) Update(ctx context.Context, id string, changes map[string]any) error {
	if s.FailUpdate.Load() {
		return s.fault()
	}
	return s.Store.Update(ctx, id, changes)
}

// Delete fails if FailDelete is on.
func (s *FaultyStore) Delete(ctx context.Context, id string) (store.Record, bool, error) {
	if s.FailDelete.Load() {
		return store.Record{}, false, s.fault()
	}
	return s.Store.Delete(ctx, id)
}

// Renew fails if FailRenew is on.
func (s *FaultyStore) Renew(ctx context.Context, oldID, newID string, now time.Time) error {
	if s.FailRenew.Load() {
		return s.fault()
	}
	return s.Store.Renew(ctx, oldID, newID, now)
}

// Count fails if FailCount is on.
func (s *FaultyStore) Count(ctx context.Context) (int, error) {
	if s.FailCount.Load() {
		return 0, s.fault()
	}
	return s.Store.Count(ctx)
}

// SetUser fails if FailSetUser is on.
func (s *FaultyStore) SetUser(ctx context.Context, id, user string) error {
	if s.FailSetUser.Load() {
		return s.fault()
	}
	return s.Store.SetUser(ctx, id, user)
}

// SetExpires fails if FailSetExpires is on.
func (s *FaultyStore) SetExpires(ctx context.Context, id string, expires time.Time) error {
	if s.FailSetExpires.Load() {
		return s.fault()
	}
	return s.Store.SetExpires(ctx, id, expires)
}

// UserSessions fails if FailUserSessions is on.
func (s *FaultyStore) UserSessions(ctx context.Context, user string, now time.Time) ([]store.Entry, error) {
	if s.FailUserSessions.Load() {
		return nil, s.fault()
	}
	return s.Store.UserSessions(ctx, user, now)
}
