package manager

import "fmt"

// flashKey is the key under which [AddFlash] keeps a session's flash
// messages, as a []any. It is gorilla/sessions' default flash key, so that
// flashes added through gin-contrib's AddFlash (with the root package's
// NewGinStore) and through AddFlash here are one list.
const flashKey = "_flash"

// AddFlash appends value to s's flash messages: messages for the next
// request that reads them, such as "saved" after a redirect. They are a
// value like any other, a []any under the key "_flash", so they follow the store's
// rules for values: with the Redis store's JSON codec a message must be a
// string, float64, bool, map[string]any or []any; with gob, a type of your
// own must be registered. A message the store cannot keep is refused here,
// with the error Set returns. Two requests of one session that add flashes
// at the same moment may keep only one of them (the list is read, then set).
func AddFlash(s Session, value any) error {
	if s == nil {
		return ErrNoSession
	}
	if value == nil {
		return fmt.Errorf("session: a flash message cannot be nil")
	}
	current, _ := s.Get(flashKey)
	list, _ := current.([]any)
	return s.Set(flashKey, append(list, value))
}

// Flashes returns s's flash messages, oldest first, and removes them: each
// message is read once. It returns nil when there are none. The error is
// Delete's; the messages are returned even then.
func Flashes(s Session) ([]any, error) {
	if s == nil {
		return nil, nil
	}
	current, ok := s.Get(flashKey)
	if !ok {
		return nil, nil
	}
	list, _ := current.([]any)
	return list, s.Delete(flashKey)
}
