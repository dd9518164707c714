package main

import (
	"log/slog"

	"github.com/sessionkit/session"
)

// logEvent is the manager's event handler. It names sessions by their masked
// ID only: the real ID is a credential, and a log line holding it would let
// anyone who reads the logs take the session over.
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
