package store

// Placeholder until the memory store keeps its per-user index (next commit).

import (
	"context"
	"errors"
	"fmt"
	"time"
)

func unsupported(op string) error {
	return fmt.Errorf("store: memory: %s: %w", op, errors.ErrUnsupported)
}

// SetUser implements [Store].
func (m *memory) SetUser(context.Context, string, string) error { return unsupported("SetUser") }

// SetExpires implements [Store].
func (m *memory) SetExpires(context.Context, string, time.Time) error {
	return unsupported("SetExpires")
}

// UserSessions implements [Store].
func (m *memory) UserSessions(context.Context, string, time.Time) ([]Entry, error) {
	return nil, unsupported("UserSessions")
}

// DeleteUserSession implements [Store].
func (m *memory) DeleteUserSession(context.Context, string, string) (Record, bool, error) {
	return Record{}, false, unsupported("DeleteUserSession")
}
