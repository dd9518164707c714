package manager

import (
	"context"
	"time"

	"github.com/sessionkit/session/store"
)

// This file holds the kept names of package manager that are functions and
// methods (the root package's doc lists every kept name). They are
// sessionkit's API like any other; where a Go-style name does the same, the
// doc says which. Kept fields and interface methods stay in their place.

// NewSession returns an unbound session with the given ID and last access
// time (Unix seconds), for a session creator or an Options.SessionLoader.
// [RestoreSession] does the same and also keeps the session's creation time
// and values.
func NewSession(id string, timeAccessed int64) Session {
	t := time.Unix(timeAccessed, 0)
	return &MemSession{id: id, created: t, accessed: t, base: map[string]any{}}
}

// GetSessionById returns the live session with the given ID, or nil. It does
// not count as use: the idle deadline does not move. Its Set writes to the
// store at once. A store failure is logged and answered with nil.
// [Manager.DestroySessionById] ends such a session.
func (m *Manager) GetSessionById(sessionId string) Session {
	if !IsValidID(sessionId) {
		return nil
	}
	s, err := m.lookup(context.Background(), sessionId, false, nil)
	if err != nil {
		m.log.Error("session: lookup by ID failed", "session", store.MaskedID(sessionId), "err", err)
		return nil
	}
	if s == nil {
		return nil // not a typed nil: callers compare the interface with nil
	}
	return s // bound to no request, so its Set writes through
}

// GetSessionSize returns the number of sessions in the store: with a shared
// store, across every instance that uses it. Sessions that expired since the
// last sweep may still be counted. A store failure is logged and answered
// with 0; [Manager.CountSessions] returns it instead.
func (m *Manager) GetSessionSize() int {
	n, err := m.CountSessions(context.Background())
	if err != nil {
		m.log.Error("session: counting sessions failed", "err", err)
		return 0
	}
	return n
}

// GetId implements [Session].
func (s *MemSession) GetId() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.id
}

// GetMaskedSessionId implements [Session]: see [store.MaskedID]. A session
// given to fmt or log/slog prints the same ([MemSession.Format],
// [MemSession.LogValue]).
func (s *MemSession) GetMaskedSessionId() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.masked == "" {
		s.masked = store.MaskedID(s.id)
	}
	return s.masked
}

// GetLastAccessTime implements [Session].
func (s *MemSession) GetLastAccessTime() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accessed.Unix()
}
