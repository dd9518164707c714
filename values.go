package session

import "github.com/sessionkit/session/manager"

// Value returns the value of key in s as a T, and whether s holds one; it
// never panics. A number converts between Go's numeric types when it fits
// exactly, so that Value[int](s, "n") reads a float64 3 that the Redis
// store's JSON codec gave back; see [manager.Value].
func Value[T any](s Session, key string) (T, bool) { return manager.Value[T](s, key) }

// AddFlash appends a flash message to s, for the next request that reads
// them; see [manager.AddFlash]. gin-contrib's AddFlash through
// [NewGinStore] adds to the same list.
func AddFlash(s Session, value any) error { return manager.AddFlash(s, value) }

// Flashes returns s's flash messages and removes them; see
// [manager.Flashes].
func Flashes(s Session) ([]any, error) { return manager.Flashes(s) }
