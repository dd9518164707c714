package manager

// Session events, passed to the handler given to [NewManager].
const (
	// Created: a new session was made (not fired for sessions restored by
	// Options.SessionLoader).
	Created = 1
	// Destroyed: a session ended, by Invalidate, DestroySession, replacement
	// by CreateSession, or expiry found by a lookup or the sweeper. It fires
	// exactly once per session.
	Destroyed = 2
	// Update: a Set or Delete changed a value, or RenewSession gave the
	// session a new ID. Within a request it fires at Set, before the change
	// is committed; should the commit fail (or the handler panic), the
	// change is not kept, and a failed commit answers the request with an
	// error.
	Update = 3
)

func eventName(event int) string {
	switch event {
	case Created:
		return "created"
	case Destroyed:
		return "destroyed"
	case Update:
		return "update"
	}
	return "unknown"
}

// fire runs the event handler. The caller holds no lock, so the handler may
// use the manager freely; a panic in the handler is logged, not spread into
// the request or the sweeper.
func (m *Manager) fire(s Session, event int) {
	if event == Created {
		m.counters.created.Add(1) // here, so that the metric and the events cannot disagree
	}
	if m.handler == nil {
		return
	}
	defer func() {
		if v := recover(); v != nil {
			m.log.Error("session: event handler panicked",
				"event", eventName(event), "session", s.GetMaskedSessionId(), "panic", v)
		}
	}()
	m.handler(s, event)
}
