package store

import (
	"cmp"
	"context"
	"hash/maphash"
	"slices"
	"sync"
	"time"
)

// binding is the user a memory session is bound to, with the session's
// masked ID, which keys it in the user's index. It never changes: SetUser
// and Renew replace it.
type binding struct {
	user     string
	maskedID string
}

// maskedID returns the masked ID of the session e under id, from its
// binding when it has one, so that a bound session is hashed once.
func (e *memoryEntry) maskedID(id string) string {
	if e.bound != nil {
		return e.bound.maskedID
	}
	return MaskedID(id)
}

// userShard holds the index of the users whose names hash to it: for each
// user, the bound sessions' IDs by masked ID. Masked IDs are 72 bits of a
// SHA-256, so two sessions of one user never share one in practice; if they
// did, the later binding would hide the earlier from UserSessions until it
// ended, and index and unindex would still never remove the wrong one.
type userShard struct {
	mu    sync.Mutex
	users map[string]map[string]string
}

func (m *memory) userShard(user string) *userShard {
	return &m.users[maphash.String(m.seed, user)&(shardCount-1)]
}

// index lists the session id under its binding b; nil b lists nothing. The
// caller holds the write lock of id's shard, so that the index and the entry
// change together.
func (m *memory) index(b *binding, id string) {
	if b == nil {
		return
	}
	u := m.userShard(b.user)
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.users == nil {
		u.users = make(map[string]map[string]string)
	}
	sessions := u.users[b.user]
	if sessions == nil {
		sessions = make(map[string]string, 1)
		u.users[b.user] = sessions
	}
	sessions[b.maskedID] = id
}

// unindex takes the session id out of its user's index; nil b does nothing.
// A user left with no sessions leaves the index, so that the index holds
// only users who have a bound session. The caller holds the write lock of
// id's shard.
func (m *memory) unindex(b *binding, id string) {
	if b == nil {
		return
	}
	u := m.userShard(b.user)
	u.mu.Lock()
	defer u.mu.Unlock()
	sessions := u.users[b.user]
	if sessions[b.maskedID] != id {
		return // listed under another session (a masked-ID collision): keep it
	}
	delete(sessions, b.maskedID)
	if len(sessions) == 0 {
		delete(u.users, b.user)
	}
}

// writable returns the entry of id for a write that, like Update, must not
// reach an ended or renewed session. The caller holds s.mu for writing.
func writable(s *memoryShard, id string) (*memoryEntry, error) {
	e, ok := s.entries[id]
	switch {
	case !ok:
		return nil, ErrNotFound
	case e.renewed:
		return nil, ErrRenewed
	}
	return e, nil
}

// SetUser implements [Store]. It holds the write lock of id's shard, so
// that Renew, Delete and Sweep of the session see the binding before or
// after it, never half made.
func (m *memory) SetUser(_ context.Context, id, user string) error {
	if err := m.enter(); err != nil {
		return err
	}
	defer m.leave()
	var b *binding
	if user != "" {
		b = &binding{user: user, maskedID: MaskedID(id)} // hashed before the lock
	}
	s := m.shard(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := writable(s, id)
	if err != nil {
		return err
	}
	if e.bound == nil && b == nil || e.bound != nil && b != nil && e.bound.user == user {
		return nil
	}
	m.unindex(e.bound, id)
	m.index(b, id)
	e.bound = b
	return nil
}

// SetExpires implements [Store]. A deadline earlier than the one the
// session had is filed in the expiry heap at once, so that Sweep finds it;
// the filing it supersedes is dropped when popped or compacted. A later
// deadline is filed when the sweep reaches the earlier filing, as after a
// touch.
func (m *memory) SetExpires(_ context.Context, id string, expires time.Time) error {
	if err := m.enter(); err != nil {
		return err
	}
	defer m.leave()
	s := m.shard(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := writable(s, id)
	if err != nil {
		return err
	}
	before := e.record().Deadline()
	e.expires = wallClock(expires)
	after := e.record().Deadline()
	if !after.IsZero() && (before.IsZero() || after.Before(before)) {
		e.gen++
		s.due.file(id, after, e.gen)
		if !before.IsZero() {
			s.dropStale() // the filing under before is superseded
		}
	}
	return nil
}

// UserSessions implements [Store]. It copies the user's index under its
// lock, then reads each session under its shard's read lock; a session
// renewed or rebound meanwhile is left out of this answer (Renew and SetUser
// had not returned when it began).
func (m *memory) UserSessions(_ context.Context, user string, now time.Time) ([]Entry, error) {
	if m.closed.Load() {
		return nil, ErrClosed
	}
	now = wallClock(now)
	u := m.userShard(user)
	u.mu.Lock()
	listed := make([]Entry, 0, len(u.users[user]))
	for masked, id := range u.users[user] {
		listed = append(listed, Entry{ID: id, MaskedID: masked})
	}
	u.mu.Unlock()

	out := listed[:0]
	for _, x := range listed {
		s := m.shard(x.ID)
		s.mu.RLock()
		e, ok := s.entries[x.ID]
		bound := ok && !e.renewed && e.bound != nil && e.bound.user == user && e.bound.maskedID == x.MaskedID
		if bound {
			x.Record = e.record()
		}
		s.mu.RUnlock()
		if bound && !x.Record.ExpiredAt(now) {
			out = append(out, x)
		}
	}
	slices.SortFunc(out, func(a, b Entry) int {
		return cmp.Or(a.Record.Created.Compare(b.Record.Created), cmp.Compare(a.MaskedID, b.MaskedID))
	})
	return out, nil
}

// DeleteUserSession implements [Store]. It finds the session in the user's
// index and deletes it only if, under its shard's write lock, it is still
// bound to user; so it never deletes a session of another user, and of it,
// Delete and Sweep exactly one claims the session. Like Delete, it deletes
// a session whose deadline passed but that no Sweep has claimed yet.
func (m *memory) DeleteUserSession(_ context.Context, user, maskedID string) (Record, bool, error) {
	if err := m.enter(); err != nil {
		return Record{}, false, err
	}
	defer m.leave()
	u := m.userShard(user)
	u.mu.Lock()
	id, listed := u.users[user][maskedID]
	u.mu.Unlock()
	if !listed {
		return Record{}, false, nil
	}
	s := m.shard(id)
	s.mu.Lock()
	e, ok := s.entries[id]
	bound := ok && !e.renewed && e.bound != nil && e.bound.user == user && e.bound.maskedID == maskedID
	if bound {
		m.remove(s, id, e)
		s.dropStale()
	}
	s.mu.Unlock()
	if !bound {
		return Record{}, false, nil
	}
	m.dropTombstones(e.formerIDs)
	return e.record(), true, nil
}
