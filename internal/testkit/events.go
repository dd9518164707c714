package testkit

import (
	"sync"

	"github.com/sessionkit/session/manager"
)

// Event is one call of a manager's event handler.
type Event struct {
	ID     string // the session's ID when the event fired
	Masked string // its masked ID, the only name a swept Redis session has
	Kind   int    // manager.Created, manager.Update or manager.Destroyed
	Value  any    // the session's "k" value when the event fired
	User   string // the user the session was bound to (Session.User)
}

// Events records the events of one or more managers: pass its Handle as
// their event handler. Tests count events rather than trusting a log line,
// so that "fired exactly once" can be checked.
type Events struct {
	mu     sync.Mutex
	events []Event
}

// Handle records s's event; its signature is a manager's event handler's.
func (e *Events) Handle(s manager.Session, kind int) {
	v, _ := s.Get("k")
	ev := Event{ID: s.GetId(), Masked: s.GetMaskedSessionId(), Kind: kind, Value: v, User: s.User()}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.events = append(e.events, ev)
}

// All returns every event recorded so far, in order.
func (e *Events) All() []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Event(nil), e.events...)
}

// Count returns how many events of kind fired for the session id.
func (e *Events) Count(id string, kind int) int {
	return e.countWhere(func(ev Event) bool { return ev.ID == id && ev.Kind == kind })
}

// CountKind returns how many events of kind fired for any session.
func (e *Events) CountKind(kind int) int {
	return e.countWhere(func(ev Event) bool { return ev.Kind == kind })
}

func (e *Events) countWhere(match func(Event) bool) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, ev := range e.events {
		if match(ev) {
			n++
		}
	}
	return n
}

// DestroyedByMask returns how many Destroyed events fired for each session,
// keyed by masked ID: a session's Destroyed must fire exactly once, on
// whichever instance ends it.
func (e *Events) DestroyedByMask() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[string]int{}
	for _, ev := range e.events {
		if ev.Kind == manager.Destroyed {
			out[ev.Masked]++
		}
	}
	return out
}
