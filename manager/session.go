package manager

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/sessionkit/session/store"
)

// Session is one user's server-side session.
//
// Keys are strings: Get of any other key finds nothing, and Set and Delete
// return ErrInvalidKey. Times are Unix seconds.
type Session interface {
	// GetId returns the session ID. It is a credential: never log it.
	GetId() string
	// GetMaskedSessionId returns a short, stable name for the session that
	// is safe to log and cannot be turned back into the ID.
	GetMaskedSessionId() string
	// GetLastAccessTime returns when a request last used the session.
	GetLastAccessTime() int64
	// Get returns the value of key and whether it is set.
	Get(key interface{}) (value interface{}, ok bool)
	// Set sets key to value; a nil value deletes key. It returns an error
	// when the value cannot be stored, at once rather than at commit.
	Set(key interface{}, value interface{}) error
	// Invalidate destroys the session: its record is deleted and, within a
	// request, its cookie expires.
	Invalidate()

	// Delete removes key; the same as Set(key, nil).
	Delete(key interface{}) error
	// Keys returns the keys that are set, sorted.
	Keys() []string
	// GetCreationTime returns when the session was created. Renewal keeps it.
	GetCreationTime() int64
	// IsNew reports whether the session was created by the current request.
	IsNew() bool
}

// MemSession is the Session the manager hands out. A MemSession made by
// [NewSession] or [RestoreSession] belongs to no manager yet: it holds its
// values itself, for a session creator or an Options.SessionLoader to fill.
type MemSession struct {
	mu       sync.Mutex
	id       string
	masked   string // computed on first use
	created  time.Time
	accessed time.Time
	expires  time.Time // absolute deadline; zero means none
	// base holds the values as last read from or written to the store. It is
	// shared with the store and never written to; unbound sessions own it.
	base map[string]any
	// pending holds changes not yet sent to the store; nil deletes a key.
	pending map[string]any
	isNew   bool
	gone    bool // destroyed, expired or renewed away
	// renewedAway is set with gone when another request renewed the session:
	// it lives on under another ID, so work on it fails with
	// ErrSessionRenewed rather than being dropped as for an ended session.
	renewedAway bool

	m *Manager // nil for an unbound session
	// scope is the request that holds the changes until its commit; nil (or
	// writeThrough) means Set writes to the store at once.
	scope        *requestScope
	writeThrough bool
}

var _ Session = (*MemSession)(nil)

// NewSession returns an unbound session with the given ID and last access
// time (Unix seconds), for a session creator or an Options.SessionLoader.
func NewSession(id string, timeAccessed int64) Session {
	t := time.Unix(timeAccessed, 0)
	return &MemSession{id: id, created: t, accessed: t, base: map[string]any{}}
}

// RestoreSession returns an unbound session for an Options.SessionLoader: a
// session saved earlier, with the time it was created and last used (Unix
// seconds) and its values (copied; a value that Set refuses is left out).
// The creation time keeps the absolute lifetime (Options.MaxAge) counting
// from when the session was made, across restarts; [NewSession] has none,
// so the lifetime of its sessions starts again at their last access.
func RestoreSession(id string, created, lastAccessed int64, values map[string]any) Session {
	s := NewSession(id, lastAccessed).(*MemSession)
	s.created = time.Unix(created, 0)
	for k, v := range values {
		_ = s.Set(k, v) // an unbound session keeps any value; nil deletes
	}
	return s
}

// GetId implements [Session].
func (s *MemSession) GetId() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.id
}

// GetMaskedSessionId implements [Session]: see [store.MaskedID].
func (s *MemSession) GetMaskedSessionId() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.masked == "" {
		s.masked = store.MaskedID(s.id)
	}
	return s.masked
}

var (
	_ fmt.Formatter  = (*MemSession)(nil)
	_ slog.LogValuer = (*MemSession)(nil)
)

// Format prints the session as its masked ID, whatever the verb, so that a
// session passed to fmt (in an event handler, say) never shows its ID.
func (s *MemSession) Format(f fmt.State, _ rune) {
	_, _ = io.WriteString(f, s.safeName())
}

// LogValue implements slog.LogValuer: a session logs as its masked ID.
func (s *MemSession) LogValue() slog.Value {
	return slog.StringValue(s.safeName())
}

// safeName is the masked ID, or "<nil>" for a nil session.
func (s *MemSession) safeName() string {
	if s == nil {
		return "<nil>"
	}
	return s.GetMaskedSessionId()
}

// GetLastAccessTime implements [Session].
func (s *MemSession) GetLastAccessTime() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accessed.Unix()
}

// GetCreationTime implements [Session].
func (s *MemSession) GetCreationTime() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.created.Unix()
}

// IsNew implements [Session].
func (s *MemSession) IsNew() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.isNew
}

// Get implements [Session]. A map or slice of the kinds listed at
// [MemSession.Set] comes back as a copy of its own, so that changing it
// changes nothing until it is set again, and concurrent requests of one
// session never share it.
func (s *MemSession) Get(key interface{}) (interface{}, bool) {
	k, ok := key.(string)
	if !ok {
		return nil, false
	}
	s.mu.Lock()
	v, ok := s.lookup(k)
	s.mu.Unlock()
	// Every value went through Set's copy, so this copy cannot fail; should
	// it, the value is handed out as it is rather than lost.
	if cp, err := copyValue(v); err == nil {
		v = cp
	}
	return v, ok
}

// lookup reads k through the pending changes. The caller holds s.mu.
func (s *MemSession) lookup(k string) (any, bool) {
	if v, changed := s.pending[k]; changed {
		return v, v != nil
	}
	v, ok := s.base[k]
	return v, ok
}

