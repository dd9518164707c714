package store

import (
	"cmp"
	"context"
	"slices"
	"time"
)

// writable returns the entry of id for a write that, like Update, must not
// reach an ended or renewed session. The caller holds s.mu for writing.
func writable(s *memoryShard, p parsedID) (*memoryEntry, error) {
	e := s.lookup(p)
	switch {
	case e == nil:
		return nil, ErrNotFound
	case e.renewed:
		return nil, ErrRenewed
	}
	return e, nil
}

// withWritable runs f on id's session under its shard's write lock, or
// returns writable's error when there is no live session of that ID.
func (m *memory) withWritable(id string, f func(s *memoryShard, e *memoryEntry)) error {
	if err := m.enter(); err != nil {
		return err
	}
	defer m.leave()
	p := m.parse(id)
	s := m.shardOf(p)
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := writable(s, p)
	if err != nil {
		return err
	}
	f(s, e)
	return nil
}

// SetUser implements [Store]. It holds the write lock of id's shard, so
// that Renew, Delete and Sweep of the session see the binding before or
// after it, never half made.
func (m *memory) SetUser(_ context.Context, id, user string) error {
	var b *binding
	if user != "" {
		b = &binding{user: user, masked: maskedKeyOf(id)} // hashed before the lock
	}
	return m.withWritable(id, func(_ *memoryShard, e *memoryEntry) {
		if old := e.bound(); old == nil && b == nil || old != nil && b != nil && old.user == user {
			return
		}
		m.unindex(e.bound(), e)
		m.index(b, id)
		e.bindTo(b)
	})
}

// SetExpires implements [Store]. A deadline earlier than the one the
// session had is filed in the expiry heap at once, so that Sweep finds it;
// the filing it supersedes is dropped when popped or compacted. A later
// deadline is filed when the sweep reaches the earlier filing, as after a
// touch.
func (m *memory) SetExpires(_ context.Context, id string, expires time.Time) error {
	return m.withWritable(id, func(s *memoryShard, e *memoryEntry) {
		// deadline, not record: a record would build the values' map of a
		// session nobody read, which its pairs spare.
		before := e.deadline()
		e.setTimes(e.createdTime(), expires)
		after := e.deadline()
		if !after.IsZero() && (before.IsZero() || after.Before(before)) {
			e.gen++
			s.due.file(e, after, e.gen)
			if !before.IsZero() {
				s.dropStale() // the filing under before is superseded
			}
		}
	})
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
	type listed struct {
		masked maskedKey
		id     string
	}
	u.mu.Lock()
	us := u.users[user]
	candidates := make([]listed, 0, us.len())
	us.each(func(k maskedKey, id string) { candidates = append(candidates, listed{k, id}) })
	u.mu.Unlock()

	out := make([]Entry, 0, len(candidates))
	for _, c := range candidates {
		p := m.parse(c.id)
		s := m.shardOf(p)
		s.mu.RLock()
		e := s.lookup(p)
		bound := e != nil && !e.renewed && e.bound() != nil && e.bound().user == user && e.bound().masked == c.masked
		var rec Record
		if bound {
			rec = e.record()
		}
		s.mu.RUnlock()
		if bound && !rec.ExpiredAt(now) {
			out = append(out, Entry{ID: c.id, MaskedID: string(c.masked[:]), Record: rec})
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
	k, ok := parseMaskedKey(maskedID)
	if !ok {
		return Record{}, false, nil // no session has such a masked ID
	}
	u := m.userShard(user)
	u.mu.Lock()
	us := u.users[user]
	id, listed := us.lookup(k)
	u.mu.Unlock()
	if !listed {
		return Record{}, false, nil
	}
	p := m.parse(id)
	s := m.shardOf(p)
	s.mu.Lock()
	e := s.lookup(p)
	bound := e != nil && !e.renewed && e.bound() != nil && e.bound().user == user && e.bound().masked == k
	if bound {
		m.remove(s, e, p.hash)
		s.dropStale()
	}
	s.mu.Unlock()
	if !bound {
		return Record{}, false, nil
	}
	m.dropTombstones(e.formerIDs())
	return e.record(), true, nil
}
