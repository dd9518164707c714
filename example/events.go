package main

import (
	"log/slog"
	"time"

	"github.com/sessionkit/session"
)

// eventHandler returns the manager's event handler: it logs each event and
// shows it in the live feed.
func eventHandler(f *feed) func(session.Session, int) {
	return func(s session.Session, event int) {
		logEvent(s, event)
		f.publish(s, event, time.Now())
	}
}

// logEvent logs a session event. It names sessions by their masked ID only:
// the real ID is a credential, and a log line holding it would let anyone
// who reads the logs take the session over.
func logEvent(s session.Session, event int) {
	var msg string
	switch event {
	case session.Created:
		msg = "session created"
	case session.Update:
		msg = "session updated"
	case session.Destroyed:
		msg = "session destroyed"
	default:
		msg = "session event"
	}
	slog.Info(msg, "session", s.GetMaskedSessionId())
}