// Keys implements [Session].
func (s *MemSession) Keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.base)+len(s.pending))
	for k := range s.base {
		if _, changed := s.pending[k]; !changed {
			keys = append(keys, k)
		}
	}
	for k, v := range s.pending {
		if v != nil {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// Delete implements [Session].
func (s *MemSession) Delete(key interface{}) error {
	return s.Set(key, nil)
}

// Set implements [Session]. Within a request the change is held until the
// request commits; otherwise it is written to the store before Set returns.
// Either way an Update event fires when the value changed; setting a map,
// a slice or a pointer always counts as a change.
//
// The session keeps a copy of map[string]any and []any values (deeply) and
// of maps and slices of strings, bytes, booleans, ints and floats, so that
// a later change to value is not seen until value is set again. Such a
// value that contains itself, nests deeper than 1000 levels or holds more
// than about four million elements is refused. Other values are kept as
// they are: in memory, a struct pointer you set stays shared.
func (s *MemSession) Set(key interface{}, value interface{}) error {
	k, ok := key.(string)
	if !ok || k == "" {
		return ErrInvalidKey
	}
	if value != nil {
		cp, err := copyValue(value)
		if err != nil {
			return fmt.Errorf("session: value of key %q cannot be stored: %w", k, err)
		}
		if s.m != nil && s.m.checker != nil {
			if err := s.m.checker.CheckValue(k, value); err != nil {
				return fmt.Errorf("session: value of key %q cannot be stored: %w", k, err)
			}
		}
		value = cp
	}

	s.mu.Lock()
	if s.gone {
		renewedAway := s.renewedAway
		s.mu.Unlock()
		if !renewedAway {
			return ErrSessionGone
		}
		// Another request renewed the session: this change cannot land,
		// and within a request the response must say so.
		if s.scope != nil && !s.scope.direct {
			s.scope.fail(s, "setting a value", ErrSessionRenewed)
		}
		return ErrSessionRenewed
	}
	current, exists := s.lookup(k)
	if (value == nil && !exists) || (value != nil && exists && !mutable(value) && sameValue(current, value)) {
		s.mu.Unlock()
		return nil
	}
	if s.m == nil { // unbound: the session keeps its own values
		if value == nil {
			delete(s.base, k)
		} else {
			s.base[k] = value
		}
		s.mu.Unlock()
		return nil
	}
	if s.pending == nil {
		s.pending = make(map[string]any, 1)
	}
	s.pending[k] = value
	writeThrough := s.writeThrough || s.scope == nil
	s.mu.Unlock()

	if writeThrough {
		if err := s.flush(context.Background()); err != nil {
			return err
		}
	}
	s.m.fire(s, Update)
	return nil
}

// flush sends the pending changes to the store and folds them into base.
// Changes that fail are dropped: the caller reports the error.
func (s *MemSession) flush(ctx context.Context) error {
	s.mu.Lock()
	changes, id := s.pending, s.id
	s.pending = nil
	s.mu.Unlock()
	if len(changes) == 0 {
		return nil
	}

	ctx, cancel := s.m.writeContext(ctx)
	defer cancel()
	err := s.m.store.Update(ctx, id, changes)
	if errors.Is(err, store.ErrNotFound) {
		s.markGone()
		return ErrSessionGone
	}
	if errors.Is(err, store.ErrRenewed) {
		s.markRenewedAway()
		return ErrSessionRenewed
	}
	if err != nil {
		return fmt.Errorf("session: storing changes of session %s: %w", store.MaskedID(id), err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	next := make(map[string]any, len(s.base)+len(changes))
	maps.Copy(next, s.base)
	for k, v := range changes {
		if v == nil {
			delete(next, k)
		} else {
			next[k] = v
		}
	}
	s.base = next
	return nil
}

// Invalidate implements [Session]. A store failure is logged and, within a
// request, answered through the error handler: the session may still exist.
func (s *MemSession) Invalidate() {
	if s.m == nil {
		s.mu.Lock()
		s.base = map[string]any{}
		s.gone = true
		s.mu.Unlock()
		return
	}
	err := s.m.destroy(context.Background(), s)
	if s.scope != nil && !s.scope.direct {
		s.scope.invalidated(s, err) // the commit expires the cookie or reports err
		return
	}
	if err != nil {
		s.m.log.Error("session: invalidate failed", "session", s.GetMaskedSessionId(), "err", err)
	}
}

// hasPending reports whether the session holds changes not yet stored.
func (s *MemSession) hasPending() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending) > 0
}

// markGone records that the session no longer exists in the store.
func (s *MemSession) markGone() {
	s.mu.Lock()
	s.gone = true
	s.pending = nil
	s.mu.Unlock()
}

// markRenewedAway records that another request renewed the session: its ID
// no longer exists in the store, but the session does, under another ID.
func (s *MemSession) markRenewedAway() {
	s.mu.Lock()
	s.gone, s.renewedAway = true, true
	s.pending = nil
	s.mu.Unlock()
}

// rename gives the session the ID it was renewed to.
func (s *MemSession) rename(id string, now time.Time) {
	s.mu.Lock()
	s.id, s.masked, s.accessed = id, "", now
	s.mu.Unlock()
}

// sameValue reports whether setting b over a changes nothing. Common scalar
// types compare directly; anything else falls back to reflect.DeepEqual,
// which also handles values that == would panic on.
func sameValue(a, b any) bool {
	switch av := a.(type) {
	case string:
		bv, ok := b.(string)
		return ok && av == bv
	case int:
		bv, ok := b.(int)
		return ok && av == bv
	case int64:
		bv, ok := b.(int64)
		return ok && av == bv
	case bool:
		bv, ok := b.(bool)
		return ok && av == bv
	case float64:
		bv, ok := b.(float64)
		return ok && av == bv
	}
	return reflect.DeepEqual(a, b)
}
