package testkit

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sessionkit/session/store"
)

// RecordingStore wraps a store and records every session ID it is asked
// about, how many records it is asked to create and how often it is swept,
// so that a test can prove a malformed or unknown ID never reached the
// store, that a lookup created nothing, or that expiry was found without a
// sweep.
type RecordingStore struct {
	store.Store
	mu  sync.Mutex
	ids []string
	// The counters are atomics rather than fields under mu: a count is read
	// on its own, never together with the IDs.
	creates atomic.Int64
	sweeps  atomic.Int64
}

var _ store.Store = (*RecordingStore)(nil)

func (s *RecordingStore) saw(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ids = append(s.ids, ids...)
}

// Seen returns every ID the store was asked about, in order.
func (s *RecordingStore) Seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ids...)
}

// Creates returns how many times Create was called.
func (s *RecordingStore) Creates() int { return int(s.creates.Load()) }

// Sweeps returns how many times Sweep was called.
func (s *RecordingStore) Sweeps() int { return int(s.sweeps.Load()) }

// Sweep counts the call.
func (s *RecordingStore) Sweep(ctx context.Context, now time.Time, limit int) ([]store.Entry, error) {
	s.sweeps.Add(1)
	return s.Store.Sweep(ctx, now, limit)
}

// Create records id and counts the call.
func (s *RecordingStore) Create(ctx context.Context, id string, rec store.Record) error {
	s.saw(id)
	s.creates.Add(1)
	return s.Store.Create(ctx, id, rec)
}

// Load records id.
func (s *RecordingStore) Load(ctx context.Context, id string, now time.Time, touch bool) (store.Record, bool, error) {
	s.saw(id)
	return s.Store.Load(ctx, id, now, touch)
}

// Update records id.
func (s *RecordingStore) Update(ctx context.Context, id string, changes map[string]any) error {
	s.saw(id)
	return s.Store.Update(ctx, id, changes)
}

// Delete records id.
func (s *RecordingStore) Delete(ctx context.Context, id string) (store.Record, bool, error) {
	s.saw(id)
	return s.Store.Delete(ctx, id)
}

// Renew records both IDs.
func (s *RecordingStore) Renew(ctx context.Context, oldID, newID string, now time.Time) error {
	s.saw(oldID, newID)
	return s.Store.Renew(ctx, oldID, newID, now)
}

// SetUser records id.
func (s *RecordingStore) SetUser(ctx context.Context, id, user string) error {
	s.saw(id)
	return s.Store.SetUser(ctx, id, user)
}

// SetExpires records id.
func (s *RecordingStore) SetExpires(ctx context.Context, id string, expires time.Time) error {
	s.saw(id)
	return s.Store.SetExpires(ctx, id, expires)
}
