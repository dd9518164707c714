package redisstore

// Replaced by the per-user index; see the per-user branch.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sessionkit/session/store"
)

// unsupported is what the per-user methods return until this store keeps a
// per-user index.
func unsupported(op string) error {
	return fmt.Errorf("redisstore: %s: %w", op, errors.ErrUnsupported)
}

// SetUser implements [store.Store]; not yet supported.
func (s *redisStore) SetUser(context.Context, string, string) error {
	return unsupported("SetUser")
}

// SetExpires implements [store.Store]; not yet supported.
func (s *redisStore) SetExpires(context.Context, string, time.Time) error {
	return unsupported("SetExpires")
}

// UserSessions implements [store.Store]; not yet supported.
func (s *redisStore) UserSessions(context.Context, string, time.Time) ([]store.Entry, error) {
	return nil, unsupported("UserSessions")
}

// DeleteUserSession implements [store.Store]; not yet supported.
func (s *redisStore) DeleteUserSession(context.Context, string, string) (store.Record, bool, error) {
	return store.Record{}, false, unsupported("DeleteUserSession")
}
