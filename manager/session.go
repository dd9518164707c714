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
	// User returns the user the session is bound to by [Manager.Login], ""
	// for none. Renewal keeps the binding.
	User() string
}

// MemSession is the Session the manager hands out. A MemSession made by
// [NewSession] or [RestoreSession] belongs to no manager yet: it holds its
// values itself, for a session creator or an Options.SessionLoader to fill.
type MemSession struct {
	// m is the manager the session belongs to; nil for an unbound session.
	// Set by bind before the session is shared, never changed after.
	m *Manager

	mu       sync.Mutex // guards every field below
	id       string
	masked   string // computed on first use
	created  time.Time
	accessed time.Time
	expires  time.Time // absolute deadline; zero means none
	user     string    // the user the session is bound to; "" for none
	// base holds the values as last read from the store. It is shared with
	// the store and never written to; unbound sessions own it.
	base map[string]any
	// written holds the changes stored since base was read, over base; nil
	// deletes a key. While storing is set it holds those of the commit on
	// its way too, so that Get finds them meanwhile; should the store fail,
	// the commit puts back the map it replaced (see storeHeld). It is never
	// written to either (the store was handed it): a second flush merges
	// into a new map. Keeping the changes beside base, not merged into a
	// copy of it, spares each write two allocations and a copy of every
	// value.
	written map[string]any
	// pending holds changes not yet sent to the store, over written; nil
	// deletes a key.
	pending map[string]any
	isNew   bool
	gone    bool // destroyed, expired or renewed away
	// storing is set while a request's commit stores its changes: a Set in
	// mode committed then holds its change in pending for the commit to
	// store after its own (see storeHeld).
	storing bool
	// renewedAway is set with gone when another request renewed the session:
	// it lives on under another ID, so work on it fails with
	// ErrSessionRenewed rather than being dropped as for an ended session.
	renewedAway bool
	// mode says what Set does with a change. scope is the request that
	// answers for the session's failures, in modes held, committed and
	// commitFailed; nil in the others.
	mode  sessionMode
	scope *requestScope
}

// sessionMode says what Set does with a change.
type sessionMode uint8

const (
	// unbound: the session belongs to no manager yet (NewSession,
	// RestoreSession) and keeps its values itself.
	unbound sessionMode = iota
	// writeThrough: bound to no request that will commit it (a session from
	// GetSessionById, or one a call without the middleware found): Set
	// writes to the store before it returns.
	writeThrough
	// held: within a request, before its commit: Set holds the change for
	// the commit.
	held
	// committed: within a request, after its commit began: Set writes
	// through, and a failure the response can no longer report is logged.
	// While the commit is still storing, Set holds its change for the
	// commit to store after its own instead (see storeHeld): written at
	// once, it could land before the commit's older write and be lost.
	committed
	// commitFailed: within a request whose commit failed, so that the error
	// handler answered: Set stores nothing and returns ErrCommitFailed, or a
	// handler that ignored the failure (a renewal at login, say) and sets
	// the user after writing its response would still log the old ID in.
	commitFailed
)

var _ Session = (*MemSession)(nil)

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

// GetCreationTime implements [Session].
func (s *MemSession) GetCreationTime() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.created.Unix()
}

// User implements [Session].
func (s *MemSession) User() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.user
}

// IsNew implements [Session].
func (s *MemSession) IsNew() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.isNew
}

// Get implements [Session]. Every map and slice in the value comes back as
// a copy of its own, within the limits said at [MemSession.Set], so that
// changing it changes nothing until it is set again, and concurrent
// requests of one session never share it.
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

// lookup reads k through the pending and the written changes. The caller
// holds s.mu.
func (s *MemSession) lookup(k string) (any, bool) {
	if v, changed := s.pending[k]; changed {
		return v, v != nil
	}
	if v, changed := s.written[k]; changed {
		return v, v != nil
	}
	v, ok := s.base[k]
	return v, ok
}

// Keys implements [Session].
func (s *MemSession) Keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.base)+len(s.written)+len(s.pending))
	for k := range s.base {
		_, changed := s.pending[k]
		_, written := s.written[k]
		if !changed && !written {
			keys = append(keys, k)
		}
	}
	for k, v := range s.written {
		if _, changed := s.pending[k]; !changed && v != nil {
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
// A Set made while its request's commit is still storing joins that commit,
// which stores it after the values it held, so that the store keeps the
// newer value; should that write fail, the commit fails as for a held
// change. After a failed commit of its request Set stores nothing and
// returns ErrCommitFailed.
// Either way an Update event fires when the value changed; setting a map,
// a slice or a pointer always counts as a change.
//
// The session keeps a copy of every map and slice in value, of any key and
// element type: value itself when it is one, and each map and slice
// reachable from it through maps, slices, arrays and interface values. A
// later change to value is not seen until value is set again, and Get hands
// out a copy too. A container held in several places of value is copied
// once and stays shared in the copy; nil maps and slices stay nil. A value
// that contains itself, nests deeper than 1000 levels or holds more than
// about four million elements is refused. Structs and pointers are not
// entered: a pointer is kept as it is, and a struct (also one inside a
// map or slice) is copied as Go copies a value, so a map, slice or pointer
// in its fields stays shared in memory, and two requests that change it at
// once race on it.
func (s *MemSession) Set(key interface{}, value interface{}) error {
	k, ok := key.(string)
	if !ok || k == "" {
		return ErrInvalidKey
	}
	if value != nil {
		cp, err := s.m.checkValue(k, value)
		if err != nil {
			return err
		}
		value = cp
	}

	s.mu.Lock()
	mode, sc := s.mode, s.scope
	if mode == commitFailed {
		s.mu.Unlock()
		return ErrCommitFailed
	}
	if s.gone {
		renewedAway := s.renewedAway
		s.mu.Unlock()
		if !renewedAway {
			return ErrSessionGone
		}
		// Another request renewed the session: this change cannot land,
		// and within a request the response must say so.
		if sc != nil {
			sc.fail(s, "setting a value", ErrSessionRenewed)
		}
		return ErrSessionRenewed
	}
	current, exists := s.lookup(k)
	if (value == nil && !exists) || (value != nil && exists && !mutable(value) && sameValue(current, value)) {
		s.mu.Unlock()
		return nil
	}
	if mode == unbound {
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
	// While a commit stores, it stores this change after its own (see
	// storeHeld); a failure then fails the commit, as for a held change.
	writeNow := mode != held && !s.storing
	s.mu.Unlock()

	if writeNow {
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
	return s.store(ctx, changes, id)
}

// store sends changes, taken from pending, to the store under id and folds
// them into base. Changes that fail are dropped: the caller reports the
// error.
func (s *MemSession) store(ctx context.Context, changes map[string]any, id string) error {
	if len(changes) == 0 {
		return nil
	}

	if err := s.update(ctx, changes, id); err != nil {
		return err
	}
	s.mu.Lock()
	s.fold(changes)
	s.mu.Unlock()
	return nil
}

// startHeld begins the store of changes that a commit took from pending:
// they go into written at once, where Get finds them while the store
// writes, and a Set in mode committed meanwhile holds its change rather
// than write it ahead of them. It returns the written map they replaced,
// for storeHeld to put back should the store fail. The caller holds s.mu
// and has checked that changes is not empty.
func (s *MemSession) startHeld(changes map[string]any) (before map[string]any) {
	before = s.written
	s.fold(changes)
	s.storing = true
	return before
}

// storeHeld stores the changes that startHeld put on their way, under id;
// before is what it returned. It then stores, in turn, the changes that
// Sets held meanwhile (see Set), until none is left, so that the store
// sees the writes in the order Set returned. A failure drops what is on
// its way (written is before again: no value the store never took comes
// back) and what was held after it, and, unless the session is merely gone
// (the caller drops the changes without error), puts the session in mode
// commitFailed under the same lock, so that no Set writes through behind
// the failed commit.
func (s *MemSession) storeHeld(ctx context.Context, changes, before map[string]any, id string) error {
	for {
		err := s.update(ctx, changes, id)
		s.mu.Lock()
		if err != nil {
			s.written, s.pending, s.storing = before, nil, false
			if !errors.Is(err, ErrSessionGone) || errors.Is(err, ErrSessionRenewed) {
				s.mode = commitFailed
			}
			s.mu.Unlock()
			return err
		}
		changes, id = s.pending, s.id
		if len(changes) == 0 {
			s.storing = false
			s.mu.Unlock()
			return nil
		}
		s.pending = nil
		before = s.startHeld(changes)
		s.mu.Unlock()
	}
}

// update writes changes to the store under id, within the manager's write
// deadline, and returns the manager's error for a failure (see writeFailed).
func (s *MemSession) update(ctx context.Context, changes map[string]any, id string) error {
	ctx, cancel := s.m.writeContext(ctx)
	defer cancel()
	return s.writeFailed(s.m.store.Update(ctx, id, changes), "storing changes of", id)
}

// fold adds changes to written. The caller holds s.mu.
func (s *MemSession) fold(changes map[string]any) {
	if s.written == nil {
		s.written = changes // nobody writes to changes any more
		return
	}
	next := make(map[string]any, len(s.written)+len(changes))
	maps.Copy(next, s.written)
	maps.Copy(next, changes) // a nil value stays: it deletes the key of base
	s.written = next
}

// Invalidate implements [Session]. A store failure is logged and, within a
// request, answered through the error handler: the session may still exist.
func (s *MemSession) Invalidate() {
	s.mu.Lock()
	mode, sc := s.mode, s.scope
	if mode == unbound {
		s.base, s.written = map[string]any{}, nil
		s.gone = true
	}
	s.mu.Unlock()
	if mode == unbound {
		return
	}
	err := s.m.destroy(context.Background(), s, causeLogout)
	if sc != nil {
		sc.invalidated(s, err) // the commit expires the cookie or reports err
		return
	}
	if err != nil {
		s.m.log.Error("session: invalidate failed", "session", s.GetMaskedSessionId(), "err", err)
	}
}

// writeFailed turns the error of a store write to the session with the
// given ID into the manager's, and records what the store found: a session
// that is gone (ErrSessionGone), or one that another request renewed away
// (ErrSessionRenewed). what names the write in any other error.
func (s *MemSession) writeFailed(err error, what, id string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		s.markGone()
		return ErrSessionGone
	case errors.Is(err, store.ErrRenewed):
		s.markRenewedAway()
		return ErrSessionRenewed
	}
	return fmt.Errorf("session: %s session %s: %w", what, store.MaskedID(id), err)
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
		return equalTo(av, b)
	case int:
		return equalTo(av, b)
	case int64:
		return equalTo(av, b)
	case bool:
		return equalTo(av, b)
	case float64:
		return equalTo(av, b)
	}
	return reflect.DeepEqual(a, b)
}

// equalTo reports whether b is a T equal to a.
func equalTo[T comparable](a T, b any) bool {
	bv, ok := b.(T)
	return ok && a == bv
}

// checkValue returns the copy of value that a session keeps under key, or
// the error Set returns when value cannot be stored: one the session cannot
// copy, or one m's store refuses. m may be nil (an unbound session).
func (m *Manager) checkValue(key string, value any) (any, error) {
	cp, err := copyValue(value)
	if err != nil {
		return nil, fmt.Errorf("session: value of key %q cannot be stored: %w", key, err)
	}
	if m != nil && m.checker != nil {
		if err := m.checker.CheckValue(key, value); err != nil {
			return nil, fmt.Errorf("session: value of key %q cannot be stored: %w", key, err)
		}
	}
	return cp, nil
}
